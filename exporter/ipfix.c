// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter object and its thread. ipfix_submit() validates an event,
 * applies the rate limiter and copies the event into the ring under one
 * mutex; it wakes the thread through an eventfd only when the thread is
 * asleep. The thread takes events in batches, encodes each once, fans
 * every finished message out to the collectors' queues, resends templates
 * over UDP every template_refresh, gives templates to each collector that
 * (re)connects, and sleeps in poll() on the eventfd and the sockets.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "exporter/ipfix.h"
#include "exporter/ipfix_exporter.h"

/* --- logging and time --------------------------------------------------- */

static void (*log_fn)(int level, const char *msg);

void ipfix_set_logger(void (*fn)(int level, const char *msg))
{
	log_fn = fn;
}

void ipfix_log(int level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (log_fn)
		log_fn(level, buf);
	else
		fprintf(stderr, "%s\n", buf);
}

uint64_t ipfix_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- configuration -------------------------------------------------------- */

void ipfix_config_init(struct ipfix_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->with_instance_id = 1;
	cfg->template_refresh_ms = 60000;
	cfg->flush_ms = 100;
	cfg->ratelimit_ms = 1000;
	cfg->ring_size = 65536;
	cfg->queue_msgs = 1024;
	cfg->reconnect_min_ms = 250;
	cfg->reconnect_max_ms = 30000;
	cfg->linger_ms = 2000;
}

static const char *const transport_names[] = {
	[IPFIX_UDP] = "udp",	   [IPFIX_TCP] = "tcp",
	[IPFIX_FILE] = "file",	   [IPFIX_SCTP] = "sctp",
	[IPFIX_TLS_TCP] = "tls",   [IPFIX_DTLS_UDP] = "dtls",
};

int ipfix_transport_parse(const char *name)
{
	int t;

	for (t = IPFIX_UDP; t <= IPFIX_DTLS_UDP; t++)
		if (!strcasecmp(name, transport_names[t]))
			return t;
	return -EINVAL;
}

const char *ipfix_transport_name(int transport)
{
	if (transport < IPFIX_UDP || transport > IPFIX_DTLS_UDP)
		return "?";
	return transport_names[transport];
}

static int config_check(const struct ipfix_config *cfg)
{
	const char *bad = NULL;

	if (cfg->ncollectors > IPFIX_MAX_COLLECTORS)
		bad = "ncollectors";
	else if (!cfg->template_refresh_ms)
		bad = "template_refresh_ms";
	else if (!cfg->ring_size)
		bad = "ring_size";
	else if (!cfg->queue_msgs)
		bad = "queue_msgs";
	if (bad)
		ipfix_log(LOG_ERR, "ipfix: invalid config: %s", bad);
	return bad ? -EINVAL : 0;
}

/* --- creation ------------------------------------------------------------- */

/* Encoder callback: one finished message, fanned out to every queue. */
static void on_emit(void *ctx, const uint8_t *data, size_t len,
		    unsigned int nrec)
{
	struct ipfix_exporter *exp = ctx;
	struct ipfix_msg *m = ipfix_msg_new(data, len, nrec);
	unsigned int i;

	if (!nrec) {	/* templates: the caller routes them */
		ipfix_msg_put(exp->tmpl_msg);
		exp->tmpl_msg = m;
		return;
	}
	IPFIX_STAT_ADD(exp->msgs, 1);
	for (i = 0; i < exp->nconn; i++) {
		if (m)
			ipfix_conn_enqueue(&exp->conn[i], m);
		else
			IPFIX_STAT_ADD(exp->conn[i].st.records_dropped, nrec);
	}
	ipfix_msg_put(m);
}

static int exporter_init(struct ipfix_exporter *exp)
{
	pthread_condattr_t ca;
	unsigned int i;
	int ret;

	for (i = 0; i < exp->cfg.ncollectors; i++) {
		ret = ipfix_conn_init(&exp->conn[i], &exp->cfg.collectors[i],
				      &exp->cfg);
		exp->nconn = i + 1;	/* fini is safe on a failed init */
		if (ret)
			return ret;
	}
	ret = ipfix_ring_init(&exp->ring, exp->cfg.ring_size);
	if (ret)
		return ret;
	exp->rl.interval_ms = exp->cfg.ratelimit_ms;
	exp->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (exp->efd < 0)
		return -errno;
	pthread_mutex_init(&exp->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&exp->flushed, &ca);
	pthread_condattr_destroy(&ca);
	return ipfix_enc_create(&exp->opts, exp->cfg.observation_domain,
				IPFIX_MTU, on_emit, exp, &exp->enc);
}

static void exporter_free(struct ipfix_exporter *exp)
{
	unsigned int i;

	for (i = 0; i < exp->nconn; i++)
		ipfix_conn_fini(&exp->conn[i]);
	ipfix_msg_put(exp->tmpl_msg);
	ipfix_enc_destroy(exp->enc);
	ipfix_ring_free(&exp->ring);
	if (exp->efd >= 0) {
		close(exp->efd);
		pthread_mutex_destroy(&exp->lock);
		pthread_cond_destroy(&exp->flushed);
	}
	free(exp);
}

int ipfix_create(const struct ipfix_config *cfg, struct ipfix_exporter **out)
{
	struct ipfix_exporter *exp;
	int ret;

	ret = config_check(cfg);
	if (ret)
		return ret;
	exp = calloc(1, sizeof(*exp));
	if (!exp)
		return -ENOMEM;
	exp->efd = -1;
	exp->cfg = *cfg;
	exp->opts.instance = cfg->instance;
	exp->opts.with_instance_id = cfg->with_instance_id;
	exp->opts.with_pool_id = cfg->with_pool_id;
	exp->opts.session_events = cfg->session_events;
	ret = exporter_init(exp);
	if (ret) {
		exporter_free(exp);
		return ret;
	}
	*out = exp;
	return 0;
}

void ipfix_set_export_time(struct ipfix_exporter *exp, uint32_t secs)
{
	pthread_mutex_lock(&exp->lock);
	exp->export_time = secs;
	pthread_mutex_unlock(&exp->lock);
	if (!exp->running) {
		ipfix_enc_set_export_time(exp->enc, secs);
		exp->export_time_seen = secs;
	}
}

/* --- the caller side ------------------------------------------------------ */

void ipfix_wake(struct ipfix_exporter *exp)
{
	if (eventfd_write(exp->efd, 1) < 0 && errno != EAGAIN)
		ipfix_log(LOG_ERR, "ipfix: wake exporter: %s", strerror(errno));
}

int ipfix_submit(struct ipfix_exporter *exp, const struct ipfix_event *ev)
{
	int ret, kick = 0;

	ret = ipfix_event_check(&exp->opts, ev);
	if (ret)
		return ret;
	pthread_mutex_lock(&exp->lock);
	if (ipfix_ring_count(&exp->ring) > exp->ring.mask) {
		exp->ring_full++;
		ret = -ENOBUFS;
	} else if (!ipfix_rl_allow(&exp->rl, ev)) {
		exp->rate_limited++;
	} else {
		ipfix_ring_push(&exp->ring, ev);
		exp->submitted++;
		kick = exp->idle;
		exp->idle = 0;
	}
	pthread_mutex_unlock(&exp->lock);
	if (kick)
		ipfix_wake(exp);
	return ret;
}

static void abs_deadline(struct timespec *ts, unsigned int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

int ipfix_flush(struct ipfix_exporter *exp, unsigned int timeout_ms)
{
	struct timespec until;
	uint64_t gen;
	int ret = 0;

	if (!exp->running)
		return -EINVAL;
	abs_deadline(&until, timeout_ms);
	pthread_mutex_lock(&exp->lock);
	gen = ++exp->flush_req;
	exp->idle = 0;
	pthread_mutex_unlock(&exp->lock);
	ipfix_wake(exp);
	pthread_mutex_lock(&exp->lock);
	while (exp->flush_done < gen && ret != ETIMEDOUT)
		ret = pthread_cond_timedwait(&exp->flushed, &exp->lock, &until);
	ret = exp->flush_done >= gen ? 0 : -ETIMEDOUT;
	pthread_mutex_unlock(&exp->lock);
	return ret;
}

static void conn_stats(struct ipfix_conn *c, struct ipfix_collector_stats *o)
{
	const struct ipfix_collector_stats *s = &c->st;

	o->records_sent = __atomic_load_n(&s->records_sent, __ATOMIC_RELAXED);
	o->records_dropped = __atomic_load_n(&s->records_dropped,
					     __ATOMIC_RELAXED);
	o->msgs_sent = __atomic_load_n(&s->msgs_sent, __ATOMIC_RELAXED);
	o->bytes_sent = __atomic_load_n(&s->bytes_sent, __ATOMIC_RELAXED);
	o->template_msgs = __atomic_load_n(&s->template_msgs, __ATOMIC_RELAXED);
	o->reconnects = __atomic_load_n(&s->reconnects, __ATOMIC_RELAXED);
	o->connect_failures = __atomic_load_n(&s->connect_failures,
					      __ATOMIC_RELAXED);
	o->msgs_refused = __atomic_load_n(&s->msgs_refused, __ATOMIC_RELAXED);
	o->queued_msgs = __atomic_load_n(&s->queued_msgs, __ATOMIC_RELAXED);
	o->connected = __atomic_load_n(&s->connected, __ATOMIC_RELAXED);
}

void ipfix_stats(struct ipfix_exporter *exp, struct ipfix_stats *st)
{
	unsigned int i;

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&exp->lock);
	st->submitted = exp->submitted;
	st->ring_full = exp->ring_full;
	st->rate_limited = exp->rate_limited;
	pthread_mutex_unlock(&exp->lock);
	st->encoded = __atomic_load_n(&exp->encoded, __ATOMIC_RELAXED);
	st->msgs = __atomic_load_n(&exp->msgs, __ATOMIC_RELAXED);
	st->ncollectors = exp->nconn;
	for (i = 0; i < exp->nconn; i++)
		conn_stats(&exp->conn[i], &st->coll[i]);
}

int ipfix_start(struct ipfix_exporter *exp)
{
	int ret;

	if (exp->running)
		return -EALREADY;
	ret = pthread_create(&exp->thread, NULL, ipfix_thread_main, exp);
	if (ret) {
		ipfix_log(LOG_ERR, "ipfix: start thread: %s", strerror(ret));
		return -ret;
	}
	exp->running = 1;
	return 0;
}

void ipfix_destroy(struct ipfix_exporter *exp)
{
	if (!exp)
		return;
	if (exp->running) {
		pthread_mutex_lock(&exp->lock);
		exp->stop = 1;
		exp->idle = 0;
		pthread_mutex_unlock(&exp->lock);
		ipfix_wake(exp);
		pthread_join(exp->thread, NULL);
	}
	exporter_free(exp);
}
