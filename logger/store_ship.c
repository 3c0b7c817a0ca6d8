// SPDX-License-Identifier: GPL-2.0
/*
 * The ship queue (schema/007_ship_queue.sql): with log.central set, each
 * block event and configuration record is copied here in the writer's
 * transaction, and the fleet shipper (central/ship.c) reads it in seq
 * order through its own read-only connection. Only the daemon deletes
 * from it, and only what PostgreSQL has acknowledged, between batches.
 */
#include <errno.h>
#include <string.h>

#include "logger/store_internal.h"

void store_ship_enable(struct store *st, int on)
{
	st->ship = on;
}

static int put(struct store *st, sqlite3_stmt *s)
{
	int ret = store_step_done(st, s, "ship queue");

	if (ret < 0)
		st->tx_broken = true; /* never a row without its copy */
	return ret;
}

/* The queue insert with what every row kind has bound: 1 to go on, 0 when
 * shipping is off, -errno (the batch then cannot commit).
 */
static int put_begin(struct store *st, int op, int64_t time_ms,
		     int64_t instance, sqlite3_stmt **s)
{
	int ret;

	if (!st->ship)
		return 0;
	ret = store_stmt(st, STMT_SHIP_PUT, s);
	if (ret < 0) {
		st->tx_broken = true;
		return ret;
	}
	sqlite3_bind_int(*s, 1, op);
	sqlite3_bind_int64(*s, 2, time_ms);
	sqlite3_bind_int64(*s, 4, instance);
	return 1;
}

int store_ship_block(struct store *st, int op, const struct store_block *b,
		     int64_t time_ms)
{
	sqlite3_stmt *s;
	int ret = put_begin(st, op, time_ms, b->instance, &s);

	if (ret <= 0)
		return ret;
	sqlite3_bind_int64(s, 3, b->id);
	if (op == STORE_SHIP_INTERIM)
		return put(st, s); /* the holding is known by its id */
	sqlite3_bind_int64(s, 5, b->pool_id);
	sqlite3_bind_text(s, 6, b->pool, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, b->sub_addr);
	sqlite3_bind_int64(s, 8, b->ext_addr);
	sqlite3_bind_int(s, 9, b->port_first);
	sqlite3_bind_int(s, 10, b->port_last);
	sqlite3_bind_int64(s, 11, b->assigned_ms);
	if (op == STORE_SHIP_RELEASE)
		sqlite3_bind_int(s, 12, b->release_reason);
	return put(st, s);
}

int store_ship_config(struct store *st, int64_t time_ms, uint32_t instance,
		      const char *text)
{
	sqlite3_stmt *s;
	int ret = put_begin(st, STORE_SHIP_CONFIG, time_ms, instance, &s);

	if (ret <= 0)
		return ret;
	sqlite3_bind_text(s, 13, text, -1, SQLITE_STATIC);
	return put(st, s);
}

static int64_t col_or(sqlite3_stmt *s, int i, int64_t none)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL
		       ? none
		       : sqlite3_column_int64(s, i);
}

int store_ship_read(struct store *st, int64_t after, int max, store_ship_cb cb,
		    void *ctx)
{
	struct store_ship_row r;
	const unsigned char *t;
	sqlite3_stmt *s;
	int ret, rc, n = 0;

	ret = store_stmt(st, STMT_SHIP_READ, &s);
	if (ret < 0)
		return ret;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int(s, 2, max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.seq = sqlite3_column_int64(s, 0);
		r.op = sqlite3_column_int(s, 1);
		r.time_ms = sqlite3_column_int64(s, 2);
		r.b.id = col_or(s, 3, 0);
		r.b.instance = (uint32_t)sqlite3_column_int64(s, 4);
		r.b.pool_id = (uint32_t)col_or(s, 5, 0);
		t = sqlite3_column_text(s, 6);
		if (t)
			strncpy(r.b.pool, (const char *)t, STORE_POOL_MAX);
		r.b.sub_addr = (uint32_t)col_or(s, 7, 0);
		r.b.ext_addr = (uint32_t)col_or(s, 8, 0);
		r.b.port_first = (uint16_t)col_or(s, 9, 0);
		r.b.port_last = (uint16_t)col_or(s, 10, 0);
		r.b.assigned_ms = col_or(s, 11, STORE_MS_NONE);
		r.b.released_ms =
			r.op == STORE_SHIP_RELEASE ? r.time_ms : STORE_MS_NONE;
		r.b.release_reason = (int)col_or(s, 12, 0);
		r.config = (const char *)sqlite3_column_text(s, 13);
		n++;
		ret = cb(&r, ctx);
		if (ret)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = store_fail_sqlite(st, rc, "ship queue read");
	sqlite3_reset(s);
	return ret < 0 ? ret : n;
}

int store_ship_ack(struct store *st, int64_t upto, int max_rows)
{
	sqlite3_stmt *s;
	int ret;

	if (st->readonly)
		return store_fail(st, -EROFS, "ship ack: store is read-only");
	ret = store_stmt(st, STMT_SHIP_ACK, &s);
	if (ret < 0)
		return ret;
	sqlite3_bind_int64(s, 1, upto);
	sqlite3_bind_int(s, 2, max_rows);
	ret = store_step_done(st, s, "ship ack");
	return ret < 0 ? ret : sqlite3_changes(st->db);
}

/* One row of up to two integer columns from statement @id bound to
 * @arg (when not NULL); *a = *b = @none when there is no row. */
static int one_row(struct store *st, enum store_stmt_id id, const int64_t *arg,
		   int64_t none, int64_t *a, int64_t *b, const char *what)
{
	sqlite3_stmt *s;
	int ret, rc;

	ret = store_stmt(st, id, &s);
	if (ret < 0)
		return ret;
	if (arg)
		sqlite3_bind_int64(s, 1, *arg);
	*a = none;
	if (b)
		*b = none;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*a = col_or(s, 0, none);
		if (b)
			*b = col_or(s, 1, none);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail_sqlite(st, rc, what);
	return 0;
}

int store_ship_last(struct store *st, int64_t *last)
{
	return one_row(st, STMT_SHIP_LAST, NULL, 0, last, NULL, "ship last");
}

int store_ship_first(struct store *st, int64_t after, int64_t *first,
		     int64_t *time_ms)
{
	return one_row(st, STMT_SHIP_FIRST, &after, 0, first, time_ms,
		       "ship first");
}

int store_ship_oldest(struct store *st, int64_t *time_ms)
{
	return one_row(st, STMT_SHIP_OLDEST, NULL, STORE_MS_NONE, time_ms, NULL,
		       "ship oldest");
}

int store_ship_epoch(struct store *st, int64_t *epoch)
{
	int ret = one_row(st, STMT_SHIP_EPOCH, NULL, 0, epoch, NULL,
			  "ship epoch");

	if (!ret && !*epoch)
		return store_fail(st, -EPROTO, "ship epoch: not recorded");
	return ret;
}
