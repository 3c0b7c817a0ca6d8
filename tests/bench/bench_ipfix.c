// SPDX-License-Identifier: GPL-2.0
/*
 * bench_ipfix: records per second through the real exporter (ipfix_submit
 * -> ring -> exporter thread -> libfixbuf encoder -> collectors), end to
 * end: from the first submit until ipfix_flush() reports everything
 * written. Scenarios: no collector (encode only), a file, a UDP sink and a
 * TCP sink on 127.0.0.1 (threads of this program that count what arrives),
 * and all three at once. One producer thread submits port block records
 * and retries when the ring is full. Prints a table and writes JSON.
 * Usage: bench_ipfix [-n RECORDS] [OUT.json]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "exporter/ipfix.h"

#define PBA_REC_LEN	25	/* T21 + natInstanceID, bytes on the wire */

struct sink {
	int fd;			/* bound UDP socket or TCP listener */
	int tcp;
	uint16_t port;
	int stop;		/* atomic */
	uint64_t bytes, msgs, records;
	pthread_t thread;
};

struct result {
	const char *name;
	uint64_t records;
	double seconds;
	double rate;
	double submit_ns;
	uint64_t ring_full;
	uint64_t sink_records;	/* counted by the receiving side */
	uint64_t dropped;	/* exporter-side drops, all collectors */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Count data records in a buffer of whole IPFIX messages. */
static void count_msgs(struct sink *s, const uint8_t *p, size_t len)
{
	size_t off, end, mlen;
	uint16_t id, slen;

	while (len >= 16) {
		mlen = p[2] << 8 | p[3];
		if (mlen < 16 || mlen > len)
			return;
		for (off = 16, end = mlen; off + 4 <= end; off += slen) {
			id = p[off] << 8 | p[off + 1];
			slen = p[off + 2] << 8 | p[off + 3];
			if (slen < 4)
				break;
			if (id >= 256)
				s->records += (slen - 4) / PBA_REC_LEN;
		}
		s->msgs++;
		p += mlen;
		len -= mlen;
	}
}

static void *udp_sink(void *arg)
{
	struct sink *s = arg;
	struct pollfd p = { .fd = s->fd, .events = POLLIN };
	uint8_t buf[65536];
	ssize_t n;

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		if (poll(&p, 1, 50) != 1)
			continue;
		while ((n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
			s->bytes += n;
			count_msgs(s, buf, n);
		}
	}
	return NULL;
}

/* TCP: reassemble whole messages before counting. */
static void *tcp_sink(void *arg)
{
	struct sink *s = arg;
	static uint8_t buf[1 << 20];
	struct pollfd p = { .events = POLLIN };
	size_t have = 0, used, mlen;
	ssize_t n;

	p.fd = accept(s->fd, NULL, NULL);
	while (p.fd >= 0 && !__atomic_load_n(&s->stop, __ATOMIC_RELAXED))
	{
		if (poll(&p, 1, 50) != 1)
			continue;
		n = recv(p.fd, buf + have, sizeof(buf) - have, 0);
		if (n <= 0)
			break;
		s->bytes += n;
		have += n;
		for (used = 0; have - used >= 4; used += mlen) {
			mlen = buf[used + 2] << 8 | buf[used + 3];
			if (mlen < 16 || have - used < mlen)
				break;
			count_msgs(s, buf + used, mlen);
		}
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	if (p.fd >= 0)
		close(p.fd);
	return NULL;
}

static int sink_start(struct sink *s, int tcp)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int big = 32 << 20;

	memset(s, 0, sizeof(*s));
	s->tcp = tcp;
	s->fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (s->fd < 0)
		return -errno;
	/* Root may exceed rmem_max; otherwise the plain call caps it. */
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)))
		setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(s->fd, (struct sockaddr *)&sa, &len) ||
	    (tcp && listen(s->fd, 1)))
		return -errno;
	s->port = ntohs(sa.sin_port);
	return -pthread_create(&s->thread, NULL, tcp ? tcp_sink : udp_sink, s);
}

static void sink_stop(struct sink *s)
{
	usleep(200000);	/* let the last datagrams land */
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	pthread_join(s->thread, NULL);
	close(s->fd);
}

static void add(struct ipfix_config *cfg, int t, const char *host,
		uint16_t port)
{
	struct ipfix_collector *c = &cfg->collectors[cfg->ncollectors++];

	snprintf(c->host, sizeof(c->host), "%s", host);
	c->port = port;
	c->transport = t;
}

static int produce(struct ipfix_exporter *exp, uint64_t n, struct result *r)
{
	struct ipfix_event ev = { .nat_event = IPFIX_EV_PBA,
				  .ext_addr = 0xcb007101 };
	double t0 = now_s(), t1;
	struct ipfix_stats st;
	uint64_t i;
	int ret;

	for (i = 0; i < n; i++) {
		ev.time_ms = 1700000000000ULL + i;
		ev.sub_addr = 0x64400000 | (i & 0x3fffff);
		ev.port_first = 1024 + 256 * (i % 252);
		ev.port_last = ev.port_first + 255;
		while ((ret = ipfix_submit(exp, &ev)) == -ENOBUFS)
			sched_yield();
		if (ret)
			return ret;
	}
	t1 = now_s();
	ret = ipfix_flush(exp, 60000);
	r->seconds = now_s() - t0;
	r->records = n;
	r->rate = n / r->seconds;
	r->submit_ns = (t1 - t0) * 1e9 / n;
	ipfix_stats(exp, &st);
	r->ring_full = st.ring_full;
	for (i = 0; i < st.ncollectors; i++)
		r->dropped += st.coll[i].records_dropped;
	return ret;
}

static int run(const char *name, int file, int udp, int tcp, uint64_t n,
	       struct result *r)
{
	struct ipfix_config cfg;
	struct ipfix_exporter *exp;
	struct sink us, ts;
	char path[64];
	int ret;

	memset(r, 0, sizeof(*r));
	r->name = name;
	ipfix_config_init(&cfg);
	cfg.queue_msgs = 8192;
	snprintf(path, sizeof(path), "/tmp/bench_ipfix.%d.ipfix", getpid());
	if (file)
		add(&cfg, IPFIX_FILE, path, 0);
	if (udp && !(ret = sink_start(&us, 0)))
		add(&cfg, IPFIX_UDP, "127.0.0.1", us.port);
	if (tcp && !(ret = sink_start(&ts, 1)))
		add(&cfg, IPFIX_TCP, "127.0.0.1", ts.port);
	ret = ipfix_create(&cfg, &exp);
	if (!ret)
		ret = ipfix_start(exp);
	if (!ret)
		ret = produce(exp, n, r);
	ipfix_destroy(exp);
	if (udp) {
		sink_stop(&us);
		r->sink_records += us.records;
	}
	if (tcp) {
		sink_stop(&ts);
		r->sink_records += ts.records;
	}
	unlink(path);
	return ret;
}

static void print_table(const struct result *r, unsigned int n)
{
	unsigned int i;

	printf("%-14s %10s %8s %12s %10s %10s %12s %9s\n", "scenario",
	       "records", "seconds", "records/s", "submit ns", "ring full",
	       "sink recs", "dropped");
	for (i = 0; i < n; i++)
		printf("%-14s %10llu %8.3f %12.0f %10.1f %10llu %12llu %9llu\n",
		       r[i].name, (unsigned long long)r[i].records,
		       r[i].seconds, r[i].rate, r[i].submit_ns,
		       (unsigned long long)r[i].ring_full,
		       (unsigned long long)r[i].sink_records,
		       (unsigned long long)r[i].dropped);
}

static int write_json(const char *path, const struct result *r,
		      unsigned int n)
{
	FILE *f = fopen(path, "w");
	unsigned int i;

	if (!f)
		return -errno;
	fprintf(f, "{\n  \"bench\": \"ipfix\",\n  \"nproc\": %ld,\n"
		"  \"record\": \"T21 port block + natInstanceID, %d bytes\",\n"
		"  \"results\": [\n", sysconf(_SC_NPROCESSORS_ONLN),
		PBA_REC_LEN);
	for (i = 0; i < n; i++)
		fprintf(f, "    {\"scenario\": \"%s\", \"records\": %llu, "
			"\"seconds\": %.6f, \"records_per_s\": %.0f, "
			"\"submit_ns\": %.1f, \"ring_full_retries\": %llu, "
			"\"sink_records\": %llu, \"dropped\": %llu}%s\n",
			r[i].name, (unsigned long long)r[i].records,
			r[i].seconds, r[i].rate, r[i].submit_ns,
			(unsigned long long)r[i].ring_full,
			(unsigned long long)r[i].sink_records,
			(unsigned long long)r[i].dropped,
			i + 1 < n ? "," : "");
	fprintf(f, "  ]\n}\n");
	return fclose(f) ? -errno : 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int file, udp, tcp;
	} sc[] = {
		{ "encode-only", 0, 0, 0 },
		{ "file", 1, 0, 0 },
		{ "udp", 0, 1, 0 },
		{ "tcp", 0, 0, 1 },
		{ "udp+tcp+file", 1, 1, 1 },
	};
	struct result r[5];
	uint64_t n = 2000000;
	const char *json = NULL;
	unsigned int i;
	int ret = 0;

	for (i = 1; i < (unsigned int)argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < (unsigned int)argc)
			n = strtoull(argv[++i], NULL, 0);
		else
			json = argv[i];
	}
	for (i = 0; i < 5 && !ret; i++) {
		ret = run(sc[i].name, sc[i].file, sc[i].udp, sc[i].tcp, n,
			  &r[i]);
		if (ret)
			fprintf(stderr, "bench_ipfix: %s: %s\n", sc[i].name,
				strerror(-ret));
	}
	print_table(r, i);
	if (json && write_json(json, r, i))
		fprintf(stderr, "bench_ipfix: write %s failed\n", json);
	return ret ? 1 : 0;
}
