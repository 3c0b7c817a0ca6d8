// SPDX-License-Identifier: GPL-2.0
/*
 * cmocka tests of central/ship_batch.c, the shipper's pure parts: the
 * COPY text of each kind of row (NULLs, escaping of a multi-line
 * configuration), seq order, the days a batch needs partitions for,
 * where to read after a mark, the backlog count and the backoff.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "central/ship_batch.h"

#define DAY SHIP_DAY_MS
#define T0 (20000 * DAY + 3600000) /* a day's 01:00 */
#define T0S "1728003600000"
#define T0S1M "1728003660000"

static struct store_ship_row row(int64_t seq, int op, int64_t t)
{
	struct store_ship_row r = {.seq = seq, .op = op, .time_ms = t};

	r.b.id = 7;
	r.b.instance = 1;
	r.b.pool_id = 2;
	strcpy(r.b.pool, "default");
	r.b.sub_addr = 0x6440000a;
	r.b.ext_addr = 0xcb007107;
	r.b.port_first = 1024;
	r.b.port_last = 1279;
	r.b.assigned_ms = T0;
	r.b.released_ms = op == STORE_SHIP_RELEASE ? t : STORE_MS_NONE;
	r.b.release_reason = op == STORE_SHIP_RELEASE ? 1 : 0;
	return r;
}

/* Line @n (0-based) of the batch, without its newline. */
static char *line(const struct ship_batch *b, int n)
{
	static char out[1024];
	const char *p = b->buf, *e;

	while (n--)
		p = memchr(p, '\n', b->len - (size_t)(p - b->buf)) + 1;
	e = memchr(p, '\n', b->len - (size_t)(p - b->buf));
	assert_non_null(e);
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return out;
}

static void test_rows(void **state)
{
	struct store_ship_row r;
	struct ship_batch b;
	char want[512];

	(void)state;
	ship_batch_init(&b);
	r = row(5, STORE_SHIP_ASSIGN, T0);
	r.b.id = 8; /* another holding: not closed in this batch */
	assert_int_equal(ship_batch_add(&b, &r), 0);
	r = row(6, STORE_SHIP_RELEASE, T0 + 60000);
	assert_int_equal(ship_batch_add(&b, &r), 0);
	r = row(7, STORE_SHIP_INTERIM, T0 + 120000);
	assert_int_equal(ship_batch_add(&b, &r), 0);
	r = row(8, STORE_SHIP_CONFIG, T0);
	r.config = "a:\n\tb: c\\d\r";
	assert_int_equal(ship_batch_add(&b, &r), 0);
	assert_int_equal(b.rows, 4);
	assert_int_equal(b.first_seq, 5);
	assert_int_equal(b.last_seq, 8);

	snprintf(want, sizeof(want),
		 "5\t1\t%lld\t8\t1\t2\tdefault\t1681915914\t3405803783\t1024\t"
		 "1279\t%lld\t\\N\t\\N",
		 (long long)T0, (long long)T0);
	assert_string_equal(line(&b, 0), want);
	snprintf(want, sizeof(want),
		 "6\t2\t%lld\t7\t1\t2\tdefault\t1681915914\t3405803783\t1024\t"
		 "1279\t%lld\t1\t\\N",
		 (long long)T0 + 60000, (long long)T0);
	assert_string_equal(line(&b, 1), want);
	/* An interim row names the holding by id; the rest is NULL. */
	snprintf(
		want, sizeof(want),
		"7\t3\t%lld\t7\t1\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N",
		(long long)T0 + 120000);
	assert_string_equal(line(&b, 2), want);
	/* The configuration is one line: newline, tab, backslash, CR
	 * escaped as COPY reads them. */
	snprintf(want, sizeof(want),
		 "8\t4\t%lld\t\\N\t1\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t"
		 "a:\\n\\tb: c\\\\d\\r",
		 (long long)T0);
	assert_string_equal(line(&b, 3), want);
	assert_int_equal(b.buf[b.len - 1], '\n');
	ship_batch_finish(&b); /* nothing to leave out */
	assert_string_equal(line(&b, 0),
			    "5\t1\t" T0S "\t8\t1\t2\tdefault\t"
			    "1681915914\t3405803783\t1024\t1279\t" T0S
			    "\t\\N\t\\N");
	ship_batch_free(&b);
}

static int lines(const struct ship_batch *b)
{
	size_t k;
	int n = 0;

	for (k = 0; k < b->len; k++)
		n += b->buf[k] == '\n';
	return n;
}

/* Assigned and released in one batch: only the release goes, as op 5
 * with the whole holding; other rows keep their order and ops. */
static void test_closed_in_batch(void **state)
{
	struct store_ship_row r;
	struct ship_batch b;
	const char *p;
	int i, n;

	(void)state;
	ship_batch_init(&b);
	r = row(5, STORE_SHIP_ASSIGN, T0);
	assert_int_equal(ship_batch_add(&b, &r), 0);
	r = row(6, STORE_SHIP_INTERIM, T0 + 500);
	assert_int_equal(ship_batch_add(&b, &r), 0);
	r = row(7, STORE_SHIP_ASSIGN, T0 + 600); /* id 9: stays open */
	r.b.id = 9;
	r.b.assigned_ms = T0 + 600;
	assert_int_equal(ship_batch_add(&b, &r), 0);
	r = row(8, STORE_SHIP_RELEASE, T0 + 60000);
	assert_int_equal(ship_batch_add(&b, &r), 0);
	r = row(9, STORE_SHIP_RELEASE, T0 + 70000); /* id 10: assigned before */
	r.b.id = 10;
	assert_int_equal(ship_batch_add(&b, &r), 0);
	ship_batch_finish(&b);
	assert_int_equal(b.rows, 5);
	assert_int_equal(b.first_seq, 5);
	assert_int_equal(b.last_seq, 9);
	assert_int_equal(lines(&b), 4);
	assert_memory_equal(line(&b, 0), "6\t3\t", 4);
	assert_memory_equal(line(&b, 1), "7\t1\t", 4);
	assert_string_equal(line(&b, 2),
			    "8\t5\t" T0S1M "\t7\t1\t2\tdefault\t"
			    "1681915914\t3405803783\t1024\t1279\t" T0S
			    "\t1\t\\N");
	assert_memory_equal(line(&b, 3), "9\t2\t", 4);

	/* The assign in an earlier batch: a plain release. */
	ship_batch_reset(&b);
	r = row(20, STORE_SHIP_RELEASE, T0 + 60000);
	r.b.id = 9;
	r.b.assigned_ms = T0 + 600;
	assert_int_equal(ship_batch_add(&b, &r), 0);
	ship_batch_finish(&b);
	assert_memory_equal(line(&b, 0), "20\t2\t", 5);

	/* Same block id, another assign time: not the same holding. */
	ship_batch_reset(&b);
	r = row(30, STORE_SHIP_ASSIGN, T0);
	assert_int_equal(ship_batch_add(&b, &r), 0);
	r = row(31, STORE_SHIP_RELEASE, T0 + 60000);
	r.b.assigned_ms = T0 - 1;
	assert_int_equal(ship_batch_add(&b, &r), 0);
	ship_batch_finish(&b);
	assert_int_equal(lines(&b), 2);
	assert_memory_equal(line(&b, 1), "31\t2\t", 5);

	/* Many, interleaved (the table grows): every assign left out. */
	ship_batch_reset(&b);
	for (i = 0; i < 30000; i++) {
		r = row(100 + 2 * i, STORE_SHIP_ASSIGN, T0);
		r.b.id = 1000 + i;
		assert_int_equal(ship_batch_add(&b, &r), 0);
		if (i < 10)
			continue;
		r = row(101 + 2 * i, STORE_SHIP_RELEASE, T0 + 1000);
		r.b.id = 1000 + i - 10;
		assert_int_equal(ship_batch_add(&b, &r), 0);
	}
	ship_batch_finish(&b);
	assert_int_equal(b.rows, 59990);
	assert_int_equal(lines(&b), 30000); /* 29990 closed + 10 open */
	for (p = b.buf, n = 0; p < b.buf + b.len; p = strchr(p, '\n') + 1)
		n += !strncmp(strchr(p, '\t'), "\t5\t", 3);
	assert_int_equal(n, 29990);
	ship_batch_free(&b);
}

static void test_order_and_reset(void **state)
{
	struct store_ship_row r = row(10, STORE_SHIP_ASSIGN, T0);
	struct ship_batch b;

	(void)state;
	ship_batch_init(&b);
	assert_int_equal(ship_batch_add(&b, &r), 0);
	assert_int_equal(ship_batch_add(&b, &r), -EINVAL); /* same seq */
	r.seq = 9;
	assert_int_equal(ship_batch_add(&b, &r), -EINVAL); /* going back */
	assert_int_equal(b.rows, 1);
	ship_batch_reset(&b);
	assert_int_equal(b.rows, 0);
	assert_int_equal(b.len, 0);
	assert_true(b.min_day > b.max_day);
	assert_int_equal(ship_batch_add(&b, &r), 0); /* a new batch */
	ship_batch_free(&b);
}

/* Many rows: the buffer grows and every line is there. */
static void test_grows(void **state)
{
	struct store_ship_row r;
	struct ship_batch b;
	int i, n = 0;
	size_t k;

	(void)state;
	ship_batch_init(&b);
	for (i = 1; i <= 20000; i++) {
		r = row(i, STORE_SHIP_ASSIGN, T0);
		assert_int_equal(ship_batch_add(&b, &r), 0);
	}
	for (k = 0; k < b.len; k++)
		n += b.buf[k] == '\n';
	assert_int_equal(n, 20000);
	ship_batch_free(&b);
}

/* Partitions: a short closed holding by its assign day, an interim row
 * by its own day; assigns, long holdings and configs need none. */
static void test_days(void **state)
{
	struct store_ship_row r;
	struct ship_batch b;

	(void)state;
	ship_batch_init(&b);
	r = row(1, STORE_SHIP_ASSIGN, T0 + 5 * DAY);
	ship_batch_add(&b, &r);
	r = row(2, STORE_SHIP_CONFIG, T0 - 9 * DAY);
	ship_batch_add(&b, &r);
	assert_true(b.min_day > b.max_day);
	r = row(3, STORE_SHIP_RELEASE, T0 + 2 * DAY); /* long: 2 days */
	ship_batch_add(&b, &r);
	assert_true(b.min_day > b.max_day);
	r = row(4, STORE_SHIP_RELEASE, T0 + DAY - 1); /* short, next day */
	ship_batch_add(&b, &r);
	assert_int_equal(b.min_day, T0 / DAY);
	assert_int_equal(b.max_day, T0 / DAY);
	r = row(5, STORE_SHIP_INTERIM, T0 + 3 * DAY);
	ship_batch_add(&b, &r);
	assert_int_equal(b.min_day, T0 / DAY);
	assert_int_equal(b.max_day, T0 / DAY + 3);
	ship_batch_free(&b);
}

static void test_marks(void **state)
{
	(void)state;
	/* Known mark: read after it, whatever is still queued. */
	assert_int_equal(ship_read_after(41, 1), 41);
	assert_int_equal(ship_read_after(0, 0), 0);
	/* Unknown (PostgreSQL never reached): all that is queued. */
	assert_int_equal(ship_read_after(-1, 100), 99);
	assert_int_equal(ship_read_after(-1, 0), 0);
	assert_int_equal(ship_rows_behind(150, 99), 51);
	assert_int_equal(ship_rows_behind(99, 99), 0);
	assert_int_equal(ship_rows_behind(5, 9), 0);
}

static void test_backoff(void **state)
{
	int d = 0, i;

	(void)state;
	assert_int_equal(ship_backoff_next(0), 500);
	assert_int_equal(ship_backoff_next(500), 1000);
	assert_int_equal(ship_backoff_next(8000), 16000);
	assert_int_equal(ship_backoff_next(16000), 30000);
	for (i = 0; i < 20; i++)
		d = ship_backoff_next(d);
	assert_int_equal(d, 30000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_closed_in_batch),
		cmocka_unit_test(test_order_and_reset),
		cmocka_unit_test(test_grows),
		cmocka_unit_test(test_days),
		cmocka_unit_test(test_marks),
		cmocka_unit_test(test_backoff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
