// SPDX-License-Identifier: GPL-2.0
/*
 * Collector transport, owned by the exporter thread. Our own non-blocking
 * sockets rather than libfixbuf's net exporter, because that one connects
 * and writes blocking (one slow collector would stall the rest), cannot be
 * polled, and only notices a closed TCP peer after a write has already
 * vanished. Before each TCP message we peek for EOF, so a collector that
 * was stopped cleanly costs no record: the message stays queued, we
 * reconnect with exponential backoff and send templates first. A message
 * cut by a reset is re-sent whole on the next connection.
 *
 * UDP keeps its connected socket, so the kernel tells us about ICMP
 * errors, and asks for them on the error queue (IP_RECVERR): a send() that
 * fails with ECONNREFUSED is only reporting an ICMP "port unreachable" for
 * an EARLIER datagram (UDP has no connection to refuse this one); the
 * failed send cleared that pending error, so the message is sent again at
 * once instead of dropped. The error queue holds one report per refused
 * datagram, quoting its start, i.e. the IPFIX header: those are counted
 * (msgs_refused), which a send-on-unconnected-socket design could not do.
 * It is drained on POLLERR and after a failed send, so a report never
 * leaves poll() spinning.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "exporter/ipfix_conn.h"

#define CONNECT_TIMEOUT_MS	5000
#define WRITES_PER_SERVICE	64
#define DROP_WARN_MS		60000	/* at most one warning a minute */
#define UDP_SEND_TRIES		8	/* each retry clears one stale report */
#define ERRQ_PER_DRAIN		256	/* the rest on the next POLLERR */

static const char *tname(const struct ipfix_conn *c)
{
	return ipfix_transport_name(c->cfg.transport);
}

static int resolve(struct ipfix_conn *c)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	char port[8];
	int ret;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = c->cfg.transport == IPFIX_TCP ? SOCK_STREAM :
							      SOCK_DGRAM;
	snprintf(port, sizeof(port), "%u", c->cfg.port);
	ret = getaddrinfo(c->cfg.host, port, &hints, &res);
	if (ret) {
		ipfix_log(LOG_ERR, "ipfix: resolve collector %s: %s",
			  c->cfg.host, gai_strerror(ret));
		return ret == EAI_MEMORY ? -ENOMEM : -ENOENT;
	}
	memcpy(&c->addr, res->ai_addr, res->ai_addrlen);
	c->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int ipfix_conn_init(struct ipfix_conn *c, const struct ipfix_collector *cc,
		    const struct ipfix_config *cfg)
{
	int ret;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->cfg = *cc;
	c->cfg.host[sizeof(c->cfg.host) - 1] = '\0';
	c->backoff_min_ms = cfg->reconnect_min_ms ? cfg->reconnect_min_ms : 1;
	c->backoff_max_ms = cfg->reconnect_max_ms > c->backoff_min_ms ?
			    cfg->reconnect_max_ms : c->backoff_min_ms;
	c->backoff_ms = c->backoff_min_ms;
	switch (cc->transport) {
	case IPFIX_UDP:
	case IPFIX_TCP:
		ret = cc->port && cc->host[0] ? resolve(c) : -EINVAL;
		break;
	case IPFIX_FILE:
		ret = cc->host[0] ? 0 : -EINVAL;
		break;
	case IPFIX_SCTP:
	case IPFIX_TLS_TCP:
	case IPFIX_DTLS_UDP:
		/* libfixbuf here would abort the process: say no instead. */
		ipfix_log(LOG_ERR, "ipfix: collector %s: transport %s is not "
			  "supported by this libfixbuf; use tcp through a TLS "
			  "tunnel", cc->host, tname(c));
		return -EPROTONOSUPPORT;
	default:
		ret = -EINVAL;
	}
	if (ret == -EINVAL)
		ipfix_log(LOG_ERR, "ipfix: collector '%s' port %u "
			  "transport %d: invalid", cc->host, cc->port,
			  cc->transport);
	return ret ? ret : ipfix_mq_init(&c->q, cfg->queue_msgs);
}

static void conn_close(struct ipfix_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	ipfix_msg_put(c->tmpl);
	c->tmpl = NULL;
	c->off = 0;	/* a message cut short goes again, whole */
	c->blocked = 0;
	c->want_tmpl = 0;
}

void ipfix_conn_fini(struct ipfix_conn *c)
{
	conn_close(c);
	ipfix_mq_free(&c->q);
}

static void conn_fail(struct ipfix_conn *c, uint64_t now, const char *what,
		      int err)
{
	if (!c->failing)
		ipfix_log(LOG_WARNING, "ipfix: %s collector %s port %u/%s: %s",
			  what, c->cfg.host, c->cfg.port, tname(c),
			  err ? strerror(err) : "closed by peer");
	c->failing = 1;
	if (c->state == IPFIX_CONN_CONNECTING || c->state == IPFIX_CONN_DOWN)
		IPFIX_STAT_ADD(c->st.connect_failures, 1);
	conn_close(c);
	c->state = IPFIX_CONN_DOWN;
	__atomic_store_n(&c->st.connected, 0, __ATOMIC_RELAXED);
	c->next_try_ms = now + c->backoff_ms;
	c->backoff_ms = c->backoff_ms > c->backoff_max_ms / 2 ?
			c->backoff_max_ms : c->backoff_ms * 2;
}

static void conn_up(struct ipfix_conn *c)
{
	if (c->ever_up)
		IPFIX_STAT_ADD(c->st.reconnects, 1);
	if (c->failing || c->ever_up)
		ipfix_log(LOG_INFO,
			  "ipfix: connected to collector %s port %u/%s",
			  c->cfg.host, c->cfg.port, tname(c));
	c->ever_up = 1;
	c->failing = 0;
	c->state = IPFIX_CONN_UP;
	c->want_tmpl = 1;
	c->backoff_ms = c->backoff_min_ms;
	__atomic_store_n(&c->st.connected, 1, __ATOMIC_RELAXED);
}

static int open_fd(struct ipfix_conn *c)
{
	int one = 1, type;

	if (c->cfg.transport == IPFIX_FILE) {
		c->fd = open(c->cfg.host, O_WRONLY | O_CREAT | O_APPEND |
			     O_CLOEXEC, 0644);
		return c->fd < 0 ? errno : 0;
	}
	type = c->cfg.transport == IPFIX_TCP ? SOCK_STREAM : SOCK_DGRAM;
	c->fd = socket(c->addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0);
	if (c->fd < 0)
		return errno;
	if (type == SOCK_STREAM)
		setsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	/*
	 * UDP: connected, so ICMP errors come to this socket; RECVERR queues
	 * one report per refused datagram for udp_drain_errors() to count.
	 */
	else if (c->addr.ss_family == AF_INET6)
		setsockopt(c->fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
	else
		setsockopt(c->fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&c->addr, c->addrlen) == 0)
		return 0;
	return errno;
}

static void conn_open(struct ipfix_conn *c, uint64_t now)
{
	int err = open_fd(c);

	if (err == EINPROGRESS) {
		c->state = IPFIX_CONN_CONNECTING;
		c->deadline_ms = now + CONNECT_TIMEOUT_MS;
	} else if (err) {
		conn_fail(c, now, "connect to", err);
	} else {
		conn_up(c);
	}
}

static void conn_check_connect(struct ipfix_conn *c, short revents,
			       uint64_t now)
{
	struct pollfd p = { .fd = c->fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0;

	if (!revents && poll(&p, 1, 0) == 1)
		revents = p.revents;
	if (!(revents & (POLLOUT | POLLERR | POLLHUP))) {
		if (now >= c->deadline_ms)
			conn_fail(c, now, "connect to", ETIMEDOUT);
		return;
	}
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err)
		conn_fail(c, now, "connect to", err);
	else
		conn_up(c);
}

/* A collector never sends to us: readable means EOF or an error. */
static int tcp_peer_gone(struct ipfix_conn *c, int *err)
{
	char buf[256];
	ssize_t n;

	for (;;) {
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0)
			continue;
		if (n == 0) {
			*err = 0;	/* orderly close */
			return 1;
		}
		*err = errno;
		return errno != EAGAIN && errno != EWOULDBLOCK &&
		       errno != EINTR;
	}
}

/* Take m (the head) off the collector, counting it as sent or dropped. */
static void msg_release(struct ipfix_conn *c, struct ipfix_msg *m, int sent)
{
	if (sent) {
		IPFIX_STAT_ADD(c->st.msgs_sent, 1);
		IPFIX_STAT_ADD(c->st.bytes_sent, m->len);
		IPFIX_STAT_ADD(c->st.records_sent, m->nrec);
		if (!m->nrec)
			IPFIX_STAT_ADD(c->st.template_msgs, 1);
	} else {
		IPFIX_STAT_ADD(c->st.records_dropped, m->nrec);
	}
	c->off = 0;
	if (m == c->tmpl)
		c->tmpl = NULL;
	else
		ipfix_mq_pop(&c->q);
	ipfix_msg_put(m);
}

static int warn_due(struct ipfix_conn *c, uint64_t now)
{
	if (c->warned_ms && now - c->warned_ms < DROP_WARN_MS)
		return 0;
	c->warned_ms = now ? now : 1;
	return 1;
}

/* A file write error or a UDP send error that is our own: drop, say so. */
static void msg_drop(struct ipfix_conn *c, struct ipfix_msg *m, int err,
		     uint64_t now)
{
	if (warn_due(c, now))
		ipfix_log(LOG_WARNING, "ipfix: send to %s port %u/%s: %s; "
			  "dropping records", c->cfg.host, c->cfg.port,
			  tname(c), strerror(err));
	msg_release(c, m, 0);
}

/*
 * Take the ICMP reports off the error queue. Each one names a datagram of
 * ours that did not arrive (port unreachable from the collector's host, or
 * unreachable/too big from a router), quoting its start (the IPFIX header
 * when the sender quoted that much); each is counted once. Reading the
 * queue empty also clears the socket's pending error, and SO_ERROR clears
 * one whose report did not fit the queue, so POLLERR ends here. Returns
 * the number of reports.
 */
static unsigned int udp_drain_errors(struct ipfix_conn *c, uint64_t now)
{
	char ctl[512];
	uint8_t q[16];
	struct iovec iov = { q, sizeof(q) };
	struct msghdr mh;
	struct cmsghdr *cm;
	struct sock_extended_err *ee;
	unsigned int n = 0, i;
	long seq = -1;	/* last quoted sequence number, -1 none */
	char sq[24] = "not quoted";
	socklen_t len = sizeof(int);
	ssize_t r;
	int err = 0, last = 0;

	for (i = 0; i < ERRQ_PER_DRAIN; i++) {
		mh = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = ctl,
				      .msg_controllen = sizeof(ctl) };
		r = recvmsg(c->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);
		if (r < 0)
			break;
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (!((cm->cmsg_level == IPPROTO_IP &&
			       cm->cmsg_type == IP_RECVERR) ||
			      (cm->cmsg_level == IPPROTO_IPV6 &&
			       cm->cmsg_type == IPV6_RECVERR)))
				continue;
			ee = (struct sock_extended_err *)CMSG_DATA(cm);
			if (ee->ee_origin != SO_EE_ORIGIN_ICMP &&
			    ee->ee_origin != SO_EE_ORIGIN_ICMP6)
				continue;
			/*
			 * The socket is connected and sends only IPFIX, so
			 * every report is about one of our messages; its
			 * sequence is known when the quote reaches it.
			 */
			if (r >= 12)
				seq = (long)((uint32_t)q[8] << 24 | q[9] << 16 |
					     q[10] << 8 | q[11]);
			last = ee->ee_errno;
			n++;
		}
	}
	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (!n)
		return 0;
	IPFIX_STAT_ADD(c->st.msgs_refused, n);
	if (!warn_due(c, now))
		return n;
	if (seq >= 0)
		snprintf(sq, sizeof(sq), "%ld", seq);
	ipfix_log(LOG_WARNING, "ipfix: collector %s port %u/%s: %u message(s) "
		  "reported not delivered (%s), last sequence %s", c->cfg.host,
		  c->cfg.port, tname(c), n, strerror(last), sq);
	return n;
}

/*
 * UDP send. An error may be a stale ICMP report about an earlier datagram,
 * which the failed send has now cleared: send again. ECONNREFUSED is always
 * one (UDP has nobody to refuse the datagram being sent); any other error
 * is one when a report was waiting. A real error (no route, firewall)
 * comes back on the retry with no report, and is returned.
 */
static ssize_t udp_send(struct ipfix_conn *c, const struct ipfix_msg *m,
			uint64_t now)
{
	unsigned int i;
	ssize_t n = -1;
	int err, stale;

	for (i = 0; i < UDP_SEND_TRIES; i++) {
		n = send(c->fd, m->data, m->len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n >= 0)
			return n;
		err = errno;
		if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR)
			return n;
		stale = udp_drain_errors(c, now) || err == ECONNREFUSED;
		errno = err;
		if (i && !stale)
			break;
	}
	return n;
}

/* Returns 1 to go on with the next message, 0 to stop for now. */
static int write_one(struct ipfix_conn *c, struct ipfix_msg *m, uint64_t now)
{
	int tcp = c->cfg.transport == IPFIX_TCP, err;
	ssize_t n;

	if (tcp && c->off == 0 && tcp_peer_gone(c, &err)) {
		conn_fail(c, now, "lost", err);
		return 0;
	}
	if (c->cfg.transport == IPFIX_FILE)
		n = write(c->fd, m->data + c->off, m->len - c->off);
	else if (!tcp)
		n = udp_send(c, m, now);
	else
		n = send(c->fd, m->data + c->off, m->len - c->off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0) {
		err = errno;
		if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) {
			c->blocked = err != EINTR;
			return err == EINTR;
		}
		if (tcp) {
			conn_fail(c, now, "lost", err);
			return 0;
		}
		if (err == ECONNREFUSED)
			return 0;	/* reports still coming: next pass */
		msg_drop(c, m, err, now);
		return 1;
	}
	c->off += n;
	if (c->off < m->len)
		return 1;
	msg_release(c, m, 1);
	return 1;
}

void ipfix_conn_service(struct ipfix_conn *c, uint64_t now)
{
	struct ipfix_msg *m;
	unsigned int i;

	if (c->state == IPFIX_CONN_DOWN && now >= c->next_try_ms)
		conn_open(c, now);
	if (c->state == IPFIX_CONN_CONNECTING)
		conn_check_connect(c, 0, now);
	if (c->state != IPFIX_CONN_UP || c->want_tmpl || c->blocked)
		return;
	for (i = 0; i < WRITES_PER_SERVICE; i++) {
		m = c->tmpl ? c->tmpl : ipfix_mq_peek(&c->q);
		if (!m || !write_one(c, m, now))
			break;
	}
	__atomic_store_n(&c->st.queued_msgs, c->q.count, __ATOMIC_RELAXED);
}

void ipfix_conn_enqueue(struct ipfix_conn *c, struct ipfix_msg *m)
{
	if (ipfix_mq_push(&c->q, m))
		IPFIX_STAT_ADD(c->st.records_dropped, m->nrec);
	__atomic_store_n(&c->st.queued_msgs, c->q.count, __ATOMIC_RELAXED);
}

void ipfix_conn_set_tmpl(struct ipfix_conn *c, struct ipfix_msg *m)
{
	struct ipfix_msg *head = ipfix_mq_peek(&c->q), *t = m;
	uint32_t seq;

	if (head && ipfix_msg_seq(head) != ipfix_msg_seq(m)) {
		t = ipfix_msg_new(m->data, m->len, 0);
		if (!t)
			return;	/* want_tmpl stays set: tried again later */
		seq = ipfix_msg_seq(head);
		t->data[8] = seq >> 24;
		t->data[9] = seq >> 16;
		t->data[10] = seq >> 8;
		t->data[11] = seq;
	} else {
		t->refs++;
	}
	ipfix_msg_put(c->tmpl);
	c->tmpl = t;
	c->want_tmpl = 0;
}

short ipfix_conn_poll_events(const struct ipfix_conn *c)
{
	if (c->fd < 0 || c->cfg.transport == IPFIX_FILE)
		return 0;
	if (c->state == IPFIX_CONN_CONNECTING)
		return POLLOUT;
	if (c->state != IPFIX_CONN_UP)
		return 0;
	/* UDP: POLLERR (always reported) brings the ICMP reports. */
	if (c->cfg.transport == IPFIX_UDP)
		return c->blocked ? POLLOUT : POLLERR;
	return POLLIN | (c->blocked ? POLLOUT : 0);
}

void ipfix_conn_on_poll(struct ipfix_conn *c, short revents, uint64_t now)
{
	int err;

	if (!revents)
		return;
	if (c->state == IPFIX_CONN_CONNECTING) {
		conn_check_connect(c, revents, now);
		return;
	}
	if (c->state != IPFIX_CONN_UP)
		return;
	if (revents & POLLOUT)
		c->blocked = 0;
	if (c->cfg.transport == IPFIX_TCP &&
	    (revents & (POLLIN | POLLERR | POLLHUP)) &&
	    tcp_peer_gone(c, &err))
		conn_fail(c, now, "lost", err);
	if (c->cfg.transport == IPFIX_UDP && (revents & POLLERR))
		udp_drain_errors(c, now);
}

uint64_t ipfix_conn_deadline(const struct ipfix_conn *c)
{
	if (c->state == IPFIX_CONN_DOWN)
		return c->next_try_ms;
	if (c->state == IPFIX_CONN_CONNECTING)
		return c->deadline_ms;
	/*
	 * Just came up and waits for its templates, or has more to write
	 * than one service pass takes: come back at once.
	 */
	if (c->want_tmpl || (!c->blocked && !ipfix_conn_idle(c)))
		return 0;
	return UINT64_MAX;
}

int ipfix_conn_idle(const struct ipfix_conn *c)
{
	return !c->tmpl && c->q.count == 0;
}
