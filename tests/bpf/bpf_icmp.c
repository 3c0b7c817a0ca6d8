// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_icmp.c - ICMP through the XDP program: the unreachable sent for
 * refused flows, errors translated both ways and hairpinned (a table of
 * types, quoted options, RFC 4884 extensions, damaged quotes), time
 * exceeded and packet too big generated, each compared byte for byte
 * with an error frame built from scratch.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/cgnat.skel.h"

#include "tests/bpf/nat_util.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_quota_icmp_unreachable, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_icmp_err_in_udp, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_icmp_err_in_tcp_full_quote, setup,
						teardown),
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
		cmocka_unit_test_setup_teardown(test_ptb_out, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ptb_in, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_icmp_err_hairpin, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_icmp_err_unknown_flow, setup,
						teardown),
	};

	if (h_netns())
		return 1;
	return cmocka_run_group_tests_name("bpf_icmp", tests, NULL, NULL);
}
