// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_frag.c - IP fragments (bpf/frag.h) through the XDP program: both
 * ways against the whole datagram built and cut from scratch, and the
 * hold / READY / run-again cycle of a fragment that comes early.
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

/* 's' as it leaves towards the internet from external ext:p. */
static struct pkt_spec as_sent_out(struct pkt_spec s, uint32_t ext,
				   uint16_t p)
{
	s.saddr = ext;
	s.sport = p;
	s.ttl = 63;
	memcpy(s.smac, h_mac_tout, 6);
	memcpy(s.dmac, h_mac_gw, 6);
	return s;
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
	w = as_sent_out(s, ext, p);
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
	w = as_sent_out(s, ext, p);
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
		cmocka_unit_test_setup_teardown(test_frag_out_and_in, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_frag_early_held, setup,
						teardown),
	};

	if (h_netns())
		return 1;
	return cmocka_run_group_tests_name("bpf_frag", tests, NULL, NULL);
}
