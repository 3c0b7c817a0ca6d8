// SPDX-License-Identifier: GPL-2.0
/*
 * ha.c - see ha.h. Runs inside cgnatd's poll loop: nothing here blocks
 * for long (a HELLO read on accept waits at most 1 s; writes are
 * nonblocking and paced by the queue's room).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpf/clock.h"
#include "daemon/cgnatd.h"
#include "daemon/log.h"
#include "logger/timefmt.h"

#define HA_MARK_MS 100 /* a MARK this often: lag and heartbeat */
#define HA_SILENT_MS 2000 /* standby: no byte for this long, reconnect */
#define HA_STALL_MS 5000 /* active: unacked and no ack for this long */
#define HA_DRAIN_MS 10000 /* handover gives up after this */
#define HA_STEPS 16 /* refresh steps per loop round at most */


static const char *role_name(enum ha_role r)
{
	return r == HA_ACTIVE ? "active" : "standby";
}

static void role_path(const struct cgnatd *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s/ha.role", d->a.run_dir);
}

/* The role outlives a restart of cgnatd (keepalived does not repeat
 * itself), not a reboot (/run is empty, keepalived starts over too).
 */
static void role_save(const struct cgnatd *d)
{
	char path[512], tmp[520];
	FILE *f;

	role_path(d, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "%s\n", role_name(d->ha->role));
	if (fclose(f) || rename(tmp, path))
		unlink(tmp);
}

static enum ha_role role_load(const struct cgnatd *d)
{
	char path[512], word[16] = "";
	FILE *f;

	role_path(d, path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return HA_STANDBY;
	if (!fgets(word, sizeof(word), f))
		word[0] = 0;
	fclose(f);
	return strncmp(word, "active", 6) ? HA_STANDBY : HA_ACTIVE;
}

static void ha_event_row(struct cgnatd *d, int type, int64_t value,
			 int has_value, const char *detail)
{
	struct store_event se = {.time_ms = runtime_now_ms(),
				 .instance = d->cfg.instance,
				 .type = type,
				 .value = value,
				 .has_value = has_value,
				 .detail = detail};

	evlog_flush(&d->ev);
	if (store_event(d->st, &se))
		log_warnx("ha: log row: %s", store_errmsg(d->st));
}

/* ---- active ---------------------------------------------------------- */

static void drop_conn(struct ha *h, const char *why, int rc)
{
	if (h->c.fd < 0)
		return;
	log_warnx("ha: %s connection to %s ends: %s%s%s", role_name(h->role),
		  h->role == HA_ACTIVE ? "the standby" : h->peer, why,
		  rc ? ": " : "", rc ? strerror(-rc) : "");
	hl_close(&h->c, h->role == HA_STANDBY ? &h->rx : NULL);
	h->cycling = 0;
	h->next_conn_ms = runtime_now_ms() + 200;
}

static int ha_emit(struct hs_rec *r, void *ctx)
{
	struct ha *h = ctx;
	int rc = hs_tx_push(&h->tx, r);

	if (rc)
		return rc;
	h->s.sent++;
	return 0;
}

static int tx_start(struct cgnatd *d)
{
	struct ha *h = d->ha;
	const struct cgnat_cfg *g = &d->dc.o.cfg;
	size_t cap = ((size_t)g->n_addrs * g->blocks_per_addr + 65536) *
		     HS_FRAME_MAX * 2;

	if (cap < (16u << 20))
		cap = 16u << 20;
	hs_tx_free(&h->tx);
	return hs_tx_init(&h->tx, cap, h->node,
			  cgnat_clock_ns(CLOCK_REALTIME) ^
				  (__u64)getpid() << 32);
}

static void ha_listen(struct cgnatd *d)
{
	struct ha *h = d->ha;
	int64_t now = runtime_now_ms();

	if (h->lfd >= 0 || now < h->next_conn_ms)
		return;
	h->lfd = hl_listen(h->addr, h->port);
	if (h->lfd >= 0)
		return;
	log_warnx("ha: listen on %s:%d: %s; the sync address must be on "
		  "this box (ha.address); retrying",
		  h->addr, h->port, strerror(-h->lfd));
	h->lfd = -1;
	h->next_conn_ms = now + 1000;
}

static void ha_accept(struct cgnatd *d)
{
	struct ha *h = d->ha;
	struct pollfd pf = {.fd = h->lfd, .events = POLLIN};
	struct hl_conn nc;
	enum hs_mode m;
	int rc;

	if (h->lfd < 0 || poll(&pf, 1, 0) <= 0)
		return;
	if (h->c.fd >= 0) /* the standby came back: the old one is dead */
		drop_conn(h, "the standby connected again", 0);
	rc = hl_accept(h->lfd, &nc, &h->tx, 0, 1000, &m);
	if (rc) {
		log_warnx("ha: accept: %s", strerror(-rc));
		return;
	}
	h->c = nc;
	h->s.connects++;
	h->peer_ms = runtime_now_ms();
	log_info("ha: standby connected: %s", m == HS_BULK ? "bulk sync"
							   : "resumed");
	if (m == HS_BULK || !h->cycling) {
		h->cycling = 1;
		h->bulk = m == HS_BULK;
		h->bulk_n = 0;
		h->cur = (struct hst_cursor){0};
		if (h->bulk)
			h->s.bulks++;
	}
}

static void ha_cycle(struct cgnatd *d)
{
	struct ha *h = d->ha;
	__u64 n;
	int i, rc;

	if (!h->cycling && runtime_now_ms() >= h->next_cycle_ms) {
		h->cycling = 1;
		h->cur = (struct hst_cursor){0};
	}
	for (i = 0; h->cycling && i < HA_STEPS; i++) {
		/* Blocks come in one step, all of them: room for them. */
		if (hs_tx_room(&h->tx) <
		    (h->cur.phase ? HST_BATCH
				  : d->dc.o.n_addrs *
					    d->dc.o.cfg.blocks_per_addr) +
			    HST_BATCH)
			return;
		rc = hst_refresh_step(&d->run.dp, &h->cur,
				      cgnat_clock_ns(CLOCK_MONOTONIC),
				      cgnat_clock_ns(CLOCK_BOOTTIME), ha_emit,
				      h, &n);
		h->bulk_n += n;
		if (rc < 0) {
			drop_conn(h, "sync read", rc);
			return;
		}
		if (rc == 1) {
			h->cycling = 0;
			h->next_cycle_ms =
				runtime_now_ms() + (int64_t)d->cfg.ha.refresh_ms;
			if (h->bulk) {
				struct hs_rec end = {.type = HS_BULK_END,
						     .count = h->bulk_n};

				h->bulk = 0;
				if (ha_emit(&end, h))
					drop_conn(h, "queue full", -ENOBUFS);
				else
					log_info("ha: bulk sync sent: %llu "
						 "entries",
						 (unsigned long long)h->bulk_n);
			}
		}
	}
}

static void ha_mark(struct cgnatd *d)
{
	struct ha *h = d->ha;
	struct hs_rec m = {.type = HS_MARK};
	int64_t now = runtime_now_ms();

	if (now < h->next_mark_ms)
		return;
	h->next_mark_ms = now + HA_MARK_MS;
	/* Every event raised before the last poll round that read every
	 * ring to its end began is in the queue by now (d->poll_ms; 0 while
	 * no round has yet: the MARK then proves nothing, 0, and still
	 * beats).
	 */
	m.mark_ms = d->poll_ms > 0 ? (__u64)(d->poll_ms - 1) : 0;
	if (ha_emit(&m, h))
		drop_conn(h, "queue full", -ENOBUFS);
	else
		h->mark_ms = (int64_t)m.mark_ms;
}

static void handover_reply(struct ha *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void handover_reply(struct ha *h, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (h->handover_fd >= 0)
		ctlsock_reply(h->handover_fd, msg);
	h->handover_fd = -1;
}

static void ha_drain(struct cgnatd *d)
{
	struct ha *h = d->ha;
	int64_t now = runtime_now_ms();

	if (!h->drain_ms || h->handed_over)
		return;
	if (h->c.fd >= 0 && hs_tx_lag(&h->tx) == 0 &&
	    h->mark_ms >= h->drain_ms) {
		h->handed_over = 1;
		h->s.handover_ms = now - h->drain_ms;
		log_info("ha: handover: sync queue drained and acknowledged "
			 "in %lld ms; no longer eligible",
			 (long long)h->s.handover_ms);
		handover_reply(h, "ok: drained in %lld ms; keepalived moves "
				  "the addresses now",
			       (long long)h->s.handover_ms);
		return;
	}
	if (now - h->drain_ms < HA_DRAIN_MS)
		return;
	log_warnx("ha: handover abandoned: the standby did not acknowledge "
		  "within %d s; staying active",
		  HA_DRAIN_MS / 1000);
	handover_reply(h, "error: the standby did not acknowledge within %d "
			  "s (%llu records behind); still active",
		       HA_DRAIN_MS / 1000,
		       (unsigned long long)hs_tx_lag(&h->tx));
	h->drain_ms = 0;
	dprun_set_standby(&d->run, 0);
}

static void tick_active(struct cgnatd *d)
{
	struct ha *h = d->ha;
	__u64 acked = h->tx.acked;
	int rc;

	ha_listen(d);
	ha_accept(d);
	if (h->c.fd < 0) {
		ha_drain(d);
		return;
	}
	ha_cycle(d);
	if (h->c.fd >= 0)
		ha_mark(d);
	if (h->c.fd >= 0 && (rc = hl_active_pump(&h->c, &h->tx)) < 0)
		drop_conn(h, "write", rc);
	if (h->tx.lost)
		drop_conn(h, "the queue overflowed (a bulk sync follows)", 0);
	if (h->c.fd >= 0) {
		int64_t now = runtime_now_ms();

		if (h->tx.acked != acked || !hs_tx_lag(&h->tx))
			h->peer_ms = now;
		else if (now - h->peer_ms > HA_STALL_MS)
			drop_conn(h, "no acknowledgement for 5 s", 0);
	}
	ha_drain(d);
}

/* Every block event and new or ended flow, as it happens. */
void cgnatd_ha_event(struct cgnatd *d, const struct cgnat_event *e)
{
	struct ha *h = d->ha;
	const struct cgnat_sess_event *se = (const void *)e;
	struct cgnat_sess_key k = {0};
	struct hs_rec r;
	int rc = 0;

	if (!h || h->role != HA_ACTIVE)
		return;
	switch (e->type) {
	case EVT_BLOCK_ASSIGNED:
	case EVT_BLOCK_RELEASED:
		if (e->block >= d->dc.o.n_addrs * d->dc.o.cfg.blocks_per_addr)
			return;
		hst_block(&d->run.dp, e->block,
			  cgnat_clock_ns(CLOCK_BOOTTIME), &r);
		rc = ha_emit(&r, h);
		break;
	case EVT_SESS_CREATE:
	case EVT_SESS_DELETE:
		k.int_addr = se->int_addr;
		k.rem_addr = se->rem_addr;
		k.int_port = se->int_port;
		k.rem_port = se->rem_port;
		k.proto = se->proto;
		k.kind = CGNAT_SK_FLOW;
		if (e->type == EVT_SESS_CREATE) {
			rc = hst_flow(&d->run.dp, &k,
				      cgnat_clock_ns(CLOCK_MONOTONIC),
				      ha_emit, h);
		} else {
			memset(&r, 0, sizeof(r));
			r.type = HS_SESS_DEL;
			r.sess.key = k;
			rc = ha_emit(&r, h);
		}
		break;
	default:
		return;
	}
	if (rc && h->c.fd >= 0)
		drop_conn(h, "queue full (a bulk sync follows)", rc);
}

/* ---- standby ------------------------------------------------------- */

static int ha_apply(const struct hs_rec *r, void *ctx)
{
	struct cgnatd *d = ctx;
	struct ha *h = d->ha;
	int rc = hst_apply(&d->run.dp, r, cgnat_clock_ns(CLOCK_MONOTONIC),
			   cgnat_clock_ns(CLOCK_BOOTTIME));

	if (r->type == HS_BLOCK || r->type == HS_BULK_START)
		h->blocks_dirty = 1;
	if (r->type == HS_BULK_START)
		log_info("ha: bulk sync from the active begins (%llu entries "
			 "expected)",
			 (unsigned long long)r->count);
	if (r->type == HS_BULK_END)
		log_info("ha: bulk sync complete: %llu entries; eligible",
			 (unsigned long long)r->count);
	if (rc) {
		/* Not fatal for the stream: a refresh repairs an entry whose
		 * order was off; a mismatched configuration shows here. */
		if (!h->s.apply_errors++)
			log_warnx("ha: a sync record (type %u) could not be "
				  "applied: %s (both boxes must have the same "
				  "configuration)",
				  r->type, strerror(-rc));
		return 0;
	}
	h->s.applied++;
	return 0;
}

static void tick_standby(struct cgnatd *d)
{
	struct ha *h = d->ha;
	int64_t now = runtime_now_ms();
	struct reconcile_stats rs;
	struct pollfd pf;
	__u64 got;
	int rc;

	if (h->c.fd < 0 && now >= h->next_conn_ms) {
		rc = hl_connect(&h->c, h->peer, h->port, &h->rx, h->node, 0);
		if (rc && rc != -EINPROGRESS)
			h->next_conn_ms = now + 500;
		else
			h->peer_ms = now; /* the attempt's start */
	}
	if (h->c.fd >= 0 && h->c.connecting) {
		pf = (struct pollfd){.fd = h->c.fd, .events = POLLOUT};
		if (poll(&pf, 1, 0) > 0) {
			rc = hl_connect_finish(&h->c, &h->rx, h->node);
			if (rc) {
				h->next_conn_ms = now + 500;
			} else {
				h->s.connects++;
				h->peer_ms = now;
				log_info("ha: connected to the active %s:%d",
					 h->peer, h->port);
			}
		} else if (now - h->peer_ms > 1000) {
			hl_close(&h->c, &h->rx);
			h->next_conn_ms = now + 500;
		}
	}
	if (h->c.fd >= 0 && !h->c.connecting) {
		got = h->rx.last_seq;
		rc = hl_standby_pump(&h->c, &h->rx, ha_apply, d);
		if (rc < 0)
			drop_conn(h, rc == -EPIPE ? "closed" : "bad stream",
				  rc == -EPIPE ? 0 : rc);
		else if (h->rx.last_seq != got)
			h->peer_ms = now;
		else if (now - h->peer_ms > HA_SILENT_MS)
			drop_conn(h, "silent for 2 s", 0);
	}
	if (h->c.fd >= 0 && !h->c.connecting)
		h->alone_since_ms = 0;
	else if (!h->alone_since_ms)
		h->alone_since_ms = now;
	if (h->blocks_dirty && !h->rx.in_bulk && now >= h->next_rc_ms) {
		h->blocks_dirty = 0;
		h->next_rc_ms = now + 1000;
		reconcile(&d->ev, 0, "ha sync", RC_QUIET, &rs);
	}
}

/* ---- roles ----------------------------------------------------------- */

static void become_standby(struct cgnatd *d, const char *why)
{
	struct ha *h = d->ha;

	drop_conn(h, "now standby", 0);
	if (h->lfd >= 0)
		close(h->lfd);
	h->lfd = -1;
	h->cycling = h->bulk = 0;
	h->drain_ms = 0;
	h->handed_over = 0;
	if (h->handover_fd >= 0)
		handover_reply(h, "ok: standby now");
	dprun_set_standby(&d->run, 1);
	d->ev.no_ipfix = 1;
	if (h->role == HA_ACTIVE)
		d->ev.gone_ms = runtime_now_ms();
	h->role = HA_STANDBY;
	hs_rx_init(&h->rx);
	h->role_ms = runtime_now_ms();
	h->alone_since_ms = h->role_ms;
	h->next_conn_ms = 0;
	log_info("ha: standby (%s): syncing from %s:%d", why, h->peer,
		 h->port);
}

static void takeover(struct cgnatd *d, const char *why, char *msg,
		     size_t len)
{
	struct ha *h = d->ha;
	struct reconcile_stats rs;
	char detail[256], at[32];
	__u64 maps = 0, sess = 0;
	int rc;

	/* What already arrived is the newest state there is. */
	if (h->c.fd >= 0 && !h->c.connecting)
		hl_standby_pump(&h->c, &h->rx, ha_apply, d);
	hl_close(&h->c, &h->rx);
	rc = hst_purge(&d->run.dp, &maps, &sess);
	if (rc)
		log_warnx("ha: takeover: purge: %s", strerror(-rc));
	h->s.purged_maps = maps;
	h->s.purged_sessions = sess;
	dprun_set_standby(&d->run, 0);
	d->ev.no_ipfix = 0;
	d->ev.gone_ms = 0;
	h->role = HA_ACTIVE;
	h->role_ms = runtime_now_ms();
	h->s.takeovers++;
	if (tx_start(d))
		log_warnx("ha: sync queue: %s", strerror(ENOMEM));
	/* The log agrees with the synced table; every held block goes to
	 * IPFIX again as an interim record from the new exporter.
	 */
	reconcile(&d->ev, 0, "ha takeover", RC_ANNOUNCE, &rs);
	cgnatd_det_announce(d);
	if (h->rx.mark_ms)
		timefmt_format((int64_t)h->rx.mark_ms, at, sizeof(at));
	else
		snprintf(at, sizeof(at), "nothing (never synced)");
	snprintf(detail, sizeof(detail),
		 "takeover (%s): synced up to %s; %u blocks held; %llu "
		 "mappings and %llu sessions purged",
		 why, at, rs.held, (unsigned long long)maps,
		 (unsigned long long)sess);
	ha_event_row(d, STORE_EVT_HA_TAKEOVER, (int64_t)h->rx.mark_ms, 1,
		     detail);
	log_info("ha: active: %s", detail);
	hs_rx_init(&h->rx); /* a later standby role syncs from scratch */
	snprintf(msg, len, "ok: active: synced up to %s, %u blocks held", at,
		 rs.held);
	h->next_cycle_ms = 0;
}

void cgnatd_ha_init(struct cgnatd *d)
{
	struct ha *h;

	if (!d->cfg.ha.address)
		return;
	h = calloc(1, sizeof(*h));
	if (!h)
		fatalx("ha: out of memory");
	d->ha = h;
	h->lfd = -1;
	h->c.fd = -1;
	h->handover_fd = -1;
	h->node = cgnat_clock_ns(CLOCK_REALTIME) ^ (__u64)getpid();
	inet_ntop(AF_INET, &(__be32){htonl(d->cfg.ha.address)}, h->addr,
		  sizeof(h->addr));
	inet_ntop(AF_INET, &(__be32){htonl(d->cfg.ha.peer)}, h->peer,
		  sizeof(h->peer));
	h->port = d->cfg.ha.port;
	hs_rx_init(&h->rx);
	h->role = role_load(d);
	/* Before the start's reconciliation: a standby exports nothing. */
	d->ev.no_ipfix = h->role == HA_STANDBY;
}

void cgnatd_ha_start(struct cgnatd *d)
{
	struct ha *h = d->ha;

	if (!h)
		return;
	h->role_ms = runtime_now_ms();
	if (h->role == HA_ACTIVE) {
		if (tx_start(d))
			fatalx("ha: sync queue: out of memory");
	} else {
		dprun_set_standby(&d->run, 1);
		h->alone_since_ms = h->role_ms;
	}
	role_save(d);
	log_info("ha: %s (%s); sync %s:%d, peer %s", role_name(h->role),
		 h->role == HA_ACTIVE ? "as before the restart"
				      : "until told otherwise",
		 h->addr, h->port, h->peer);
}

int cgnatd_ha_set_role(struct cgnatd *d, enum ha_role role, const char *why,
		       char *msg, size_t len)
{
	struct ha *h = d->ha;
	char detail[128];

	if (!h) {
		snprintf(msg, len, "error: no ha section in %s", d->a.config);
		return -ENOENT;
	}
	if (h->role == role && !(role == HA_ACTIVE && h->drain_ms)) {
		snprintf(msg, len, "ok: already %s", role_name(role));
		return 0;
	}
	if (role == HA_ACTIVE && h->role == HA_ACTIVE) {
		/* Re-elected while draining: the handover is off. */
		h->drain_ms = 0;
		h->handed_over = 0;
		handover_reply(h, "error: elected again; still active");
		dprun_set_standby(&d->run, 0);
		snprintf(msg, len, "ok: active (handover cancelled)");
	} else if (role == HA_ACTIVE) {
		takeover(d, why, msg, len);
	} else {
		become_standby(d, why);
		snprintf(msg, len, "ok: standby");
	}
	role_save(d);
	snprintf(detail, sizeof(detail), "%s (%s)", role_name(role), why);
	ha_event_row(d, STORE_EVT_HA_ROLE, role, 1, detail);
	return 0;
}

int cgnatd_ha_ready(struct cgnatd *d, char *msg, size_t len)
{
	struct ha *h = d->ha;
	int64_t now = runtime_now_ms();

	if (!h) {
		snprintf(msg, len, "ready: no ha section");
		return 1;
	}
	if (h->role == HA_ACTIVE) {
		if (h->handed_over) {
			snprintf(msg, len, "not ready: handed over");
			return 0;
		}
		snprintf(msg, len, "ready: active");
		return 1;
	}
	if (h->rx.ready) {
		snprintf(msg, len, "ready: standby with a complete sync");
		return 1;
	}
	if (h->alone_since_ms &&
	    now - h->alone_since_ms >= (int64_t)d->cfg.ha.alone_ms) {
		snprintf(msg, len,
			 "ready: standby, no active reachable for %lld s",
			 (long long)(now - h->alone_since_ms) / 1000);
		return 1;
	}
	if (h->rx.in_bulk)
		snprintf(msg, len, "not ready: bulk sync %llu of %llu",
			 (unsigned long long)h->rx.bulk_done,
			 (unsigned long long)h->rx.bulk_total);
	else
		snprintf(msg, len, "not ready: no complete sync yet");
	return 0;
}

int cgnatd_ha_handover(struct cgnatd *d, int fd, char *msg, size_t len)
{
	struct ha *h = d->ha;
	struct hs_rec m = {.type = HS_MARK};

	if (!h || h->role != HA_ACTIVE) {
		snprintf(msg, len, "error: %s", !h ? "no ha section"
						   : "this box is the standby");
		return -EINVAL;
	}
	if (h->c.fd < 0) {
		snprintf(msg, len, "error: no standby is connected: a "
				   "handover now would lose the state");
		return -ENOTCONN;
	}
	if (h->drain_ms) {
		snprintf(msg, len, "error: a handover is under way");
		return -EBUSY;
	}
	/* No new block from here on: the standby must not meet a grant it
	 * never heard of. Flows in held blocks go on and are synced.
	 */
	dprun_set_standby(&d->run, 1);
	h->drain_ms = runtime_now_ms();
	h->handover_fd = fd;
	m.mark_ms = h->drain_ms;
	ha_emit(&m, h);
	h->mark_ms = h->drain_ms;
	log_info("ha: handover: draining the sync queue (%llu records)",
		 (unsigned long long)hs_tx_lag(&h->tx));
	return 1;
}

void cgnatd_ha_tick(struct cgnatd *d)
{
	if (!d->ha)
		return;
	if (d->ha->role == HA_ACTIVE)
		tick_active(d);
	else
		tick_standby(d);
}

int cgnatd_ha_fds(struct cgnatd *d, struct pollfd *p)
{
	struct ha *h = d->ha;
	int n = 0;

	if (!h)
		return 0;
	if (h->lfd >= 0)
		p[n++] = (struct pollfd){.fd = h->lfd, .events = POLLIN};
	if (h->c.fd >= 0)
		p[n++] = (struct pollfd){
			.fd = h->c.fd,
			.events = h->c.connecting ? POLLOUT : POLLIN};
	return n;
}

void cgnatd_ha_status(struct cgnatd *d, FILE *f)
{
	struct ha *h = d->ha;
	int64_t now = runtime_now_ms();
	char why[128];
	int ready;

	if (!h) {
		fprintf(f, "ha_enabled 0\n");
		return;
	}
	ready = cgnatd_ha_ready(d, why, sizeof(why));
	fprintf(f, "ha_enabled 1\nha_role %s\nha_role_since_ms %lld\n",
		role_name(h->role), (long long)h->role_ms);
	fprintf(f, "ha_peer %s:%d\nha_connected %d\nha_ready %d\n"
		   "ha_ready_why %s\n",
		h->role == HA_ACTIVE ? "standby" : h->peer, h->port,
		h->c.fd >= 0 && !h->c.connecting, ready, why);
	if (h->role == HA_ACTIVE) {
		fprintf(f, "ha_lag_records %llu\nha_lag_ms %lld\n",
			(unsigned long long)hs_tx_lag(&h->tx),
			(long long)(hs_tx_lag(&h->tx) ? now - h->peer_ms : 0));
		fprintf(f, "ha_bulk_sending %d\nha_bulk_sent %llu\n", h->bulk,
			(unsigned long long)(h->bulk ? h->bulk_n : 0));
	} else {
		fprintf(f, "ha_synced_to_ms %llu\nha_lag_ms %lld\n",
			(unsigned long long)h->rx.mark_ms,
			(long long)(h->rx.mark_ms ? now - (int64_t)h->rx.mark_ms
						  : -1));
		fprintf(f, "ha_bulk_receiving %d\nha_bulk_done %llu\n"
			   "ha_bulk_total %llu\n",
			h->rx.in_bulk, (unsigned long long)h->rx.bulk_done,
			(unsigned long long)h->rx.bulk_total);
	}
	fprintf(f,
		"ha_records_sent %llu\nha_records_applied %llu\n"
		"ha_apply_errors %llu\nha_connects %llu\nha_bulks_sent %llu\n"
		"ha_takeovers %llu\nha_purged_mappings %llu\n"
		"ha_purged_sessions %llu\nha_handover_ms %llu\n",
		(unsigned long long)h->s.sent, (unsigned long long)h->s.applied,
		(unsigned long long)h->s.apply_errors,
		(unsigned long long)h->s.connects,
		(unsigned long long)h->s.bulks,
		(unsigned long long)h->s.takeovers,
		(unsigned long long)h->s.purged_maps,
		(unsigned long long)h->s.purged_sessions,
		(unsigned long long)h->s.handover_ms);
}

void cgnatd_ha_stop(struct cgnatd *d)
{
	struct ha *h = d->ha;

	if (!h)
		return;
	handover_reply(h, "error: cgnatd stops");
	hl_close(&h->c, NULL);
	if (h->lfd >= 0)
		close(h->lfd);
	hs_tx_free(&h->tx);
	free(h);
	d->ha = NULL;
}
