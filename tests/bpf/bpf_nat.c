// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_nat.c - packet tests of the XDP program through BPF_PROG_TEST_RUN:
 * translation both ways, EIM, parity, timers, filtering, hairpin, paired
 * pooling and quotas, malformed input, the sweep and block release. Each
 * translated packet is compared byte for byte with a reference frame
 * built from scratch (every rewritten field, both checksums, MACs from the
 * FIB, TTL). Malformed inputs run as a table of {input, side, expected
 * action, expected counter}.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/cgnat.skel.h"

#include "tests/bpf/nat_util.h"

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

static uint64_t udp_left(const char *h, uint16_t hport, const char *r,
			 uint16_t rport)
{
	struct cgnat_sess ss;

	assert_int_equal(h_sess(&H, 17, pkt_ip(h), hport, pkt_ip(r), rport,
				&ss), 0);
	return (ss.expires_ns - h_now_ns()) / 1000000000;
}

/* timeouts.udp_ports (RFC 4787 REQ-5a): the remote port's own timer at
 * creation, on outbound and inbound refresh, and on the one-lookup
 * inbound path; other ports, TCP and ICMP keep theirs.
 */
static void test_udp_port_timers(void **st)
{
	struct pkt_spec d = spec(17, H1, 5301, S1, 53, H_INSIDE);
	struct pkt_spec o = spec(17, H1, 5302, S1, 5353, H_INSIDE);
	struct pkt_spec t = spec(6, H1, 5303, S1, 53, H_INSIDE), r;
	__u64 ns[CGNAT_UDP_TIMER_PORTS] = { 0 };
	uint64_t fast;
	struct cgnat_sess ss;
	uint32_t ext;
	uint16_t p;

	(void)st;
	ns[53] = 30ull * 1000000000;
	assert_int_equal(dp_set_udp_timers(&H.dp, ns), 0);
	p = xlate_out(&d, &ext);
	xlate_out(&o, &ext);
	xlate_out(&t, &ext);
	assert_in_range(udp_left(H1, 5301, S1, 53), 30, 31);
	assert_in_range(udp_left(H1, 5302, S1, 5353), 300, 301);
	assert_int_equal(h_sess(&H, 6, pkt_ip(H1), 5303, pkt_ip(S1), 53, &ss),
			 0);
	assert_in_range((ss.expires_ns - h_now_ns()) / 1000000000, 240, 241);

	ns[53] = 100ull * 1000000000;	/* outbound refresh */
	assert_int_equal(dp_set_udp_timers(&H.dp, ns), 0);
	xlate_out(&d, &ext);
	assert_in_range(udp_left(H1, 5301, S1, 53), 100, 101);

	ns[53] = 200ull * 1000000000;	/* inbound refresh */
	assert_int_equal(dp_set_udp_timers(&H.dp, ns), 0);
	H.o.cfg.inbound_refresh = 1;
	assert_int_equal(dp_set_cfg(&H.dp, &H.o.cfg), 0);
	r = spec(17, S1, 53, ip_str(ext, 0), p, H_OUTSIDE);
	xlate_in(r, H1, 5301);
	assert_in_range(udp_left(H1, 5301, S1, 53), 200, 201);
	/* Its reverse entry is fresh by port 53's timer: one lookup next. */
	fast = h_stat(&H, STAT_XLATE_IN_FAST);
	xlate_in(r, H1, 5301);
	assert_int_equal(h_stat(&H, STAT_XLATE_IN_FAST), fast + 1);

	assert_int_equal(dp_set_udp_timers(&H.dp, NULL), 0);	/* cleared */
	xlate_out(&d, &ext);
	assert_in_range(udp_left(H1, 5301, S1, 53), 300, 301);
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

/* Under address-dependent filtering a hairpin sender's refreshed session
 * permits the receiver's external address, the remote it named, never
 * the receiver's private one: an internet packet spoofing that private
 * source stays filtered (found by bpf_fuzz, FUZZ_SEED=7).
 */
static void test_hairpin_adf_permit(void **st)
{
	struct pkt_spec s2 = spec(17, H2, 6000, S1, 7, H_INSIDE), a, r;
	struct pkt_spec s1 = spec(17, H1, 5000, S1, 7, H_INSIDE);
	int fd = bpf_map__fd(H.dp.skel->maps.cgnat_sessions);
	struct cgnat_sess_key k = { .int_addr = pkt_ip(H1),
				    .int_port = htons(5000), .proto = 17 };
	struct cgnat_sess v;
	uint8_t out[512];
	size_t olen;
	uint32_t e1, e2;
	uint16_t p1, p2;

	(void)st;
	set_filtering(CGNAT_FILTER_ADF);
	p2 = xlate_out(&s2, &e2);
	p1 = xlate_out(&s1, &e1);
	/* H1's hairpin: its session and permit are made, H2's filter
	 * refuses it (H2 has not sent to E(H1)); H2's hairpin gets through
	 * (H1 has); then H1's does.
	 */
	a = spec(17, H1, 5000, ip_str(e2, 1), p2, H_INSIDE);
	assert_int_equal(run(H_INSIDE, &a, out, &olen), XDP_DROP);
	r = spec(17, H2, 6000, ip_str(e1, 0), p1, H_INSIDE);
	assert_int_equal(run(H_INSIDE, &r, out, &olen), XDP_REDIRECT);
	assert_int_equal(run(H_INSIDE, &a, out, &olen), XDP_REDIRECT);
	/* Its expiry moved back 8 s: the next packet rewrites it and
	 * touches the permit again (the code bits kept).
	 */
	k.rem_addr = e2;
	k.rem_port = htons(p2);
	assert_int_equal(bpf_map_lookup_elem(fd, &k, &v), 0);
	v.expires_ns -= 8000000000ull;
	assert_int_equal(bpf_map_update_elem(fd, &k, &v, BPF_EXIST), 0);
	assert_int_equal(run(H_INSIDE, &a, out, &olen), XDP_REDIRECT);
	assert_int_equal(bpf_map_lookup_elem(fd, &k, &v), 0);
	assert_true(v.expires_ns > h_now_ns() + 60000000000ull);

	k.kind = CGNAT_SK_PERMIT;
	k.rem_port = 0;
	assert_int_equal(bpf_map_lookup_elem(fd, &k, &v), 0);
	k.rem_addr = pkt_ip(H2);
	assert_int_not_equal(bpf_map_lookup_elem(fd, &k, &v), 0);
	r = spec(17, H2, 6000, ip_str(e1, 0), p1, H_OUTSIDE);
	assert_int_equal(run(H_OUTSIDE, &r, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_FILTERED), 2);
	assert_int_equal(h_stat(&H, STAT_HAIRPIN), 3);
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
	rb = dp_events_rb(&H.dp, on_event, l);
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
		/* The log's assign time is the block table's, to the ns. */
		assert_int_equal(l.ev[i].time_tai_ns,
				 H.pv.blocks[l.ev[i].block].assigned_tai_ns);
	}
	first[0] = l.ev[0].port_first;
	first[1] = l.ev[3].port_first;
	assert_int_equal(l.ev[3].sub_addr, pkt_ip(H1));
	assert_int_equal(l.ev[3].ext_addr, e[0]);
	assert_int_not_equal(first[0], first[1]);
	assert_int_equal(l.ev[4].type, EVT_QUOTA_BLOCKS);
	assert_int_equal(l.ev[4].sub_addr, pkt_ip(H1));
	assert_int_equal(l.ev[4].value, 2);
}

/* No first block in the slots (nothing granted yet). While the pool is
 * not dry (the allocator's word, CGNAT_NEW_DRY) that is a refill on its
 * way: dropped as grant_wait, no event. Once the allocator says it has
 * no block left, the pool is empty: pool_empty and its event.
 */
static void test_pool_empty(void **st)
{
	struct pkt_spec s = spec(17, H1, 5000, S1, 7, H_INSIDE);
	uint8_t out[512];
	size_t olen;
	struct evlog l;

	(void)st;
	assert_int_equal(run(H_INSIDE, &s, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_GRANT_WAIT), 1);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_POOL_EMPTY), 0);
	read_events(&l);
	assert_int_equal(l.n, 0);
	H.pv.grant_new[CGNAT_NEW_DRY] = 1;
	assert_int_equal(run(H_INSIDE, &s, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_POOL_EMPTY), 1);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_GRANT_WAIT), 1);
	read_events(&l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.ev[0].type, EVT_POOL_EMPTY);
	assert_int_equal(l.ev[0].sub_addr, pkt_ip(H1));
	/* Granted later, the same flow goes through at once. */
	pb_refill(&H.pb, &H.pv);
	assert_int_equal(H.pv.grant_new[CGNAT_NEW_DRY], 0);
	assert_int_equal(run(H_INSIDE, &s, out, &olen), XDP_REDIRECT);
}

/* A growing subscriber finds its address's growth slots empty. While
 * the address has free blocks (its word in cgnat_addr_dry clear) that is
 * a refill on its way: grant_wait, silent, no event. Once the allocator
 * says the address has none left: pool_empty, ICMP and the "ports
 * exhausted" event. Refilled, the same flow goes through at once.
 */
static void test_growth_slots_empty(void **st)
{
	struct pkt_spec s = spec(17, H1, 5000, S1, 7, H_INSIDE);
	uint32_t ext, a, i, wait0;
	uint8_t out[512];
	size_t olen;
	struct evlog l;

	(void)st;
	xlate_out(&s, &ext);
	for (i = 1; i < 64; i++) {	/* the first block's 64 ports */
		s = spec(17, H1, 5000 + i, S1, 7, H_INSIDE);
		xlate_out(&s, &ext);
	}
	read_events(&l);
	assert_int_equal(l.n, 1);	/* its first block */
	for (a = 0; a < 4 && H.addrs[a] != ext; a++)
		;
	assert_true(a < 4);
	assert_int_equal(H.pv.addr_dry[a], 0);
	for (i = 0; i < CGNAT_GRANT_DEPTH; i++)	/* a burst drained them */
		H.pv.grant_addr[a * CGNAT_GRANT_DEPTH + i] = 0;
	wait0 = h_stat(&H, STAT_DROP_BASE + REASON_GRANT_WAIT);
	s = spec(17, H1, 6000, S1, 7, H_INSIDE);
	assert_int_equal(run(H_INSIDE, &s, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_GRANT_WAIT),
			 wait0 + 1);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_POOL_EMPTY), 0);
	assert_int_equal(h_stat(&H, STAT_GRANT_ADDR_EMPTY), 1);
	read_events(&l);
	assert_int_equal(l.n, 0);
	/* The address out of blocks: empty, answered and logged. */
	H.pv.addr_dry[a] = 1;
	assert_int_not_equal(run(H_INSIDE, &s, out, &olen), XDP_REDIRECT);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_POOL_EMPTY), 1);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_GRANT_WAIT),
			 wait0 + 1);
	read_events(&l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.ev[0].type, EVT_ADDR_EMPTY);
	assert_int_equal(l.ev[0].sub_addr, pkt_ip(H1));
	assert_int_equal(l.ev[0].ext_addr, ext);
	/* A sync and a refill: the word clear again, the flow through. */
	pb_sync(&H.pb, &H.pv, 1000000);
	pb_refill(&H.pb, &H.pv);
	assert_int_equal(H.pv.addr_dry[a], 0);
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

/* limits.new_flows_per_subscriber at 1 a second with a burst of 5: H1's
 * first five new flows go through, the sixth is refused before any state
 * is made (no session, no mapping, its session count unchanged) with one
 * event; H1's existing flows and H2's new ones are untouched. A faster
 * limit (a reload) holds at once and refills as its rate says; the limit
 * off admits everything.
 */
static void set_flow_limit(uint32_t rate, uint32_t burst)
{
	struct cgnat_flow_limit l = { 0 };

	if (rate) {
		l.interval_ns = 1000000000ull / rate;
		l.tau_ns = (uint64_t)(burst - 1) * l.interval_ns;
		l.rate = rate;
		l.burst = burst;
	}
	assert_int_equal(dp_set_flow_limit(&H.dp, &l), 0);
}

static void test_new_flow_rate(void **st)
{
	struct pkt_spec s;
	struct cgnat_sess ss;
	uint8_t out[512];
	size_t olen;
	uint32_t ext, sess0, h1 = pkt_ip(H1), idx;
	struct evlog l;
	int i;

	(void)st;
	set_flow_limit(1, 5);
	for (i = 0; i < 5; i++) {
		s = spec(17, H1, 5000 + i, S1, 7, H_INSIDE);
		xlate_out(&s, &ext);
	}
	assert_int_equal(bpf_map_lookup_elem(
				 bpf_map__fd(H.dp.skel->maps.cgnat_sub_idx),
				 &h1, &idx), 0);
	sess0 = H.pv.subs[idx].sessions;
	assert_int_equal(sess0, 5);
	read_events(&l);	/* the first block's assignment */
	s = spec(17, H1, 6000, S1, 7, H_INSIDE);
	assert_int_equal(run(H_INSIDE, &s, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_FLOW_RATE), 1);
	assert_int_not_equal(h_sess(&H, 17, h1, 6000, pkt_ip(S1), 7, &ss), 0);
	assert_int_equal(H.pv.subs[idx].sessions, sess0);
	assert_int_equal(h_stat(&H, STAT_NEW_SESSION), 5);
	assert_int_equal(h_stat(&H, STAT_NEW_MAPPING), 5);
	read_events(&l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.ev[0].type, EVT_QUOTA_FLOWS);
	assert_int_equal(l.ev[0].sub_addr, pkt_ip(H1));
	assert_int_equal(l.ev[0].value, 1);
	/* Refused again: counted, no second event within the interval. */
	s = spec(6, H1, 6001, S1, 80, H_INSIDE);
	assert_int_equal(run(H_INSIDE, &s, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_FLOW_RATE), 2);
	read_events(&l);
	assert_int_equal(l.n, 0);
	/* H1's existing flow and H2's new ones are not limited. */
	s = spec(17, H1, 5000, S1, 7, H_INSIDE);
	xlate_out(&s, &ext);
	for (i = 0; i < 5; i++) {
		s = spec(17, H2, 7000 + i, S1, 7, H_INSIDE);
		xlate_out(&s, &ext);
	}
	/* A new limit holds at once: the debt of the slower one is
	 * forgiven down to a spent burst (10 a second, a burst of 1). */
	set_flow_limit(10, 1);
	s = spec(17, H1, 6100, S1, 7, H_INSIDE);
	xlate_out(&s, &ext);
	s = spec(17, H1, 6101, S1, 7, H_INSIDE);
	assert_int_equal(run(H_INSIDE, &s, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_FLOW_RATE), 3);
	usleep(150000);		/* 100 ms a flow, the coarse clock's tick */
	xlate_out(&s, &ext);
	s = spec(17, H1, 6102, S1, 7, H_INSIDE);
	assert_int_equal(run(H_INSIDE, &s, out, &olen), XDP_DROP);
	set_flow_limit(0, 0);	/* off: no limit */
	for (i = 0; i < 20; i++) {
		s = spec(17, H1, 6200 + i, S1, 7, H_INSIDE);
		xlate_out(&s, &ext);
	}
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_FLOW_RATE), 4);
}

/* The long-run rate under the coarse clock: 1000 a second and a burst
 * of 1, which cgnatd raises to a tick (10 ms: daemon/dpconf.c); new
 * flows sent for 200 ms as fast as test runs go: about 200 of them
 * through, plus the burst's 10. With no burst at all (tau 0) only one
 * a tick passed: 51 in the run that found it, at HZ 250.
 */
static void test_new_flow_rate_ticks(void **st)
{
	struct cgnat_flow_limit l = { .interval_ns = 1000000,
				      .tau_ns = 10000000, .rate = 1000,
				      .burst = 1 };
	struct pkt_spec s;
	uint8_t out[512];
	size_t olen;
	uint64_t t0 = h_now_ns();
	int i, n = 0;

	(void)st;
	assert_int_equal(dp_set_flow_limit(&H.dp, &l), 0);
	for (i = 0; h_now_ns() < t0 + 200000000ull; i++) {
		s = spec(17, H1, 1024 + (i & 0xffff), S1, 7 + (i >> 16),
			 H_INSIDE);
		n += run(H_INSIDE, &s, out, &olen) == XDP_REDIRECT;
	}
	fprintf(stderr, "# %d of %d new flows in 200 ms\n", n, i);
	assert_in_range(n, 170, 250);
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
	uint64_t n;
	uint32_t ext;
	uint16_t p = xlate_out(&s, &ext);

	(void)st;
	assert_true(port_bit(ext, p, CGNAT_P_UDP));
	a = sweep_at(299);
	assert_int_equal(a.sessions_expired, 0);
	assert_int_equal(a.mappings_expired, 0);
	a = sweep_at(302);
	assert_int_equal(a.sessions_expired, 1);
	/* The mapping goes by its bound: the end of its session's
	 * CGNAT_MAP_BOUND slot, for a 300 s timer under 2^35 ns (34.4 s)
	 * later: by this sweep or the next.
	 */
	n = a.mappings_expired;
	a = sweep_at(337);
	assert_int_equal(n + a.mappings_expired, 1);
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

/* A TCP mapping a packet just marked in use survives the walk that would
 * otherwise take it (the handshake of nat_map_use): its sessions' marks
 * keep it from the next walk on. (Other mappings go by their bound: a
 * mark says nothing the bound does not.)
 */
static void test_sweep_keeps_marked_mapping(void **st)
{
	struct pkt_spec s = spec(6, H1, 5000, S1, 7, H_INSIDE);
	struct cgnat_map_key k = { .addr = pkt_ip(H1), .port = htons(5000),
				   .proto = 6, .dir = CGNAT_DIR_OUT };
	struct cgnat_map m;
	int fd = bpf_map__fd(H.dp.skel->maps.cgnat_mappings);
	uint32_t ext;

	(void)st;
	s.tcp_flags = 0x02;
	xlate_out(&s, &ext);
	assert_int_equal(bpf_map_lookup_elem(fd, &k, &m), 0);
	m.epoch = CGNAT_EPOCH_IN_USE;
	assert_int_equal(bpf_map_update_elem(fd, &k, &m, BPF_EXIST), 0);
	/* Both sweeps walk the mappings (they may wait otherwise). The
	 * SYN's session goes in the first, but not the mapping with it:
	 * it is no longer sole.
	 */
	H.dp.sw.map_every = 1;
	assert_int_equal(sweep_at(400).sessions_expired, 1);
	assert_int_equal(H.dp.sw.a.mappings_expired, 0);
	H.dp.sw.map_every = 1;
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
	for (i = 0; i < CGNAT_NEW_DEPTH; i++)
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_udp_out_and_in, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tcp_out_and_in, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_udp_zero_csum_and_options, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_icmp_echo, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_eim_many_destinations, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_parity, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tcp_state_timers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_udp_port_timers, setup,
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
		cmocka_unit_test_setup_teardown(test_hairpin_adf_permit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hairpin_off, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_paired_growth_quota, setup4,
						teardown),
		cmocka_unit_test_setup_teardown(test_pool_empty, setup_empty,
						teardown),
		cmocka_unit_test_setup_teardown(test_growth_slots_empty,
						setup4, teardown),
		cmocka_unit_test_setup_teardown(test_new_flow_rate, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_new_flow_rate_ticks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_session_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_inputs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sweep_udp_expiry, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sweep_tcp_timers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sweep_keeps_marked_mapping, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_block_release_and_quarantine, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_release_marker_blocks_ports, setup,
						teardown),
	};

	if (h_netns())
		return 1;
	return cmocka_run_group_tests_name("bpf_nat", tests, NULL, NULL);
}
