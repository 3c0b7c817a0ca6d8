/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hastate.h - HA sync records against the data plane's maps: the active
 * reads its state out as records (hst_scan: blocks first, then mappings,
 * then sessions, the order the standby needs), the standby writes records
 * into its own maps (hst_apply) as the data plane itself would have
 * (subscriber slots by address from its own free queue, both halves of a
 * mapping with its port bit, session counts, reverse-session cache
 * dropped). Times: now_ns is CLOCK_MONOTONIC (session expiry, mapping
 * age), boot_ns CLOCK_BOOTTIME (quarantines), as the data plane keeps them.
 */
#ifndef CGNAT_HASTATE_H
#define CGNAT_HASTATE_H

#include "bpf/loader.h"
#include "daemon/hasync.h"

typedef int (*hst_emit_fn)(struct hs_rec *r, void *ctx);

/* Every held or quarantined block, mapping and session, in that order;
 * stops at emit's first non-zero return. Count in *n.
 */
int hst_scan(struct dp *dp, __u64 now_ns, __u64 boot_ns, hst_emit_fn emit,
	     void *ctx, __u64 *n);
/* One record into the maps. 0 or -errno (-ENOENT: a mapping whose
 * subscriber has no block yet, i.e. the stream is out of order).
 */
int hst_apply(struct dp *dp, const struct hs_rec *r, __u64 now_ns,
	      __u64 boot_ns);
/* The active's refresh: every live entry sent again once per cycle, a
 * batch (BPF_MAP_LOOKUP_BATCH, up to HST_BATCH entries) per call, so sync
 * traffic is (entries / cycle time) whatever the packet rate. It also
 * repairs anything a lost event left out; an entry that stops being
 * refreshed expires on the standby's own clock after a takeover.
 * Order within a cycle: blocks, mappings, sessions.
 */
#define HST_BATCH 256

struct hst_cursor {
	int phase; /* 0 blocks, 1 mappings, 2 sessions */
	int more; /* the phase's batch reads have not ended */
	__u64 token;
};

/* One step; 1 when it finished a cycle, 0 if not, or -errno / emit's. */
int hst_refresh_step(struct dp *dp, struct hst_cursor *c, __u64 now_ns,
		     __u64 boot_ns, hst_emit_fn emit, void *ctx, __u64 *n);

/* The record of block id's current state (events: assign, release). */
void hst_block(struct dp *dp, __u32 id, __u64 boot_ns, struct hs_rec *r);
/* A new flow (session event): its mapping, then its session, as they
 * are now; nothing for what is gone already (its delete follows).
 */
int hst_flow(struct dp *dp, const struct cgnat_sess_key *k, __u64 now_ns,
	     hst_emit_fn emit, void *ctx);
/* Takeover: deletes every mapping and session whose external port lies
 * outside a block its subscriber holds (a delete the active never sent,
 * a block re-granted since), so no port can serve two subscribers.
 * Counts in *maps, *sessions.
 */
int hst_purge(struct dp *dp, __u64 *maps, __u64 *sessions);

/* Shared with the PCP server (pcp_dp.c), which writes mappings into the
 * maps as the data plane would:
 * - the subscriber slot of addr (0, or -ENOENT without create, -ENOSPC
 *   when the table is full), made as nat_sub_get makes one;
 * - sets or clears the port bit of ext:port (network order) for proto,
 *   -ERANGE when ext is not a pool address;
 * - a deterministic subscriber's range: 1 with its pool's layout in *dv
 *   (n_ext replaced by its address index) and its first port in *first,
 *   0 for a PBA subscriber, or -errno.
 */
int hst_sub_slot(struct dp *dp, __be32 addr, int create, __u32 *idx);
int hst_port_bit(struct dp *dp, __be32 ext, __be16 port, __u8 proto, int set);
int hst_det_range(struct dp *dp, __be32 sub, struct cgnat_det_pool *dv,
		  __u32 *first);

/* BULK_START on the standby: forgets every block holding, mapping,
 * session and subscriber slot (slots back to the free queue), as a cold
 * start would, so what the bulk brings is all there is.
 */
int hst_clear(struct dp *dp);

#endif
