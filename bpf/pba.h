/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pba.h - port block allocation in the data plane. A subscriber holds up
 * to max_blocks blocks of block_size ports, all on one external address
 * (paired pooling). A new mapping takes a free port from those blocks,
 * found in the per-(address, protocol) port bitmap and claimed with an
 * atomic fetch-or, so two CPUs never take the same port. When all blocks
 * are full the subscriber takes a block the allocator granted ahead of
 * time (grant slots, claimed by atomic exchange): the packet never waits
 * for userspace.
 */
#ifndef CGNAT_PBA_H
#define CGNAT_PBA_H

#include "events.h"

struct pba_port {
	__u32 block;		/* global block id */
	__u32 addr_idx;
	__u16 port;		/* host order */
};

static __always_inline __u32 pba_bpa(void)
{
	struct cgnat_cfg *cfg = cfg_get();

	return cfg && cfg->blocks_per_addr ? cfg->blocks_per_addr : 1;
}

static __always_inline void pba_port_of(__s64 r, __u32 bpa,
					struct pba_port *pp)
{
	pp->block = r >> 16;
	pp->port = r & 0xffff;
	pp->addr_idx = pp->block / bpa;
}

/* Lowest set bit index of a non-zero word (BPF has no ctz). */
static __always_inline __u32 pba_ctz(__u64 x)
{
	__u32 n = 0;

	x &= -x;
	if (x & 0xffffffff00000000ull)
		n += 32;
	if (x & 0xffff0000ffff0000ull)
		n += 16;
	if (x & 0xff00ff00ff00ff00ull)
		n += 8;
	if (x & 0xf0f0f0f0f0f0f0f0ull)
		n += 4;
	if (x & 0xccccccccccccccccull)
		n += 2;
	if (x & 0xaaaaaaaaaaaaaaaaull)
		n += 1;
	return n;
}

/* A free bit of 'free' (non-zero), starting at a random position. */
static __always_inline __u32 pba_pick_bit(__u64 free, __u32 r)
{
	__u64 rot;

	r &= 63;
	rot = r ? (free >> r) | (free << (64 - r)) : free;
	return (pba_ctz(rot) + r) & 63;
}

/* Claims a free port among 'words' bitmap words from port 'first' (a
 * multiple of 64) of address 'addr_idx', protocol 'pidx', starting at a
 * random word and bit (RFC 6056, RFC 7422 section 2: random inside the
 * range). 'mask' selects the eligible bits of each word (port parity).
 * Returns the port (host order), or -REASON_QUOTA when no eligible port
 * is free. A global function: the verifier checks it once, not per call
 * site; its bound covers a deterministic range of a whole address.
 */
__noinline int pba_take_range(__u32 addr_idx, __u32 pidx, __u32 first,
			      __u32 words, __u64 mask)
{
	__u32 start, i, key = addr_idx * CGNAT_NPROTO + pidx;
	struct cgnat_portmap *pm;

	if (pidx >= CGNAT_NPROTO)
		return -REASON_CONFLICT;
	pm = bpf_map_lookup_elem(&cgnat_ports, &key);
	if (!pm || !words || words > CGNAT_DET_MAX_WORDS)
		return -REASON_CONFLICT;
	start = bpf_get_prandom_u32();
	for (i = 0; i < CGNAT_DET_MAX_WORDS; i++) {
		__u32 w, bit;
		__u64 free, old, b;

		if (i >= words)
			break;
		w = (first / 64 + (start + i) % words) & (CGNAT_PORT_WORDS - 1);
		free = ~pm->w[w] & mask;
		if (!free)
			continue;
		bit = pba_pick_bit(free, start >> 8);
		b = 1ull << bit;
		old = __sync_fetch_and_or(&pm->w[w], b);
		if (old & b)
			continue;	/* another CPU took it: next word */
		return w * 64 + bit;
	}
	return -REASON_QUOTA;
}

/* Claims a free port of 'block': pba_take_range() over the block. */
static __always_inline int pba_take_port(__u32 block, __u32 pidx,
					 __u64 mask)
{
	struct cgnat_cfg *cfg = cfg_get();
	__u32 bpa;

	if (!cfg || !cfg->blocks_per_addr)
		return -REASON_CONFLICT;
	bpa = cfg->blocks_per_addr;
	return pba_take_range(block / bpa, pidx,
			      cfg->port_lo + (block % bpa) * cfg->block_size,
			      cfg->block_size / 64, mask);
}

static __always_inline void pba_put_port(const struct pba_port *pp,
					 __u32 pidx)
{
	__u32 key = pp->addr_idx * CGNAT_NPROTO + pidx;
	struct cgnat_portmap *pm = bpf_map_lookup_elem(&cgnat_ports, &key);

	if (pm)
		__sync_fetch_and_and(&pm->w[(pp->port / 64) &
					    (CGNAT_PORT_WORDS - 1)],
				     ~(1ull << (pp->port & 63)));
}

/* Block of port 'port' of address 'addr_idx': records that a mapping of
 * it ended at 'end_ns' (CLOCK_MONOTONIC) before its port bit is freed, so
 * that the allocator, which releases the block once every bit is clear,
 * logs the release at the block's real last use (pb_life.c). The latest
 * end wins, by compare-and-swap.
 */
static __always_inline void pba_stamp_use(__u32 addr_idx, __u32 port,
					  __u64 end_ns)
{
	struct cgnat_cfg *cfg = cfg_get();
	struct cgnat_block *b;
	__u32 n, id;
	__u64 t, old;
	int i;

	if (!cfg || !cfg->block_size || port < cfg->port_lo)
		return;
	n = (port - cfg->port_lo) / cfg->block_size;
	if (n >= cfg->blocks_per_addr)
		return;
	id = addr_idx * cfg->blocks_per_addr + n;
	b = bpf_map_lookup_elem(&cgnat_blocks, &id);
	if (!b)
		return;
	t = evt_mono_to_tai(end_ns);
	for (i = 0; i < 4; i++) {
		old = b->last_use_tai_ns;
		if (old >= t ||
		    __sync_val_compare_and_swap(&b->last_use_tai_ns, old, t) ==
			    old)
			return;
	}
}

__noinline int nat_map_reclaim(__u32 addr, __u32 port, __u32 proto,
			       __u64 now);

/* Reclaim scan state (pba_reclaim): which slot and word it is at, the
 * set bits of that word still to look at.
 */
struct pba_rc {
	__u64 bits;
	__u64 now;
	__u32 sub_idx;
	__u32 pidx;
	__u32 proto;
	__u32 slot;
	__u32 word;
	__u32 start;
	__u32 base;		/* first port of the current word */
	__u32 lookups;
	__be32 ext;
	__u32 found;
};

#define PBA_RECLAIM_LOOKUPS 32	/* mappings looked at per new flow */
#define PBA_RECLAIM_STEPS 256	/* words and ports, all told */

static long pba_reclaim_one(__u32 i, struct pba_rc *c)
{
	struct cgnat_map_key ik = { .addr = c->ext, .proto = c->proto,
				    .dir = CGNAT_DIR_IN };
	struct cgnat_cfg *cfg = cfg_get();
	struct cgnat_portmap *pm;
	struct cgnat_sub *sub;
	struct cgnat_map_in *m;
	__u32 id, words, key, w, bit;

	if (c->found || c->lookups >= PBA_RECLAIM_LOOKUPS || !cfg ||
	    !cfg->blocks_per_addr || c->slot >= CGNAT_MAX_BLOCKS)
		return 1;
	if (!c->bits) {
		words = cfg->block_size / 64;
		if (c->word >= words) {
			c->slot++;
			c->word = 0;
			return 0;
		}
		sub = bpf_map_lookup_elem(&cgnat_subs, &c->sub_idx);
		if (!sub)
			return 1;
		id = sub->block[c->slot & (CGNAT_MAX_BLOCKS - 1)];
		if (!id || (id & CGNAT_BLOCK_DRAIN)) {
			c->slot++;
			return 0;
		}
		id--;
		key = id / cfg->blocks_per_addr * CGNAT_NPROTO + c->pidx;
		pm = bpf_map_lookup_elem(&cgnat_ports, &key);
		if (!pm)
			return 1;
		w = (cfg->port_lo + id % cfg->blocks_per_addr * cfg->block_size) /
			    64 + (c->start + c->word) % words;
		c->word++;
		c->bits = pm->w[w & (CGNAT_PORT_WORDS - 1)];
		c->base = w * 64;
		return 0;
	}
	bit = pba_ctz(c->bits);
	c->bits &= c->bits - 1;
	c->lookups++;
	ik.port = bpf_htons(c->base + bit);
	m = bpf_map_lookup_elem(&cgnat_map_in, &ik);
	if (m)
		c->found = nat_map_reclaim(m->addr, m->port, c->proto, c->now);
	return 0;
}

/* After a scan that found nothing, the subscriber's next new flows of
 * that protocol skip the scan for this long: a subscriber at its quota
 * sending new flows would otherwise pay a scan (~3 us of cold lookups
 * here) on every refused packet. Mappings that expire meanwhile wait for
 * the next scan or the sweep; nothing is freed early.
 */
#define PBA_RECLAIM_IDLE_NS 1000000000ull

/* The subscriber's blocks look full: reclaims one expired mapping of
 * protocol 'pidx' there that the sweep has not reached yet, looking at
 * no more than PBA_RECLAIM_LOOKUPS mappings, from a random word of each
 * block, unless a scan found nothing in the last PBA_RECLAIM_IDLE_NS.
 * Returns 1 when a port came free. Global: its own frame, off the
 * allocation chain's stack.
 */
__noinline int pba_reclaim(__u32 sub_idx, __u32 pidx, __u64 now)
{
	struct cgnat_sub *sub = bpf_map_lookup_elem(&cgnat_subs, &sub_idx);
	struct pba_rc c = { .now = now, .sub_idx = sub_idx, .pidx = pidx,
			    .proto = pidx == CGNAT_P_TCP ? IPPROTO_TCP :
				     pidx == CGNAT_P_UDP ? IPPROTO_UDP :
							   IPPROTO_ICMP,
			    .start = bpf_get_prandom_u32() };
	__u32 ai, key = sub_idx * CGNAT_NPROTO + pidx;
	struct cgnat_addr *a;
	__u64 *idle;

	if (!sub || !sub->ext_idx)
		return 0;
	idle = bpf_map_lookup_elem(&cgnat_reclaim_idle, &key);
	if (idle && *idle > now) {
		stat_inc(STAT_RECLAIM_IDLE);
		return 0;
	}
	ai = sub->ext_idx - 1;
	a = bpf_map_lookup_elem(&cgnat_addrs, &ai);
	if (!a)
		return 0;
	c.ext = a->addr;
	bpf_loop(PBA_RECLAIM_STEPS, pba_reclaim_one, &c, 0);
	if (c.found)
		return 1;
	/* Looked up again: a pointer kept across the loop multiplies the
	 * verifier's states of its callback.
	 */
	idle = bpf_map_lookup_elem(&cgnat_reclaim_idle, &key);
	if (idle)
		*idle = now + PBA_RECLAIM_IDLE_NS;
	return 0;
}

/* Takes a port from any block the subscriber holds: block << 16 | port,
 * or -REASON_QUOTA. The slot is read again after the port is claimed: the
 * allocator releases a block by marking its slot first and then checking
 * that no port is set, so one of the two always sees the other (both
 * sides use locked, fully ordered instructions).
 */
static __always_inline __s64 pba_from_held(struct cgnat_sub *sub, __u32 pidx,
					   __u64 mask)
{
	struct pba_port pp;
	__u32 i, id;
	int port;

	for (i = 0; i < CGNAT_MAX_BLOCKS; i++) {
		id = sub->block[i];
		if (!id || (id & CGNAT_BLOCK_DRAIN))
			continue;	/* empty, reserved, releasing, drained */
		port = pba_take_port(id - 1, pidx, mask);
		if (port < 0)
			continue;
		if (__sync_fetch_and_add(&sub->block[i], 0) == id)
			return (__s64)(id - 1) << 16 | port;
		pp.port = port;
		pp.addr_idx = (id - 1) / pba_bpa();
		pba_put_port(&pp, pidx);
		stat_inc(STAT_RELEASE_RACE);
	}
	return -REASON_QUOTA;
}

/* Wakes cgnatd's refill thread. Only when no record waits yet, so a
 * burst rings about once per refill, never once per packet; two CPUs
 * that both find the ring empty ring twice, which is harmless. Global:
 * verified once, and the record is reserved, not built on the stack,
 * which the allocation chain has used up. Returns 1 when it rang.
 */
__noinline int pba_ring_bell(__u32 kind, __u32 idx)
{
	struct cgnat_bell *b;

	if (bpf_ringbuf_query(&cgnat_grant_bell, BPF_RB_AVAIL_DATA))
		return 0;
	b = bpf_ringbuf_reserve(&cgnat_grant_bell, sizeof(*b), 0);
	if (!b)
		return 0;
	b->kind = kind;
	b->idx = idx;
	b->mono_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(b, 0);
	stat_inc(STAT_GRANT_BELL);
	return 1;
}

/* Empties one grant slot of 'slots' in [base, base + depth), lowest
 * first, so the allocator's refill order is the order of taking. Rings
 * the bell (kind, idx) when it took from the second half or found every
 * slot empty: the refill comes before the last slot is gone. Returns the
 * block id + 1, or 0 when every slot is empty.
 */
static __always_inline __u32 pba_claim_slot(void *slots, __u32 base,
					    __u32 depth, __u32 kind, __u32 idx)
{
	__u32 i;

	for (i = 0; i < CGNAT_NEW_DEPTH; i++) {
		__u32 key = base + i;
		__u64 *slot, v;

		if (i >= depth)
			break;
		slot = bpf_map_lookup_elem(slots, &key);
		if (!slot || !*slot)
			continue;
		v = __sync_lock_test_and_set(slot, 0);
		if (!v)
			continue;
		if (2 * (i + 1) >= depth)
			pba_ring_bell(kind, idx);
		return (__u32)v;
	}
	stat_inc(kind == CGNAT_BELL_NEW ? STAT_GRANT_NEW_EMPTY :
					  STAT_GRANT_ADDR_EMPTY);
	pba_ring_bell(kind, idx);
	return 0;
}

/* How many of the pool's first-block slots the allocator keeps stocked
 * (cgnat_abi.h, CGNAT_NEW_FILL); the least before it first said.
 */
static __always_inline __u32 pba_new_fill(__u32 pool)
{
	__u32 key = CGNAT_NEW_FILL + pool % CGNAT_MAX_POOLS;
	__u64 *w = bpf_map_lookup_elem(&cgnat_grant_new, &key);

	if (!w || *w < CGNAT_NEW_DEPTH_MIN)
		return CGNAT_NEW_DEPTH_MIN;
	return *w < CGNAT_NEW_DEPTH ? (__u32)*w : CGNAT_NEW_DEPTH;
}

/* A first block from the pool's slots: block id + 1, or 0. Global: its
 * loop over up to CGNAT_NEW_DEPTH slots is verified once, not on every
 * path of the allocation chain that reaches it (inlined, the deeper
 * slots took cgnat_inside to 97% of the verifier's limit).
 */
__noinline int pba_claim_new(__u32 pool)
{
	return (int)pba_claim_slot(&cgnat_grant_new,
				   (pool % CGNAT_MAX_POOLS) * CGNAT_NEW_DEPTH,
				   pba_new_fill(pool), CGNAT_BELL_NEW, pool);
}

/* Puts an unusable grant back into an empty slot of its address. */
static __always_inline void pba_return_grant(__u64 v, __u32 addr_idx)
{
	__u32 i;

	for (i = 0; i < CGNAT_GRANT_DEPTH; i++) {
		__u32 key = addr_idx * CGNAT_GRANT_DEPTH + i;
		__u64 *slot;

		slot = bpf_map_lookup_elem(&cgnat_grant_addr, &key);
		if (slot && __sync_val_compare_and_swap(slot, 0, v) == 0)
			return;
	}
	stat_inc(STAT_GRANT_LOST);
}

/* A granted block for this subscriber: its first one comes from its
 * pool's new-subscriber slots and fixes its external address; later ones
 * come from that address's slots only (paired pooling). Returns block id
 * + 1 or 0.
 */
static __always_inline __u32 pba_grant(const struct cgnat_cfg *cfg,
				       struct cgnat_sub *sub)
{
	__u32 v, addr_idx, ext = sub->ext_idx;

	if (!ext) {
		v = (__u32)pba_claim_new(sub->pool);
		if (!v || !cfg->blocks_per_addr)
			return 0;
		addr_idx = (v - 1) / cfg->blocks_per_addr;
		ext = __sync_val_compare_and_swap(&sub->ext_idx, 0,
						  addr_idx + 1);
		if (!ext || ext == addr_idx + 1)
			return v;
		/* Another CPU fixed a different address first. */
		pba_return_grant(v, addr_idx);
	}
	return pba_claim_slot(&cgnat_grant_addr,
			      (ext - 1) * CGNAT_GRANT_DEPTH,
			      CGNAT_GRANT_DEPTH, CGNAT_BELL_ADDR, ext - 1);
}

/* 1 when the allocator has no first block left for 'pool' beyond its
 * slots (cgnat_abi.h, CGNAT_NEW_DRY): empty slots then mean an exhausted
 * pool, not a refill on its way.
 */
static __always_inline int pba_pool_dry(__u32 pool)
{
	__u32 key = CGNAT_NEW_DRY + pool % CGNAT_MAX_POOLS;
	__u64 *w = bpf_map_lookup_elem(&cgnat_grant_new, &key);

	return !w || *w;
}

/* The same for the growth slots of pool address 'addr_idx'
 * (cgnat_addr_dry).
 */
static __always_inline int pba_addr_dry(__u32 addr_idx)
{
	__u64 *w = bpf_map_lookup_elem(&cgnat_addr_dry, &addr_idx);

	return !w || *w;
}

/* Blocks that count against max_blocks: held and taking mappings, or
 * being added. Drained and releasing blocks do not.
 */
static __always_inline __u32 pba_counted(__u32 v)
{
	return v && (!(v & CGNAT_BLOCK_DRAIN) || v == CGNAT_BLOCK_RESERVED);
}

/* Reserves an empty block slot if the subscriber is under 'max' blocks.
 * Returns its index or -1 at the quota (or with every slot in use).
 */
static __always_inline int pba_reserve_slot(__u32 max, struct cgnat_sub *sub)
{
	__u32 i, held = 0;
	int free = -1;

	for (i = 0; i < CGNAT_MAX_BLOCKS; i++) {
		__u32 v = sub->block[i];

		held += pba_counted(v);
		if (!v && free < 0)
			free = i;
	}
	if (held >= max || free < 0)
		return -1;
	for (i = free; i < CGNAT_MAX_BLOCKS; i++)
		if (__sync_val_compare_and_swap(&sub->block[i], 0,
						CGNAT_BLOCK_RESERVED) == 0)
			return i;
	return -1;
}

/* Records the subscriber as owner of a granted block and logs it. */
static __always_inline int pba_own(const struct cgnat_cfg *cfg,
				   struct cgnat_sub *sub, __u32 sub_idx,
				   __u32 block)
{
	struct cgnat_block *b = bpf_map_lookup_elem(&cgnat_blocks, &block);
	struct cgnat_addr *a;
	__u32 addr_idx = block / cfg->blocks_per_addr, first;
	__u64 now_tai = bpf_ktime_get_tai_ns();

	if (!b || __sync_val_compare_and_swap(&b->owner, 0, sub_idx + 1))
		return -REASON_CONFLICT;
	b->sub_addr = sub->addr;
	b->assigned_tai_ns = now_tai;
	b->released_tai_ns = 0;
	b->quarantine_until_ns = 0;
	b->last_use_tai_ns = 0;
	a = bpf_map_lookup_elem(&cgnat_addrs, &addr_idx);
	first = cfg->port_lo + (block % cfg->blocks_per_addr) *
				       cfg->block_size;
	stat_inc(STAT_BLOCK_TAKEN);
	evt_emit_at(now_tai, EVT_BLOCK_ASSIGNED, sub->addr, a ? a->addr : 0,
		    block, sub->pool, sub_idx, first,
		    first + cfg->block_size - 1);
	return 0;
}

/* No block to grant. With free blocks left beyond the slots, of the
 * pool for a new subscriber or of the subscriber's own address for a
 * growing one, a refill is on its way: -REASON_GRANT_WAIT, silent. Else
 * the pool or the address has none left (RFC 8158 events 3 and 12):
 * -REASON_POOL_EMPTY. Global: a leaf with its own stack frame, off the
 * allocation path's, and its branches verified once.
 */
__noinline int pba_exhausted(__u32 sub_idx, __u64 now)
{
	struct cgnat_sub *sub = bpf_map_lookup_elem(&cgnat_subs, &sub_idx);
	struct cgnat_cfg *cfg = cfg_get();
	struct cgnat_addr *a;
	__u32 ai;

	if (!sub || !cfg)
		return -REASON_POOL_EMPTY;
	if (!sub->ext_idx) {
		if (!pba_pool_dry(sub->pool))
			return -REASON_GRANT_WAIT;
		evt_limited(EVT_POOL_EMPTY, sub->addr, sub->pool, 0, now, cfg);
		return -REASON_POOL_EMPTY;
	}
	ai = sub->ext_idx - 1;
	if (!pba_addr_dry(ai))
		return -REASON_GRANT_WAIT;
	a = bpf_map_lookup_elem(&cgnat_addrs, &ai);
	if (a && evt_allowed(EVT_ADDR_EMPTY, now, cfg))
		evt_emit(EVT_ADDR_EMPTY, sub->addr, a->addr, 0, sub->pool, 0,
			 0, 0);
	return -REASON_POOL_EMPTY;
}

/* Adds a granted block to the subscriber, up to 'max'. Returns the block
 * id or a negative reason (quota, pool empty) after raising its event.
 */
static __always_inline int pba_grow(const struct cgnat_cfg *cfg,
				    struct cgnat_sub *sub, __u32 sub_idx,
				    __u32 max, __u64 now)
{
	int slot = pba_reserve_slot(max, sub);
	__u32 v;

	if (slot < 0) {
		if (evt_sub_allowed(sub, now, cfg))
			evt_emit(EVT_QUOTA_BLOCKS, sub->addr, 0, 0, sub->pool,
				 max, 0, 0);
		return -REASON_QUOTA;
	}
	v = pba_grant(cfg, sub);
	if (!v || pba_own(cfg, sub, sub_idx, v - 1)) {
		sub->block[slot & (CGNAT_MAX_BLOCKS - 1)] = 0;
		if (v)
			return -REASON_CONFLICT;
		/* Mapped to the two constants: a global function's result
		 * is any scalar to the verifier, and every caller's branch
		 * on the reason would be walked for each value.
		 */
		return pba_exhausted(sub_idx, now) == -REASON_GRANT_WAIT ?
			       -REASON_GRANT_WAIT : -REASON_POOL_EMPTY;
	}
	sub->block[slot & (CGNAT_MAX_BLOCKS - 1)] = v;
	return v - 1;
}

#define PBA_HELD_ONLY 0x80000000u	/* | max: from held blocks, no growth */
#define PBA_GROW_ONLY 0x40000000u	/* | max: a new block only (the held
					 * ones were just looked at) */

/* A port for a new mapping of subscriber 'sub_idx': from its blocks,
 * same parity as 'sport' first when configured, else from a new block,
 * up to 'max' blocks (max_blocks; a deterministic pool's overflow_blocks;
 * | PBA_HELD_ONLY: none; | PBA_GROW_ONLY: only a new block).
 * Returns block << 16 | port, or a negative reason. Global, verified once.
 */
__noinline __s64 pba_alloc(__u32 sub_idx, __u32 pidx, __u32 sport,
			   __u32 max, __u64 now)
{
	struct cgnat_cfg *cfg = cfg_get();
	__u64 any = ~0ull, mask = any;
	struct cgnat_sub *sub;
	__s64 r;
	int block, port;

	sub = bpf_map_lookup_elem(&cgnat_subs, &sub_idx);
	if (!cfg || !sub || !cfg->blocks_per_addr)
		return -REASON_CONFLICT;
	if (cfg->parity)
		mask = (sport & 1) ? 0xaaaaaaaaaaaaaaaaull :
				     0x5555555555555555ull;
	r = -REASON_QUOTA;
	if (!(max & PBA_GROW_ONLY)) {
		r = pba_from_held(sub, pidx, mask);
		if (r < 0 && mask != any)
			r = pba_from_held(sub, pidx, any);
	}
	if (r >= 0 || (max & PBA_HELD_ONLY))
		return r;
	block = pba_grow(cfg, sub, sub_idx,
			 max & ~(PBA_HELD_ONLY | PBA_GROW_ONLY), now);
	if (block < 0)
		return block;
	port = pba_take_port(block, pidx, mask);
	if (port < 0)
		port = pba_take_port(block, pidx, any);
	if (port < 0)
		return port;
	return (__s64)block << 16 | port;
}

#endif /* CGNAT_PBA_H */
