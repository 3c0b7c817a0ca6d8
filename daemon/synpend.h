/* SPDX-License-Identifier: GPL-2.0 */
/*
 * synpend.h - the userspace half of RFC 5382 REQ-4 (bpf/synpend.h). Every
 * SP_SCAN_MS it reads cgnat_syn_pending, takes each SYN held for
 * CGNAT_SYN_HOLD_NS and answers it with ICMP 3/3 (Port Unreachable) from
 * the address the SYN was sent to, quoting the SYN as held (its IP header
 * and up to CGNAT_SYN_QUOTE bytes in all, RFC 792 / RFC 1812 4.3.2.3). The
 * ICMP leaves through a raw socket (IP_HDRINCL) bound to the outside
 * interface, so the kernel routes it and resolves the link layer; XDP
 * sees no egress.
 *
 * An entry is taken by deleting it (lookup-and-delete, atomic): one the
 * data plane deleted first, on a simultaneous open, is never answered.
 * With the setting off, or older than SP_STALE_NS (cgnatd was down), an
 * entry is dropped unanswered. Bounded work: one pass over a table of at
 * most CGNAT_SYN_PENDING_MAX entries, in batches, per scan; no blocking
 * call (the socket is non-blocking).
 *
 * sp_judge() and sp_build() are pure (syn_icmp.c); the rest is I/O
 * (synpend.c).
 */
#ifndef CGNAT_SYNPEND_H
#define CGNAT_SYNPEND_H

#include <linux/types.h>
#include <stddef.h>
#include "bpf/cgnat_abi.h"

#define SP_SCAN_MS 250		/* an answer is at most this late */
#define SP_STALE_NS (60ull * 1000000000)
#define SP_BATCH 256
#define SP_ICMP_MAX (20 + 8 + CGNAT_SYN_QUOTE)

enum sp_verdict {
	SP_WAIT = 0,		/* younger than CGNAT_SYN_HOLD_NS: leave it */
	SP_SEND = 1,
	SP_DISCARD = 2,		/* take it, answer nothing */
};

/* What to do with held SYN 's' at now_ns (CLOCK_MONOTONIC, the clock of
 * bpf_ktime_get_ns) while the setting is 'on'.
 */
enum sp_verdict sp_judge(const struct cgnat_syn *s, __u64 now_ns, int on);

/* Writes the ICMP 3/3 answering 's' into buf: IPv4 header (TOS 0xc0,
 * TTL 64, ID 0, checksum set), ICMP header (checksum set), the held
 * bytes. Returns its length, -EINVAL when 's' is no IPv4 TCP packet of at
 * least its header and 8 bytes, -ENOSPC when cap is too small.
 */
int sp_build(__u8 *buf, size_t cap, const struct cgnat_syn *s);

/* Internet checksum of len bytes (RFC 1071), host order. */
__u16 sp_csum(const void *data, size_t len);

struct synpend {
	int map_fd;		/* cgnat_syn_pending */
	int sock;		/* raw socket, -1 when none */
	int sock_err;		/* why none: errno, 0 = no outside interface */
	int on;			/* cfg->syn_icmp_rate != 0 */
	__u64 next_ms;		/* next scan, CLOCK_MONOTONIC */
	__u64 sent, dropped;	/* STAT_SYN_ICMP_SENT, _DROPPED */
	struct cgnat_syn_key *keys;	/* SP_BATCH each */
	struct cgnat_syn *vals;
};

/* Opens the raw socket on 'outside' (NULL: none, as for a load without
 * interfaces). A socket that cannot be had is no error: sock stays -1,
 * sock_err says why, and held SYNs are dropped unanswered. -ENOMEM only.
 */
int sp_open(struct synpend *sp, int map_fd, const char *outside);
/* The setting (reload); switching off drops what is held at once. */
void sp_set(struct synpend *sp, int on);
/* Scans when SP_SCAN_MS have passed since the last scan. */
void sp_run(struct synpend *sp, __u64 now_ms);
/* One pass over the table now. */
void sp_scan(struct synpend *sp);
void sp_close(struct synpend *sp);

#endif /* CGNAT_SYNPEND_H */
