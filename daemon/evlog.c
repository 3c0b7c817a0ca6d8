// SPDX-License-Identifier: GPL-2.0
/*
 * evlog.c - every event from the data plane and the allocator goes into
 * the SQLite log, in one transaction per poll round, and, once that
 * transaction has committed, to the IPFIX exporter, so the collectors
 * never see a record the log lacks.
 *
 * Durability contract with dprun (dprun.h): data-plane events are also in
 * the pinned block table, so a lost batch is repaired by reconciliation
 * and the callback may return 0 at once. A release is different: it
 * gates the block's quarantine, so its first offer writes the row into
 * the batch and returns -EAGAIN; the batch commits when the round ends;
 * the re-offer on the next round finds the release committed and
 * returns 0. One fsync per round however many blocks are released.
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
	if (!ev->failed)
		log_warnx("log %s: %s", what, store_errmsg(ev->st));
	ev->failed = 1;
	return -EIO;
}

int evlog_begin(struct evlog *ev)
{
	int rc;

	if (ev->batch)
		return 0;
	rc = store_begin(ev->st);
	if (rc) {
		ev->need_reconcile = 1;
		ev->s.write_errors++;
		log_warnx("log begin: %s", store_errmsg(ev->st));
		return rc;
	}
	ev->batch = 1;
	return 0;
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
	if (store_close_block_at(ev->st, old.id, b->assigned_ms,
				 STORE_REL_RECONCILE))
		return evlog_write_failed(ev, "close superseded block");
	evlog_ipfix_block(ev, IPFIX_EV_PBA_RELEASE, b->assigned_ms, &old);
	if (store_block_assign(ev->st, b, NULL))
		return evlog_write_failed(ev, "assign");
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
		return evlog_write_failed(ev, "assign");
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

/* See the file comment: -EAGAIN until the release is committed. */
static int on_released(struct evlog *ev, const struct cgnat_event *e,
		       uint64_t ms)
{
	struct evlog_rel *r = find_rel(ev, e->block);
	struct store_block b;
	int rc;

	if (r && r->committed) {
		*r = ev->rel[--ev->n_rel];
		return 0;
	}
	if (r || ev->n_rel == sizeof(ev->rel) / sizeof(ev->rel[0]))
		return -EAGAIN;
	if (evlog_begin(ev))
		return -EAGAIN;
	fill_block(ev, e, ms, &b);
	rc = store_block_release(ev->st, b.ext_addr, b.port_first, ms,
				 release_reason(e->value));
	if (rc == -ENOENT) {
		log_warnx("release of block %u: no open row (closed by "
			  "reconciliation)",
			  e->block);
		return 0;
	}
	if (rc) {
		evlog_write_failed(ev, "release");
		return -EAGAIN;
	}
	ev->s.released++;
	ev->rel[ev->n_rel++] = (struct evlog_rel){.block = e->block};
	evlog_ipfix_block(ev, IPFIX_EV_PBA_RELEASE, ms, &b);
	return -EAGAIN;
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
	if (rc)
		return evlog_write_failed(ev, "interim");
	ev->s.interims++;
	evlog_ipfix_block(ev, IPFIX_EV_PBA, ms, &b);
	return 0;
}

int evlog_event(void *ctx, const struct cgnat_event *e, __u64 utc_ms)
{
	struct evlog *ev = ctx;

	if (e->type == EVT_BLOCK_RELEASED)
		return on_released(ev, e, utc_ms);
	if (ev->n_pend >= EVLOG_MAX_PEND)
		evlog_flush(ev); /* keep the IPFIX backlog bounded */
	if (evlog_begin(ev))
		return 0; /* in the maps: reconciliation repairs it */
	switch (e->type) {
	case EVT_BLOCK_ASSIGNED:
		on_assigned(ev, e, utc_ms);
		break;
	case EVT_BLOCK_INTERIM:
		on_interim(ev, e, utc_ms);
		break;
	case EVT_SESS_CREATE:
	case EVT_SESS_DELETE:
		/* Also raised for HA's sync alone (dpconf_tunables). */
		if (ev->cfg->log.session_events)
			evlog_sess(ev, e, utc_ms);
		break;
	default:
		evlog_other(ev, e, utc_ms);
		break;
	}
	return 0;
}

/* After a failed batch: forget what it held; reconciliation repairs. */
static void drop_batch(struct evlog *ev)
{
	unsigned int i = 0;
	int rc = store_rollback(ev->st);

	if (rc && rc != -EINVAL) /* -EINVAL: the commit rolled back */
		log_warnx("log rollback: %s", store_errmsg(ev->st));
	while (i < ev->n_rel) {
		if (!ev->rel[i].committed)
			ev->rel[i] = ev->rel[--ev->n_rel];
		else
			i++;
	}
	ev->n_pend = 0;
	ev->need_reconcile = 1;
}

int evlog_flush(struct evlog *ev)
{
	unsigned int i;
	int rc = 0;

	if (!ev->batch)
		return 0;
	if (!ev->failed && store_commit(ev->st)) {
		ev->s.write_errors++;
		log_warnx("log commit: %s", store_errmsg(ev->st));
		ev->failed = 1;
	}
	if (ev->failed) {
		drop_batch(ev);
		rc = -EIO;
	} else {
		ev->s.commits++;
		for (i = 0; i < ev->n_rel; i++)
			ev->rel[i].committed = 1;
		for (i = 0; i < ev->n_pend; i++)
			if (ipfix_submit(ev->ipfix, &ev->pend[i]) == -ENOBUFS)
				ev->s.ipfix_refused++;
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
}
