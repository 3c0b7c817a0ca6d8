// SPDX-License-Identifier: GPL-2.0
/*
 * cmocka tests of the public exporter API. Golden files: a fixed set of
 * events with a fixed export time, exported to a file, must equal the
 * committed bytes in tests/unit/data/ipfix/ (IPFIX_REGEN=1 rewrites them,
 * IPFIX_DATA_DIR moves them), and the file is decoded back with a
 * libfixbuf collector and every field of every record checked, so the
 * golden file is itself proven right. Then: SCTP/TLS/DTLS rejection,
 * malformed events, ring full and the rate limiter behind ipfix_submit().
 * The network behaviour is in test_ipfix_net.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "exporter/ipfix.h"
#include "tests/interop/ipfix_decode.h"

#define EXPORT_TIME	1700000000u
#define T0		1700000000123ULL
#define IP(a, b, c, d)	((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static char tmpdir[64];

static int setup_dir(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/test_ipfix.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void base_config(struct ipfix_config *cfg)
{
	ipfix_config_init(cfg);
	cfg->observation_domain = 42;
	cfg->instance = 7;
	cfg->flush_ms = 60000;	/* only size, flush and stop cut messages */
}

static void add_collector(struct ipfix_config *cfg, int transport,
			  const char *host, uint16_t port)
{
	struct ipfix_collector *c = &cfg->collectors[cfg->ncollectors++];

	snprintf(c->host, sizeof(c->host), "%s", host);
	c->port = port;
	c->transport = transport;
}

static struct ipfix_event pba_ev(unsigned int i, uint8_t event)
{
	struct ipfix_event ev = {
		.time_ms = T0 + 1000 * i, .nat_event = event,
		.sub_addr = IP(100, 64, i / 256, i % 256),
		.ext_addr = IP(203, 0, 113, 1 + i % 14),
		.port_first = 1024 + 256 * (i % 252),
		.port_last = 1024 + 256 * (i % 252) + 255,
		.pool_id = 1 + i % 3,
	};
	return ev;
}

/* The golden event set: every event kind, then enough port blocks to
 * need several messages. */
static unsigned int golden_events(int full, struct ipfix_event *ev)
{
	unsigned int n = 0, i;

	ev[n++] = pba_ev(10, IPFIX_EV_PBA);
	ev[n++] = pba_ev(10, IPFIX_EV_PBA);	/* interim */
	ev[n] = pba_ev(10, IPFIX_EV_PBA_RELEASE);
	ev[n++].time_ms += 86400000;
	ev[n++] = (struct ipfix_event){ .time_ms = T0 + 1, .nat_event = 3,
					.pool_id = 1 };
	ev[n++] = (struct ipfix_event){ .time_ms = T0 + 2, .nat_event = 12,
					.ext_addr = IP(203, 0, 113, 2),
					.proto = 6 };
	for (i = 1; i <= 5; i++)
		ev[n++] = (struct ipfix_event){
			.time_ms = T0 + 10 + i, .nat_event = 13,
			.quota_event = i, .value = 1000 * i,
			.sub_addr = IP(100, 64, 0, 10 + i) };
	for (i = 1; i <= 5; i++)
		ev[n++] = (struct ipfix_event){
			.time_ms = T0 + 20 + i, .nat_event = 18,
			.threshold_event = i, .value = 70 + i, .pool_id = 2,
			.sub_addr = IP(100, 64, 0, 20 + i) };
	if (full) {
		ev[n++] = (struct ipfix_event){
			.time_ms = T0 + 30, .nat_event = 4, .proto = 17,
			.sub_addr = IP(100, 64, 0, 30), .sub_port = 5353,
			.ext_addr = IP(203, 0, 113, 3), .ext_port = 40123,
			.rem_addr = IP(198, 51, 100, 7), .rem_port = 53 };
		ev[n] = ev[n - 1];
		ev[n].nat_event = 5;
		ev[n++].time_ms += 300000;
	}
	for (i = 0; i < 120; i++)
		ev[n++] = pba_ev(256 + i, i % 2 ? IPFIX_EV_PBA_RELEASE :
						  IPFIX_EV_PBA);
	return n;
}

/* RFC 8158 IE list expected for ev, typed in from RFC-CHECKLIST 7.4. */
static unsigned int expected_ies(const struct ipfix_event *ev, int full,
				 uint16_t *ies)
{
	static const uint16_t quota_ie[] = { 0, 471, 472, 473, 474, 475 };
	static const uint16_t thresh_ie[] = { 0, 476, 477, 478, 480, 481 };
	unsigned int n = 0;

	ies[n++] = 323;
	ies[n++] = 230;
	switch (ev->nat_event) {
	case 16: case 17:
		ies[n++] = 8; ies[n++] = 225; ies[n++] = 361; ies[n++] = 362;
		if (full)
			ies[n++] = 283;
		break;
	case 4: case 5:
		ies[n++] = 8; ies[n++] = 225; ies[n++] = 4; ies[n++] = 7;
		ies[n++] = 227;
		ies[n++] = 12; ies[n++] = 226; ies[n++] = 11; ies[n++] = 228;
		break;
	case 3:
		ies[n++] = 283;
		break;
	case 12:
		ies[n++] = 225; ies[n++] = 4;
		break;
	case 13:
		ies[n++] = 466; ies[n++] = quota_ie[ev->quota_event];
		if (ev->quota_event == 3 || ev->quota_event == 5)
			ies[n++] = 8;
		break;
	case 18:
		ies[n++] = 467;
		if (ev->threshold_event <= 2)
			ies[n++] = 283;
		ies[n++] = thresh_ie[ev->threshold_event];
		if (ev->threshold_event == 4)
			ies[n++] = 8;
		break;
	}
	if (!full)
		ies[n++] = 463;
	return n;
}

static void check_value(const struct ipfix_event *ev,
			const struct ipfix_drec *r)
{
	const uint32_t *v = NULL;

	if (ev->nat_event == 13) {
		const uint32_t *q[] = { NULL, &r->max_sessions, &r->max_bib,
					&r->max_per_user, &r->max_subscribers,
					&r->max_fragments };
		assert_int_equal(r->quota_event, ev->quota_event);
		v = q[ev->quota_event];
	} else if (ev->nat_event == 18) {
		const uint32_t *t[] = { NULL, &r->pool_high, &r->pool_low,
					&r->apm_high, &r->user_high,
					&r->global_high };
		assert_int_equal(r->thresh_event, ev->threshold_event);
		v = t[ev->threshold_event];
	}
	if (v)
		assert_int_equal(*v, ev->value);
}

struct golden_ctx {
	const struct ipfix_event *ev;
	unsigned int n, i;
	int full;
	uint32_t domain;
};

static int check_record(void *arg, const struct ipfix_drec *r)
{
	struct golden_ctx *g = arg;
	const struct ipfix_event *ev = &g->ev[g->i++];
	uint16_t ies[16];
	unsigned int n = expected_ies(ev, g->full, ies), i;
	int pba = ev->nat_event == 16 || ev->nat_event == 17;
	int sess = ev->nat_event == 4 || ev->nat_event == 5;

	assert_true(g->i <= g->n);
	assert_int_equal(r->domain, g->domain);
	assert_int_equal(r->export_time, EXPORT_TIME);
	assert_int_equal(r->n_ies, n);
	for (i = 0; i < n; i++)
		assert_int_equal(r->ies[i], ies[i]);
	assert_int_equal(r->nat_event, ev->nat_event);
	assert_true(r->obs_time_ms == ev->time_ms);
	assert_int_equal(r->instance_id, g->full ? 0 : 7);
	/* Destinations only in session records (RFC 6888 REQ-12). */
	assert_int_equal(r->dst_addr, sess ? ev->rem_addr : 0);
	assert_int_equal(r->post_dst_addr, sess ? ev->rem_addr : 0);
	assert_int_equal(r->dst_port, sess ? ev->rem_port : 0);
	assert_int_equal(r->post_dst_port, sess ? ev->rem_port : 0);
	if (pba || sess || ev->nat_event == 12)
		assert_int_equal(r->post_src_addr, ev->ext_addr);
	if (pba) {
		assert_int_equal(r->port_start, ev->port_first);
		assert_int_equal(r->port_end, ev->port_last);
		assert_int_equal(r->pool_id, g->full ? ev->pool_id : 0);
	}
	if (pba || sess || (ev->nat_event == 13 && r->n_ies > 4 + !g->full) ||
	    (ev->nat_event == 18 && ev->threshold_event == 4))
		assert_int_equal(r->src_addr, ev->sub_addr);
	if (sess) {
		assert_int_equal(r->proto, ev->proto);
		assert_int_equal(r->src_port, ev->sub_port);
		assert_int_equal(r->post_src_port, ev->ext_port);
	}
	if (ev->nat_event == 12)
		assert_int_equal(r->proto, ev->proto);
	if (ev->nat_event == 3 ||
	    (ev->nat_event == 18 && ev->threshold_event <= 2))
		assert_int_equal(r->pool_id, ev->pool_id);
	check_value(ev, r);
	return 0;
}

static void *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n ? n : 1);
	*len = fread(buf, 1, n, f);
	fclose(f);
	return buf;
}

static void write_all(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Compare the exported file with the committed one (or rewrite that). */
static void compare_golden(const char *out, const char *name)
{
	const char *dir = getenv("IPFIX_DATA_DIR");
	char ref[512];
	size_t alen, blen;
	void *a, *b;

	snprintf(ref, sizeof(ref), "%s/%s", dir ? dir : "tests/unit/data/ipfix",
		 name);
	a = read_all(out, &alen);
	assert_non_null(a);
	if (getenv("IPFIX_REGEN")) {
		write_all(ref, a, alen);
		fprintf(stderr, "regenerated %s (%zu bytes)\n", ref, alen);
	}
	b = read_all(ref, &blen);
	if (!b)
		fail_msg("no golden file %s (IPFIX_REGEN=1 makes it)", ref);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(a);
	free(b);
}

static void golden(int full, const char *name)
{
	static struct ipfix_event ev[256];
	struct golden_ctx g = { .ev = ev, .full = full };
	struct ipfix_config cfg;
	struct ipfix_exporter *exp;
	struct ipfix_stats st;
	char out[128];
	unsigned int i;

	base_config(&cfg);
	cfg.observation_domain = full ? 43 : 42;
	cfg.with_instance_id = !full;
	cfg.with_pool_id = full;
	cfg.session_events = full;
	snprintf(out, sizeof(out), "%s/%s", tmpdir, name);
	add_collector(&cfg, IPFIX_FILE, out, 0);
	g.n = golden_events(full, ev);
	g.domain = cfg.observation_domain;
	assert_int_equal(ipfix_create(&cfg, &exp), 0);
	ipfix_set_export_time(exp, EXPORT_TIME);
	assert_int_equal(ipfix_start(exp), 0);
	for (i = 0; i < g.n; i++)
		assert_int_equal(ipfix_submit(exp, &ev[i]), 0);
	assert_int_equal(ipfix_flush(exp, 5000), 0);
	ipfix_stats(exp, &st);
	assert_int_equal(st.coll[0].records_sent, g.n);
	assert_int_equal(st.coll[0].records_dropped, 0);
	assert_true(st.coll[0].msgs_sent >= 3);	/* templates + 2 data */
	ipfix_destroy(exp);

	/* The file is right: every field decodes back as submitted... */
	assert_int_equal(ipfix_decode_file(out, check_record, &g), g.n);
	assert_int_equal(g.i, g.n);
	/* ...and it has not changed by a byte. */
	compare_golden(out, name);
}

static void test_golden_default(void **state)
{
	(void)state;
	golden(0, "golden_default.ipfix");
}

static void test_golden_full(void **state)
{
	(void)state;
	golden(1, "golden_full.ipfix");
}

static void test_rejects_tls_sctp(void **state)
{
	static const int bad[] = { IPFIX_SCTP, IPFIX_TLS_TCP, IPFIX_DTLS_UDP };
	struct ipfix_config cfg;
	struct ipfix_exporter *exp = NULL;
	unsigned int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		base_config(&cfg);
		add_collector(&cfg, IPFIX_UDP, "127.0.0.1", 4739);
		add_collector(&cfg, bad[i], "127.0.0.1", 4740);
		/* libfixbuf would abort the process (SIGTRAP) here. */
		assert_int_equal(ipfix_create(&cfg, &exp), -EPROTONOSUPPORT);
	}
	assert_int_equal(ipfix_transport_parse("tls"), IPFIX_TLS_TCP);
	assert_int_equal(ipfix_transport_parse("DTLS"), IPFIX_DTLS_UDP);
	assert_int_equal(ipfix_transport_parse("sctp"), IPFIX_SCTP);
	assert_int_equal(ipfix_transport_parse("tcp"), IPFIX_TCP);
	assert_int_equal(ipfix_transport_parse("quic"), -EINVAL);
	base_config(&cfg);
	add_collector(&cfg, 99, "127.0.0.1", 4739);
	assert_int_equal(ipfix_create(&cfg, &exp), -EINVAL);
	base_config(&cfg);
	add_collector(&cfg, IPFIX_UDP, "127.0.0.1", 0);
	assert_int_equal(ipfix_create(&cfg, &exp), -EINVAL);
	base_config(&cfg);
	cfg.template_refresh_ms = 0;
	assert_int_equal(ipfix_create(&cfg, &exp), -EINVAL);
}

static void test_bad_events(void **state)
{
	struct ipfix_config cfg;
	struct ipfix_exporter *exp;
	struct ipfix_event ev = pba_ev(0, IPFIX_EV_PBA);

	(void)state;
	base_config(&cfg);
	assert_int_equal(ipfix_create(&cfg, &exp), 0);
	ev.nat_event = 1;	/* Historic */
	assert_int_equal(ipfix_submit(exp, &ev), -EINVAL);
	ev.nat_event = 2;
	assert_int_equal(ipfix_submit(exp, &ev), -EINVAL);
	ev.nat_event = IPFIX_EV_SESSION_CREATE;
	assert_int_equal(ipfix_submit(exp, &ev), -EOPNOTSUPP);
	ev = pba_ev(0, IPFIX_EV_PBA);
	ev.port_last = ev.port_first - 1;
	assert_int_equal(ipfix_submit(exp, &ev), -EINVAL);
	/* Not started. */
	assert_int_equal(ipfix_flush(exp, 10), -EINVAL);
	ipfix_destroy(exp);
}

static void test_ring_full(void **state)
{
	struct ipfix_config cfg;
	struct ipfix_exporter *exp;
	struct ipfix_stats st;
	struct ipfix_event ev;
	unsigned int i;

	(void)state;
	base_config(&cfg);
	cfg.ring_size = 4;
	assert_int_equal(ipfix_create(&cfg, &exp), 0);
	/* Not started: nothing drains the ring. */
	for (i = 0; i < 4; i++) {
		ev = pba_ev(i, IPFIX_EV_PBA);
		assert_int_equal(ipfix_submit(exp, &ev), 0);
	}
	assert_int_equal(ipfix_submit(exp, &ev), -ENOBUFS);
	assert_int_equal(ipfix_submit(exp, &ev), -ENOBUFS);
	ipfix_stats(exp, &st);
	assert_int_equal(st.submitted, 4);
	assert_int_equal(st.ring_full, 2);
	/* Started, the thread drains it and there is room again. */
	assert_int_equal(ipfix_start(exp), 0);
	assert_int_equal(ipfix_flush(exp, 2000), 0);
	assert_int_equal(ipfix_submit(exp, &ev), 0);
	assert_int_equal(ipfix_flush(exp, 2000), 0);
	ipfix_stats(exp, &st);
	assert_int_equal(st.encoded, 5);
	ipfix_destroy(exp);
}

static void test_rate_limit(void **state)
{
	struct ipfix_config cfg;
	struct ipfix_exporter *exp;
	struct ipfix_stats st;
	struct ipfix_event ev = { .nat_event = IPFIX_EV_ADDR_EXHAUSTED,
				  .pool_id = 1 };
	unsigned int i;

	(void)state;
	base_config(&cfg);
	assert_int_equal(ipfix_create(&cfg, &exp), 0);
	/* 10k per second against one pool: one record per second. */
	for (i = 0; i < 20000; i++) {
		ev.time_ms = T0 + i / 10;
		assert_int_equal(ipfix_submit(exp, &ev), 0);
	}
	ev.pool_id = 2;
	assert_int_equal(ipfix_submit(exp, &ev), 0);
	ev.nat_event = IPFIX_EV_PORTS_EXHAUSTED;
	ev.proto = 6;
	assert_int_equal(ipfix_submit(exp, &ev), 0);
	assert_int_equal(ipfix_submit(exp, &ev), 0);
	ipfix_stats(exp, &st);
	assert_int_equal(st.submitted, 2 + 1 + 1);
	assert_int_equal(st.rate_limited, 20000 - 2 + 1);
	ipfix_destroy(exp);

	cfg.ratelimit_ms = 0;	/* off */
	assert_int_equal(ipfix_create(&cfg, &exp), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(ipfix_submit(exp, &ev), 0);
	ipfix_stats(exp, &st);
	assert_int_equal(st.submitted, 10);
	ipfix_destroy(exp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_default),
		cmocka_unit_test(test_golden_full),
		cmocka_unit_test(test_rejects_tls_sctp),
		cmocka_unit_test(test_bad_events),
		cmocka_unit_test(test_ring_full),
		cmocka_unit_test(test_rate_limit),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
