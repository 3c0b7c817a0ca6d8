/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the store tests: a fresh temporary directory per test
 * holding a real SQLite file (removed with everything in it afterwards),
 * a callback collecting matches, and a block builder using the test
 * address plan (subscribers 100.64.0.0/10, pool 203.0.113.0/24).
 */
#ifndef CGNAT_TEST_STORE_UTIL_H
#define CGNAT_TEST_STORE_UTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "logger/store.h"

#define SUB_A 0x6440000aU /* 100.64.0.10 */
#define SUB_B 0x6440000bU /* 100.64.0.11 */
#define EXT_1 0xcb007107U /* 203.0.113.7 */
#define EXT_2 0xcb007108U /* 203.0.113.8 */
#define T0 1764000000000LL /* 2025-11-24T16:00:00Z */

struct fixture {
	char dir[64];
	char path[96];
	struct store *st;
};

struct found {
	struct store_block b[8];
	int n;
};

static inline int collect(const struct store_block *b, void *ctx)
{
	struct found *f = ctx;

	if (f->n < 8)
		f->b[f->n] = *b;
	f->n++;
	return 0;
}

static inline struct store_block mkblock(uint32_t sub, uint32_t ext,
					 uint16_t first, uint16_t last,
					 int64_t assigned)
{
	struct store_block b = {
		.instance = 1,
		.pool_id = 1,
		.pool = "default",
		.sub_addr = sub,
		.ext_addr = ext,
		.port_first = first,
		.port_last = last,
		.assigned_ms = assigned,
		.released_ms = STORE_MS_NONE,
	};
	return b;
}

static inline int fixture_dir(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/cgnat-test-store.XXXXXX");
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/cgnat.db", fx->dir);
	*state = fx;
	return 0;
}

/* cmocka setup: a fresh directory and a store opened in it. */
static inline int fixture_open(void **state)
{
	struct fixture *fx;
	char err[256];

	if (fixture_dir(state))
		return -1;
	fx = *state;
	if (store_open(fx->path, &fx->st, err, sizeof(err))) {
		fprintf(stderr, "store_open: %s\n", err);
		return -1;
	}
	return 0;
}

static inline int fixture_rm(void **state)
{
	struct fixture *fx = *state;
	char p[384];
	struct dirent *de;
	DIR *d;

	store_close(fx->st);
	d = opendir(fx->dir);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", fx->dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* The first column of the first row of 'sql': -1 when there is no row,
 * -2 when the statement does not compile.
 */
static inline int db_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* The same on the file at 'path', through a connection of its own. */
static inline int raw_int(const char *path, const char *sql)
{
	sqlite3 *db;
	int v = -2;

	if (sqlite3_open(path, &db) == SQLITE_OK)
		v = db_int(db, sql);
	sqlite3_close(db);
	return v;
}

/* The first column of the first row of 'sql' on the file at 'path', as
 * a string to free(): "" when NULL or no row, NULL when it fails. */
static inline char *raw_text(const char *path, const char *sql)
{
	const unsigned char *t;
	char *v = NULL;
	sqlite3_stmt *s;
	sqlite3 *db;

	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		t = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_text(s, 0)
						  : NULL;
		v = strdup(t ? (const char *)t : "");
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return v;
}

/* Every holding of blocks_all, every column, in id order, as one string
 * to free(): equal before and after a migration exactly when no holding
 * was lost, added or changed. */
static inline char *dump_blocks(const char *path)
{
	return raw_text(path,
		"SELECT group_concat(r, ';') FROM (SELECT id || ',' || "
		"instance || ',' || pool_id || ',' || pool || ',' || sub_addr "
		"|| ',' || ext_addr || ',' || port_first || ',' || port_last "
		"|| ',' || assigned_ms || ',' || coalesce(released_ms, '-') || "
		"',' || coalesce(release_reason, '-') AS r FROM blocks_all "
		"ORDER BY id)");
}

/* The interim table the same way: "block_id@time_ms;...". */
static inline char *dump_interim(const char *path)
{
	return raw_text(path,
		"SELECT group_concat(r, ';') FROM (SELECT block_id || '@' || "
		"time_ms AS r FROM interim ORDER BY block_id, time_ms)");
}

#endif /* CGNAT_TEST_STORE_UTIL_H */
