// SPDX-License-Identifier: GPL-2.0
/*
 * The read side of the compliance log store: who held an external
 * address:port at an instant or during a window, and what a subscriber
 * held. A holding is the half-open interval [assigned_ms, released_ms) and
 * a window [from_ms, to_ms] is closed, so both reduce to one test:
 * assigned_ms <= to_ms AND (released_ms IS NULL OR released_ms > from_ms).
 * These work on read-only handles and never write.
 */
#include <errno.h>

#include "logger/store_internal.h"

static int check_window(struct store *st, int64_t from_ms, int64_t to_ms,
			const char *what)
{
	if (from_ms < 0 || to_ms < from_ms)
		return store_fail(st, -EINVAL, "%s: bad window %lld..%lld",
				  what, (long long)from_ms, (long long)to_ms);
	return 0;
}

int store_lookup_range(struct store *st, uint32_t ext_addr, uint16_t port,
		       int64_t from_ms, int64_t to_ms, store_block_cb cb,
		       void *ctx)
{
	sqlite3_stmt *s;
	int ret;

	ret = check_window(st, from_ms, to_ms, "lookup");
	if (!ret)
		ret = store_stmt(st, STMT_LOOKUP, &s);
	if (ret < 0)
		return ret;
	sqlite3_bind_int64(s, 1, ext_addr);
	sqlite3_bind_int(s, 2, port);
	sqlite3_bind_int64(s, 3, from_ms);
	sqlite3_bind_int64(s, 4, to_ms);
	return store_iterate(st, s, cb, ctx, "lookup");
}

int store_lookup_at(struct store *st, uint32_t ext_addr, uint16_t port,
		    int64_t at_ms, store_block_cb cb, void *ctx)
{
	return store_lookup_range(st, ext_addr, port, at_ms, at_ms, cb, ctx);
}

int store_history(struct store *st, uint32_t sub_addr, int64_t from_ms,
		  int64_t to_ms, store_block_cb cb, void *ctx)
{
	sqlite3_stmt *s;
	int ret;

	ret = check_window(st, from_ms, to_ms, "history");
	if (!ret)
		ret = store_stmt(st, STMT_HISTORY, &s);
	if (ret < 0)
		return ret;
	sqlite3_bind_int64(s, 1, sub_addr);
	sqlite3_bind_int64(s, 2, from_ms);
	sqlite3_bind_int64(s, 3, to_ms);
	return store_iterate(st, s, cb, ctx, "history");
}

int store_ha_window(struct store *st, int64_t from_ms, int64_t to_ms,
		    int64_t *synced_ms, int64_t *takeover_ms)
{
	sqlite3_stmt *s;
	int rc;

	/* Rare (a lookup's note): not worth a cached statement. */
	rc = sqlite3_prepare_v2(st->db,
				"SELECT COALESCE(value, 0), time_ms FROM events "
				"WHERE type = ?1 AND time_ms >= ?2 AND "
				"COALESCE(value, 0) < ?3 ORDER BY time_ms "
				"LIMIT 1",
				-1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_fail_sqlite(st, rc, "ha window");
	sqlite3_bind_int(s, 1, STORE_EVT_HA_TAKEOVER);
	sqlite3_bind_int64(s, 2, from_ms);
	sqlite3_bind_int64(s, 3, to_ms);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*synced_ms = sqlite3_column_int64(s, 0);
		*takeover_ms = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : store_fail_sqlite(st, rc, "ha window");
}
