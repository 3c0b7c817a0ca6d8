// SPDX-License-Identifier: GPL-2.0
/*
 * test_dpconf.c - how cgnatd maps the YAML configuration onto the data
 * plane, the allocator and the exporter (daemon/dpconf.c): pool prefixes
 * expand to addresses in file order with their pool index, each pool's
 * subscriber prefixes carry that pool, milliseconds become nanoseconds,
 * the port geometry, the policy and the collectors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/dpconf.h"

static const char two_pools[] =
	"interfaces: { inside: in0, outside: out0, xdp_mode: generic,\n"
	"              mss_clamp: { outside: 1452 } }\n"
	"subscribers: [100.64.0.0/11, 100.96.0.0/11]\n"
	"pools:\n"
	"  - name: a\n"
	"    addresses: [203.0.113.8/30, 203.0.113.1]\n"
	"    subscribers: [100.64.0.0/11]\n"
	"  - name: b\n"
	"    addresses: [203.0.113.100]\n"
	"    subscribers: [100.96.0.0/12, 100.112.0.0/12]\n"
	"ports: { range: 2048-10239, block_size: 512, max_blocks: 4 }\n"
	"nat: { filtering: apdf, hairpinning: false,\n"
	"       unreachable: { code: 13, rate: 7 } }\n"
	"timeouts: { udp: 200s, icmp: 61s }\n"
	"limits: { sessions: 4096, subscribers: 512,\n"
	"          sessions_per_subscriber: 99 }\n"
	"blocks: { idle_release: 30s, quarantine: 300s, interim_log: 1h }\n"
	"thresholds: { pool_high: 80, pool_low: 60, subscriber_high: 75 }\n"
	"ipfix:\n"
	"  observation_domain: 7\n"
	"  pool_id: false\n"
	"  collectors: [ { address: 192.0.2.9, port: 9995, transport: tcp } "
	"]\n";

static struct cgnat_config cfg;

static void load(const char *yaml)
{
	char err[512] = "";

	if (cfg_load_string("t.yaml", yaml, strlen(yaml), &cfg, err,
			    sizeof(err)))
		fail_msg("%s", err);
}

static void test_addresses_and_prefixes(void **state)
{
	static const char *const want[] = {"203.0.113.8",  "203.0.113.9",
					   "203.0.113.10", "203.0.113.11",
					   "203.0.113.1",  "203.0.113.100"};
	static const __u32 pool[] = {0, 0, 0, 0, 0, 1};
	struct dpconf dc;
	char err[256], a[16];
	unsigned int i;

	(void)state;
	load(two_pools);
	assert_int_equal(dpconf_n_addrs(&cfg), 6);
	assert_int_equal(dpconf_build(&dc, &cfg, htonl(0x64400001), "/x", err,
				      sizeof(err)),
			 0);
	assert_int_equal(dc.o.n_addrs, 6);
	for (i = 0; i < 6; i++) {
		inet_ntop(AF_INET, &dc.addrs[i], a, sizeof(a));
		assert_string_equal(a, want[i]);
		assert_int_equal(dc.addr_pool[i], pool[i]);
	}
	assert_int_equal(dc.o.n_prefixes, 3);
	assert_int_equal(dc.prefixes[0].addr, htonl(0x64400000));
	assert_int_equal(dc.prefixes[0].len, 11);
	assert_int_equal(dc.prefixes[0].pool, 0);
	assert_int_equal(dc.prefixes[2].addr, htonl(0x64700000));
	assert_int_equal(dc.prefixes[2].pool, 1);
	assert_string_equal(dc.o.inside, "in0");
	assert_int_equal(dc.o.xdp_generic, 1);
	assert_string_equal(dc.o.pin_dir, "/x");
	assert_int_equal(dc.o.sessions, 4096);
	assert_int_equal(dc.o.subscribers, 512);
	dpconf_free(&dc);
}

static void test_tunables_and_geometry(void **state)
{
	const struct cgnat_cfg *c;
	struct dpconf dc;
	char err[256];
	unsigned int i;

	(void)state;
	load(two_pools);
	assert_int_equal(dpconf_build(&dc, &cfg, htonl(0x64400001), NULL, err,
				      sizeof(err)),
			 0);
	c = &dc.o.cfg;
	assert_int_equal(c->udp_timeout_ns, 200000000000ull);
	assert_int_equal(c->icmp_timeout_ns, 61000000000ull);
	assert_int_equal(c->tcp_est_timeout_ns, 7440000000000ull);
	assert_int_equal(c->nh_ttl_ns, 60000000000ull);
	assert_int_equal(c->evt_interval_ns, 1000000000ull);
	assert_int_equal(c->filtering, CGNAT_FILTER_APDF);
	assert_int_equal(c->hairpinning, 0);
	assert_int_equal(c->parity, 1);
	assert_int_equal(c->max_blocks, 4);
	assert_int_equal(c->sess_per_sub, 99);
	assert_int_equal(c->icmp_src, htonl(0x64400001));
	assert_int_equal(c->unreach_type, 3);
	assert_int_equal(c->unreach_code, 13);
	assert_int_equal(c->unreach_rate, 7);
	assert_int_equal(c->mss_clamp[0], 0);
	assert_int_equal(c->mss_clamp[1], 1452);
	assert_int_equal(c->syn_icmp_rate, 0);	/* unsolicited_syn: drop */
	assert_int_equal(c->port_lo, 2048);
	assert_int_equal(c->block_size, 512);
	assert_int_equal(c->blocks_per_addr, 16);
	assert_int_equal(c->n_addrs, 6);
	/* timeouts.udp_ports' default { 53: 30s }, by port, in ns. */
	assert_ptr_equal(dc.o.udp_timers, dc.udp_timers);
	assert_int_equal(dc.udp_timers[53], 30000000000ull);
	for (i = 0; i < CGNAT_UDP_TIMER_PORTS; i++)
		if (i != 53)
			assert_int_equal(dc.udp_timers[i], 0);
	dpconf_free(&dc);
}

/* dpconf's cell rate of a configuration with 'limits' appended. */
static void flow_limit_of(const char *limits, struct cgnat_flow_limit *l)
{
	char yaml[512];

	snprintf(yaml, sizeof(yaml),
		 "interfaces: { inside: a, outside: b }\n"
		 "subscribers: [100.64.0.0/10]\n"
		 "pools: [ { name: p, addresses: [203.0.113.1] } ]\n%s",
		 limits);
	load(yaml);
	memset(l, 0xff, sizeof(*l));
	dpconf_flow_limit(l, &cfg);
}

/* limits.new_flows_per_subscriber as a cell rate: 1e9 / rate apart, a
 * burst of one second's worth unless set, and never under a tick of the
 * data plane's coarse clock; 0, none. */
static void test_flow_limit(void **state)
{
	struct cgnat_flow_limit l;

	(void)state;
	flow_limit_of("", &l);
	assert_int_equal(l.interval_ns | l.tau_ns | l.rate | l.burst, 0);
	flow_limit_of("limits: { new_flows_per_subscriber: 1000 }\n", &l);
	assert_int_equal(l.interval_ns, 1000000);
	assert_int_equal(l.tau_ns, 999 * 1000000ull);
	assert_int_equal(l.rate, 1000);
	assert_int_equal(l.burst, 1000);
	flow_limit_of("limits: { new_flows_per_subscriber: 3, "
		      "new_flows_burst: 1 }\n", &l);
	assert_int_equal(l.interval_ns, 333333333);
	assert_int_equal(l.tau_ns, DPCONF_FLOW_TICK_NS); /* a tick at least */
	assert_int_equal(l.burst, 1);
	flow_limit_of("limits: { new_flows_per_subscriber: 100000, "
		      "new_flows_burst: 2 }\n", &l);
	assert_int_equal(l.interval_ns, 10000);
	assert_int_equal(l.tau_ns, DPCONF_FLOW_TICK_NS);
}

static void test_udp_port_timers(void **state)
{
	__u64 ns[CGNAT_UDP_TIMER_PORTS];

	(void)state;
	load("interfaces: { inside: a, outside: b }\n"
	     "subscribers: [100.64.0.0/10]\n"
	     "pools: [ { name: p, addresses: [203.0.113.1] } ]\n"
	     "timeouts: { udp_ports: { 123: 10s, 0: 1m, 1023: 2h } }\n");
	memset(ns, 0xff, sizeof(ns));
	dpconf_udp_timers(ns, &cfg);
	assert_int_equal(ns[123], 10000000000ull);
	assert_int_equal(ns[0], 60000000000ull);
	assert_int_equal(ns[1023], 7200000000000ull);
	assert_int_equal(ns[53], 0);	/* the default went with the key */
	assert_int_equal(ns[124], 0);
	load("interfaces: { inside: a, outside: b }\n"
	     "subscribers: [100.64.0.0/10]\n"
	     "pools: [ { name: p, addresses: [203.0.113.1] } ]\n"
	     "timeouts: { udp_ports: {} }\n");
	dpconf_udp_timers(ns, &cfg);
	assert_int_equal(ns[0] | ns[53] | ns[123] | ns[1023], 0);
}

static void test_policy(void **state)
{
	struct pb_policy p;

	(void)state;
	load(two_pools);
	dpconf_policy(&p, &cfg);
	assert_int_equal(p.idle_release_ms, 30000);
	assert_int_equal(p.quarantine_ms, 300000);
	assert_int_equal(p.interim_ms, 3600000);
	assert_int_equal(p.lifetime_ms, 0);
	assert_int_equal(p.max_blocks, 4);
	assert_int_equal(p.pool_high, 80);
	assert_int_equal(p.pool_low, 60);
	assert_int_equal(p.sub_high, 75);
}

static void test_ipfix(void **state)
{
	struct cgnat_config other;
	struct ipfix_config ic;

	(void)state;
	load(two_pools);
	dpconf_ipfix(&ic, &cfg);
	assert_int_equal(ic.observation_domain, 7);
	assert_int_equal(ic.instance, 1);
	assert_int_equal(ic.with_instance_id, 1);
	assert_int_equal(ic.with_pool_id, 0);
	assert_int_equal(ic.ncollectors, 1);
	assert_string_equal(ic.collectors[0].host, "192.0.2.9");
	assert_int_equal(ic.collectors[0].port, 9995);
	assert_int_equal(ic.collectors[0].transport, IPFIX_TCP);
	other = cfg;
	assert_int_equal(dpconf_ipfix_changed(&cfg, &other), 0);
	other.ipfix.collectors[0].port = 4739;
	assert_int_equal(dpconf_ipfix_changed(&cfg, &other), 1);
	other = cfg;
	other.timeouts.udp_ms = 999000;
	assert_int_equal(dpconf_ipfix_changed(&cfg, &other), 0);
}

static void test_bad_geometry(void **state)
{
	struct dpconf dc;
	char err[256] = "";

	(void)state;
	load(two_pools);
	cfg.ports.block_size = 100; /* not a multiple of 64 */
	assert_int_equal(dpconf_build(&dc, &cfg, 0, NULL, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "block_size 100"));
}

/* nat.unsolicited_syn: icmp holds SYNs at the unreachables' rate; with
 * that rate 0 nothing is held.
 */
static void test_unsolicited_syn(void **state)
{
	static const char *const y[2] = {
		"nat: { unsolicited_syn: icmp, unreachable: { rate: 7 } }\n",
		"nat: { unsolicited_syn: icmp, unreachable: { rate: 0 } }\n",
	};
	char yaml[2048], err[256];
	struct dpconf dc;
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		snprintf(yaml, sizeof(yaml), "%.*s%s",
			 (int)(strstr(two_pools, "nat:") - two_pools),
			 two_pools, y[i]);
		load(yaml);
		assert_int_equal(dpconf_build(&dc, &cfg, 0, NULL, err,
					      sizeof(err)), 0);
		assert_int_equal(dc.o.cfg.syn_icmp_rate, i ? 0 : 7);
		dpconf_free(&dc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses_and_prefixes),
		cmocka_unit_test(test_tunables_and_geometry),
		cmocka_unit_test(test_udp_port_timers),
		cmocka_unit_test(test_flow_limit),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_ipfix),
		cmocka_unit_test(test_bad_geometry),
		cmocka_unit_test(test_unsolicited_syn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
