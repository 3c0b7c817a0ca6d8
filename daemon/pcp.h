/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcp.h - cgnatd's PCP server (pcp.c): started with pcp.enabled, its
 * socket polled from cgnatd's loop, ticked once a round, listed for
 * `cgnatctl pcp` through the control socket ("pcp list").
 */
#ifndef CGNAT_DAEMON_PCP_H
#define CGNAT_DAEMON_PCP_H

#include <stdio.h>
#include <linux/types.h>

#define PCP_RESULTS 14 /* result codes 0..13 (RFC 6887 section 7.4) */

struct pcp_stats {
	__u64 requests, natpmp, answered, send_errors;
	__u64 dropped_rate; /* over pcp.rate or the global cap */
	__u64 dropped_bad; /* never answered (RFC 6887 8.3) */
	__u64 granted, refreshed, deleted, expired;
	__u64 blocks; /* blocks taken for a PCP mapping */
	__u64 announces;
	__u64 refused[PCP_RESULTS]; /* answers by result code */
};

struct cgnatd;

/* Opens UDP 5351 on the inside interface and reads the PCP mappings the
 * maps hold; without pcp.enabled does nothing. A failure is logged and
 * leaves the daemon running without PCP.
 */
void cgnatd_pcp_start(struct cgnatd *d);
/* The socket to poll, -1 without a server. */
int cgnatd_pcp_fd(const struct cgnatd *d);
/* The socket is readable: answers up to 256 requests. */
void cgnatd_pcp_input(struct cgnatd *d);
/* Once a second: ANNOUNCE repeats, ended lifetimes, resync. */
void cgnatd_pcp_tick(struct cgnatd *d);
/* "key value" counters, then one "map PROTO INT:PORT EXT:PORT LEFT
 * KIND" line per mapping (KIND map, peer or natpmp).
 */
void cgnatd_pcp_list(struct cgnatd *d, FILE *f);
void cgnatd_pcp_stop(struct cgnatd *d);

#endif
