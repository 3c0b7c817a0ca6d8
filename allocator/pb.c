// SPDX-License-Identifier: GPL-2.0
/*
 * pb.c - see pb.h. Slots are shared with the XDP program, which empties
 * them with an atomic exchange; this side only ever fills an empty slot
 * with compare-and-swap, so the two never overwrite each other.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "allocator/pb.h"

int pb_init(struct pb *pb, __u32 n_addrs, __u32 bpa,
	    const __u32 *addr_pool, __u32 n_pools)
{
	__u32 i;

	memset(pb, 0, sizeof(*pb));
	if (!n_addrs || !bpa || !n_pools || n_pools > CGNAT_MAX_POOLS)
		return -EINVAL;
	pb->n_addrs = n_addrs;
	pb->bpa = bpa;
	pb->n_pools = n_pools;
	pb->addr_pool = calloc(n_addrs, sizeof(__u32));
	pb->addr_free = calloc(n_addrs, sizeof(__u32));
	pb->addr_subs = calloc(n_addrs, sizeof(__u32));
	pb->addr_pending = calloc(n_addrs, sizeof(__u32));
	pb->addr_cursor = calloc(n_addrs, sizeof(__u32));
	pb->addr_reserved = calloc(n_addrs, sizeof(__u32));
	pb->owners = calloc(bpa, sizeof(__u32));
	pb->blk = calloc((size_t)n_addrs * bpa, sizeof(*pb->blk));
	if (!pb->addr_pool || !pb->addr_free || !pb->addr_subs ||
	    !pb->addr_pending || !pb->addr_cursor || !pb->addr_reserved ||
	    !pb->owners || !pb->blk ||
	    pb_bits_init(&pb->granted, n_addrs * bpa) ||
	    pb_bits_init(&pb->assigned, n_addrs * bpa) ||
	    pb_bits_init(&pb->resting, n_addrs * bpa) ||
	    pb_bits_init(&pb->fresh, n_addrs * bpa)) {
		pb_free(pb);
		return -ENOMEM;
	}
	for (i = 0; i < n_addrs; i++) {
		if (addr_pool[i] >= n_pools) {
			pb_free(pb);
			return -EINVAL;
		}
		pb->addr_pool[i] = addr_pool[i];
		pb->addr_free[i] = bpa;
		pb->pool_blocks[addr_pool[i]] += bpa;
	}
	return 0;
}

void pb_free(struct pb *pb)
{
	free(pb->addr_pool);
	free(pb->addr_free);
	free(pb->addr_subs);
	free(pb->addr_pending);
	free(pb->addr_cursor);
	free(pb->addr_reserved);
	free(pb->owners);
	free(pb->blk);
	pb_bits_free(&pb->granted);
	pb_bits_free(&pb->assigned);
	pb_bits_free(&pb->resting);
	pb_bits_free(&pb->fresh);
	memset(pb, 0, sizeof(*pb));
}

__u32 pb_addr_free(const struct pb *pb, __u32 addr)
{
	return addr < pb->n_addrs ? pb->addr_free[addr] : 0;
}

static __u32 nslots_addr(const struct pb *pb)
{
	return pb->n_addrs * CGNAT_GRANT_DEPTH;
}

/* Slot index space: growth slots first, then first-block slots. */
static __u64 *slot_ptr(const struct pb *pb, const struct pb_views *v,
		       __u32 slot)
{
	if (slot < nslots_addr(pb))
		return &v->grant_addr[slot];
	return &v->grant_new[slot - nslots_addr(pb)];
}

/* The state sets follow a move from 'old' to 'st'; a block comes into
 * PB_ASSIGNED fresh, for the next turn's pb_scan_turn().
 */
static void state_bits(struct pb *pb, __u32 id, __u8 old, __u8 st)
{
	struct pb_bits *in[] = {
		[PB_GRANTED] = &pb->granted,
		[PB_ASSIGNED] = &pb->assigned,
		[PB_QUARANTINE] = &pb->resting,
	};

	if (old < sizeof(in) / sizeof(in[0]) && in[old])
		pb_bits_clear(in[old], id);
	if (st < sizeof(in) / sizeof(in[0]) && in[st])
		pb_bits_set(in[st], id);
	if (st == PB_ASSIGNED)
		pb_bits_set(&pb->fresh, id);
	else if (old == PB_ASSIGNED)
		pb_bits_clear(&pb->fresh, id);
}

void pb_set_state(struct pb *pb, __u32 id, enum pb_state st)
{
	struct pb_block *b = &pb->blk[id];
	__u32 addr = id / pb->bpa, pool = pb->addr_pool[addr];

	if (st == PB_FREE && id % pb->bpa < pb->addr_reserved[addr])
		st = PB_DET;

	if (b->state == PB_FREE && st != PB_FREE)
		pb->addr_free[addr]--;
	else if (b->state != PB_FREE && st == PB_FREE)
		pb->addr_free[addr]++;
	if (b->state != PB_ASSIGNED && st == PB_ASSIGNED)
		pb->pool_held[pool]++;
	else if (b->state == PB_ASSIGNED && st != PB_ASSIGNED)
		pb->pool_held[pool]--;
	if (b->state != PB_QUARANTINE && st == PB_QUARANTINE)
		pb->quarantined++;
	else if (b->state == PB_QUARANTINE && st != PB_QUARANTINE)
		pb->quarantined--;
	if (b->state != st)
		state_bits(pb, id, b->state, st);
	b->state = st;
}

/* Free reserved blocks become PB_DET (init and rebuild). */
static void apply_reserved(struct pb *pb, __u32 addr)
{
	__u32 i, id;

	for (i = 0; i < pb->addr_reserved[addr] && i < pb->bpa; i++) {
		id = addr * pb->bpa + i;
		if (pb->blk[id].state == PB_FREE)
			pb_set_state(pb, id, PB_FREE);
	}
}

void pb_reserve(struct pb *pb, __u32 addr, __u32 n)
{
	__u32 i, old;

	if (addr >= pb->n_addrs)
		return;
	if (n > pb->bpa)
		n = pb->bpa;
	old = pb->addr_reserved[addr];
	pb->pool_blocks[pb->addr_pool[addr]] += old;
	pb->pool_blocks[pb->addr_pool[addr]] -= n;
	pb->addr_reserved[addr] = n;
	/* A smaller reservation frees what it no longer covers. */
	for (i = n; i < old; i++)
		if (pb->blk[addr * pb->bpa + i].state == PB_DET)
			pb_set_state(pb, addr * pb->bpa + i, PB_FREE);
	apply_reserved(pb, addr);
}

void pb_pool_det(struct pb *pb, __u32 pool)
{
	if (pool < CGNAT_MAX_POOLS)
		pb->pool_det[pool] = 1;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* Subscribers placed on address a: the distinct owners of its blocks,
 * sorted in pb->owners (pairwise comparison was 1.3 s at restart for
 * 4096 addresses of 1008 blocks, all held).
 */
static __u32 distinct_owners(struct pb *pb, const struct pb_views *v,
			     __u32 a)
{
	__u32 i, m = 0, n = 0;

	for (i = 0; i < pb->bpa; i++)
		if (v->blocks[a * pb->bpa + i].owner)
			pb->owners[m++] = v->blocks[a * pb->bpa + i].owner;
	qsort(pb->owners, m, sizeof(pb->owners[0]), cmp_u32);
	for (i = 0; i < m; i++)
		n += !i || pb->owners[i] != pb->owners[i - 1];
	return n;
}

void pb_rebuild(struct pb *pb, const struct pb_views *v)
{
	__u32 n = pb->n_addrs * pb->bpa, total, i;

	for (i = 0; i < pb->n_addrs; i++) {
		pb->addr_free[i] = pb->bpa;
		pb->addr_subs[i] = 0;
		pb->addr_pending[i] = 0;
	}
	memset(pb->pool_held, 0, sizeof(pb->pool_held));
	pb->quarantined = 0;
	memset(pb->blk, 0, (size_t)n * sizeof(*pb->blk));
	pb_bits_clear_all(&pb->granted);
	pb_bits_clear_all(&pb->assigned);
	pb_bits_clear_all(&pb->resting);
	pb_bits_clear_all(&pb->fresh);
	pb->scan_next = 0;
	for (i = 0; i < pb->n_addrs; i++)
		apply_reserved(pb, i);
	for (i = 0; i < n; i++)
		if (__atomic_load_n(&v->blocks[i].owner, __ATOMIC_ACQUIRE))
			pb_set_state(pb, i, PB_ASSIGNED);
	total = nslots_addr(pb) + CGNAT_NEW_DRY;
	for (i = 0; i < total; i++) {
		__u64 val = __atomic_load_n(slot_ptr(pb, v, i),
					    __ATOMIC_ACQUIRE);

		if (!val || val - 1 >= n || pb->blk[val - 1].state)
			continue;
		pb_set_state(pb, val - 1, PB_GRANTED);
		pb->blk[val - 1].slot = i + 1;
		pb->blk[val - 1].first = i >= nslots_addr(pb);
		pb->addr_pending[(val - 1) / pb->bpa] += pb->blk[val - 1].first;
	}
	for (i = 0; i < pb->n_addrs; i++)
		pb->addr_subs[i] = distinct_owners(pb, v, i);
}

/* Tells the data plane which pools have no free block left beyond what
 * their slots hold (CGNAT_NEW_DRY): there, empty first-block slots mean
 * an exhausted pool; elsewhere a refill on its way. A deterministic pool
 * (no first blocks) and an unused pool index count as dry; with 'all'
 * every pool does (grants withdrawn or held: no refill is coming). The
 * same for each address and its growth slots (cgnat_addr_dry).
 */
static void publish_dry(const struct pb *pb, const struct pb_views *v,
			int all)
{
	__u8 dry[CGNAT_MAX_POOLS];
	__u32 a, p;

	memset(dry, 1, sizeof(dry));
	for (a = 0; a < pb->n_addrs && !all; a++)
		if (pb->addr_free[a] && !pb->pool_det[pb->addr_pool[a]])
			dry[pb->addr_pool[a]] = 0;
	for (p = 0; p < CGNAT_MAX_POOLS; p++)
		__atomic_store_n(&v->grant_new[CGNAT_NEW_DRY + p],
				 (__u64)dry[p], __ATOMIC_RELEASE);
	for (a = 0; v->addr_dry && a < pb->n_addrs; a++)
		__atomic_store_n(&v->addr_dry[a],
				 (__u64)(all || !pb->addr_free[a]),
				 __ATOMIC_RELEASE);
}

/* A first-block grant stops counting as load to come: its owner is now
 * counted in addr_subs, or the block went back.
 */
static void unpend(struct pb *pb, __u32 id)
{
	if (pb->blk[id].first && pb->addr_pending[id / pb->bpa])
		pb->addr_pending[id / pb->bpa]--;
	pb->blk[id].first = 0;
}

void pb_withdraw(struct pb *pb, const struct pb_views *v)
{
	__u32 total = nslots_addr(pb) + CGNAT_NEW_DRY, i;

	publish_dry(pb, v, 1);
	for (i = 0; i < total; i++)
		__atomic_exchange_n(slot_ptr(pb, v, i), 0, __ATOMIC_ACQ_REL);
}

/* Empties slot 'i' and frees the grant it held. The exchange and the
 * data plane's take race on the slot: whoever empties it has the block.
 */
static void recall_slot(struct pb *pb, const struct pb_views *v, __u32 i)
{
	__u64 val = __atomic_exchange_n(slot_ptr(pb, v, i), 0,
					__ATOMIC_ACQ_REL);

	if (!val || val - 1 >= (__u64)pb->n_addrs * pb->bpa ||
	    pb->blk[val - 1].state != PB_GRANTED ||
	    pb->blk[val - 1].slot != i + 1)
		return;
	unpend(pb, val - 1);
	memset(&pb->blk[val - 1], 0, sizeof(pb->blk[0]));
	pb->blk[val - 1].state = PB_GRANTED;
	pb_set_state(pb, val - 1, PB_FREE);
}

void pb_recall(struct pb *pb, const struct pb_views *v)
{
	__u32 total = nslots_addr(pb) + CGNAT_NEW_DRY, i;

	publish_dry(pb, v, 1);
	for (i = 0; i < total; i++)
		recall_slot(pb, v, i);
}

/* Looks for block 'id' in the growth slots of its address, where the
 * data plane returns a grant it could not use.
 */
static __u32 find_returned(const struct pb *pb, const struct pb_views *v,
			   __u32 id)
{
	__u32 base = (id / pb->bpa) * CGNAT_GRANT_DEPTH, i;

	for (i = 0; i < CGNAT_GRANT_DEPTH; i++)
		if (__atomic_load_n(&v->grant_addr[base + i],
				    __ATOMIC_ACQUIRE) == id + 1)
			return base + i + 1;
	return 0;
}

static int sync_one(struct pb *pb, const struct pb_views *v, __u32 id,
		    __u64 now_ms)
{
	struct pb_block *b = &pb->blk[id];
	__u32 addr = id / pb->bpa;

	if (b->slot && __atomic_load_n(slot_ptr(pb, v, b->slot - 1),
				       __ATOMIC_ACQUIRE) == id + 1)
		return 0;
	if (__atomic_load_n(&v->blocks[id].owner, __ATOMIC_ACQUIRE)) {
		if (b->first)
			pb->addr_subs[addr]++;
		unpend(pb, id);
		memset(b, 0, sizeof(*b));
		b->state = PB_GRANTED;
		pb_set_state(pb, id, PB_ASSIGNED);
		return 1;
	}
	b->slot = find_returned(pb, v, id);
	if (b->slot || !b->limbo_ms) {
		if (b->slot)
			unpend(pb, id);
		b->limbo_ms = b->slot ? 0 : (now_ms ? now_ms : 1);
		return 0;
	}
	if (now_ms - b->limbo_ms >= PB_LIMBO_MS) {
		unpend(pb, id);
		memset(b, 0, sizeof(*b));
		b->state = PB_GRANTED;
		pb_set_state(pb, id, PB_FREE);
		pb->lost++;
	}
	return 0;
}

int pb_sync(struct pb *pb, const struct pb_views *v, __u64 now_ms)
{
	__u32 n = pb->n_addrs * pb->bpa, i;
	int assigned = 0;

	for (i = pb_bits_next(&pb->granted, 0); i < n;
	     i = pb_bits_next(&pb->granted, i + 1))
		assigned += sync_one(pb, v, i, now_ms);
	return assigned;
}

/* Next free block of an address, rotating so that released blocks are
 * reused last. Returns the block id or -1.
 */
static long pick_block(struct pb *pb, __u32 addr)
{
	__u32 i, bi;

	if (!pb->addr_free[addr])
		return -1;
	for (i = 0; i < pb->bpa; i++) {
		bi = (pb->addr_cursor[addr] + i) % pb->bpa;
		if (pb->blk[addr * pb->bpa + bi].state == PB_FREE) {
			pb->addr_cursor[addr] = (bi + 1) % pb->bpa;
			return (long)addr * pb->bpa + bi;
		}
	}
	return -1;
}

static int grant(struct pb *pb, const struct pb_views *v, __u32 slot,
		 __u32 addr, int first)
{
	long id = pick_block(pb, addr);
	__u64 expect = 0;

	if (id < 0)
		return 0;
	if (!__atomic_compare_exchange_n(slot_ptr(pb, v, slot), &expect,
					 (__u64)id + 1, 0, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST))
		return 0;
	pb_set_state(pb, id, PB_GRANTED);
	pb->blk[id].slot = slot + 1;
	pb->blk[id].first = first;
	pb->blk[id].limbo_ms = 0;
	pb->addr_pending[id / pb->bpa] += !!first;
	return 1;
}

/* Placement load of an address: the placed subscribers plus the first
 * blocks granted there and not yet seen owned. A burst of new
 * subscribers takes every slot before the next sync, and without the
 * pending ones all the slots of a refill would go to the one address
 * that was least loaded when it began.
 */
static __u32 addr_load(const struct pb *pb, __u32 a)
{
	return pb->addr_subs[a] + pb->addr_pending[a];
}

/* Whether address a goes before b: less load, ties in round-robin
 * order from the pool's next start.
 */
static int load_before(const struct pb *pb, __u32 pool, __u32 a, __u32 b)
{
	__u32 la = addr_load(pb, a), lb = addr_load(pb, b);
	__u32 s = pb->pool_next[pool];

	if (la != lb)
		return la < lb;
	return (a + pb->n_addrs - s) % pb->n_addrs <
	       (b + pb->n_addrs - s) % pb->n_addrs;
}

/* The pool's 'want' addresses with free blocks that go first, in
 * 'cand' (at most PB_CANDIDATES). One pass over the addresses per
 * refill, not one per slot it fills: a grant adds one to its address's
 * load, so a refill of k slots places them all among the k that went
 * first when it began (at a /18, 64 slots took 1.9 ms with a pass per
 * slot).
 */
#define PB_CANDIDATES CGNAT_NEW_DEPTH
static __u32 candidates(const struct pb *pb, __u32 pool, __u32 want,
			__u32 *cand)
{
	__u32 a, i, n = 0;

	for (a = 0; a < pb->n_addrs; a++) {
		if (pb->addr_pool[a] != pool || !pb->addr_free[a])
			continue;
		if (n == want && !load_before(pb, pool, a, cand[n - 1]))
			continue;
		i = n < want ? n++ : n - 1;	/* the last one goes */
		for (; i > 0 && load_before(pb, pool, a, cand[i - 1]); i--)
			cand[i] = cand[i - 1];
		cand[i] = a;
	}
	return n;
}

/* Of the candidates, the address with free blocks and the lowest load
 * now, or -1; ties go round-robin.
 */
static long least_loaded(struct pb *pb, __u32 pool, const __u32 *cand,
			 __u32 n)
{
	long best = -1;
	__u32 i;

	for (i = 0; i < n; i++)
		if (pb->addr_free[cand[i]] &&
		    (best < 0 || load_before(pb, pool, cand[i], best)))
			best = cand[i];
	if (best >= 0)
		pb->pool_next[pool] = (best + 1) % pb->n_addrs;
	return best;
}

static int refill_growth(struct pb *pb, const struct pb_views *v,
			 __u32 from, __u32 to)
{
	__u32 a, i, slot;
	int filled = 0;

	for (a = 0; a < pb->n_addrs; a++)
		for (i = from; i < to; i++) {
			slot = a * CGNAT_GRANT_DEPTH + i;
			if (!__atomic_load_n(&v->grant_addr[slot],
					     __ATOMIC_ACQUIRE))
				filled += grant(pb, v, slot, a, 0);
		}
	return filled;
}

__u32 pb_new_fill(const struct pb *pb, __u32 pool)
{
	__u32 n;

	if (pool >= CGNAT_MAX_POOLS || pb->pool_det[pool])
		return 0;
	n = pb->pool_blocks[pool] / CGNAT_NEW_PER_SLOT;
	if (n < CGNAT_NEW_DEPTH_MIN)
		return CGNAT_NEW_DEPTH_MIN;
	return n < CGNAT_NEW_DEPTH ? n : CGNAT_NEW_DEPTH;
}

/* Tells the data plane how many first-block slots each pool keeps
 * stocked, and frees grants in slots past that (a pool that shrank).
 */
static void publish_fill(struct pb *pb, const struct pb_views *v)
{
	__u32 p, i, fill;

	for (p = 0; p < CGNAT_MAX_POOLS; p++) {
		fill = pb_new_fill(pb, p);
		__atomic_store_n(&v->grant_new[CGNAT_NEW_FILL + p],
				 (__u64)fill, __ATOMIC_RELEASE);
		for (i = fill; p < pb->n_pools && i < CGNAT_NEW_DEPTH; i++)
			if (__atomic_load_n(&v->grant_new[p * CGNAT_NEW_DEPTH + i],
					    __ATOMIC_ACQUIRE))
				recall_slot(pb, v, nslots_addr(pb) +
							   p * CGNAT_NEW_DEPTH + i);
	}
}

/* Stocks pool p's empty first-block slots, each from the address that
 * goes first then (load_before).
 */
static int refill_first(struct pb *pb, const struct pb_views *v, __u32 p)
{
	__u32 fill = pb_new_fill(pb, p), i, want = 0, n, cand[PB_CANDIDATES];
	__u64 *s = v->grant_new + p * CGNAT_NEW_DEPTH;
	int filled = 0;
	long addr;

	for (i = 0; i < fill; i++)
		want += !__atomic_load_n(&s[i], __ATOMIC_ACQUIRE);
	n = want ? candidates(pb, p, want, cand) : 0;
	for (i = 0; i < fill && n; i++) {
		if (__atomic_load_n(&s[i], __ATOMIC_ACQUIRE))
			continue;
		addr = least_loaded(pb, p, cand, n);
		if (addr < 0) {	/* they ran out of free blocks */
			n = candidates(pb, p, fill - i, cand);
			addr = least_loaded(pb, p, cand, n);
		}
		if (addr < 0)
			break;
		filled += grant(pb, v,
				nslots_addr(pb) + p * CGNAT_NEW_DEPTH + i, addr,
				1);
	}
	return filled;
}

/* Order matters when blocks are scarce: one growth block per address,
 * then first blocks for new subscribers, then deeper growth stock. A
 * small pool thus never spends all its blocks on growth while new
 * subscribers find none.
 */
int pb_refill(struct pb *pb, const struct pb_views *v)
{
	int filled = refill_growth(pb, v, 0, 1);
	__u32 p;

	publish_fill(pb, v);
	for (p = 0; p < pb->n_pools; p++)
		filled += refill_first(pb, v, p);
	filled += refill_growth(pb, v, 1, CGNAT_GRANT_DEPTH);
	publish_dry(pb, v, 0);
	return filled;
}
