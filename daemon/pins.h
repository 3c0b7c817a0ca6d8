/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pins.h - read-only access to a running data plane through its pinned
 * maps, without loading anything: cgnatctl reads state and counters this
 * way (whether cgnatd runs or not), and cgnatd checks at start that the
 * pinned maps were built for the configured pools and port geometry.
 * Arrays are mapped read-only; the data plane keeps writing them.
 */
#ifndef CGNAT_DAEMON_PINS_H
#define CGNAT_DAEMON_PINS_H

#include <linux/types.h>
#include <stddef.h>

#include "bpf/cgnat_abi.h"

struct pins {
	struct cgnat_cfg cfg; /* geometry and tunables in force */
	__u32 n_addrs, n_blocks, n_subs;
	struct cgnat_addr *addrs; /* heap copy, n_addrs */
	const struct cgnat_block *blocks; /* mapped, n_blocks */
	const struct cgnat_sub *subs; /* mapped, n_subs */
	const struct cgnat_portmap *ports; /* mapped, n_addrs * NPROTO */
	const __u64 *grant_new; /* mapped, n_grant_new words (cgnat_abi.h) */
	__u32 n_grant_new;
	size_t len_blocks, len_subs, len_ports, len_grant_new;
	int fd_stats, fd_sessions, fd_mappings;
	int links; /* pinned XDP links found (0..2) */
};

/*
 * Open the pins under dir. -ENOENT when nothing is pinned there (no data
 * plane), other -errno with err saying what failed.
 */
int pins_open(struct pins *p, const char *dir, char *err, size_t len);
void pins_close(struct pins *p);

/* Just the config map and the address list, for cgnatd's start check. */
int pins_peek(const char *dir, struct cgnat_cfg *cfg, __be32 *addrs, __u32 max,
	      __u32 *n);

/* Per-CPU counters summed into out[STAT_MAX]. */
int pins_stats(const struct pins *p, __u64 *out);

/* Live sessions of one subscriber (network order); cb per session.
 * Returns the count or -errno. */
int pins_sessions(const struct pins *p, __be32 sub,
		  int (*cb)(const struct cgnat_sess_key *k,
			    const struct cgnat_sess *s, void *ctx),
		  void *ctx);

/* Entries of the session table (all kinds), or -errno. */
long pins_count_sessions(const struct pins *p);

#endif /* CGNAT_DAEMON_PINS_H */
