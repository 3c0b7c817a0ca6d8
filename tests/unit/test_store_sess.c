// SPDX-License-Identifier: GPL-2.0
/*
 * cmocka tests of the per-session log (logger/store_sess.c, schema 006)
 * on real SQLite files: a create opens a row and its delete closes it
 * with both times, lookups by external endpoint and by subscriber follow
 * [start, end), a delete without its create is kept with an unknown
 * start, a reused key refuses a second open row, close-all, batches that
 * roll back, retention, and a version 5 file migrating with its blocks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "tests/unit/test_store_util.h"

#define REM_1 0xc6336407U /* 198.51.100.7 */
#define REM_2 0xc0000214U /* 192.0.2.20 */

static struct store_session mksess(uint32_t sub, uint16_t sport,
				   uint32_t ext, uint16_t eport, uint32_t rem,
				   uint16_t rport, uint8_t proto)
{
	struct store_session s = {
		.instance = 1, .proto = proto,
		.int_addr = sub, .int_port = sport,
		.ext_addr = ext, .ext_port = eport,
		.rem_addr = rem, .rem_port = rport,
		.start_ms = STORE_MS_NONE, .end_ms = STORE_MS_NONE,
	};
	return s;
}

struct sfound {
	struct store_session s[8];
	int n;
};

static int scollect(const struct store_session *s, void *ctx)
{
	struct sfound *f = ctx;

	if (f->n < 8)
		f->s[f->n] = *s;
	f->n++;
	return 0;
}

static int lookup(struct store *st, uint32_t ext, uint16_t port,
		  int64_t from, int64_t to, struct sfound *f)
{
	memset(f, 0, sizeof(*f));
	return store_sess_lookup(st, ext, port, from, to, scollect, f);
}

static int count(struct fixture *fx, const char *sql)
{
	sqlite3_stmt *s;
	sqlite3 *db;
	int n = -1;

	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

static void test_open_close(void **state)
{
	struct fixture *fx = *state;
	struct store_session s = mksess(SUB_A, 5000, EXT_1, 1025, REM_1, 53,
					17);
	struct sfound f;

	s.start_ms = T0;
	s.flags = 2;
	assert_int_equal(store_sess_open(fx->st, &s), 0);
	/* Live: found from its start on, end unknown. */
	assert_int_equal(lookup(fx->st, EXT_1, 1025, T0 - 1, T0 - 1, &f), 0);
	assert_int_equal(lookup(fx->st, EXT_1, 1025, T0, T0, &f), 1);
	assert_true(f.s[0].end_ms == STORE_MS_NONE);
	assert_int_equal(f.s[0].end_reason, STORE_SESS_OPEN);
	assert_int_equal(lookup(fx->st, EXT_1, 1026, T0, T0, &f), 0);
	/* The delete knows only the key: the rest comes from the open row. */
	s = mksess(0, 0, EXT_1, 1025, REM_1, 53, 17);
	assert_int_equal(store_sess_close(fx->st, &s, T0 + 300000,
					  STORE_SESS_EXPIRED), 0);
	assert_int_equal(count(fx, "SELECT count(*) FROM open_sessions"), 0);
	assert_int_equal(lookup(fx->st, EXT_1, 1025, T0 + 299999,
				T0 + 299999, &f), 1);
	assert_int_equal(f.s[0].int_addr, SUB_A);
	assert_int_equal(f.s[0].int_port, 5000);
	assert_int_equal(f.s[0].rem_addr, REM_1);
	assert_int_equal(f.s[0].rem_port, 53);
	assert_int_equal(f.s[0].proto, 17);
	assert_int_equal(f.s[0].flags, 2);
	assert_true(f.s[0].start_ms == T0);
	assert_true(f.s[0].end_ms == T0 + 300000);
	assert_int_equal(f.s[0].end_reason, STORE_SESS_EXPIRED);
	/* Half-open: gone at its end instant. */
	assert_int_equal(lookup(fx->st, EXT_1, 1025, T0 + 300000,
				T0 + 300000, &f), 0);
	assert_int_equal(lookup(fx->st, EXT_1, 1025, 0, T0, &f), 1);
}

#define L_MS 10800000LL /* the short/long threshold of schema 009 */

/* A session of the given length ending at its start + len; len < 0: its
 * create was never seen (unknown start, ends at T0 + at). */
static void ended(struct fixture *fx, uint32_t sub, uint32_t ext,
		  uint16_t port, uint16_t rport, int64_t at, int64_t len)
{
	struct store_session s = mksess(sub, 7000, ext, port, REM_1, rport,
					17);

	if (len >= 0) {
		s.start_ms = T0 + at;
		assert_int_equal(store_sess_open(fx->st, &s), 0);
	}
	assert_int_equal(store_sess_close(fx->st, &s,
					  T0 + at + (len < 0 ? 0 : len),
					  STORE_SESS_EXPIRED),
			 len < 0);
}

/* Short sessions are found by end second, long ones (three hours or
 * more, or an unknown start) by endpoint: at each edge of each class,
 * exactly once. */
static void test_short_and_long(void **state)
{
	struct fixture *fx = *state;
	struct sfound f;

	ended(fx, SUB_A, EXT_1, 1025, 1, 0, L_MS - 1);	/* short */
	ended(fx, SUB_A, EXT_1, 1026, 2, 0, L_MS);	/* long */
	ended(fx, SUB_A, EXT_1, 1027, 3, 0, 5 * L_MS);	/* long */
	ended(fx, SUB_A, EXT_1, 1028, 4, 4 * L_MS, -1);	/* unknown */
	assert_int_equal(count(fx, "SELECT count(*) FROM sessions INDEXED BY "
				   "sessions_ext_long WHERE start_ms IS NULL "
				   "OR end_ms - start_ms >= 10800000"), 3);
	assert_int_equal(count(fx, "SELECT count(*) FROM sessions INDEXED BY "
				   "sessions_ext_sec WHERE end_ms / 1000 >= 0"),
			 4);
	for (int p = 1025; p <= 1027; p++) {
		int64_t end = p == 1025 ? L_MS - 1 : p == 1026 ? L_MS
							       : 5 * L_MS;

		assert_int_equal(lookup(fx->st, EXT_1, p, T0 - 1, T0 - 1, &f),
				 0);
		assert_int_equal(lookup(fx->st, EXT_1, p, T0, T0, &f), 1);
		assert_int_equal(lookup(fx->st, EXT_1, p, T0 + end - 1,
					T0 + end - 1, &f), 1);
		assert_true(f.s[0].end_ms == T0 + end);
		assert_int_equal(lookup(fx->st, EXT_1, p, T0 + end, T0 + end,
					&f), 0);
		assert_int_equal(lookup(fx->st, EXT_1, p, 0, T0 + 6 * L_MS,
					&f), 1);
	}
	/* Unknown start: any instant before its end. */
	assert_int_equal(lookup(fx->st, EXT_1, 1028, 0, 0, &f), 1);
	assert_int_equal(lookup(fx->st, EXT_1, 1028, T0 + 4 * L_MS - 1,
				T0 + 4 * L_MS - 1, &f), 1);
	assert_int_equal(lookup(fx->st, EXT_1, 1028, T0 + 4 * L_MS,
				T0 + 4 * L_MS, &f), 0);
	/* By subscriber: all four just before the short one ends, then
	 * the long one of exactly three hours still, then two. */
	memset(&f, 0, sizeof(f));
	assert_int_equal(store_sess_history(fx->st, SUB_A, T0 + L_MS - 2,
					    T0 + L_MS - 2, scollect, &f),
			 4);
	memset(&f, 0, sizeof(f));
	assert_int_equal(store_sess_history(fx->st, SUB_A, T0 + L_MS - 1,
					    T0 + L_MS - 1, scollect, &f),
			 3);
	memset(&f, 0, sizeof(f));
	assert_int_equal(store_sess_history(fx->st, SUB_A, T0 + L_MS,
					    T0 + L_MS, scollect, &f),
			 2);
}

/* Rows stamped far from the rest (a wrong clock at boot) cost a query
 * nothing: an unbounded one enumerates only the seconds the log holds.
 * Counting every second from 1971 to 2100 would not end in a test's
 * time. */
static void test_far_rows(void **state)
{
	static const int64_t max_ms = 253402300799999LL; /* 9999-12-31 */
	struct fixture *fx = *state;
	struct store_session o = mksess(SUB_A, 7001, EXT_1, 1030, REM_1, 9,
					17);
	struct sfound f;

	ended(fx, SUB_A, EXT_1, 1030, 1, 0, 1000);
	ended(fx, SUB_A, EXT_1, 1030, 2, 4102444800000LL - T0, 1000);
	o.start_ms = 31536000000LL;	/* 1971 */
	assert_int_equal(store_sess_open(fx->st, &o), 0);
	memset(&f, 0, sizeof(f));
	assert_int_equal(store_sess_history(fx->st, SUB_A, 0, max_ms,
					    scollect, &f), 3);
	assert_true(f.s[0].start_ms == 31536000000LL);
	assert_true(f.s[2].end_ms == 4102444801000LL);
	assert_int_equal(lookup(fx->st, EXT_1, 1030, 0, max_ms, &f), 3);
	assert_int_equal(lookup(fx->st, EXT_1, 1030, 4102444800500LL,
				4102444800500LL, &f), 2);
}

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* The lookups against the same question asked of the tables row by row
 * (NOT INDEXED), on random sessions of every class, open ones included,
 * a quarter of them three days later than the rest, at random windows, at
 * each session's own edges, and at windows of more than a day (the
 * seconds enumerated from one held to the next). */
static void test_lookup_oracle(void **state)
{
	static const int64_t lens[] = { 0, 1, 999, 1000, 1001, L_MS - 1000,
					L_MS - 1, L_MS, L_MS + 1, 3 * L_MS };
	struct fixture *fx = *state;
	int64_t edge[300][2];
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	char sql[512];
	struct sfound f;
	int i, n;

	assert_int_equal(store_begin(fx->st), 0);
	for (i = 0; i < 300; i++) {
		uint32_t ext = rnd(&x) & 1 ? EXT_1 : EXT_2;
		uint32_t sub = rnd(&x) & 1 ? SUB_A : SUB_B;
		uint16_t port = 1025 + rnd(&x) % 3;
		int64_t at = (int64_t)(rnd(&x) % (4 * L_MS)) +
			     (i % 4 ? 0 : 3 * 86400000LL);
		int64_t len = rnd(&x) % 4 ? lens[rnd(&x) % 10]
					  : (int64_t)(rnd(&x) % L_MS);
		struct store_session s = mksess(sub, 7000, ext, port, REM_1,
						i, 17);

		edge[i][0] = T0 + at;
		edge[i][1] = T0 + at + len;
		if (i % 10 == 9) {	/* unknown start */
			assert_int_equal(store_sess_close(fx->st, &s,
							  T0 + at, 1), 1);
			continue;
		}
		s.start_ms = T0 + at;
		assert_int_equal(store_sess_open(fx->st, &s), 0);
		if (i % 10 != 8)	/* else still open */
			assert_true(store_sess_close(fx->st, &s,
						     T0 + at + len, 1) == 0);
	}
	assert_int_equal(store_commit(fx->st), 0);
	for (i = 0; i < 1400; i++) {
		uint32_t ext = i & 1 ? EXT_1 : EXT_2;
		uint32_t sub = i & 2 ? SUB_A : SUB_B;
		uint16_t port = 1025 + i % 3;
		int64_t from, to;

		if (i < 600) {	/* the edges of session i / 2 */
			int64_t e = edge[i / 2][i & 1];

			from = e - (i & 4 ? 1 : 0);
			to = i & 8 ? from : from + (int64_t)(rnd(&x) % L_MS);
		} else if (i >= 1200) {	/* more than a day: by next second */
			from = i & 4 ? 0 : T0 + (int64_t)(rnd(&x) % (4 * L_MS));
			to = from + 86400000LL +
			     (int64_t)(rnd(&x) % (3 * 86400000LL));
			if (i & 8)
				to = 253402300799999LL;	/* unbounded */
		} else {
			from = T0 - L_MS + (int64_t)(rnd(&x) % (6 * L_MS));
			to = i & 4 ? from
				   : from + (int64_t)(rnd(&x) % (2 * L_MS));
		}
		snprintf(sql, sizeof(sql),
			 "SELECT (SELECT count(*) FROM sessions NOT INDEXED "
			 "WHERE ext_addr = %u AND ext_port = %u AND end_ms > "
			 "%lld AND (start_ms IS NULL OR start_ms <= %lld)) + "
			 "(SELECT count(*) FROM open_sessions WHERE ext_addr "
			 "= %u AND ext_port = %u AND start_ms <= %lld)",
			 ext, port, (long long)from, (long long)to, ext, port,
			 (long long)to);
		n = count(fx, sql);
		assert_int_equal(lookup(fx->st, ext, port, from, to, &f), n);
		snprintf(sql, sizeof(sql),
			 "SELECT (SELECT count(*) FROM sessions NOT INDEXED "
			 "WHERE int_addr = %u AND end_ms > %lld AND (start_ms "
			 "IS NULL OR start_ms <= %lld)) + (SELECT count(*) "
			 "FROM open_sessions WHERE int_addr = %u AND start_ms "
			 "<= %lld)",
			 sub, (long long)from, (long long)to, sub,
			 (long long)to);
		n = count(fx, sql);
		assert_int_equal(store_sess_history(fx->st, sub, from, to, NULL,
						    NULL), n);
	}
}

static void test_history_and_protocols(void **state)
{
	struct fixture *fx = *state;
	struct store_session u = mksess(SUB_A, 5000, EXT_1, 1025, REM_1, 53,
					17);
	struct store_session t = mksess(SUB_A, 5000, EXT_1, 1025, REM_1, 53,
					6);
	struct store_session o = mksess(SUB_B, 6000, EXT_2, 2000, REM_2, 80,
					6);
	struct sfound f = {0};

	u.start_ms = T0;
	t.start_ms = T0 + 10;
	o.start_ms = T0 + 20;
	assert_int_equal(store_sess_open(fx->st, &u), 0);
	/* Same endpoints, other protocol: another session. */
	assert_int_equal(store_sess_open(fx->st, &t), 0);
	assert_int_equal(store_sess_open(fx->st, &o), 0);
	assert_int_equal(store_sess_close(fx->st, &u, T0 + 100,
					  STORE_SESS_EXPIRED), 0);
	assert_int_equal(store_sess_history(fx->st, SUB_A, 0, T0 + 1000,
					    scollect, &f), 2);
	assert_int_equal(f.s[0].proto, 17);
	assert_int_equal(f.s[1].proto, 6);
	memset(&f, 0, sizeof(f));
	assert_int_equal(store_sess_history(fx->st, SUB_A, T0 + 100,
					    T0 + 1000, scollect, &f), 1);
	assert_int_equal(f.s[0].proto, 6);
	memset(&f, 0, sizeof(f));
	assert_int_equal(store_sess_history(fx->st, SUB_B, 0, T0 + 1000,
					    scollect, &f), 1);
	assert_int_equal(f.s[0].ext_addr, EXT_2);
}

/* A delete whose create was lost: kept, start unknown, found up to its
 * end; a second open of a live key is refused. */
static void test_lost_create_and_reuse(void **state)
{
	struct fixture *fx = *state;
	struct store_session s = mksess(SUB_A, 5000, EXT_1, 1025, REM_1, 53,
					17);
	struct sfound f;

	assert_int_equal(store_sess_close(fx->st, &s, T0 + 50,
					  STORE_SESS_EXPIRED), 1);
	assert_int_equal(lookup(fx->st, EXT_1, 1025, 0, 0, &f), 1);
	assert_true(f.s[0].start_ms == STORE_MS_NONE);
	assert_int_equal(f.s[0].int_addr, SUB_A);
	assert_int_equal(lookup(fx->st, EXT_1, 1025, T0 + 50, T0 + 50, &f),
			 0);
	s.start_ms = T0 + 100;
	assert_int_equal(store_sess_open(fx->st, &s), 0);
	s.start_ms = T0 + 200;
	assert_int_equal(store_sess_open(fx->st, &s), -EEXIST);
	/* An end before the start (clock step) is clamped to the start. */
	assert_int_equal(store_sess_close(fx->st, &s, T0 + 90,
					  STORE_SESS_EXPIRED), 0);
	assert_int_equal(count(fx, "SELECT count(*) FROM sessions WHERE "
				   "start_ms = end_ms"), 1);
	assert_int_equal(store_sess_open(fx->st, &s), 0);
}

static void test_close_all_and_rollback(void **state)
{
	struct fixture *fx = *state;
	struct store_session a = mksess(SUB_A, 5000, EXT_1, 1025, REM_1, 53,
					17);
	struct store_session b = mksess(SUB_B, 5000, EXT_2, 1025, REM_1, 53,
					17);

	a.start_ms = T0;
	b.start_ms = T0 + 5000;
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_sess_open(fx->st, &a), 0);
	assert_int_equal(store_rollback(fx->st), 0);
	assert_int_equal(count(fx, "SELECT count(*) FROM open_sessions"), 0);
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_sess_open(fx->st, &a), 0);
	assert_int_equal(store_sess_open(fx->st, &b), 0);
	assert_int_equal(store_commit(fx->st), 0);
	assert_int_equal(store_sess_close_all(fx->st, T0 + 1000,
					      STORE_SESS_SHUTDOWN), 2);
	assert_int_equal(count(fx, "SELECT count(*) FROM open_sessions"), 0);
	/* At the given time, or at the start when that is later. */
	assert_int_equal(count(fx, "SELECT count(*) FROM sessions WHERE "
				   "end_reason = 5 AND end_ms = "
				   "1764000001000 AND int_addr = 1681915914"),
			 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM sessions WHERE "
				   "end_reason = 5 AND end_ms = start_ms"), 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM sessions_text WHERE "
				   "end_reason = 'shutdown'"), 2);
}

static void test_prune(void **state)
{
	struct fixture *fx = *state;
	struct store_session a = mksess(SUB_A, 5000, EXT_1, 1025, REM_1, 53,
					17);
	struct store_session b = mksess(SUB_A, 5001, EXT_1, 1026, REM_1, 53,
					17);

	a.start_ms = T0;
	b.start_ms = T0;
	assert_int_equal(store_sess_open(fx->st, &a), 0);
	assert_int_equal(store_sess_open(fx->st, &b), 0);
	assert_int_equal(store_sess_close(fx->st, &a, T0 + 10, 1), 0);
	assert_int_equal(store_prune(fx->st, T0 + 11, 100), 1);
	/* Open sessions are never pruned. */
	assert_int_equal(store_prune(fx->st, T0 + 1000000, 100), 0);
	assert_int_equal(count(fx, "SELECT count(*) FROM open_sessions"), 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM sessions"), 0);
	/* By end second, never a row that ended at the cut-off or after. */
	assert_int_equal(store_sess_close(fx->st, &b, T0 + 2000, 1), 0);
	assert_int_equal(store_prune(fx->st, T0 + 2000, 100), 0);
	assert_int_equal(store_prune(fx->st, T0 + 2001, 100), 1);
}

static void test_readonly_and_args(void **state)
{
	struct fixture *fx = *state;
	struct store_session a = mksess(SUB_A, 5000, EXT_1, 1025, REM_1, 53,
					17);
	struct store *ro;
	struct sfound f;
	char err[256];

	assert_int_equal(store_sess_open(fx->st, &a), -EINVAL); /* no start */
	a.start_ms = T0;
	assert_int_equal(store_sess_open(fx->st, &a), 0);
	assert_int_equal(store_open_ro(fx->path, &ro, err, sizeof(err)), 0);
	assert_int_equal(store_sess_open(ro, &a), -EROFS);
	assert_int_equal(lookup(ro, EXT_1, 1025, T0, T0, &f), 1);
	assert_int_equal(lookup(ro, EXT_1, 1025, T0, T0 - 1, &f), -EINVAL);
	store_close(ro);
	assert_string_equal(store_sess_end_name(STORE_SESS_LOG_OFF),
			    "logging-off");
	assert_string_equal(store_sess_end_name(99), "unknown");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, fixture_open, fixture_rm)
	const struct CMUnitTest tests[] = {
		T(test_open_close),
		T(test_history_and_protocols),
		T(test_short_and_long),
		T(test_lookup_oracle),
		T(test_far_rows),
		T(test_lost_create_and_reuse),
		T(test_close_all_and_rollback),
		T(test_prune),
		T(test_readonly_and_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
