// SPDX-License-Identifier: GPL-2.0
/*
 * cmocka tests of the block journal: lookups, history and open blocks
 * give the same answers whether a holding's assign and release are still
 * in the journal, moved, or split across the two; a writer that dies
 * before moving (simulated by reopening without a move) loses and
 * repeats nothing; a move is all or nothing; a version-1 database with
 * rows migrates to version 2 and answers as before; a populated
 * version-2 database (rows in blocks and in the journal) migrates to
 * version 3 and on to the current one, and answers every lookup exactly
 * as a brute-force query of blocks_all did before, before and after the
 * move; the in-memory set of open holdings survives growth and
 * deletions.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "logger/store_internal.h"
#include "schema/migrations.h"
#include "tests/unit/test_store_util.h"

static int setup(void **state)
{
	struct fixture *fx;
	char err[256];

	if (fixture_dir(state))
		return -1;
	fx = *state;
	return store_open(fx->path, &fx->st, err, sizeof(err)) ? -1 : 0;
}

static void reopen(struct fixture *fx)
{
	char err[256];

	/* No store_close(): it would move the journal. Closing the raw
	 * connection leaves the file as a kill -9 after the commit does. */
	sqlite3_close_v2(fx->st->db);
	fx->st->db = NULL;
	memset(fx->st->stmt, 0, sizeof(fx->st->stmt));
	store_close(fx->st);
	assert_int_equal(store_open(fx->path, &fx->st, err, sizeof(err)), 0);
}

/*
 * Three holdings of one block: A closed and moved, B assigned and moved
 * but released in the journal, C assigned in the journal. Each answer is
 * checked before any move, after a partial move and after all.
 */
static void write_abc(struct store *st)
{
	struct store_block b = mkblock(SUB_A, EXT_1, 1024, 1279, T0);

	assert_int_equal(store_block_assign(st, &b, NULL), 0);
	assert_int_equal(store_block_release(st, EXT_1, 1024, T0 + 100,
					     STORE_REL_IDLE), 0);
	b = mkblock(SUB_B, EXT_1, 1024, 1279, T0 + 200);
	assert_int_equal(store_block_assign(st, &b, NULL), 0);
	assert_int_equal(store_move(st, 100), 3);
	assert_int_equal(store_block_release(st, EXT_1, 1024, T0 + 300,
					     STORE_REL_LIFETIME), 0);
	b = mkblock(SUB_A, EXT_1, 1024, 1279, T0 + 400);
	assert_int_equal(store_block_assign(st, &b, NULL), 0);
}

static void check_abc(struct store *st)
{
	struct found f;

	memset(&f, 0, sizeof(f));
	assert_int_equal(store_lookup_at(st, EXT_1, 1100, T0 + 99, collect,
					 &f), 1);
	assert_int_equal(f.b[0].sub_addr, SUB_A);
	memset(&f, 0, sizeof(f));
	assert_int_equal(store_lookup_at(st, EXT_1, 1279, T0 + 299, collect,
					 &f), 1);
	assert_int_equal(f.b[0].sub_addr, SUB_B);
	assert_int_equal(f.b[0].released_ms, T0 + 300);
	assert_int_equal(f.b[0].release_reason, STORE_REL_LIFETIME);
	assert_int_equal(store_lookup_at(st, EXT_1, 1024, T0 + 300, NULL,
					 NULL), 0);
	memset(&f, 0, sizeof(f));
	assert_int_equal(store_lookup_at(st, EXT_1, 1024, T0 + 400, collect,
					 &f), 1);
	assert_int_equal(f.b[0].released_ms, STORE_MS_NONE);
	memset(&f, 0, sizeof(f));
	assert_int_equal(store_lookup_range(st, EXT_1, 1024, T0 + 50,
					    T0 + 400, collect, &f), 3);
	assert_true(f.b[0].assigned_ms < f.b[1].assigned_ms &&
		    f.b[1].assigned_ms < f.b[2].assigned_ms);
	assert_int_equal(f.b[0].id + 1, f.b[1].id);
	memset(&f, 0, sizeof(f));
	assert_int_equal(store_history(st, SUB_A, 0, T0 * 2, collect, &f), 2);
	assert_int_equal(f.b[1].assigned_ms, T0 + 400);
	memset(&f, 0, sizeof(f));
	assert_int_equal(store_open_blocks(st, collect, &f), 1);
	assert_int_equal(f.b[0].assigned_ms, T0 + 400);
}

static void test_answers_across_the_move(void **state)
{
	struct fixture *fx = *state;
	struct store *ro;
	char err[256];

	write_abc(fx->st);
	assert_int_equal(store_journal_rows(fx->st), 2);
	check_abc(fx->st);
	assert_int_equal(store_open_ro(fx->path, &ro, err, sizeof(err)), 0);
	check_abc(ro);
	assert_int_equal(store_move(fx->st, 1), 1); /* release only */
	check_abc(ro);
	assert_int_equal(store_move(fx->st, 100), 1);
	assert_int_equal(store_move(fx->st, 100), 0);
	assert_int_equal(store_journal_rows(fx->st), 0);
	check_abc(ro);
	check_abc(fx->st);
	store_close(ro);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM blocks"), 3);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM blocks_text "
					   "WHERE released IS NULL"), 1);
}

/* The writer's checks see the journal: a second open holding, a release
 * of a block not open or before its assign are refused before a move. */
static void test_checks_before_move(void **state)
{
	struct fixture *fx = *state;
	struct store_block b = mkblock(SUB_A, EXT_2, 2048, 2303, T0);
	int64_t id;

	assert_int_equal(store_block_assign(fx->st, &b, &id), 0);
	assert_int_equal(store_block_assign(fx->st, &b, NULL), -EEXIST);
	assert_int_equal(store_block_release(fx->st, EXT_2, 2048, T0 - 1,
					     STORE_REL_IDLE), -EINVAL);
	assert_int_equal(store_interim(fx->st, EXT_2, 2048, T0 + 5), 0);
	assert_int_equal(store_interim(fx->st, EXT_2, 2048, T0 + 5), 0);
	assert_int_equal(store_close_block_at(fx->st, id, T0 + 9,
					      STORE_REL_RECONCILE), 0);
	assert_int_equal(store_block_release(fx->st, EXT_2, 2048, T0 + 9,
					     STORE_REL_IDLE), -ENOENT);
	assert_int_equal(store_close_block_at(fx->st, id, T0 + 9,
					      STORE_REL_RECONCILE), -ENOENT);
	assert_int_equal(store_interim(fx->st, EXT_2, 2048, T0 + 6), -ENOENT);
	/* A rolled-back batch leaves the block open, as the file says. */
	assert_int_equal(store_begin(fx->st), 0);
	b.assigned_ms = T0 + 10;
	assert_int_equal(store_block_assign(fx->st, &b, NULL), 0);
	assert_int_equal(store_rollback(fx->st), 0);
	assert_int_equal(store_block_release(fx->st, EXT_2, 2048, T0 + 11,
					     STORE_REL_IDLE), -ENOENT);
	assert_int_equal(store_move(fx->st, 100), 4);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM interim"), 1);
	assert_int_equal(raw_int(fx->path, "SELECT release_reason FROM "
					   "blocks"), STORE_REL_RECONCILE);
}

/* Committed journal rows survive a writer that dies before moving them:
 * the next writer sees them as open/closed, moves each exactly once. */
static void test_crash_before_move(void **state)
{
	struct fixture *fx = *state;
	struct store_block b;

	write_abc(fx->st);
	reopen(fx);
	assert_int_equal(store_journal_rows(fx->st), 2);
	check_abc(fx->st);
	b = mkblock(SUB_B, EXT_1, 1024, 1279, T0 + 500);
	assert_int_equal(store_block_assign(fx->st, &b, NULL), -EEXIST);
	assert_int_equal(store_block_release(fx->st, EXT_1, 1024, T0 + 500,
					     STORE_REL_IDLE), 0);
	assert_int_equal(store_block_assign(fx->st, &b, NULL), 0);
	reopen(fx);
	assert_int_equal(store_move(fx->st, 1000), 4);
	reopen(fx);
	assert_int_equal(store_move(fx->st, 1000), 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM blocks"), 4);
	assert_int_equal(raw_int(fx->path, "SELECT count(DISTINCT id) FROM "
					   "blocks"), 4);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM blocks "
					   "WHERE released_ms IS NULL"), 1);
}

/* A move that fails half-way leaves journal and blocks as they were. */
static void test_failed_move_is_atomic(void **state)
{
	struct fixture *fx = *state;
	sqlite3 *db;

	write_abc(fx->st);
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	/* A row that blocks refuses (a foreign id already present). */
	assert_int_equal(sqlite3_exec(db, "INSERT INTO blocks (id, instance, "
				      "pool_id, pool, sub_addr, ext_addr, "
				      "port_first, port_last, assigned_ms, "
				      "released_ms) VALUES (3, 1, 1, 'x', 1, "
				      "1, 1, 1, 1, 1)", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_true(store_move(fx->st, 100) < 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM journal"), 2);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM blocks WHERE "
					   "released_ms IS NULL"), 1);
}

/* Replaces the test's database by a file at schema 'version', the way
 * an older cgnatd left it, open for the caller to fill.
 */
static sqlite3 *old_file(struct fixture *fx, int version)
{
	char err[256];
	sqlite3 *db;
	int v;

	store_close(fx->st);
	fx->st = NULL;
	unlink(fx->path);
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(store_migrate(db, schema_migrations, version, &v, err,
				       sizeof(err)), 0);
	return db;
}

/* A version-1 file with rows, as the v1 store wrote them, migrates to
 * version 2 and gives the same answers; it then takes new events. */
static void test_v1_migrates(void **state)
{
	struct fixture *fx = *state;
	struct found f = { 0 };
	char err[256];
	sqlite3 *db = old_file(fx, 1);

	assert_int_equal(sqlite3_exec(db,
		"PRAGMA foreign_keys = ON; "
		"INSERT INTO blocks (instance, pool_id, pool, sub_addr, "
		"ext_addr, port_first, port_last, assigned_ms, released_ms, "
		"release_reason) VALUES "
		"(1, 1, 'default', 1681915914, 3405803783, 1024, 1279, "
		"1764000000000, 1764000000100, 1), "
		"(1, 1, 'default', 1681915915, 3405803783, 1024, 1279, "
		"1764000000200, NULL, NULL); "
		"INSERT INTO interim VALUES (2, 1764000000300); "
		"UPDATE meta SET value = 255 WHERE key = 'max_block_span'",
		NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(store_open(fx->path, &fx->st, err, sizeof(err)), 0);
	assert_int_equal(store_schema_version(fx->st), SCHEMA_VERSION);
	assert_int_equal(store_lookup_at(fx->st, EXT_1, 1279, T0 + 99, collect,
					 &f), 1);
	assert_int_equal(f.b[0].sub_addr, SUB_A);
	assert_int_equal(f.b[0].released_ms, T0 + 100);
	assert_int_equal(store_lookup_at(fx->st, EXT_1, 1024, T0 + 100, NULL,
					 NULL), 0);
	memset(&f, 0, sizeof(f));
	assert_int_equal(store_lookup_at(fx->st, EXT_1, 1024, T0 + 999999,
					 collect, &f), 1);
	assert_int_equal(f.b[0].id, 2);
	assert_int_equal(store_history(fx->st, SUB_B, 0, T0 * 2, NULL, NULL),
			 1);
	assert_int_equal(store_open_blocks(fx->st, NULL, NULL), 1);
	/* The v1 open row is closed through the journal, then moved. */
	assert_int_equal(store_block_release(fx->st, EXT_1, 1024, T0 + 500,
					     STORE_REL_IDLE), 0);
	assert_int_equal(store_open_blocks(fx->st, NULL, NULL), 0);
	assert_int_equal(store_move(fx->st, 10), 1);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM blocks_text "
					   "WHERE released IS NOT NULL"), 2);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM interim"), 1);
}

/* Ports and instants around every edge of the v2 fixture's holdings. */
static const uint16_t v2_ports[] = { 1023, 1024, 1100, 1279, 1280,
				     1535, 1536 };
static const int64_t v2_times[] = { -1, 0, 50, 99, 100, 199, 200, 250,
				    299, 300, 399, 400, 499, 500, 999999 };
#define V2_POINTS (2 * 7 * 15)

/* Row ids a lookup at (@ext, @port, @at) answers, per blocks_all and
 * the documented test, as "id,id,..." in assigned_ms, id order. */
static void v2_reference(sqlite3 *db, uint32_t ext, uint16_t port,
			 int64_t at, char *out, size_t len)
{
	sqlite3_stmt *s;
	const unsigned char *t;

	assert_int_equal(sqlite3_prepare_v2(db,
		"SELECT coalesce(group_concat(id), '') FROM (SELECT id FROM "
		"blocks_all WHERE ext_addr = ?1 AND port_first <= ?2 AND "
		"port_last >= ?2 AND assigned_ms <= ?3 AND (released_ms IS "
		"NULL OR released_ms > ?3) ORDER BY assigned_ms, id)",
		-1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, ext);
	sqlite3_bind_int(s, 2, port);
	sqlite3_bind_int64(s, 3, at);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	t = sqlite3_column_text(s, 0);
	snprintf(out, len, "%s", t ? (const char *)t : "");
	sqlite3_finalize(s);
}

static void v2_answers(struct store *st, char ref[][32])
{
	size_t e, p, t, k = 0;
	char got[32];
	struct found f;
	int i, n;

	for (e = 0; e < 2; e++)
		for (p = 0; p < 7; p++)
			for (t = 0; t < 15; t++, k++) {
				memset(&f, 0, sizeof(f));
				n = store_lookup_at(st, e ? EXT_2 : EXT_1,
						    v2_ports[p],
						    T0 + v2_times[t], collect,
						    &f);
				assert_true(n >= 0 && n < 4);
				got[0] = '\0';
				for (i = 0; i < n; i++)
					snprintf(got + strlen(got),
						 sizeof(got) - strlen(got),
						 "%s%lld", i ? "," : "",
						 (long long)f.b[i].id);
				assert_string_equal(got, ref[k]);
			}
}

/* A version-2 file with holdings in blocks (closed and open) and in the
 * journal (an assign, and the release of an open blocks row) migrates
 * to the current version; every lookup answers as blocks_all did
 * under v2. */
static void test_v2_migrates(void **state)
{
	struct fixture *fx = *state;
	static char ref[V2_POINTS][32];
	size_t e, p, t, k = 0;
	char err[256];
	sqlite3 *db = old_file(fx, 2);

	assert_int_equal(sqlite3_exec(db,
		"INSERT INTO blocks VALUES "
		"(1, 1, 1, 'p', 1681915914, 3405803783, 1024, 1279, "
		"1764000000000, 1764000000100, 1), "
		"(2, 1, 1, 'p', 1681915915, 3405803783, 1024, 1279, "
		"1764000000200, NULL, NULL), "
		"(3, 1, 1, 'p', 1681915915, 3405803783, 1280, 1535, "
		"1764000000050, 1764000000500, 2), "
		"(4, 1, 1, 'p', 1681915914, 3405803784, 1024, 1279, "
		"1764000000000, NULL, NULL); "
		"INSERT INTO journal (op, block_id, time_ms, reason) VALUES "
		"(2, 2, 1764000000300, 1); "
		"INSERT INTO journal (op, block_id, time_ms, instance, "
		"pool_id, pool, sub_addr, ext_addr, port_first, port_last) "
		"VALUES (1, 5, 1764000000400, 1, 1, 'p', 1681915914, "
		"3405803783, 1024, 1279); "
		"UPDATE meta SET value = 255 WHERE key = 'max_block_span'",
		NULL, NULL, NULL), SQLITE_OK);
	for (e = 0; e < 2; e++)
		for (p = 0; p < 7; p++)
			for (t = 0; t < 15; t++, k++)
				v2_reference(db, e ? EXT_2 : EXT_1,
					     v2_ports[p], T0 + v2_times[t],
					     ref[k], sizeof(ref[k]));
	sqlite3_close(db);
	assert_string_equal(ref[3 * 15 + 7], "2"); /* 1279 at T0 + 250 */

	assert_int_equal(store_open(fx->path, &fx->st, err, sizeof(err)), 0);
	assert_int_equal(store_schema_version(fx->st), SCHEMA_VERSION);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM "
				 "sqlite_master WHERE name = 'blocks_ext_rel' "
				 "AND sql LIKE '%WHERE released_ms - "
				 "assigned_ms < 86400000'"), 1);
	v2_answers(fx->st, ref);
	assert_int_equal(store_history(fx->st, SUB_B, 0, T0 * 2, NULL, NULL),
			 2);
	assert_int_equal(store_open_blocks(fx->st, NULL, NULL), 2);
	assert_int_equal(store_move(fx->st, 10), 2);
	v2_answers(fx->st, ref);
	assert_int_equal(store_history(fx->st, SUB_A, 0, T0 * 2, NULL, NULL),
			 3);
	assert_int_equal(store_open_blocks(fx->st, NULL, NULL), 2);
}

static void test_held_set(void **state)
{
	struct store_held h = { 0 };
	int64_t id, t;
	uint32_t ext;
	uint16_t port;
	int i;

	(void)state;
	for (i = 0; i < 5000; i++)
		assert_int_equal(held_add(&h, EXT_1 + i / 200,
					  (uint16_t)(1024 + i % 200 * 256),
					  i + 1, T0 + i), 0);
	assert_int_equal(held_add(&h, EXT_1, 1024, 99999, T0), -EEXIST);
	for (i = 0; i < 5000; i += 2)
		assert_int_equal(held_del_id(&h, i + 1), 0);
	assert_int_equal(held_del_id(&h, 1), -ENOENT);
	for (i = 0; i < 5000; i++) {
		int r = held_find(&h, EXT_1 + i / 200,
				  (uint16_t)(1024 + i % 200 * 256), &id, &t);

		assert_int_equal(r, i % 2 ? 0 : -ENOENT);
		if (r)
			continue;
		assert_int_equal(id, i + 1);
		assert_int_equal(t, T0 + i);
		assert_int_equal(held_find_id(&h, id, &t, &ext, &port), 0);
		assert_int_equal(ext, EXT_1 + i / 200);
		assert_int_equal(port, 1024 + i % 200 * 256);
	}
	assert_int_equal(h.n, 2500);
	held_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fixture_rm)
		T(test_answers_across_the_move),
		T(test_checks_before_move),
		T(test_crash_before_move),
		T(test_failed_move_is_atomic),
		T(test_v1_migrates),
		T(test_v2_migrates),
#undef T
		cmocka_unit_test(test_held_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
