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
