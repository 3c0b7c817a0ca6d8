// SPDX-License-Identifier: GPL-2.0
/*
 * test_evorder.c - the order of events across the per-CPU rings
 * (daemon/evorder.c): a session event whose block is not known waits for
 * the block's assign and follows it; what a full pass did not settle is
 * forced (a pass cut short forces nothing), as is everything at the
 * bound; a release goes after its
 * block's parked events; unrelated events and sessions of known blocks
 * are not held.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/evorder.h"

#define PORT_LO 1024
#define BS 64
#define BPA 4

static const __be32 addrs[2] = { 0x016433c6, 0x026433c6 }; /* 198.51.100.x */
static const struct evo_geom G = { .n_addrs = 2, .addrs = addrs,
				   .port_lo = PORT_LO, .block_size = BS,
				   .blocks_per_addr = BPA };

/* What was delivered: type and tag (a session's int_port, a block id). */
static struct { __u32 type, tag; } got[64];
static int n_got;
static struct evo O;

static void rec(void *ctx, const struct cgnat_event *e)
{
	const struct cgnat_sess_event *s = (const void *)e;

	(void)ctx;
	assert_true(n_got < 64);
	got[n_got].type = e->type;
	got[n_got].tag = e->type == EVT_BLOCK_ASSIGNED ? e->block
						       : ntohs(s->int_port);
	n_got++;
}

static void assign(__u32 block)
{
	struct cgnat_event e = { .type = EVT_BLOCK_ASSIGNED, .block = block,
				 .ext_addr = addrs[block / BPA] };

	e.port_first = PORT_LO + block % BPA * BS;
	e.port_last = e.port_first + BS - 1;
	evo_push(&O, &e);
}

/* A session (tag) on port 'off' of block 'block'. */
static void sess(__u32 type, __u32 block, __u32 off, __u16 tag)
{
	struct cgnat_sess_event s = { .type = type,
				      .ext_addr = addrs[block / BPA] };

	s.ext_port = htons(PORT_LO + block % BPA * BS + off);
	s.int_port = htons(tag);
	evo_push(&O, (const struct cgnat_event *)&s);
}

static void expect(int i, __u32 type, __u32 tag)
{
	assert_true(i < n_got);
	assert_int_equal(got[i].type, type);
	assert_int_equal(got[i].tag, tag);
}

static int setup(void **st)
{
	(void)st;
	n_got = 0;
	return evo_init(&O, &G, 8, rec, NULL);
}

static int teardown(void **st)
{
	(void)st;
	evo_free(&O);
	return 0;
}

static void test_straight_through(void **st)
{
	struct cgnat_event other = { .type = EVT_POOL_EMPTY };
	struct cgnat_sess_event stray = { .type = EVT_SESS_CREATE,
					  .ext_addr = 0x096433c6,
					  .ext_port = htons(2000),
					  .int_port = htons(9) };

	(void)st;
	assign(0);
	sess(EVT_SESS_CREATE, 0, 5, 1);
	evo_push(&O, &other);
	evo_push(&O, (const struct cgnat_event *)&stray);  /* not a pool addr */
	evo_known(&O, 6);	/* a deterministic region */
	sess(EVT_SESS_CREATE, 6, 0, 2);
	assert_int_equal(n_got, 5);
	expect(0, EVT_BLOCK_ASSIGNED, 0);
	expect(1, EVT_SESS_CREATE, 1);
	expect(2, EVT_POOL_EMPTY, 0);
	expect(3, EVT_SESS_CREATE, 9);
	expect(4, EVT_SESS_CREATE, 2);
	assert_int_equal(O.parked, 0);
	assert_int_equal(O.n, 0);
}

/* CPU B's session read before CPU A's assign: it follows the assign. */
static void test_parked_until_assign(void **st)
{
	(void)st;
	assign(0);
	evo_pass_begin(&O);
	sess(EVT_SESS_CREATE, 5, 1, 1);
	sess(EVT_SESS_CREATE, 5, 63, 2);
	sess(EVT_SESS_CREATE, 0, 1, 3);	/* known block: not held */
	assert_int_equal(n_got, 2);
	expect(1, EVT_SESS_CREATE, 3);
	assign(5);
	evo_pass_end(&O);
	assert_int_equal(n_got, 5);
	expect(2, EVT_BLOCK_ASSIGNED, 5);
	expect(3, EVT_SESS_CREATE, 1);
	expect(4, EVT_SESS_CREATE, 2);
	assert_int_equal(O.parked, 2);
	assert_int_equal(O.forced, 0);
	sess(EVT_SESS_DELETE, 5, 1, 4);	/* known now */
	assert_int_equal(n_got, 6);
}

/* A pass that began after the event was parked settles it. */
static void test_pass_end_forces(void **st)
{
	(void)st;
	evo_pass_begin(&O);
	sess(EVT_SESS_CREATE, 2, 0, 1);
	evo_pass_end(&O);	/* the assign may be in a ring read earlier */
	assert_int_equal(n_got, 0);
	evo_pass_begin(&O);
	sess(EVT_SESS_CREATE, 2, 1, 2);	/* same block: behind the first */
	sess(EVT_SESS_CREATE, 3, 0, 3);	/* parked in this pass: stays */
	evo_pass_end(&O);
	assert_int_equal(n_got, 2);
	expect(0, EVT_SESS_CREATE, 1);
	expect(1, EVT_SESS_CREATE, 2);
	assert_int_equal(O.forced, 1);
	assert_int_equal(O.n, 1);
	sess(EVT_SESS_CREATE, 2, 2, 4);	/* the block counts as known */
	assert_int_equal(n_got, 3);
	evo_pass_begin(&O);
	evo_pass_end(&O);
	assert_int_equal(n_got, 4);
	expect(3, EVT_SESS_CREATE, 3);
	assert_int_equal(O.parked, 3);
	assert_int_equal(O.forced, 2);
}

/* A pass cut short of a ring's end (the reader's budget) forces nothing:
 * the assign may wait behind the cut; the next full pass settles it, and
 * an assign read meanwhile delivers in order.
 */
static void test_cut_pass_forces_nothing(void **st)
{
	(void)st;
	evo_pass_begin(&O);
	sess(EVT_SESS_CREATE, 2, 0, 1);
	sess(EVT_SESS_CREATE, 3, 0, 2);
	evo_pass_end(&O);
	evo_pass_begin(&O);
	/* cut short: not ended; a full pass would have forced both */
	assert_int_equal(n_got, 0);
	assert_int_equal(O.forced, 0);
	evo_pass_begin(&O);
	assign(2);		/* read in the next pass, cut too */
	assert_int_equal(n_got, 2);
	expect(0, EVT_BLOCK_ASSIGNED, 2);
	expect(1, EVT_SESS_CREATE, 1);
	assert_int_equal(O.forced, 0);
	evo_pass_begin(&O);
	evo_pass_end(&O);	/* full: block 3's assign is not coming */
	assert_int_equal(n_got, 3);
	expect(2, EVT_SESS_CREATE, 2);
	assert_int_equal(O.forced, 1);
}

/* At the bound (8 here) everything parked is forced, in order. */
static void test_bound(void **st)
{
	__u16 i;

	(void)st;
	for (i = 0; i < 8; i++)
		sess(EVT_SESS_CREATE, i % 2 ? 1 : 7, i, i);
	assert_int_equal(n_got, 0);
	sess(EVT_SESS_CREATE, 4, 0, 100);
	assert_int_equal(n_got, 8);
	for (i = 0; i < 8; i++)
		expect(i, EVT_SESS_CREATE, i);
	assert_int_equal(O.forced, 2);	/* blocks 7 and 1, once each */
	assert_int_equal(O.n, 1);	/* the ninth waits */
	sess(EVT_SESS_CREATE, 1, 9, 101);	/* forced block: known */
	expect(8, EVT_SESS_CREATE, 101);
	assert_int_equal(O.parked, 9);
}

/* A release goes after its block's parked events, then the block is
 * unknown again until its next assign.
 */
static void test_release_order(void **st)
{
	(void)st;
	assign(3);
	sess(EVT_SESS_CREATE, 4, 0, 1);
	sess(EVT_SESS_CREATE, 5, 0, 2);
	evo_release(&O, 4);
	assert_int_equal(n_got, 2);
	expect(1, EVT_SESS_CREATE, 1);
	assert_int_equal(O.n, 1);	/* block 5's stays */
	evo_release(&O, 3);
	sess(EVT_SESS_CREATE, 3, 0, 3);
	sess(EVT_SESS_CREATE, 4, 0, 4);
	assert_int_equal(n_got, 2);
	assert_int_equal(O.n, 3);
	assign(3);
	expect(2, EVT_BLOCK_ASSIGNED, 3);
	expect(3, EVT_SESS_CREATE, 3);
	assert_int_equal(n_got, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_straight_through, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_parked_until_assign,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pass_end_forces, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cut_pass_forces_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_order, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
