/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clock.h - a clock in nanoseconds for userspace: CLOCK_MONOTONIC counts
 * as the data plane's bpf_ktime_get_ns, CLOCK_TAI as bpf_ktime_get_tai_ns.
 */
#ifndef CGNAT_CLOCK_H
#define CGNAT_CLOCK_H

#include <time.h>
#include <linux/types.h>

static inline __u64 cgnat_clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

#endif /* CGNAT_CLOCK_H */
