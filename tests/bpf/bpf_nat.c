// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_nat.c - packet tests of the XDP program through BPF_PROG_TEST_RUN.
 * Each translated packet is compared byte for byte with a reference
 * frame built from scratch (every rewritten field, both checksums, MACs
 * from the FIB, TTL). Malformed inputs run as a table of {input, side,
 * expected action, expected counter}.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/cgnat.skel.h"

#include "tests/bpf/harness.h"

static struct harness H;

#define S1 "198.51.100.10"
#define S2 "198.51.100.20"
#define H1 "100.64.0.10"
#define H2 "100.64.0.11"
#define H3 "100.64.1.10"

static const uint8_t *mac_of(uint32_t a)
{
	if (a == pkt_ip(H2))
		return h_mac_h2;
	if (a == pkt_ip(H3))
		return h_mac_h3;
	return h_mac_h1;
}

static struct pkt_spec spec(uint8_t proto, const char *src, uint16_t sport,
			    const char *dst, uint16_t dport, int side)
{
	struct pkt_spec s = { .proto = proto, .saddr = pkt_ip(src),
			      .daddr = pkt_ip(dst), .sport = sport,
			      .dport = dport, .payload = 32, .ip_id = 77 };

	if (proto == 6)
		s.tcp_flags = 0x02;
	if (proto == 1)
		s.icmp_type = side == H_INSIDE ? 8 : 0;
	memcpy(s.smac, side == H_INSIDE ? mac_of(s.saddr) : h_mac_gw, 6);
	memcpy(s.dmac, side == H_INSIDE ? h_mac_tin : h_mac_tout, 6);
	return s;
}

static int run(int side, const struct pkt_spec *s, uint8_t *out,
	       size_t *olen)
{
	uint8_t in[512];
	size_t len = pkt_build(in, sizeof(in), s);

	*olen = 512;
	return h_run(&H, side, in, len, out, olen);
}

/* Runs 'in' and checks the output equals 'want' built from scratch. */
static void expect_frame(int side, const struct pkt_spec *in,
			 const struct pkt_spec *want, int action)
{
	uint8_t out[512], ref[512];
	size_t olen, rlen = pkt_build(ref, sizeof(ref), want);

	assert_int_equal(run(side, in, out, &olen), action);
	assert_int_equal(pkt_diff(out, olen, ref, rlen), 0);
}

static uint16_t out_port(const uint8_t *out, const struct pkt_spec *s)
{
	const uint8_t *l4 = out + pkt_l4_off(s);

	return s->proto == 1 ? (l4[4] << 8 | l4[5]) : (l4[0] << 8 | l4[1]);
}

/* Sends an outbound packet; checks it left fully translated. Returns
 * the external port, external address in *ext.
 */
static uint16_t xlate_out(const struct pkt_spec *s, uint32_t *ext)
{
	uint8_t out[512];
	size_t olen;
	struct pkt_spec w = *s;
	uint16_t port;

	assert_int_equal(run(H_INSIDE, s, out, &olen), XDP_REDIRECT);
	memcpy(ext, out + 14 + 12, 4);
	port = out_port(out, s);
	assert_true(port >= 1024);
	assert_true((ntohl(*ext) & 0xffffff00) == 0xcb007100); /* pool /24 */
	w.saddr = *ext;
	w.sport = port;
	w.ttl = (s->ttl ? s->ttl : 64) - 1;
	memcpy(w.smac, h_mac_tout, 6);
	memcpy(w.dmac, h_mac_gw, 6);
	expect_frame(H_INSIDE, s, &w, XDP_REDIRECT);	/* established too */
	return port;
}

/* An inbound packet to (ext, eport) must reach (int, iport). */
static void xlate_in(struct pkt_spec s, const char *int_addr,
		     uint16_t iport)
{
	struct pkt_spec w = s;

	w.daddr = pkt_ip(int_addr);
	w.dport = iport;
	if (s.proto == 1)
		w.sport = iport;
	w.ttl = (s.ttl ? s.ttl : 64) - 1;
	memcpy(w.smac, h_mac_tin, 6);
	memcpy(w.dmac, mac_of(w.daddr), 6);
	expect_frame(H_OUTSIDE, &s, &w, XDP_REDIRECT);
}

static char ext_str[4][16];

static const char *ip_str(uint32_t a, int slot)
{
	inet_ntop(AF_INET, &a, ext_str[slot], sizeof(ext_str[slot]));
	return ext_str[slot];
}

static int setup(void **st)
{
	(void)st;
	return h_load(&H, 1, 256, 8, 1);
}

static int setup4(void **st)
{
	(void)st;
	return h_load(&H, 4, 64, 2, 1);
}

static int setup_empty(void **st)
{
	(void)st;
	return h_load(&H, 1, 256, 8, 0);
}

static int teardown(void **st)
{
	(void)st;
	h_unload(&H);
	return 0;
}

static void test_udp_out_and_in(void **st)
{
	struct pkt_spec s = spec(17, H1, 5000, S1, 7, H_INSIDE);
	uint32_t ext;
	uint16_t p = xlate_out(&s, &ext);

	(void)st;
	assert_int_equal(p % 2, 0);	/* parity kept */
	xlate_in(spec(17, S1, 7, ip_str(ext, 0), p, H_OUTSIDE), H1, 5000);
	assert_int_equal(h_stat(&H, STAT_XLATE_OUT), 2);
	assert_int_equal(h_stat(&H, STAT_XLATE_IN), 1);
	assert_int_equal(h_stat(&H, STAT_NEW_MAPPING), 1);
	assert_int_equal(h_stat(&H, STAT_BLOCK_TAKEN), 1);
}

static void test_tcp_out_and_in(void **st)
{
	struct pkt_spec s = spec(6, H1, 40001, S1, 80, H_INSIDE);
	struct pkt_spec r;
	uint32_t ext;
	uint16_t p = xlate_out(&s, &ext);

	(void)st;
	assert_int_equal(p % 2, 1);
	r = spec(6, S1, 80, ip_str(ext, 0), p, H_OUTSIDE);
	r.tcp_flags = 0x12;
	xlate_in(r, H1, 40001);
}

static void test_udp_zero_csum_and_options(void **st)
{
	struct pkt_spec s = spec(17, H1, 5002, S1, 7, H_INSIDE);
	uint32_t ext;

	(void)st;
	s.udp_nocsum = 1;
	s.opt_words = 2;
	xlate_out(&s, &ext);	/* reference keeps checksum 0, options */
}

static void test_icmp_echo(void **st)
{
	struct pkt_spec s = spec(1, H1, 0x1234, S1, 0, H_INSIDE);
	uint32_t ext;
	uint16_t id = xlate_out(&s, &ext);

	(void)st;
	xlate_in(spec(1, S1, id, ip_str(ext, 0), id, H_OUTSIDE), H1, 0x1234);
}

static void test_eim_many_destinations(void **st)
{
	struct pkt_spec s = spec(17, H1, 5000, S1, 7, H_INSIDE);
	uint32_t ext0, ext;
	uint16_t p0, i;
	char dst[32];

	(void)st;
	p0 = xlate_out(&s, &ext0);
	for (i = 0; i < 50; i++) {
		snprintf(dst, sizeof(dst), "198.51.100.%u", 100 + i);
		s = spec(17, H1, 5000, dst, 1000 + i, H_INSIDE);
		assert_int_equal(xlate_out(&s, &ext), p0);
		assert_int_equal(ext, ext0);
	}
}

static void test_parity(void **st)
{
	uint32_t ext;
	uint16_t i, p;

	(void)st;
	for (i = 0; i < 20; i++) {
		struct pkt_spec s = spec(17, H1, 7000 + i, S1, 7, H_INSIDE);

		p = xlate_out(&s, &ext);
		assert_int_equal(p % 2, (7000 + i) % 2);
	}
}

static void test_tcp_state_timers(void **st)
{
	struct pkt_spec s = spec(6, H1, 41000, S1, 443, H_INSIDE), r;
	struct cgnat_sess ss;
	uint32_t ext;
	uint16_t p = xlate_out(&s, &ext);
	uint8_t out[512];
	size_t olen;
	uint64_t s240 = 240ull * 1000000000, s7440 = 7440ull * 1000000000;

	(void)st;
	assert_int_equal(h_sess(&H, 6, pkt_ip(H1), 41000, pkt_ip(S1), 443,
				&ss), 0);
	assert_int_equal(ss.tcp_seen, CGNAT_TCP_SYN_OUT);
	assert_true(ss.expires_ns - h_now_ns() >= s240);
	assert_true(ss.expires_ns - h_now_ns() < s7440);

	r = spec(6, S1, 443, ip_str(ext, 0), p, H_OUTSIDE);
	r.tcp_flags = 0x12;	/* SYN-ACK: established (RFC 7857 2.1) */
	assert_int_equal(run(H_OUTSIDE, &r, out, &olen), XDP_REDIRECT);
	assert_int_equal(h_sess(&H, 6, pkt_ip(H1), 41000, pkt_ip(S1), 443,
				&ss), 0);
	assert_true(ss.expires_ns - h_now_ns() >= s7440);

	s.tcp_flags = 0x14;	/* RST: back to the transitory timer */
	assert_int_equal(run(H_INSIDE, &s, out, &olen), XDP_REDIRECT);
	assert_int_equal(h_sess(&H, 6, pkt_ip(H1), 41000, pkt_ip(S1), 443,
				&ss), 0);
	assert_true(ss.tcp_seen & CGNAT_TCP_RST);
	assert_true(ss.expires_ns - h_now_ns() >= s240);
	assert_true(ss.expires_ns - h_now_ns() < 2 * s240);
}

static void test_udp_icmp_timers(void **st)
{
	struct pkt_spec u = spec(17, H1, 5300, S1, 7, H_INSIDE);
	struct pkt_spec i = spec(1, H1, 99, S1, 0, H_INSIDE);
	struct cgnat_sess ss;
	uint32_t ext;
	uint64_t left;

	(void)st;
	xlate_out(&u, &ext);
	xlate_out(&i, &ext);
	assert_int_equal(h_sess(&H, 17, pkt_ip(H1), 5300, pkt_ip(S1), 7, &ss),
			 0);
	left = ss.expires_ns - h_now_ns();
	assert_true(left >= 300ull * 1000000000 && left < 310ull * 1000000000);
	assert_int_equal(h_sess(&H, 1, pkt_ip(H1), 99, pkt_ip(S1), 0, &ss), 0);
	left = ss.expires_ns - h_now_ns();
	assert_true(left >= 60ull * 1000000000 && left < 70ull * 1000000000);
}

static void set_filtering(uint32_t mode)
{
	H.o.cfg.filtering = mode;
	assert_int_equal(dp_set_cfg(&H.dp, &H.o.cfg), 0);
}

/* After H1:5000 -> S1:7, which inbound packets get in? */
static void filtering_case(uint32_t mode, int s2_ok, int s1_other_ok)
{
	struct pkt_spec s = spec(17, H1, 5000, S1, 7, H_INSIDE), r;
	uint8_t out[512];
	size_t olen;
	uint32_t ext;
	uint16_t p;

	set_filtering(mode);
	p = xlate_out(&s, &ext);
	r = spec(17, S2, 7, ip_str(ext, 0), p, H_OUTSIDE);
	assert_int_equal(run(H_OUTSIDE, &r, out, &olen),
			 s2_ok ? XDP_REDIRECT : XDP_DROP);
	r = spec(17, S1, 8, ip_str(ext, 0), p, H_OUTSIDE);
	assert_int_equal(run(H_OUTSIDE, &r, out, &olen),
			 s1_other_ok ? XDP_REDIRECT : XDP_DROP);
	xlate_in(spec(17, S1, 7, ip_str(ext, 0), p, H_OUTSIDE), H1, 5000);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_FILTERED),
			 !s2_ok + !s1_other_ok);
}

static void test_filter_eif(void **st)
{
	(void)st;
	filtering_case(CGNAT_FILTER_EIF, 1, 1);
}

static void test_filter_adf(void **st)
{
	(void)st;
	filtering_case(CGNAT_FILTER_ADF, 0, 1);
}

static void test_filter_apdf(void **st)
{
	(void)st;
	filtering_case(CGNAT_FILTER_APDF, 0, 0);
}

/* H1 reaches H2's mapping; H2 sees E(H1):p1 and answers through it. */
static void hairpin_case(uint8_t proto)
{
	struct pkt_spec s2 = spec(proto, H2, 6000, S1, 7, H_INSIDE), a, w;
	struct pkt_spec s1 = spec(proto, H1, 5000, S1, 7, H_INSIDE);
	uint32_t e1, e2;
	uint16_t p1, p2;
	int i;

	p2 = xlate_out(&s2, &e2);
	p1 = xlate_out(&s1, &e1);
	for (i = 0; i < 2; i++) {	/* new, then established */
		a = spec(proto, H1, 5000, ip_str(e2, 1), p2, H_INSIDE);
		w = a;
		w.saddr = e1;
		w.sport = p1;
		w.daddr = pkt_ip(H2);
		w.dport = 6000;
		w.ttl = 63;
		memcpy(w.smac, h_mac_tin, 6);
		memcpy(w.dmac, h_mac_h2, 6);
		expect_frame(H_INSIDE, &a, &w, XDP_REDIRECT);
	}
	a = spec(proto, H2, 6000, ip_str(e1, 0), p1, H_INSIDE);
	if (proto == 6)
		a.tcp_flags = 0x12;
	w = a;
	w.saddr = e2;
	w.sport = p2;
	w.daddr = pkt_ip(H1);
	w.dport = 5000;
	w.ttl = 63;
	memcpy(w.smac, h_mac_tin, 6);
	memcpy(w.dmac, h_mac_h1, 6);
	expect_frame(H_INSIDE, &a, &w, XDP_REDIRECT);
	assert_int_equal(h_stat(&H, STAT_HAIRPIN), 3);
}

static void test_hairpin_udp(void **st)
{
	(void)st;
	hairpin_case(17);
}

static void test_hairpin_tcp(void **st)
{
	(void)st;
	hairpin_case(6);
}

static void test_hairpin_off(void **st)
{
	struct pkt_spec s2 = spec(17, H2, 6000, S1, 7, H_INSIDE), a;
	uint8_t out[512];
	size_t olen;
	uint32_t e2;
	uint16_t p2 = xlate_out(&s2, &e2);

	(void)st;
	H.o.cfg.hairpinning = 0;
	assert_int_equal(dp_set_cfg(&H.dp, &H.o.cfg), 0);
	a = spec(17, H1, 5000, ip_str(e2, 1), p2, H_INSIDE);
	assert_int_equal(run(H_INSIDE, &a, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_HAIRPIN_OFF), 1);
}

struct evlog {
	int n;
	struct cgnat_event ev[64];
};

static int on_event(void *ctx, void *data, size_t len)
{
	struct evlog *l = ctx;

	if (len >= sizeof(struct cgnat_event) && l->n < 64)
		memcpy(&l->ev[l->n++], data, sizeof(struct cgnat_event));
	return 0;
}

static void read_events(struct evlog *l)
{
	struct ring_buffer *rb;

	memset(l, 0, sizeof(*l));
	rb = ring_buffer__new(dp_events_fd(&H.dp), on_event, l, NULL);
	assert_non_null(rb);
	ring_buffer__consume(rb);
	ring_buffer__free(rb);
}

/* 4 addresses, 64-port blocks, max 2 blocks: subscribers are spread over
 * the addresses, a subscriber's second block is on its own address, and
 * the 129th flow hits the quota.
 */
static void test_paired_growth_quota(void **st)
{
	uint32_t e[3], ext;
	uint16_t i, first[2];
	struct pkt_spec s;
	uint8_t out[512];
	size_t olen;
	struct evlog l;
	const char *subs[3] = { H1, H2, H3 };

	(void)st;
	for (i = 0; i < 3; i++) {
		s = spec(17, subs[i], 5000, S1, 7, H_INSIDE);
		xlate_out(&s, &e[i]);
	}
	assert_int_not_equal(e[0], e[1]);	/* balanced placement */
	assert_int_not_equal(e[1], e[2]);
	assert_int_not_equal(e[0], e[2]);
	for (i = 1; i < 128; i++) {
		s = spec(17, H1, 5000 + i, i % 2 ? S1 : S2, 7, H_INSIDE);
		xlate_out(&s, &ext);
		assert_int_equal(ext, e[0]);	/* paired pooling */
	}
	s = spec(17, H1, 9999, S1, 7, H_INSIDE);
	assert_int_equal(run(H_INSIDE, &s, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_QUOTA), 1);
	read_events(&l);
	/* 3 first blocks, H1's second block, then the quota event. */
	assert_int_equal(l.n, 5);
	for (i = 0; i < 4; i++) {
		assert_int_equal(l.ev[i].type, EVT_BLOCK_ASSIGNED);
		assert_int_equal(l.ev[i].port_last - l.ev[i].port_first, 63);
		assert_int_equal((l.ev[i].port_first - 1024) % 64, 0);
	}
	first[0] = l.ev[0].port_first;
	first[1] = l.ev[3].port_first;
	assert_int_equal(l.ev[3].sub_addr, pkt_ip(H1));
	assert_int_equal(l.ev[3].ext_addr, e[0]);
	assert_int_not_equal(first[0], first[1]);
	assert_int_equal(l.ev[4].type, EVT_QUOTA_BLOCKS);
	assert_int_equal(l.ev[4].sub_addr, pkt_ip(H1));
	assert_int_equal(l.ev[4].value, 2);
	assert_true(l.ev[0].time_tai_ns > 0);
}

static void test_pool_empty(void **st)
{
	struct pkt_spec s = spec(17, H1, 5000, S1, 7, H_INSIDE);
	uint8_t out[512];
	size_t olen;
	struct evlog l;

	(void)st;
	assert_int_equal(run(H_INSIDE, &s, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_POOL_EMPTY), 1);
	read_events(&l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.ev[0].type, EVT_POOL_EMPTY);
	assert_int_equal(l.ev[0].sub_addr, pkt_ip(H1));
	/* Granted later, the same flow goes through at once. */
	pb_refill(&H.pb, &H.pv);
	assert_int_equal(run(H_INSIDE, &s, out, &olen), XDP_REDIRECT);
}

static void test_session_limit(void **st)
{
	struct pkt_spec s;
	uint8_t out[512];
	size_t olen;
	uint32_t ext;
	int i;

	(void)st;
	H.o.cfg.sess_per_sub = 3;
	assert_int_equal(dp_set_cfg(&H.dp, &H.o.cfg), 0);
	for (i = 0; i < 3; i++) {
		s = spec(17, H1, 5000 + i, S1, 7, H_INSIDE);
		xlate_out(&s, &ext);
	}
	s = spec(17, H1, 6000, S1, 7, H_INSIDE);
	assert_int_equal(run(H_INSIDE, &s, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_SESS_LIMIT), 1);
}

/* Malformed and non-NAT inputs: {what, side, mutation, action, counter}. */
struct bad_case {
	const char *name;
	int side;
	void (*mutate)(uint8_t *buf, size_t *len, struct pkt_spec *s);
	int action;
	int stat;
};

static void m_trunc_ip(uint8_t *b, size_t *len, struct pkt_spec *s)
{
	(void)b, (void)s;
	*len = 14 + 12;
}

static void m_bad_ihl(uint8_t *b, size_t *len, struct pkt_spec *s)
{
	(void)len, (void)s;
	b[14] = 0x44;
}

static void m_long_totlen(uint8_t *b, size_t *len, struct pkt_spec *s)
{
	(void)s;
	b[16] = (*len >> 8) + 1;
}

static void m_arp(uint8_t *b, size_t *len, struct pkt_spec *s)
{
	(void)len, (void)s;
	b[12] = 0x08;
	b[13] = 0x06;
}

static void m_ipv6(uint8_t *b, size_t *len, struct pkt_spec *s)
{
	(void)len, (void)s;
	b[12] = 0x86;
	b[13] = 0xdd;
}

static void m_bad_ipcsum(uint8_t *b, size_t *len, struct pkt_spec *s)
{
	(void)len, (void)s;
	b[14 + 10] ^= 0x5a;
}

static void m_trunc_l4(uint8_t *b, size_t *len, struct pkt_spec *s)
{
	(void)b;
	*len = pkt_l4_off(s) + 6;
	b[16] = 0;
	b[17] = *len - 14;
}

static void m_tcp_doff(uint8_t *b, size_t *len, struct pkt_spec *s)
{
	(void)len;
	b[pkt_l4_off(s) + 12] = 4 << 4;
}

static void m_none(uint8_t *b, size_t *len, struct pkt_spec *s)
{
	(void)b, (void)len, (void)s;
}

static struct pkt_spec bad_spec(const struct bad_case *c)
{
	const char *n = c->name;
	struct pkt_spec s;

	if (c->side == H_OUTSIDE) {
		s = spec(17, S1, 7, strstr(n, "not pool") ? "198.51.100.99" :
							    "203.0.113.1",
			 5000, H_OUTSIDE);
		if (strstr(n, "echo"))
			s = spec(1, S1, 5, "203.0.113.1", 0, H_OUTSIDE),
			s.icmp_type = 8;
	} else {
		s = spec(strstr(n, "tcp") ? 6 : 17,
			 strstr(n, "spoof") ? "10.1.2.3" : H1, 5000,
			 strstr(n, "local") ? "100.64.0.1" : S1,
			 strstr(n, "port 0") ? 0 : 7, H_INSIDE);
		if (strstr(n, "ack"))
			s.tcp_flags = 0x10;
		if (strstr(n, "gre"))
			s.proto = 47;
		if (strstr(n, "icmp error"))
			s.proto = 1, s.icmp_type = 3;
	}
	if (strstr(n, "fragment"))
		s.frag = 0x2000 | 4;	/* a later fragment, offset 32 */
	if (strstr(n, "ttl"))
		s.ttl = 1;
	return s;
}

static const struct bad_case bad_cases[] = {
	{ "truncated ip header", H_INSIDE, m_trunc_ip, XDP_DROP,
	  STAT_DROP_BASE + REASON_MALFORMED },
	{ "ihl below 5", H_INSIDE, m_bad_ihl, XDP_DROP,
	  STAT_DROP_BASE + REASON_MALFORMED },
	{ "total length beyond frame", H_INSIDE, m_long_totlen, XDP_DROP,
	  STAT_DROP_BASE + REASON_MALFORMED },
	{ "bad ip checksum on new flow", H_INSIDE, m_bad_ipcsum, XDP_DROP,
	  STAT_DROP_BASE + REASON_MALFORMED },
	{ "truncated udp header", H_INSIDE, m_trunc_l4, XDP_DROP,
	  STAT_DROP_BASE + REASON_MALFORMED },
	{ "tcp data offset below 5", H_INSIDE, m_tcp_doff, XDP_DROP,
	  STAT_DROP_BASE + REASON_MALFORMED },
	{ "arp to kernel", H_INSIDE, m_arp, XDP_PASS, STAT_PASS_NON_IP },
	{ "ipv6 to kernel", H_OUTSIDE, m_ipv6, XDP_PASS, STAT_PASS_NON_IP },
	{ "early fragment: held", H_INSIDE, m_none, XDP_DROP,
	  STAT_FRAG_HELD },
	{ "fragment from spoofed source", H_INSIDE, m_none, XDP_DROP,
	  STAT_DROP_BASE + REASON_SPOOF },
	{ "fragment to the box (local)", H_INSIDE, m_none, XDP_PASS,
	  STAT_PASS_LOCAL },
	{ "spoofed source", H_INSIDE, m_none, XDP_DROP,
	  STAT_DROP_BASE + REASON_SPOOF },
	{ "port 0", H_INSIDE, m_none, XDP_DROP,
	  STAT_DROP_BASE + REASON_PORT_ZERO },
	{ "tcp ack without session", H_INSIDE, m_none, XDP_DROP,
	  STAT_DROP_BASE + REASON_TCP_NO_SYN },
	{ "gre to internet", H_INSIDE, m_none, XDP_DROP,
	  STAT_DROP_BASE + REASON_PROTO },
	{ "icmp error, quote not ipv4", H_INSIDE, m_none, XDP_DROP,
	  STAT_DROP_BASE + REASON_MALFORMED },
	{ "to the box itself (local)", H_INSIDE, m_none, XDP_PASS,
	  STAT_PASS_LOCAL },
	{ "ttl 1: time exceeded", H_INSIDE, m_none, XDP_REDIRECT,
	  STAT_TTL_EXPIRED },
	{ "outside not pool", H_OUTSIDE, m_none, XDP_PASS,
	  STAT_PASS_NOT_NAT },
	{ "outside unsolicited", H_OUTSIDE, m_none, XDP_DROP,
	  STAT_DROP_BASE + REASON_UNSOLICITED },
	{ "outside echo request", H_OUTSIDE, m_none, XDP_DROP,
	  STAT_DROP_BASE + REASON_UNSOLICITED },
	{ "outside early fragment: held", H_OUTSIDE, m_none, XDP_DROP,
	  STAT_FRAG_HELD },
	{ "outside fragment not pool", H_OUTSIDE, m_none, XDP_PASS,
	  STAT_PASS_NOT_NAT },
};

static void test_bad_inputs(void **st)
{
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct pkt_spec s = bad_spec(c);
		uint8_t in[512], out[512];
		size_t len = pkt_build(in, sizeof(in), &s), olen = 512;
		uint64_t before = h_stat(&H, c->stat);
		uint64_t xl = h_stat(&H, STAT_XLATE_OUT);
		int act;

		c->mutate(in, &len, &s);
		act = h_run(&H, c->side, in, len, out, &olen);
		printf("# %-32s action %d counter %s +%llu\n", c->name, act,
		       dp_stat_names[c->stat],
		       (unsigned long long)(h_stat(&H, c->stat) - before));
		assert_int_equal(act, c->action);
		assert_int_equal(h_stat(&H, c->stat) - before, 1);
		assert_int_equal(h_stat(&H, STAT_XLATE_OUT), xl);
		if (act == XDP_PASS)	/* untouched for the kernel */
			assert_memory_equal(out, in, len);
	}
	assert_int_equal(h_stat(&H, STAT_NEW_MAPPING), 0);
}


static struct cgnat_sweep_args sweep_at(uint64_t plus_s)
{
	struct cgnat_sweep_args a = { .now_ns = h_now_ns() + plus_s * 1000000000ull };

	assert_int_equal(dp_sweep(&H.dp, &a), 0);
	return a;
}

static int port_bit(uint32_t ext, uint16_t port, int pidx)
{
	uint32_t ai = 0;

	while (ai < 4 && H.addrs[ai] != ext)
		ai++;
	return !!(H.dp.v.ports[ai * CGNAT_NPROTO + pidx].w[port / 64] &
		  (1ull << (port % 64)));
}

/* A UDP flow outlives its timer minus one second, then goes with its
 * mapping and its port; the same source then maps afresh.
 */
static void test_sweep_udp_expiry(void **st)
{
	struct pkt_spec s = spec(17, H1, 5000, S1, 7, H_INSIDE);
	struct cgnat_sweep_args a;
	struct cgnat_sess ss;
	uint32_t ext;
	uint16_t p = xlate_out(&s, &ext);

	(void)st;
	assert_true(port_bit(ext, p, CGNAT_P_UDP));
	a = sweep_at(299);
	assert_int_equal(a.sessions_expired, 0);
	assert_int_equal(a.mappings_expired, 0);
	a = sweep_at(302);
	assert_int_equal(a.sessions_expired, 1);
	assert_int_equal(a.mappings_expired, 1);
	assert_int_not_equal(h_sess(&H, 17, pkt_ip(H1), 5000, pkt_ip(S1), 7,
				    &ss), 0);
	assert_false(port_bit(ext, p, CGNAT_P_UDP));
	assert_int_equal(H.dp.v.subs[0].sessions, 0);
	xlate_out(&s, &ext);	/* a new mapping for the same source */
	assert_int_equal(h_stat(&H, STAT_NEW_MAPPING), 2);
}

/* Established TCP outlives the transitory timer; after RST it does not. */
static void test_sweep_tcp_timers(void **st)
{
	struct pkt_spec s = spec(6, H1, 41000, S1, 443, H_INSIDE), r;
	uint8_t out[512];
	size_t olen;
	uint32_t ext;
	uint16_t p = xlate_out(&s, &ext);

	(void)st;
	r = spec(6, S1, 443, ip_str(ext, 0), p, H_OUTSIDE);
	r.tcp_flags = 0x12;
	assert_int_equal(run(H_OUTSIDE, &r, out, &olen), XDP_REDIRECT);
	assert_int_equal(sweep_at(600).sessions_expired, 0);
	s.tcp_flags = 0x04;	/* RST */
	assert_int_equal(run(H_INSIDE, &s, out, &olen), XDP_REDIRECT);
	assert_int_equal(sweep_at(238).sessions_expired, 0);
	assert_int_equal(sweep_at(242).sessions_expired, 1);
}

/* A mapping a packet just marked in use survives the sweep that would
 * otherwise take it (the handshake of nat_map_use).
 */
static void test_sweep_keeps_marked_mapping(void **st)
{
	struct pkt_spec s = spec(17, H1, 5000, S1, 7, H_INSIDE);
	struct cgnat_map_key k = { .addr = pkt_ip(H1), .port = htons(5000),
				   .proto = 17, .dir = CGNAT_DIR_OUT };
	struct cgnat_map m;
	int fd = bpf_map__fd(H.dp.skel->maps.cgnat_mappings);
	uint32_t ext;

	(void)st;
	xlate_out(&s, &ext);
	assert_int_equal(bpf_map_lookup_elem(fd, &k, &m), 0);
	m.epoch = CGNAT_EPOCH_IN_USE;
	assert_int_equal(bpf_map_update_elem(fd, &k, &m, BPF_EXIST), 0);
	assert_int_equal(sweep_at(400).mappings_expired, 0);
	assert_int_equal(sweep_at(400).mappings_expired, 1);
}

/* After the sweep frees its last port, the block is released after the
 * idle time, logged, quarantined, and granted again only after that.
 */
static void test_block_release_and_quarantine(void **st)
{
	struct pkt_spec s = spec(17, H1, 5000, S1, 7, H_INSIDE);
	struct pb_now now = { .ms = 10000, .tai_ns = 5 };
	uint32_t ext, block, i;

	(void)st;
	xlate_out(&s, &ext);
	block = H.dp.v.subs[0].block[0] - 1;
	assert_int_equal(H.dp.v.blocks[block].owner, 1);
	pb_sync(&H.pb, &H.pv, now.ms);
	pb_scan(&H.pb, &H.pv, &now);
	assert_int_equal(H.pb.out_n, 0);	/* in use */
	sweep_at(400);		/* the session goes; its mapping, born in */
	sweep_at(400);		/* use, survives one sweep, then goes too */
	now.ms += 100;
	pb_scan(&H.pb, &H.pv, &now);		/* empty since now */
	now.ms += 999;
	pb_scan(&H.pb, &H.pv, &now);
	assert_int_equal(H.pb.out_n, 0);	/* idle 1 s not yet over */
	now.ms += 1;
	pb_scan(&H.pb, &H.pv, &now);
	assert_int_equal(H.pb.out_n, 1);
	assert_int_equal(H.pb.out[0].type, EVT_BLOCK_RELEASED);
	assert_int_equal(H.pb.out[0].sub_addr, pkt_ip(H1));
	assert_int_equal(H.pb.out[0].ext_addr, ext);
	assert_int_equal(H.dp.v.blocks[block].owner, 0);
	assert_int_equal(H.dp.v.subs[0].block[0], 0);
	assert_int_equal(H.pb.blk[block].state, PB_RELEASED);
	/* Not logged yet: never free. */
	now.ms += 1000000;
	pb_scan(&H.pb, &H.pv, &now);
	assert_int_equal(H.pb.blk[block].state, PB_RELEASED);
	pb_logged(&H.pb, block, &now);
	assert_int_equal(H.pb.blk[block].state, PB_QUARANTINE);
	now.ms += 119999;
	pb_scan(&H.pb, &H.pv, &now);
	assert_int_equal(H.pb.blk[block].state, PB_QUARANTINE);
	for (i = 0; i < 16; i++)
		assert_int_not_equal(H.pv.grant_new[i], block + 1);
	now.ms += 1;
	pb_scan(&H.pb, &H.pv, &now);
	assert_int_equal(H.pb.blk[block].state, PB_FREE);
}

/* A port claimed while the allocator releases its block: the data
 * plane sees the RELEASING marker and takes no port from it.
 */
static void test_release_marker_blocks_ports(void **st)
{
	struct pkt_spec s = spec(17, H1, 5000, S1, 7, H_INSIDE);
	uint32_t ext, slot;
	uint8_t out[512];
	size_t olen;

	(void)st;
	xlate_out(&s, &ext);
	slot = H.dp.v.subs[0].block[0];
	H.dp.v.subs[0].block[0] = CGNAT_BLOCK_RELEASING;
	s = spec(17, H1, 5002, S1, 7, H_INSIDE);
	assert_int_equal(run(H_INSIDE, &s, out, &olen), XDP_REDIRECT);
	/* The new mapping came from a new block, not the one in release. */
	assert_int_not_equal(H.dp.v.subs[0].block[1], 0);
	assert_int_not_equal(H.dp.v.subs[0].block[1], slot);
}


/* Quota reached: the sender gets ICMP 3/1 from the inside address,
 * quoting its IP header and 8 bytes (RFC 6888 REQ-11), rate-limited.
 */
static void test_quota_icmp_unreachable(void **st)
{
	struct pkt_spec s = spec(17, H1, 9000, S1, 7, H_INSIDE);
	uint8_t in[512], out[512], want[128];
	size_t len, olen = sizeof(out), i;
	uint16_t c;
	uint32_t ext;

	(void)st;
	H.o.cfg.max_blocks = 1;
	H.o.cfg.unreach_type = 3;
	H.o.cfg.unreach_code = 1;
	H.o.cfg.unreach_rate = 2;
	H.o.cfg.icmp_src = pkt_ip("100.64.0.1");
	assert_int_equal(dp_set_cfg(&H.dp, &H.o.cfg), 0);
	for (i = 0; i < 256; i++) {	/* fill the one 256-port block */
		struct pkt_spec f = spec(17, H1, 10000 + i, S1, 7, H_INSIDE);

		xlate_out(&f, &ext);
	}
	len = pkt_build(in, sizeof(in), &s);
	assert_int_equal(h_run(&H, H_INSIDE, in, len, out, &olen),
			 XDP_REDIRECT);
	/* Reference: eth, IP 100.64.0.1 -> H1, ICMP 3/1, quote 28 bytes. */
	memset(want, 0, sizeof(want));
	memcpy(want, h_mac_h1, 6);
	memcpy(want + 6, h_mac_tin, 6);
	want[12] = 0x08;
	want[14] = 0x45;
	want[15] = 0xc0;
	want[17] = 20 + 8 + 28;
	want[22] = 64;
	want[23] = 1;
	memcpy(want + 26, &H.o.cfg.icmp_src, 4);
	memcpy(want + 30, in + 26, 4);
	c = pkt_csum(want + 14, 20, 0);
	memcpy(want + 24, &c, 2);
	want[34] = 3;
	want[35] = 1;
	memcpy(want + 42, in + 14, 28);
	c = pkt_csum(want + 34, 8 + 28, 0);
	memcpy(want + 36, &c, 2);
	assert_int_equal(pkt_diff(out, olen, want, 14 + 20 + 8 + 28), 0);
	assert_int_equal(h_stat(&H, STAT_ICMP_SENT), 1);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_QUOTA), 1);
	/* Two tokens per second: the third refusal in a row stays silent. */
	olen = sizeof(out);
	assert_int_equal(h_run(&H, H_INSIDE, in, len, out, &olen),
			 XDP_REDIRECT);
	olen = sizeof(out);
	assert_int_equal(h_run(&H, H_INSIDE, in, len, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_ICMP_LIMITED), 1);
}


/* An ICMP error frame built from scratch: outer IPv4 (src -> dst, ttl),
 * ICMP type/code, then 'qlen' bytes of the quoted IP packet 'q'.
 */
static size_t icmp_frame(uint8_t *f, const uint8_t *smac, const uint8_t *dmac,
			 uint32_t src, uint32_t dst, uint8_t ttl, uint8_t type,
			 uint8_t code, const uint8_t *q, size_t qlen)
{
	size_t len = 14 + 20 + 8 + qlen;
	uint16_t c;

	memset(f, 0, len);
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = (len - 14) >> 8;
	f[17] = (len - 14) & 0xff;
	f[22] = ttl;
	f[23] = 1;
	memcpy(f + 26, &src, 4);
	memcpy(f + 30, &dst, 4);
	c = pkt_csum(f + 14, 20, 0);
	memcpy(f + 24, &c, 2);
	f[34] = type;
	f[35] = code;
	memcpy(f + 42, q, qlen);
	c = pkt_csum(f + 34, 8 + qlen, 0);
	memcpy(f + 36, &c, 2);
	return len;
}

/* The quoted packet: the IP packet of 'sp' (no Ethernet), first qlen. */
static size_t quote_of(struct pkt_spec sp, uint8_t *q, size_t qlen)
{
	uint8_t b[256];

	pkt_build(b, sizeof(b), &sp);
	memcpy(q, b + 14, qlen);
	return qlen;
}

/* Internet -> subscriber: a router's port unreachable about our UDP
 * packet comes back with the quote restored to H1's view (RFC 5508).
 */
static void icmp_in_case(uint8_t proto, uint8_t type, uint8_t code,
			 size_t qlen)
{
	struct pkt_spec s = spec(proto, H1, 5000, S1, 7, H_INSIDE), t;
	uint8_t in[256], want[256], out[256], q[128];
	uint32_t ext, r = pkt_ip("192.0.2.77");
	size_t len, wlen, olen = sizeof(out);
	uint16_t p = xlate_out(&s, &ext);

	t = s;			/* what S1 received */
	t.saddr = ext;
	t.sport = p;
	t.ttl = 63;
	quote_of(t, q, qlen);
	len = icmp_frame(in, h_mac_gw, h_mac_tout, r, ext, 64, type, code, q,
			 qlen);
	t = s;			/* what H1 must see quoted */
	t.ttl = 63;
	quote_of(t, q, qlen);
	wlen = icmp_frame(want, h_mac_tin, h_mac_h1, r, pkt_ip(H1), 63, type,
			  code, q, qlen);
	assert_int_equal(h_run(&H, H_OUTSIDE, in, len, out, &olen),
			 XDP_REDIRECT);
	assert_int_equal(pkt_diff(out, olen, want, wlen), 0);
	assert_int_equal(h_stat(&H, STAT_ICMP_XLATE), 1);
	/* A corrupted ICMP checksum is dropped and counted. */
	in[37] ^= 0x11;
	olen = sizeof(out);
	assert_int_equal(h_run(&H, H_OUTSIDE, in, len, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_MALFORMED), 1);
}

static void test_icmp_err_in_udp(void **st)
{
	(void)st;
	icmp_in_case(17, 3, 3, 28);
}

static void test_icmp_err_in_tcp_full_quote(void **st)
{
	(void)st;
	icmp_in_case(6, 11, 0, 40);	/* quote holds the TCP checksum */
}

static void test_icmp_err_in_echo(void **st)
{
	(void)st;
	icmp_in_case(1, 11, 0, 28);	/* time exceeded about a ping */
}

/* ICMP errors about H1's UDP flow arriving from the internet, one row
 * each: {what, type, code, quoted IP option words, RFC 4884 extension,
 * damage (1: quoted IP checksum, 2: quote cut to IP header + 4), action}.
 */
struct icmp_row {
	const char *name;
	uint8_t type, code, opt_words, ext, damage;
	int action;
};

static const struct icmp_row icmp_rows[] = {
	{ "host unreachable 3/1", 3, 1, 0, 0, 0, XDP_REDIRECT },
	{ "port unreachable 3/3", 3, 3, 0, 0, 0, XDP_REDIRECT },
	{ "fragmentation needed 3/4", 3, 4, 0, 0, 0, XDP_REDIRECT },
	{ "admin prohibited 3/13", 3, 13, 0, 0, 0, XDP_REDIRECT },
	{ "time exceeded in transit 11/0", 11, 0, 0, 0, 0, XDP_REDIRECT },
	{ "reassembly time exceeded 11/1", 11, 1, 0, 0, 0, XDP_REDIRECT },
	{ "parameter problem 12/0", 12, 0, 0, 0, 0, XDP_REDIRECT },
	{ "quoted IP options stepped over", 3, 3, 2, 0, 0, XDP_REDIRECT },
	{ "RFC 4884 extension left intact", 11, 0, 0, 1, 0, XDP_REDIRECT },
	{ "bad quoted IP checksum", 3, 3, 0, 0, 1, XDP_DROP },
	{ "quote cut short", 11, 0, 0, 0, 2, XDP_DROP },
};

/* An error frame for 'row' quoting 't' from router 'r' to 'dst'. */
static size_t icmp_row_frame(uint8_t *f, const struct icmp_row *row,
			     struct pkt_spec t, const uint8_t *smac,
			     const uint8_t *dmac, uint32_t r, uint32_t dst,
			     uint8_t ttl)
{
	static const uint8_t ext[8] = { 0x20, 0, 0, 0, 0, 4, 1, 1 };
	size_t qlen = row->ext ? 128 : 20 + 4u * row->opt_words + 8, len;
	uint8_t q[160];
	uint16_t c;

	if (row->damage == 2)
		qlen = 24;
	quote_of(t, q, qlen);
	if (row->damage == 1)
		q[10] ^= 0x5a;
	if (row->ext) {
		memcpy(q + qlen, ext, sizeof(ext));
		qlen += sizeof(ext);
	}
	len = icmp_frame(f, smac, dmac, r, dst, ttl, row->type, row->code, q,
			 qlen);
	if (row->ext) {		/* length of the quote in words */
		f[39] = 128 / 4;
		f[36] = f[37] = 0;
		c = pkt_csum(f + 34, len - 34, 0);
		memcpy(f + 36, &c, 2);
	}
	return len;
}

static void test_icmp_err_table(void **st)
{
	uint32_t r = pkt_ip("192.0.2.77");
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(icmp_rows) / sizeof(icmp_rows[0]); i++) {
		const struct icmp_row *row = &icmp_rows[i];
		struct pkt_spec s = spec(17, H1, 5000 + i, S1, 7, H_INSIDE), t;
		uint8_t in[256], want[256], out[256];
		uint64_t bad = h_stat(&H, STAT_DROP_BASE + REASON_MALFORMED);
		size_t len, wlen, olen = sizeof(out);
		uint32_t ext;
		uint16_t p;
		int act;

		s.opt_words = row->opt_words;
		s.payload = 120;	/* a 128-byte quote is all datagram */
		p = xlate_out(&s, &ext);
		t = s;			/* what S1 received */
		t.saddr = ext;
		t.sport = p;
		t.ttl = 63;
		len = icmp_row_frame(in, row, t, h_mac_gw, h_mac_tout, r, ext,
				     64);
		t = s;			/* what H1 must see quoted */
		t.ttl = 63;
		wlen = icmp_row_frame(want, row, t, h_mac_tin, h_mac_h1, r,
				      pkt_ip(H1), 63);
		act = h_run(&H, H_OUTSIDE, in, len, out, &olen);
		printf("# %-32s action %d\n", row->name, act);
		assert_int_equal(act, row->action);
		if (act == XDP_REDIRECT)
			assert_int_equal(pkt_diff(out, olen, want, wlen), 0);
		else
			assert_int_equal(h_stat(&H, STAT_DROP_BASE +
						       REASON_MALFORMED),
					 bad + 1);
	}
	assert_int_equal(h_stat(&H, STAT_NEW_SESSION),
			 sizeof(icmp_rows) / sizeof(icmp_rows[0]));
}

/* Subscriber -> internet: H1's port unreachable about S1's datagram
 * leaves with H1's external address outside and in the quote.
 */
static void test_icmp_err_out(void **st)
{
	struct pkt_spec s = spec(17, H1, 5000, S1, 7, H_INSIDE), t;
	uint8_t in[256], want[256], out[256], q[128];
	size_t len, wlen, olen = sizeof(out);
	uint32_t ext;
	uint16_t p = xlate_out(&s, &ext);

	(void)st;
	t = spec(17, S1, 7, H1, 5000, H_OUTSIDE);	/* what H1 received */
	t.ttl = 63;
	quote_of(t, q, 28);
	len = icmp_frame(in, h_mac_h1, h_mac_tin, pkt_ip(H1), pkt_ip(S1), 64,
			 3, 3, q, 28);
	t.daddr = ext;					/* what S1 sent */
	t.dport = p;
	quote_of(t, q, 28);
	wlen = icmp_frame(want, h_mac_tout, h_mac_gw, ext, pkt_ip(S1), 63, 3,
			  3, q, 28);
	assert_int_equal(h_run(&H, H_INSIDE, in, len, out, &olen),
			 XDP_REDIRECT);
	assert_int_equal(pkt_diff(out, olen, want, wlen), 0);
	/* No ICMP message creates or refreshes state. */
	assert_int_equal(h_stat(&H, STAT_NEW_SESSION), 1);
}

/* An error about a flow nobody has: dropped, counted, nothing created. */
static void test_icmp_err_unknown_flow(void **st)
{
	uint8_t in[256], out[256], q[128];
	size_t len, olen = sizeof(out);

	(void)st;
	quote_of(spec(17, "203.0.113.1", 4000, S1, 7, H_INSIDE), q, 28);
	len = icmp_frame(in, h_mac_gw, h_mac_tout, pkt_ip("192.0.2.77"),
			 pkt_ip("203.0.113.1"), 64, 3, 3, q, 28);
	assert_int_equal(h_run(&H, H_OUTSIDE, in, len, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_UNSOLICITED), 1);
	assert_int_equal(h_stat(&H, STAT_NEW_SESSION), 0);
}

/* The ICMP error the data plane generates about 'orig' (an IP packet as
 * it arrived): outer TOS 0xc0, TTL 64, second word 'info', quote = IP
 * header + 8 bytes.
 */
static size_t gen_frame(uint8_t *f, const uint8_t *smac, const uint8_t *dmac,
			uint32_t src, uint8_t type, uint8_t code,
			uint32_t info, const uint8_t *orig)
{
	size_t qlen = (orig[0] & 0xf) * 4 + 8;
	uint32_t dst, ninfo = htonl(info);
	size_t len;
	uint16_t c;

	memcpy(&dst, orig + 12, 4);
	len = icmp_frame(f, smac, dmac, src, dst, 64, type, code, orig, qlen);
	f[15] = 0xc0;
	f[24] = f[25] = 0;
	c = pkt_csum(f + 14, 20, 0);
	memcpy(f + 24, &c, 2);
	memcpy(f + 38, &ninfo, 4);
	f[36] = f[37] = 0;
	c = pkt_csum(f + 34, 8 + qlen, 0);
	memcpy(f + 36, &c, 2);
	return len;
}

/* Outbound TTL 1: time exceeded from the inside address, quoting the
 * packet as the subscriber sent it; no state for a packet that dies here,
 * and an established flow is not refreshed by it.
 */
static void test_ttl_expired_out(void **st)
{
	struct pkt_spec s = spec(17, H1, 5000, S1, 7, H_INSIDE);
	uint8_t in[512], out[512], want[512];
	size_t len, wlen, olen = sizeof(out);
	struct cgnat_sess before, after;
	uint32_t ext;

	(void)st;
	s.ttl = 1;
	len = pkt_build(in, sizeof(in), &s);
	wlen = gen_frame(want, h_mac_tin, h_mac_h1, pkt_ip("100.64.0.1"), 11,
			 0, 0, in + 14);
	assert_int_equal(h_run(&H, H_INSIDE, in, len, out, &olen),
			 XDP_REDIRECT);
	assert_int_equal(pkt_diff(out, olen, want, wlen), 0);
	assert_int_equal(h_stat(&H, STAT_NEW_SESSION), 0);
	assert_int_equal(h_stat(&H, STAT_TTL_EXPIRED), 1);
	s.ttl = 64;
	xlate_out(&s, &ext);
	assert_int_equal(h_sess(&H, 17, pkt_ip(H1), 5000, pkt_ip(S1), 7,
				&before), 0);
	olen = sizeof(out);
	assert_int_equal(h_run(&H, H_INSIDE, in, len, out, &olen),
			 XDP_REDIRECT);
	assert_int_equal(pkt_diff(out, olen, want, wlen), 0);
	assert_int_equal(h_sess(&H, 17, pkt_ip(H1), 5000, pkt_ip(S1), 7,
				&after), 0);
	assert_true(after.expires_ns == before.expires_ns);
}

/* Inbound TTL 1 on a mapped flow: time exceeded from the outside address
 * to the sender, quoting what it sent (our external endpoint).
 */
static void test_ttl_expired_in(void **st)
{
	struct pkt_spec s = spec(17, H1, 5000, S1, 7, H_INSIDE), r;
	uint8_t in[512], out[512], want[512];
	size_t len, wlen, olen = sizeof(out);
	uint32_t ext;
	uint16_t p = xlate_out(&s, &ext);

	(void)st;
	r = spec(17, S1, 7, ip_str(ext, 0), p, H_OUTSIDE);
	r.ttl = 1;
	len = pkt_build(in, sizeof(in), &r);
	wlen = gen_frame(want, h_mac_tout, h_mac_gw, pkt_ip("192.0.2.1"), 11,
			 0, 0, in + 14);
	assert_int_equal(h_run(&H, H_OUTSIDE, in, len, out, &olen),
			 XDP_REDIRECT);
	assert_int_equal(pkt_diff(out, olen, want, wlen), 0);
	assert_int_equal(h_stat(&H, STAT_XLATE_IN), 0);
}

/* Runs a packet of 'size' IP bytes built from 's'; output in out. */
static int run_big(int side, struct pkt_spec *s, size_t size, uint8_t *in,
		   size_t *len, uint8_t *out, size_t *olen)
{
	s->payload = size - (pkt_l4_off(s) - 14) - (s->proto == 6 ? 20 : 8);
	*len = pkt_build(in, 2048, s);
	*olen = 2048;
	return h_run(&H, side, in, *len, out, olen);
}

/* A packet larger than the egress link: DF set -> 3/4 with the link's
 * MTU, quoting the packet untranslated, from the address facing the
 * sender; DF clear -> translated, TTL left to the kernel, which
 * fragments it.
 */
static void ptb_case(int side)
{
	const char *dev = side == H_INSIDE ? "tout" : "tin";
	struct pkt_spec s = spec(17, H1, 5000, S1, 7, H_INSIDE), b;
	uint8_t in[2048], out[2048], want[2048];
	size_t len, olen, wlen;
	char cmd[64];
	uint32_t ext;
	uint16_t p;

	snprintf(cmd, sizeof(cmd), "ip link set %s mtu 1400", dev);
	assert_int_equal(system(cmd), 0);
	p = xlate_out(&s, &ext);
	b = side == H_INSIDE ? s : spec(17, S1, 7, ip_str(ext, 0), p,
					 H_OUTSIDE);
	b.frag = 0x4000;	/* DF */
	assert_int_equal(run_big(side, &b, 1400, in, &len, out, &olen),
			 XDP_REDIRECT);	/* fits exactly */
	assert_int_equal(run_big(side, &b, 1401, in, &len, out, &olen),
			 XDP_REDIRECT);
	if (side == H_INSIDE)
		wlen = gen_frame(want, h_mac_tin, h_mac_h1,
				 pkt_ip("100.64.0.1"), 3, 4, 1400, in + 14);
	else
		wlen = gen_frame(want, h_mac_tout, h_mac_gw,
				 pkt_ip("192.0.2.1"), 3, 4, 1400, in + 14);
	assert_int_equal(pkt_diff(out, olen, want, wlen), 0);
	assert_int_equal(h_stat(&H, STAT_PTB), 1);
	/* DF clear: translated, TTL untouched, to the kernel. */
	b.frag = 0;
	assert_int_equal(run_big(side, &b, 1401, in, &len, out, &olen),
			 XDP_PASS);
	if (side == H_INSIDE) {
		b.saddr = ext;
		b.sport = p;
	} else {
		b.daddr = pkt_ip(H1);
		b.dport = 5000;
	}
	memcpy(b.smac, out + 6, 6);	/* MACs stay for the kernel */
	memcpy(b.dmac, out, 6);
	wlen = pkt_build(want, sizeof(want), &b);
	assert_int_equal(pkt_diff(out, olen, want, wlen), 0);
	assert_int_equal(memcmp(out, in, 12), 0);
	assert_int_equal(h_stat(&H, STAT_PASS_FRAGMENT), 1);
	snprintf(cmd, sizeof(cmd), "ip link set %s mtu 1500", dev);
	assert_int_equal(system(cmd), 0);
}

static void test_ptb_out(void **st)
{
	(void)st;
	ptb_case(H_INSIDE);
}

static void test_ptb_in(void **st)
{
	(void)st;
	ptb_case(H_OUTSIDE);
}

/* Hairpin: H1 sends to H2's external endpoint; H2's port unreachable
 * about it (quoting what H2 received: H1's external endpoint -> H2)
 * reaches H1 quoting exactly what H1 sent.
 */
static void test_icmp_err_hairpin(void **st)
{
	struct pkt_spec a = spec(17, H2, 6000, S1, 7, H_INSIDE), h, t;
	uint8_t in[256], want[256], out[256], q[128];
	size_t len, wlen, olen = sizeof(out);
	uint32_t e2, e1;
	uint16_t p2, p1;

	(void)st;
	p2 = xlate_out(&a, &e2);	/* H2's mapping */
	h = spec(17, H1, 5000, ip_str(e2, 0), p2, H_INSIDE);
	assert_int_equal(run(H_INSIDE, &h, out, &olen), XDP_REDIRECT);
	memcpy(&e1, out + 26, 4);
	p1 = out_port(out, &h);
	t = h;				/* what H2 received */
	t.saddr = e1;
	t.sport = p1;
	t.daddr = pkt_ip(H2);
	t.dport = 6000;
	t.ttl = 63;
	quote_of(t, q, 28);
	len = icmp_frame(in, h_mac_h2, h_mac_tin, pkt_ip(H2), e1, 64, 3, 3, q,
			 28);
	t = h;				/* what H1 sent */
	t.ttl = 63;
	quote_of(t, q, 28);
	wlen = icmp_frame(want, h_mac_tin, h_mac_h1, e2, pkt_ip(H1), 63, 3, 3,
			  q, 28);
	olen = sizeof(out);
	assert_int_equal(h_run(&H, H_INSIDE, in, len, out, &olen),
			 XDP_REDIRECT);
	assert_int_equal(pkt_diff(out, olen, want, wlen), 0);
	assert_int_equal(h_stat(&H, STAT_ICMP_XLATE), 1);
}

/* --- TCP MSS clamping (bpf/mss.h) --------------------------------------- */

/* A Linux SYN's options: MSS 1460 (value at option offset 2), SACK
 * permitted, timestamps, NOP, window scale 7.
 */
static const uint8_t syn_opts[20] = {
	2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
};

static void set_mss_clamp(uint16_t inside, uint16_t outside)
{
	H.o.cfg.mss_clamp[0] = inside;
	H.o.cfg.mss_clamp[1] = outside;
	assert_int_equal(dp_set_cfg(&H.dp, &H.o.cfg), 0);
}

/* 's' carrying the 'len' TCP option bytes 'o'. */
static struct pkt_spec with_opts(struct pkt_spec s, const uint8_t *o,
				 size_t len)
{
	memcpy(s.tcp_opts, o, len);
	s.tcp_opt_len = len;
	return s;
}

/* 's' with the MSS value at option offset 'at' set to 'mss'. */
static struct pkt_spec mss_at(struct pkt_spec s, int at, uint16_t mss)
{
	s.tcp_opts[at] = mss >> 8;
	s.tcp_opts[at + 1] = mss & 0xff;
	return s;
}

/* Runs 'a' on the inside; it must leave as 'w' (its options as they
 * should be) from the external endpoint it was given, to 'dst':'dport'
 * (the internet, or another subscriber when hairpinned). Returns that
 * external port, the address in *ext.
 */
static uint16_t mss_run_out(const struct pkt_spec *a, struct pkt_spec w,
			    const char *dst, uint16_t dport, uint32_t *ext)
{
	uint8_t out[512], ref[512];
	size_t olen, rlen;
	int hairpin = dst != NULL;

	assert_int_equal(run(H_INSIDE, a, out, &olen), XDP_REDIRECT);
	memcpy(ext, out + 14 + 12, 4);
	w.saddr = *ext;
	w.sport = out_port(out, a);
	if (hairpin) {
		w.daddr = pkt_ip(dst);
		w.dport = dport;
	}
	w.ttl = 63;
	memcpy(w.smac, hairpin ? h_mac_tin : h_mac_tout, 6);
	memcpy(w.dmac, hairpin ? mac_of(w.daddr) : h_mac_gw, 6);
	rlen = pkt_build(ref, sizeof(ref), &w);
	assert_int_equal(pkt_diff(out, olen, ref, rlen), 0);
	return w.sport;
}

/* Subscriber -> internet: 'a' must leave as 'want', translated. */
static uint16_t mss_out(const struct pkt_spec *a, struct pkt_spec want,
			uint32_t *ext)
{
	return mss_run_out(a, want, NULL, 0, ext);
}

/* Internet -> H1: 'r' must reach H1:'iport' as 'w', translated. */
static void mss_in(const struct pkt_spec *r, struct pkt_spec w,
		   uint16_t iport)
{
	w.daddr = pkt_ip(H1);
	w.dport = iport;
	w.ttl = 63;
	memcpy(w.smac, h_mac_tin, 6);
	memcpy(w.dmac, h_mac_h1, 6);
	expect_frame(H_OUTSIDE, r, &w, XDP_REDIRECT);
}

/* An outbound SYN crosses both interfaces: the outside clamp applies
 * when the inside has none; a SYN at or below the clamp is untouched.
 */
static void test_mss_syn_out(void **st)
{
	struct pkt_spec s = with_opts(spec(6, H1, 42000, S1, 443, H_INSIDE),
				      syn_opts, sizeof(syn_opts));
	uint32_t ext;
	uint16_t mss[] = { 1400, 1401, 536 }, i;

	(void)st;
	set_mss_clamp(0, 1400);
	mss_out(&s, mss_at(s, 2, 1400), &ext);
	for (i = 0; i < 3; i++) {	/* at, just above, below the clamp */
		s = mss_at(s, 2, mss[i]);
		s.sport = 42001 + i;
		mss_out(&s, mss_at(s, 2, mss[i] > 1400 ? 1400 : mss[i]),
			&ext);
	}
	assert_int_equal(h_stat(&H, STAT_XLATE_OUT), 4);
}

/* An inbound SYN-ACK crosses both interfaces: the smaller clamp wins. */
static void test_mss_synack_in(void **st)
{
	struct pkt_spec s = with_opts(spec(6, H1, 42010, S1, 443, H_INSIDE),
				      syn_opts, sizeof(syn_opts));
	struct pkt_spec r;
	uint32_t ext;
	uint16_t p;

	(void)st;
	set_mss_clamp(1380, 1400);
	s = mss_at(s, 2, 1200);			/* below both: untouched */
	p = mss_out(&s, s, &ext);
	r = with_opts(spec(6, S1, 443, ip_str(ext, 0), p, H_OUTSIDE),
		      syn_opts, sizeof(syn_opts));
	r.tcp_flags = 0x12;
	mss_in(&r, mss_at(r, 2, 1380), 42010);
	assert_int_equal(h_stat(&H, STAT_XLATE_IN), 1);
}

/* No MSS option: the receiver assumes 536 (RFC 9293), nothing to do. */
static void test_mss_no_option(void **st)
{
	static const uint8_t no_mss[8] = { 1, 1, 4, 2, 1, 3, 3, 7 };
	struct pkt_spec s = spec(6, H1, 42020, S1, 443, H_INSIDE);
	uint32_t ext;

	(void)st;
	set_mss_clamp(1000, 1000);
	mss_out(&s, s, &ext);			/* no options at all */
	s = with_opts(spec(6, H1, 42021, S1, 443, H_INSIDE), no_mss,
		      sizeof(no_mss));
	mss_out(&s, s, &ext);
}

/* The MSS option found behind other options, at even and odd offsets
 * from the TCP header (an odd one straddles two checksum words), and
 * as the last option of a full 40-byte list.
 */
static void test_mss_after_other_options(void **st)
{
	static const uint8_t ts_sack[20] = {
		1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 4, 2,
		2, 4, 0x05, 0xb4, 1, 0,
	};
	static const uint8_t odd[8] = { 1, 2, 4, 0x05, 0xb4, 1, 1, 1 };
	uint8_t full[40];
	struct pkt_spec s;
	uint32_t ext;

	(void)st;
	set_mss_clamp(1300, 0);
	s = with_opts(spec(6, H1, 42030, S1, 443, H_INSIDE), ts_sack,
		      sizeof(ts_sack));
	mss_out(&s, mss_at(s, 16, 1300), &ext);
	s = with_opts(spec(6, H1, 42031, S1, 443, H_INSIDE), odd,
		      sizeof(odd));
	mss_out(&s, mss_at(s, 3, 1300), &ext);
	s = mss_at(s, 3, 0xff13);	/* both bytes change, carries too */
	s.sport = 42032;
	mss_out(&s, mss_at(s, 3, 1300), &ext);
	memset(full, 1, sizeof(full));
	memcpy(full + 36, syn_opts, 4);
	s = with_opts(spec(6, H1, 42033, S1, 443, H_INSIDE), full,
		      sizeof(full));
	mss_out(&s, mss_at(s, 38, 1300), &ext);
}

/* A malformed option list is left as it is, the packet still
 * translated; so is an MSS option after the end of the list.
 */
static void test_mss_malformed_options(void **st)
{
	static const struct {
		const char *name;
		uint8_t len;
		uint8_t o[8];
	} cases[] = {
		{ "option length 0", 8, { 8, 0, 2, 4, 0x05, 0xb4, 1, 1 } },
		{ "option length 1", 8, { 3, 1, 2, 4, 0x05, 0xb4, 1, 1 } },
		{ "option past the end", 8, { 1, 1, 1, 1, 1, 2, 4, 0x05 } },
		{ "timestamps past the end", 8, { 4, 2, 8, 10, 0, 0, 0, 1 } },
		{ "kind without length", 4, { 1, 1, 1, 3 } },
		{ "mss length 5", 8, { 2, 5, 0x05, 0xb4, 0, 1, 1, 1 } },
		{ "mss length 3", 8, { 2, 3, 0x05, 0xb4, 1, 1, 1, 1 } },
		{ "mss after eol", 8, { 0, 4, 0, 0, 2, 4, 0x05, 0xb4 } },
	};
	struct pkt_spec s;
	uint32_t ext;
	size_t i;

	(void)st;
	set_mss_clamp(1000, 1000);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		printf("# %s\n", cases[i].name);
		s = with_opts(spec(6, H1, 42040 + i, S1, 443, H_INSIDE),
			      cases[i].o, cases[i].len);
		mss_out(&s, s, &ext);
	}
}

/* Only SYNs are clamped: a later segment carrying an MSS option, and
 * any segment with clamping off, pass as they are.
 */
static void test_mss_non_syn_and_off(void **st)
{
	struct pkt_spec s = with_opts(spec(6, H1, 42050, S1, 443, H_INSIDE),
				      syn_opts, sizeof(syn_opts));
	struct pkt_spec r;
	uint32_t ext;
	uint16_t p;

	(void)st;
	set_mss_clamp(1000, 1000);
	p = mss_out(&s, mss_at(s, 2, 1000), &ext);
	s.tcp_flags = 0x10;			/* ACK */
	mss_out(&s, s, &ext);
	s.tcp_flags = 0x18;			/* PSH, ACK */
	mss_out(&s, s, &ext);
	set_mss_clamp(0, 0);
	r = with_opts(spec(6, S1, 443, ip_str(ext, 0), p, H_OUTSIDE),
		      syn_opts, sizeof(syn_opts));
	r.tcp_flags = 0x12;
	mss_in(&r, r, 42050);
	s = with_opts(spec(6, H1, 42051, S1, 443, H_INSIDE), syn_opts,
		      sizeof(syn_opts));
	mss_out(&s, s, &ext);
}

/* A hairpinned SYN crosses the inside interface only: its clamp
 * applies, the outside one never does.
 */
static void test_mss_hairpin(void **st)
{
	struct pkt_spec s2 = spec(6, H2, 6000, S1, 7, H_INSIDE), a;
	uint32_t e1, e2;
	uint16_t p2;

	(void)st;
	set_mss_clamp(1400, 1300);
	p2 = xlate_out(&s2, &e2);
	a = with_opts(spec(6, H1, 5000, ip_str(e2, 1), p2, H_INSIDE),
		      syn_opts, sizeof(syn_opts));
	mss_run_out(&a, mss_at(a, 2, 1400), H2, 6000, &e1);
	set_mss_clamp(0, 1300);
	a.sport = 5002;
	mss_run_out(&a, a, H2, 6000, &e1);
	assert_int_equal(h_stat(&H, STAT_HAIRPIN), 2);
}

/* A UDP datagram of 'payload' bytes from 's', cut at payload byte 504
 * into two fragments (f[0] first); returns the whole frame's length.
 */
static void frag_pair(struct pkt_spec s, uint8_t f[2][2048], size_t fl[2])
{
	uint8_t whole[2048];
	size_t wl;

	s.payload = 1000;
	wl = pkt_build(whole, sizeof(whole), &s);
	fl[0] = pkt_fragment(whole, wl, 504, 0, f[0]);
	fl[1] = pkt_fragment(whole, wl, 504, 1, f[1]);
	assert_true(fl[0] && fl[1]);
}

/* Runs fragment 'in' and compares it with fragment 'part' of the
 * datagram 'want' built whole from scratch (checksum over all of it).
 */
static void expect_frag(int side, const uint8_t *in, size_t len,
			const struct pkt_spec *want, int part)
{
	uint8_t out[2048], f[2][2048];
	size_t olen = sizeof(out), fl[2];

	frag_pair(*want, f, fl);
	assert_int_equal(h_run(&H, side, in, len, out, &olen), XDP_REDIRECT);
	assert_int_equal(pkt_diff(out, olen, f[part], fl[part]), 0);
}

/* RFC 4787 REQ-14: a fragmented datagram crosses both ways; the first
 * fragment carries the port rewrite and the whole datagram's checksum
 * update, later ones the address.
 */
static void test_frag_out_and_in(void **st)
{
	struct pkt_spec s = spec(17, H1, 5000, S1, 7, H_INSIDE), w, r;
	uint8_t f[2][2048];
	size_t fl[2];
	uint32_t ext;
	uint16_t p = xlate_out(&s, &ext);

	(void)st;
	s.ip_id = 999;
	frag_pair(s, f, fl);
	w = s;
	w.saddr = ext;
	w.sport = p;
	w.ttl = 63;
	memcpy(w.smac, h_mac_tout, 6);
	memcpy(w.dmac, h_mac_gw, 6);
	expect_frag(H_INSIDE, f[0], fl[0], &w, 0);
	expect_frag(H_INSIDE, f[1], fl[1], &w, 1);
	r = spec(17, S1, 7, ip_str(ext, 0), p, H_OUTSIDE);
	r.ip_id = 4242;
	frag_pair(r, f, fl);
	w = r;
	w.daddr = pkt_ip(H1);
	w.dport = 5000;
	w.ttl = 63;
	memcpy(w.smac, h_mac_tin, 6);
	memcpy(w.dmac, h_mac_h1, 6);
	expect_frag(H_OUTSIDE, f[0], fl[0], &w, 0);
	expect_frag(H_OUTSIDE, f[1], fl[1], &w, 1);
	assert_int_equal(h_stat(&H, STAT_FRAG_FIRST), 2);
	assert_int_equal(h_stat(&H, STAT_FRAG_FOLLOW), 2);
}

static struct cgnat_frag_rec frag_recs[4];
static uint8_t frag_frames[4][CGNAT_FRAG_FRAME];
static int n_frag_recs;

static int on_frag_rec(void *ctx, void *data, size_t len)
{
	const struct cgnat_frag_rec *r = data;

	(void)ctx;
	if (n_frag_recs < 4 && len >= sizeof(*r)) {
		frag_recs[n_frag_recs] = *r;
		if (r->kind == CGNAT_FRAG_HELD)
			memcpy(frag_frames[n_frag_recs], r->frame, r->len);
		n_frag_recs++;
	}
	return 0;
}

/* A later fragment before its first: dropped here and handed whole to
 * userspace; the first fragment then says READY, and the held frame run
 * again (what the daemon does) leaves translated.
 */
static void test_frag_early_held(void **st)
{
	struct pkt_spec s = spec(17, H1, 5000, S1, 7, H_INSIDE), w;
	struct ring_buffer *rb = ring_buffer__new(
		bpf_map__fd(H.dp.skel->maps.cgnat_frag_ring), on_frag_rec,
		NULL, NULL);
	uint8_t f[2][2048], out[2048];
	size_t fl[2], olen = sizeof(out);
	uint32_t ext;
	uint16_t p;

	(void)st;
	assert_non_null(rb);
	p = xlate_out(&s, &ext);
	s.ip_id = 31337;
	frag_pair(s, f, fl);
	n_frag_recs = 0;
	assert_int_equal(h_run(&H, H_INSIDE, f[1], fl[1], out, &olen),
			 XDP_DROP);
	assert_int_equal(ring_buffer__consume(rb), 1);
	assert_int_equal(frag_recs[0].kind, CGNAT_FRAG_HELD);
	assert_int_equal(frag_recs[0].len, fl[1]);
	assert_int_equal(frag_recs[0].ifindex, H.ifindex[H_INSIDE]);
	assert_int_equal(frag_recs[0].key.saddr, pkt_ip(H1));
	assert_int_equal(frag_recs[0].key.daddr, pkt_ip(S1));
	assert_int_equal(frag_recs[0].key.id, htons(31337));
	assert_int_equal(frag_recs[0].key.dir, CGNAT_DIR_OUT);
	assert_memory_equal(frag_frames[0], f[1], fl[1]);
	w = s;
	w.saddr = ext;
	w.sport = p;
	w.ttl = 63;
	memcpy(w.smac, h_mac_tout, 6);
	memcpy(w.dmac, h_mac_gw, 6);
	expect_frag(H_INSIDE, f[0], fl[0], &w, 0);
	assert_int_equal(ring_buffer__consume(rb), 1);
	assert_int_equal(frag_recs[1].kind, CGNAT_FRAG_READY);
	assert_memory_equal(&frag_recs[1].key, &frag_recs[0].key,
			    sizeof(frag_recs[0].key));
	expect_frag(H_INSIDE, frag_frames[0], frag_recs[0].len, &w, 1);
	/* In order, nobody waits: no READY record. */
	expect_frag(H_INSIDE, f[0], fl[0], &w, 0);
	assert_int_equal(ring_buffer__consume(rb), 0);
	assert_int_equal(h_stat(&H, STAT_FRAG_HELD), 1);
	ring_buffer__free(rb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_udp_out_and_in, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tcp_out_and_in, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_udp_zero_csum_and_options,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_echo, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_eim_many_destinations,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_parity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_state_timers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_udp_icmp_timers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_filter_eif, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_filter_adf, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_filter_apdf, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hairpin_udp, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hairpin_tcp, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hairpin_off, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_paired_growth_quota,
						setup4, teardown),
		cmocka_unit_test_setup_teardown(test_pool_empty, setup_empty,
						teardown),
		cmocka_unit_test_setup_teardown(test_session_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_inputs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sweep_udp_expiry, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sweep_tcp_timers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sweep_keeps_marked_mapping,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_block_release_and_quarantine, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_release_marker_blocks_ports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quota_icmp_unreachable,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_err_in_udp, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_icmp_err_in_tcp_full_quote,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_err_in_echo, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_icmp_err_table, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_icmp_err_out, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ttl_expired_out, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ttl_expired_in, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ptb_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ptb_in, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_err_hairpin, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_frag_out_and_in, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_frag_early_held, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_icmp_err_unknown_flow,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mss_syn_out, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mss_synack_in, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mss_no_option, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mss_after_other_options,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mss_malformed_options,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mss_non_syn_and_off, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mss_hairpin, setup,
						teardown),
	};

	if (h_netns())
		return 1;
	return cmocka_run_group_tests_name("bpf_nat", tests, NULL, NULL);
}
