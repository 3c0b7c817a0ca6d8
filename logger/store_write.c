// SPDX-License-Identifier: GPL-2.0
/*
 * The write side of the compliance log store: block assign and release,
 * interim records, events, configuration records, reconciliation support
 * and retention. Each block event writes its final rows at once, through
 * reused prepared statements: an assign inserts the open row into
 * open_blocks, a release inserts the closed row into blocks (taken from
 * the writer's copy of the open row) and deletes the open one. Batching
 * (store_begin/store_commit) is what makes them cheap, since each commit
 * costs an fsync. Arguments are checked here, and block events against
 * the in-memory open holdings, so a bad caller gets an error with a
 * message instead of a row that breaks the lookup invariants.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "logger/store_internal.h"
#include "logger/timefmt.h"

static int check_writable(struct store *st, const char *what)
{
	if (st->readonly)
		return store_fail(st, -EROFS, "%s: store is read-only", what);
	return 0;
}

static const char *block_name(uint32_t ext_addr, uint16_t port_first, char *buf,
			      size_t len)
{
	char addr[TIMEFMT_ADDR_LEN];

	timefmt_format_addr(ext_addr, addr, sizeof(addr));
	snprintf(buf, len, "%s:%u", addr, port_first);
	return buf;
}

static int check_block(struct store *st, const struct store_block *b)
{
	if (strnlen(b->pool, sizeof(b->pool)) > STORE_POOL_MAX)
		return store_fail(st, -ENAMETOOLONG,
				  "assign: pool name longer than %d",
				  STORE_POOL_MAX);
	if (b->port_first > b->port_last)
		return store_fail(st, -EINVAL,
				  "assign: port range %u-%u is reversed",
				  b->port_first, b->port_last);
	if (b->assigned_ms < 0)
		return store_fail(st, -EINVAL,
				  "assign: negative assign time %lld",
				  (long long)b->assigned_ms);
	if (b->released_ms != STORE_MS_NONE)
		return store_fail(st, -EINVAL,
				  "assign: a new holding has no release time");
	return 0;
}

/*
 * Keep meta.max_block_span >= every stored block's span, raising it in
 * the transaction that inserts the row: a span that is too wide only
 * widens lookups, while one too narrow hides rows.
 */
static int raise_span(struct store *st, int span)
{
	sqlite3_stmt *s;
	int ret, rc;

	if (st->max_span < 0) {
		ret = store_stmt(st, STMT_SPAN_GET, &s);
		if (ret < 0)
			return ret;
		rc = sqlite3_step(s);
		st->max_span = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
		sqlite3_reset(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return store_fail_sqlite(st, rc, "read block span");
	}
	if (span <= st->max_span)
		return 0;
	ret = store_stmt(st, STMT_SPAN_SET, &s);
	if (ret < 0)
		return ret;
	sqlite3_bind_int(s, 1, span);
	ret = store_step_done(st, s, "raise block span");
	if (!ret)
		st->max_span = span;
	return ret;
}

/* Outside a batch a block write runs in a transaction of its own, so
 * its statements (reserved ids, closed and open row) commit together. */
static int own_begin(struct store *st, bool *own)
{
	*own = !st->in_tx;
	return *own ? store_begin(st) : 0;
}

static int own_end(struct store *st, bool own, int ret)
{
	if (!own)
		return ret;
	if (ret < 0) {
		store_rollback(st);
		return ret;
	}
	return store_commit(st);
}

/* Binds the columns an open and a closed row share, ?1-?9 in
 * STORE_BLOCK_COLS order. */
static void bind_block(sqlite3_stmt *s, const struct store_block *b)
{
	sqlite3_bind_int64(s, 1, b->id);
	sqlite3_bind_int64(s, 2, b->instance);
	sqlite3_bind_int64(s, 3, b->pool_id);
	sqlite3_bind_text(s, 4, b->pool, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, b->sub_addr);
	sqlite3_bind_int64(s, 6, b->ext_addr);
	sqlite3_bind_int(s, 7, b->port_first);
	sqlite3_bind_int(s, 8, b->port_last);
	sqlite3_bind_int64(s, 9, b->assigned_ms);
}

static int insert_open(struct store *st, const struct store_block *b)
{
	sqlite3_stmt *s;
	int ret;

	ret = store_stmt(st, STMT_OPEN_INSERT, &s);
	if (ret < 0)
		return ret;
	bind_block(s, b);
	return store_step_done(st, s, "assign");
}

static int assign_row(struct store *st, struct store_block *row)
{
	struct store_block old;
	char name[32];
	int ret;

	ret = store_held_sync(st);
	if (!ret && !held_find(&st->held, row->ext_addr, row->port_first, &old))
		return store_fail(st, -EEXIST, "assign: block %s is still open",
				  block_name(row->ext_addr, row->port_first,
					     name, sizeof(name)));
	if (!ret)
		ret = raise_span(st, row->port_last - row->port_first);
	if (!ret)
		ret = store_next_id(st, &row->id);
	if (!ret)
		ret = held_add(&st->held, row);
	if (ret == -ENOMEM || ret == -E2BIG)
		return store_fail(st, ret, "assign: %s", strerror(-ret));
	if (ret < 0)
		return ret;
	ret = insert_open(st, row);
	if (!ret)
		ret = store_ship_block(st, STORE_SHIP_ASSIGN, row,
				       row->assigned_ms);
	if (ret < 0)
		held_del_id(&st->held, row->id);
	return ret;
}

int store_block_assign(struct store *st, const struct store_block *b,
		       int64_t *id)
{
	struct store_block row = *b;
	bool own;
	int ret;

	ret = check_writable(st, "assign");
	if (!ret)
		ret = check_block(st, b);
	if (!ret)
		ret = own_begin(st, &own);
	if (ret < 0)
		return ret;
	ret = own_end(st, own, assign_row(st, &row));
	if (!ret && id)
		*id = row.id;
	return ret;
}

static int check_release(struct store *st, int64_t ms, int reason,
			 const char *what)
{
	int ret = check_writable(st, what);

	if (ret < 0)
		return ret;
	if (ms < 0)
		return store_fail(st, -EINVAL, "%s: negative time %lld", what,
				  (long long)ms);
	if (reason <= STORE_REL_NONE || reason > STORE_REL_SHUTDOWN)
		return store_fail(st, -EINVAL, "%s: unknown reason %d", what,
				  reason);
	return 0;
}

static int insert_closed(struct store *st, const struct store_block *b)
{
	sqlite3_stmt *s;
	int ret;

	ret = store_stmt(st, STMT_CLOSED_INSERT, &s);
	if (ret < 0)
		return ret;
	bind_block(s, b);
	sqlite3_bind_int64(s, 10, b->released_ms);
	sqlite3_bind_int(s, 11, b->release_reason);
	return store_step_done(st, s, "release");
}

static int delete_open(struct store *st, const struct store_block *b)
{
	sqlite3_stmt *s;
	int ret;

	ret = store_stmt(st, STMT_OPEN_DELETE, &s);
	if (ret < 0)
		return ret;
	sqlite3_bind_int64(s, 1, b->ext_addr);
	sqlite3_bind_int(s, 2, b->port_first);
	ret = store_step_done(st, s, "release");
	if (!ret && sqlite3_changes(st->db) != 1)
		ret = store_fail(st, -EIO, "release: open row of %lld is gone",
				 (long long)b->id);
	return ret;
}

/*
 * Close the open holding @row at @ms: its closed row goes into blocks,
 * its open row out of open_blocks. If the second statement fails the
 * first has been written: the batch is marked so that it cannot commit
 * a holding both closed and open. @what names the call in messages.
 */
static int close_row(struct store *st, struct store_block *row, int64_t ms,
		     int reason, const char *what)
{
	char name[32];
	int ret;

	if (ms < row->assigned_ms)
		return store_fail(st, -EINVAL,
				  "%s %s: release time before assign time",
				  what,
				  block_name(row->ext_addr, row->port_first,
					     name, sizeof(name)));
	row->released_ms = ms;
	row->release_reason = reason;
	ret = insert_closed(st, row);
	if (ret < 0)
		return ret;
	ret = delete_open(st, row);
	if (!ret)
		ret = store_ship_block(st, STORE_SHIP_RELEASE, row, ms);
	if (ret < 0) {
		st->tx_broken = true;
		return ret;
	}
	held_del_id(&st->held, row->id);
	return 0;
}

/* The writer's copy of the open holding of a block, or -ENOENT with
 * "@what a.b.c.d:port: block is not open". Messages are formatted only
 * on failure: a release is the hot path. */
static int find_open(struct store *st, uint32_t ext_addr, uint16_t port_first,
		     const char *what, struct store_block *row)
{
	char name[32];
	int ret = store_held_sync(st);

	if (ret < 0)
		return ret;
	if (held_find(&st->held, ext_addr, port_first, row))
		return store_fail(
			st, -ENOENT, "%s %s: block is not open", what,
			block_name(ext_addr, port_first, name, sizeof(name)));
	return 0;
}

static int release_row(struct store *st, uint32_t ext_addr, uint16_t port_first,
		       int64_t ms, int reason)
{
	struct store_block row;
	int ret = find_open(st, ext_addr, port_first, "release", &row);

	return ret < 0 ? ret : close_row(st, &row, ms, reason, "release");
}

int store_block_release(struct store *st, uint32_t ext_addr,
			uint16_t port_first, int64_t released_ms, int reason)
{
	bool own;
	int ret;

	ret = check_release(st, released_ms, reason, "release");
	if (!ret)
		ret = own_begin(st, &own);
	if (ret < 0)
		return ret;
	return own_end(
		st, own,
		release_row(st, ext_addr, port_first, released_ms, reason));
}

static int interim_row(struct store *st, uint32_t ext_addr, uint16_t port_first,
		       int64_t time_ms)
{
	struct store_block row;
	sqlite3_stmt *s;
	char name[32];
	int ret;

	ret = find_open(st, ext_addr, port_first, "interim", &row);
	if (ret < 0)
		return ret;
	ret = store_stmt(st, STMT_INTERIM, &s);
	if (ret < 0)
		return ret;
	sqlite3_bind_int64(s, 1, row.id);
	sqlite3_bind_int64(s, 2, time_ms);
	ret = store_step_done(st, s, "interim");
	if (!ret)
		ret = store_ship_block(st, STORE_SHIP_INTERIM, &row, time_ms);
	if (ret == -EEXIST)
		return store_fail(
			st, ret, "interim %s: already recorded",
			block_name(ext_addr, port_first, name, sizeof(name)));
	return ret;
}

int store_interim(struct store *st, uint32_t ext_addr, uint16_t port_first,
		  int64_t time_ms)
{
	bool own;
	int ret;

	ret = check_writable(st, "interim");
	if (!ret && time_ms < 0)
		ret = store_fail(st, -EINVAL, "interim: negative time");
	if (!ret)
		ret = own_begin(st, &own);
	if (ret < 0)
		return ret;
	return own_end(st, own, interim_row(st, ext_addr, port_first, time_ms));
}

static void bind_opt(sqlite3_stmt *s, int col, bool set, int64_t v)
{
	if (set)
		sqlite3_bind_int64(s, col, v);
	else
		sqlite3_bind_null(s, col);
}

int store_event(struct store *st, const struct store_event *e)
{
	sqlite3_stmt *s;
	int ret;

	ret = check_writable(st, "event");
	if (!ret &&
	    (e->time_ms < 0 || !strcmp(store_event_name(e->type), "unknown")))
		ret = store_fail(st, -EINVAL, "event: bad type %d or time %lld",
				 e->type, (long long)e->time_ms);
	if (!ret)
		ret = store_stmt(st, STMT_EVENT, &s);
	if (ret < 0)
		return ret;
	sqlite3_bind_int64(s, 1, e->time_ms);
	sqlite3_bind_int64(s, 2, e->instance);
	sqlite3_bind_int(s, 3, e->type);
	bind_opt(s, 4, e->has_sub, e->sub_addr);
	bind_opt(s, 5, e->has_ext, e->ext_addr);
	bind_opt(s, 6, e->has_pool, e->pool_id);
	bind_opt(s, 7, e->has_value, e->value);
	bind_opt(s, 8, e->has_limit, e->limit);
	if (e->detail)
		sqlite3_bind_text(s, 9, e->detail, -1, SQLITE_STATIC);
	return store_step_done(st, s, "event");
}

int store_config_log(struct store *st, int64_t now_ms, uint32_t instance,
		     const char *text)
{
	sqlite3_stmt *s;
	int ret;

	ret = check_writable(st, "config log");
	if (!ret && (now_ms < 0 || !text))
		ret = store_fail(st, -EINVAL,
				 "config log: no text or bad time");
	if (!ret)
		ret = store_stmt(st, STMT_CONFIG, &s);
	if (ret < 0)
		return ret;
	sqlite3_bind_int64(s, 1, now_ms);
	sqlite3_bind_int64(s, 2, instance);
	sqlite3_bind_text(s, 3, text, -1, SQLITE_STATIC);
	ret = store_step_done(st, s, "config log");
	return ret < 0 ? ret : store_ship_config(st, now_ms, instance, text);
}

int store_open_blocks(struct store *st, store_block_cb cb, void *ctx)
{
	sqlite3_stmt *s;
	int ret;

	ret = store_stmt(st, STMT_OPEN_BLOCKS, &s);
	if (ret < 0)
		return ret;
	return store_iterate(st, s, cb, ctx, "open blocks");
}

static int close_id(struct store *st, int64_t id, int64_t ms, int reason)
{
	struct store_block row;
	int ret;

	ret = store_held_sync(st);
	if (ret < 0)
		return ret;
	if (held_find_id(&st->held, id, &row))
		return store_fail(st, -ENOENT, "close block %lld: not open",
				  (long long)id);
	return close_row(st, &row, ms, reason, "close block");
}

int store_close_block_at(struct store *st, int64_t id, int64_t released_ms,
			 int reason)
{
	bool own;
	int ret;

	ret = check_release(st, released_ms, reason, "close block");
	if (!ret)
		ret = own_begin(st, &own);
	if (ret < 0)
		return ret;
	return own_end(st, own, close_id(st, id, released_ms, reason));
}

/* Blocks first (the bulk), then events, then configuration records,
 * sharing one row budget so a call stays short. */
int store_prune(struct store *st, int64_t older_than_ms, int max_rows)
{
	static const enum store_stmt_id order[] = {
		STMT_PRUNE_BLOCKS, STMT_PRUNE_SESSIONS, STMT_PRUNE_EVENTS,
		STMT_PRUNE_CONFIG, STMT_PRUNE_DET};
	sqlite3_stmt *s;
	int total = 0, ret;
	size_t i;

	ret = check_writable(st, "prune");
	if (!ret && max_rows <= 0)
		ret = store_fail(st, -EINVAL, "prune: max_rows must be > 0");
	if (ret < 0)
		return ret;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (total >= max_rows)
			break;
		ret = store_stmt(st, order[i], &s);
		if (ret < 0)
			return ret;
		sqlite3_bind_int64(s, 1, older_than_ms);
		sqlite3_bind_int(s, 2, max_rows - total);
		ret = store_step_done(st, s, "prune");
		if (ret < 0)
			return ret;
		total += sqlite3_changes(st->db);
	}
	return total;
}
