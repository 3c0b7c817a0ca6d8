// SPDX-License-Identifier: GPL-2.0
/*
 * evlog_sess.c - the per-session log (log.session_events): session create
 * and delete events from the data plane become rows of open_sessions and
 * sessions in the round's batch and, after the commit, IPFIX natEvent 4
 * and 5 records. Unlike block events these are not in any pinned table
 * once lost, so what cannot be recovered is at least bounded and marked:
 *
 *  - a lost create: its delete writes the row with an unknown start;
 *  - a lost delete: the open row is closed when the same key opens again
 *    (at that instant), or by the reconciliation that follows every ring
 *    overrun (at that instant, once the pinned session table no longer
 *    has the session), both with end_reason reconcile;
 *  - new maps (detach, reboot): open rows close at the start, shutdown;
 *  - the key switched off: open rows close then, logging-off, since no
 *    delete will follow.
 *
 * Every lost event is counted in STAT_EVT_LOST and as a ringbuf-overrun
 * row of events (cgnatd.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "bpf/cgnat.skel.h"
#include "daemon/cgnatd.h"
#include "daemon/log.h"

static void to_row(const struct evlog *ev, const struct cgnat_sess_event *e,
		   struct store_session *x)
{
	memset(x, 0, sizeof(*x));
	x->instance = ev->cfg->instance;
	x->proto = e->proto;
	x->flags = e->flags;
	x->int_addr = ntohl(e->int_addr);
	x->ext_addr = ntohl(e->ext_addr);
	x->rem_addr = ntohl(e->rem_addr);
	x->int_port = ntohs(e->int_port);
	x->ext_port = ntohs(e->ext_port);
	x->rem_port = ntohs(e->rem_port);
	x->end_ms = STORE_MS_NONE;
}

static void queue_ipfix(struct evlog *ev, __u8 nat_event, uint64_t ms,
			const struct store_session *x)
{
	struct ipfix_event ie = {
		.time_ms = ms,
		.nat_event = nat_event,
		.sub_addr = x->int_addr,
		.ext_addr = x->ext_addr,
		.sub_port = x->int_port,
		.ext_port = x->ext_port,
		.proto = x->proto,
		.rem_addr = x->rem_addr,
		.rem_port = x->rem_port,
	};

	/* An event raised just before a reload switched the key off: the
	 * exporter no longer has the template, the log has the row. */
	if (ev->cfg->log.session_events)
		evlog_ipfix_queue(ev, &ie);
}

static int on_create(struct evlog *ev, struct store_session *x, uint64_t ms)
{
	int rc;

	x->start_ms = (int64_t)ms;
	rc = store_sess_open(ev->st, x);
	if (rc == -EEXIST) {
		/* Its last delete was lost: that session ended by now. */
		if (store_sess_close(ev->st, x, x->start_ms,
				     STORE_SESS_RECONCILE) < 0)
			return evlog_write_failed(ev, "session close");
		ev->s.sess_reconciled++;
		rc = store_sess_open(ev->st, x);
	}
	if (rc)
		return evlog_write_failed(ev, "session open");
	ev->s.sess_created++;
	queue_ipfix(ev, IPFIX_EV_SESSION_CREATE, ms, x);
	return 0;
}

static int on_delete(struct evlog *ev, struct store_session *x, uint64_t ms)
{
	int rc = store_sess_close(ev->st, x, (int64_t)ms, STORE_SESS_EXPIRED);

	if (rc < 0)
		return evlog_write_failed(ev, "session close");
	ev->s.sess_deleted++;
	if (rc == 1)
		ev->s.sess_unseen++;
	queue_ipfix(ev, IPFIX_EV_SESSION_DELETE, ms, x);
	return 0;
}

int evlog_sess(struct evlog *ev, const struct cgnat_event *e, uint64_t ms)
{
	const struct cgnat_sess_event *se = (const void *)e;
	struct store_session x;

	to_row(ev, se, &x);
	return se->type == EVT_SESS_CREATE ? on_create(ev, &x, ms)
					   : on_delete(ev, &x, ms);
}

struct sess_rows {
	struct store_session *v;
	size_t n, cap;
};

static int collect(const struct store_session *x, void *ctx)
{
	struct sess_rows *r = ctx;
	struct store_session *v;

	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 256;
		v = realloc(r->v, r->cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		r->v = v;
	}
	r->v[r->n++] = *x;
	return 0;
}

/* 1 while the pinned session table still has row x's session. */
static int still_live(int fd, const struct store_session *x)
{
	struct cgnat_sess_key k = {
		.int_addr = htonl(x->int_addr),
		.rem_addr = htonl(x->rem_addr),
		.int_port = htons(x->int_port),
		.rem_port = htons(x->rem_port),
		.proto = x->proto,
		.kind = CGNAT_SK_FLOW,
	};
	struct cgnat_sess s;

	if (bpf_map_lookup_elem(fd, &k, &s))
		return 0;
	return s.ext_addr == htonl(x->ext_addr) &&
	       s.ext_port == htons(x->ext_port);
}

int evlog_sess_reconcile(struct evlog *ev, int64_t fresh_ms, int64_t now_ms)
{
	struct cgnat_bpf *sk = ev->run ? ev->run->dp.skel : NULL;
	struct sess_rows rows = {0};
	int rc, fd;
	size_t i;

	if (fresh_ms)
		rc = store_sess_close_all(ev->st, fresh_ms,
					  STORE_SESS_SHUTDOWN);
	else if (!ev->cfg->log.session_events)
		rc = store_sess_close_all(ev->st, now_ms, STORE_SESS_LOG_OFF);
	else
		rc = 0;
	if (rc < 0)
		return evlog_write_failed(ev, "close open sessions");
	if (fresh_ms || !ev->cfg->log.session_events || !sk)
		return rc;
	rc = store_sess_open_rows(ev->st, collect, &rows);
	fd = bpf_map__fd(sk->maps.cgnat_sessions);
	for (i = 0; rc >= 0 && i < rows.n; i++) {
		if (still_live(fd, &rows.v[i]))
			continue;
		if (store_sess_close(ev->st, &rows.v[i], now_ms,
				     STORE_SESS_RECONCILE) < 0)
			rc = -EIO;
		else
			ev->s.sess_reconciled++;
	}
	free(rows.v);
	if (rc < 0)
		return evlog_write_failed(ev, "reconcile sessions");
	return 0;
}
