/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pb.h - the port-block allocator's pure core. It owns the state of every
 * block (free, granted, assigned) and keeps the data plane's grant slots
 * stocked: growth slots per external address, first-block slots per pool
 * filled from the least-loaded address of the pool (balanced placement).
 * No I/O: it works on the shared slot and block arrays it is given, with
 * atomics where the data plane writes concurrently, and takes the time as
 * a parameter, so cmocka drives it directly.
 *
 * Invariant: a block id is in at most one place at a time - free, one
 * slot, or owned by one subscriber - so it is never granted twice.
 */
#ifndef CGNAT_PB_H
#define CGNAT_PB_H

#include <linux/types.h>
#include "bpf/cgnat_abi.h"
#include "allocator/pb_bits.h"

enum pb_state {
	PB_FREE = 0,
	PB_GRANTED,		/* in a grant slot, or just taken from one */
	PB_ASSIGNED,		/* owned by a subscriber */
	PB_RELEASED,		/* released, waiting for its log record */
	PB_QUARANTINE,		/* logged, resting until quarantine ends */
	PB_DET,			/* in a deterministic region: never granted */
};

/* Grace for a block that left its slot without an owner appearing: the
 * data plane takes a slot and sets the owner within one packet.
 */
#define PB_LIMBO_MS 2000

/* Lifecycle policy (from the configuration; all times in ms). */
struct pb_policy {
	__u64 idle_release_ms;	/* empty block released after this */
	__u64 keep_last_ms;	/* extra hold on a subscriber's last block */
	__u64 lifetime_ms;	/* block takes no new mappings after; 0 off */
	__u64 quarantine_ms;	/* released block rests before reuse */
	__u64 interim_ms;	/* interim event for long holdings; 0 off */
	__u32 max_quarantined;	/* 0 = no limit */
	__u32 max_blocks;	/* per subscriber, for the high-water mark */
	__u8 pool_high;		/* percent of a pool's blocks held */
	__u8 pool_low;
	__u8 sub_high;		/* percent of max_blocks */
	__u8 pad[5];
};

struct pb_block {
	__u8 state;		/* enum pb_state */
	__u8 first;		/* granted as a subscriber's first block */
	__u16 pad;
	__u32 slot;		/* grant slot index + 1 while granted */
	__u64 limbo_ms;		/* when it was seen missing from its slot */
	__u64 since_ms;		/* assigned at / quarantined until */
	__u64 empty_ms;		/* empty since (0 = in use) */
	__u64 interim_ms;	/* last interim event */
};

#define PB_OUTBOX 4096

struct pb_views {
	__u64 *grant_addr;	/* n_addrs * CGNAT_GRANT_DEPTH */
	__u64 *grant_new;	/* CGNAT_GRANT_NEW_WORDS: slots, dry, fill words */
	__u64 *addr_dry;	/* n_addrs dry words (cgnat_addr_dry), or NULL */
	struct cgnat_block *blocks;
	struct cgnat_sub *subs;	/* lifecycle only: the subscriber slots */
	__u32 n_subs;
	struct cgnat_portmap *ports; /* n_addrs * CGNAT_NPROTO bitmaps */
	const __be32 *addrs;	/* external address of each index */
};

/* Clock readings for one lifecycle pass. */
struct pb_now {
	__u64 ms;		/* CLOCK_BOOTTIME: timers, survives restarts */
	__u64 tai_ns;		/* CLOCK_TAI: event and log times */
};

struct pb {
	__u32 n_addrs;
	__u32 bpa;		/* blocks per address */
	__u32 n_pools;
	__u32 *addr_pool;	/* pool of each address */
	__u32 *addr_free;	/* free blocks per address */
	__u32 *addr_subs;	/* subscribers placed on each address */
	__u32 *addr_pending;	/* first blocks granted there, not yet
				 * seen owned: placed load to come */
	__u32 *addr_cursor;	/* next block index to try per address */
	__u32 *addr_reserved;	/* blocks 0..n-1 of the address are a
				 * deterministic region (pb_reserve) */
	__u32 *owners;		/* bpa: pb_rebuild()'s scratch */
	__u8 pool_det[CGNAT_MAX_POOLS];	/* no first blocks: deterministic */
	__u32 pool_next[CGNAT_MAX_POOLS]; /* round-robin start per pool */
	struct pb_block *blk;
	/* The blocks in each state the per-turn work visits: a turn costs
	 * what is granted, new or due, not the size of the pools.
	 */
	struct pb_bits granted;	/* PB_GRANTED: pb_sync() */
	struct pb_bits assigned;	/* PB_ASSIGNED: the scan cycle */
	struct pb_bits resting;	/* PB_QUARANTINE: the scan cycle */
	struct pb_bits fresh;	/* assigned, not yet seen by a scan */
	__u32 scan_next;	/* the cycle's next block id */
	__u64 lost;		/* grants reclaimed after limbo */
	/* lifecycle */
	struct pb_policy pol;
	__u32 port_lo, block_size;
	__u32 pool_blocks[CGNAT_MAX_POOLS];	/* total per pool */
	__u32 pool_held[CGNAT_MAX_POOLS];	/* not free, per pool */
	__u8 pool_above[CGNAT_MAX_POOLS];	/* above the high mark */
	__u32 quarantined;
	__u64 released, races;
	struct cgnat_event out[PB_OUTBOX];	/* events for the log */
	__u32 out_n;
	/* Test hook: runs between the release marker and the re-check, where
	 * a data-plane CPU may claim a port. NULL in production.
	 */
	void (*on_marked)(__u32 block);
};

int pb_init(struct pb *pb, __u32 n_addrs, __u32 bpa,
	    const __u32 *addr_pool, __u32 n_pools);
void pb_free(struct pb *pb);

/* Deterministic pools (RFC 7422): the first n blocks of address 'addr'
 * hold its deterministic ranges and are never granted (n = blocks per
 * address when the pool has no overflow blocks); a block there that a
 * subscriber still holds from an earlier layout goes to PB_DET when it is
 * released; a smaller n later frees the PB_DET blocks it no longer
 * covers. pb_pool_det() stops first-block grants for the pool: its
 * subscribers find their address by arithmetic. Call both after pb_init(),
 * before the first pb_rebuild() or pb_refill().
 */
void pb_reserve(struct pb *pb, __u32 addr, __u32 n);
void pb_pool_det(struct pb *pb, __u32 pool);

/* Moves a block between states, keeping the per-address and per-pool
 * counts. A reserved block (pb_reserve) asked to become free becomes
 * PB_DET instead.
 */
void pb_set_state(struct pb *pb, __u32 id, enum pb_state st);

/* Rebuilds the state from the shared arrays (start, restart). */
void pb_rebuild(struct pb *pb, const struct pb_views *v);

/* Empties every grant slot: a standby grants nothing. A block the data
 * plane took meanwhile shows in the block table; pb_rebuild() before the
 * next pb_refill() counts the rest free again.
 */
void pb_withdraw(struct pb *pb, const struct pb_views *v);

/* Takes every unused grant back and counts it free at once: the log
 * cannot keep up, so no new block may be taken (evlog's backlog hold).
 * pb_refill() stocks the slots again.
 */
void pb_recall(struct pb *pb, const struct pb_views *v);

/* Follows the data plane: blocks that left their slots become assigned
 * (owner set) or, after PB_LIMBO_MS without owner, free again. Returns
 * the number of newly assigned blocks.
 */
int pb_sync(struct pb *pb, const struct pb_views *v, __u64 now_ms);

/* Fills every empty grant slot it can, a pool's first-block slots up
 * to pb_new_fill(), which it also publishes (CGNAT_NEW_FILL). Returns
 * slots filled.
 */
int pb_refill(struct pb *pb, const struct pb_views *v);

/* First-block slots kept stocked for 'pool': one per CGNAT_NEW_PER_SLOT
 * blocks of the pool, within [CGNAT_NEW_DEPTH_MIN, CGNAT_NEW_DEPTH]; 0
 * for a deterministic pool.
 */
__u32 pb_new_fill(const struct pb *pb, __u32 pool);

/* Free blocks of an address / of a pool. */
__u32 pb_addr_free(const struct pb *pb, __u32 addr);

/* --- lifecycle (pb_life.c) --- */

void pb_set_policy(struct pb *pb, const struct pb_policy *pol,
		   __u32 port_lo, __u32 block_size);

/* One whole lifecycle pass: pb_scan_turn() and a whole cycle from block
 * 0 (pb_scan_step() without a limit). Events go to pb->out; releases
 * wait for pb_logged().
 */
void pb_scan(struct pb *pb, const struct pb_views *v, const struct pb_now *now);

/* A turn's part, whose cost is what happened since the last turn: the
 * blocks assigned since (their start time, the subscriber high-water
 * event), the cap on resting blocks, the pools' threshold events.
 */
void pb_scan_turn(struct pb *pb, const struct pb_views *v,
		  const struct pb_now *now);

/* The cycle's part, up to 'max' assigned or resting blocks from where
 * the last step stopped, in id order: drains blocks past their lifetime,
 * releases blocks empty for their idle time (handshake with the data
 * plane through the subscriber's slot), ends quarantines, queues interim
 * events. None of these is due to the millisecond: an idle release is
 * logged at the block's last use and a quarantine is a minimum, so the
 * caller paces whole cycles (dprun.c). Returns 1 when the step reached
 * the last block (the next step starts a cycle at block 0), else 0.
 */
int pb_scan_step(struct pb *pb, const struct pb_views *v,
		 const struct pb_now *now, __u32 max);

/* The log has durably recorded the release of 'block': quarantine. */
void pb_logged(struct pb *pb, __u32 block, const struct pb_now *now);

/* Rebuild's lifecycle part: quarantines pinned in the block table. */
void pb_rebuild_life(struct pb *pb, const struct pb_views *v,
		     const struct pb_now *now);


#endif /* CGNAT_PB_H */
