// SPDX-License-Identifier: GPL-2.0
/*
 * test_config_pools.c - the address plan: malformed addresses, prefixes
 * with host bits, pool addresses inside subscriber space (RFC 4787 REQ-7),
 * overlaps between and within pools, pool subscribers outside the
 * top-level list or claimed twice, coverage, and the size limits. Every
 * error asserts its exact message and position.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config/cfg.h"
#include "tests/unit/test_config_util.h"

#define HEAD "interfaces: { inside: in0, outside: out0 }\n"
#define SUBS "subscribers: [100.64.0.0/10]\n"

static void test_malformed_address(void **state)
{
	(void)state;
	expect_err(HEAD "subscribers: [100.64.0.256/10]\n",
		   "cgnat.yaml:2:15: subscribers[0]: '100.64.0.256/10' is not an IPv4 address or prefix (e.g. 100.64.0.0/10)");
	expect_err(HEAD "subscribers: [100.64.0.0/33]\n",
		   "cgnat.yaml:2:15: subscribers[0]: '100.64.0.0/33' is not an IPv4 address or prefix (e.g. 100.64.0.0/10)");
	expect_err(HEAD SUBS "pools:\n  - addresses: [203.0.113]\n",
		   "cgnat.yaml:4:17: pools[0].addresses[0]: '203.0.113' is not an IPv4 address or prefix (e.g. 203.0.113.0/28)");
	expect_err(HEAD SUBS "pools:\n  - addresses: [[203.0.113.1]]\n",
		   "cgnat.yaml:4:17: pools[0].addresses[0]: expected an IPv4 address or prefix (e.g. 203.0.113.0/28), got a list");
	expect_err(HEAD SUBS "pools:\n  - addresses: 203.0.113.1\n",
		   "cgnat.yaml:4:16: pools[0].addresses: expected a list (e.g. [203.0.113.0/28]), got '203.0.113.1'");
}

static void test_host_bits(void **state)
{
	(void)state;
	expect_err(HEAD "subscribers: [100.64.0.1/10]\n",
		   "cgnat.yaml:2:15: subscribers[0]: 100.64.0.1/10 has host bits set (did you mean 100.64.0.0/10?)");
	expect_err(HEAD SUBS "pools:\n  - addresses: [203.0.113.5/30]\n",
		   "cgnat.yaml:4:17: pools[0].addresses[0]: 203.0.113.5/30 has host bits set (did you mean 203.0.113.4/30?)");
}

static void test_pool_inside_subscribers(void **state)
{
	(void)state;
	expect_err(HEAD SUBS "pools:\n  - addresses: [203.0.113.1, 100.64.0.1]\n",
		   "cgnat.yaml:4:30: pools[0].addresses[1]: 100.64.0.1 overlaps subscribers[0] 100.64.0.0/10 (RFC 4787 REQ-7: external addresses must not overlap internal ones)");
	/* A pool prefix that swallows the subscribers is refused too. */
	expect_err(HEAD "subscribers: [100.64.0.0/24]\n"
		   "pools:\n  - addresses: [100.64.0.0/16]\n",
		   "cgnat.yaml:4:17: pools[0].addresses[0]: 100.64.0.0/16 overlaps subscribers[0] 100.64.0.0/24 (RFC 4787 REQ-7: external addresses must not overlap internal ones)");
}

#define TWO_POOLS(a0, s0, a1, s1)                \
	HEAD SUBS "pools:\n"                     \
		  "  - name: a\n"                \
		  "    addresses: [" a0 "]\n"    \
		  "    subscribers: [" s0 "]\n"  \
		  "  - name: b\n"                \
		  "    addresses: [" a1 "]\n"    \
		  "    subscribers: [" s1 "]\n"

static void test_pools_share_address(void **state)
{
	(void)state;
	expect_err(TWO_POOLS("203.0.113.0/28", "100.64.0.0/11",
			     "203.0.113.8/29", "100.96.0.0/11"),
		   "cgnat.yaml:8:17: pools[1].addresses[0]: 203.0.113.8/29 overlaps pools[0].addresses[0] 203.0.113.0/28 (each address belongs to one pool, once)");
	expect_err(HEAD SUBS "pools:\n  - addresses: [203.0.113.1, 203.0.113.1]\n",
		   "cgnat.yaml:4:30: pools[0].addresses[1]: 203.0.113.1 overlaps pools[0].addresses[0] 203.0.113.1 (each address belongs to one pool, once)");
}

static void test_pool_subscribers(void **state)
{
	(void)state;
	expect_err(HEAD SUBS "pools:\n  - addresses: [203.0.113.1]\n"
		   "    subscribers: [10.0.0.0/8]\n",
		   "cgnat.yaml:5:19: pools[0].subscribers[0]: 10.0.0.0/8 is not inside the top-level subscribers (add it there or narrow this prefix)");
	expect_err(TWO_POOLS("203.0.113.1", "100.64.0.0/10", "203.0.113.2",
			     "100.64.0.0/10"),
		   "cgnat.yaml:9:19: pools[1].subscribers[0]: 100.64.0.0/10 overlaps pools[0].subscribers[0] 100.64.0.0/10 (each subscriber uses exactly one pool)");
	expect_err(TWO_POOLS("203.0.113.1", "100.64.0.0/11", "203.0.113.2",
			     "100.64.0.0/12"),
		   "cgnat.yaml:9:19: pools[1].subscribers[0]: 100.64.0.0/12 overlaps pools[0].subscribers[0] 100.64.0.0/11 (each subscriber uses exactly one pool)");
	expect_err(HEAD SUBS "pools:\n"
		   "  - addresses: [203.0.113.1]\n"
		   "    subscribers: [100.64.0.0/10]\n"
		   "  - addresses: [203.0.113.2]\n",
		   "cgnat.yaml:6:5: pools[1]: missing required key 'subscribers' (needed when there is more than one pool, e.g. subscribers: [100.64.0.0/10])");
}

static void test_coverage(void **state)
{
	(void)state;
	expect_err(HEAD SUBS "pools:\n  - addresses: [203.0.113.1]\n"
		   "    subscribers: [100.64.0.0/11]\n",
		   "cgnat.yaml:2:15: subscribers[0]: 100.64.0.0/10 is not fully served by the pools: 100.96.0.0 is in no pool's subscribers (add it to a pool or narrow this prefix)");
	expect_err(TWO_POOLS("203.0.113.1", "100.64.0.0/12", "203.0.113.2",
			     "100.96.0.0/11"),
		   "cgnat.yaml:2:15: subscribers[0]: 100.64.0.0/10 is not fully served by the pools: 100.80.0.0 is in no pool's subscribers (add it to a pool or narrow this prefix)");
	expect_err(HEAD "subscribers: [100.64.0.0/10, 100.64.0.0/16]\n"
		   "pools:\n  - addresses: [203.0.113.1]\n",
		   "cgnat.yaml:2:30: subscribers[1]: 100.64.0.0/16 overlaps subscribers[0] 100.64.0.0/10 (list each subscriber range once)");
}

static void test_pool_limits(void **state)
{
	static char yaml[4096];
	size_t n;
	int i;

	(void)state;
	expect_err(HEAD SUBS "pools:\n  - addresses: [198.18.0.0/16]\n",
		   "cgnat.yaml:4:17: pools[0].addresses[0]: 198.18.0.0/16 brings the pools to 65536 addresses, above the limit of 65535");
	expect_err(HEAD SUBS "pools: []\n",
		   "cgnat.yaml:3:8: pools: needs at least one pool (e.g. [ { name: default, addresses: [203.0.113.0/28] } ])");
	expect_err(HEAD "subscribers: []\n",
		   "cgnat.yaml:2:14: subscribers: needs at least one entry (e.g. [100.64.0.0/10])");
	expect_err(HEAD SUBS "pools: [203.0.113.1]\n",
		   "cgnat.yaml:3:9: pools[0]: expected a mapping (e.g. { name: default, addresses: [203.0.113.0/28] }), got '203.0.113.1'");
	n = (size_t)snprintf(yaml, sizeof(yaml), HEAD SUBS "pools:\n");
	for (i = 0; i < 17; i++)
		n += (size_t)snprintf(yaml + n, sizeof(yaml) - n,
				      "  - { addresses: [203.0.113.%d], subscribers: [100.64.%d.0/24] }\n",
				      i + 1, i);
	expect_err(yaml, "cgnat.yaml:20:5: pools: more than 16 pools (the limit is 16)");
	n = (size_t)snprintf(yaml, sizeof(yaml), HEAD SUBS "pools:\n  - addresses: [");
	for (i = 0; i < 65; i++)
		n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "%s203.0.113.%d",
				      i ? ", " : "", i);
	snprintf(yaml + n, sizeof(yaml) - n, "]\n");
	expect_err(yaml, "cgnat.yaml:4:903: pools[0].addresses: more than 64 entries (merge neighbours into wider prefixes)");
}

static void test_pool_names(void **state)
{
	(void)state;
	expect_err(HEAD SUBS "pools:\n"
		   "  - { name: a, addresses: [203.0.113.1], subscribers: [100.64.0.0/11] }\n"
		   "  - { name: a, addresses: [203.0.113.2], subscribers: [100.96.0.0/11] }\n",
		   "cgnat.yaml:5:13: pools[1].name: 'a' is already the name of pools[0] (pool names must be unique)");
	expect_err(HEAD SUBS "pools:\n  - { name: 'my pool', addresses: [203.0.113.1] }\n",
		   "cgnat.yaml:4:13: pools[0].name: 'my pool' is not a pool name (1 to 31 letters, digits, '_', '-' or '.', starting with a letter or digit)");
}

static void test_pool_name_start(void **state)
{
	(void)state;
	expect_err(HEAD SUBS "pools:\n  - { name: -x, addresses: [203.0.113.1] }\n",
		   "cgnat.yaml:4:13: pools[0].name: '-x' is not a pool name (1 to 31 letters, digits, '_', '-' or '.', starting with a letter or digit)");
	expect_ok(HEAD SUBS "pools:\n  - { name: 0-a_b.c, addresses: [203.0.113.1] }\n");
	assert_string_equal(cfg.pools[0].name, "0-a_b.c");
}

static void test_valid_plan(void **state)
{
	const struct cfg_pool *p;

	(void)state;
	expect_ok(TWO_POOLS("203.0.113.0/28, 203.0.113.20", "100.64.0.0/11",
			    "203.0.113.32/27", "100.96.0.0/11"));
	assert_int_equal(cfg.n_pools, 2);
	p = &cfg.pools[0];
	assert_string_equal(p->name, "a");
	assert_int_equal(p->mark.line, 4);
	assert_int_equal(p->mark.column, 5);
	assert_int_equal(p->addresses.n, 2);
	assert_int_equal(p->addresses.v[0].addr, 0xcb007100);
	assert_int_equal(p->addresses.v[0].len, 28);
	assert_int_equal(p->addresses.v[1].addr, 0xcb007114);
	assert_int_equal(p->addresses.v[1].len, 32);
	assert_int_equal(p->addresses.v[1].mark.line, 5);
	assert_int_equal(p->addresses.v[1].mark.column, 33);
	assert_int_equal(p->subscribers.n, 1);
	assert_int_equal(p->subscribers.v[0].addr, 0x64400000);
	assert_int_equal(p->subscribers.v[0].len, 11);
	p = &cfg.pools[1];
	assert_string_equal(p->name, "b");
	assert_int_equal(p->addresses.v[0].addr, 0xcb007120);
	assert_int_equal(p->subscribers.v[0].addr, 0x64600000);
}

static void test_single_pool_defaults(void **state)
{
	(void)state;
	expect_ok(HEAD "subscribers: [100.64.0.0/10, 10.0.0.0/8]\n"
		  "pools:\n  - addresses: [203.0.113.1]\n");
	assert_string_equal(cfg.pools[0].name, "pool0");
	assert_int_equal(cfg.pools[0].subscribers.n, 2);
	assert_int_equal(cfg.pools[0].subscribers.v[1].addr, 0x0a000000);
	assert_int_equal(cfg.pools[0].subscribers.v[1].len, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed_address),
		cmocka_unit_test(test_host_bits),
		cmocka_unit_test(test_pool_inside_subscribers),
		cmocka_unit_test(test_pools_share_address),
		cmocka_unit_test(test_pool_subscribers),
		cmocka_unit_test(test_coverage),
		cmocka_unit_test(test_pool_limits),
		cmocka_unit_test(test_pool_names),
		cmocka_unit_test(test_pool_name_start),
		cmocka_unit_test(test_valid_plan),
		cmocka_unit_test(test_single_pool_defaults),
	};

	return cmocka_run_group_tests_name("config_pools", tests, NULL, NULL);
}
