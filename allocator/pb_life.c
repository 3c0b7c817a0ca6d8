// SPDX-License-Identifier: GPL-2.0
/*
 * pb_life.c - the port-block lifecycle: lifetime drain, idle release,
 * quarantine, interim and threshold events. Pure: it reads the shared
 * port bitmaps and subscriber slots, writes them only with atomics, and
 * takes the time as a parameter.
 *
 * Release handshake with the data plane: the slot holding the block is
 * swapped to CGNAT_BLOCK_RELEASING, then the block's port bits are read
 * again. The data plane claims a port (atomic or) and then re-reads the
 * slot. Both sides use fully ordered atomics, so either this side sees the
 * port and puts the slot back, or the data plane sees the marker and gives
 * the port back: a released block never carries a mapping.
 *
 * Ordering with the log: the release is written to the pinned block table
 * first (owner cleared, release time and quarantine end recorded), queued
 * as an event, and the block rests in PB_RELEASED until the log confirms
 * (pb_logged); only then does its quarantine start. After a crash the
 * table still says when it was released and until when it rests.
 */
#include <string.h>

#include "allocator/pb.h"

void pb_set_policy(struct pb *pb, const struct pb_policy *pol,
		   __u32 port_lo, __u32 block_size)
{
	pb->pol = *pol;
	pb->port_lo = port_lo;
	pb->block_size = block_size;
}

static int emit(struct pb *pb, const struct pb_views *v, __u32 type,
		__u32 id, __u32 value, __u64 tai_ns)
{
	struct cgnat_event *e;
	__u32 addr = id / pb->bpa, first;

	if (pb->out_n >= PB_OUTBOX)
		return -1;
	e = &pb->out[pb->out_n++];
	memset(e, 0, sizeof(*e));
	first = pb->port_lo + (id % pb->bpa) * pb->block_size;
	e->time_tai_ns = tai_ns;
	e->type = type;
	e->sub_addr = v->blocks[id].sub_addr;
	e->ext_addr = v->addrs ? v->addrs[addr] : 0;
	e->port_first = first;
	e->port_last = first + pb->block_size - 1;
	e->block = id;
	e->pool = pb->addr_pool[addr];
	e->value = value;
	return 0;
}

static int emit_pool(struct pb *pb, __u32 type, __u32 pool, __u32 pct,
		     __u64 tai_ns)
{
	struct cgnat_event *e;

	if (pb->out_n >= PB_OUTBOX)
		return -1;
	e = &pb->out[pb->out_n++];
	memset(e, 0, sizeof(*e));
	e->time_tai_ns = tai_ns;
	e->type = type;
	e->pool = pool;
	e->value = pct;
	return 0;
}

/* True when no protocol has a port of block 'id' in use. */
static int block_empty(const struct pb *pb, const struct pb_views *v,
		       __u32 id)
{
	__u32 addr = id / pb->bpa, w0, words = pb->block_size / 64, p, w;

	w0 = (pb->port_lo + (id % pb->bpa) * pb->block_size) / 64;
	for (p = 0; p < CGNAT_NPROTO; p++) {
		const __u64 *bm = v->ports[addr * CGNAT_NPROTO + p].w;

		for (w = w0; w < w0 + words; w++)
			if (__atomic_load_n(&bm[w], __ATOMIC_SEQ_CST))
				return 0;
	}
	return 1;
}

/* The subscriber slot holding block 'id' (plain or drained), or NULL. */
static __u32 *find_slot(const struct pb_views *v, __u32 id, __u32 *others)
{
	__u32 owner = __atomic_load_n(&v->blocks[id].owner, __ATOMIC_ACQUIRE);
	struct cgnat_sub *sub;
	__u32 *slot = NULL, i, val;

	*others = 0;
	if (!owner || owner > v->n_subs)
		return NULL;
	sub = &v->subs[owner - 1];
	for (i = 0; i < CGNAT_MAX_BLOCKS; i++) {
		val = __atomic_load_n(&sub->block[i], __ATOMIC_ACQUIRE);
		if ((val & ~CGNAT_BLOCK_DRAIN) == id + 1)
			slot = &sub->block[i];
		else if (val && val != CGNAT_BLOCK_RELEASING)
			(*others)++;
	}
	return slot;
}

static void drain_if_old(struct pb *pb, __u32 *slot, __u32 id, __u64 now)
{
	__u32 expect = id + 1;

	if (!pb->pol.lifetime_ms ||
	    now - pb->blk[id].since_ms < pb->pol.lifetime_ms)
		return;
	__atomic_compare_exchange_n(slot, &expect, (id + 1) | CGNAT_BLOCK_DRAIN,
				    0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/* When the subscriber really stopped using block 'id' (TAI ns): the last
 * use its mappings' deleters stamped in the block table (the end of the
 * last session's timer, cgnat_abi.h), or 'now' when none is recorded or
 * it cannot be right (before the assignment, after now).
 */
static __u64 last_use_tai(const struct pb_views *v, __u32 id,
			  const struct pb_now *now)
{
	const struct cgnat_block *b = &v->blocks[id];
	__u64 t = __atomic_load_n(&b->last_use_tai_ns, __ATOMIC_ACQUIRE);

	if (!t || t < b->assigned_tai_ns || t > now->tai_ns)
		return now->tai_ns;
	return t;
}

/* Tries to release block 'id' held in 'slot'. Returns 1 on release. */
static int try_release(struct pb *pb, const struct pb_views *v, __u32 *slot,
		       __u32 id, const struct pb_now *now, __u32 *reason)
{
	__u32 cur = __atomic_load_n(slot, __ATOMIC_SEQ_CST);
	struct cgnat_block *b = &v->blocks[id];

	*reason = cur & CGNAT_BLOCK_DRAIN ? CGNAT_REL_LIFETIME : CGNAT_REL_IDLE;
	if (!__atomic_compare_exchange_n(slot, &cur, CGNAT_BLOCK_RELEASING, 0,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return 0;
	if (pb->on_marked)
		pb->on_marked(id);
	if (!block_empty(pb, v, id)) {	/* lost the race: keep it */
		__atomic_store_n(slot, cur, __ATOMIC_SEQ_CST);
		pb->blk[id].empty_ms = 0;
		pb->races++;
		return 0;
	}
	b->released_tai_ns = last_use_tai(v, id, now);
	b->quarantine_until_ns = (now->ms + pb->pol.quarantine_ms) * 1000000;
	__atomic_store_n(&b->owner, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(slot, 0, __ATOMIC_SEQ_CST);
	pb_set_state(pb, id, PB_RELEASED);
	pb->released++;
	return 1;
}

/* Lifecycle of one assigned block. */
static void scan_assigned(struct pb *pb, const struct pb_views *v, __u32 id,
			  const struct pb_now *now)
{
	struct pb_block *b = &pb->blk[id];
	__u32 others, reason, *slot = find_slot(v, id, &others);
	__u64 idle = pb->pol.idle_release_ms;

	if (pb_bits_test(&pb->fresh, id))
		return;		/* its clocks start at the next turn */
	if (pb->pol.interim_ms && now->ms - b->interim_ms >= pb->pol.interim_ms &&
	    !emit(pb, v, EVT_BLOCK_INTERIM, id, 0, now->tai_ns))
		b->interim_ms = now->ms;
	if (!slot)
		return;		/* being added or released right now */
	drain_if_old(pb, slot, id, now->ms);
	if (!block_empty(pb, v, id)) {
		b->empty_ms = 0;
		return;
	}
	if (!b->empty_ms) {
		/* Idle since its last use, not since this scan noticed. */
		__u64 ago = (now->tai_ns - last_use_tai(v, id, now)) / 1000000;

		b->empty_ms = now->ms > ago ? now->ms - ago : 1;
	}
	if (!others)
		idle += pb->pol.keep_last_ms;
	if (now->ms - b->empty_ms < idle || pb->out_n >= PB_OUTBOX)
		return;
	if (try_release(pb, v, slot, id, now, &reason))
		emit(pb, v, EVT_BLOCK_RELEASED, id, reason,
		     v->blocks[id].released_tai_ns);
}

void pb_logged(struct pb *pb, __u32 block, const struct pb_now *now)
{
	if (block >= pb->n_addrs * pb->bpa || pb->blk[block].state != PB_RELEASED)
		return;
	pb->blk[block].since_ms = now->ms + pb->pol.quarantine_ms;
	pb_set_state(pb, block, PB_QUARANTINE);
}

/* A resting block whose quarantine is over becomes free. */
static void scan_resting(struct pb *pb, __u32 id, const struct pb_now *now)
{
	struct pb_block *b = &pb->blk[id];

	if (now->ms >= b->since_ms) {
		pb_set_state(pb, id, PB_FREE);
		memset(b, 0, sizeof(*b));
	}
}

/* The oldest resting blocks beyond the cap end their quarantine early
 * (RFC 6888 REQ-8 asks for both limits to be configurable).
 */
static void cap_resting(struct pb *pb)
{
	__u32 n = pb->n_addrs * pb->bpa, i, oldest;

	while (pb->pol.max_quarantined &&
	       pb->quarantined > pb->pol.max_quarantined) {
		oldest = n;
		for (i = pb_bits_next(&pb->resting, 0); i < n;
		     i = pb_bits_next(&pb->resting, i + 1))
			if (oldest == n ||
			    pb->blk[i].since_ms < pb->blk[oldest].since_ms)
				oldest = i;
		pb_set_state(pb, oldest, PB_FREE);
		memset(&pb->blk[oldest], 0, sizeof(pb->blk[oldest]));
	}
}

/* Pool high and low water marks, with hysteresis (natThresholdEvent). */
static void scan_thresholds(struct pb *pb, const struct pb_now *now)
{
	__u32 p, pct;

	for (p = 0; p < pb->n_pools; p++) {
		if (!pb->pool_blocks[p])
			continue;
		pct = (__u64)pb->pool_held[p] * 100 / pb->pool_blocks[p];
		if (!pb->pool_above[p] && pb->pol.pool_high &&
		    pct >= pb->pol.pool_high)
			pb->pool_above[p] = !emit_pool(pb, EVT_POOL_HIGH, p, pct,
						       now->tai_ns);
		else if (pb->pool_above[p] && pct <= pb->pol.pool_low)
			pb->pool_above[p] = !!emit_pool(pb, EVT_POOL_LOW, p,
							pct, now->tai_ns);
	}
}

/* A subscriber just reached subscriber_high percent of max_blocks. */
static void check_sub_high(struct pb *pb, const struct pb_views *v,
			   __u32 id, const struct pb_now *now)
{
	__u32 others, need;

	if (!pb->pol.sub_high || !pb->pol.max_blocks)
		return;
	need = (pb->pol.max_blocks * pb->pol.sub_high + 99) / 100;
	if (find_slot(v, id, &others) && others + 1 == need)
		emit(pb, v, EVT_SUB_HIGH, id, pb->pol.sub_high, now->tai_ns);
}

/* Blocks assigned since the last turn: their lifetime and interim
 * clocks start, and the subscriber's high-water mark is checked while
 * its other blocks are still the ones it had before this one.
 */
static void scan_fresh(struct pb *pb, const struct pb_views *v,
		       const struct pb_now *now)
{
	__u32 n = pb->n_addrs * pb->bpa, i;
	struct pb_block *b;

	for (i = pb_bits_next(&pb->fresh, 0); i < n;
	     i = pb_bits_next(&pb->fresh, i + 1)) {
		pb_bits_clear(&pb->fresh, i);
		b = &pb->blk[i];
		if (b->since_ms)
			continue;	/* rebuilt: no new threshold */
		check_sub_high(pb, v, i, now);
		b->since_ms = b->interim_ms = now->ms ? now->ms : 1;
	}
}

void pb_scan_turn(struct pb *pb, const struct pb_views *v,
		  const struct pb_now *now)
{
	scan_fresh(pb, v, now);
	cap_resting(pb);
	scan_thresholds(pb, now);
}

int pb_scan_step(struct pb *pb, const struct pb_views *v,
		 const struct pb_now *now, __u32 max)
{
	__u32 n = pb->n_addrs * pb->bpa, a, q;

	/* A visit takes at most the block it visits out of its set and
	 * puts none in ahead of it: each next member is looked up once.
	 */
	a = pb_bits_next(&pb->assigned, pb->scan_next);
	q = pb_bits_next(&pb->resting, pb->scan_next);
	while (max--) {
		if (a >= n && q >= n) {
			pb->scan_next = 0;
			return 1;
		}
		pb->scan_next = (a < q ? a : q) + 1;
		if (a < q) {
			scan_assigned(pb, v, a, now);
			a = pb_bits_next(&pb->assigned, pb->scan_next);
		} else {
			scan_resting(pb, q, now);
			q = pb_bits_next(&pb->resting, pb->scan_next);
		}
	}
	return 0;
}

void pb_scan(struct pb *pb, const struct pb_views *v, const struct pb_now *now)
{
	scan_fresh(pb, v, now);
	pb->scan_next = 0;
	pb_scan_step(pb, v, now, ~0u);
	cap_resting(pb);
	scan_thresholds(pb, now);
}

void pb_rebuild_life(struct pb *pb, const struct pb_views *v,
		     const struct pb_now *now)
{
	__u32 n = pb->n_addrs * pb->bpa, i;
	__u64 until;

	for (i = 0; i < n; i++) {
		if (pb->blk[i].state == PB_ASSIGNED)	/* no new threshold */
			pb->blk[i].since_ms = pb->blk[i].interim_ms = now->ms;
		if (pb->blk[i].state != PB_FREE || v->blocks[i].owner)
			continue;
		until = v->blocks[i].quarantine_until_ns / 1000000;
		if (until > now->ms) {
			pb_set_state(pb, i, PB_QUARANTINE);
			pb->blk[i].since_ms = until;
		}
	}
}
