// SPDX-License-Identifier: GPL-2.0
/*
 * The write side of the compliance log store: block assign and release,
 * interim records, events, configuration records, reconciliation support
 * and retention. Every call is one reused prepared statement; batching
 * (store_begin/store_commit) is what makes them cheap, since each commit
 * costs an fsync. Arguments are checked here so a bad caller gets -EINVAL
 * with a message instead of a row that breaks the lookup invariants.
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
 * Keep meta.max_block_span >= every stored block's span, raising it before
 * the row goes in: outside a batch the two commit separately, and a span
 * that is too wide only widens lookups, while one too narrow hides rows.
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

int store_block_assign(struct store *st, const struct store_block *b,
		       int64_t *id)
{
	char name[32];
	int ret;

	ret = check_writable(st, "assign");
	if (!ret)
		ret = check_block(st, b);
	if (!ret)
		ret = store_held_sync(st);
	if (!ret)
		ret = raise_span(st, b->port_last - b->port_first);
	if (!ret)
		ret = held_add(&st->held, b->ext_addr, b->port_first,
			       st->next_id, b->assigned_ms);
	if (ret == -EEXIST)
		return store_fail(st, ret, "assign: block %s is still open",
				  block_name(b->ext_addr, b->port_first, name,
					     sizeof(name)));
	if (ret == -ENOMEM)
		return store_fail(st, ret, "assign: out of memory");
	if (ret < 0)
		return ret;
	ret = store_journal_append(st, STORE_J_ASSIGN, st->next_id,
				   b->assigned_ms, 0, b);
	if (ret < 0) {
		held_del_id(&st->held, st->next_id);
		return ret;
	}
	if (id)
		*id = st->next_id;
	st->next_id++;
	return 0;
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

/* Journal the close of open row @id at @ms; the row stays open in
 * memory if the append fails. */
static int close_row(struct store *st, int64_t id, int64_t assigned_ms,
		     int64_t ms, int reason, const char *what)
{
	int ret;

	if (ms < assigned_ms)
		return store_fail(st, -EINVAL,
				  "%s: release time before assign time", what);
	ret = store_journal_append(st, STORE_J_RELEASE, id, ms, reason, NULL);
	if (!ret)
		held_del_id(&st->held, id);
	return ret;
}

int store_block_release(struct store *st, uint32_t ext_addr,
			uint16_t port_first, int64_t released_ms, int reason)
{
	int64_t id, assigned_ms;
	char name[64];
	int ret;

	ret = check_release(st, released_ms, reason, "release");
	if (!ret)
		ret = store_held_sync(st);
	if (ret < 0)
		return ret;
	snprintf(name, sizeof(name), "release ");
	block_name(ext_addr, port_first, name + 8, sizeof(name) - 8);
	if (held_find(&st->held, ext_addr, port_first, &id, &assigned_ms))
		return store_fail(st, -ENOENT, "%s: block is not open", name);
	return close_row(st, id, assigned_ms, released_ms, reason, name);
}

/* An interim record already moved is refused like a duplicate key; one
 * still in the journal is merged with its twin when moved. */
static int interim_exists(struct store *st, int64_t id, int64_t time_ms)
{
	sqlite3_stmt *s;
	int ret, rc;

	ret = store_stmt(st, STMT_INTERIM_HAS, &s);
	if (ret < 0)
		return ret;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, time_ms);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return store_fail(st, -EEXIST, "interim: already recorded");
	return rc == SQLITE_DONE ? 0 : store_fail_sqlite(st, rc, "interim");
}

int store_interim(struct store *st, uint32_t ext_addr, uint16_t port_first,
		  int64_t time_ms)
{
	int64_t id, assigned_ms;
	char name[32];
	int ret;

	ret = check_writable(st, "interim");
	if (!ret && time_ms < 0)
		ret = store_fail(st, -EINVAL, "interim: negative time");
	if (!ret)
		ret = store_held_sync(st);
	if (ret < 0)
		return ret;
	if (held_find(&st->held, ext_addr, port_first, &id, &assigned_ms))
		return store_fail(st, -ENOENT, "interim %s: block is not open",
				  block_name(ext_addr, port_first, name,
					     sizeof(name)));
	ret = interim_exists(st, id, time_ms);
	if (!ret)
		ret = store_journal_append(st, STORE_J_INTERIM, id, time_ms, 0,
					   NULL);
	return ret;
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
	return store_step_done(st, s, "config log");
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

int store_close_block_at(struct store *st, int64_t id, int64_t released_ms,
			 int reason)
{
	int64_t assigned_ms;
	uint16_t port_first;
	uint32_t ext_addr;
	char what[48];
	int ret;

	ret = check_release(st, released_ms, reason, "close block");
	if (!ret)
		ret = store_held_sync(st);
	if (ret < 0)
		return ret;
	snprintf(what, sizeof(what), "close block %lld", (long long)id);
	if (held_find_id(&st->held, id, &assigned_ms, &ext_addr, &port_first))
		return store_fail(st, -ENOENT, "%s: not open", what);
	return close_row(st, id, assigned_ms, released_ms, reason, what);
}

/* Blocks first (the bulk), then events, then configuration records,
 * sharing one row budget so a call stays short. */
int store_prune(struct store *st, int64_t older_than_ms, int max_rows)
{
	static const enum store_stmt_id order[] = { STMT_PRUNE_BLOCKS,
						    STMT_PRUNE_EVENTS,
						    STMT_PRUNE_CONFIG };
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
