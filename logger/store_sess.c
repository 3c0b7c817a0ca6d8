// SPDX-License-Identifier: GPL-2.0
/*
 * The per-session log (schema/006_sessions.sql), written only when
 * log.session_events is on. Like the block log: a create inserts the
 * open row, a delete takes it out of open_sessions (DELETE ... RETURNING,
 * one statement) and inserts the complete row into sessions, so no row
 * is ever updated and both happen in the caller's batch. A delete whose
 * open row is missing (its create was lost or came before logging was
 * on) is still written, with an unknown start: the end of a session is
 * worth recording even without its beginning.
 */
#include <errno.h>
#include <string.h>

#include "logger/store_internal.h"

static int writable(struct store *st, const char *what)
{
	if (st->readonly)
		return store_fail(st, -EROFS, "%s: store is read-only", what);
	return 0;
}

static void bind_ms(sqlite3_stmt *s, int col, int64_t ms)
{
	if (ms == STORE_MS_NONE)
		sqlite3_bind_null(s, col);
	else
		sqlite3_bind_int64(s, col, ms);
}

/* The key, ?1-?5. */
static void bind_key(sqlite3_stmt *s, const struct store_session *x)
{
	sqlite3_bind_int64(s, 1, x->ext_addr);
	sqlite3_bind_int(s, 2, x->ext_port);
	sqlite3_bind_int(s, 3, x->proto);
	sqlite3_bind_int64(s, 4, x->rem_addr);
	sqlite3_bind_int(s, 5, x->rem_port);
}

/* ?1-?10 in the SESS_COLS order of store_sql.c. */
static void bind_sess(sqlite3_stmt *s, const struct store_session *x)
{
	bind_key(s, x);
	sqlite3_bind_int64(s, 6, x->int_addr);
	sqlite3_bind_int(s, 7, x->int_port);
	sqlite3_bind_int64(s, 8, x->instance);
	sqlite3_bind_int(s, 9, x->flags);
	bind_ms(s, 10, x->start_ms);
}

static int64_t col_ms(sqlite3_stmt *s, int col)
{
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return STORE_MS_NONE;
	return sqlite3_column_int64(s, col);
}

static void row_sess(sqlite3_stmt *s, struct store_session *x)
{
	x->ext_addr = (uint32_t)sqlite3_column_int64(s, 0);
	x->ext_port = (uint16_t)sqlite3_column_int(s, 1);
	x->proto = (uint8_t)sqlite3_column_int(s, 2);
	x->rem_addr = (uint32_t)sqlite3_column_int64(s, 3);
	x->rem_port = (uint16_t)sqlite3_column_int(s, 4);
	x->int_addr = (uint32_t)sqlite3_column_int64(s, 5);
	x->int_port = (uint16_t)sqlite3_column_int(s, 6);
	x->instance = (uint32_t)sqlite3_column_int64(s, 7);
	x->flags = (uint8_t)sqlite3_column_int(s, 8);
	x->start_ms = col_ms(s, 9);
	x->end_ms = col_ms(s, 10);
	x->end_reason = sqlite3_column_type(s, 11) == SQLITE_NULL
				? STORE_SESS_OPEN
				: sqlite3_column_int(s, 11);
}

static int each(struct store *st, sqlite3_stmt *s, store_session_cb cb,
		void *ctx, const char *what)
{
	struct store_session x;
	int n = 0, rc, r;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		row_sess(s, &x);
		n++;
		r = cb ? cb(&x, ctx) : 0;
		if (r) {
			sqlite3_reset(s);
			return r < 0 ? r : n;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? n : store_fail_sqlite(st, rc, what);
}

int store_sess_open(struct store *st, const struct store_session *x)
{
	sqlite3_stmt *s;
	int ret = writable(st, "session open");

	if (!ret && x->start_ms < 0)
		ret = store_fail(st, -EINVAL, "session open: no start time");
	if (!ret)
		ret = store_stmt(st, STMT_SESS_OPEN, &s);
	if (ret < 0)
		return ret;
	bind_sess(s, x);
	return store_step_done(st, s, "session open");
}

/* The open row of x's key, removed; 1 when there was none. */
static int take_open(struct store *st, struct store_session *x)
{
	sqlite3_stmt *s;
	int ret = store_stmt(st, STMT_SESS_TAKE, &s), rc;

	if (ret < 0)
		return ret;
	bind_key(s, x);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		x->int_addr = (uint32_t)sqlite3_column_int64(s, 0);
		x->int_port = (uint16_t)sqlite3_column_int(s, 1);
		x->instance = (uint32_t)sqlite3_column_int64(s, 2);
		x->flags = (uint8_t)sqlite3_column_int(s, 3);
		x->start_ms = sqlite3_column_int64(s, 4);
		rc = sqlite3_step(s); /* RETURNING: the delete ends here */
	} else {
		x->start_ms = STORE_MS_NONE;
		ret = 1;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? ret
				 : store_fail_sqlite(st, rc, "session take");
}

int store_sess_close(struct store *st, const struct store_session *in,
		     int64_t end_ms, int reason)
{
	struct store_session x = *in;
	sqlite3_stmt *s;
	int ret = writable(st, "session close"), found;

	if (!ret && end_ms < 0)
		ret = store_fail(st, -EINVAL, "session close: no end time");
	if (ret < 0)
		return ret;
	found = take_open(st, &x);
	if (found < 0)
		return found;
	/* Clocks may step: an end never precedes its start in the log. */
	if (x.start_ms != STORE_MS_NONE && end_ms < x.start_ms)
		end_ms = x.start_ms;
	ret = store_stmt(st, STMT_SESS_CLOSED, &s);
	if (!ret) {
		bind_sess(s, &x);
		sqlite3_bind_int64(s, 11, end_ms);
		sqlite3_bind_int(s, 12, reason);
		ret = store_step_done(st, s, "session close");
	}
	if (ret < 0 && found == 0 && st->in_tx)
		st->tx_broken = true; /* the open row is gone: roll back */
	return ret < 0 ? ret : found;
}

int store_sess_close_all(struct store *st, int64_t end_ms, int reason)
{
	sqlite3_stmt *s;
	int ret = writable(st, "session close all"), n;

	if (!ret)
		ret = store_stmt(st, STMT_SESS_CLOSE_ALL, &s);
	if (ret < 0)
		return ret;
	sqlite3_bind_int64(s, 1, end_ms);
	sqlite3_bind_int(s, 2, reason);
	ret = store_step_done(st, s, "session close all");
	if (ret < 0)
		return ret;
	n = sqlite3_changes(st->db);
	ret = store_stmt(st, STMT_SESS_DROP_ALL, &s);
	if (!ret)
		ret = store_step_done(st, s, "session close all");
	if (ret < 0 && st->in_tx)
		st->tx_broken = true;
	return ret < 0 ? ret : n;
}

int store_sess_open_rows(struct store *st, store_session_cb cb, void *ctx)
{
	sqlite3_stmt *s;
	int ret = store_stmt(st, STMT_SESS_OPEN_ROWS, &s);

	return ret < 0 ? ret : each(st, s, cb, ctx, "open sessions");
}

static int query(struct store *st, enum store_stmt_id id, uint32_t addr,
		 int port, int64_t from_ms, int64_t to_ms,
		 store_session_cb cb, void *ctx)
{
	sqlite3_stmt *s;
	int ret, n = 1;

	if (from_ms < 0 || to_ms < from_ms)
		return store_fail(st, -EINVAL, "sessions: bad window");
	ret = store_stmt(st, id, &s);
	if (ret < 0)
		return ret;
	sqlite3_bind_int64(s, n++, addr);
	if (port >= 0)
		sqlite3_bind_int(s, n++, port);
	sqlite3_bind_int64(s, n++, from_ms);
	sqlite3_bind_int64(s, n, to_ms);
	return each(st, s, cb, ctx, "sessions");
}

int store_sess_lookup(struct store *st, uint32_t ext_addr, uint16_t port,
		      int64_t from_ms, int64_t to_ms, store_session_cb cb,
		      void *ctx)
{
	return query(st, STMT_SESS_LOOKUP, ext_addr, port, from_ms, to_ms, cb,
		     ctx);
}

int store_sess_history(struct store *st, uint32_t int_addr, int64_t from_ms,
		       int64_t to_ms, store_session_cb cb, void *ctx)
{
	return query(st, STMT_SESS_HISTORY, int_addr, -1, from_ms, to_ms, cb,
		     ctx);
}

const char *store_sess_end_name(int reason)
{
	switch (reason) {
	case STORE_SESS_OPEN:
		return "open";
	case STORE_SESS_EXPIRED:
		return "expired";
	case STORE_SESS_RECONCILE:
		return "reconcile";
	case STORE_SESS_SHUTDOWN:
		return "shutdown";
	case STORE_SESS_LOG_OFF:
		return "logging-off";
	}
	return "unknown";
}
