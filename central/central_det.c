// SPDX-License-Identifier: GPL-2.0
/*
 * central_det.c - the deterministic layouts in the fleet log
 * (schema/pg/003_det_layouts.sql): the shipper copies a node's local rows
 * after the highest id PostgreSQL holds for its epoch, and cgnatctl reads
 * every node's versions back to run the local lookup arithmetic
 * (daemon/detlog.c) on them. Layout rows are rare (one per pool per day
 * and per change), so they are shipped as plain INSERTs, not COPY.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central/central.h"

#define DET_PG_COLS                                                            \
	"id, kind, logged_ms, instance, pool_id, pool, version, "              \
	"switched_ms, quarantine_ms, inside, outside, exclude_boundary, "      \
	"ports_per_subscriber, port_first, port_last, subs_per_addr, "         \
	"overflow_blocks, block_size, algorithm, reserved"

struct det_ship_ctx {
	struct pgc *p;
	const char *node_id, *epoch;
	int64_t top;
	int rows;
};

static int det_ship_one(const struct store_det_layout *l, void *arg)
{
	struct det_ship_ctx *c = arg;
	char n[17][24];
	const char *v[22];
	int i;

	snprintf(n[0], 24, "%" PRId64, l->id);
	snprintf(n[1], 24, "%d", l->kind);
	snprintf(n[2], 24, "%" PRId64, l->logged_ms);
	snprintf(n[3], 24, "%u", l->instance);
	snprintf(n[4], 24, "%u", l->pool_id);
	snprintf(n[5], 24, "%u", l->version);
	snprintf(n[6], 24, "%" PRId64, l->switched_ms);
	snprintf(n[7], 24, "%" PRId64, l->quarantine_ms);
	snprintf(n[8], 24, "%d", l->exclude_boundary);
	snprintf(n[9], 24, "%u", l->pps);
	snprintf(n[10], 24, "%u", l->port_first);
	snprintf(n[11], 24, "%u", l->port_last);
	snprintf(n[12], 24, "%u", l->spa);
	snprintf(n[13], 24, "%u", l->overflow_blocks);
	snprintf(n[14], 24, "%u", l->block_size);
	snprintf(n[15], 24, "%u", l->algorithm);
	v[0] = c->node_id;
	v[1] = c->epoch;
	for (i = 0; i < 5; i++)
		v[2 + i] = n[i]; /* id .. pool_id */
	v[7] = l->pool;
	v[8] = n[5];
	v[9] = n[6];
	v[10] = n[7];
	v[11] = l->inside;
	v[12] = l->outside;
	for (i = 0; i < 8; i++)
		v[13 + i] = n[8 + i]; /* exclude_boundary .. algorithm */
	v[21] = l->reserved;
	if (pgc_cmd(c->p,
		    "INSERT INTO cgnat.det_layouts (node, epoch, " DET_PG_COLS
		    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
		    "$12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22) "
		    "ON CONFLICT DO NOTHING",
		    22, v))
		return -1;
	c->top = l->id;
	c->rows++;
	return 0;
}

struct det_rows {
	struct store_det_layout *v;
	size_t n;
};

static int det_keep(const struct store_det_layout *l, void *arg)
{
	struct det_rows *r = arg;
	struct store_det_layout *v = realloc(r->v, (r->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	r->v = v;
	r->v[r->n++] = *l;
	return 0;
}

int central_det_ship(struct pgc *p, struct store *st, const char *node_id,
		     int64_t epoch, int64_t *top)
{
	char ep[24];
	struct det_ship_ctx c = {.p = p, .node_id = node_id, .epoch = ep};
	const char *v[2] = {node_id, ep};
	struct det_rows rows = {0};
	PGresult *r;
	size_t i;
	int n;

	snprintf(ep, sizeof(ep), "%" PRId64, epoch);
	if (*top < 0) {
		r = pgc_exec(p,
			     "SELECT coalesce(max(id), 0) FROM cgnat.det_layouts "
			     "WHERE node = $1 AND epoch = $2",
			     2, v, PGRES_TUPLES_OK);
		if (!r)
			return -1;
		*top = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
	}
	n = store_det_after(st, *top, det_keep, &rows);
	if (n < 0) {
		snprintf(p->err, sizeof(p->err), "local layout log: %s",
			 store_errmsg(st));
		free(rows.v);
		return -1;
	}
	if (!rows.n)
		return 0; /* the usual case: nothing new, no transaction */
	c.top = *top;
	if (pgc_cmd(p, "BEGIN", -1, NULL))
		goto fail;
	for (i = 0; i < rows.n; i++)
		if (det_ship_one(&rows.v[i], &c))
			goto fail;
	if (pgc_cmd(p, "COMMIT", -1, NULL))
		goto fail;
	free(rows.v);
	*top = c.top;
	return c.rows;
fail:
	if (p->conn)
		pgc_cmd(p, "ROLLBACK", -1, NULL);
	free(rows.v);
	return -1;
}

int central_det_versions(struct pgc *p, central_det_cb cb, void *ctx)
{
	struct store_det_layout l;
	PGresult *r;
	int i, n, ret = 0;

	r = pgc_exec(p,
		     "SELECT d.*, n.name FROM (SELECT node, epoch, "
		     DET_PG_COLS " FROM cgnat.det_layouts WHERE kind != 2) d "
		     "JOIN cgnat.nodes n ON n.id = d.node ORDER BY n.name, "
		     "d.instance, d.pool, d.switched_ms, d.version, d.epoch, "
		     "d.id",
		     0, NULL, PGRES_TUPLES_OK);
	if (!r)
		return -1;
	n = PQntuples(r);
	for (i = 0; i < n && !ret; i++) {
		memset(&l, 0, sizeof(l));
		l.id = strtoll(PQgetvalue(r, i, 2), NULL, 10);
		l.kind = atoi(PQgetvalue(r, i, 3));
		l.logged_ms = strtoll(PQgetvalue(r, i, 4), NULL, 10);
		l.instance = (uint32_t)strtoul(PQgetvalue(r, i, 5), NULL, 10);
		l.pool_id = (uint32_t)strtoul(PQgetvalue(r, i, 6), NULL, 10);
		snprintf(l.pool, sizeof(l.pool), "%s", PQgetvalue(r, i, 7));
		l.version = (uint32_t)strtoul(PQgetvalue(r, i, 8), NULL, 10);
		l.switched_ms = strtoll(PQgetvalue(r, i, 9), NULL, 10);
		l.quarantine_ms = strtoll(PQgetvalue(r, i, 10), NULL, 10);
		snprintf(l.inside, sizeof(l.inside), "%s", PQgetvalue(r, i, 11));
		snprintf(l.outside, sizeof(l.outside), "%s",
			 PQgetvalue(r, i, 12));
		l.exclude_boundary = atoi(PQgetvalue(r, i, 13));
		l.pps = (uint32_t)strtoul(PQgetvalue(r, i, 14), NULL, 10);
		l.port_first = (uint32_t)strtoul(PQgetvalue(r, i, 15), NULL, 10);
		l.port_last = (uint32_t)strtoul(PQgetvalue(r, i, 16), NULL, 10);
		l.spa = (uint32_t)strtoul(PQgetvalue(r, i, 17), NULL, 10);
		l.overflow_blocks =
			(uint32_t)strtoul(PQgetvalue(r, i, 18), NULL, 10);
		l.block_size = (uint32_t)strtoul(PQgetvalue(r, i, 19), NULL, 10);
		l.algorithm = (uint32_t)strtoul(PQgetvalue(r, i, 20), NULL, 10);
		snprintf(l.reserved, sizeof(l.reserved), "%s",
			 PQgetvalue(r, i, 21));
		ret = cb(&l, PQgetvalue(r, i, 22), ctx);
	}
	PQclear(r);
	if (ret < 0) {
		snprintf(p->err, sizeof(p->err), "callback failed (%d)", ret);
		return -1;
	}
	return n;
}
