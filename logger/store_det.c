// SPDX-License-Identifier: GPL-2.0
/*
 * store_det.c - the deterministic layouts' log (table det_layouts, see
 * schema/008_det_layouts.sql and store.h). Rare rows - one per layout
 * change, retirement and day - so statements are prepared per call
 * instead of living in store_sql.c's cache.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "logger/store_internal.h"

#define DET_COLS                                                               \
	"id, kind, logged_ms, instance, pool_id, pool, version, "              \
	"switched_ms, quarantine_ms, inside, outside, exclude_boundary, "      \
	"ports_per_subscriber, port_first, port_last, subs_per_addr, "         \
	"overflow_blocks, block_size, algorithm, reserved"

static int prepare(struct store *st, const char *sql, sqlite3_stmt **s,
		   const char *what)
{
	int rc = sqlite3_prepare_v2(st->db, sql, -1, s, NULL);

	return rc == SQLITE_OK ? 0 : store_fail_sqlite(st, rc, what);
}

static void copy_text(sqlite3_stmt *s, int col, char *dst, size_t len)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(dst, len, "%s", t ? (const char *)t : "");
}

static void row_det(sqlite3_stmt *s, struct store_det_layout *l)
{
	memset(l, 0, sizeof(*l));
	l->id = sqlite3_column_int64(s, 0);
	l->kind = sqlite3_column_int(s, 1);
	l->logged_ms = sqlite3_column_int64(s, 2);
	l->instance = (uint32_t)sqlite3_column_int64(s, 3);
	l->pool_id = (uint32_t)sqlite3_column_int64(s, 4);
	copy_text(s, 5, l->pool, sizeof(l->pool));
	l->version = (uint32_t)sqlite3_column_int64(s, 6);
	l->switched_ms = sqlite3_column_int64(s, 7);
	l->quarantine_ms = sqlite3_column_int64(s, 8);
	copy_text(s, 9, l->inside, sizeof(l->inside));
	copy_text(s, 10, l->outside, sizeof(l->outside));
	l->exclude_boundary = sqlite3_column_int(s, 11);
	l->pps = (uint32_t)sqlite3_column_int64(s, 12);
	l->port_first = (uint32_t)sqlite3_column_int64(s, 13);
	l->port_last = (uint32_t)sqlite3_column_int64(s, 14);
	l->spa = (uint32_t)sqlite3_column_int64(s, 15);
	l->overflow_blocks = (uint32_t)sqlite3_column_int64(s, 16);
	l->block_size = (uint32_t)sqlite3_column_int64(s, 17);
	l->algorithm = (uint32_t)sqlite3_column_int64(s, 18);
	copy_text(s, 19, l->reserved, sizeof(l->reserved));
}

int store_det_log(struct store *st, const struct store_det_layout *l)
{
	sqlite3_stmt *s;
	int ret, i = 1;

	if (st->readonly)
		return store_fail(st, -EROFS, "layout log: store is read-only");
	if (l->kind < STORE_DET_CHANGE || l->kind > STORE_DET_RETIRED ||
	    !l->version || l->logged_ms < 0 || l->switched_ms < 0)
		return store_fail(st, -EINVAL, "layout log: bad row");
	ret = prepare(st,
		      "INSERT INTO det_layouts (kind, logged_ms, instance, "
		      "pool_id, pool, version, switched_ms, quarantine_ms, "
		      "inside, outside, exclude_boundary, "
		      "ports_per_subscriber, port_first, port_last, "
		      "subs_per_addr, overflow_blocks, block_size, algorithm, "
		      "reserved) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
		      "?, ?, ?, ?, ?, ?, ?)",
		      &s, "layout log");
	if (ret)
		return ret;
	sqlite3_bind_int(s, i++, l->kind);
	sqlite3_bind_int64(s, i++, l->logged_ms);
	sqlite3_bind_int64(s, i++, l->instance);
	sqlite3_bind_int64(s, i++, l->pool_id);
	sqlite3_bind_text(s, i++, l->pool, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, i++, l->version);
	sqlite3_bind_int64(s, i++, l->switched_ms);
	sqlite3_bind_int64(s, i++, l->quarantine_ms);
	sqlite3_bind_text(s, i++, l->inside, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, i++, l->outside, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, i++, !!l->exclude_boundary);
	sqlite3_bind_int64(s, i++, l->pps);
	sqlite3_bind_int64(s, i++, l->port_first);
	sqlite3_bind_int64(s, i++, l->port_last);
	sqlite3_bind_int64(s, i++, l->spa);
	sqlite3_bind_int64(s, i++, l->overflow_blocks);
	sqlite3_bind_int64(s, i++, l->block_size);
	sqlite3_bind_int64(s, i++, l->algorithm);
	sqlite3_bind_text(s, i++, l->reserved, -1, SQLITE_STATIC);
	ret = store_step_done(st, s, "layout log");
	sqlite3_finalize(s);
	return ret;
}

/* Runs a det_layouts query to the end; count or -errno. */
static int iterate(struct store *st, sqlite3_stmt *s, store_det_cb cb,
		   void *ctx, const char *what)
{
	struct store_det_layout l;
	int rc, n = 0, ret = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		row_det(s, &l);
		n++;
		if (cb) {
			ret = cb(&l, ctx);
			if (ret)
				break;
		}
	}
	if (!ret && rc != SQLITE_DONE)
		ret = store_fail_sqlite(st, rc, what);
	sqlite3_finalize(s);
	return ret < 0 ? ret : n;
}

int store_det_versions(struct store *st, store_det_cb cb, void *ctx)
{
	sqlite3_stmt *s;
	int ret;

	ret = prepare(st,
		      "SELECT " DET_COLS " FROM det_layouts WHERE kind != 2 "
		      "ORDER BY instance, pool, switched_ms, version, id",
		      &s, "layout versions");
	return ret ? ret : iterate(st, s, cb, ctx, "layout versions");
}

int store_det_after(struct store *st, int64_t after_id, store_det_cb cb,
		    void *ctx)
{
	sqlite3_stmt *s;
	int ret;

	ret = prepare(st,
		      "SELECT " DET_COLS " FROM det_layouts WHERE id > ? "
		      "ORDER BY id",
		      &s, "layout rows");
	if (ret)
		return ret;
	sqlite3_bind_int64(s, 1, after_id);
	return iterate(st, s, cb, ctx, "layout rows");
}

static int take_one(const struct store_det_layout *l, void *ctx)
{
	*(struct store_det_layout *)ctx = *l;
	return 1;
}

int store_det_latest(struct store *st, uint32_t instance, const char *pool,
		     struct store_det_layout *out)
{
	sqlite3_stmt *s;
	int ret;

	ret = prepare(st,
		      "SELECT " DET_COLS " FROM det_layouts WHERE instance = "
		      "?1 AND pool = ?2 AND kind != 2 ORDER BY version DESC, "
		      "id DESC LIMIT 1",
		      &s, "latest layout");
	if (ret)
		return ret;
	sqlite3_bind_int64(s, 1, instance);
	sqlite3_bind_text(s, 2, pool, -1, SQLITE_STATIC);
	ret = iterate(st, s, take_one, out, "latest layout");
	return ret < 0 ? ret : ret ? 0 : -ENOENT;
}

int store_det_last_logged(struct store *st, uint32_t instance, const char *pool,
			  int64_t *logged_ms)
{
	sqlite3_stmt *s;
	int rc, ret;

	ret = prepare(st,
		      "SELECT max(logged_ms) FROM det_layouts WHERE instance "
		      "= ?1 AND pool = ?2",
		      &s, "layout log time");
	if (ret)
		return ret;
	sqlite3_bind_int64(s, 1, instance);
	sqlite3_bind_text(s, 2, pool, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		*logged_ms = sqlite3_column_int64(s, 0);
		ret = 0;
	} else {
		ret = rc == SQLITE_ROW
			      ? -ENOENT
			      : store_fail_sqlite(st, rc, "layout log time");
	}
	sqlite3_finalize(s);
	return ret;
}
