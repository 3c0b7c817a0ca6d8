// SPDX-License-Identifier: GPL-2.0
/*
 * reconcile.c - the pinned block table is the truth about who holds what
 * (the data plane writes it before raising the event); the log must agree
 * with it. Run at start (events raised while cgnatd was down, or lost in
 * a crash, are in the table), after a ring-buffer overrun and after a
 * batch that failed to commit.
 *
 * A block is held when owner != 0, released_tai_ns == 0 and
 * assigned_tai_ns != 0, read in that order against the data plane's
 * writes (sub_addr, assigned, released = 0): a block half-way through
 * being taken is skipped, its event follows. Blocks with a release
 * awaiting its re-offer (evlog) are skipped too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cgnatd.h"
#include "daemon/log.h"

struct rc_row {
	struct store_block b;
	int matched;
};

struct rc_rows {
	struct rc_row *v;
	size_t n, cap;
	uint32_t instance;
};

void block_geometry(const struct dpconf *dc, __u32 id, uint32_t *ext,
		    uint16_t *first, uint16_t *last, __u32 *pool)
{
	const struct cgnat_cfg *g = &dc->o.cfg;
	__u32 a = id / g->blocks_per_addr;

	*ext = ntohl(dc->addrs[a]);
	*pool = dc->addr_pool[a];
	*first = g->port_lo + (id % g->blocks_per_addr) * g->block_size;
	*last = *first + g->block_size - 1;
}

static int collect(const struct store_block *b, void *ctx)
{
	struct rc_rows *r = ctx;
	struct rc_row *v;

	if (b->instance != r->instance)
		return 0;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 256;
		v = realloc(r->v, r->cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		r->v = v;
	}
	r->v[r->n++] = (struct rc_row){.b = *b};
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	const struct store_block *x = &((const struct rc_row *)a)->b;
	const struct store_block *y = &((const struct rc_row *)b)->b;

	if (x->ext_addr != y->ext_addr)
		return x->ext_addr < y->ext_addr ? -1 : 1;
	return (int)x->port_first - (int)y->port_first;
}

static struct rc_row *find_row(struct rc_rows *r, uint32_t ext, uint16_t first)
{
	struct rc_row key = {.b = {.ext_addr = ext, .port_first = first}};

	if (!r->n)
		return NULL; /* bsearch(NULL, 0, ...) is undefined */
	return bsearch(&key, r->v, r->n, sizeof(*r->v), row_cmp);
}

/* Stable snapshot of a held block, or 0 (free or being taken). */
static int block_held(const struct cgnat_block *blk, struct cgnat_block *out)
{
	out->owner = __atomic_load_n(&blk->owner, __ATOMIC_ACQUIRE);
	out->released_tai_ns =
		__atomic_load_n(&blk->released_tai_ns, __ATOMIC_ACQUIRE);
	out->assigned_tai_ns =
		__atomic_load_n(&blk->assigned_tai_ns, __ATOMIC_ACQUIRE);
	out->sub_addr = __atomic_load_n(&blk->sub_addr, __ATOMIC_ACQUIRE);
	return out->owner && !out->released_tai_ns && out->assigned_tai_ns;
}

static int add_row(struct evlog *ev, __u32 id, const struct cgnat_block *b,
		   struct rc_row *old, struct reconcile_stats *rs)
{
	const struct cgnat_config *cfg = ev->cfg;
	struct store_block nb = {.instance = cfg->instance,
				 .released_ms = STORE_MS_NONE};
	__u32 pool;

	block_geometry(ev->dc, id, &nb.ext_addr, &nb.port_first, &nb.port_last,
		       &pool);
	nb.pool_id = pool + 1;
	snprintf(nb.pool, sizeof(nb.pool), "%s",
		 pool < cfg->n_pools ? cfg->pools[pool].name : "");
	nb.sub_addr = ntohl(b->sub_addr);
	nb.assigned_ms = (int64_t)dprun_tai_to_utc_ms(b->assigned_tai_ns);
	if (old) {
		int64_t at = nb.assigned_ms > old->b.assigned_ms
				     ? nb.assigned_ms
				     : runtime_now_ms();

		if (store_close_block_at(ev->st, old->b.id, at,
					 STORE_REL_RECONCILE))
			return evlog_write_failed(ev, "reconcile close");
		evlog_ipfix_block(ev, IPFIX_EV_PBA_RELEASE, at, &old->b);
		rs->replaced++;
	}
	if (store_block_assign(ev->st, &nb, NULL))
		return evlog_write_failed(ev, "reconcile assign");
	evlog_ipfix_block(ev, IPFIX_EV_PBA, nb.assigned_ms, &nb);
	rs->added++;
	return 0;
}

/* Walks the block table; rows it finds held are marked matched. */
/* At start, every held block that already has its row is announced to
 * IPFIX again (as an allocation record, like an interim): records a crash
 * left unsent in the exporter's queue, or that a collector missed while
 * cgnatd was down, reach the collectors after all.
 */
static int pass_blocks(struct evlog *ev, struct rc_rows *rows, int announce,
		       struct reconcile_stats *rs)
{
	const struct cgnat_cfg *g = &ev->dc->o.cfg;
	__u32 id, n = g->n_addrs * g->blocks_per_addr, pool;
	struct cgnat_block b;
	struct rc_row *row;
	uint16_t first, last;
	uint32_t ext;

	for (id = 0; id < n; id++) {
		if (!block_held(&ev->run->dp.v.blocks[id], &b) ||
		    evlog_release_pending(ev, id))
			continue;
		rs->held++;
		block_geometry(ev->dc, id, &ext, &first, &last, &pool);
		row = find_row(rows, ext, first);
		if (row)
			row->matched = 1;
		if (row && row->b.sub_addr == ntohl(b.sub_addr)) {
			if (announce)
				evlog_ipfix_block(ev, IPFIX_EV_PBA,
						  row->b.assigned_ms, &row->b);
			continue;
		}
		if (add_row(ev, id, &b, row, rs))
			return -EIO;
	}
	return 0;
}

/*
 * RC_TABLE (start): a free block keeps its last holder and times in the
 * table, and is not granted again before its release is logged. After a
 * crash while the log could not commit, that holding may have no row at
 * all: write it, closed at the table's release time. An open row of
 * another subscriber on the block ends where this holding began. Blocks
 * released before the retention cut-off are not looked at.
 */
static int pass_released(struct evlog *ev, struct rc_rows *rows,
			 struct reconcile_stats *rs)
{
	const struct cgnat_cfg *g = &ev->dc->o.cfg;
	__u32 id, n = g->n_addrs * g->blocks_per_addr, pool;
	int64_t cut = 0, rel_ms, as_ms;
	struct rc_row *row;
	uint16_t first, last;
	uint32_t ext, sub;
	int rc;

	if (ev->cfg->log.retention_ms)
		cut = runtime_now_ms() - (int64_t)ev->cfg->log.retention_ms;
	for (id = 0; id < n; id++) {
		const struct cgnat_block *b = &ev->run->dp.v.blocks[id];

		if (__atomic_load_n(&b->owner, __ATOMIC_ACQUIRE) ||
		    !b->released_tai_ns || !b->assigned_tai_ns ||
		    evlog_release_pending(ev, id))
			continue;
		rel_ms = (int64_t)dprun_tai_to_utc_ms(b->released_tai_ns);
		as_ms = (int64_t)dprun_tai_to_utc_ms(b->assigned_tai_ns);
		sub = ntohl(b->sub_addr);
		if (rel_ms < cut || rel_ms < as_ms)
			continue;
		block_geometry(ev->dc, id, &ext, &first, &last, &pool);
		row = find_row(rows, ext, first);
		if (row && row->b.sub_addr != sub && !row->matched &&
		    row->b.assigned_ms <= as_ms) {
			if (store_close_block_at(ev->st, row->b.id, as_ms,
						 STORE_REL_RECONCILE))
				return evlog_write_failed(ev,
							  "reconcile close");
			evlog_ipfix_block(ev, IPFIX_EV_PBA_RELEASE, as_ms,
					  &row->b);
			row->matched = 1;
			rs->closed_map++;
		}
		rc = evlog_table_holding(ev, id, sub, rel_ms,
					 STORE_REL_RECONCILE);
		if (rc < 0)
			return rc;
		rs->from_table += rc;
	}
	return 0;
}

/* The map's release time when it is this row's release, else -1. */
static int64_t map_release_ms(struct evlog *ev, const struct store_block *r)
{
	const struct cgnat_cfg *g = &ev->dc->o.cfg;
	__u32 a, id;
	const struct cgnat_block *b;
	int64_t ms;

	for (a = 0; a < ev->dc->o.n_addrs; a++)
		if (ntohl(ev->dc->addrs[a]) == r->ext_addr)
			break;
	if (a == ev->dc->o.n_addrs || r->port_first < g->port_lo ||
	    (r->port_first - g->port_lo) % g->block_size)
		return -1;
	id = a * g->blocks_per_addr +
	     (r->port_first - g->port_lo) / g->block_size;
	if ((r->port_first - g->port_lo) / g->block_size >= g->blocks_per_addr)
		return -1;
	b = &ev->run->dp.v.blocks[id];
	if (!b->released_tai_ns || ntohl(b->sub_addr) != r->sub_addr)
		return -1;
	ms = (int64_t)dprun_tai_to_utc_ms(b->released_tai_ns);
	return ms >= r->assigned_ms ? ms : -1;
}

/* Closes the rows no held block matched; fresh_ms: see reconcile(). */
static int pass_rows(struct evlog *ev, struct rc_rows *rows, int64_t fresh_ms,
		     struct reconcile_stats *rs)
{
	int64_t at;
	size_t i;

	for (i = 0; i < rows->n; i++) {
		struct store_block *r = &rows->v[i].b;

		if (rows->v[i].matched)
			continue;
		at = fresh_ms ? -1 : map_release_ms(ev, r);
		if (at >= 0)
			rs->closed_map++;
		else
			rs->closed_now++;
		if (at < 0)
			at = fresh_ms ? fresh_ms
			     : ev->gone_ms ? ev->gone_ms : runtime_now_ms();
		if (at < r->assigned_ms)
			at = r->assigned_ms;
		if (store_close_block_at(ev->st, r->id, at,
					 fresh_ms ? STORE_REL_SHUTDOWN
						  : STORE_REL_RECONCILE))
			return evlog_write_failed(ev, "reconcile close");
		evlog_ipfix_block(ev, IPFIX_EV_PBA_RELEASE, at, r);
	}
	return 0;
}

static void summary(struct evlog *ev, const char *why,
		    const struct reconcile_stats *rs)
{
	char detail[256];
	struct store_event se = {.time_ms = runtime_now_ms(),
				 .instance = ev->cfg->instance,
				 .type = STORE_EVT_RECONCILE,
				 .detail = detail};

	snprintf(detail, sizeof(detail),
		 "%s: %u blocks held, %u open rows; %u rows added, %u "
		 "replaced, %u closed at the map's release time, %u closed "
		 "now, %u released holdings written from the table",
		 why, rs->held, rs->open, rs->added, rs->replaced,
		 rs->closed_map, rs->closed_now, rs->from_table);
	se.value = rs->added + rs->replaced + rs->closed_map + rs->closed_now +
		   rs->from_table;
	se.has_value = 1;
	if (se.value)
		log_info("reconcile %s", detail);
	else
		log_debug("reconcile %s", detail);
	if (store_event(ev->st, &se))
		evlog_write_failed(ev, "reconcile event");
}

int reconcile(struct evlog *ev, int64_t fresh_ms, const char *why, int flags,
	      struct reconcile_stats *rs)
{
	struct rc_rows rows = {.instance = ev->cfg->instance};
	int rc;

	memset(rs, 0, sizeof(*rs));
	/* Whatever the journal holds goes in first; while the log cannot
	 * commit, reconciling is pointless: try again later. */
	if (evlog_flush(ev) || ev->n_jrn) {
		ev->need_reconcile = 1;
		return -EAGAIN;
	}
	rc = store_open_blocks(ev->st, collect, &rows);
	if (rc < 0) {
		log_warnx("reconcile: read open rows: %s",
			  store_errmsg(ev->st));
		free(rows.v);
		return rc;
	}
	rs->open = rows.n;
	if (rows.n)	/* qsort(NULL, 0) is undefined (UBSan, SANITIZE=1) */
		qsort(rows.v, rows.n, sizeof(*rows.v), row_cmp);
	rc = evlog_begin(ev);
	if (!rc && fresh_ms) { /* new maps: nothing before them holds */
		rc = pass_rows(ev, &rows, fresh_ms, rs);
		rows.n = 0;
	}
	if (!rc && (flags & RC_TABLE))
		rc = pass_released(ev, &rows, rs);
	if (!rc)
		rc = pass_blocks(ev, &rows, flags & RC_ANNOUNCE, rs);
	if (!rc)
		rc = pass_rows(ev, &rows, 0, rs);
	if (!rc)
		rc = evlog_sess_reconcile(ev, fresh_ms, runtime_now_ms());
	if (!rc && (!(flags & RC_QUIET) || rs->added || rs->replaced ||
		    rs->closed_map || rs->closed_now || rs->from_table))
		summary(ev, why, rs);
	free(rows.v);
	if (evlog_flush(ev) && !rc)
		rc = -EIO;
	ev->need_reconcile = rc != 0; /* retried until it commits */
	return rc;
}
