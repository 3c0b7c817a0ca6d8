/* SPDX-License-Identifier: GPL-2.0 */
/*
 * evorder.h - puts the data plane's events back in the one order that
 * matters across the per-CPU rings: a block's EVT_BLOCK_ASSIGNED before
 * any session event on the block, and those before the block's release.
 * The CPU taking a block submits its event before it publishes the block,
 * so a session on another CPU can only be read first, never made first.
 *
 * A session event on a block not known as assigned is parked and
 * delivered right after that block's assign event. Reads go in passes
 * (one ring_buffer__consume() over every ring): an assign event submitted
 * before a parked event was read is visible to the next full pass, so a
 * block still unknown after it was never going to be sent (assigned
 * before this run, or its event lost) and its events are delivered as
 * they are ("forced"), the block then counting as known. Parking is
 * bounded: at 'cap' parked events all of them are forced.
 *
 * Pure: no I/O, no clock. Blocks are global ids (address index x blocks
 * per address + block number), as in cgnat_event.block.
 */
#ifndef CGNAT_EVORDER_H
#define CGNAT_EVORDER_H

#include <linux/types.h>
#include "bpf/cgnat_abi.h"

typedef void (*evo_fn)(void *ctx, const struct cgnat_event *e);

/* The pool addresses and port geometry (network order addresses). */
struct evo_geom {
	__u32 n_addrs;
	const __be32 *addrs;	/* index = address index */
	__u32 port_lo, block_size, blocks_per_addr;
};

struct evo_parked {
	struct cgnat_event e;
	__u32 block;
	__u64 pass;		/* the pass it was parked in */
};

struct evo {
	evo_fn fn;
	void *ctx;
	struct evo_geom g;
	__u64 *addr_idx;	/* (address << 32 | index), sorted */
	__u8 *known;		/* bitmap over the blocks */
	__u32 n_blocks;
	struct evo_parked *q;	/* parked, oldest first */
	__u32 n, cap;
	__u64 pass;
	__u64 parked;		/* events ever parked */
	__u64 forced;		/* of those, delivered without the assign */
};

/* Copies the geometry. 0 or -ENOMEM/-EINVAL. */
int evo_init(struct evo *o, const struct evo_geom *g, __u32 cap, evo_fn fn,
	     void *ctx);
void evo_free(struct evo *o);
/* Marks a block as known for good: one that never gets block events (a
 * deterministic region), so its sessions go straight through.
 */
void evo_known(struct evo *o, __u32 block);
/* One event read from a ring, or made in userspace (a PCP block). */
void evo_push(struct evo *o, const struct cgnat_event *e);
/* Brackets one full pass over every ring; the end delivers, forced,
 * what was parked before the pass began. A pass that stopped short of
 * some ring's end (a reader's budget) is begun but not ended: nothing is
 * forced, since an assign may wait unread behind the cut; what is parked
 * waits for the next full pass.
 */
void evo_pass_begin(struct evo *o);
void evo_pass_end(struct evo *o);
/* Call before delivering the release of 'block': its parked events go
 * first (forced), and it is no longer known.
 */
void evo_release(struct evo *o, __u32 block);

#endif /* CGNAT_EVORDER_H */
