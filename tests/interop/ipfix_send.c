// SPDX-License-Identifier: GPL-2.0
/*
 * ipfix_send: drives the real exporter for the interop scripts. Collectors
 * are given as -C transport:host:port (or file:path); only loopback hosts
 * are accepted. Without -S it submits the fixed "mix" of every event kind,
 * flushes and exits; with -S it reads commands from stdin, one per line,
 * and answers each on stdout, so a script can stop and start collectors
 * between steps:
 *   mix | pba N | rate N PER_SEC | flush MS | sleep MS | stats | quit
 * "pba" continues a running index: record k has subscriber 100.64.k/256.
 * k%256, ports 1024+256*(k%252) .. +255, time T0+1000+k ms.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exporter/ipfix.h"

#define T0		1700000000123ULL
#define IP(a, b, c, d)	((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

struct sender {
	struct ipfix_exporter *exp;
	int session_events;
	unsigned int next_pba;
	unsigned long refused;
};

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void submit(struct sender *s, const struct ipfix_event *ev)
{
	int ret = ipfix_submit(s->exp, ev);

	if (ret) {
		s->refused++;
		fprintf(stderr, "ipfix_send: submit: %s\n", strerror(-ret));
	}
}

/* The fixed set the scripts assert on; see docs/ipfix.md. */
static void send_mix(struct sender *s)
{
	struct ipfix_event pba = {
		.time_ms = T0, .nat_event = IPFIX_EV_PBA,
		.sub_addr = IP(100, 64, 0, 10), .ext_addr = IP(203, 0, 113, 1),
		.port_first = 1024, .port_last = 1279, .pool_id = 1 };
	struct ipfix_event ev[] = {
		{ .time_ms = T0 + 1, .nat_event = 3, .pool_id = 1 },
		{ .time_ms = T0 + 2, .nat_event = 12,
		  .ext_addr = IP(203, 0, 113, 2), .proto = 6 },
		{ .time_ms = T0 + 3, .nat_event = 13, .quota_event = 3,
		  .value = 8192, .sub_addr = IP(100, 64, 0, 11) },
		{ .time_ms = T0 + 4, .nat_event = 13, .quota_event = 1,
		  .value = 1048576 },
		{ .time_ms = T0 + 5, .nat_event = 18, .threshold_event = 1,
		  .value = 80, .pool_id = 1 },
		{ .time_ms = T0 + 6, .nat_event = 18, .threshold_event = 4,
		  .value = 7, .sub_addr = IP(100, 64, 0, 12) },
	};
	struct ipfix_event sess = {
		.time_ms = T0 + 7, .nat_event = 4, .proto = 17,
		.sub_addr = IP(100, 64, 0, 30), .sub_port = 5353,
		.ext_addr = IP(203, 0, 113, 3), .ext_port = 40123,
		.rem_addr = IP(198, 51, 100, 7), .rem_port = 53 };
	unsigned int i;

	submit(s, &pba);
	pba.time_ms += 3600000;		/* interim: the block is still held */
	submit(s, &pba);
	pba.time_ms += 3600000;
	pba.nat_event = IPFIX_EV_PBA_RELEASE;
	submit(s, &pba);
	for (i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
		submit(s, &ev[i]);
	if (s->session_events) {
		submit(s, &sess);
		sess.nat_event = 5;
		sess.time_ms += 60000;
		submit(s, &sess);
	}
}

static void send_pba(struct sender *s, unsigned int n, unsigned int per_sec)
{
	struct ipfix_event ev = { .nat_event = IPFIX_EV_PBA, .pool_id = 1,
				  .ext_addr = IP(203, 0, 113, 1) };
	unsigned int i, k;

	for (i = 0; i < n; i++) {
		k = s->next_pba++;
		ev.time_ms = T0 + 1000 + k;
		ev.sub_addr = IP(100, 64, (k / 256) & 0xff, k % 256);
		ev.port_first = 1024 + 256 * (k % 252);
		ev.port_last = ev.port_first + 255;
		submit(s, &ev);
		if (per_sec)
			sleep_ms(1000 / per_sec);
	}
}

static void print_stats(struct sender *s)
{
	struct ipfix_stats st;
	unsigned int i;

	ipfix_stats(s->exp, &st);
	printf("stats submitted=%llu refused=%lu rate_limited=%llu "
	       "encoded=%llu", (unsigned long long)st.submitted, s->refused,
	       (unsigned long long)st.rate_limited,
	       (unsigned long long)st.encoded);
	for (i = 0; i < st.ncollectors; i++)
		printf(" c%u_sent=%llu c%u_dropped=%llu c%u_reconnects=%llu "
		       "c%u_tmpl=%llu c%u_refused=%llu", i,
		       (unsigned long long)st.coll[i].records_sent, i,
		       (unsigned long long)st.coll[i].records_dropped, i,
		       (unsigned long long)st.coll[i].reconnects, i,
		       (unsigned long long)st.coll[i].template_msgs, i,
		       (unsigned long long)st.coll[i].msgs_refused);
	printf("\n");
}

/* Returns 1 on quit, 0 to go on, -1 on a bad line. */
static int command(struct sender *s, const char *line)
{
	unsigned int a = 0, b = 0;
	char cmd[16];
	int ret;

	if (sscanf(line, "%15s %u %u", cmd, &a, &b) < 1)
		return 0;
	if (!strcmp(cmd, "quit"))
		return 1;
	if (!strcmp(cmd, "mix"))
		send_mix(s);
	else if (!strcmp(cmd, "pba"))
		send_pba(s, a, 0);
	else if (!strcmp(cmd, "rate"))
		send_pba(s, a, b ? b : 100);
	else if (!strcmp(cmd, "sleep"))
		sleep_ms(a);
	else if (!strcmp(cmd, "stats"))
		print_stats(s);
	else if (!strcmp(cmd, "flush")) {
		ret = ipfix_flush(s->exp, a ? a : 5000);
		printf("flush %s\n", ret ? "timeout" : "ok");
	} else {
		fprintf(stderr, "ipfix_send: unknown command: %s", line);
		return -1;
	}
	if (strcmp(cmd, "flush") && strcmp(cmd, "stats"))
		printf("done %s\n", cmd);
	return 0;
}

static int is_loopback(const char *host)
{
	return !strcmp(host, "127.0.0.1") || !strcmp(host, "::1") ||
	       !strcmp(host, "localhost");
}

/* "udp:127.0.0.1:4739", "tcp:127.0.0.1:4740" or "file:/path". */
static int add_collector(struct ipfix_config *cfg, const char *spec)
{
	struct ipfix_collector *c = &cfg->collectors[cfg->ncollectors];
	char buf[300], *host, *port;
	int t;

	if (cfg->ncollectors >= IPFIX_MAX_COLLECTORS)
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", spec);
	host = strchr(buf, ':');
	if (!host)
		return -EINVAL;
	*host++ = '\0';
	t = ipfix_transport_parse(buf);
	if (t < 0)
		return t;
	port = t == IPFIX_FILE ? NULL : strrchr(host, ':');
	if (port)
		*port++ = '\0';
	if (t != IPFIX_FILE && (!port || !is_loopback(host))) {
		fprintf(stderr, "ipfix_send: loopback collectors only: %s\n",
			spec);
		return -EINVAL;
	}
	snprintf(c->host, sizeof(c->host), "%s", host);
	c->port = port ? atoi(port) : 0;
	c->transport = t;
	cfg->ncollectors++;
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ipfix_send -C udp|tcp:127.0.0.1:PORT | -C file:PATH\n"
		"  [-d domain] [-i instance] [-I (no natInstanceID)]\n"
		"  [-P (pool id)]"
		" [-s (session events)] [-r refresh_ms] [-R ratelimit_ms]\n"
		"  [-f flush_ms] [-b backoff_max_ms] [-q queue_msgs]\n"
		"  [-x export_time] [-S (commands on stdin)]\n");
}

static int parse_args(int argc, char **argv, struct ipfix_config *cfg,
		      uint32_t *xtime, int *script)
{
	int o;

	while ((o = getopt(argc, argv, "C:d:i:IPsr:R:f:b:q:x:Sh")) != -1) {
		switch (o) {
		case 'C':
			if (add_collector(cfg, optarg))
				return -EINVAL;
			break;
		case 'd': cfg->observation_domain = strtoul(optarg, NULL, 0);
			break;
		case 'i': cfg->instance = strtoul(optarg, NULL, 0); break;
		case 'I': cfg->with_instance_id = 0; break;
		case 'P': cfg->with_pool_id = 1; break;
		case 's': cfg->session_events = 1; break;
		case 'r': cfg->template_refresh_ms = strtoull(optarg, NULL, 0);
			break;
		case 'R': cfg->ratelimit_ms = strtoul(optarg, NULL, 0); break;
		case 'f': cfg->flush_ms = strtoull(optarg, NULL, 0); break;
		case 'b': cfg->reconnect_max_ms = strtoul(optarg, NULL, 0);
			cfg->reconnect_min_ms = cfg->reconnect_max_ms / 4 + 1;
			break;
		case 'q': cfg->queue_msgs = strtoul(optarg, NULL, 0); break;
		case 'x': *xtime = strtoul(optarg, NULL, 0); break;
		case 'S': *script = 1; break;
		default: return -EINVAL;
		}
	}
	return cfg->ncollectors ? 0 : -EINVAL;
}

int main(int argc, char **argv)
{
	struct ipfix_config cfg;
	struct sender s = { 0 };
	char line[256];
	uint32_t xtime = 0;
	int script = 0, ret = 0;

	ipfix_config_init(&cfg);
	cfg.observation_domain = 42;
	cfg.instance = 7;
	cfg.ratelimit_ms = 0;	/* the scripts count every record */
	if (parse_args(argc, argv, &cfg, &xtime, &script)) {
		usage();
		return 2;
	}
	s.session_events = cfg.session_events;
	ret = ipfix_create(&cfg, &s.exp);
	if (ret) {
		fprintf(stderr, "ipfix_send: create: %s\n", strerror(-ret));
		return 1;
	}
	if (xtime)
		ipfix_set_export_time(s.exp, xtime);
	ret = ipfix_start(s.exp);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!ret && !script) {
		send_mix(&s);
		ret = ipfix_flush(s.exp, 5000);
		print_stats(&s);
	}
	while (!ret && script && fgets(line, sizeof(line), stdin)) {
		ret = command(&s, line);
		if (ret == 1) {
			ret = 0;
			break;
		}
	}
	ipfix_destroy(s.exp);
	return ret || s.refused ? 1 : 0;
}
