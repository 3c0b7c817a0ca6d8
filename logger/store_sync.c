// SPDX-License-Identifier: GPL-2.0
/*
 * The writer's state that mirrors the file: the open holdings in memory
 * (store_held.c) and the next row id. Both are loaded from the database
 * at open and reloaded whenever they may be stale: after a rollback or a
 * failed commit, and when another connection wrote (PRAGMA data_version
 * changed). Row ids are handed out by the writer from a run reserved in
 * meta.next_block_id, written in the same transaction as the rows that
 * use them: max(id) over a table keyed by release hour would be a scan.
 */
#include <errno.h>
#include <string.h>

#include "logger/store_internal.h"

/* Ids reserved per meta write: one write per this many assigns; a
 * restart or rollback skips at most this many ids. */
#define STORE_ID_RESERVE 1024

int store_step_done(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	int ret = rc == SQLITE_DONE ? 0 : store_fail_sqlite(st, rc, what);

	sqlite3_reset(s);
	return ret;
}

static int read_data_version(struct store *st, int64_t *v)
{
	sqlite3_stmt *s;
	int ret, rc;

	ret = store_stmt(st, STMT_DATA_VERSION, &s);
	if (ret < 0)
		return ret;
	rc = sqlite3_step(s);
	*v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : store_fail_sqlite(st, rc, "data_version");
}

static int load_row(const struct store_block *b, void *ctx)
{
	struct store *st = ctx;

	if (b->id >= st->next_id)
		st->next_id = b->id + 1;
	return held_add(&st->held, b);
}

/* next_id: above every id in meta's reservation and in open_blocks (a
 * row written behind the store's back), with nothing reserved yet. */
static int load_next_id(struct store *st)
{
	sqlite3_stmt *s;
	int ret, rc;

	ret = store_stmt(st, STMT_NEXT_ID_GET, &s);
	if (ret < 0)
		return ret;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_int64(s, 0) > st->next_id)
		st->next_id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail_sqlite(st, rc, "read next block id");
	st->id_limit = st->next_id;
	return 0;
}

/* Another connection committed since the state was loaded: drop it. */
int store_held_check(struct store *st)
{
	int64_t v;
	int ret = read_data_version(st, &v);

	if (!ret && v != st->data_version)
		st->held_ok = false;
	return ret;
}

/* Inside a transaction nobody else can write: store_begin() checked. */
int store_held_sync(struct store *st)
{
	int ret = st->in_tx ? 0 : store_held_check(st);

	if (ret < 0 || st->held_ok)
		return ret;
	held_clear(&st->held);
	st->next_id = 1;
	ret = store_open_blocks(st, load_row, st);
	if (ret >= 0)
		ret = load_next_id(st);
	if (ret >= 0)
		ret = read_data_version(st, &st->data_version);
	if (ret < 0)
		return ret;
	st->held_ok = true;
	return 0;
}

int store_next_id(struct store *st, int64_t *id)
{
	sqlite3_stmt *s;
	int ret;

	if (st->next_id == st->id_limit) {
		ret = store_stmt(st, STMT_NEXT_ID_SET, &s);
		if (ret < 0)
			return ret;
		sqlite3_bind_int64(s, 1, st->next_id + STORE_ID_RESERVE);
		ret = store_step_done(st, s, "reserve block ids");
		if (ret < 0)
			return ret;
		st->id_limit = st->next_id + STORE_ID_RESERVE;
	}
	*id = st->next_id++;
	return 0;
}
