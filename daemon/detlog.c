// SPDX-License-Identifier: GPL-2.0
/*
 * detlog.c - see detlog.h. A pool's versions are consecutive rows of the
 * history (ordered by instance, pool, switched_ms): row i is in force
 * from its switched_ms to the next row's, or until further notice.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/detlog.h"

static void put_prefixes(char *buf, size_t len, const struct det_prefix *v,
			 uint32_t n)
{
	size_t pos = 0;
	uint32_t i;
	char a[24];

	buf[0] = '\0';
	for (i = 0; i < n && pos < len; i++) {
		cfg_format_prefix(v[i].addr, v[i].len, a, sizeof(a));
		pos += snprintf(buf + pos, len - pos, "%s%s", i ? " " : "", a);
	}
}

void detlog_row(const struct cgnat_config *cfg, unsigned int pool,
		const struct det_layout *l, struct store_det_layout *r)
{
	memset(r, 0, sizeof(*r));
	r->instance = cfg->instance;
	r->pool_id = pool + 1;
	snprintf(r->pool, sizeof(r->pool), "%s", cfg->pools[pool].name);
	r->quarantine_ms = (int64_t)cfg->blocks.quarantine_ms;
	put_prefixes(r->inside, sizeof(r->inside), l->in, l->n_in);
	put_prefixes(r->outside, sizeof(r->outside), l->out, l->n_out);
	r->exclude_boundary = l->exclude_boundary;
	r->pps = l->pps;
	r->port_first = l->port_first;
	r->port_last = l->port_last;
	r->spa = l->spa;
	r->overflow_blocks = cfg->pools[pool].overflow_blocks;
	r->block_size = cfg->ports.block_size;
	r->algorithm = DET_ALGORITHM;
	/* RFC 7422 section 2 step 1: what is never a candidate port. */
	if (l->port_last < 65535)
		snprintf(r->reserved, sizeof(r->reserved), "0-%u,%u-65535",
			 l->port_first - 1, l->port_last + 1);
	else
		snprintf(r->reserved, sizeof(r->reserved), "0-%u",
			 l->port_first - 1);
}

static int parse_prefixes(const char *text, struct det_prefix *v, uint32_t *n)
{
	char buf[STORE_DET_PREFIXES_LEN], *tok, *save;
	uint32_t addr;
	uint8_t len;

	snprintf(buf, sizeof(buf), "%s", text);
	*n = 0;
	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (*n >= DET_MAX_PREFIXES ||
		    cfg_parse_prefix(tok, &addr, &len))
			return -EINVAL;
		v[*n].addr = addr;
		v[(*n)++].len = len;
	}
	return *n ? 0 : -EINVAL;
}

int detlog_layout(const struct store_det_layout *r, struct det_layout *l)
{
	struct det_prefix in[DET_MAX_PREFIXES], out[DET_MAX_PREFIXES];
	uint32_t n_in, n_out;

	if (parse_prefixes(r->inside, in, &n_in) ||
	    parse_prefixes(r->outside, out, &n_out))
		return -EINVAL;
	if (det_layout_init(l, in, n_in, out, n_out, r->port_first,
			    r->port_last, r->pps, r->exclude_boundary))
		return -EINVAL;
	return l->spa == r->spa ? 0 : -EINVAL;
}

int detlog_same(const struct store_det_layout *a,
		const struct store_det_layout *b)
{
	return !strcmp(a->inside, b->inside) &&
	       !strcmp(a->outside, b->outside) &&
	       !a->exclude_boundary == !b->exclude_boundary &&
	       a->pps == b->pps && a->port_first == b->port_first &&
	       a->port_last == b->port_last && a->spa == b->spa &&
	       a->overflow_blocks == b->overflow_blocks &&
	       a->block_size == b->block_size && a->algorithm == b->algorithm &&
	       !strcmp(a->reserved, b->reserved);
}

void detlog_moved_free(struct detlog_moved *m)
{
	free(m->sub);
	memset(m, 0, sizeof(*m));
}

static int moved_add(struct detlog_moved *m, uint32_t sub)
{
	uint32_t *v;

	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 256;
		v = realloc(m->sub, m->cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		m->sub = v;
	}
	m->sub[m->n++] = sub;
	return 0;
}

/* Subscribers of a whose range b does not give them. */
static int diff_one(const struct det_layout *a, const struct det_layout *b,
		    struct detlog_moved *m)
{
	uint32_t off, sub, e1, e2;
	uint16_t lo1, hi1, lo2, hi2;
	int moved;

	for (off = 0; off < a->n_subs; off++) {
		if (det_sub_at(a, off, &sub) ||
		    det_forward(a, sub, &e1, &lo1, &hi1))
			continue;
		moved = det_forward(b, sub, &e2, &lo2, &hi2) || e1 != e2 ||
			lo1 != lo2 || hi1 != hi2;
		if (moved && moved_add(m, sub))
			return -ENOMEM;
	}
	return 0;
}

int detlog_diff(const struct det_layout *old, const struct det_layout *new,
		struct detlog_moved *m)
{
	uint32_t off, sub, o;
	int rc = diff_one(old, new, m);

	/* New subscribers (absent from old) moved onto someone's ports. */
	for (off = 0; !rc && off < new->n_subs; off++)
		if (!det_sub_at(new, off, &sub) && det_offset(old, sub, &o))
			rc = moved_add(m, sub);
	return rc;
}

int detlog_history_add(struct detlog_history *h,
		       const struct store_det_layout *r)
{
	struct store_det_layout *v;
	struct det_layout *l;

	v = realloc(h->row, (h->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	h->row = v;
	l = realloc(h->lay, (h->n + 1) * sizeof(*l));
	if (!l)
		return -ENOMEM;
	h->lay = l;
	h->row[h->n] = *r;
	memset(&h->lay[h->n], 0, sizeof(*l));
	/* A row this build cannot read back stays, covering nothing. */
	if (r->kind == STORE_DET_CHANGE && detlog_layout(r, &h->lay[h->n]))
		h->row[h->n].kind = STORE_DET_RETIRED;
	h->n++;
	return 0;
}

static int keep_row(const struct store_det_layout *r, void *ctx)
{
	return detlog_history_add(ctx, r);
}

int detlog_history_load(struct store *st, struct detlog_history *h)
{
	int rc;

	memset(h, 0, sizeof(*h));
	rc = store_det_versions(st, keep_row, h);
	if (rc < 0)
		detlog_history_free(h);
	return rc < 0 ? rc : 0;
}

void detlog_history_free(struct detlog_history *h)
{
	free(h->row);
	free(h->lay);
	memset(h, 0, sizeof(*h));
}

/* The row after i of the same pool, or NULL. */
static const struct store_det_layout *next_of(const struct detlog_history *h,
					      uint32_t i)
{
	const struct store_det_layout *a = &h->row[i], *b;

	if (i + 1 >= h->n)
		return NULL;
	b = &h->row[i + 1];
	return a->instance == b->instance && !strcmp(a->pool, b->pool) ? b
								       : NULL;
}

/* Index of the last row of the pool of row i (of instance, named). */
static long last_of(const struct detlog_history *h, uint32_t instance,
		    const char *pool)
{
	long i, last = -1;

	for (i = 0; i < (long)h->n; i++)
		if (h->row[i].instance == instance &&
		    !strcmp(h->row[i].pool, pool))
			last = i;
	return last;
}

/* The old region's end when a change shrank it (its blocks wait out the
 * quarantine before any overflow grant).
 */
static void hold(const struct det_layout *old, const struct det_layout *new,
		 unsigned int p, struct detlog_moved *moved)
{
	if (p < CFG_MAX_POOLS && det_region_end(old) > det_region_end(new))
		moved->hold_end[p] = det_region_end(old);
}

/* A change still in its quarantine (from an earlier start): its moved
 * subscribers and held blocks again.
 */
static int still_moving(const struct detlog_history *h, long i, unsigned int p,
			int64_t now_ms, struct detlog_moved *moved)
{
	const struct store_det_layout *r = &h->row[i];
	int64_t until = r->switched_ms + r->quarantine_ms;

	if (i < 1 || now_ms >= until || !next_of(h, i - 1) ||
	    h->row[i - 1].kind != STORE_DET_CHANGE)
		return 0;
	if (until > moved->until_ms)
		moved->until_ms = until;
	hold(&h->lay[i - 1], &h->lay[i], p, moved);
	return detlog_diff(&h->lay[i - 1], &h->lay[i], moved);
}

static int sync_pool(struct store *st, const struct cgnat_config *cfg,
		     unsigned int p, const struct detlog_history *h,
		     int64_t now_ms, struct detlog_moved *moved)
{
	struct store_det_layout r;
	struct det_layout l;
	long last = last_of(h, cfg->instance, cfg->pools[p].name);
	const struct store_det_layout *old = last >= 0 ? &h->row[last] : NULL;
	int rc;

	rc = cfg_det_layout(cfg, p, &l);
	if (rc)
		return rc;
	detlog_row(cfg, p, &l, &r);
	if (old && old->kind == STORE_DET_CHANGE && detlog_same(old, &r))
		return still_moving(h, last, p, now_ms, moved);
	r.kind = STORE_DET_CHANGE;
	r.version = old ? old->version + 1 : 1;
	r.logged_ms = r.switched_ms = now_ms;
	rc = store_det_log(st, &r);
	if (rc)
		return rc;
	if (old && old->kind == STORE_DET_CHANGE) {
		if (now_ms + r.quarantine_ms > moved->until_ms)
			moved->until_ms = now_ms + r.quarantine_ms;
		hold(&h->lay[last], &l, p, moved);
		rc = detlog_diff(&h->lay[last], &l, moved);
	}
	return rc ? rc : 1;
}

/* Pools of this instance whose newest row is a version but that are not
 * deterministic any more: retired from now.
 */
static int retire(struct store *st, const struct cgnat_config *cfg,
		  const struct detlog_history *h, int64_t now_ms)
{
	struct store_det_layout r;
	unsigned int p;
	uint32_t i;
	int rc, n = 0;

	for (i = 0; i < h->n; i++) {
		if (h->row[i].instance != cfg->instance || next_of(h, i) ||
		    h->row[i].kind != STORE_DET_CHANGE)
			continue;
		for (p = 0; p < cfg->n_pools; p++)
			if (!strcmp(cfg->pools[p].name, h->row[i].pool) &&
			    cfg->pools[p].mode == CFG_POOL_DETERMINISTIC)
				break;
		if (p < cfg->n_pools)
			continue;
		r = h->row[i];
		r.kind = STORE_DET_RETIRED;
		r.version++;
		r.logged_ms = r.switched_ms = now_ms;
		rc = store_det_log(st, &r);
		if (rc)
			return rc;
		n++;
	}
	return n;
}

int detlog_sync(struct store *st, const struct cgnat_config *cfg,
		int64_t now_ms, struct detlog_moved *moved)
{
	struct detlog_history h;
	unsigned int p;
	int rc, n = 0;

	rc = detlog_history_load(st, &h);
	if (rc)
		return rc;
	for (p = 0; p < cfg->n_pools && rc >= 0; p++) {
		if (cfg->pools[p].mode != CFG_POOL_DETERMINISTIC)
			continue;
		rc = sync_pool(st, cfg, p, &h, now_ms, moved);
		n += rc > 0;
	}
	if (rc >= 0) {
		rc = retire(st, cfg, &h, now_ms);
		n += rc > 0 ? rc : 0;
	}
	detlog_history_free(&h);
	return rc < 0 ? rc : n;
}

int detlog_daily(struct store *st, const struct cgnat_config *cfg,
		 int64_t now_ms)
{
	struct store_det_layout r;
	int64_t logged;
	unsigned int p;
	int rc, n = 0;

	for (p = 0; p < cfg->n_pools; p++) {
		if (cfg->pools[p].mode != CFG_POOL_DETERMINISTIC)
			continue;
		rc = store_det_last_logged(st, cfg->instance,
					   cfg->pools[p].name, &logged);
		if (rc == -ENOENT || (!rc && now_ms - logged < DETLOG_DAY_MS))
			continue;
		if (!rc)
			rc = store_det_latest(st, cfg->instance,
					      cfg->pools[p].name, &r);
		if (rc)
			return rc;
		if (r.kind != STORE_DET_CHANGE)
			continue;
		r.kind = STORE_DET_DAILY;
		r.logged_ms = now_ms;
		rc = store_det_log(st, &r);
		if (rc)
			return rc;
		n++;
	}
	return n;
}

/* End of row i's force, and how long its ports may still be its owners'
 * (a later version moved them: until the quarantine after it ends).
 */
static int64_t end_of(const struct detlog_history *h, uint32_t i)
{
	const struct store_det_layout *n = next_of(h, i);

	return n ? n->switched_ms : STORE_MS_NONE;
}

static int64_t until_of(const struct detlog_history *h, uint32_t i,
			uint32_t ext, uint16_t port, uint32_t sub)
{
	const struct store_det_layout *n = next_of(h, i);
	uint32_t other;

	if (!n)
		return STORE_MS_NONE;
	if (n->kind == STORE_DET_CHANGE &&
	    !det_reverse(&h->lay[i + 1], ext, port, &other) && other == sub)
		return n->switched_ms;
	return n->switched_ms + n->quarantine_ms;
}

static int overlaps(int64_t from, int64_t to, int64_t a, int64_t b)
{
	return a <= to && (b == STORE_MS_NONE || b > from);
}

static void block_of(const struct detlog_history *h, uint32_t i, uint32_t sub,
		     uint32_t ext, int64_t until, struct store_block *b)
{
	const struct store_det_layout *r = &h->row[i];
	uint32_t e;

	memset(b, 0, sizeof(*b));
	b->instance = r->instance;
	b->pool_id = r->pool_id;
	snprintf(b->pool, sizeof(b->pool), "%s", r->pool);
	b->sub_addr = sub;
	b->ext_addr = ext;
	det_forward(&h->lay[i], sub, &e, &b->port_first, &b->port_last);
	b->assigned_ms = r->switched_ms;
	b->released_ms = end_of(h, i);
	b->release_reason = b->released_ms == STORE_MS_NONE ? STORE_REL_NONE
							    : STORE_REL_LAYOUT;
	b->det_version = r->version;
	b->det_until_ms = until;
}

/* Is [from, to] wholly covered by the versions of the pool whose rows
 * start at 'first'? */
static int covered(const struct detlog_history *h, uint32_t first, int64_t from,
		   int64_t to)
{
	uint32_t i;
	int64_t t = from;

	for (i = first; i < h->n; i++) {
		if (h->row[i].kind == STORE_DET_CHANGE &&
		    h->row[i].switched_ms <= t) {
			int64_t e = end_of(h, i);

			if (e == STORE_MS_NONE || e > to)
				return 1;
			if (e > t)
				t = e;
		}
		if (!next_of(h, i))
			break;
	}
	return 0;
}

int detlog_lookup(const struct detlog_history *h, uint32_t ext, uint16_t port,
		  int64_t from_ms, int64_t to_ms, store_block_cb cb, void *ctx,
		  int *unknown)
{
	struct store_block b;
	uint32_t i, first = 0, idx, sub;
	int in_pool = 0, n = 0, rc;
	int64_t until;

	*unknown = 0;
	for (i = 0; i < h->n; i++) {
		if (!i || !next_of(h, i - 1)) {
			first = i;
			in_pool = 0;
		}
		if (h->row[i].kind == STORE_DET_CHANGE &&
		    !det_ext_index(&h->lay[i], ext, &idx))
			in_pool = 1;
		if (!next_of(h, i) && in_pool &&
		    !covered(h, first, from_ms, to_ms))
			*unknown = 1;
		if (h->row[i].kind != STORE_DET_CHANGE ||
		    det_reverse(&h->lay[i], ext, port, &sub))
			continue;
		until = until_of(h, i, ext, port, sub);
		if (!overlaps(from_ms, to_ms, h->row[i].switched_ms, until))
			continue;
		block_of(h, i, sub, ext, until, &b);
		rc = cb(&b, ctx);
		if (rc < 0)
			return rc;
		n++;
	}
	return n;
}

int detlog_sub_history(const struct detlog_history *h, uint32_t sub,
		       int64_t from_ms, int64_t to_ms, store_block_cb cb,
		       void *ctx)
{
	struct store_block b;
	uint32_t i, ext;
	uint16_t lo, hi;
	int n = 0, rc;

	for (i = 0; i < h->n; i++) {
		if (h->row[i].kind != STORE_DET_CHANGE ||
		    det_forward(&h->lay[i], sub, &ext, &lo, &hi) ||
		    !overlaps(from_ms, to_ms, h->row[i].switched_ms,
			      end_of(h, i)))
			continue;
		block_of(h, i, sub, ext, until_of(h, i, ext, lo, sub), &b);
		rc = cb(&b, ctx);
		if (rc < 0)
			return rc;
		n++;
	}
	return n;
}

int detlog_in_force(const struct detlog_history *h, int64_t at_ms,
		    detlog_table_cb cb, void *ctx)
{
	uint32_t i;
	int64_t e;
	int n = 0, rc;

	for (i = 0; i < h->n; i++) {
		e = end_of(h, i);
		if (h->row[i].kind != STORE_DET_CHANGE ||
		    h->row[i].switched_ms > at_ms ||
		    (e != STORE_MS_NONE && e <= at_ms))
			continue;
		rc = cb(&h->row[i], &h->lay[i], e, ctx);
		if (rc < 0)
			return rc;
		n++;
	}
	return n;
}

/* cb for every subscriber of row i's layout (assign), or for those of
 * row i whose range row j does not keep (release).
 */
static int each_range(const struct detlog_history *h, uint32_t i, long j,
		      detlog_range_cb cb, void *ctx)
{
	const struct det_layout *l = &h->lay[i];
	uint32_t off, sub, e, e2;
	uint16_t lo2, hi2;
	struct store_block b;
	int n = 0, rc;

	for (off = 0; off < l->n_subs; off++) {
		if (det_sub_at(l, off, &sub) ||
		    det_forward(l, sub, &e, &lo2, &hi2))
			continue;
		block_of(h, i, sub, e, end_of(h, i), &b);
		if (j >= 0 && !det_forward(&h->lay[j], sub, &e2, &lo2, &hi2) &&
		    e2 == e && lo2 == b.port_first && hi2 == b.port_last)
			continue; /* kept: nothing to release */
		rc = cb(j < 0, &b, ctx);
		if (rc < 0)
			return rc;
		n++;
	}
	return n;
}

int detlog_announce(const struct detlog_history *h, uint32_t instance,
		    int64_t switched_now, detlog_range_cb cb, void *ctx)
{
	uint32_t i;
	int n = 0, rc;

	for (i = 0; i < h->n; i++) {
		if (h->row[i].instance != instance || next_of(h, i) ||
		    h->row[i].kind != STORE_DET_CHANGE)
			continue;
		if (h->row[i].switched_ms == switched_now && i > 0 &&
		    next_of(h, i - 1) &&
		    h->row[i - 1].kind == STORE_DET_CHANGE) {
			rc = each_range(h, i - 1, i, cb, ctx);
			if (rc < 0)
				return rc;
			n += rc;
		}
		rc = each_range(h, i, -1, cb, ctx);
		if (rc < 0)
			return rc;
		n += rc;
	}
	return n;
}
