// SPDX-License-Identifier: GPL-2.0
/*
 * test_config_diff.c - cfg_reload_diff(): which changed keys a reload can
 * apply live and which need a restart, that lists compare as sets, that
 * moving lines is not a change, and that pools may only grow live.
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

#define HEAD                                         \
	"interfaces: { inside: in0, outside: out0 }\n" \
	"subscribers: [100.64.0.0/10]\n"
#define POOL "pools:\n  - { name: p, addresses: [203.0.113.0/29] }\n"
#define BASE HEAD POOL

static struct cgnat_config old_cfg, new_cfg;

static void load(const char *yaml, struct cgnat_config *cfg)
{
	char err[512] = "";
	int ret;

	ret = cfg_load_string("cgnat.yaml", yaml, strlen(yaml), cfg, err,
			      sizeof(err));
	if (ret)
		print_error("%s\n", err);
	assert_int_equal(ret, 0);
}

static void expect_diff(const char *a, const char *b, int want_ret,
			const char *want_msg)
{
	char msg[512] = "";

	load(a, &old_cfg);
	load(b, &new_cfg);
	assert_int_equal(cfg_reload_diff(&old_cfg, &new_cfg, msg, sizeof(msg)),
			 want_ret);
	assert_string_equal(msg, want_msg);
}

static void test_no_changes(void **state)
{
	(void)state;
	expect_diff(BASE, BASE, 0, "no changes");
	/* Reordered keys and moved lines are not changes. */
	expect_diff(BASE "timeouts: { udp: 300s, icmp: 60s }\n",
		    "\n\n" POOL "timeouts:\n  icmp: 1m\n  udp: 5m\n" HEAD, 0,
		    "no changes");
	/* Neither is writing a default out, or a list in another order. */
	expect_diff(BASE "timeouts: { udp_ports: { 53: 30s, 123: 10s } }\n",
		    BASE "timeouts: { udp_ports: { 123: 10s, 53: 30s } }\n"
			 "ports: { block_size: 256 }\n",
		    0, "no changes");
}

static void test_live_changes(void **state)
{
	(void)state;
	expect_diff(BASE,
		    BASE "timeouts: { udp: 600s }\nnat: { filtering: adf }\n",
		    0, "live: nat.filtering, timeouts.udp");
	expect_diff(BASE,
		    BASE "blocks: { idle_release: 5m, lifetime: 1d, "
			 "quarantine: 3m, interim_log: 1h }\n",
		    0,
		    "live: blocks.idle_release, blocks.lifetime, blocks.quarantine, blocks.interim_log");
	expect_diff(BASE,
		    BASE "nat: { hairpinning: false, inbound_refresh: true, "
			 "unreachable: { rate: 10 } }\n",
		    0,
		    "live: nat.hairpinning, nat.inbound_refresh, nat.unreachable.rate");
	expect_diff(BASE,
		    BASE "limits: { sessions_per_subscriber: 100 }\n"
			 "ports: { max_blocks: 2 }\n"
			 "log: { retention: 30d }\n",
		    0,
		    "live: ports.max_blocks, limits.sessions_per_subscriber, log.retention");
	expect_diff(BASE,
		    BASE "limits: { new_flows_per_subscriber: 500, "
			 "new_flows_burst: 2000 }\n",
		    0,
		    "live: limits.new_flows_per_subscriber, limits.new_flows_burst");
	expect_diff(BASE "timeouts: { udp_ports: { 53: 30s } }\n",
		    BASE "timeouts: { udp_ports: { 53: 20s } }\n", 0,
		    "live: timeouts.udp_ports");
	/* The MSS clamp is a tunable, though it sits under interfaces. */
	expect_diff(BASE,
		    "interfaces: { inside: in0, outside: out0,\n"
		    "  mss_clamp: { inside: 1400, outside: 1452 } }\n"
		    "subscribers: [100.64.0.0/10]\n" POOL,
		    0,
		    "live: interfaces.mss_clamp.inside, interfaces.mss_clamp.outside");
	expect_diff("interfaces: { inside: in0, outside: out0,\n"
		    "  mss_clamp: { outside: 1452 } }\n"
		    "subscribers: [100.64.0.0/10]\n" POOL,
		    "interfaces: { inside: in1, outside: out0,\n"
		    "  mss_clamp: { outside: 0 } }\n"
		    "subscribers: [100.64.0.0/10]\n" POOL,
		    1,
		    "live: interfaces.mss_clamp.outside; restart: interfaces.inside");
}

static void test_restart_changes(void **state)
{
	(void)state;
	expect_diff(BASE, "interfaces: { inside: in1, outside: out0 }\n"
			  "subscribers: [100.64.0.0/10]\n" POOL,
		    1, "restart: interfaces.inside");
	expect_diff(BASE, "interfaces: { inside: in0, outside: out0, "
			  "xdp_mode: generic }\n"
			  "subscribers: [100.64.0.0/10]\n" POOL,
		    1, "restart: interfaces.xdp_mode");
	expect_diff(BASE, BASE "ports: { range: 2048-60031 }\n", 1,
		    "restart: ports.range");
	expect_diff(BASE,
		    BASE "limits: { sessions: 2097152, subscribers: 1024 }\n"
			 "instance: 2\n",
		    1, "restart: instance, limits.sessions, limits.subscribers");
	expect_diff(BASE,
		    BASE "log: { database: /tmp/x.db }\n"
			 "testing: { unsafe_short_timers: true }\n",
		    1, "restart: log.database, testing.unsafe_short_timers");
}

static void test_mixed(void **state)
{
	char msg[12];

	(void)state;
	expect_diff(BASE,
		    BASE "ports: { block_size: 512 }\n"
			 "blocks: { idle_release: 2m }\n",
		    1, "live: blocks.idle_release; restart: ports.block_size");
	/* A short buffer truncates the message, not the verdict. */
	assert_int_equal(cfg_reload_diff(&old_cfg, &new_cfg, msg, sizeof(msg)),
			 1);
	assert_string_equal(msg, "live: block");
}

static void test_pools(void **state)
{
	(void)state;
	/* Growing a pool's address list is live, in either form. */
	expect_diff(BASE,
		    HEAD "pools:\n  - { name: p, addresses: "
			 "[203.0.113.0/29, 203.0.113.8/29] }\n",
		    0, "live: pools[0].addresses");
	expect_diff(BASE,
		    HEAD "pools:\n  - { name: p, addresses: [203.0.113.0/28] }\n",
		    0, "live: pools[0].addresses");
	/* Shrinking or replacing it is not. */
	expect_diff(BASE,
		    HEAD "pools:\n  - { name: p, addresses: [203.0.113.0/30] }\n",
		    1, "restart: pools[0].addresses");
	expect_diff(BASE,
		    HEAD "pools:\n  - { name: p, addresses: [203.0.113.16/28] }\n",
		    1, "restart: pools[0].addresses");
	expect_diff(BASE,
		    HEAD "pools:\n  - { name: q, addresses: [203.0.113.0/29] }\n",
		    1, "restart: pools[0].name");
	expect_diff(BASE,
		    HEAD "pools:\n"
			 "  - { addresses: [203.0.113.0/29], subscribers: [100.64.0.0/11] }\n"
			 "  - { addresses: [203.0.113.8/29], subscribers: [100.96.0.0/11] }\n",
		    1, "restart: pools");
	expect_diff(BASE,
		    "interfaces: { inside: in0, outside: out0 }\n"
		    "subscribers: [100.64.0.0/11]\n" POOL,
		    1, "restart: subscribers, pools[0].subscribers");
}

static void test_collectors(void **state)
{
	(void)state;
	expect_diff(BASE,
		    BASE "ipfix: { collectors: [ { address: 127.0.0.1 } ] }\n",
		    0, "live: ipfix.collectors");
	expect_diff(BASE "ipfix: { collectors: [ { address: 192.0.2.1 }, "
			 "{ address: 192.0.2.2, transport: tcp } ] }\n",
		    BASE "ipfix: { collectors: [ { address: 192.0.2.2, "
			 "transport: tcp }, { address: 192.0.2.1 } ] }\n",
		    0, "no changes");
	expect_diff(BASE "ipfix: { collectors: [ { address: 192.0.2.1 } ] }\n",
		    BASE "ipfix: { template_refresh: 30s, observation_domain: 9, "
			 "collectors: [ { address: 192.0.2.1, port: 4740 } ] }\n",
		    0,
		    "live: ipfix.observation_domain, ipfix.template_refresh, ipfix.collectors");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_changes),
		cmocka_unit_test(test_live_changes),
		cmocka_unit_test(test_restart_changes),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_pools),
		cmocka_unit_test(test_collectors),
	};

	return cmocka_run_group_tests_name("config_diff", tests, NULL, NULL);
}
