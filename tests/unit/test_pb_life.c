// SPDX-License-Identifier: GPL-2.0
/*
 * test_pb_life.c - the block lifecycle with injected time over simulated
 * shared arrays (subscriber slots, port bitmaps, block table): idle
 * release and keep_last, the release race with the data plane, quarantine
 * gated on the log, its cap, lifetime drain, interim and threshold events,
 * and a restart that keeps pinned quarantines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "allocator/pb.h"

#define NADDR 2
#define BPA 4
#define BS 64

struct world {
	struct pb pb;
	__u64 ga[NADDR * CGNAT_GRANT_DEPTH];
	__u64 gn[CGNAT_GRANT_NEW_WORDS];
	struct cgnat_block blocks[NADDR * BPA];
	struct cgnat_sub subs[4];
	struct cgnat_portmap ports[NADDR * CGNAT_NPROTO];
	__be32 addrs[NADDR];
	struct pb_views v;
	__u32 pools[NADDR];
	struct pb_now now;
};

static struct world *W;

static const struct pb_policy policy = {
	.idle_release_ms = 1000, .keep_last_ms = 0, .lifetime_ms = 0,
	.quarantine_ms = 120000, .interim_ms = 0, .max_blocks = 4,
	.pool_high = 50, .pool_low = 25, .sub_high = 75,
};

static int setup(void **st)
{
	(void)st;
	W = calloc(1, sizeof(*W));
	W->v = (struct pb_views){ .grant_addr = W->ga, .grant_new = W->gn,
				  .blocks = W->blocks, .subs = W->subs,
				  .n_subs = 4, .ports = W->ports,
				  .addrs = W->addrs };
	W->addrs[0] = 0x017100cb;
	W->addrs[1] = 0x027100cb;
	W->now.ms = 1000;
	W->now.tai_ns = 77;
	if (pb_init(&W->pb, NADDR, BPA, W->pools, 1))
		return -1;
	pb_set_policy(&W->pb, &policy, 1024, BS);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	pb_free(&W->pb);
	free(W);
	return 0;
}

/* The data plane gives block 'id' to subscriber 'si' in slot 'slot'. */
static void assign(__u32 id, __u32 si, __u32 slot)
{
	W->blocks[id].owner = si + 1;
	W->blocks[id].sub_addr = 0x0a004064 + si;
	W->subs[si].addr = W->blocks[id].sub_addr;
	W->subs[si].block[slot] = id + 1;
	pb_set_state(&W->pb, id, PB_ASSIGNED);
}

static void set_port(__u32 id, int on)
{
	__u32 port = 1024 + (id % BPA) * BS + 3;
	__u64 *w = &W->ports[(id / BPA) * CGNAT_NPROTO + CGNAT_P_UDP].w[port / 64];

	if (on)
		*w |= 1ull << (port % 64);
	else
		*w &= ~(1ull << (port % 64));
}

static void scan_at(__u64 ms)
{
	W->now.ms = ms;
	pb_scan(&W->pb, &W->v, &W->now);
}

static int count(__u32 type)
{
	__u32 i;
	int n = 0;

	for (i = 0; i < W->pb.out_n; i++)
		n += W->pb.out[i].type == type;
	return n;
}

static void test_idle_release_timing(void **st)
{
	(void)st;
	assign(1, 0, 0);
	set_port(1, 1);
	scan_at(1000);
	set_port(1, 0);
	scan_at(2000);		/* empty from now */
	scan_at(2999);
	assert_int_equal(count(EVT_BLOCK_RELEASED), 0);
	scan_at(3000);
	assert_int_equal(count(EVT_BLOCK_RELEASED), 1);
	assert_int_equal(W->pb.out[0].port_first, 1024 + BS);
	assert_int_equal(W->pb.out[0].port_last, 1024 + 2 * BS - 1);
	assert_int_equal(W->pb.out[0].ext_addr, W->addrs[0]);
	assert_int_equal(W->pb.out[0].sub_addr, 0x0a004064);
	assert_int_equal(W->pb.out[0].time_tai_ns, 77);
	assert_int_equal(W->blocks[1].owner, 0);
	assert_int_equal(W->blocks[1].released_tai_ns, 77);
	assert_int_equal(W->blocks[1].quarantine_until_ns,
			 (3000 + 120000) * 1000000ull);
	assert_int_equal(W->subs[0].block[0], 0);
}

/* The release is logged when the subscriber really stopped using the
 * block (the last use its mappings' deleters stamped), not when a scan
 * came round to it; its idle time counts from then too. A stamp from
 * before the assignment (another holder's) or from the future is not
 * believed: the release then says now.
 */
static void scan_tai(__u64 ms)
{
	W->now.tai_ns = (ms + 5000) * 1000000ull;	/* TAI runs ahead */
	scan_at(ms);
}

static void test_release_at_last_use(void **st)
{
	(void)st;
	assign(1, 0, 0);
	assign(2, 1, 0);
	W->blocks[1].assigned_tai_ns = (1000 + 5000) * 1000000ull;
	W->blocks[2].assigned_tai_ns = (1000 + 5000) * 1000000ull;
	set_port(1, 1);
	set_port(2, 1);
	scan_tai(1000);
	/* Its last mapping's timer ran out at 1500; the sweep freed the
	 * port later; block 2's stamp is older than its assignment.
	 */
	W->blocks[1].last_use_tai_ns = (1500 + 5000) * 1000000ull;
	W->blocks[2].last_use_tai_ns = (500 + 5000) * 1000000ull;
	set_port(1, 0);
	set_port(2, 0);
	scan_tai(2400);		/* idle 900 ms since its last use */
	assert_int_equal(count(EVT_BLOCK_RELEASED), 0);
	scan_tai(2600);		/* 1100 ms: released, dated 1500 */
	assert_int_equal(count(EVT_BLOCK_RELEASED), 1);
	assert_int_equal(W->pb.out[0].block, 1);
	assert_int_equal(W->pb.out[0].time_tai_ns,
			 (1500 + 5000) * 1000000ull);
	assert_int_equal(W->blocks[1].released_tai_ns,
			 (1500 + 5000) * 1000000ull);
	/* Block 2: idle from when a scan saw it empty, dated now. */
	scan_tai(3300);		/* empty since the scan at 2400 */
	assert_int_equal(count(EVT_BLOCK_RELEASED), 1);
	scan_tai(3400);
	assert_int_equal(count(EVT_BLOCK_RELEASED), 2);
	assert_int_equal(W->pb.out[1].block, 2);
	assert_int_equal(W->pb.out[1].time_tai_ns,
			 (3400 + 5000) * 1000000ull);
}

static void test_keep_last_block(void **st)
{
	struct pb_policy p = policy;

	(void)st;
	p.keep_last_ms = 5000;
	pb_set_policy(&W->pb, &p, 1024, BS);
	assign(0, 0, 0);
	assign(1, 0, 1);
	set_port(0, 1);		/* block 0 in use, block 1 empty */
	scan_at(1000);
	scan_at(2000);
	assert_int_equal(count(EVT_BLOCK_RELEASED), 1);	/* not the last */
	set_port(0, 0);
	scan_at(3000);
	scan_at(8999);		/* last block: idle 1 s + keep 5 s */
	assert_int_equal(count(EVT_BLOCK_RELEASED), 1);
	scan_at(9000);
	assert_int_equal(count(EVT_BLOCK_RELEASED), 2);
}

static void claim_port(__u32 block)
{
	set_port(block, 1);
}

static void test_release_race_keeps_block(void **st)
{
	(void)st;
	assign(2, 1, 0);
	scan_at(1000);		/* empty from now */
	/* A data-plane CPU claims a port right after the marker went in. */
	W->pb.on_marked = claim_port;
	scan_at(2000);
	assert_int_equal(count(EVT_BLOCK_RELEASED), 0);
	assert_int_equal(W->pb.races, 1);
	assert_int_equal(W->subs[1].block[0], 3);	/* slot restored */
	assert_int_equal(W->blocks[2].owner, 2);
}

static void test_quarantine_waits_for_log(void **st)
{
	(void)st;
	assign(1, 0, 0);
	scan_at(1000);
	scan_at(2000);
	assert_int_equal(W->pb.blk[1].state, PB_RELEASED);
	scan_at(1000000);	/* no log: stays released, never free */
	assert_int_equal(W->pb.blk[1].state, PB_RELEASED);
	W->now.ms = 1000000;
	pb_logged(&W->pb, 1, &W->now);
	assert_int_equal(W->pb.blk[1].state, PB_QUARANTINE);
	scan_at(1000000 + 119999);
	assert_int_equal(W->pb.blk[1].state, PB_QUARANTINE);
	scan_at(1000000 + 120000);
	assert_int_equal(W->pb.blk[1].state, PB_FREE);
}

static void test_max_quarantined(void **st)
{
	struct pb_policy p = policy;
	__u32 i;

	(void)st;
	p.max_quarantined = 2;
	pb_set_policy(&W->pb, &p, 1024, BS);
	for (i = 0; i < 3; i++) {
		assign(i, i, 0);
		W->now.ms = 100 * (i + 1);
		pb_scan(&W->pb, &W->v, &W->now);
	}
	scan_at(10000);
	scan_at(20000);
	for (i = 0; i < 3; i++) {
		W->now.ms = 20000 + i;
		pb_logged(&W->pb, i, &W->now);
	}
	scan_at(20010);
	assert_int_equal(W->pb.quarantined, 2);
	assert_int_equal(W->pb.blk[0].state, PB_FREE);	/* the oldest */
	assert_int_equal(W->pb.blk[2].state, PB_QUARANTINE);
}

static void test_lifetime_drains(void **st)
{
	struct pb_policy p = policy;

	(void)st;
	p.lifetime_ms = 60000;
	pb_set_policy(&W->pb, &p, 1024, BS);
	assign(1, 0, 0);
	set_port(1, 1);
	scan_at(1000);
	scan_at(60999);
	assert_int_equal(W->subs[0].block[0], 2);
	scan_at(61000);
	assert_int_equal(W->subs[0].block[0], 2 | CGNAT_BLOCK_DRAIN);
	set_port(1, 0);		/* its last mapping expires */
	scan_at(62000);
	scan_at(63000);
	assert_int_equal(count(EVT_BLOCK_RELEASED), 1);
}

static void test_interim_events(void **st)
{
	struct pb_policy p = policy;

	(void)st;
	p.interim_ms = 3600000;
	pb_set_policy(&W->pb, &p, 1024, BS);
	assign(5, 0, 0);
	set_port(5, 1);
	scan_at(1000);
	scan_at(1000 + 3599999);
	assert_int_equal(count(EVT_BLOCK_INTERIM), 0);
	scan_at(1000 + 3600000);
	assert_int_equal(count(EVT_BLOCK_INTERIM), 1);
	assert_int_equal(W->pb.out[0].ext_addr, W->addrs[1]);
	scan_at(1000 + 2 * 3600000);
	assert_int_equal(count(EVT_BLOCK_INTERIM), 2);
}

static void test_thresholds(void **st)
{
	__u32 i;

	(void)st;
	/* 8 blocks in the pool: 4 held = 50 % -> high; 2 held -> low. */
	for (i = 0; i < 4; i++) {
		assign(i, i, 0);
		set_port(i, 1);
	}
	scan_at(1000);
	assert_int_equal(count(EVT_POOL_HIGH), 1);
	assert_int_equal(W->pb.out[W->pb.out_n - 1].value, 50);
	scan_at(1100);
	assert_int_equal(count(EVT_POOL_HIGH), 1);	/* once per crossing */
	W->pb.out_n = 0;
	set_port(0, 0);
	set_port(1, 0);
	scan_at(2000);
	scan_at(3000);		/* both released: 25 % */
	assert_int_equal(count(EVT_BLOCK_RELEASED), 2);
	assert_int_equal(count(EVT_POOL_LOW), 1);
}

static void test_subscriber_high(void **st)
{
	(void)st;
	/* max_blocks 4, 75 %: the third block raises the event. */
	assign(0, 0, 0);
	set_port(0, 1);
	scan_at(1000);
	assign(1, 0, 1);
	set_port(1, 1);
	scan_at(1100);
	assert_int_equal(count(EVT_SUB_HIGH), 0);
	assign(2, 0, 2);
	set_port(2, 1);
	scan_at(1200);
	assert_int_equal(count(EVT_SUB_HIGH), 1);
	assert_int_equal(W->pb.out[W->pb.out_n - 1].sub_addr, 0x0a004064);
}

static void test_restart_keeps_quarantine(void **st)
{
	struct pb fresh;

	(void)st;
	assign(3, 0, 0);
	scan_at(1000);
	scan_at(2000);		/* released, quarantine until 122000 */
	assert_int_equal(pb_init(&fresh, NADDR, BPA, W->pools, 1), 0);
	pb_set_policy(&fresh, &policy, 1024, BS);
	pb_rebuild(&fresh, &W->v);
	W->now.ms = 50000;
	pb_rebuild_life(&fresh, &W->v, &W->now);
	assert_int_equal(fresh.blk[3].state, PB_QUARANTINE);
	pb_refill(&fresh, &W->v);
	for (int i = 0; i < NADDR * CGNAT_GRANT_DEPTH; i++)
		assert_int_not_equal(W->ga[i], 4);
	for (int i = 0; i < CGNAT_NEW_DEPTH; i++)
		assert_int_not_equal(W->gn[i], 4);
	W->now.ms = 122000;
	pb_scan(&fresh, &W->v, &W->now);
	assert_int_equal(fresh.blk[3].state, PB_FREE);
	pb_free(&fresh);
}

/* The cycle in slices (cgnatd's pace): a step visits at most its
 * count of held and resting blocks, in id order, from where the last
 * one stopped, and says when it reached the end. A block assigned since
 * the last turn waits for pb_scan_turn() (its clocks start there): a
 * step that reaches it first neither drains it nor counts it idle.
 */
static void test_scan_steps(void **st)
{
	struct pb_policy p = policy;

	(void)st;
	p.lifetime_ms = 500;
	pb_set_policy(&W->pb, &p, 1024, BS);
	assign(1, 0, 0);
	assign(6, 1, 0);
	W->now.ms = 100000;
	/* Fresh: no turn yet. A step ignores both (since_ms 0 would look
	 * like a lifetime long over) and walks past them to the end.
	 */
	assert_int_equal(pb_scan_step(&W->pb, &W->v, &W->now, 1), 0);
	assert_int_equal(W->pb.scan_next, 2);
	assert_int_equal(pb_scan_step(&W->pb, &W->v, &W->now, 1), 0);
	assert_int_equal(W->pb.scan_next, 7);
	assert_int_equal(pb_scan_step(&W->pb, &W->v, &W->now, 1), 1);
	assert_int_equal(W->pb.scan_next, 0);
	assert_int_equal(W->subs[0].block[0], 2);	/* not drained */
	assert_int_equal(W->pb.out_n, 0);
	pb_scan_turn(&W->pb, &W->v, &W->now);	/* clocks start: 100000 */
	assert_int_equal(W->pb.blk[1].since_ms, 100000);
	assert_int_equal(W->pb.blk[6].since_ms, 100000);
	/* 1 s on, both empty: the first step releases block 1 only. */
	W->now.ms = 101000;
	set_port(6, 0);
	assert_int_equal(pb_scan_step(&W->pb, &W->v, &W->now, 1), 0);
	assert_int_equal(count(EVT_BLOCK_RELEASED), 0);	/* empty from now */
	assert_int_equal(pb_scan_step(&W->pb, &W->v, &W->now, 5), 1);
	W->now.ms = 102000;
	assert_int_equal(pb_scan_step(&W->pb, &W->v, &W->now, 1), 0);
	assert_int_equal(count(EVT_BLOCK_RELEASED), 1);
	assert_int_equal(W->pb.out[0].block, 1);
	assert_int_equal(pb_scan_step(&W->pb, &W->v, &W->now, 1), 0);
	assert_int_equal(count(EVT_BLOCK_RELEASED), 2);
	assert_int_equal(pb_scan_step(&W->pb, &W->v, &W->now, 1), 1);
	/* Resting blocks are the cycle's too: logged at 102000, free once
	 * a step comes round after their 120 s.
	 */
	pb_logged(&W->pb, 1, &W->now);
	pb_logged(&W->pb, 6, &W->now);
	assert_int_equal(W->pb.resting.count, 2);
	assert_int_equal(W->pb.assigned.count, 0);
	W->now.ms = 102000 + 120000;
	assert_int_equal(pb_scan_step(&W->pb, &W->v, &W->now, 1), 0);
	assert_int_equal(W->pb.blk[1].state, PB_FREE);
	assert_int_equal(W->pb.blk[6].state, PB_QUARANTINE);
	assert_int_equal(pb_scan_step(&W->pb, &W->v, &W->now, 1), 0);
	assert_int_equal(W->pb.blk[6].state, PB_FREE);
	assert_int_equal(pb_scan_step(&W->pb, &W->v, &W->now, 1), 1);
	assert_int_equal(W->pb.resting.count, 0);
	assert_int_equal(pb_addr_free(&W->pb, 0), BPA);
	assert_int_equal(pb_addr_free(&W->pb, 1), BPA);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_idle_release_timing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_release_at_last_use, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_keep_last_block, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_release_race_keeps_block,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_quarantine_waits_for_log,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_quarantined, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lifetime_drains, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_interim_events, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_thresholds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_subscriber_high, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_scan_steps, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_restart_keeps_quarantine,
						setup, teardown),
	};

	return cmocka_run_group_tests_name("pb_life", tests, NULL, NULL);
}
