// SPDX-License-Identifier: GPL-2.0
/*
 * The block journal (schema/002_journal.sql): block events are appended
 * to an unindexed table in the caller's transaction, which is what
 * cgnatd acknowledges, and moved into the indexed blocks table later by
 * store_move() in transactions of their own. A crash leaves each journal
 * row either unmoved (moved after the restart) or moved and deleted
 * (same transaction), never both or neither. The writer checks its
 * block events against an in-memory set of open holdings (store_held.c)
 * instead of reading the journal back.
 */
#include <errno.h>
#include <string.h>

#include "logger/store_internal.h"

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

	return held_add(&st->held, b->ext_addr, b->port_first, b->id,
			b->assigned_ms);
}

static int load_state(struct store *st)
{
	sqlite3_stmt *s;
	int ret, rc;

	ret = store_stmt(st, STMT_J_STATE, &s);
	if (ret < 0)
		return ret;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		st->next_id = sqlite3_column_int64(s, 0);
		st->journal_rows = (long)sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : store_fail_sqlite(st, rc, "journal");
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
	ret = store_open_blocks(st, load_row, st);
	if (ret >= 0)
		ret = load_state(st);
	if (ret >= 0)
		ret = read_data_version(st, &st->data_version);
	if (ret < 0)
		return ret;
	st->held_ok = true;
	return 0;
}

int store_journal_append(struct store *st, int op, int64_t id, int64_t ms,
			 int reason, const struct store_block *b)
{
	sqlite3_stmt *s;
	int ret;

	ret = store_stmt(st, STMT_J_APPEND, &s);
	if (ret < 0)
		return ret;
	sqlite3_bind_int(s, 1, op);
	sqlite3_bind_int64(s, 2, id);
	sqlite3_bind_int64(s, 3, ms);
	if (op == STORE_J_RELEASE)
		sqlite3_bind_int(s, 4, reason);
	if (b) {
		sqlite3_bind_int64(s, 5, b->instance);
		sqlite3_bind_int64(s, 6, b->pool_id);
		sqlite3_bind_text(s, 7, b->pool, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 8, b->sub_addr);
		sqlite3_bind_int64(s, 9, b->ext_addr);
		sqlite3_bind_int(s, 10, b->port_first);
		sqlite3_bind_int(s, 11, b->port_last);
	}
	ret = store_step_done(st, s, "journal append");
	if (!ret)
		st->journal_rows++;
	return ret;
}

long store_journal_rows(const struct store *st)
{
	return st->journal_rows;
}

/* First and last seq of the next move, 0 when the journal is empty. */
static int move_range(struct store *st, int max_rows, int64_t *lo, int64_t *hi)
{
	sqlite3_stmt *s;
	int ret, rc;

	ret = store_stmt(st, STMT_J_RANGE, &s);
	if (ret < 0)
		return ret;
	sqlite3_bind_int(s, 1, max_rows);
	rc = sqlite3_step(s);
	*lo = *hi = 0;
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		*lo = sqlite3_column_int64(s, 0);
		*hi = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : store_fail_sqlite(st, rc, "move range");
}

static int move_steps(struct store *st, int64_t lo, int64_t hi)
{
	static const enum store_stmt_id step[] = {
		STMT_MV_RELEASE, STMT_MV_ASSIGN, STMT_MV_INTERIM, STMT_J_DELETE
	};
	sqlite3_stmt *s;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(step) / sizeof(step[0]); i++) {
		ret = store_stmt(st, step[i], &s);
		if (ret < 0)
			return ret;
		sqlite3_bind_int64(s, 1, lo);
		sqlite3_bind_int64(s, 2, hi);
		ret = store_step_done(st, s, "move journal");
		if (ret < 0)
			return ret;
	}
	return sqlite3_changes(st->db); /* rows deleted from the journal */
}

int store_move(struct store *st, int max_rows)
{
	int64_t lo, hi;
	int ret, n;

	if (st->readonly)
		return store_fail(st, -EROFS, "move: store is read-only");
	if (st->in_tx)
		return store_fail(st, -EBUSY, "move: a batch is open");
	if (max_rows <= 0)
		return store_fail(st, -EINVAL, "move: max_rows must be > 0");
	ret = store_begin(st);
	if (ret < 0)
		return ret;
	ret = move_range(st, max_rows, &lo, &hi);
	n = ret < 0 || !lo ? ret : move_steps(st, lo, hi);
	if (n < 0) {
		store_rollback(st);
		return n;
	}
	ret = store_commit(st);
	if (ret < 0) {
		if (st->in_tx)
			store_rollback(st);
		return ret;
	}
	st->journal_rows -= n;
	return n;
}
