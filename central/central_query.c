// SPDX-License-Identifier: GPL-2.0
/*
 * central_query.c - lookup and history over the fleet log. The three
 * classes of schema/pg/001_initial.sql, as in the local log: closed
 * holdings shorter than a day (L) are in holdings, partitioned by assign
 * day, and one held at some instant of [from, to] was assigned in
 * (from - L, to], which bounds the partitions read (two for a point
 * lookup); longer ones are in long_holdings, open ones in open_holdings.
 * The test for a holding is the local one: assigned_ms <= to AND
 * (released_ms IS NULL OR released_ms > from).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central/central.h"

#define COLS                                                                   \
	"h.id, h.instance, h.pool_id, h.pool, h.sub_addr, h.ext_addr, "        \
	"h.port_first, h.port_last, h.assigned_ms, h.released_ms, "            \
	"h.release_reason, n.name"

/* A block of ext_addr $1 containing port $2, assigned by $4. */
#define SLOT                                                                   \
	"ext_addr = $1 AND port_first BETWEEN $2::integer - (SELECT "          \
	"coalesce(max(max_span), 65535) FROM cgnat.nodes) AND $2 AND "         \
	"port_last >= $2 AND assigned_ms <= $4"

static const char lookup_sql[] =
	"SELECT " COLS " FROM (SELECT * FROM cgnat.holdings WHERE " SLOT
	" AND assigned_ms > $3::bigint - 86400000 AND released_ms > $3 "
	"UNION ALL SELECT * FROM cgnat.long_holdings WHERE " SLOT
	" AND released_ms > $3 UNION ALL SELECT * FROM cgnat.open_holdings "
	"WHERE " SLOT ") h JOIN cgnat.nodes n ON n.id = h.node ORDER BY "
	"h.assigned_ms, h.id, n.name";

static const char history_sql[] =
	"SELECT " COLS " FROM (SELECT * FROM cgnat.holdings WHERE sub_addr "
	"= $1 AND assigned_ms <= $3 AND assigned_ms > $2::bigint - 86400000 "
	"AND released_ms > $2 UNION ALL SELECT * FROM cgnat.long_holdings "
	"WHERE sub_addr = $1 AND assigned_ms <= $3 AND released_ms > $2 "
	"UNION ALL SELECT * FROM cgnat.open_holdings WHERE sub_addr = $1 "
	"AND assigned_ms <= $3) h JOIN cgnat.nodes n ON n.id = h.node "
	"ORDER BY h.assigned_ms, h.id, n.name";

static long long num(const PGresult *r, int row, int col, long long none)
{
	return PQgetisnull(r, row, col)
		       ? none
		       : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static int run(struct pgc *p, const char *sql, int nv, const char *const *vals,
	       central_cb cb, void *ctx)
{
	struct store_block b;
	PGresult *r;
	int i, n, ret = 0;

	r = pgc_exec(p, sql, nv, vals, PGRES_TUPLES_OK);
	if (!r)
		return -1;
	n = PQntuples(r);
	for (i = 0; i < n && !ret; i++) {
		memset(&b, 0, sizeof(b));
		b.id = num(r, i, 0, 0);
		b.instance = (uint32_t)num(r, i, 1, 0);
		b.pool_id = (uint32_t)num(r, i, 2, 0);
		snprintf(b.pool, sizeof(b.pool), "%s", PQgetvalue(r, i, 3));
		b.sub_addr = (uint32_t)num(r, i, 4, 0);
		b.ext_addr = (uint32_t)num(r, i, 5, 0);
		b.port_first = (uint16_t)num(r, i, 6, 0);
		b.port_last = (uint16_t)num(r, i, 7, 0);
		b.assigned_ms = num(r, i, 8, 0);
		b.released_ms = num(r, i, 9, STORE_MS_NONE);
		b.release_reason = (int)num(r, i, 10, 0);
		ret = cb(&b, PQgetvalue(r, i, 11), ctx);
	}
	PQclear(r);
	if (ret < 0) {
		snprintf(p->err, sizeof(p->err), "callback failed (%d)", ret);
		return -1;
	}
	return n;
}

int central_lookup(struct pgc *p, uint32_t ext_addr, uint16_t port,
		   int64_t from_ms, int64_t to_ms, central_cb cb, void *ctx)
{
	char a[4][24];
	const char *v[4] = {a[0], a[1], a[2], a[3]};

	snprintf(a[0], sizeof(a[0]), "%u", ext_addr);
	snprintf(a[1], sizeof(a[1]), "%u", port);
	snprintf(a[2], sizeof(a[2]), "%lld", (long long)from_ms);
	snprintf(a[3], sizeof(a[3]), "%lld", (long long)to_ms);
	return run(p, lookup_sql, 4, v, cb, ctx);
}

int central_history(struct pgc *p, uint32_t sub_addr, int64_t from_ms,
		    int64_t to_ms, central_cb cb, void *ctx)
{
	char a[3][24];
	const char *v[3] = {a[0], a[1], a[2]};

	snprintf(a[0], sizeof(a[0]), "%u", sub_addr);
	snprintf(a[1], sizeof(a[1]), "%lld", (long long)from_ms);
	snprintf(a[2], sizeof(a[2]), "%lld", (long long)to_ms);
	return run(p, history_sql, 3, v, cb, ctx);
}
