// SPDX-License-Identifier: GPL-2.0
/*
 * cmocka tests of schema version 5's direct writes: an assign is one row
 * in open_blocks and nothing in blocks, a release moves it to blocks
 * under the same id and its release hour; the writer's checks (second
 * open holding, release of a block not open or before its assign,
 * duplicate interim) hold and a rolled-back batch leaves the held set as
 * the file says; a writer killed (SIGKILL) in the middle of a batch
 * loses exactly that batch and nothing acknowledged, and the next one
 * never reuses an id; a release whose second statement fails cannot
 * commit half of itself; rows written by another connection are seen;
 * the in-memory set of open holdings survives growth and deletions.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "logger/store_internal.h"
#include "tests/unit/test_store_util.h"

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void reopen(struct fixture *fx)
{
	char err[256];

	store_close(fx->st);
	if (store_open(fx->path, &fx->st, err, sizeof(err)))
		fail_msg("reopen: %s", err);
}

/* meta.next_block_id is above every id the file holds. */
static void check_next_id(const char *path)
{
	assert_int_equal(raw_int(path, "SELECT (SELECT value FROM meta WHERE "
				 "key = 'next_block_id') > coalesce((SELECT "
				 "max(id) FROM blocks_all), 0)"), 1);
	assert_int_equal(raw_int(path, "SELECT count(*) = count(DISTINCT id) "
				 "FROM blocks_all"), 1);
}

static void test_rows_of_a_holding(void **state)
{
	struct fixture *fx = *state;
	struct store_block b = mkblock(SUB_A, EXT_1, 1024, 1279, T0);
	int64_t id, id2;
	struct found f = { 0 };

	assert_int_equal(store_block_assign(fx->st, &b, &id), 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM blocks"), 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM open_blocks "
				 "WHERE ext_addr = 3405803783 AND port_first = "
				 "1024 AND port_last = 1279 AND sub_addr = "
				 "1681915914 AND assigned_ms = 1764000000000 "
				 "AND pool = 'default' AND instance = 1 AND "
				 "pool_id = 1"), 1);
	assert_int_equal(raw_int(fx->path, "SELECT id FROM open_blocks"), id);
	assert_int_equal(store_block_release(fx->st, EXT_1, 1024,
					     T0 + 3600000 * 2 + 5,
					     STORE_REL_LIFETIME), 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM open_blocks"),
			 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM blocks WHERE "
				 "rel_hour = 490002 AND released_ms = "
				 "1764007200005 AND release_reason = 2 AND "
				 "pool = 'default' AND sub_addr = 1681915914"),
			 1);
	assert_int_equal(raw_int(fx->path, "SELECT id FROM blocks"), id);
	b.assigned_ms = T0 + 3600000 * 3;
	assert_int_equal(store_block_assign(fx->st, &b, &id2), 0);
	assert_int_equal(id2, id + 1);
	assert_int_equal(store_lookup_range(fx->st, EXT_1, 1279, T0,
					    T0 + 3600000 * 4, collect, &f), 2);
	assert_int_equal(f.b[0].id, id);
	assert_int_equal(f.b[0].released_ms, T0 + 3600000 * 2 + 5);
	assert_int_equal(f.b[1].id, id2);
	assert_int_equal(f.b[1].released_ms, STORE_MS_NONE);
	check_next_id(fx->path);
}

/* The writer's checks come from the held set: a second open holding, a
 * release of a block not open or before its assign, a duplicate interim
 * are refused; a rolled-back batch leaves the block as the file says. */
static void test_writer_checks(void **state)
{
	struct fixture *fx = *state;
	struct store_block b = mkblock(SUB_A, EXT_2, 2048, 2303, T0);
	int64_t id;

	assert_int_equal(store_block_assign(fx->st, &b, &id), 0);
	assert_int_equal(store_block_assign(fx->st, &b, NULL), -EEXIST);
	assert_int_equal(store_block_release(fx->st, EXT_2, 2048, T0 - 1,
					     STORE_REL_IDLE), -EINVAL);
	assert_non_null(strstr(store_errmsg(fx->st), "before assign"));
	assert_int_equal(store_interim(fx->st, EXT_2, 2048, T0 + 5), 0);
	assert_int_equal(store_interim(fx->st, EXT_2, 2048, T0 + 5), -EEXIST);
	assert_int_equal(store_close_block_at(fx->st, id, T0 + 9,
					      STORE_REL_RECONCILE), 0);
	assert_int_equal(store_block_release(fx->st, EXT_2, 2048, T0 + 9,
					     STORE_REL_IDLE), -ENOENT);
	assert_int_equal(store_close_block_at(fx->st, id, T0 + 9,
					      STORE_REL_RECONCILE), -ENOENT);
	assert_int_equal(store_interim(fx->st, EXT_2, 2048, T0 + 6), -ENOENT);
	/* A rolled-back batch: its assign is gone, and so is its release
	 * of a block opened before it. */
	b.assigned_ms = T0 + 10;
	assert_int_equal(store_block_assign(fx->st, &b, NULL), 0);
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_block_release(fx->st, EXT_2, 2048, T0 + 11,
					     STORE_REL_IDLE), 0);
	b.port_first = 4096;
	b.port_last = 4351;
	assert_int_equal(store_block_assign(fx->st, &b, NULL), 0);
	assert_int_equal(store_rollback(fx->st), 0);
	assert_int_equal(store_block_release(fx->st, EXT_2, 4096, T0 + 12,
					     STORE_REL_IDLE), -ENOENT);
	assert_int_equal(store_block_release(fx->st, EXT_2, 2048, T0 + 12,
					     STORE_REL_IDLE), 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM interim"), 1);
	assert_int_equal(raw_int(fx->path, "SELECT group_concat(release_reason)"
				 " FROM blocks"), STORE_REL_RECONCILE);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM blocks"), 2);
	check_next_id(fx->path);
}

/* Child of test_kill_mid_batch: one committed batch, then a second one
 * killed before its commit. Exits 1 on an unexpected error. */
static void kill_mid_batch_child(const char *path)
{
	struct store_block b;
	struct store *st;
	char err[256], *dump;
	FILE *f;
	int i;

	if (store_open(path, &st, err, sizeof(err)) || store_begin(st))
		_exit(1);
	for (i = 0; i < 1500; i++) {
		b = mkblock(SUB_A + (uint32_t)i, EXT_1 + (uint32_t)i / 200,
			    (uint16_t)(1024 + i % 200 * 256),
			    (uint16_t)(1279 + i % 200 * 256), T0 + i);
		if (store_block_assign(st, &b, NULL) ||
		    (i % 3 == 0 && store_block_release(st, b.ext_addr,
						       b.port_first, T0 + 2 * i,
						       STORE_REL_IDLE)))
			_exit(1);
	}
	if (store_commit(st))
		_exit(1);
	/* What that commit left, for the parent to compare. */
	snprintf(err, sizeof(err), "%s.committed", path);
	dump = dump_blocks(path);
	f = fopen(err, "w");
	if (!dump || !f || fputs(dump, f) < 0 || fclose(f) || store_begin(st))
		_exit(1);
	/* Lost: new holdings on 203.0.114.0/29, releases of open ones. */
	for (i = 0; i < 1500; i++) {
		b = mkblock(SUB_B, 0xcb007200U + (uint32_t)i / 200,
			    (uint16_t)(1024 + i % 200 * 256),
			    (uint16_t)(1279 + i % 200 * 256), T0 + i);
		if (store_block_assign(st, &b, NULL))
			_exit(1);
	}
	for (i = 1; i < 1500; i += 3)
		if (store_block_release(st, EXT_1 + (uint32_t)i / 200,
					(uint16_t)(1024 + i % 200 * 256),
					T0 + 5000, STORE_REL_IDLE))
			_exit(1);
	raise(SIGKILL);
	_exit(2);
}

/* The contents of @path@suffix, to free(). */
static char *read_file(const char *path, const char *suffix)
{
	char name[160], *buf = calloc(1, 1 << 20);
	FILE *f;

	snprintf(name, sizeof(name), "%s%s", path, suffix);
	f = fopen(name, "r");
	assert_non_null(f);
	assert_non_null(buf);
	assert_true(fread(buf, 1, (1 << 20) - 1, f) > 0);
	fclose(f);
	return buf;
}

/* A writer killed with a batch open loses that batch and nothing else:
 * the file is exactly what the last commit made it (every column of
 * every holding), and the next writer neither sees the lost rows nor
 * reuses an id. */
static void test_kill_mid_batch(void **state)
{
	struct fixture *fx = *state;
	struct store_block b = mkblock(SUB_B, 0xcb007300U, 1024, 1279, T0);
	char *committed, *after;
	int64_t id, max_id;
	pid_t pid;
	int ws;

	store_close(fx->st);
	fx->st = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		kill_mid_batch_child(fx->path);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
	committed = read_file(fx->path, ".committed");
	after = dump_blocks(fx->path);
	assert_non_null(after);
	assert_string_equal(after, committed);
	free(after);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM blocks"),
			 500);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM open_blocks"),
			 1000);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM blocks_all "
				 "WHERE ext_addr >= 3405804032"), 0);
	max_id = raw_int(fx->path, "SELECT max(id) FROM blocks_all");
	check_next_id(fx->path);

	reopen(fx);
	after = dump_blocks(fx->path);
	assert_string_equal(after, committed);
	assert_int_equal(store_open_blocks(fx->st, NULL, NULL), 1000);
	assert_int_equal(store_block_assign(fx->st, &b, &id), 0);
	assert_true(id > max_id);
	assert_int_equal(store_block_release(fx->st, EXT_1, 1024 + 256, T0 + 1,
					     STORE_REL_IDLE), 0);
	free(committed);
	free(after);
	check_next_id(fx->path);
}

/* A release whose delete from open_blocks fails after its closed row
 * went in: the batch refuses to commit and rolls back; outside a batch
 * the release's own transaction does. Either way the holding stays
 * open, once. */
static void test_half_way_failure(void **state)
{
	struct fixture *fx = *state;
	struct store_block b = mkblock(SUB_A, EXT_1, 1024, 1279, T0);
	struct found f = { 0 };

	assert_int_equal(store_block_assign(fx->st, &b, NULL), 0);
	raw_exec(fx->path, "CREATE TRIGGER no_delete BEFORE DELETE ON "
			   "open_blocks BEGIN SELECT RAISE(ABORT, 'refused'); "
			   "END");
	assert_int_equal(store_begin(fx->st), 0);
	assert_true(store_block_release(fx->st, EXT_1, 1024, T0 + 5,
					STORE_REL_IDLE) < 0);
	assert_int_equal(store_commit(fx->st), -EIO);
	assert_non_null(strstr(store_errmsg(fx->st), "half-way"));
	assert_int_equal(store_rollback(fx->st), -EINVAL);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM blocks"), 0);
	assert_true(store_block_release(fx->st, EXT_1, 1024, T0 + 5,
					STORE_REL_IDLE) < 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM blocks"), 0);
	assert_int_equal(store_lookup_at(fx->st, EXT_1, 1024, T0 + 6, collect,
					 &f), 1);
	assert_int_equal(f.b[0].released_ms, STORE_MS_NONE);
	raw_exec(fx->path, "DROP TRIGGER no_delete");
	assert_int_equal(store_block_release(fx->st, EXT_1, 1024, T0 + 5,
					     STORE_REL_IDLE), 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM blocks_all"),
			 1);
}

/* Rows another connection wrote (data_version) are seen by the writer's
 * checks and ids. */
static void test_other_writer(void **state)
{
	struct fixture *fx = *state;
	struct store_block b = mkblock(SUB_A, EXT_1, 1024, 1279, T0);
	int64_t id;

	assert_int_equal(store_block_assign(fx->st, &b, &id), 0);
	raw_exec(fx->path, "DELETE FROM open_blocks; INSERT INTO open_blocks "
			   "VALUES (3405803784, 1024, 5000, 1, 1, 'x', "
			   "1681915915, 1279, 1764000000000)");
	assert_int_equal(store_block_release(fx->st, EXT_1, 1024, T0 + 1,
					     STORE_REL_IDLE), -ENOENT);
	b.ext_addr = EXT_2;
	assert_int_equal(store_block_assign(fx->st, &b, NULL), -EEXIST);
	assert_int_equal(store_block_release(fx->st, EXT_2, 1024, T0 + 1,
					     STORE_REL_IDLE), 0);
	assert_int_equal(store_block_assign(fx->st, &b, &id), 0);
	assert_true(id > 5000);
	check_next_id(fx->path);
}

/* Ids are reserved in runs in meta before use; a reopen skips the rest
 * of a run, never reuses one. */
static void test_id_reservation(void **state)
{
	struct fixture *fx = *state;
	struct store_block b;
	int64_t id = 0, last = 0;
	int i;

	assert_int_equal(store_begin(fx->st), 0);
	for (i = 0; i < 3000; i++) {
		b = mkblock(SUB_A, EXT_1 + (uint32_t)i / 200,
			    (uint16_t)(1024 + i % 200 * 256),
			    (uint16_t)(1279 + i % 200 * 256), T0);
		assert_int_equal(store_block_assign(fx->st, &b, &id), 0);
		assert_int_equal(id, last + 1);
		last = id;
	}
	assert_int_equal(store_commit(fx->st), 0);
	check_next_id(fx->path);
	assert_true(raw_int(fx->path, "SELECT value FROM meta WHERE key = "
			    "'next_block_id'") <= 3000 + 1024 + 1);
	reopen(fx);
	b = mkblock(SUB_A, EXT_2 + 100, 1024, 1279, T0);
	assert_int_equal(store_block_assign(fx->st, &b, &id), 0);
	assert_true(id > last);
	check_next_id(fx->path);
}

static void test_held_set(void **state)
{
	struct store_held h = { 0 };
	struct store_block b, o;
	int i;

	(void)state;
	for (i = 0; i < 5000; i++) {
		b = mkblock(SUB_A + (uint32_t)i, EXT_1 + (uint32_t)i / 200,
			    (uint16_t)(1024 + i % 200 * 256),
			    (uint16_t)(1100 + i % 200 * 256), T0 + i);
		b.id = i + 1;
		b.instance = (uint32_t)i % 3;
		b.pool_id = (uint32_t)i % 5;
		snprintf(b.pool, sizeof(b.pool), "pool-%d", i % 5);
		assert_int_equal(held_add(&h, &b), 0);
	}
	assert_int_equal(h.npools, 5);
	b.id = 99999;
	assert_int_equal(held_add(&h, &b), -EEXIST);
	for (i = 0; i < 5000; i += 2)
		assert_int_equal(held_del_id(&h, i + 1), 0);
	assert_int_equal(held_del_id(&h, 1), -ENOENT);
	assert_int_equal(h.n, 2500);
	for (i = 0; i < 5000; i++) {
		int r = held_find(&h, EXT_1 + (uint32_t)i / 200,
				  (uint16_t)(1024 + i % 200 * 256), &o);

		assert_int_equal(r, i % 2 ? 0 : -ENOENT);
		if (r)
			continue;
		assert_int_equal(o.id, i + 1);
		assert_int_equal(o.assigned_ms, T0 + i);
		assert_int_equal(o.sub_addr, SUB_A + (uint32_t)i);
		assert_int_equal(o.port_last, 1100 + i % 200 * 256);
		assert_int_equal(o.instance, (uint32_t)i % 3);
		assert_int_equal(o.pool_id, (uint32_t)i % 5);
		snprintf(b.pool, sizeof(b.pool), "pool-%d", i % 5);
		assert_string_equal(o.pool, b.pool);
		assert_int_equal(o.released_ms, STORE_MS_NONE);
		memset(&o, 0, sizeof(o));
		assert_int_equal(held_find_id(&h, i + 1, &o), 0);
		assert_int_equal(o.ext_addr, EXT_1 + (uint32_t)i / 200);
		assert_int_equal(o.port_first, 1024 + i % 200 * 256);
	}
	held_clear(&h);
	assert_int_equal(held_find_id(&h, 2, &o), -ENOENT);
	held_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fixture_open, fixture_rm)
		T(test_rows_of_a_holding),
		T(test_writer_checks),
		T(test_kill_mid_batch),
		T(test_half_way_failure),
		T(test_other_writer),
		T(test_id_reservation),
#undef T
		cmocka_unit_test(test_held_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
