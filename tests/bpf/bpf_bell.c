// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_bell.c - the grant doorbell through BPF_PROG_TEST_RUN: a burst of
 * new subscribers rings once when it has taken half of the pool's
 * first-block slots and not again while that record waits; an empty set
 * of slots is counted (grant_new_empty) and rings; and the ring wakes
 * cgnatd's refill thread (daemon/refill.c), which stocks the slots long
 * before its period, so the next new subscriber goes through; bells that
 * find nothing to fill make it pause only when a set they named is empty.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>

#include "bpf/cgnat.skel.h"
#include "daemon/refill.h"
#include "tests/bpf/nat_util.h"

static int bell_fd(void)
{
	return bpf_map__fd(H.dp.skel->maps.cgnat_grant_bell);
}

/* The refill thread of a test, file-scope so that the teardown stops it
 * when an assertion left the test early (the thread must not outlive
 * the maps it reads, nor its test's stack).
 */
static pthread_mutex_t bell_lock = PTHREAD_MUTEX_INITIALIZER;
static struct refill bell_rf;
static int bell_rf_on;

static int setup_bell(void **st)
{
	(void)st;
	/* Four addresses of 1008 blocks (pool 0 keeps CGNAT_NEW_DEPTH
	 * first-block slots stocked), nothing stocked until the test says
	 * so, room for more subscribers than that.
	 */
	return h_load_sized(&H, 4, 64, 2, 0, 4096, 256);
}

/* One address of 252 blocks: CGNAT_NEW_DEPTH_MIN slots stocked. */
static int setup_bell_small(void **st)
{
	(void)st;
	return h_load_sized(&H, 1, 256, 2, 0, 4096, 256);
}

static int teardown_bell(void **st)
{
	if (bell_rf_on)
		refill_stop(&bell_rf);
	bell_rf_on = 0;
	return teardown(st);
}

/* Starts the test's refill thread: 'fn' on a bell, 'empty' its rule. */
static struct refill *bell_start(refill_fn fn, refill_empty_fn empty)
{
	assert_int_equal(refill_start(&bell_rf, bell_fd(), &bell_lock, fn,
				      empty, NULL, 600000),
			 0);
	bell_rf_on = 1;
	return &bell_rf;
}

/* One packet from a new subscriber 100.64.3.n; returns the action. */
static int new_sub(int n)
{
	char src[32];
	struct pkt_spec s;
	uint8_t out[512];
	size_t olen;

	snprintf(src, sizeof(src), "100.64.3.%d", n);
	s = spec(17, src, 5000, S1, 7, H_INSIDE);
	return run(H_INSIDE, &s, out, &olen);
}

static int count_rec(void *ctx, void *data, size_t len)
{
	(void)data;
	(void)len;
	++*(int *)ctx;
	return 0;
}

/* Stocks the slots; returns how many pool 0 keeps, as the data plane
 * reads it.
 */
static int stock_pool0(void)
{
	pb_refill(&H.pb, &H.pv);
	return (int)H.pv.grant_new[CGNAT_NEW_FILL];
}

/* The bell rings at half the slots the pool keeps stocked: at the 32nd
 * new subscriber of a large pool, at the 8th of a small one.
 */
static void test_bell_once_per_burst(void **st)
{
	struct ring_buffer *rb;
	int i, recs = 0, fill = stock_pool0();

	(void)st;
	assert_int_equal(fill, H.o.n_addrs == 1 ? CGNAT_NEW_DEPTH_MIN :
						  CGNAT_NEW_DEPTH);
	for (i = 1; i < fill / 2; i++)
		assert_int_equal(new_sub(i), XDP_REDIRECT);
	assert_int_equal(h_stat(&H, STAT_GRANT_BELL), 0);
	/* Half the slots taken: ring, then stay quiet while it waits. */
	assert_int_equal(new_sub(i++), XDP_REDIRECT);
	assert_int_equal(h_stat(&H, STAT_GRANT_BELL), 1);
	for (; i <= fill; i++)
		assert_int_equal(new_sub(i), XDP_REDIRECT);
	assert_int_equal(h_stat(&H, STAT_GRANT_BELL), 1);
	assert_int_equal(h_stat(&H, STAT_GRANT_NEW_EMPTY), 0);
	/* The pool has blocks left: a refill on its way, not an empty
	 * pool (no event, no ICMP).
	 */
	assert_int_equal(new_sub(i++), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_GRANT_NEW_EMPTY), 1);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_GRANT_WAIT), 1);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_POOL_EMPTY), 0);
	assert_int_equal(h_stat(&H, STAT_GRANT_BELL), 1);
	rb = ring_buffer__new(bell_fd(), count_rec, &recs, NULL);
	assert_non_null(rb);
	assert_int_equal(ring_buffer__consume(rb), 1);
	/* Read: the next one finding the slots empty rings again. */
	assert_int_equal(new_sub(i), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_GRANT_BELL), 2);
	assert_int_equal(h_stat(&H, STAT_GRANT_ADDR_EMPTY), 0);
	ring_buffer__free(rb);
}

static int stock(void *ctx)
{
	(void)ctx;
	return pb_refill(&H.pb, &H.pv);
}

static __u64 runs(struct refill *rf)
{
	return __atomic_load_n(&rf->runs, __ATOMIC_RELAXED);
}

/* Pool 0's first-block slots hold no grant (the thread's 'empty'). */
static int slots_empty(void *ctx, __u32 kind, __u32 idx)
{
	int i;

	(void)ctx;
	(void)kind;
	(void)idx;
	for (i = 0; i < CGNAT_NEW_DEPTH; i++)
		if (__atomic_load_n(&H.pv.grant_new[i], __ATOMIC_ACQUIRE))
			return 0;
	return 1;
}

/* What the refill thread's function finds when the main loop has just
 * refilled, or when nothing is left: nothing to fill.
 */
static int fill_none(void *ctx)
{
	(void)ctx;
	return 0;
}

static int dry;	/* the test's answer to 'empty' */

static int say_dry(void *ctx, __u32 kind, __u32 idx)
{
	(void)ctx;
	(void)kind;
	(void)idx;
	return __atomic_load_n(&dry, __ATOMIC_RELAXED);
}

/* One new subscriber that rings, and the thread's run after it. */
static void ring_and_run(struct refill *rf, int n)
{
	__u64 r0 = runs(rf);
	int tries;

	assert_int_equal(new_sub(n), XDP_REDIRECT);
	for (tries = 0; tries < 300 && runs(rf) == r0; tries++)
		usleep(10000);
	assert_true(runs(rf) > r0);
}

/* Bells that find nothing to fill make the thread pause only when a set
 * they named is still empty (exhausted): after a refill by the main loop
 * it stays at the next bell. Here the thread's function fills nothing
 * and 'empty' says what the test wants.
 */
static void test_quiet_only_when_dry(void **st)
{
	int i, tries, fill = stock_pool0();
	struct refill *rf;

	(void)st;
	__atomic_store_n(&dry, 0, __ATOMIC_RELAXED);
	rf = bell_start(fill_none, say_dry);
	for (i = 1; i < fill / 2; i++)
		assert_int_equal(new_sub(i), XDP_REDIRECT);
	/* Each of the next takes from the second half and rings (the last
	 * record was read): three wakes that filled nothing, slots left.
	 */
	for (; i < fill / 2 + 3; i++)
		ring_and_run(rf, i);
	assert_int_equal(__atomic_load_n(&rf->quiets, __ATOMIC_RELAXED), 0);
	/* The same with the named set empty: the second such wake pauses. */
	__atomic_store_n(&dry, 1, __ATOMIC_RELAXED);
	ring_and_run(rf, i++);
	ring_and_run(rf, i++);
	for (tries = 0; tries < 300 &&
	     !__atomic_load_n(&rf->quiets, __ATOMIC_RELAXED); tries++)
		usleep(10000);
	assert_true(__atomic_load_n(&rf->quiets, __ATOMIC_RELAXED) >= 1);
}

static void test_bell_wakes_refill(void **st)
{
	int i, tries, fill = stock_pool0();
	struct refill *rf;

	(void)st;
	/* A period far beyond the test (bell_start): only the bell can
	 * wake it.
	 */
	rf = bell_start(stock, slots_empty);
	for (i = 1; i <= fill; i++)
		assert_int_equal(new_sub(i), XDP_REDIRECT);
	for (tries = 0; tries < 200 && !runs(rf); tries++)
		usleep(10000);
	assert_true(runs(rf) >= 1);
	assert_true(__atomic_load_n(&rf->bells, __ATOMIC_RELAXED) >= 1);
	/* No lock needed to look: the slots are shared memory. */
	for (tries = 0; tries < 200 && !H.pv.grant_new[0]; tries++)
		usleep(10000);
	assert_int_equal(new_sub(i), XDP_REDIRECT);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_POOL_EMPTY), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bell_once_per_burst,
						setup_bell, teardown_bell),
		{ "test_bell_once_per_burst_small_pool",
		  test_bell_once_per_burst, setup_bell_small, teardown_bell,
		  NULL },
		cmocka_unit_test_setup_teardown(test_bell_wakes_refill,
						setup_bell, teardown_bell),
		cmocka_unit_test_setup_teardown(test_quiet_only_when_dry,
						setup_bell, teardown_bell),
	};

	if (h_netns())
		return 1;
	return cmocka_run_group_tests_name("bell", tests, NULL, NULL);
}
