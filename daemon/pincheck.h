/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pincheck.h - does the data plane pinned under a directory match the
 * configuration about to reuse it? See pincheck.c.
 */
#ifndef CGNAT_DAEMON_PINCHECK_H
#define CGNAT_DAEMON_PINCHECK_H

#include <stddef.h>

#include "bpf/loader.h"

/*
 * 0 when nothing is pinned under dir or the pins match o; -ESTALE with
 * msg naming the keys that differ; other -errno if the pins are
 * unreadable.
 */
int pincheck(const char *dir, const struct dp_opts *o, char *msg, size_t len);

#endif /* CGNAT_DAEMON_PINCHECK_H */
