// SPDX-License-Identifier: GPL-2.0
/*
 * test_pb.c - the allocator core against simulated data-plane consumers:
 * grants land in empty slots only, placement is balanced (also for a
 * burst of new subscribers between two syncs), a block is in
 * at most one place at a time under every interleaving tried, grants the
 * data plane dropped are reclaimed after the limbo, and a restart rebuilds
 * the same picture from the shared arrays.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "allocator/pb.h"

#define NADDR 4
#define BPA 8

struct world {
	struct pb pb;
	__u64 ga[NADDR * CGNAT_GRANT_DEPTH];
	__u64 gn[CGNAT_GRANT_NEW_WORDS];
	struct cgnat_block blocks[NADDR * BPA];
	struct pb_views v;
	__u32 pools[NADDR];
};

static struct world *W;

static int setup(void **st)
{
	(void)st;
	W = calloc(1, sizeof(*W));
	W->v.grant_addr = W->ga;
	W->v.grant_new = W->gn;
	W->v.blocks = W->blocks;
	W->pools[3] = 1;	/* addresses 0-2 pool 0, address 3 pool 1 */
	return pb_init(&W->pb, NADDR, BPA, W->pools, 2);
}

static int teardown(void **st)
{
	(void)st;
	pb_free(&W->pb);
	free(W);
	return 0;
}

/* The data plane's view: take a slot (exchange), own the block. */
static __u32 dp_take(__u64 *slot, __u32 owner)
{
	__u64 v = __atomic_exchange_n(slot, 0, __ATOMIC_SEQ_CST);

	if (v && owner)
		W->blocks[v - 1].owner = owner;
	return (__u32)v;
}

/* Every block is in at most one place: a slot, or an owner. */
static void check_unique(void)
{
	int seen[NADDR * BPA] = { 0 };
	size_t i;

	for (i = 0; i < sizeof(W->ga) / 8; i++)
		if (W->ga[i])
			assert_int_equal(seen[W->ga[i] - 1]++, 0);
	for (i = 0; i < CGNAT_NEW_DRY; i++)	/* the slots, not the words */
		if (W->gn[i])
			assert_int_equal(seen[W->gn[i] - 1]++, 0);
	for (i = 0; i < NADDR * BPA; i++)
		if (W->blocks[i].owner)
			assert_int_equal(seen[i]++, 0);
}

static void test_refill_fills_empty_slots_only(void **st)
{
	int n;

	(void)st;
	n = pb_refill(&W->pb, &W->v);
	/* 4 growth slots per address, then new slots: 3 addresses of pool
	 * 0 have 4 free blocks left each, pool 1's address 4.
	 */
	assert_int_equal(n, NADDR * CGNAT_GRANT_DEPTH + 12 + 4);
	check_unique();
	assert_int_equal(pb_refill(&W->pb, &W->v), 0);
	assert_int_equal(pb_addr_free(&W->pb, 0), 0);
}

static void test_balanced_placement(void **st)
{
	int per_addr[NADDR] = { 0 };
	int i;

	(void)st;
	pb_refill(&W->pb, &W->v);
	for (i = 0; i < 6; i++) {
		__u64 v = W->gn[i];

		assert_true(v != 0);
		per_addr[(v - 1) / BPA]++;
	}
	/* Pool 0's first six first-block grants: two per address. */
	assert_int_equal(per_addr[0], 2);
	assert_int_equal(per_addr[1], 2);
	assert_int_equal(per_addr[2], 2);
	assert_int_equal(per_addr[3], 0);
	assert_int_equal((W->gn[CGNAT_NEW_DEPTH] - 1) / BPA, 3);
}

static void test_sync_assigns_and_places(void **st)
{
	__u32 b;

	(void)st;
	pb_refill(&W->pb, &W->v);
	b = dp_take(&W->gn[0], 1);
	assert_int_equal(pb_sync(&W->pb, &W->v, 1000), 1);
	assert_int_equal(W->pb.blk[b - 1].state, PB_ASSIGNED);
	assert_int_equal(W->pb.addr_subs[(b - 1) / BPA], 1);
	/* The next first block goes to a less loaded address. */
	pb_refill(&W->pb, &W->v);
	assert_int_not_equal((W->gn[0] - 1) / BPA, (b - 1) / BPA);
	check_unique();
}

static void test_no_double_grant_interleavings(void **st)
{
	unsigned seed = 12345, round, k;

	(void)st;
	/* Random interleavings of data-plane takes, sync and refill: the
	 * allocator never places a block that is in a slot or owned.
	 */
	for (round = 0; round < 2000; round++) {
		unsigned op = rand_r(&seed) % 4;

		if (op == 0) {
			pb_refill(&W->pb, &W->v);
		} else if (op == 1) {
			pb_sync(&W->pb, &W->v, round * 10);
		} else {
			k = rand_r(&seed) % (NADDR * CGNAT_GRANT_DEPTH +
					     CGNAT_NEW_DEPTH);
			if (k < NADDR * CGNAT_GRANT_DEPTH)
				dp_take(&W->ga[k], 1 + rand_r(&seed) % 50);
			else
				dp_take(&W->gn[k - NADDR * CGNAT_GRANT_DEPTH],
					1 + rand_r(&seed) % 50);
		}
		check_unique();
	}
}

static void test_lost_grant_reclaimed_after_limbo(void **st)
{
	__u32 b, free0;

	(void)st;
	pb_refill(&W->pb, &W->v);
	free0 = pb_addr_free(&W->pb, 0);
	b = dp_take(&W->ga[0], 0);	/* taken, never owned */
	assert_int_equal(pb_sync(&W->pb, &W->v, 1000), 0);
	assert_int_equal(W->pb.blk[b - 1].state, PB_GRANTED);
	pb_sync(&W->pb, &W->v, 1000 + PB_LIMBO_MS - 1);
	assert_int_equal(W->pb.blk[b - 1].state, PB_GRANTED);
	pb_sync(&W->pb, &W->v, 1000 + PB_LIMBO_MS);
	assert_int_equal(W->pb.blk[b - 1].state, PB_FREE);
	assert_int_equal(pb_addr_free(&W->pb, 0), free0 + 1);
	assert_int_equal(W->pb.lost, 1);
}

static void test_returned_grant_followed(void **st)
{
	__u32 b;

	(void)st;
	pb_refill(&W->pb, &W->v);
	b = dp_take(&W->gn[0], 0);
	/* The data plane returned it to a growth slot of its address. */
	W->ga[((b - 1) / BPA) * CGNAT_GRANT_DEPTH] = 0;
	W->ga[((b - 1) / BPA) * CGNAT_GRANT_DEPTH] = b;
	pb_sync(&W->pb, &W->v, 1000);
	pb_sync(&W->pb, &W->v, 1000 + 10 * PB_LIMBO_MS);
	assert_int_equal(W->pb.blk[b - 1].state, PB_GRANTED);
}

static void test_rebuild_after_restart(void **st)
{
	struct pb fresh;
	__u32 b1, b2;

	(void)st;
	pb_refill(&W->pb, &W->v);
	b1 = dp_take(&W->gn[0], 7);
	b2 = dp_take(&W->ga[5], 7);
	assert_int_equal(pb_init(&fresh, NADDR, BPA, W->pools, 2), 0);
	pb_rebuild(&fresh, &W->v);
	assert_int_equal(fresh.blk[b1 - 1].state, PB_ASSIGNED);
	assert_int_equal(fresh.blk[b2 - 1].state, PB_ASSIGNED);
	assert_int_equal(fresh.blk[W->ga[0] - 1].state, PB_GRANTED);
	/* Pool 0 is fully granted or owned: nothing may be granted again. */
	assert_int_equal(pb_refill(&fresh, &W->v), 0);
	pb_free(&fresh);
	check_unique();
}

/* Deterministic pool 1 (address 3): no first blocks, the region's
 * blocks never granted, a block held from before released into the
 * region, a wider hold during a change's quarantine given back after,
 * and a rebuild keeping all of it.
 */
static void test_det_reserve(void **st)
{
	__u32 i, id;

	(void)st;
	pb_pool_det(&W->pb, 1);
	W->blocks[3 * BPA + 1].owner = 7;	/* held from an earlier layout */
	pb_rebuild(&W->pb, &W->v);
	pb_reserve(&W->pb, 3, 6);		/* a held-back old region */
	assert_int_equal(pb_addr_free(&W->pb, 3), 2);
	pb_refill(&W->pb, &W->v);
	for (i = 0; i < CGNAT_NEW_DEPTH; i++)
		assert_int_equal(W->gn[CGNAT_NEW_DEPTH + i], 0);
	for (i = 0; i < CGNAT_GRANT_DEPTH; i++) {
		id = (__u32)W->ga[3 * CGNAT_GRANT_DEPTH + i];
		assert_true(!id || (id - 1) % BPA >= 6);
	}
	/* The held block, released, rests in the region. */
	W->blocks[3 * BPA + 1].owner = 0;
	pb_set_state(&W->pb, 3 * BPA + 1, PB_FREE);
	assert_int_equal(W->pb.blk[3 * BPA + 1].state, PB_DET);
	/* The quarantine over: back to the region's own end (block 4). */
	pb_reserve(&W->pb, 3, 4);
	assert_int_equal(W->pb.blk[3 * BPA + 4].state == PB_FREE ||
				 W->pb.blk[3 * BPA + 4].state == PB_GRANTED,
			 1);
	assert_int_equal(W->pb.blk[3 * BPA + 3].state, PB_DET);
	pb_refill(&W->pb, &W->v);
	for (i = 0; i < CGNAT_GRANT_DEPTH; i++) {
		id = (__u32)W->ga[3 * CGNAT_GRANT_DEPTH + i];
		assert_true(!id || (id - 1) % BPA >= 4);
	}
	pb_rebuild(&W->pb, &W->v);
	assert_int_equal(W->pb.blk[3 * BPA + 1].state, PB_DET);
	assert_int_equal(W->pb.blk[3 * BPA].state, PB_DET);
	check_unique();
}

#define BURST_BPA 64

/* Three addresses of BURST_BPA blocks, in the pools given. */
struct world3 {
	struct cgnat_block *blocks;
	__u64 ga[3 * CGNAT_GRANT_DEPTH];
	__u64 gn[CGNAT_GRANT_NEW_WORDS];
	__u64 ad[3];		/* the addresses' dry words */
	struct pb_views v;
	struct pb pb;
};

static struct world3 *world3_new(const __u32 *pools, __u32 n_pools)
{
	struct world3 *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	w->blocks = calloc(3 * BURST_BPA, sizeof(*w->blocks));
	assert_non_null(w->blocks);
	w->v.grant_addr = w->ga;
	w->v.grant_new = w->gn;
	w->v.addr_dry = w->ad;
	w->v.blocks = w->blocks;
	assert_int_equal(pb_init(&w->pb, 3, BURST_BPA, pools, n_pools), 0);
	return w;
}

static void world3_free(struct world3 *w)
{
	pb_free(&w->pb);
	free(w->blocks);
	free(w);
}

/* Three addresses of one pool, 64 blocks each; address 1 and 2 already
 * hold four subscribers each. Returns first-block grants per address
 * after 'rounds' refills, the data plane taking every first-block slot
 * between two refills without a sync in between (a burst).
 */
static void burst(unsigned rounds, __u32 *per_addr)
{
	__u32 pools[3] = { 0 }, owner = 100, i, r;
	struct world3 *w = world3_new(pools, 1);
	struct cgnat_block *blocks = w->blocks;
	struct pb_views v = w->v;
	__u64 *gn = w->gn;
	struct pb *pb = &w->pb;

	for (i = 0; i < 4; i++) {
		blocks[1 * BURST_BPA + i].owner = owner++;
		blocks[2 * BURST_BPA + i].owner = owner++;
	}
	pb_rebuild(pb, &v);
	for (r = 0; r < rounds; r++) {
		pb_refill(pb, &v);
		for (i = 0; i < pb_new_fill(pb, 0); i++) {
			__u64 b = __atomic_exchange_n(&gn[i], 0,
						      __ATOMIC_SEQ_CST);

			assert_true(b != 0);
			blocks[b - 1].owner = owner++;
			per_addr[(b - 1) / BURST_BPA]++;
		}
	}
	/* A sync after the burst turns every pending grant into a placed
	 * subscriber: the load stays what placement counted.
	 */
	pb_sync(pb, &v, 1000);
	for (i = 0; i < 3; i++) {
		assert_int_equal(pb->addr_pending[i], 0);
		assert_int_equal(pb->addr_subs[i], per_addr[i] + (i ? 4 : 0));
	}
	world3_free(w);
}

static void test_burst_spreads(void **st)
{
	__u32 per_addr[3] = { 0 };

	(void)st;
	/* One refill: address 0 catches up to four, then all three share
	 * the rest, instead of all sixteen going to address 0.
	 */
	burst(1, per_addr);
	assert_int_equal(per_addr[0], 8);
	assert_int_equal(per_addr[1], 4);
	assert_int_equal(per_addr[2], 4);
}

static void test_burst_spreads_across_refills(void **st)
{
	__u32 per_addr[3] = { 0 };

	(void)st;
	/* Two refills with no sync between (the refill thread racing a
	 * burst): the taken, not yet synced grants count too.
	 */
	burst(2, per_addr);
	assert_in_range(per_addr[0] + 0, 13, 14);
	assert_in_range(per_addr[1] + 4, 13, 14);
	assert_in_range(per_addr[2] + 4, 13, 14);
}

#define FILL_BPA 1008	/* blocks of 64 ports in 1024-65535 */

/* Stocked first-block slots of pool 'p'; fails on a gap (the data plane
 * takes the lowest first, so a refill leaves none).
 */
static __u32 stocked(const __u64 *gn, __u32 p)
{
	__u32 i, n = 0;

	for (i = 0; i < CGNAT_NEW_DEPTH; i++) {
		if (!gn[p * CGNAT_NEW_DEPTH + i])
			continue;
		assert_int_equal(i, n);
		n++;
	}
	return n;
}

/* The fill words (CGNAT_NEW_FILL): a pool keeps one first-block slot
 * stocked per CGNAT_NEW_PER_SLOT blocks, at least CGNAT_NEW_DEPTH_MIN
 * and at most CGNAT_NEW_DEPTH, and says so to the data plane; a pool
 * that shrinks frees the grants past its new fill, each block once.
 */
static void test_new_fill(void **st)
{
	__u32 pools[4] = { 0, 0, 1, 2 }, i, free0;
	struct cgnat_block *blocks = calloc(4 * FILL_BPA, sizeof(*blocks));
	__u64 gn[CGNAT_GRANT_NEW_WORDS] = { 0 }, ga[4 * CGNAT_GRANT_DEPTH] = { 0 };
	struct pb_views v = { .grant_addr = ga, .grant_new = gn,
			      .blocks = blocks };
	unsigned char *seen = calloc(4 * FILL_BPA, 1);
	struct pb pb;

	(void)st;
	assert_non_null(blocks);
	assert_non_null(seen);
	assert_int_equal(pb_init(&pb, 4, FILL_BPA, pools, 3), 0);
	pb_reserve(&pb, 3, FILL_BPA - 100);	/* pool 2: 100 blocks left */
	pb_refill(&pb, &v);
	assert_int_equal(pb_new_fill(&pb, 0), 2 * FILL_BPA / CGNAT_NEW_PER_SLOT);
	assert_int_equal(pb_new_fill(&pb, 1), FILL_BPA / CGNAT_NEW_PER_SLOT);
	assert_int_equal(pb_new_fill(&pb, 2), CGNAT_NEW_DEPTH_MIN);
	for (i = 0; i < CGNAT_MAX_POOLS; i++)
		assert_int_equal(gn[CGNAT_NEW_FILL + i],
				 i < 2 ? pb_new_fill(&pb, i) :
					 CGNAT_NEW_DEPTH_MIN);
	assert_int_equal(stocked(gn, 0), 63);
	assert_int_equal(stocked(gn, 1), 31);
	assert_int_equal(stocked(gn, 2), CGNAT_NEW_DEPTH_MIN);
	/* Pool 0 loses address 0 to a deterministic region: 31 slots. */
	free0 = pb_addr_free(&pb, 1);
	pb_reserve(&pb, 0, FILL_BPA);
	pb_refill(&pb, &v);
	assert_int_equal(gn[CGNAT_NEW_FILL + 0], 31);
	assert_int_equal(stocked(gn, 0), 31);
	/* The 32 grants past it are free again: no block in two places,
	 * none lost (refilled slots came from address 1 where they could).
	 */
	for (i = 0; i < CGNAT_NEW_DRY; i++)
		if (gn[i])
			assert_int_equal(seen[gn[i] - 1]++, 0);
	for (i = 0; i < 4 * CGNAT_GRANT_DEPTH; i++)
		if (ga[i])
			assert_int_equal(seen[ga[i] - 1]++, 0);
	for (i = 0; i < 4 * FILL_BPA; i++)
		assert_int_equal(pb.blk[i].state == PB_GRANTED, seen[i]);
	assert_true(pb_addr_free(&pb, 1) + 32 >= free0);
	pb_free(&pb);
	free(seen);
	free(blocks);
}

static void assert_dry(const __u64 *gn, int p0, int p1)
{
	__u32 p;

	assert_int_equal(gn[CGNAT_NEW_DRY + 0], p0);
	assert_int_equal(gn[CGNAT_NEW_DRY + 1], p1);
	for (p = 2; p < CGNAT_MAX_POOLS; p++)
		assert_int_equal(gn[CGNAT_NEW_DRY + p], 1);
}

/* The dry words (CGNAT_NEW_DRY): set for a pool whose free blocks are
 * all in slots or owned, clear while it has more; every pool dry while
 * grants are recalled; unused pool indexes always dry. Pool 0 has two
 * addresses of 64 blocks, pool 1 one. The addresses' words
 * (cgnat_addr_dry) follow the same rule for each address.
 */
static void test_dry_words(void **st)
{
	__u32 pools[3] = { 0, 0, 1 }, owner = 1, i, round;
	struct world3 *w = world3_new(pools, 2);
	struct cgnat_block *blocks = w->blocks;
	struct pb_views v = w->v;
	__u64 *gn = w->gn;
	struct pb *pb = &w->pb;

	(void)st;
	pb_rebuild(pb, &v);
	pb_refill(pb, &v);
	assert_dry(gn, 0, 0);
	/* Pool 1's new subscribers take every first block it has. */
	for (round = 0; round < BURST_BPA && pb_addr_free(pb, 2); round++) {
		for (i = 0; i < CGNAT_NEW_DEPTH; i++) {
			__u64 b = __atomic_exchange_n(
				&gn[CGNAT_NEW_DEPTH + i], 0, __ATOMIC_SEQ_CST);

			if (b)
				blocks[b - 1].owner = owner++;
		}
		pb_sync(pb, &v, 1000 + round);
		pb_refill(pb, &v);
	}
	assert_int_equal(pb_addr_free(pb, 2), 0);
	assert_dry(gn, 0, 1);
	assert_int_equal(w->ad[0] + w->ad[1] + w->ad[2], 1);
	assert_int_equal(w->ad[2], 1);
	pb_recall(pb, &v);
	assert_dry(gn, 1, 1);
	assert_int_equal(w->ad[0] + w->ad[1] + w->ad[2], 3);
	pb_refill(pb, &v);
	assert_dry(gn, 0, 1);
	assert_int_equal(w->ad[0] + w->ad[1], 0);
	assert_int_equal(w->ad[2], 1);
	pb_withdraw(pb, &v);
	assert_dry(gn, 1, 1);
	assert_int_equal(w->ad[0] + w->ad[1] + w->ad[2], 3);
	world3_free(w);
}

/* One pass picks a refill's candidates (the addresses that go first
 * when it begins), not one pass per slot: the loads it leaves must be
 * those of filling one slot at a time from the least loaded address.
 * 300 addresses with random loads, blocks to spare, random slots taken
 * between refills; compared as sorted loads (ties may go elsewhere).
 */
#define WF_ADDRS 300
#define WF_BPA 64

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static void test_refill_fills_the_least_loaded(void **st)
{
	static __u32 pools[WF_ADDRS], want[WF_ADDRS], got[WF_ADDRS];
	static __u64 ga[WF_ADDRS * CGNAT_GRANT_DEPTH],
		gn[CGNAT_GRANT_NEW_WORDS];
	static struct cgnat_block blocks[WF_ADDRS * WF_BPA];
	struct pb_views v = { .grant_addr = ga, .grant_new = gn,
			      .blocks = blocks };
	__u32 a, i, r, k, fill, m;
	struct pb pb;

	(void)st;
	srand(11);
	assert_int_equal(pb_init(&pb, WF_ADDRS, WF_BPA, pools, 1), 0);
	pb_refill(&pb, &v);
	fill = pb_new_fill(&pb, 0);
	for (r = 0; r < 30; r++) {
		/* New loads; the slots' grants are nobody's yet. */
		for (a = 0; a < WF_ADDRS; a++)
			pb.addr_subs[a] = rand() % 4 ? rand() % 6 : rand() % 40;
		for (i = 0; i < fill; i++)
			if (rand() % 3 && gn[i]) {
				pb.addr_pending[(gn[i] - 1) / WF_BPA]--;
				pb.blk[gn[i] - 1].first = 0;
				gn[i] = 0; /* taken, its owner never came */
			}
		for (a = 0; a < WF_ADDRS; a++)
			want[a] = pb.addr_subs[a] + pb.addr_pending[a];
		for (i = 0, k = 0; i < fill; i++)
			k += !gn[i];
		for (; k; k--) {	/* the reference: one slot at a time */
			for (a = 1, m = 0; a < WF_ADDRS; a++)
				m = want[a] < want[m] ? a : m;
			want[m]++;
		}
		pb_refill(&pb, &v);
		for (i = 0; i < fill; i++)
			assert_true(gn[i] != 0);
		for (a = 0; a < WF_ADDRS; a++)
			got[a] = pb.addr_subs[a] + pb.addr_pending[a];
		qsort(want, WF_ADDRS, sizeof(want[0]), cmp_u32);
		qsort(got, WF_ADDRS, sizeof(got[0]), cmp_u32);
		assert_memory_equal(want, got, sizeof(want));
	}
	pb_free(&pb);
}

/* A rebuild counts an address's subscribers, not its held blocks: a
 * subscriber holding three blocks there counts once, on each address
 * it holds blocks on.
 */
static void test_rebuild_counts_subscribers(void **st)
{
	(void)st;
	W->blocks[0].owner = 7;
	W->blocks[5].owner = 7;
	W->blocks[3].owner = 7;
	W->blocks[2].owner = 2;
	W->blocks[1 * BPA + 6].owner = 7;
	W->blocks[1 * BPA + 1].owner = 9;
	W->blocks[1 * BPA + 2].owner = 9;
	W->blocks[2 * BPA + 7].owner = 3;
	pb_rebuild(&W->pb, &W->v);
	assert_int_equal(W->pb.addr_subs[0], 2);
	assert_int_equal(W->pb.addr_subs[1], 2);
	assert_int_equal(W->pb.addr_subs[2], 1);
	assert_int_equal(W->pb.addr_subs[3], 0);
	assert_int_equal(pb_addr_free(&W->pb, 0), BPA - 4);
	assert_int_equal(W->pb.assigned.count, 8);
	assert_int_equal(W->pb.fresh.count, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_refill_fills_empty_slots_only, setup, teardown),
		cmocka_unit_test(test_refill_fills_the_least_loaded),
		cmocka_unit_test_setup_teardown(test_rebuild_counts_subscribers,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_balanced_placement, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sync_assigns_and_places,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_no_double_grant_interleavings, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_lost_grant_reclaimed_after_limbo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_returned_grant_followed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebuild_after_restart,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_det_reserve, setup,
						teardown),
		cmocka_unit_test(test_burst_spreads),
		cmocka_unit_test(test_burst_spreads_across_refills),
		cmocka_unit_test(test_dry_words),
		cmocka_unit_test(test_new_fill),
	};

	return cmocka_run_group_tests_name("pb", tests, NULL, NULL);
}
