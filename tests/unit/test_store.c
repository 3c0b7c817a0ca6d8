// SPDX-License-Identifier: GPL-2.0
/*
 * cmocka tests of the compliance log store on real SQLite files: the
 * lookup boundaries of the half-open holding [assigned, released) and of
 * block port ranges, reassignment, windows, history, batching, reopening,
 * concurrent read-only access, reconciliation helpers, retention and the
 * argument checks. Each test gets its own temporary directory.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "tests/unit/test_store_util.h"

/* Count rows with a one-off SQL statement on a separate connection. */
static int sql_count(struct fixture *fx, const char *sql)
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

static void assign(struct store *st, struct store_block b)
{
	assert_int_equal(store_block_assign(st, &b, NULL), 0);
}

static int at(struct store *st, uint32_t ext, uint16_t port, int64_t t,
	      struct found *f)
{
	memset(f, 0, sizeof(*f));
	return store_lookup_at(st, ext, port, t, collect, f);
}

static void test_open_settings(void **state)
{
	struct fixture *fx = *state;
	struct stat sb;

	assert_int_equal(store_schema_version(fx->st), 9);
	assert_int_equal(stat(fx->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0640);
	assert_int_equal(sql_count(fx,
				   "SELECT count(*) FROM pragma_journal_mode "
				   "WHERE journal_mode = 'wal'"),
			 1);
	assert_int_equal(sql_count(fx, "SELECT value FROM meta WHERE key = "
				       "'schema_version'"),
			 9);
}

static void test_open_errors(void **state)
{
	struct fixture *fx = *state;
	struct store *st = (struct store *)1;
	char err[256], path[160];
	FILE *f;

	assert_int_equal(store_open("/nonexistent-cgnat-dir/x.db", &st, err,
				    sizeof(err)),
			 -ENOENT);
	assert_null(st);
	assert_non_null(strstr(err, "/nonexistent-cgnat-dir/x.db"));

	snprintf(path, sizeof(path), "%s/missing.db", fx->dir);
	assert_int_equal(store_open_ro(path, &st, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "missing.db"));

	snprintf(path, sizeof(path), "%s/garbage.db", fx->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 512; i++)
		fputs("not a database at all ", f);
	fclose(f);
	assert_int_equal(store_open(path, &st, err, sizeof(err)), -EBADMSG);
	assert_int_equal(store_open_ro(path, &st, err, sizeof(err)), -EBADMSG);
}

/* Assigned at T0: held from T0 on, not 1 ms before. */
static void test_lookup_assign_instant(void **state)
{
	struct fixture *fx = *state;
	struct found f;

	assign(fx->st, mkblock(SUB_A, EXT_1, 40192, 40447, T0));
	assert_int_equal(at(fx->st, EXT_1, 40300, T0, &f), 1);
	assert_int_equal(f.b[0].sub_addr, SUB_A);
	assert_int_equal(f.b[0].released_ms, STORE_MS_NONE);
	assert_string_equal(f.b[0].pool, "default");
	assert_int_equal(at(fx->st, EXT_1, 40300, T0 - 1, &f), 0);
	assert_int_equal(at(fx->st, EXT_1, 40300, T0 + 86400000LL * 365, &f),
			 1);
}

/* Released at R: held at R - 1, free at R (half-open). */
static void test_lookup_release_instant(void **state)
{
	struct fixture *fx = *state;
	int64_t r = T0 + 60000;
	struct found f;

	assign(fx->st, mkblock(SUB_A, EXT_1, 40192, 40447, T0));
	assert_int_equal(store_block_release(fx->st, EXT_1, 40192, r,
					     STORE_REL_IDLE),
			 0);
	assert_int_equal(at(fx->st, EXT_1, 40192, r - 1, &f), 1);
	assert_int_equal(f.b[0].released_ms, r);
	assert_int_equal(f.b[0].release_reason, STORE_REL_IDLE);
	assert_int_equal(at(fx->st, EXT_1, 40192, r, &f), 0);
	assert_int_equal(at(fx->st, EXT_1, 40192, r + 1, &f), 0);
}

static void test_lookup_port_edges(void **state)
{
	struct fixture *fx = *state;
	struct found f;

	assign(fx->st, mkblock(SUB_A, EXT_1, 40192, 40447, T0));
	assign(fx->st, mkblock(SUB_B, EXT_1, 40448, 40703, T0));
	assert_int_equal(at(fx->st, EXT_1, 40192, T0, &f), 1);
	assert_int_equal(f.b[0].sub_addr, SUB_A);
	assert_int_equal(at(fx->st, EXT_1, 40447, T0, &f), 1);
	assert_int_equal(f.b[0].sub_addr, SUB_A);
	assert_int_equal(at(fx->st, EXT_1, 40448, T0, &f), 1);
	assert_int_equal(f.b[0].sub_addr, SUB_B);
	assert_int_equal(at(fx->st, EXT_1, 40191, T0, &f), 0);
	assert_int_equal(at(fx->st, EXT_1, 40704, T0, &f), 0);
	/* Unknown address, and the same port on another address. */
	assert_int_equal(at(fx->st, EXT_2, 40300, T0, &f), 0);
	assert_int_equal(at(fx->st, 0xcb007100U, 40300, T0, &f), 0);
}

/* A wider block than any before it must still be found by its last port:
 * the lookup's port_first bound follows meta.max_block_span. */
static void test_lookup_wide_block(void **state)
{
	struct fixture *fx = *state;
	struct found f;

	assign(fx->st, mkblock(SUB_A, EXT_1, 1024, 1279, T0));
	assign(fx->st, mkblock(SUB_B, EXT_1, 2048, 6143, T0));
	assert_int_equal(sql_count(fx, "SELECT value FROM meta WHERE key = "
				       "'max_block_span'"),
			 4095);
	assert_int_equal(at(fx->st, EXT_1, 6143, T0, &f), 1);
	assert_int_equal(f.b[0].sub_addr, SUB_B);
	assert_int_equal(at(fx->st, EXT_1, 1279, T0, &f), 1);
	assert_int_equal(f.b[0].sub_addr, SUB_A);
}

/* A then (after quarantine) B on the same block: each instant has the
 * right holder and the gap has none. */
static void test_reassigned_block(void **state)
{
	struct fixture *fx = *state;
	int64_t rel = T0 + 3600000, again = rel + 120000;
	struct found f;

	assign(fx->st, mkblock(SUB_A, EXT_1, 40192, 40447, T0));
	assert_int_equal(store_block_release(fx->st, EXT_1, 40192, rel,
					     STORE_REL_IDLE),
			 0);
	assign(fx->st, mkblock(SUB_B, EXT_1, 40192, 40447, again));

	assert_int_equal(at(fx->st, EXT_1, 40200, T0, &f), 1);
	assert_int_equal(f.b[0].sub_addr, SUB_A);
	assert_int_equal(at(fx->st, EXT_1, 40200, rel - 1, &f), 1);
	assert_int_equal(f.b[0].sub_addr, SUB_A);
	assert_int_equal(at(fx->st, EXT_1, 40200, rel, &f), 0);
	assert_int_equal(at(fx->st, EXT_1, 40200, again - 1, &f), 0);
	assert_int_equal(at(fx->st, EXT_1, 40200, again, &f), 1);
	assert_int_equal(f.b[0].sub_addr, SUB_B);
	assert_int_equal(at(fx->st, EXT_1, 40200, again + 86400000, &f), 1);
	assert_int_equal(f.b[0].sub_addr, SUB_B);
}

static int range(struct store *st, int64_t from, int64_t to, struct found *f)
{
	memset(f, 0, sizeof(*f));
	return store_lookup_range(st, EXT_1, 40200, from, to, collect, f);
}

/* Windows are closed [from, to]; holdings half-open. */
static void test_lookup_range(void **state)
{
	struct fixture *fx = *state;
	int64_t rel = T0 + 1000, again = T0 + 2000;
	struct found f;

	assign(fx->st, mkblock(SUB_A, EXT_1, 40192, 40447, T0));
	assert_int_equal(store_block_release(fx->st, EXT_1, 40192, rel,
					     STORE_REL_LIFETIME),
			 0);
	assign(fx->st, mkblock(SUB_B, EXT_1, 40192, 40447, again));

	assert_int_equal(range(fx->st, T0 - 500, again + 500, &f), 2);
	assert_int_equal(f.b[0].sub_addr, SUB_A); /* assigned_ms order */
	assert_int_equal(f.b[1].sub_addr, SUB_B);
	assert_int_equal(range(fx->st, T0 - 500, T0 - 1, &f), 0);
	assert_int_equal(range(fx->st, T0 - 500, T0, &f), 1);
	assert_int_equal(range(fx->st, rel - 1, again - 1, &f), 1);
	assert_int_equal(f.b[0].sub_addr, SUB_A);
	assert_int_equal(range(fx->st, rel, again - 1, &f), 0);
	assert_int_equal(range(fx->st, rel, again, &f), 1);
	assert_int_equal(f.b[0].sub_addr, SUB_B);
	/* A point window is a point lookup. */
	assert_int_equal(range(fx->st, rel - 1, rel - 1, &f), 1);
	assert_int_equal(range(fx->st, T0 + 1, T0, &f), -EINVAL);
	assert_non_null(strstr(store_errmsg(fx->st), "bad window"));
}

/* Two holdings covering one instant cannot come from the store's own
 * writes; forge one and check that both are reported. */
static void test_lookup_reports_all_matches(void **state)
{
	struct fixture *fx = *state;
	struct found f;

	assign(fx->st, mkblock(SUB_A, EXT_1, 40192, 40447, T0));
	assign(fx->st, mkblock(SUB_B, EXT_1, 40000, 40300, T0 + 5));
	assert_int_equal(at(fx->st, EXT_1, 40250, T0 + 10, &f), 2);
	assert_int_equal(f.b[0].sub_addr, SUB_A);
	assert_int_equal(f.b[1].sub_addr, SUB_B);
}

static void test_history(void **state)
{
	struct fixture *fx = *state;
	struct found f = { 0 };

	assign(fx->st, mkblock(SUB_A, EXT_1, 40192, 40447, T0));
	assign(fx->st, mkblock(SUB_B, EXT_1, 40448, 40703, T0));
	assert_int_equal(store_block_release(fx->st, EXT_1, 40192, T0 + 100,
					     STORE_REL_IDLE),
			 0);
	assign(fx->st, mkblock(SUB_A, EXT_1, 41216, 41471, T0 + 200));

	assert_int_equal(
		store_history(fx->st, SUB_A, 0, T0 + 1000, collect, &f), 2);
	assert_int_equal(f.b[0].port_first, 40192);
	assert_int_equal(f.b[1].port_first, 41216);
	memset(&f, 0, sizeof(f));
	assert_int_equal(store_history(fx->st, SUB_A, T0 + 100, T0 + 199,
				       collect, &f),
			 0);
	assert_int_equal(
		store_history(fx->st, SUB_A, T0 + 99, T0 + 99, collect, &f), 1);
	assert_int_equal(store_history(fx->st, SUB_B, 0, T0 - 1, NULL, NULL),
			 0);
	assert_int_equal(
		store_history(fx->st, 0x64400063U, 0, T0 * 2, NULL, NULL), 0);
}

static void test_batch(void **state)
{
	struct fixture *fx = *state;
	struct store *ro;
	struct found f;
	char err[256];
	int i;

	assert_int_equal(store_open_ro(fx->path, &ro, err, sizeof(err)), 0);
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_begin(fx->st), -EBUSY);
	for (i = 0; i < 1000; i++)
		assign(fx->st, mkblock(SUB_A + i, EXT_1 + i / 200,
				       1024 + (i % 200) * 256,
				       1024 + (i % 200) * 256 + 255, T0 + i));
	/* The reader sees nothing until the commit. */
	assert_int_equal(at(ro, EXT_1, 1024, T0 + 5000, &f), 0);
	assert_int_equal(store_commit(fx->st), 0);
	assert_int_equal(at(ro, EXT_1, 1024, T0 + 5000, &f), 1);
	assert_int_equal(sql_count(fx, "SELECT count(*) FROM open_blocks"),
			 1000);
	assert_int_equal(sql_count(fx, "SELECT count(*) FROM blocks"), 0);

	assert_int_equal(store_begin(fx->st), 0);
	assign(fx->st, mkblock(SUB_B, EXT_2, 60000, 60255, T0));
	assert_int_equal(store_rollback(fx->st), 0);
	assert_int_equal(at(fx->st, EXT_2, 60000, T0, &f), 0);
	assert_int_equal(store_commit(fx->st), -EINVAL);
	assert_int_equal(store_rollback(fx->st), -EINVAL);

	/* The read-only handle refuses writes. */
	assert_int_equal(store_block_release(ro, EXT_1, 1024, T0 + 9,
					     STORE_REL_IDLE),
			 -EROFS);
	store_close(ro);
}

static void test_reopen(void **state)
{
	struct fixture *fx = *state;
	struct found f;
	char err[256];

	assign(fx->st, mkblock(SUB_A, EXT_1, 40192, 40447, T0));
	assert_int_equal(store_block_release(fx->st, EXT_1, 40192, T0 + 50,
					     STORE_REL_SHUTDOWN),
			 0);
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(store_open(fx->path, &fx->st, err, sizeof(err)), 0);
	assert_int_equal(at(fx->st, EXT_1, 40192, T0 + 49, &f), 1);
	assert_int_equal(f.b[0].release_reason, STORE_REL_SHUTDOWN);
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(store_open_ro(fx->path, &fx->st, err, sizeof(err)), 0);
	assert_int_equal(at(fx->st, EXT_1, 40192, T0 + 49, &f), 1);
}

static void test_write_errors(void **state)
{
	struct fixture *fx = *state;
	struct store_block b = mkblock(SUB_A, EXT_1, 40192, 40447, T0);

	assign(fx->st, b);
	assert_int_equal(store_block_assign(fx->st, &b, NULL), -EEXIST);
	assert_non_null(strstr(store_errmsg(fx->st), "203.0.113.7:40192"));
	b = mkblock(SUB_A, EXT_1, 500, 400, T0);
	assert_int_equal(store_block_assign(fx->st, &b, NULL), -EINVAL);
	b = mkblock(SUB_A, EXT_1, 400, 500, -1);
	assert_int_equal(store_block_assign(fx->st, &b, NULL), -EINVAL);
	b = mkblock(SUB_A, EXT_1, 400, 500, T0);
	b.released_ms = T0 + 1;
	assert_int_equal(store_block_assign(fx->st, &b, NULL), -EINVAL);
	b = mkblock(SUB_A, EXT_1, 400, 500, T0);
	memset(b.pool, 'x', sizeof(b.pool));
	assert_int_equal(store_block_assign(fx->st, &b, NULL), -ENAMETOOLONG);

	assert_int_equal(store_block_release(fx->st, EXT_2, 40192, T0 + 1,
					     STORE_REL_IDLE),
			 -ENOENT);
	assert_non_null(strstr(store_errmsg(fx->st), "not open"));
	assert_int_equal(store_block_release(fx->st, EXT_1, 40192, T0 - 1,
					     STORE_REL_IDLE),
			 -EINVAL);
	assert_int_equal(store_block_release(fx->st, EXT_1, 40192, T0 + 1, 0),
			 -EINVAL);
	assert_int_equal(store_block_release(fx->st, EXT_1, 40192, T0 + 1, 99),
			 -EINVAL);
	/* Still open after all that: release it and release again. */
	assert_int_equal(store_block_release(fx->st, EXT_1, 40192, T0,
					     STORE_REL_IDLE),
			 0);
	assert_int_equal(store_block_release(fx->st, EXT_1, 40192, T0 + 1,
					     STORE_REL_IDLE),
			 -ENOENT);
}

static int stop_after_one(const struct store_block *b, void *ctx)
{
	(void)b;
	(*(int *)ctx)++;
	return 1;
}

static int fail_cb(const struct store_block *b, void *ctx)
{
	(void)b;
	(void)ctx;
	return -ECANCELED;
}

static void test_open_blocks_and_close_at(void **state)
{
	struct fixture *fx = *state;
	struct found f = { 0 };
	int64_t id_a, id_b;
	struct store_block b;
	int calls = 0;

	b = mkblock(SUB_A, EXT_2, 1024, 1279, T0);
	assert_int_equal(store_block_assign(fx->st, &b, &id_a), 0);
	b = mkblock(SUB_B, EXT_1, 1024, 1279, T0);
	assert_int_equal(store_block_assign(fx->st, &b, &id_b), 0);
	assert_true(id_a > 0 && id_b > id_a);
	assign(fx->st, mkblock(SUB_B, EXT_1, 1280, 1535, T0));
	assert_int_equal(store_block_release(fx->st, EXT_1, 1280, T0 + 1,
					     STORE_REL_IDLE),
			 0);

	assert_int_equal(store_open_blocks(fx->st, collect, &f), 2);
	assert_int_equal(f.b[0].id, id_b); /* ext_addr order */
	assert_int_equal(f.b[1].id, id_a);
	assert_int_equal(store_open_blocks(fx->st, stop_after_one, &calls), 1);
	assert_int_equal(calls, 1);
	assert_int_equal(store_open_blocks(fx->st, fail_cb, NULL), -ECANCELED);

	assert_int_equal(store_close_block_at(fx->st, id_a, T0 + 10,
					      STORE_REL_RECONCILE),
			 0);
	assert_int_equal(store_close_block_at(fx->st, id_a, T0 + 11,
					      STORE_REL_RECONCILE),
			 -ENOENT);
	assert_int_equal(store_close_block_at(fx->st, id_b, T0 - 1,
					      STORE_REL_RECONCILE),
			 -EINVAL);
	memset(&f, 0, sizeof(f));
	assert_int_equal(store_open_blocks(fx->st, collect, &f), 1);
	assert_int_equal(f.b[0].id, id_b);
	assert_int_equal(at(fx->st, EXT_2, 1024, T0 + 10, &f), 0);
}

static void test_interim_event_config(void **state)
{
	struct fixture *fx = *state;
	struct store_event e = {
		.time_ms = T0,
		.instance = 1,
		.type = STORE_EVT_QUOTA,
		.sub_addr = SUB_A,
		.has_sub = 1,
		.value = 8,
		.has_value = 1,
		.limit = 8,
		.has_limit = 1,
		.detail = "max_blocks",
	};

	assign(fx->st, mkblock(SUB_A, EXT_1, 40192, 40447, T0));
	assert_int_equal(store_interim(fx->st, EXT_1, 40192, T0 + 86400000), 0);
	assert_int_equal(store_interim(fx->st, EXT_1, 40192, T0 + 86400000),
			 -EEXIST);
	assert_non_null(strstr(store_errmsg(fx->st), "already recorded"));
	assert_int_equal(store_interim(fx->st, EXT_2, 40192, T0), -ENOENT);
	assert_int_equal(sql_count(fx, "SELECT count(*) FROM interim"), 1);

	assert_int_equal(store_event(fx->st, &e), 0);
	assert_int_equal(sql_count(fx, "SELECT count(*) FROM events_text WHERE "
				       "type = 'quota-exceeded' AND subscriber "
				       "= '100.64.0.10' AND external IS NULL"),
			 1);
	e.type = 42;
	assert_int_equal(store_event(fx->st, &e), -EINVAL);

	assert_int_equal(store_config_log(fx->st, T0, 1, "{\"instance\":1}"),
			 0);
	assert_int_equal(store_config_log(fx->st, T0, 1, NULL), -EINVAL);
	assert_int_equal(sql_count(fx, "SELECT count(*) FROM config_log"), 1);
	assert_int_equal(sql_count(fx, "SELECT count(*) FROM blocks_text WHERE "
				       "subscriber = '100.64.0.10' AND "
				       "external = '203.0.113.7' AND assigned "
				       "= '2025-11-24T16:00:00.000Z'"),
			 1);
}

static void test_prune(void **state)
{
	struct fixture *fx = *state;
	struct store_event e = { .time_ms = T0,
				 .instance = 1,
				 .type = STORE_EVT_THRESHOLD };
	int64_t cut = T0 + 1000000;
	int i, n, total = 0;

	/* 25 released before the cut-off (one with an interim row), one
	 * released after it (with an interim row), one still open since long
	 * before (with an interim row). */
	for (i = 0; i < 25; i++) {
		assign(fx->st, mkblock(SUB_A, EXT_1, 1024 + i * 256,
				       1279 + i * 256, T0 + i));
		if (i == 0)
			assert_int_equal(
				store_interim(fx->st, EXT_1, 1024, T0 + 5), 0);
		assert_int_equal(store_block_release(fx->st, EXT_1,
						     1024 + i * 256, T0 + 100,
						     STORE_REL_IDLE),
				 0);
	}
	assign(fx->st, mkblock(SUB_B, EXT_2, 1024, 1279, T0));
	assert_int_equal(store_interim(fx->st, EXT_2, 1024, T0 + 7), 0);
	assert_int_equal(store_block_release(fx->st, EXT_2, 1024, cut,
					     STORE_REL_IDLE),
			 0);
	assign(fx->st, mkblock(SUB_B, EXT_2, 2048, 2303, T0));
	assert_int_equal(store_interim(fx->st, EXT_2, 2048, T0 + 8), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(store_event(fx->st, &e), 0);
		assert_int_equal(store_config_log(fx->st, T0 + i, 1, "c"), 0);
	}

	/* Batches of 10: 25 blocks, 3 events, 2 superseded configs. */
	while ((n = store_prune(fx->st, cut, 10)) == 10)
		total += n;
	assert_true(n >= 0);
	total += n;
	assert_int_equal(total, 25 + 3 + 2);
	assert_int_equal(store_prune(fx->st, cut, 10), 0);
	/* Kept: the holding released at the cut-off and the open one,
	 * with their interim rows. */
	assert_int_equal(sql_count(fx, "SELECT count(*) FROM blocks"), 1);
	assert_int_equal(sql_count(fx, "SELECT count(*) FROM blocks WHERE "
				       "released_ms = 1764001000000"),
			 1);
	assert_int_equal(sql_count(fx, "SELECT count(*) FROM open_blocks"), 1);
	assert_int_equal(sql_count(fx, "SELECT count(*) FROM interim"), 2);
	assert_int_equal(sql_count(fx, "SELECT count(*) FROM events"), 0);
	assert_int_equal(sql_count(fx, "SELECT time_ms - 1764000000000 FROM "
				       "config_log"),
			 2);
	assert_int_equal(store_prune(fx->st, cut, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fixture_open, fixture_rm)
		T(test_open_settings),
		T(test_open_errors),
		T(test_lookup_assign_instant),
		T(test_lookup_release_instant),
		T(test_lookup_port_edges),
		T(test_lookup_wide_block),
		T(test_reassigned_block),
		T(test_lookup_range),
		T(test_lookup_reports_all_matches),
		T(test_history),
		T(test_batch),
		T(test_reopen),
		T(test_write_errors),
		T(test_open_blocks_and_close_at),
		T(test_interim_event_config),
		T(test_prune),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
