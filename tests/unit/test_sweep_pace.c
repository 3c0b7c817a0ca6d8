// SPDX-License-Identifier: GPL-2.0
/*
 * test_sweep_pace.c - the sweep's interval and pace (bpf/sweep_pace.c):
 * the interval follows the mean remaining lifetime of the live sessions
 * a pass saw, within 1 s and min(60 s, twice the shortest timer); a pass that
 * found a quarter or more expired halves it; a pass is spread over three
 * quarters of its interval, and small tables are read at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "bpf/loader.h"

static struct dp_sweep seen(__u64 live, __u64 left_ms, __u64 expired,
			    __u64 read)
{
	struct dp_sweep sw;

	memset(&sw, 0, sizeof(sw));
	sw.a.sessions_seen = live + expired;
	sw.a.sessions_expired = expired;
	sw.left_n = live;
	sw.left_ms_sum = live * left_ms;
	sw.read = read;
	return sw;
}

static void test_interval(void **st)
{
	struct sweep_pace p = { 0 };
	struct dp_sweep sw;

	(void)st;
	sweep_pace_cap(&p, 30000);	/* defaults: DNS's 30 s */
	assert_int_equal(p.interval_ms, 60000);
	/* UDP, 150 s left on average, in a large table. */
	sw = seen(1000000, 150000, 0, 2000000);
	sweep_pace_end(&p, &sw);
	assert_int_equal(p.interval_ms, 60000);
	sw = seen(1000000, 20000, 0, 2000000);
	sweep_pace_end(&p, &sw);
	assert_int_equal(p.interval_ms, 20000);
	sw = seen(750000, 20000, 250000, 2000000);	/* a quarter expired */
	sweep_pace_end(&p, &sw);
	assert_int_equal(p.interval_ms, 10000);
	sw = seen(1000000, 300, 0, 2000000);
	sweep_pace_end(&p, &sw);
	assert_int_equal(p.interval_ms, SWEEP_MIN_MS);
	/* A small table, or an empty one: every SWEEP_SMALL_MS. */
	sw = seen(1000, 150000, 0, 3000);
	sweep_pace_end(&p, &sw);
	assert_int_equal(p.interval_ms, SWEEP_SMALL_MS);
	sw = seen(0, 0, 0, 0);
	sweep_pace_end(&p, &sw);
	assert_int_equal(p.interval_ms, SWEEP_SMALL_MS);
	/* Empty tables of limits.sessions 1M (4M buckets) are small... */
	sw = seen(0, 0, 0, 0);
	sw.buckets = 4u << 20;
	sweep_pace_end(&p, &sw);
	assert_int_equal(p.interval_ms, SWEEP_SMALL_MS);
	/* ... those of 10M (64M buckets) are not: the cap, or the mean. */
	sw.buckets = 64u << 20;
	sweep_pace_end(&p, &sw);
	assert_int_equal(p.interval_ms, 60000);
	sw = seen(1000, 20000, 0, 3000);
	sw.buckets = 64u << 20;
	sweep_pace_end(&p, &sw);
	assert_int_equal(p.interval_ms, 20000);
	/* Few buckets, but a batch read that held the CPU 8.5 ms: not
	 * small either; 2 ms is.
	 */
	sw = seen(0, 0, 0, 0);
	sw.read_max_ns = 8500000;
	sweep_pace_end(&p, &sw);
	assert_int_equal(p.interval_ms, 60000);
	sw.read_max_ns = SWEEP_SMALL_READ_NS;
	sweep_pace_end(&p, &sw);
	assert_int_equal(p.interval_ms, SWEEP_SMALL_MS);
	sw = seen(1000, 20000, 0, 3000);
	sw.read_max_ns = 8500000;
	sweep_pace_end(&p, &sw);
	assert_int_equal(p.interval_ms, 20000);
	sweep_pace_cap(&p, 1500);		/* tests' short timers */
	assert_int_equal(p.interval_ms, 3000);
	sw = seen(1000, 150000, 0, 3000);
	sweep_pace_end(&p, &sw);
	assert_int_equal(p.interval_ms, 3000);
	sweep_pace_cap(&p, 400);
	assert_int_equal(p.cap_ms, SWEEP_MIN_MS);
}

/* The first pass: at once on reused maps, 5 s on (or the interval
 * when shorter) on new ones.
 */
static void test_first(void **st)
{
	struct sweep_pace p = { 0 };

	(void)st;
	sweep_pace_cap(&p, 30000);
	assert_int_equal(sweep_pace_first_ms(&p, 1000, 0), 1000);
	assert_int_equal(sweep_pace_first_ms(&p, 1000, 1),
			 1000 + SWEEP_SMALL_MS);
	sweep_pace_cap(&p, 1500);	/* 3 s interval */
	assert_int_equal(sweep_pace_first_ms(&p, 1000, 1), 4000);
}

static void test_allowed(void **st)
{
	struct sweep_pace p = { .interval_ms = 60000, .cap_ms = 60000,
				.entries = 45000000, .t0_ms = 1000 };

	(void)st;
	/* 45M entries over 45 s: 1M per second, one batch ahead. */
	assert_int_equal(sweep_pace_allowed(&p, 1000), CGNAT_SWEEP_CHUNK);
	assert_int_equal(sweep_pace_allowed(&p, 2000),
			 1000000 + CGNAT_SWEEP_CHUNK);
	assert_int_equal(sweep_pace_allowed(&p, 46000),
			 45000000 + CGNAT_SWEEP_CHUNK);
	/* Small: SWEEP_RATE_MIN per second at least. */
	p.entries = 1000;
	assert_int_equal(sweep_pace_allowed(&p, 2000),
			 SWEEP_RATE_MIN + CGNAT_SWEEP_CHUNK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interval),
		cmocka_unit_test(test_first),
		cmocka_unit_test(test_allowed),
	};

	return cmocka_run_group_tests_name("sweep_pace", tests, NULL, NULL);
}
