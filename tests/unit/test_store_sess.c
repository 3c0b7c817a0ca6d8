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
		T(test_lost_create_and_reuse),
		T(test_close_all_and_rollback),
		T(test_prune),
		T(test_readonly_and_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
