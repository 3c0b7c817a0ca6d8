// SPDX-License-Identifier: GPL-2.0
/*
 * cmocka tests of the exporter's network side, with the test itself as the
 * collector on 127.0.0.1: a TCP collector that is down (bounded queue,
 * drops counted, ipfix_submit() never blocks), a TCP collector restarted
 * while records keep coming (templates first on the new connection, every
 * record arrives once, in order), a UDP collector that is down (every
 * datagram sent, each ICMP report counted in msgs_refused, none dropped;
 * over IPv4 and IPv6),
 * one that is down and then listens (nothing lost to a stale ICMP error,
 * sequence contiguous from then on), two UDP collectors that get identical
 * datagrams, templates every template_refresh and data on the flush timer,
 * and a TCP collector too slow to read that costs a UDP collector nothing.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "exporter/ipfix.h"
#include "tests/interop/ipfix_decode.h"

#define T0		1700000000123ULL
#define IP(a, b, c, d)	((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))
#define LOOPBACK	IP(127, 0, 0, 1)

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static struct ipfix_event pba_ev(unsigned int i)
{
	struct ipfix_event ev = {
		.time_ms = T0 + i, .nat_event = IPFIX_EV_PBA,
		.sub_addr = IP(100, 64, i / 256, i % 256),
		.ext_addr = IP(203, 0, 113, 1),
		.port_first = 1024 + 256 * (i % 252),
		.port_last = 1024 + 256 * (i % 252) + 255,
	};
	return ev;
}

static void config(struct ipfix_config *cfg, int transport, uint16_t port)
{
	struct ipfix_collector *c;

	ipfix_config_init(cfg);
	cfg->observation_domain = 5;
	cfg->instance = 1;
	cfg->flush_ms = 60000;
	cfg->reconnect_min_ms = 20;
	cfg->reconnect_max_ms = 100;
	c = &cfg->collectors[cfg->ncollectors++];
	strcpy(c->host, "127.0.0.1");
	c->port = port;
	c->transport = transport;
}

/* A socket bound to 127.0.0.1:port (0 = any free port). */
static int bound(int type, uint16_t port, uint16_t *got)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(LOOPBACK) };
	socklen_t len = sizeof(sa);
	int one = 1, fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	if (got)
		*got = ntohs(sa.sin_port);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static int accept_within(int l, int ms)
{
	struct pollfd p = { .fd = l, .events = POLLIN };

	assert_int_equal(poll(&p, 1, ms), 1);
	return accept(l, NULL, NULL);
}

/* Read whatever arrives until ms of silence; returns bytes read. */
static size_t drain(int fd, uint8_t *buf, size_t max, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	ssize_t n;

	while (len < max && poll(&p, 1, ms) == 1) {
		n = recv(fd, buf + len, max - len, 0);
		if (n <= 0)
			break;
		len += n;
	}
	return len;
}

static void save(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

struct seq_ctx {
	unsigned int next;	/* expected event index */
};

static int check_seq(void *arg, const struct ipfix_drec *r)
{
	struct seq_ctx *c = arg;
	struct ipfix_event ev = pba_ev(c->next++);

	assert_int_equal(r->nat_event, 16);
	assert_true(r->obs_time_ms == ev.time_ms);
	assert_int_equal(r->src_addr, ev.sub_addr);
	assert_int_equal(r->port_start, ev.port_first);
	assert_int_equal(r->port_end, ev.port_last);
	assert_int_equal(r->domain, 5);
	return 0;
}

static void test_tcp_down_never_blocks(void **state)
{
	struct ipfix_config cfg;
	struct ipfix_exporter *exp;
	struct ipfix_stats st;
	struct ipfix_event ev;
	uint16_t port;
	uint64_t t;
	unsigned int i;
	int fd;

	(void)state;
	fd = bound(SOCK_STREAM, 0, &port);
	close(fd);	/* nobody listens there now */
	config(&cfg, IPFIX_TCP, port);
	cfg.queue_msgs = 2;
	cfg.linger_ms = 50;
	assert_int_equal(ipfix_create(&cfg, &exp), 0);
	assert_int_equal(ipfix_start(exp), 0);
	t = now_ms();
	for (i = 0; i < 2000; i++) {
		ev = pba_ev(i);
		assert_int_equal(ipfix_submit(exp, &ev), 0);
	}
	assert_true(now_ms() - t < 500);
	assert_int_equal(ipfix_flush(exp, 300), -ETIMEDOUT);
	ipfix_stats(exp, &st);
	assert_int_equal(st.submitted, 2000);
	assert_int_equal(st.encoded, 2000);
	assert_int_equal(st.coll[0].connected, 0);
	assert_true(st.coll[0].connect_failures >= 2);	/* it retries */
	assert_true(st.coll[0].queued_msgs <= 2);
	assert_int_equal(st.coll[0].records_sent, 0);
	/* All but what the 2 queued messages hold were dropped. */
	assert_true(st.coll[0].records_dropped >= 2000 - 2 * 60);
	assert_true(st.coll[0].records_dropped < 2000);
	t = now_ms();
	ipfix_destroy(exp);
	assert_true(now_ms() - t < 1000);	/* linger is bounded */
}

static void submit_range(struct ipfix_exporter *exp, unsigned int from,
			 unsigned int to)
{
	struct ipfix_event ev;

	for (; from < to; from++) {
		ev = pba_ev(from);
		assert_int_equal(ipfix_submit(exp, &ev), 0);
	}
}

/* Both TCP streams start with templates and decode on their own. */
static void check_streams(const uint8_t *a, size_t alen, const uint8_t *b,
			  size_t blen)
{
	struct seq_ctx sc = { 0 };
	char fa[64], fb[64];

	assert_true(alen > 20 && blen > 20);
	assert_int_equal(a[16] << 8 | a[17], 2);
	assert_int_equal(b[16] << 8 | b[17], 2);
	/* The new stream's template message carries the data's sequence. */
	assert_int_equal(b[8] << 24 | b[9] << 16 | b[10] << 8 | b[11], 10);
	snprintf(fa, sizeof(fa), "/tmp/test_ipfix_net.%d.a", getpid());
	snprintf(fb, sizeof(fb), "/tmp/test_ipfix_net.%d.b", getpid());
	save(fa, a, alen);
	save(fb, b, blen);
	assert_int_equal(ipfix_decode_file(fa, check_seq, &sc), 10);
	assert_int_equal(ipfix_decode_file(fb, check_seq, &sc), 20);
	assert_int_equal(sc.next, 30);
	unlink(fa);
	unlink(fb);
}

static void test_tcp_restart_loses_nothing(void **state)
{
	static uint8_t a[65536], b[65536];
	struct ipfix_config cfg;
	struct ipfix_exporter *exp;
	struct ipfix_stats st;
	size_t alen, blen, early;
	uint16_t port;
	int l, c;

	(void)state;
	l = bound(SOCK_STREAM, 0, &port);
	config(&cfg, IPFIX_TCP, port);
	assert_int_equal(ipfix_create(&cfg, &exp), 0);
	assert_int_equal(ipfix_start(exp), 0);
	c = accept_within(l, 2000);
	submit_range(exp, 0, 10);
	assert_int_equal(ipfix_flush(exp, 2000), 0);
	alen = drain(c, a, sizeof(a), 200);
	/* The collector stops: its socket and the listener close. */
	close(c);
	close(l);
	sleep_ms(100);
	submit_range(exp, 10, 30);
	assert_int_equal(ipfix_flush(exp, 200), -ETIMEDOUT);
	ipfix_stats(exp, &st);
	assert_int_equal(st.coll[0].connected, 0);
	assert_true(st.coll[0].queued_msgs >= 1);
	/* It comes back on the same port. */
	l = bound(SOCK_STREAM, port, NULL);
	c = accept_within(l, 3000);
	/* No API call from here: the thread alone must send what it holds. */
	early = drain(c, b, sizeof(b), 500);
	assert_true(early > 20 * 25);
	assert_int_equal(ipfix_flush(exp, 3000), 0);
	blen = early + drain(c, b + early, sizeof(b) - early, 100);
	ipfix_stats(exp, &st);
	assert_int_equal(st.coll[0].reconnects, 1);
	assert_int_equal(st.coll[0].records_sent, 30);
	assert_int_equal(st.coll[0].records_dropped, 0);
	ipfix_destroy(exp);
	close(c);
	close(l);
	check_streams(a, alen, b, blen);
}

/* Receive datagrams until ms of silence; returns how many. */
static unsigned int recv_all(int fd, uint8_t (*dg)[1500], size_t *len,
			     unsigned int max, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned int n = 0;
	ssize_t r;

	while (n < max && poll(&p, 1, ms) == 1) {
		r = recv(fd, dg[n], sizeof(dg[n]), 0);
		assert_true(r > 16);
		len[n++] = r;
	}
	return n;
}

/* Stats once msgs_refused has caught up with msgs_sent, or after ms. */
static void refused_settled(struct ipfix_exporter *exp, struct ipfix_stats *st,
			    int ms)
{
	uint64_t until = now_ms() + ms;

	for (;;) {
		ipfix_stats(exp, st);
		if (st->coll[0].msgs_refused >= st->coll[0].msgs_sent ||
		    now_ms() >= until)
			return;
		sleep_ms(5);
	}
}

static uint64_t cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000ULL +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

/* A UDP port on ::1 that nobody listens on. */
static uint16_t closed_port6(void)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin6_port);
}

/*
 * Closed port: every datagram goes out, each is refused and counted once,
 * and a report left on the socket does not make the thread spin.
 */
static void udp_down_counts_refused(const char *host, uint16_t port)
{
	struct ipfix_config cfg;
	struct ipfix_exporter *exp;
	struct ipfix_stats st;
	uint64_t cpu;
	unsigned int round;

	config(&cfg, IPFIX_UDP, port);
	strcpy(cfg.collectors[0].host, host);
	assert_int_equal(ipfix_create(&cfg, &exp), 0);
	assert_int_equal(ipfix_start(exp), 0);
	for (round = 0; round < 5; round++) {
		submit_range(exp, round * 10, round * 10 + 10);
		assert_int_equal(ipfix_flush(exp, 1000), 0);
		sleep_ms(20);	/* lets the ICMP report come back */
	}
	refused_settled(exp, &st, 1000);
	assert_int_equal(st.coll[0].records_sent, 50);
	assert_int_equal(st.coll[0].records_dropped, 0);
	assert_int_equal(st.coll[0].msgs_sent, 6);	/* templates + 5 */
	assert_int_equal(st.coll[0].msgs_refused, 6);
	cpu = cpu_ms();
	sleep_ms(300);		/* idle, the last report long since queued */
	assert_true(cpu_ms() - cpu < 100);
	ipfix_destroy(exp);
}

static void test_udp_down_counts_refused(void **state)
{
	uint16_t port;

	(void)state;
	close(bound(SOCK_DGRAM, 0, &port));
	udp_down_counts_refused("127.0.0.1", port);
}

static void test_udp6_down_counts_refused(void **state)
{
	(void)state;
	udp_down_counts_refused("::1", closed_port6());
}

static uint32_t dg_seq(const uint8_t *d)
{
	return (uint32_t)d[8] << 24 | d[9] << 16 | d[10] << 8 | d[11];
}

/*
 * The collector's port is closed for a while (each datagram draws an ICMP
 * port unreachable, which used to fail the NEXT send and drop that
 * message), then it listens: nothing is dropped, every message sent from
 * then on arrives with contiguous sequence numbers, and msgs_refused is
 * exactly the number sent while it was closed.
 */
static void test_udp_closed_then_listens(void **state)
{
	static uint8_t dg[64][1500];
	size_t len[64];
	struct ipfix_config cfg;
	struct ipfix_exporter *exp;
	struct ipfix_stats st;
	uint64_t sent_closed;
	uint32_t want;
	uint16_t port;
	unsigned int i, n, data = 0;
	int fd;

	(void)state;
	fd = bound(SOCK_DGRAM, 0, &port);
	close(fd);
	config(&cfg, IPFIX_UDP, port);
	assert_int_equal(ipfix_create(&cfg, &exp), 0);
	assert_int_equal(ipfix_start(exp), 0);
	/* Closed: single messages, then a burst written in one pass. */
	for (i = 0; i < 10; i++) {
		submit_range(exp, i, i + 1);
		assert_int_equal(ipfix_flush(exp, 1000), 0);
		sleep_ms(5);
	}
	submit_range(exp, 10, 300);
	assert_int_equal(ipfix_flush(exp, 1000), 0);
	refused_settled(exp, &st, 1000);
	sent_closed = st.coll[0].msgs_sent;
	assert_true(sent_closed >= 1 + 10 + 2);
	assert_int_equal(st.coll[0].records_sent, 300);
	assert_int_equal(st.coll[0].records_dropped, 0);
	assert_int_equal(st.coll[0].msgs_refused, sent_closed);
	/* The collector listens; one message per event from now on. */
	fd = bound(SOCK_DGRAM, port, NULL);
	for (i = 300; i < 340; i++) {
		submit_range(exp, i, i + 1);
		assert_int_equal(ipfix_flush(exp, 1000), 0);
	}
	n = recv_all(fd, dg, len, 64, 200);
	ipfix_stats(exp, &st);
	assert_int_equal(st.coll[0].records_dropped, 0);
	assert_int_equal(st.coll[0].records_sent, 340);
	assert_int_equal(st.coll[0].msgs_refused, sent_closed);
	assert_int_equal(n, st.coll[0].msgs_sent - sent_closed);
	/* A data message's sequence is the index of its first record. */
	for (want = 300, i = 0; i < n; i++) {
		assert_int_equal(dg_seq(dg[i]), want);
		if ((dg[i][16] << 8 | dg[i][17]) != 2) {
			want++;
			data++;
		}
	}
	assert_int_equal(data, 40);
	ipfix_destroy(exp);
	close(fd);
}

static void test_udp_two_collectors(void **state)
{
	static uint8_t d1[64][1500], d2[64][1500];
	size_t l1[64], l2[64];
	struct ipfix_config cfg;
	struct ipfix_exporter *exp;
	struct ipfix_event ev;
	uint16_t p1, p2;
	unsigned int i, n1, n2, tmpl = 0, data = 0;
	int s1, s2;

	(void)state;
	s1 = bound(SOCK_DGRAM, 0, &p1);
	s2 = bound(SOCK_DGRAM, 0, &p2);
	config(&cfg, IPFIX_UDP, p1);
	cfg.collectors[1] = cfg.collectors[0];
	cfg.collectors[1].port = p2;
	cfg.ncollectors = 2;
	cfg.template_refresh_ms = 100;
	cfg.flush_ms = 30;
	assert_int_equal(ipfix_create(&cfg, &exp), 0);
	assert_int_equal(ipfix_start(exp), 0);
	for (i = 0; i < 5; i++) {
		ev = pba_ev(i);
		assert_int_equal(ipfix_submit(exp, &ev), 0);
	}
	sleep_ms(450);	/* no flush call: the 30 ms timer must do it */
	ipfix_destroy(exp);
	n1 = recv_all(s1, d1, l1, 64, 50);
	n2 = recv_all(s2, d2, l2, 64, 50);
	assert_int_equal(n1, n2);
	for (i = 0; i < n1; i++) {
		assert_int_equal(l1[i], l2[i]);
		assert_memory_equal(d1[i], d2[i], l1[i]);
		if ((d1[i][16] << 8 | d1[i][17]) == 2)
			tmpl++;
		else
			data++;
	}
	/* 5 records, one message unless the test was preempted > 30 ms. */
	assert_true(data >= 1 && data <= 5);
	assert_true(tmpl >= 3);		/* start + every 100 ms */
	assert_int_equal(d1[0][16] << 8 | d1[0][17], 2);
	close(s1);
	close(s2);
}

/* Submit n events, retrying while the ring is full; returns the longest
 * single ipfix_submit() call in ms. */
static uint64_t submit_many(struct ipfix_exporter *exp, unsigned int n)
{
	struct ipfix_event ev;
	uint64_t t, worst = 0;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ev = pba_ev(i);
		do {
			t = now_ms();
			ret = ipfix_submit(exp, &ev);
			t = now_ms() - t;
			worst = t > worst ? t : worst;
		} while (ret == -ENOBUFS && (sched_yield(), 1));
		assert_int_equal(ret, 0);
	}
	return worst;
}

static void test_slow_tcp_does_not_stall_udp(void **state)
{
	const unsigned int n = 400000;
	struct ipfix_config cfg;
	struct ipfix_exporter *exp;
	struct ipfix_stats st;
	uint16_t tport, uport;
	uint64_t until;
	int small = 4096, l, c, u;

	(void)state;
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(l, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	close(l);
	l = bound(SOCK_STREAM, 0, &tport);
	setsockopt(l, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	u = bound(SOCK_DGRAM, 0, &uport);
	config(&cfg, IPFIX_TCP, tport);
	cfg.collectors[1] = cfg.collectors[0];
	cfg.collectors[1].transport = IPFIX_UDP;
	cfg.collectors[1].port = uport;
	cfg.ncollectors = 2;
	cfg.queue_msgs = 16;
	cfg.linger_ms = 50;
	cfg.flush_ms = 20;
	assert_int_equal(ipfix_create(&cfg, &exp), 0);
	assert_int_equal(ipfix_start(exp), 0);
	c = accept_within(l, 2000);	/* accepted, never read: slow */
	assert_true(submit_many(exp, n) < 100);
	until = now_ms() + 10000;
	do {
		sleep_ms(20);
		ipfix_stats(exp, &st);
	} while (st.coll[1].records_sent < n && now_ms() < until);
	assert_int_equal(st.coll[1].records_sent, n);	/* UDP: all */
	assert_int_equal(st.coll[1].records_dropped, 0);
	assert_int_equal(st.coll[0].connected, 1);	/* TCP: up, full */
	assert_true(st.coll[0].records_dropped > 0);
	assert_true(st.coll[0].records_sent < n);
	assert_int_equal(ipfix_flush(exp, 100), -ETIMEDOUT);
	ipfix_destroy(exp);
	close(c);
	close(l);
	close(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_down_never_blocks),
		cmocka_unit_test(test_tcp_restart_loses_nothing),
		cmocka_unit_test(test_udp_down_counts_refused),
		cmocka_unit_test(test_udp6_down_counts_refused),
		cmocka_unit_test(test_udp_closed_then_listens),
		cmocka_unit_test(test_udp_two_collectors),
		cmocka_unit_test(test_slow_tcp_does_not_stall_udp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
