// SPDX-License-Identifier: GPL-2.0
/*
 * cmocka tests of the schema migrations: an empty (version 0) file is
 * migrated on open; a database written by this build is taken forward
 * by a later migration with its rows intact (the real v1 -> v2 and
 * v2 -> v3 migrations are tested in test_store_journal.c, v3 -> v4 in
 * test_store_time.c); a database from a
 * newer build, a pre-versioning layout and a failing migration are each
 * refused with the file left exactly as it was; the embedded list is
 * numbered 1..SCHEMA_VERSION.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "logger/store_internal.h"
#include "schema/migrations.h"
#include "tests/unit/test_store_util.h"

/* What a later build might add: a column and an index. */
static const char sql_005[] =
	"ALTER TABLE blocks ADD COLUMN vrf INTEGER;"
	"CREATE INDEX blocks_vrf ON blocks (vrf) WHERE vrf IS NOT NULL;";
/* Creates a table, then fails: the table must not survive. */
static const char sql_005_bad[] = "CREATE TABLE half_done (x INTEGER);"
				  "INSERT INTO no_such_table VALUES (1);";

static const struct schema_migration list_v5[] = {
	{ 1, "001_initial", NULL }, /* filled from schema_migrations */
	{ 2, "002_journal", NULL },
	{ 3, "003_move", NULL },
	{ 4, "004_time_index", NULL },
	{ 5, "005_vrf", sql_005 },
};

/* list_v5 with this build's files filled in. */
static void fill_list(struct schema_migration *list)
{
	memcpy(list, list_v5, sizeof(list_v5));
	list[0].sql = schema_migrations[0].sql;
	list[1].sql = schema_migrations[1].sql;
	list[2].sql = schema_migrations[2].sql;
	list[3].sql = schema_migrations[3].sql;
}

static sqlite3 *raw_open(struct fixture *fx)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	return db;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
}

static void test_embedded_list(void **state)
{
	size_t n = sizeof(schema_migrations) / sizeof(schema_migrations[0]);
	size_t i;

	(void)state;
	assert_int_equal(n, SCHEMA_VERSION);
	for (i = 0; i < n; i++) {
		assert_int_equal(schema_migrations[i].version, (int)i + 1);
		assert_non_null(schema_migrations[i].sql);
	}
	assert_string_equal(schema_migrations[0].name, "001_initial");
}

/* An empty file (version 0, e.g. touched by an installer) is migrated. */
static void test_from_empty_file(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	sqlite3 *db;
	int fd;

	fd = open(fx->path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(store_open_ro(fx->path, &fx->st, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "schema version 0, this build reads "
				    "version 4 (start cgnatd once to "
				    "migrate)"));
	assert_int_equal(store_open(fx->path, &fx->st, err, sizeof(err)), 0);
	assert_int_equal(store_schema_version(fx->st), 4);
	db = raw_open(fx);
	assert_int_equal(db_int(db, "SELECT value FROM meta WHERE key = "
				     "'schema_version'"),
			 4);
	assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master "
				     "WHERE name IN ('blocks', 'interim', "
				     "'events', 'config_log', 'blocks_ext_rel', "
				     "'blocks_open', 'blocks_text', "
				     "'journal', 'blocks_all')"),
			 9);
	sqlite3_close(db);
}

/* A v4 database with data, as this build writes it, is migrated to a
 * v5 that a later build would ship; rows and lookups survive, and a
 * second run is a no-op. */
static void test_v4_to_v5(void **state)
{
	struct fixture *fx = *state;
	struct schema_migration list[5];
	struct store_block b = mkblock(SUB_A, EXT_1, 40192, 40447, T0);
	struct found f = { 0 };
	char err[256];
	sqlite3 *db;
	int version = 0;

	assert_int_equal(store_open(fx->path, &fx->st, err, sizeof(err)), 0);
	assert_int_equal(store_block_assign(fx->st, &b, NULL), 0);
	store_close(fx->st);
	fx->st = NULL;

	fill_list(list);
	db = raw_open(fx);
	assert_int_equal(store_migrate(db, list, 5, &version, err, sizeof(err)),
			 0);
	assert_int_equal(version, 5);
	assert_int_equal(db_int(db, "SELECT value FROM meta WHERE key = "
				     "'schema_version'"),
			 5);
	assert_int_equal(db_int(db, "SELECT count(*) FROM blocks WHERE vrf IS "
				     "NULL AND sub_addr = 1681915914"),
			 1);
	assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master "
				     "WHERE name = 'blocks_vrf'"),
			 1);
	version = 0;
	assert_int_equal(store_migrate(db, list, 5, &version, err, sizeof(err)),
			 0);
	assert_int_equal(version, 5);
	sqlite3_close(db);

	/* This build (v4) now refuses the newer file, both ways. */
	assert_int_equal(store_open(fx->path, &fx->st, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "schema version 5 is newer than this "
				    "build's 4; refusing to use it"));
	assert_int_equal(store_open_ro(fx->path, &fx->st, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "(upgrade cgnatctl)"));

	/* The v4 code paths still read it (the column is additive). */
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	raw_exec(db, "UPDATE meta SET value = 4 WHERE key = 'schema_version'");
	sqlite3_close(db);
	assert_int_equal(store_open_ro(fx->path, &fx->st, err, sizeof(err)), 0);
	assert_int_equal(store_lookup_at(fx->st, EXT_1, 40447, T0, collect, &f),
			 1);
}

/* A failing migration leaves the database at its old version with no
 * trace of the partial work. */
static void test_failing_migration_rolls_back(void **state)
{
	struct fixture *fx = *state;
	struct schema_migration list[5];
	char err[256];
	sqlite3 *db;
	int version = 0;

	assert_int_equal(store_open(fx->path, &fx->st, err, sizeof(err)), 0);
	store_close(fx->st);
	fx->st = NULL;

	fill_list(list);
	list[4].name = "005_bad";
	list[4].sql = sql_005_bad;
	db = raw_open(fx);
	assert_int_equal(store_migrate(db, list, 5, &version, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "migration 005_bad: no such table: "
				 "no_such_table");
	assert_int_equal(version, 0);
	assert_int_equal(db_int(db, "SELECT value FROM meta WHERE key = "
				     "'schema_version'"),
			 4);
	assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master "
				     "WHERE name = 'half_done'"),
			 0);
	assert_int_equal(sqlite3_get_autocommit(db), 1);

	/* A list with a gap is refused before touching anything. */
	list[4].version = 6;
	assert_int_equal(store_migrate(db, list, 5, &version, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "migration 005_bad is numbered 6, expected 5");
	sqlite3_close(db);
}

/* A file laid out before versioning (tables, no meta) is refused with
 * the reason, and not modified. */
static void test_unversioned_layout_refused(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	sqlite3 *db;

	db = raw_open(fx);
	raw_exec(db, "CREATE TABLE blocks (sub TEXT, ext TEXT, port INTEGER, "
		     "t TEXT); INSERT INTO blocks VALUES ('100.64.0.10', "
		     "'203.0.113.7', 40123, '2026-01-01');");
	sqlite3_close(db);

	assert_int_equal(store_open(fx->path, &fx->st, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "migration 001_initial: table blocks "
				    "already exists"));
	db = raw_open(fx);
	assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master "
				     "WHERE type = 'table'"),
			 1);
	assert_int_equal(db_int(db, "SELECT count(*) FROM blocks"), 1);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_embedded_list),
#define T(f) cmocka_unit_test_setup_teardown(f, fixture_dir, fixture_rm)
		T(test_from_empty_file),
		T(test_v4_to_v5),
		T(test_failing_migration_rolls_back),
		T(test_unversioned_layout_refused),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
