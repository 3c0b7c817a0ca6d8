// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_mss.c - TCP MSS clamping (bpf/mss.h) through the XDP program.
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mss_syn_out, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mss_synack_in, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mss_no_option, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mss_after_other_options, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mss_malformed_options, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mss_non_syn_and_off, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mss_hairpin, setup,
						teardown),
	};

	if (h_netns())
		return 1;
	return cmocka_run_group_tests_name("bpf_mss", tests, NULL, NULL);
}
