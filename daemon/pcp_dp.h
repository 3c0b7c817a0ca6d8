/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcp_dp.h - PCP mappings in the data plane's maps. A PCP mapping is an
 * endpoint-independent mapping (struct cgnat_map, both halves) with
 * CGNAT_MAP_PCP and an absolute end (pcp_until_s): the sweep keeps it
 * until then and inbound packets pass filtering. Its external port comes
 * from the subscriber's own blocks, or its deterministic range, exactly
 * as the data plane takes one (bitmap bit by atomic fetch-or, slot read
 * again after); a subscriber with no room takes a granted block as
 * pba_grow() does and the block's EVT_BLOCK_ASSIGNED goes through the
 * daemon's event path, so the log has its row like any other block.
 * Times: until_s is CLOCK_MONOTONIC seconds (bpf_ktime_get_ns).
 */
#ifndef CGNAT_PCP_DP_H
#define CGNAT_PCP_DP_H

#include "daemon/dprun.h"

struct pcp_dp_req {
	__be32 sub; /* the internal address (a subscriber) */
	__be16 int_port;
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 strict; /* PREFER_FAILURE: the suggestion or nothing */
	__u8 inbound; /* MAP: CGNAT_MAP_PCP_IN; PEER: 0, and an
		       * existing lifetime is never shortened */
	__u16 want_port; /* suggested external port, host order; 0 none */
	__be32 want_addr; /* suggested external address; 0 none */
	__u32 until_s;
};

struct pcp_dp_grant {
	__be32 ext_addr;
	__be16 ext_port;
	int existed; /* the endpoint had a mapping already */
	int new_block; /* a block was taken for it */
	__u32 until_s; /* the lifetime end it has now */
};

/* Finds or makes the mapping of (sub, int_port, proto) and sets its PCP
 * lifetime. Returns 0, -EADDRNOTAVAIL (strict and the suggestion cannot
 * be had), -EDQUOT (the subscriber is at its block quota and full),
 * -ENOSPC (no block to grant, tables full), -ENOENT (sub is in no
 * subscriber prefix), or -errno.
 */
int pcp_dp_map(struct dprun *r, const struct pcp_dp_req *q,
	       struct pcp_dp_grant *g);
/* The external address of subscriber q->sub: its deterministic range's,
 * its first block's, or (a PBA subscriber without one) that of a block
 * taken now, logged like any other. 0, or -errno as pcp_dp_map.
 */
int pcp_dp_ext_addr(struct dprun *r, const struct pcp_dp_req *q, __be32 *ext);
/* Sets the lifetime end of an existing PCP mapping (both halves);
 * until_s 1 ends it now (the sweep removes it once no session uses it).
 * -ENOENT when there is none.
 */
int pcp_dp_set_until(struct dp *dp, __be32 sub, __be16 int_port, __u8 proto,
		     __u32 until_s);

struct pcp_dp_entry {
	__be32 sub;
	__be16 int_port;
	__u8 proto;
	__be32 ext_addr;
	__be16 ext_port;
	__u8 inbound; /* CGNAT_MAP_PCP_IN */
	__u32 until_s;
};
typedef int (*pcp_dp_fn)(const struct pcp_dp_entry *e, void *ctx);
/* Every live mapping (OUT half) whose PCP lifetime has not ended at
 * now_s; stops at fn's first non-zero return.
 */
int pcp_dp_scan(struct dp *dp, __u32 now_s, pcp_dp_fn fn, void *ctx);

/* CLOCK_MONOTONIC seconds, rounded down. */
__u32 pcp_dp_now_s(void);

#endif /* CGNAT_PCP_DP_H */
