// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_det.c - deterministic NAT (RFC 7422) through the XDP program: a
 * deterministic pool beside a PBA pool in one load. A deterministic
 * subscriber's flows land in its computed range on its computed address,
 * at random positions, with no block taken and no log event; the range
 * translates back inbound; a full range refuses (drop, counter, ICMP 3/1,
 * quota event carrying the range) or, with overflow_blocks, takes PBA
 * blocks of its own address above the deterministic region, which are
 * logged like any block.
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

#define H4 "100.64.1.200" /* deterministic, offset 200 */

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

static int setup_256(void **st)
{
	(void)st;
	return h_load_det(&H, 256, 256, 0);
}

static int setup_64(void **st)
{
	(void)st;
	return h_load_det(&H, 256, 64, 0);
}

static int setup_overflow(void **st)
{
	(void)st;
	return h_load_det(&H, 256, 64, 2);
}

/* The range the layout gives 'sub' (dotted), from allocator/det.c. */
static void range_of(const char *sub, uint32_t *ext, uint16_t *lo, uint16_t *hi)
{
	uint32_t e;

	assert_int_equal(det_forward(&H.det, ntohl(pkt_ip(sub)), &e, lo, hi),
			 0);
	*ext = htonl(e);
}

/* 200 flows of H3 all land in its range on its address, distinct, with
 * the source parity, at random positions; each maps back to H3 by the
 * layout alone, and translates back inbound. Nothing is logged.
 */
static void test_flows_in_range(void **st)
{
	static uint8_t used[65536];
	uint16_t lo, hi, p, first[32];
	uint32_t ext, want, sub;
	struct pkt_spec s;
	struct evlog l;
	int i, sorted = 1, words = 0, w;
	uint64_t wmask = 0;

	(void)st;
	memset(used, 0, sizeof(used));
	range_of(H3, &want, &lo, &hi);
	assert_int_equal(ntohl(want), ntohl(pkt_ip("203.0.113.3")));
	assert_int_equal(lo, 1024 + 10 * 256); /* offset 10 */
	assert_int_equal(hi - lo + 1, 256);
	for (i = 0; i < 200; i++) {
		s = spec(17, H3, 20000 + i, S1, 7, H_INSIDE);
		p = xlate_out(&s, &ext);
		assert_int_equal(ext, want);
		assert_true(p >= lo && p <= hi);
		assert_int_equal(p % 2, (20000 + i) % 2);
		assert_int_equal(used[p], 0);
		used[p] = 1;
		assert_int_equal(det_reverse(&H.det, ntohl(ext), p, &sub), 0);
		assert_int_equal(sub, ntohl(pkt_ip(H3)));
		if (i < 32)
			first[i] = p;
		if (i == 0)
			xlate_in(spec(17, S1, 7, ip_str(ext, 0), p, H_OUTSIDE),
				 H3, 20000);
	}
	for (i = 1; i < 32; i++)
		sorted &= first[i] > first[i - 1];
	for (i = 0; i < 32; i++)
		wmask |= 1ull << ((first[i] - lo) / 64);
	for (w = 0; w < 4; w++)
		words += !!(wmask & (1ull << w));
	assert_false(sorted); /* not handed out in order */
	assert_true(words >= 2); /* spread over the range's words */
	assert_int_equal(h_stat(&H, STAT_BLOCK_TAKEN), 0);
	read_events(&l);
	assert_int_equal(l.n, 0);
}

/* A PBA subscriber beside it still gets a logged block of pool 0, and a
 * second deterministic subscriber its own address and range.
 */
static void test_beside_pba(void **st)
{
	uint32_t ext, want;
	uint16_t lo, hi, p;
	struct pkt_spec s;
	struct evlog l;

	(void)st;
	s = spec(17, H1, 5000, S1, 7, H_INSIDE);
	xlate_out(&s, &ext);
	assert_true(ext == pkt_ip("203.0.113.1") ||
		    ext == pkt_ip("203.0.113.2"));
	range_of(H4, &want, &lo, &hi);
	assert_int_equal(ntohl(want), ntohl(pkt_ip("203.0.113.4")));
	assert_int_equal(lo, 1024 + (200 - 128) * 256);
	s = spec(6, H4, 40000, S2, 443, H_INSIDE);
	p = xlate_out(&s, &ext);
	assert_int_equal(ext, want);
	assert_true(p >= lo && p <= hi);
	s = spec(1, H3, 77, S1, 0, H_INSIDE); /* ICMP id from the range */
	p = xlate_out(&s, &ext);
	range_of(H3, &want, &lo, &hi);
	assert_int_equal(ext, want);
	assert_true(p >= lo && p <= hi);
	assert_int_equal(h_stat(&H, STAT_BLOCK_TAKEN), 1);
	read_events(&l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.ev[0].type, EVT_BLOCK_ASSIGNED);
	assert_int_equal(l.ev[0].sub_addr, pkt_ip(H1));
}

/* Fills H3's 64-port range, then asks for one more. */
static void fill_range(uint32_t *ext, uint16_t *lo, uint16_t *hi)
{
	struct pkt_spec s;
	uint16_t p;
	int i;

	range_of(H3, ext, lo, hi);
	for (i = 0; i < 64; i++) {
		s = spec(17, H3, 30000 + i, S1, 7, H_INSIDE);
		p = xlate_out(&s, ext);
		assert_true(p >= *lo && p <= *hi);
	}
}

/* No overflow: the 65th flow is refused with ICMP 3/1 and a quota event
 * naming the range; other subscribers are unaffected.
 */
static void test_exhaustion_refuses(void **st)
{
	struct pkt_spec s = spec(17, H3, 31000, S1, 7, H_INSIDE);
	uint8_t out[512];
	size_t olen;
	uint32_t ext;
	uint16_t lo, hi;
	struct evlog l;

	(void)st;
	H.o.cfg.unreach_type = 3;
	H.o.cfg.unreach_code = 1;
	H.o.cfg.unreach_rate = 10;
	assert_int_equal(dp_set_cfg(&H.dp, &H.o.cfg), 0);
	fill_range(&ext, &lo, &hi);
	assert_int_equal(run(H_INSIDE, &s, out, &olen), XDP_REDIRECT);
	assert_true(olen >= 14 + 20 + 8);
	assert_int_equal(out[23], 1); /* ICMP */
	assert_int_equal(out[34], 3); /* destination unreachable */
	assert_int_equal(out[35], 1); /* host unreachable */
	assert_int_equal(memcmp(out + 30, &s.saddr, 4), 0); /* to H3 */
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_QUOTA), 1);
	assert_int_equal(h_stat(&H, STAT_ICMP_SENT), 1);
	assert_int_equal(h_stat(&H, STAT_BLOCK_TAKEN), 0);
	read_events(&l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.ev[0].type, EVT_QUOTA_BLOCKS);
	assert_int_equal(l.ev[0].sub_addr, pkt_ip(H3));
	assert_int_equal(l.ev[0].ext_addr, ext);
	assert_int_equal(l.ev[0].port_first, lo);
	assert_int_equal(l.ev[0].port_last, hi);
	assert_int_equal(l.ev[0].value, 0);
	s = spec(17, H4, 31000, S1, 7, H_INSIDE);
	xlate_out(&s, &ext);
}

/* With overflow_blocks 2: past the range, flows take blocks of H3's own
 * address above the deterministic region, each logged as a block; the
 * third block is the quota.
 */
static void test_exhaustion_overflows(void **st)
{
	uint32_t ext, e2, region_end = det_region_end(&H.det);
	struct pkt_spec s;
	uint16_t lo, hi, p;
	uint8_t out[512];
	size_t olen;
	struct evlog l;
	int i;

	(void)st;
	fill_range(&ext, &lo, &hi);
	for (i = 0; i < 2 * 256; i++) {
		s = spec(17, H3, 40000 + i, S1, 7, H_INSIDE);
		p = xlate_out(&s, &e2);
		assert_int_equal(e2, ext); /* paired pooling */
		assert_true(p >= region_end);
	}
	s = spec(17, H3, 50000, S1, 7, H_INSIDE);
	assert_int_equal(run(H_INSIDE, &s, out, &olen), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_BLOCK_TAKEN), 2);
	read_events(&l);
	assert_int_equal(l.n, 3);
	for (i = 0; i < 2; i++) {
		assert_int_equal(l.ev[i].type, EVT_BLOCK_ASSIGNED);
		assert_int_equal(l.ev[i].sub_addr, pkt_ip(H3));
		assert_int_equal(l.ev[i].ext_addr, ext);
		assert_true(l.ev[i].port_first >= region_end);
	}
	assert_int_equal(l.ev[2].type, EVT_QUOTA_BLOCKS);
	assert_int_equal(l.ev[2].value, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flows_in_range, setup_256,
						teardown),
		cmocka_unit_test_setup_teardown(test_beside_pba, setup_256,
						teardown),
		cmocka_unit_test_setup_teardown(test_exhaustion_refuses,
						setup_64, teardown),
		cmocka_unit_test_setup_teardown(test_exhaustion_overflows,
						setup_overflow, teardown),
	};

	if (h_netns())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
