// SPDX-License-Identifier: GPL-2.0
/*
 * evlog.c - every event from the data plane and the allocator goes into
 * the SQLite log, in one transaction per poll round, and, once that
 * transaction has committed, to the IPFIX exporter, so the collectors
 * never see a record the log lacks.
 *
 * Nothing is acknowledged before it commits. Every event goes into the
 * journal (ev->jrn) first and is written from there; a batch that fails
 * (a write or the commit: a full disk, an I/O error) is rolled back and
 * the whole journal, in order, is written again into the next batch,
 * tried every EVLOG_RETRY_MS, until one commits. While commits fail and
 * the journal holds more than backlog_hold events, no new port block is
 * granted (dprun.hold_grants): new subscribers and new blocks are refused,
 * mappings in held blocks go on; grants resume at the first commit, which
 * also writes a log-backlog event row saying how long and how much.
 *
 * Durability contract with dprun (dprun.h): a release gates the block's
 * quarantine, so it returns -EAGAIN until the batch holding it has
 * committed; the re-offer after that returns 0. One fsync per round
 * however many blocks are released. Data-plane events are also in the
 * pinned block table: what the journal could not keep (over
 * EVLOG_BACKLOG_CAP, or lost in a crash) reconciliation writes from it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cgnatd.h"
#include "daemon/log.h"

#define EVLOG_MAX_PEND 65536 /* IPFIX records held for one commit */

int evlog_write_failed(struct evlog *ev, const char *what)
{
	ev->s.write_errors++;
	if (!ev->failed && !ev->failing_ms)
		log_warnx("log %s: %s", what, store_errmsg(ev->st));
	ev->failed = 1;
	return -EIO;
}

/* A block write failed: the batch fails and is retried, unless the store
 * refused the event itself (it would never go in): that one is skipped. */
static int store_failed(struct evlog *ev, const char *what, int rc)
{
	if (rc != -EINVAL && rc != -ENAMETOOLONG && rc != -ERANGE)
		return evlog_write_failed(ev, what);
	ev->s.refused++;
	log_warnx("log %s refused, skipped: %s", what, store_errmsg(ev->st));
	return 0;
}

static void evlog_apply(struct evlog *ev);

/* Counters of a batch that failed go back to what they were before it:
 * its events are counted when they are written again. */
static void stats_rollback(struct evlog *ev)
{
	struct evlog_stats keep = ev->s;

	ev->s = ev->s_begin;
	ev->s.commits = keep.commits;
	ev->s.write_errors = keep.write_errors;
	ev->s.ipfix_refused = keep.ipfix_refused;
	ev->s.late = keep.late;
	ev->s.holds = keep.holds;
	ev->s.lost = keep.lost;
}

int evlog_begin(struct evlog *ev)
{
	int rc;

	if (ev->batch)
		return 0;
	if (ev->retry_ms && runtime_now_ms() < ev->retry_ms)
		return -EAGAIN; /* the last batch failed: the journal waits */
	rc = store_begin(ev->st);
	if (rc) {
		ev->s.write_errors++;
		ev->retry_ms = runtime_now_ms() + EVLOG_RETRY_MS;
		if (!ev->failing_ms) {
			ev->failing_ms = runtime_now_ms();
			log_warnx("log begin: %s", store_errmsg(ev->st));
		}
		return rc;
	}
	ev->batch = 1;
	ev->s_begin = ev->s;
	evlog_apply(ev); /* what earlier batches failed to commit, first */
	return 0;
}

unsigned int evlog_backlog(const struct evlog *ev)
{
	return ev->failing_ms ? ev->n_jrn : 0;
}

void evlog_ipfix_queue(struct evlog *ev, const struct ipfix_event *ie)
{
	struct ipfix_event *p;

	if (!ev->ipfix || ev->no_ipfix)
		return;
	if (ev->n_pend == ev->cap_pend) {
		unsigned int cap = ev->cap_pend ? 2 * ev->cap_pend : 256;

		p = cap <= EVLOG_MAX_PEND ? realloc(ev->pend, cap * sizeof(*p))
					  : NULL;
		if (!p) {
			ev->s.ipfix_refused++;
			return;
		}
		ev->pend = p;
		ev->cap_pend = cap;
	}
	ev->pend[ev->n_pend++] = *ie;
}

void evlog_ipfix_block(struct evlog *ev, __u8 nat_event, uint64_t ms,
		       const struct store_block *b)
{
	struct ipfix_event ie = {
		.time_ms = ms,
		.nat_event = nat_event,
		.sub_addr = b->sub_addr,
		.ext_addr = b->ext_addr,
		.port_first = b->port_first,
		.port_last = b->port_last,
		.pool_id = b->pool_id,
	};

	evlog_ipfix_queue(ev, &ie);
}

static void fill_block(struct evlog *ev, const struct cgnat_event *e,
		       uint64_t ms, struct store_block *b)
{
	const struct cgnat_config *cfg = ev->cfg;

	memset(b, 0, sizeof(*b));
	b->instance = cfg->instance;
	b->pool_id = e->pool + 1;
	if (e->pool < cfg->n_pools)
		snprintf(b->pool, sizeof(b->pool), "%s",
			 cfg->pools[e->pool].name);
	b->sub_addr = ntohl(e->sub_addr);
	b->ext_addr = ntohl(e->ext_addr);
	b->port_first = e->port_first;
	b->port_last = e->port_last;
	b->assigned_ms = (int64_t)ms;
	b->released_ms = STORE_MS_NONE;
}

static int first_row(const struct store_block *b, void *ctx)
{
	*(struct store_block *)ctx = *b;
	return 1;
}

/*
 * The block is already open: the same holding seen twice (reconciliation
 * wrote it before its event arrived), or a holding whose release we never
 * saw, closed now at the new holder's assign time.
 */
static int assign_conflict(struct evlog *ev, const struct store_block *b)
{
	struct store_block old = {.id = -1};
	int rc;

	rc = store_lookup_at(ev->st, b->ext_addr, b->port_first, b->assigned_ms,
			     first_row, &old);
	if (rc < 0)
		return evlog_write_failed(ev, "assign lookup");
	if (old.id < 0 || old.sub_addr == b->sub_addr) {
		ev->s.duplicates++;
		return 0;
	}
	rc = store_close_block_at(ev->st, old.id, b->assigned_ms,
				  STORE_REL_RECONCILE);
	if (rc)
		return store_failed(ev, "close superseded block", rc);
	evlog_ipfix_block(ev, IPFIX_EV_PBA_RELEASE, b->assigned_ms, &old);
	rc = store_block_assign(ev->st, b, NULL);
	if (rc)
		return store_failed(ev, "assign", rc);
	ev->s.replaced++;
	evlog_ipfix_block(ev, IPFIX_EV_PBA, b->assigned_ms, b);
	return 0;
}

static int on_assigned(struct evlog *ev, const struct cgnat_event *e,
		       uint64_t ms)
{
	struct store_block b;
	int rc;

	fill_block(ev, e, ms, &b);
	rc = store_block_assign(ev->st, &b, NULL);
	if (rc == -EEXIST)
		return assign_conflict(ev, &b);
	if (rc)
		return store_failed(ev, "assign", rc);
	ev->s.assigned++;
	evlog_ipfix_block(ev, IPFIX_EV_PBA, ms, &b);
	return 0;
}

static struct evlog_rel *find_rel(struct evlog *ev, __u32 block)
{
	unsigned int i;

	for (i = 0; i < ev->n_rel; i++)
		if (ev->rel[i].block == block)
			return &ev->rel[i];
	return NULL;
}

int evlog_release_pending(const struct evlog *ev, __u32 block)
{
	return find_rel((struct evlog *)ev, block) != NULL;
}

static int release_reason(__u32 v)
{
	return v >= STORE_REL_IDLE && v <= STORE_REL_ADMIN ? (int)v
							   : STORE_REL_IDLE;
}

/* Row of block id's holding [assigned, released_ms) from the pinned block
 * table, when the log has none: its assign event was never written (lost
 * in a ring-buffer overrun, over the journal's cap, or in a crash while
 * the log could not commit). The table keeps the last holder and its
 * assign time after the release, and a block whose release is not logged
 * is never granted again, so that holder is the one. 1 written, 0 not
 * needed or not known, -EIO.
 */
int evlog_table_holding(struct evlog *ev, __u32 id, uint32_t sub,
			int64_t released_ms, int reason)
{
	const struct cgnat_cfg *g = &ev->dc->o.cfg;
	struct store_block b = {.id = -1}, old = {.id = -1};
	const struct cgnat_block *t;
	__u32 pool;
	int rc;

	if (!ev->run || !ev->run->dp.v.blocks ||
	    id >= g->n_addrs * g->blocks_per_addr)
		return 0;
	t = &ev->run->dp.v.blocks[id];
	if (ntohl(t->sub_addr) != sub || !t->assigned_tai_ns)
		return 0;
	b.instance = ev->cfg->instance;
	block_geometry(ev->dc, id, &b.ext_addr, &b.port_first, &b.port_last,
		       &pool);
	b.pool_id = pool + 1;
	snprintf(b.pool, sizeof(b.pool), "%s",
		 pool < ev->cfg->n_pools ? ev->cfg->pools[pool].name : "");
	b.sub_addr = sub;
	b.assigned_ms = (int64_t)dprun_tai_to_utc_ms(t->assigned_tai_ns);
	b.released_ms = STORE_MS_NONE;
	if (released_ms < b.assigned_ms)
		return 0;
	rc = store_lookup_range(ev->st, b.ext_addr, b.port_first, b.assigned_ms,
				b.assigned_ms, first_row, &old);
	if (rc < 0)
		return evlog_write_failed(ev, "table holding lookup");
	if (rc > 0) /* logged already (open rows are closed elsewhere) */
		return 0;
	rc = store_block_assign(ev->st, &b, NULL);
	if (!rc)
		rc = store_block_release(ev->st, b.ext_addr, b.port_first,
					 released_ms, reason);
	if (rc)
		return store_failed(ev, "table holding", rc) ? -EIO : 0;
	ev->s.from_table++;
	evlog_ipfix_block(ev, IPFIX_EV_PBA, b.assigned_ms, &b);
	evlog_ipfix_block(ev, IPFIX_EV_PBA_RELEASE, released_ms, &b);
	return 1;
}

static void write_release(struct evlog *ev, const struct cgnat_event *e,
			  uint64_t ms)
{
	int reason = release_reason(e->value);
	struct store_block b;
	int rc;

	fill_block(ev, e, ms, &b);
	rc = store_block_release(ev->st, b.ext_addr, b.port_first, ms, reason);
	if (rc == -ENOENT) {
		if (!evlog_table_holding(ev, e->block, b.sub_addr, (int64_t)ms,
					 reason))
			log_warnx("release of block %u: no open row (closed "
				  "by reconciliation)",
				  e->block);
		return;
	}
	if (rc) {
		store_failed(ev, "release", rc);
		return;
	}
	ev->s.released++;
	evlog_ipfix_block(ev, IPFIX_EV_PBA_RELEASE, ms, &b);
}

static int on_interim(struct evlog *ev, const struct cgnat_event *e,
		      uint64_t ms)
{
	struct store_block b;
	int rc;

	fill_block(ev, e, ms, &b);
	rc = store_interim(ev->st, b.ext_addr, b.port_first, ms);
	if (rc == -ENOENT) {
		log_warnx("interim for block %u: no open row", e->block);
		return 0;
	}
	if (rc == -EEXIST) /* written again after a failed batch */
		return 0;
	if (rc)
		return store_failed(ev, "interim", rc);
	ev->s.interims++;
	evlog_ipfix_block(ev, IPFIX_EV_PBA, ms, &b);
	return 0;
}

/* Writes one journal entry into the open batch. */
static void apply_one(struct evlog *ev, const struct evlog_jent *j)
{
	const struct cgnat_event *e = &j->e;

	switch (e->type) {
	case EVT_BLOCK_ASSIGNED:
		on_assigned(ev, e, j->ms);
		break;
	case EVT_BLOCK_RELEASED:
		write_release(ev, e, j->ms);
		break;
	case EVT_BLOCK_INTERIM:
		on_interim(ev, e, j->ms);
		break;
	case EVT_SESS_CREATE:
	case EVT_SESS_DELETE:
		/* Also raised for HA's sync alone (dpconf_tunables). */
		if (ev->cfg->log.session_events)
			evlog_sess(ev, e, j->ms);
		break;
	default:
		evlog_other(ev, e, j->ms);
		break;
	}
}

/* Writes what the batch lacks; after a failed write the rest waits for
 * the next batch (SQLite may have rolled this one back already). */
static void evlog_apply(struct evlog *ev)
{
	while (ev->n_done < ev->n_jrn && !ev->failed)
		apply_one(ev, &ev->jrn[ev->n_done++]);
}

static int journal_add(struct evlog *ev, const struct cgnat_event *e,
		       uint64_t ms)
{
	struct evlog_jent *p;

	if (ev->n_jrn == ev->cap_jrn) {
		unsigned int cap = ev->cap_jrn ? 2 * ev->cap_jrn : 256;

		if (cap > EVLOG_BACKLOG_CAP)
			cap = EVLOG_BACKLOG_CAP;
		p = cap > ev->cap_jrn ? realloc(ev->jrn, cap * sizeof(*p))
				      : NULL;
		if (!p) {
			if (!ev->s.lost++)
				log_warnx("log journal full (%u events): "
					  "events dropped, reconciliation "
					  "writes their blocks from the table",
					  ev->n_jrn);
			ev->need_reconcile = 1;
			return -ENOSPC;
		}
		ev->jrn = p;
		ev->cap_jrn = cap;
	}
	ev->jrn[ev->n_jrn++] = (struct evlog_jent){.ms = ms, .e = *e};
	return 0;
}

/* While commits fail and the journal is over its bound: no new grants. */
static void backlog_check(struct evlog *ev)
{
	unsigned int bound = ev->cfg->log.max_backlog ? ev->cfg->log.max_backlog
						      : EVLOG_BACKLOG_HOLD;

	if (ev->holding || !ev->failing_ms || ev->n_jrn < bound)
		return;
	ev->holding = 1;
	ev->s.holds++;
	if (ev->run)
		ev->run->hold_grants |= DPRUN_HOLD_LOG;
	log_warnx("log: %u events not committed for %lld ms: no new port "
		  "blocks are granted until the log commits again",
		  ev->n_jrn, (long long)(runtime_now_ms() - ev->failing_ms));
}

int evlog_event(void *ctx, const struct cgnat_event *e, __u64 utc_ms)
{
	struct evlog *ev = ctx;
	int rel = e->type == EVT_BLOCK_RELEASED;

	if (rel) { /* see the file comment: -EAGAIN until committed */
		struct evlog_rel *r = find_rel(ev, e->block);

		if (r && r->committed) {
			*r = ev->rel[--ev->n_rel];
			return 0;
		}
		if (r || ev->n_rel == sizeof(ev->rel) / sizeof(ev->rel[0]))
			return -EAGAIN;
	}
	if (ev->n_pend >= EVLOG_MAX_PEND && ev->batch)
		evlog_flush(ev); /* keep the IPFIX backlog bounded */
	if (journal_add(ev, e, utc_ms))
		return rel ? -EAGAIN : 0; /* dprun offers a release again */
	if (rel)
		ev->rel[ev->n_rel++] = (struct evlog_rel){.block = e->block};
	if (!evlog_begin(ev))
		evlog_apply(ev);
	backlog_check(ev);
	return rel ? -EAGAIN : 0;
}

/* The first commit after failures: say so in the log itself. */
static void backlog_over(struct evlog *ev)
{
	int64_t now = runtime_now_ms();
	char detail[160];
	struct store_event se = {.time_ms = now,
				 .instance = ev->cfg->instance,
				 .type = STORE_EVT_LOG_BACKLOG,
				 .has_value = 1,
				 .value = ev->n_jrn,
				 .detail = detail};

	snprintf(detail, sizeof(detail),
		 "commits failed for %lld ms; %u events written late%s",
		 (long long)(now - ev->failing_ms), ev->n_jrn,
		 ev->holding ? "; new grants were held" : "");
	log_info("log commits again: %s", detail);
	ev->s.late += ev->n_jrn;
	ev->failing_ms = 0;
	if (ev->holding && ev->run)
		ev->run->hold_grants &= ~DPRUN_HOLD_LOG;
	ev->holding = 0;
	if (!store_begin(ev->st)) {
		if (store_event(ev->st, &se) || store_commit(ev->st))
			store_rollback(ev->st);
	}
}

/* A failed batch: roll back, keep the journal for the next try. */
static void fail_batch(struct evlog *ev)
{
	int rc = store_rollback(ev->st);

	if (rc && rc != -EINVAL) /* -EINVAL: the commit rolled back */
		log_warnx("log rollback: %s", store_errmsg(ev->st));
	stats_rollback(ev);
	ev->n_done = 0;
	ev->n_pend = 0;
	ev->retry_ms = runtime_now_ms() + EVLOG_RETRY_MS;
	if (!ev->failing_ms) {
		ev->failing_ms = runtime_now_ms();
		log_warnx("log: %u events kept, retried every %d ms until they "
			  "commit", ev->n_jrn, EVLOG_RETRY_MS);
	}
	backlog_check(ev);
}

int evlog_flush(struct evlog *ev)
{
	unsigned int i;
	int rc = 0;

	if (!ev->batch && (!ev->n_jrn || evlog_begin(ev)))
		return ev->n_jrn ? -EAGAIN : 0;
	if (!ev->failed && store_commit(ev->st)) {
		ev->s.write_errors++;
		if (!ev->failing_ms)
			log_warnx("log commit: %s", store_errmsg(ev->st));
		ev->failed = 1;
	}
	if (ev->failed) {
		fail_batch(ev);
		rc = -EIO;
	} else {
		ev->s.commits++;
		for (i = 0; i < ev->n_done; i++) { /* what this batch wrote */
			struct evlog_rel *r;

			if (ev->jrn[i].e.type == EVT_BLOCK_RELEASED &&
			    (r = find_rel(ev, ev->jrn[i].e.block)))
				r->committed = 1;
		}
		for (i = 0; i < ev->n_pend; i++)
			if (ipfix_submit(ev->ipfix, &ev->pend[i]) == -ENOBUFS)
				ev->s.ipfix_refused++;
		if (ev->failing_ms)
			backlog_over(ev);
		ev->n_jrn -= ev->n_done; /* none left, as a rule */
		if (ev->n_jrn)
			memmove(ev->jrn, ev->jrn + ev->n_done,
				ev->n_jrn * sizeof(*ev->jrn));
		ev->n_done = 0;
		ev->retry_ms = 0;
	}
	ev->n_pend = 0;
	ev->batch = 0;
	ev->failed = 0;
	return rc;
}

void evlog_free(struct evlog *ev)
{
	free(ev->pend);
	ev->pend = NULL;
	ev->n_pend = ev->cap_pend = 0;
	free(ev->jrn);
	ev->jrn = NULL;
	ev->n_jrn = ev->cap_jrn = ev->n_done = 0;
}
