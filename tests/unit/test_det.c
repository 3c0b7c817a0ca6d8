// SPDX-License-Identifier: GPL-2.0
/*
 * test_det.c - deterministic NAT (RFC 7422): the layout arithmetic of
 * allocator/det.c, forward and reverse for every subscriber of a /20 and
 * every port of every range at several ratios, with boundary addresses
 * included and excluded; and the configuration keys of a deterministic
 * pool with their errors.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "allocator/det.h"
#include "config/cfg.h"
#include "tests/unit/test_config_util.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

/* RFC 7422 section 2.3's example on our addresses: 16 inside addresses,
 * one outside address, 4032 ports each from 1024.
 */
static void test_rfc_example(void **state)
{
	struct det_prefix in = {IP(100, 64, 0, 0), 28};
	struct det_prefix out = {IP(203, 0, 113, 1), 32};
	struct det_layout l;
	uint32_t ext, sub;
	uint16_t lo, hi;

	(void)state;
	assert_int_equal(
		det_layout_init(&l, &in, 1, &out, 1, 1024, 65535, 4032, false),
		0);
	assert_int_equal(l.spa, 16);
	assert_int_equal(l.n_subs, 16);
	assert_int_equal(det_forward(&l, IP(100, 64, 0, 0), &ext, &lo, &hi), 0);
	assert_int_equal(ext, IP(203, 0, 113, 1));
	assert_int_equal(lo, 1024);
	assert_int_equal(hi, 5055);
	assert_int_equal(det_forward(&l, IP(100, 64, 0, 1), &ext, &lo, &hi), 0);
	assert_int_equal(lo, 5056);
	assert_int_equal(hi, 9087);
	assert_int_equal(det_forward(&l, IP(100, 64, 0, 15), &ext, &lo, &hi),
			 0);
	assert_int_equal(lo, 61504);
	assert_int_equal(hi, 65535);
	assert_int_equal(det_reverse(&l, IP(203, 0, 113, 1), 9087, &sub), 0);
	assert_int_equal(sub, IP(100, 64, 0, 1));
	assert_int_equal(det_reverse(&l, IP(203, 0, 113, 1), 1023, &sub),
			 -ENOENT);
	assert_int_equal(det_reverse(&l, IP(203, 0, 113, 2), 2000, &sub),
			 -ENOENT);
	assert_int_equal(det_forward(&l, IP(100, 64, 0, 16), &ext, &lo, &hi),
			 -ENOENT);
	/* A 17th subscriber does not fit. */
	in.len = 27;
	assert_int_equal(
		det_layout_init(&l, &in, 1, &out, 1, 1024, 65535, 4032, false),
		-ENOSPC);
	assert_int_equal(det_fit_pps(32, 1, 1024, 65535), 1984);
}

struct ratio {
	uint32_t pps;
	uint8_t out_len; /* of 203.0.113.0 */
	bool excl;
};

/* Every subscriber of 100.64.16.0/20 forward, every port of its range
 * back: f2(f1(x)) = x, ranges of pps ports >= 1024, no boundary address
 * when excluded, and every range distinct (a second owner of any port
 * would make its reverse disagree).
 */
static void check_ratio(const struct ratio *r)
{
	struct det_prefix in = {IP(100, 64, 16, 0), 20};
	struct det_prefix out = {IP(203, 0, 113, 0), r->out_len};
	uint32_t last_out = out.addr + (1u << (32 - r->out_len)) - 1;
	uint32_t i, sub, back, ext, p, seen = 0;
	struct det_layout l;
	uint16_t lo, hi;

	assert_int_equal(det_layout_init(&l, &in, 1, &out, 1, 1024, 65535,
					 r->pps, r->excl),
			 0);
	assert_int_equal(l.spa, (4096 + l.n_ext - 1) / l.n_ext);
	assert_true(det_region_end(&l) <= 65536);
	for (i = 0; i < 4096; i++) {
		sub = in.addr + i;
		assert_int_equal(det_forward(&l, sub, &ext, &lo, &hi), 0);
		assert_int_equal(hi - lo + 1, r->pps);
		assert_true(lo >= 1024);
		assert_true(ext >= out.addr && ext <= last_out);
		if (r->excl)
			assert_true(ext != out.addr && ext != last_out);
		for (p = lo; p <= hi; p++) {
			assert_int_equal(
				det_reverse(&l, ext, (uint16_t)p, &back), 0);
			if (back != sub)
				fail_msg("%u:%u maps back to %x, not %x", ext,
					 p, back, sub);
			seen++;
		}
		assert_int_equal(det_reverse(&l, ext, 1023, &back), -ENOENT);
	}
	assert_int_equal(seen, 4096 * r->pps);
	if (r->excl) {
		assert_int_equal(det_reverse(&l, out.addr, 1024, &back),
				 -ENOENT);
		assert_int_equal(det_reverse(&l, last_out, 1024, &back),
				 -ENOENT);
	}
}

static void test_slash20_ratios(void **state)
{
	static const struct ratio rs[] = {
		{3776, 24, true}, /* 17 per address on 254 */
		{3776, 24, false}, {1024, 25, true}, /* 63 per address */
		{1024, 25, false}, {256, 27, true}, /* 252 per address */
		{64, 29, true}, /* 1008 per address on 6 */
		{64, 29, false},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rs) / sizeof(rs[0]); i++)
		check_ratio(&rs[i]);
}

/* Prefixes are laid out sorted, whatever the file order; the overflow
 * region starts after the last full range.
 */
static void test_sorted_prefixes(void **state)
{
	struct det_prefix in[] = {{IP(100, 64, 1, 0), 24},
				  {IP(100, 64, 0, 0), 24}};
	struct det_prefix out[] = {{IP(203, 0, 113, 8), 30},
				   {IP(203, 0, 113, 4), 30}};
	struct det_layout l;
	uint32_t ext, sub, off;
	uint16_t lo, hi;

	(void)state;
	assert_int_equal(
		det_layout_init(&l, in, 2, out, 2, 1024, 65535, 256, true), 0);
	assert_int_equal(l.n_ext, 4); /* .5 .6 .9 .10 */
	assert_int_equal(l.spa, 128); /* spread evenly: 512 / 4 */
	assert_int_equal(det_region_end(&l), 1024 + 128 * 256);
	assert_int_equal(det_offset(&l, IP(100, 64, 1, 0), &off), 0);
	assert_int_equal(off, 256);
	assert_int_equal(det_forward(&l, IP(100, 64, 0, 0), &ext, &lo, &hi), 0);
	assert_int_equal(ext, IP(203, 0, 113, 5));
	assert_int_equal(lo, 1024);
	/* Offset 256 = address index 2 (.9), slot 0. */
	assert_int_equal(det_forward(&l, IP(100, 64, 1, 0), &ext, &lo, &hi), 0);
	assert_int_equal(ext, IP(203, 0, 113, 9));
	assert_int_equal(lo, 1024);
	/* Offset 511 = index 3 (.10), slot 127. */
	assert_int_equal(det_forward(&l, IP(100, 64, 1, 255), &ext, &lo, &hi),
			 0);
	assert_int_equal(ext, IP(203, 0, 113, 10));
	assert_int_equal(lo, 1024 + 127 * 256);
	assert_int_equal(hi, 1024 + 128 * 256 - 1);
	/* Above the region: the dynamic pool, no one's by layout. */
	assert_int_equal(
		det_reverse(&l, IP(203, 0, 113, 10), 1024 + 128 * 256, &sub),
		-ENOENT);
	assert_int_equal(det_reverse(&l, IP(203, 0, 113, 8), 1024, &sub),
			 -ENOENT);
}

static void test_layout_same(void **state)
{
	struct det_prefix in = {IP(100, 64, 0, 0), 24};
	struct det_prefix out = {IP(203, 0, 113, 0), 28};
	struct det_layout a, b;

	(void)state;
	assert_int_equal(
		det_layout_init(&a, &in, 1, &out, 1, 1024, 65535, 1024, false),
		0);
	assert_int_equal(
		det_layout_init(&b, &in, 1, &out, 1, 1024, 65535, 1024, false),
		0);
	assert_true(det_layout_same(&a, &b));
	assert_int_equal(
		det_layout_init(&b, &in, 1, &out, 1, 1024, 65535, 1024, true),
		0);
	assert_false(det_layout_same(&a, &b));
	assert_int_equal(
		det_layout_init(&b, &in, 1, &out, 1, 1024, 65535, 512, false),
		0);
	assert_false(det_layout_same(&a, &b));
	assert_int_equal(
		det_layout_init(&b, &in, 1, &out, 1, 1024, 65535, 100, false),
		-EINVAL);
}

#define HEAD                                                                   \
	"interfaces: { inside: in0, outside: out0 }\n"                         \
	"subscribers: [100.64.0.0/20]\n"

static void test_config_ok(void **state)
{
	struct det_layout l;
	uint32_t ext;
	uint16_t lo, hi;

	(void)state;
	expect_ok(HEAD "pools:\n"
		       "  - addresses: [203.0.113.0/24]\n"
		       "    mode: deterministic\n"
		       "    ports_per_subscriber: 3776\n"
		       "    include_boundary_addresses: false\n");
	assert_int_equal(cfg.pools[0].mode, CFG_POOL_DETERMINISTIC);
	assert_int_equal(cfg_det_layout(&cfg, 0, &l), 0);
	assert_int_equal(det_forward(&l, IP(100, 64, 0, 0), &ext, &lo, &hi), 0);
	assert_int_equal(ext, IP(203, 0, 113, 1));
	/* PBA stays the default. */
	expect_ok(HEAD "pools:\n  - addresses: [203.0.113.0/24]\n");
	assert_int_equal(cfg.pools[0].mode, CFG_POOL_PBA);
	assert_int_equal(cfg_det_layout(&cfg, 0, &l), -EINVAL);
}

static void test_config_errors(void **state)
{
	(void)state;
	expect_err(HEAD "pools:\n"
			"  - addresses: [203.0.113.0/24]\n"
			"    mode: deterministic\n"
			"    ports_per_subscriber: 4032\n"
			"    include_boundary_addresses: false\n",
		   "cgnat.yaml:6:27: pools[0].ports_per_subscriber: 4096 "
		   "subscribers do not fit on 254 usable addresses at 4032 "
		   "ports each (17 per address, but ports 1024-65535 hold 16 "
		   "ranges; that needs 256 addresses): ports_per_subscriber: "
		   "3776 fits, 17 subscribers per address, or add addresses");
	expect_err(HEAD "pools:\n"
			"  - addresses: [203.0.113.0/28]\n"
			"    mode: deterministic\n"
			"    ports_per_subscriber: 4032\n",
		   "cgnat.yaml:6:27: pools[0].ports_per_subscriber: 4096 "
		   "subscribers do not fit on 16 usable addresses at 4032 "
		   "ports each (256 per address, but ports 1024-65535 hold 16 "
		   "ranges; that needs 256 addresses): ports_per_subscriber: "
		   "192 fits, 256 subscribers per address, or add addresses");
	expect_err(HEAD "pools:\n"
			"  - addresses: [203.0.113.0/24]\n"
			"    mode: deterministic\n"
			"    ports_per_subscriber: 1000\n",
		   "cgnat.yaml:6:27: pools[0].ports_per_subscriber: 1000 is "
		   "not a multiple of 64 (use 960 or 1024)");
	expect_err(HEAD "pools:\n"
			"  - addresses: [203.0.113.0/24]\n"
			"    mode: deterministic\n",
		   "cgnat.yaml:4:5: pools[0]: missing required key "
		   "'ports_per_subscriber' (needed by mode: deterministic, a "
		   "multiple of 64, e.g. ports_per_subscriber: 2016)");
	expect_err(HEAD "pools:\n"
			"  - addresses: [203.0.113.0/24]\n"
			"    ports_per_subscriber: 1024\n",
		   "cgnat.yaml:5:27: pools[0].ports_per_subscriber: only a "
		   "deterministic pool has ports_per_subscriber (add mode: "
		   "deterministic to this pool, or remove the key)");
	expect_err(HEAD "pools:\n"
			"  - addresses: [203.0.113.0/24]\n"
			"    mode: deterministic\n"
			"    ports_per_subscriber: 4032\n"
			"    overflow_blocks: 4\n",
		   "cgnat.yaml:7:22: pools[0].overflow_blocks: 4 blocks of 256 "
		   "ports do not fit above the deterministic region, which "
		   "ends at port 65535 (0 fit; lower overflow_blocks or "
		   "ports_per_subscriber)");
	expect_ok(HEAD "pools:\n"
		       "  - addresses: [203.0.113.0/24]\n"
		       "    mode: deterministic\n"
		       "    ports_per_subscriber: 3968\n"
		       "    overflow_blocks: 4\n");
	expect_err(HEAD "pools:\n"
			"  - addresses: [203.0.113.0/24]\n"
			"    mode: sequential\n",
		   "cgnat.yaml:5:11: pools[0].mode: 'sequential' is not valid "
		   "(one of pba, deterministic)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_example),
		cmocka_unit_test(test_slash20_ratios),
		cmocka_unit_test(test_sorted_prefixes),
		cmocka_unit_test(test_layout_same),
		cmocka_unit_test(test_config_ok),
		cmocka_unit_test(test_config_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
