// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter thread: the only code that touches libfixbuf and the
 * collector sockets. One loop: take a batch of events, encode them, emit a
 * partly filled message once it is flush_ms old (or a flush or stop asks),
 * hand templates to collectors that came up and, over UDP, to everyone
 * every template_refresh, write what the sockets take, answer flush
 * requests, then sleep in poll() until an event, a socket or a timer.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <syslog.h>
#include <sys/eventfd.h>

#include "exporter/ipfix_exporter.h"

static void take(struct ipfix_exporter *exp, struct ipfix_take *t)
{
	pthread_mutex_lock(&exp->lock);
	t->n = ipfix_ring_pop(&exp->ring, exp->batch, IPFIX_BATCH);
	t->ring_empty = ipfix_ring_count(&exp->ring) == 0;
	t->stop = exp->stop;
	t->flush_req = exp->flush_req;
	t->export_time = exp->export_time;
	pthread_mutex_unlock(&exp->lock);
}

static void encode_batch(struct ipfix_exporter *exp,
			 const struct ipfix_take *t, uint64_t now)
{
	unsigned int i, before = ipfix_enc_pending(exp->enc);

	if (t->export_time != exp->export_time_seen) {
		ipfix_enc_set_export_time(exp->enc, t->export_time);
		exp->export_time_seen = t->export_time;
	}
	/* Events were checked by ipfix_submit(); errors are logged there. */
	for (i = 0; i < t->n; i++)
		ipfix_encode_event(exp->enc, &exp->batch[i]);
	IPFIX_STAT_ADD(exp->encoded, t->n);
	if (!ipfix_enc_pending(exp->enc))
		exp->pending_since = 0;
	else if (!before || !exp->pending_since)
		exp->pending_since = now;
}

static int flush_wanted(const struct ipfix_exporter *exp,
			const struct ipfix_take *t)
{
	return t->flush_req != exp->flush_seen || t->stop;
}

static void maybe_flush(struct ipfix_exporter *exp,
			const struct ipfix_take *t, uint64_t now)
{
	if (!ipfix_enc_pending(exp->enc))
		return;
	if (now - exp->pending_since < exp->cfg.flush_ms &&
	    !(t->ring_empty && flush_wanted(exp, t)))
		return;
	ipfix_encode_flush(exp->enc);
	exp->pending_since = 0;
}

static int udp_up(const struct ipfix_conn *c)
{
	return c->cfg.transport == IPFIX_UDP && c->state == IPFIX_CONN_UP;
}

/*
 * Give a template message to every collector that came up, and every
 * template_refresh to each UDP collector as well: UDP collectors that
 * restarted learn the templates again within one period (RFC 7011 10.3.6).
 */
static void templates(struct ipfix_exporter *exp, uint64_t now)
{
	int want = 0, refresh = 0;
	struct ipfix_msg *m;
	unsigned int i;

	for (i = 0; i < exp->nconn; i++) {
		want |= exp->conn[i].want_tmpl;
		refresh |= udp_up(&exp->conn[i]);
	}
	refresh = refresh && now >= exp->next_refresh;
	if (now >= exp->next_refresh)
		exp->next_refresh = now + exp->cfg.template_refresh_ms;
	if (!want && !refresh)
		return;
	if (ipfix_encode_templates(exp->enc) || !exp->tmpl_msg)
		return;
	exp->pending_since = 0;
	m = exp->tmpl_msg;
	exp->tmpl_msg = NULL;
	for (i = 0; i < exp->nconn; i++) {
		if (exp->conn[i].want_tmpl)
			ipfix_conn_set_tmpl(&exp->conn[i], m);
		else if (refresh && udp_up(&exp->conn[i]))
			ipfix_conn_enqueue(&exp->conn[i], m);
	}
	ipfix_msg_put(m);
}

static void service(struct ipfix_exporter *exp, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < exp->nconn; i++)
		ipfix_conn_service(&exp->conn[i], now);
}

static int all_idle(const struct ipfix_exporter *exp)
{
	unsigned int i;

	for (i = 0; i < exp->nconn; i++)
		if (!ipfix_conn_idle(&exp->conn[i]))
			return 0;
	return 1;
}

/* Answer ipfix_flush() once everything it covers has left. */
static void flush_done(struct ipfix_exporter *exp, const struct ipfix_take *t)
{
	if (t->flush_req == exp->flush_seen || !t->ring_empty ||
	    ipfix_enc_pending(exp->enc) || !all_idle(exp))
		return;
	exp->flush_seen = t->flush_req;
	pthread_mutex_lock(&exp->lock);
	exp->flush_done = t->flush_req;
	pthread_cond_broadcast(&exp->flushed);
	pthread_mutex_unlock(&exp->lock);
}

/* Whether a stop was asked for and everything has drained or lingered. */
static int finished(struct ipfix_exporter *exp, const struct ipfix_take *t,
		    uint64_t now)
{
	if (!t->stop)
		return 0;
	if (!exp->stop_seen) {
		exp->stop_seen = 1;
		exp->linger_until = now + exp->cfg.linger_ms;
	}
	if (!t->ring_empty || ipfix_enc_pending(exp->enc))
		return 0;
	return all_idle(exp) || now >= exp->linger_until;
}

static uint64_t next_timer(const struct ipfix_exporter *exp)
{
	uint64_t until = UINT64_MAX, d;
	unsigned int i;

	for (i = 0; i < exp->nconn; i++) {
		d = ipfix_conn_deadline(&exp->conn[i]);
		until = d < until ? d : until;
		if (exp->conn[i].cfg.transport == IPFIX_UDP &&
		    exp->next_refresh < until)
			until = exp->next_refresh;
	}
	if (ipfix_enc_pending(exp->enc) &&
	    exp->pending_since + exp->cfg.flush_ms < until)
		until = exp->pending_since + exp->cfg.flush_ms;
	if (exp->stop_seen && exp->linger_until < until)
		until = exp->linger_until;
	return until;
}

/* Sleep unless new work arrived since take(); returns with idle cleared. */
static int go_idle(struct ipfix_exporter *exp, const struct ipfix_take *t)
{
	int sleep;

	pthread_mutex_lock(&exp->lock);
	sleep = !ipfix_ring_count(&exp->ring) &&
		exp->flush_req == t->flush_req && exp->stop == t->stop;
	exp->idle = sleep;
	pthread_mutex_unlock(&exp->lock);
	return sleep;
}

static void wait_events(struct ipfix_exporter *exp,
			const struct ipfix_take *t, uint64_t now)
{
	struct pollfd pfd[1 + IPFIX_MAX_COLLECTORS];
	int idx[IPFIX_MAX_COLLECTORS], n = 1, timeout = -1;
	uint64_t until = next_timer(exp);
	unsigned int i;
	eventfd_t v;

	pfd[0] = (struct pollfd){ .fd = exp->efd, .events = POLLIN };
	for (i = 0; i < exp->nconn; i++) {
		idx[i] = -1;
		pfd[n].events = ipfix_conn_poll_events(&exp->conn[i]);
		if (!pfd[n].events)
			continue;
		pfd[n].fd = exp->conn[i].fd;
		pfd[n].revents = 0;
		idx[i] = n++;
	}
	if (until != UINT64_MAX)
		timeout = until <= now ? 0 :
			  until - now > INT_MAX ? INT_MAX : (int)(until - now);
	if (timeout && !go_idle(exp, t))
		return;
	if (poll(pfd, n, timeout) < 0 && errno != EINTR)
		ipfix_log(LOG_ERR, "ipfix: poll: %s", strerror(errno));
	pthread_mutex_lock(&exp->lock);
	exp->idle = 0;
	pthread_mutex_unlock(&exp->lock);
	if (pfd[0].revents)
		eventfd_read(exp->efd, &v);
	now = ipfix_now_ms();
	for (i = 0; i < exp->nconn; i++)
		if (idx[i] >= 0)
			ipfix_conn_on_poll(&exp->conn[i], pfd[idx[i]].revents,
					   now);
}

void *ipfix_thread_main(void *arg)
{
	struct ipfix_exporter *exp = arg;
	struct ipfix_take t;
	uint64_t now = ipfix_now_ms();

	/* Connect first, so templates lead every stream at sequence 0. */
	exp->next_refresh = now + exp->cfg.template_refresh_ms;
	service(exp, now);
	templates(exp, now);
	for (;;) {
		take(exp, &t);
		now = ipfix_now_ms();
		encode_batch(exp, &t, now);
		maybe_flush(exp, &t, now);
		templates(exp, now);
		service(exp, now);
		flush_done(exp, &t);
		if (finished(exp, &t, now))
			break;
		if (t.n < IPFIX_BATCH)
			wait_events(exp, &t, now);
	}
	return NULL;
}
