// SPDX-License-Identifier: GPL-2.0
/*
 * cmocka tests of the schema migrations: an empty (version 0) file is
 * migrated on open; populated files of versions 1, 2 and 4 (v4 with
 * rows in its journal: an assign alone, the release of a row in blocks,
 * an assign and its release, interim records, and open rows in blocks)
 * reach the current version with every holding and interim record
 * exactly as before (v3 is tested in test_store_time.c); a database
 * written by this build is taken forward by a later migration with its
 * rows intact; a database from a newer build, a pre-versioning layout
 * and a failing migration are each refused with the file left exactly
 * as it was; the embedded list is numbered 1..SCHEMA_VERSION.
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
static const char sql_006[] =
	"ALTER TABLE blocks ADD COLUMN vrf INTEGER;"
	"CREATE INDEX blocks_vrf ON blocks (vrf) WHERE vrf IS NOT NULL;";
/* Creates a table, then fails: the table must not survive. */
static const char sql_009_bad[] = "CREATE TABLE half_done (x INTEGER);"
				  "INSERT INTO no_such_table VALUES (1);";

#define N_LATER (SCHEMA_VERSION + 1)

/* This build's files, then 008_vrf. */
static void fill_list(struct schema_migration *list)
{
	memcpy(list, schema_migrations, sizeof(schema_migrations));
	list[SCHEMA_VERSION] = (struct schema_migration){ N_LATER, "008_vrf",
							  sql_006 };
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
				    "version 9 (start cgnatd once to "
				    "migrate)"));
	assert_int_equal(store_open(fx->path, &fx->st, err, sizeof(err)), 0);
	assert_int_equal(store_schema_version(fx->st), SCHEMA_VERSION);
	db = raw_open(fx);
	assert_int_equal(db_int(db, "SELECT value FROM meta WHERE key = "
				     "'schema_version'"),
			 SCHEMA_VERSION);
	assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master "
				     "WHERE name IN ('blocks', 'interim', "
				     "'events', 'config_log', 'open_blocks', "
				     "'open_blocks_sub', 'blocks_sub_rel', "
				     "'blocks_ext_long', 'blocks_sub_long', "
				     "'blocks_interim_gone', 'blocks_text', "
				     "'blocks_all')"),
			 12);
	assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master "
				     "WHERE name IN ('journal', 'blocks_open', "
				     "'blocks_assigned', 'blocks_ext_rel')"),
			 0);
	sqlite3_close(db);
}

/* A database with data, as this build writes it, is migrated to the
 * version a later build would ship; rows and lookups survive, and a
 * second run is a no-op. */
static void test_to_later_version(void **state)
{
	struct fixture *fx = *state;
	struct schema_migration list[N_LATER];
	struct store_block b = mkblock(SUB_A, EXT_1, 40192, 40447, T0);
	struct found f = { 0 };
	char err[256];
	sqlite3 *db;
	int version = 0;

	assert_int_equal(store_open(fx->path, &fx->st, err, sizeof(err)), 0);
	assert_int_equal(store_block_assign(fx->st, &b, NULL), 0);
	assert_int_equal(store_block_release(fx->st, EXT_1, 40192, T0 + 9,
					     STORE_REL_IDLE), 0);
	store_close(fx->st);
	fx->st = NULL;

	fill_list(list);
	db = raw_open(fx);
	assert_int_equal(store_migrate(db, list, N_LATER, &version, err,
				       sizeof(err)), 0);
	assert_int_equal(version, N_LATER);
	assert_int_equal(db_int(db, "SELECT value FROM meta WHERE key = "
				     "'schema_version'"),
			 N_LATER);
	assert_int_equal(db_int(db, "SELECT count(*) FROM blocks WHERE vrf IS "
				     "NULL AND sub_addr = 1681915914"),
			 1);
	assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master "
				     "WHERE name = 'blocks_vrf'"),
			 1);
	version = 0;
	assert_int_equal(store_migrate(db, list, N_LATER, &version, err,
				       sizeof(err)), 0);
	assert_int_equal(version, N_LATER);
	sqlite3_close(db);

	/* This build (v5) now refuses the newer file, both ways. */
	assert_int_equal(store_open(fx->path, &fx->st, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "schema version 10 is newer than this "
				    "build's 9; refusing to use it"));
	assert_int_equal(store_open_ro(fx->path, &fx->st, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "(upgrade cgnatctl)"));

	/* The v5 code paths still read it (the column is additive). */
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	raw_exec(db, "UPDATE meta SET value = 9 WHERE key = 'schema_version'");
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
	struct schema_migration list[N_LATER];
	char err[256];
	sqlite3 *db;
	int version = 0;

	assert_int_equal(store_open(fx->path, &fx->st, err, sizeof(err)), 0);
	store_close(fx->st);
	fx->st = NULL;

	fill_list(list);
	list[SCHEMA_VERSION].name = "009_bad";
	list[SCHEMA_VERSION].sql = sql_009_bad;
	db = raw_open(fx);
	assert_int_equal(store_migrate(db, list, N_LATER, &version, err,
				       sizeof(err)), -EINVAL);
	assert_string_equal(err, "migration 009_bad: no such table: "
				 "no_such_table");
	assert_int_equal(version, 0);
	assert_int_equal(db_int(db, "SELECT value FROM meta WHERE key = "
				     "'schema_version'"),
			 SCHEMA_VERSION);
	assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master "
				     "WHERE name = 'half_done'"),
			 0);
	assert_int_equal(sqlite3_get_autocommit(db), 1);

	/* A list with a gap is refused before touching anything. */
	list[SCHEMA_VERSION].version = N_LATER + 1;
	assert_int_equal(store_migrate(db, list, N_LATER, &version, err,
				       sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "migration 009_bad is numbered 11, expected 10");
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
 * the current version and gives the same answers; it then takes new
 * events. */
static void test_v1_migrates(void **state)
{
	struct fixture *fx = *state;
	struct found f = { 0 };
	char err[256];
	sqlite3 *db = old_file(fx, 1);

	raw_exec(db,
		"PRAGMA foreign_keys = ON; "
		"INSERT INTO blocks (instance, pool_id, pool, sub_addr, "
		"ext_addr, port_first, port_last, assigned_ms, released_ms, "
		"release_reason) VALUES "
		"(1, 1, 'default', 1681915914, 3405803783, 1024, 1279, "
		"1764000000000, 1764000000100, 1), "
		"(1, 1, 'default', 1681915915, 3405803783, 1024, 1279, "
		"1764000000200, NULL, NULL); "
		"INSERT INTO interim VALUES (2, 1764000000300); "
		"UPDATE meta SET value = 255 WHERE key = 'max_block_span'");
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
	/* The v1 open row is closed like any other, keeping its id. */
	assert_int_equal(store_block_release(fx->st, EXT_1, 1024, T0 + 500,
					     STORE_REL_IDLE), 0);
	assert_int_equal(store_open_blocks(fx->st, NULL, NULL), 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM blocks_text "
					   "WHERE released IS NOT NULL"), 2);
	assert_int_equal(raw_int(fx->path, "SELECT id FROM blocks WHERE "
					   "released_ms = 1764000000500"), 2);
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
 * to the current version; every holding is as blocks_all showed it
 * under v2 and every lookup answers as it did. */
static void test_v2_migrates(void **state)
{
	struct fixture *fx = *state;
	static char ref[V2_POINTS][32];
	size_t e, p, t, k = 0;
	char err[256], *before, *after;
	sqlite3 *db = old_file(fx, 2);

	raw_exec(db,
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
		"UPDATE meta SET value = 255 WHERE key = 'max_block_span'");
	for (e = 0; e < 2; e++)
		for (p = 0; p < 7; p++)
			for (t = 0; t < 15; t++, k++)
				v2_reference(db, e ? EXT_2 : EXT_1,
					     v2_ports[p], T0 + v2_times[t],
					     ref[k], sizeof(ref[k]));
	sqlite3_close(db);
	assert_string_equal(ref[3 * 15 + 7], "2"); /* 1279 at T0 + 250 */
	before = dump_blocks(fx->path);

	assert_int_equal(store_open(fx->path, &fx->st, err, sizeof(err)), 0);
	assert_int_equal(store_schema_version(fx->st), SCHEMA_VERSION);
	/* 006 adds the empty session log beside the blocks. */
	db = raw_open(fx);
	assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master WHERE "
				    "name IN ('sessions', 'open_sessions', "
				    "'sessions_text', 'sessions_ext_sec')"),
			 4);
	assert_int_equal(db_int(db, "SELECT count(*) FROM sessions"), 0);
	sqlite3_close(db);
	after = dump_blocks(fx->path);
	assert_non_null(before);
	assert_non_null(after);
	assert_string_equal(after, before);
	free(before);
	free(after);
	v2_answers(fx->st, ref);
	assert_int_equal(store_history(fx->st, SUB_B, 0, T0 * 2, NULL, NULL),
			 2);
	assert_int_equal(store_history(fx->st, SUB_A, 0, T0 * 2, NULL, NULL),
			 3);
	assert_int_equal(store_open_blocks(fx->st, NULL, NULL), 2);
}

/* A version-4 file as a v4 cgnatd killed with rows in its journal left
 * it: in blocks a closed holding (1), two open ones (2, released in the
 * journal; 3, still open), a long one (4) and an interim row of 2; in
 * the journal the release of 2, an assign and its release (5), an
 * assign alone (6), interim records of 3 and of 6 (twice). */
static void write_v4_file(struct fixture *fx)
{
	sqlite3 *db = old_file(fx, 4);

	raw_exec(db,
		"INSERT INTO blocks VALUES "
		"(1, 1, 1, 'p', 1681915914, 3405803783, 1024, 1279, "
		"1764000000000, 1764000000100, 1), "
		"(2, 1, 1, 'p', 1681915915, 3405803783, 1024, 1279, "
		"1764000000200, NULL, NULL), "
		"(3, 1, 1, 'q', 1681915914, 3405803784, 1024, 1279, "
		"1764000000000, NULL, NULL), "
		"(4, 2, 3, 'p', 1681915915, 3405803783, 1280, 1535, "
		"1763740800000, 1764000000050, 3); "
		"INSERT INTO interim VALUES (2, 1764000000250); "
		"INSERT INTO journal (op, block_id, time_ms, reason, "
		"instance, pool_id, pool, sub_addr, ext_addr, port_first, "
		"port_last) VALUES "
		"(2, 2, 1764000000300, 2, NULL, NULL, NULL, NULL, NULL, NULL, "
		"NULL), "
		"(1, 5, 1764000000400, NULL, 1, 1, 'p', 1681915914, "
		"3405803783, 1024, 1279), "
		"(1, 6, 1764000000450, NULL, 1, 1, 'p', 1681915914, "
		"3405803784, 1280, 1535), "
		"(2, 5, 1764000000500, 1, NULL, NULL, NULL, NULL, NULL, NULL, "
		"NULL), "
		"(3, 6, 1764000001000, NULL, NULL, NULL, NULL, NULL, NULL, "
		"NULL, NULL), "
		"(3, 6, 1764000001000, NULL, NULL, NULL, NULL, NULL, NULL, "
		"NULL, NULL), "
		"(3, 3, 1764086400000, NULL, NULL, NULL, NULL, NULL, NULL, "
		"NULL, NULL); "
		"UPDATE meta SET value = 255 WHERE key = 'max_block_span'");
	sqlite3_close(db);
}

/* The v4 file migrates to version 5: every holding of blocks_all is as
 * before (the journal applied as a move would), the journal's interim
 * records join the old one (twins as one row), open holdings are in
 * open_blocks and closed ones in blocks under their release hour, ids
 * go on above the old ones, and retention takes a holding's interim
 * rows with it without the old foreign key. */
static void test_v4_migrates(void **state)
{
	struct fixture *fx = *state;
	char err[256], *before, *after;
	struct store_block b;
	struct found f = { 0 };
	int64_t id;
	sqlite3 *db;

	write_v4_file(fx);
	before = dump_blocks(fx->path);
	assert_non_null(before);
	assert_string_equal(before,
		"1,1,1,p,1681915914,3405803783,1024,1279,1764000000000,"
		"1764000000100,1;"
		"2,1,1,p,1681915915,3405803783,1024,1279,1764000000200,"
		"1764000000300,2;"
		"3,1,1,q,1681915914,3405803784,1024,1279,1764000000000,-,-;"
		"4,2,3,p,1681915915,3405803783,1280,1535,1763740800000,"
		"1764000000050,3;"
		"5,1,1,p,1681915914,3405803783,1024,1279,1764000000400,"
		"1764000000500,1;"
		"6,1,1,p,1681915914,3405803784,1280,1535,1764000000450,-,-");

	assert_int_equal(store_open(fx->path, &fx->st, err, sizeof(err)), 0);
	assert_int_equal(store_schema_version(fx->st), SCHEMA_VERSION);
	/* 006 adds the empty session log beside the blocks. */
	db = raw_open(fx);
	assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master WHERE "
				    "name IN ('sessions', 'open_sessions', "
				    "'sessions_text', 'sessions_ext_sec')"),
			 4);
	assert_int_equal(db_int(db, "SELECT count(*) FROM sessions"), 0);
	sqlite3_close(db);
	after = dump_blocks(fx->path);
	assert_non_null(after);
	assert_string_equal(after, before);
	free(before);
	free(after);
	after = dump_interim(fx->path);
	assert_string_equal(after, "2@1764000000250;3@1764086400000;"
				   "6@1764000001000");
	free(after);
	after = raw_text(fx->path, "SELECT group_concat(id) FROM (SELECT id "
				   "FROM open_blocks ORDER BY id)");
	assert_string_equal(after, "3,6");
	free(after);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM blocks WHERE "
				 "rel_hour = released_ms / 3600000"), 4);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM sqlite_master "
				 "WHERE name = 'journal' OR sql LIKE "
				 "'%REFERENCES%'"), 0);
	assert_int_equal(raw_int(fx->path, "SELECT value FROM meta WHERE key "
				 "= 'next_block_id'"), 7);

	/* Answers: 2 at its last instant, the long 4, the open 6. */
	assert_int_equal(store_lookup_at(fx->st, EXT_1, 1279, T0 + 299,
					 collect, &f), 1);
	assert_int_equal(f.b[0].id, 2);
	assert_int_equal(f.b[0].release_reason, STORE_REL_LIFETIME);
	assert_int_equal(store_lookup_at(fx->st, EXT_1, 1024, T0 + 300, NULL,
					 NULL), 0);
	assert_int_equal(store_lookup_at(fx->st, EXT_1, 1300, T0 - 86400000,
					 NULL, NULL), 1);
	assert_int_equal(store_lookup_at(fx->st, EXT_2, 1535, T0 + 99999999,
					 NULL, NULL), 1);
	assert_int_equal(store_history(fx->st, SUB_A, 0, T0 * 2, NULL, NULL),
			 4);

	/* The writer goes on: 6 closes under its id, a new one gets 7+. */
	assert_int_equal(store_block_release(fx->st, EXT_2, 1280, T0 + 2000,
					     STORE_REL_IDLE), 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM blocks WHERE "
				 "id = 6 AND released_ms = 1764000002000"), 1);
	b = mkblock(SUB_B, EXT_2, 1280, 1535, T0 + 3000);
	assert_int_equal(store_block_assign(fx->st, &b, &id), 0);
	assert_true(id >= 7);

	/* Retention: 1, 2, 4 and 5 released before T0 + 1000; 2's interim
	 * row goes with it, 3's and 6's stay. */
	assert_int_equal(store_prune(fx->st, T0 + 1000, 100), 4);
	after = dump_interim(fx->path);
	assert_string_equal(after, "3@1764086400000;6@1764000001000");
	free(after);
}

static int sess_count(const struct store_session *x, void *ctx)
{
	(void)x;
	(*(int *)ctx)++;
	return 0;
}

/* A version 8 file with ended sessions of each class (short, three
 * hours or more, start unknown) and an open one migrates to version 9:
 * the endpoint indexes of every ended session give way to the end-second
 * ones and the long ones' partial indexes, the open ones' subscriber
 * index to one led by the start second, and the lookups by external
 * endpoint and by subscriber find each session where they did. */
static void test_v8_sessions_migrate(void **state)
{
	struct fixture *fx = *state;
	sqlite3 *db = old_file(fx, 8);
	char err[256];
	int n;

	raw_exec(db,
		"INSERT INTO sessions (ext_addr, ext_port, proto, rem_addr, "
		"rem_port, int_addr, int_port, instance, flags, start_ms, "
		"end_ms, end_reason) VALUES "
		"(3405803783, 1025, 17, 3325256711, 53, 1681915914, 5000, 1, "
		"0, 1764000000000, 1764000300000, 1), "
		"(3405803783, 1026, 6, 3325256711, 443, 1681915914, 5001, 1, "
		"0, 1764000000000, 1764018000000, 1), "
		"(3405803783, 1027, 6, 3325256711, 443, 1681915914, 5002, 1, "
		"0, NULL, 1764000500000, 1); "
		"INSERT INTO open_sessions VALUES (3405803783, 1028, 17, "
		"3325256711, 53, 1681915914, 5003, 1, 0, 1764000000000)");
	sqlite3_close(db);
	assert_int_equal(store_open(fx->path, &fx->st, err, sizeof(err)), 0);
	assert_int_equal(store_schema_version(fx->st), SCHEMA_VERSION);
	db = raw_open(fx);
	assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master WHERE "
				    "name IN ('sessions_ext', 'sessions_int', "
				    "'sessions_end', 'open_sessions_int')"),
			 0);
	assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master WHERE "
				    "name = 'open_sessions_int_sec'"),
			 1);
	assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master WHERE "
				    "name LIKE 'sessions_%_sec' OR name LIKE "
				    "'sessions_%_long'"),
			 4);
	sqlite3_close(db);
	for (int port = 1025; port <= 1028; port++) {
		n = 0;
		assert_int_equal(store_sess_lookup(fx->st, 3405803783U, port,
						   1764000299999LL,
						   1764000299999LL, sess_count,
						   &n), 1);
	}
	n = 0;
	assert_int_equal(store_sess_lookup(fx->st, 3405803783U, 1025,
					   1764000300000LL, 1764000300000LL,
					   sess_count, &n), 0);
	n = 0;
	assert_int_equal(store_sess_history(fx->st, 1681915914U, 0,
					    1764000400000LL, sess_count, &n),
			 4);
	n = 0;
	assert_int_equal(store_sess_history(fx->st, 1681915914U,
					    1764000500000LL, 1764000500000LL,
					    sess_count, &n), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_embedded_list),
#define T(f) cmocka_unit_test_setup_teardown(f, fixture_dir, fixture_rm)
		T(test_from_empty_file),
		T(test_to_later_version),
		T(test_v1_migrates),
		T(test_v2_migrates),
		T(test_v4_migrates),
		T(test_v8_sessions_migrate),
		T(test_failing_migration_rolls_back),
		T(test_unversioned_layout_refused),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
