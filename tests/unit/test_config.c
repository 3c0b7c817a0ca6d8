// SPDX-License-Identifier: GPL-2.0
/*
 * test_config.c - the config module end to end: the defaults, the shipped
 * example and demo files, files from tests/unit/data/config, file errors,
 * and cfg_dump(), both its exact text and that it loads back into an
 * equal configuration.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/cfg.h"

#ifndef CFG_SRCDIR
#define CFG_SRCDIR "."
#endif
#define DATA CFG_SRCDIR "/tests/unit/data/config/"

#define MIN_YAML                                     \
	"interfaces: { inside: in0, outside: out0 }\n" \
	"subscribers: [100.64.0.0/10]\n"               \
	"pools:\n"                                     \
	"  - addresses: [203.0.113.1]\n"

static struct cgnat_config cfg, again;

static void load_file_ok(const char *path, struct cgnat_config *c)
{
	char err[512] = "";
	int ret;

	ret = cfg_load_file(path, c, err, sizeof(err));
	if (ret)
		print_error("%s\n", err);
	assert_int_equal(ret, 0);
}

static void test_defaults(void **state)
{
	(void)state;
	memset(&cfg, 0xa5, sizeof(cfg));
	cfg_defaults(&cfg);
	assert_int_equal(cfg.instance, 1);
	assert_string_equal(cfg.interfaces.inside, "");
	assert_int_equal(cfg.interfaces.xdp_mode, CFG_XDP_NATIVE);
	assert_int_equal(cfg.interfaces.mss_clamp.inside, 0);
	assert_int_equal(cfg.interfaces.mss_clamp.outside, 0);
	assert_int_equal(cfg.subscribers.n, 0);
	assert_int_equal(cfg.n_pools, 0);
	assert_int_equal(cfg.ports.first, 1024);
	assert_int_equal(cfg.ports.last, 65535);
	assert_int_equal(cfg.ports.block_size, 256);
	assert_int_equal(cfg.ports.max_blocks, 8);
	assert_true(cfg.ports.parity);
	assert_int_equal(cfg.blocks.idle_release_ms, 60000);
	assert_int_equal(cfg.blocks.keep_last_ms, 0);
	assert_int_equal(cfg.blocks.lifetime_ms, 0);
	assert_int_equal(cfg.blocks.quarantine_ms, 120000);
	assert_int_equal(cfg.blocks.interim_log_ms, 86400000);
	assert_int_equal(cfg.blocks.max_quarantined, 0);
	assert_int_equal(cfg.nat.filtering, CFG_FILTER_EIF);
	assert_true(cfg.nat.hairpinning);
	assert_false(cfg.nat.inbound_refresh);
	assert_int_equal(cfg.nat.unsolicited_syn, CFG_SYN_DROP);
	assert_int_equal(cfg.nat.unreachable.type, 3);
	assert_int_equal(cfg.nat.unreachable.code, 1);
	assert_int_equal(cfg.nat.unreachable.rate, 100);
	assert_int_equal(cfg.timeouts.udp_ms, 300000);
	assert_int_equal(cfg.timeouts.n_udp_ports, 1);
	assert_int_equal(cfg.timeouts.udp_ports[0].port, 53);
	assert_int_equal(cfg.timeouts.udp_ports[0].timeout_ms, 30000);
	assert_int_equal(cfg.timeouts.tcp_established_ms, 7440000);
	assert_int_equal(cfg.timeouts.tcp_transitory_ms, 240000);
	assert_int_equal(cfg.timeouts.icmp_ms, 60000);
	assert_int_equal(cfg.limits.sessions, 1048576);
	assert_int_equal(cfg.limits.sessions_per_subscriber, 8192);
	assert_int_equal(cfg.limits.subscribers, 65536);
	assert_int_equal(cfg.limits.new_flows_per_subscriber, 0);
	assert_int_equal(cfg.limits.new_flows_burst, 0);
	assert_int_equal(cfg.thresholds.pool_high, 90);
	assert_int_equal(cfg.thresholds.pool_low, 75);
	assert_int_equal(cfg.thresholds.subscriber_high, 90);
	assert_string_equal(cfg.log.database, "/var/lib/cgnat/cgnat.db");
	assert_int_equal(cfg.log.retention_ms, 180ULL * 86400000);
	assert_false(cfg.log.session_events);
	assert_int_equal(cfg.ipfix.observation_domain, 1);
	assert_int_equal(cfg.ipfix.template_refresh_ms, 60000);
	assert_true(cfg.ipfix.pool_id);
	assert_int_equal(cfg.ipfix.n_collectors, 0);
	assert_false(cfg.testing.unsafe_short_timers);
}

/* A minimal file gets every default; nothing but the required keys set. */
static void test_minimal_file_gets_defaults(void **state)
{
	char err[512];

	(void)state;
	assert_int_equal(cfg_load_string("min.yaml", MIN_YAML, strlen(MIN_YAML),
					 &cfg, err, sizeof(err)),
			 0);
	cfg_defaults(&again);
	assert_string_equal(cfg.source, "min.yaml");
	assert_memory_equal(&cfg.ports, &again.ports, sizeof(cfg.ports));
	assert_memory_equal(&cfg.blocks, &again.blocks, sizeof(cfg.blocks));
	assert_memory_equal(&cfg.timeouts, &again.timeouts,
			    sizeof(cfg.timeouts));
	assert_memory_equal(&cfg.limits, &again.limits, sizeof(cfg.limits));
	assert_memory_equal(&cfg.log, &again.log, sizeof(cfg.log));
	assert_memory_equal(&cfg.ipfix, &again.ipfix, sizeof(cfg.ipfix));
	assert_int_equal(cfg.nat.filtering, again.nat.filtering);
	assert_int_equal(cfg.nat.unreachable.rate, 100);
	assert_string_equal(cfg.interfaces.inside, "in0");
	assert_string_equal(cfg.interfaces.outside, "out0");
	assert_int_equal(cfg.pools[0].addresses.v[0].addr, 0xcb007101);
}

static void test_example_config(void **state)
{
	const struct cfg_pool *p = &cfg.pools[0];

	(void)state;
	load_file_ok(CFG_SRCDIR "/config/cgnat.yaml", &cfg);
	assert_string_equal(cfg.interfaces.inside, "eth1");
	assert_string_equal(cfg.interfaces.outside, "eth0");
	assert_int_equal(cfg.n_pools, 1);
	assert_string_equal(p->name, "default");
	assert_int_equal(p->addresses.n, 2);
	assert_int_equal(p->addresses.v[0].addr, 0xcb007100);
	assert_int_equal(p->addresses.v[0].len, 28);
	assert_int_equal(p->addresses.v[1].addr, 0xcb007114);
	assert_int_equal(p->subscribers.v[0].addr, 0x64400000);
	assert_int_equal(cfg.ipfix.n_collectors, 1);
	assert_int_equal(cfg.ipfix.collectors[0].addr, 0x7f000001);
	assert_int_equal(cfg.ipfix.collectors[0].port, 4739);
	/* Apart from the collector, the example shows only defaults. */
	cfg_defaults(&again);
	assert_memory_equal(&cfg.blocks, &again.blocks, sizeof(cfg.blocks));
	assert_memory_equal(&cfg.timeouts, &again.timeouts,
			    sizeof(cfg.timeouts));
	assert_memory_equal(&cfg.limits, &again.limits, sizeof(cfg.limits));
	assert_memory_equal(&cfg.thresholds, &again.thresholds,
			    sizeof(cfg.thresholds));
	assert_memory_equal(&cfg.log, &again.log, sizeof(cfg.log));
	assert_int_equal(cfg.nat.unreachable.code, again.nat.unreachable.code);
}

static void test_demo_config(void **state)
{
	const struct cfg_pool *p = &cfg.pools[0];
	unsigned int i;

	(void)state;
	load_file_ok(CFG_SRCDIR "/config/demo.yaml", &cfg);
	assert_string_equal(cfg.interfaces.inside, "in0");
	assert_string_equal(cfg.interfaces.outside, "out0");
	assert_int_equal(cfg.subscribers.n, 1);
	assert_int_equal(cfg.subscribers.v[0].addr, 0x64400000);
	assert_int_equal(cfg.subscribers.v[0].len, 10);
	assert_int_equal(p->addresses.n, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(p->addresses.v[i].addr, 0xcb007101 + i);
		assert_int_equal(p->addresses.v[i].len, 32);
	}
	assert_string_equal(cfg.log.database, "/var/lib/cgnat/demo.db");
	assert_int_equal(cfg.ipfix.n_collectors, 1);
	assert_int_equal(cfg.ipfix.collectors[0].addr, 0x7f000001);
	assert_int_equal(cfg.ipfix.collectors[0].port, 4739);
	assert_int_equal(cfg.ipfix.collectors[0].transport, CFG_TRANSPORT_UDP);
}

static void test_data_two_pools(void **state)
{
	(void)state;
	load_file_ok(DATA "two_pools.yaml", &cfg);
	assert_int_equal(cfg.instance, 42);
	assert_int_equal(cfg.interfaces.xdp_mode, CFG_XDP_GENERIC);
	assert_int_equal(cfg.n_pools, 2);
	assert_string_equal(cfg.pools[1].name, "business");
	assert_int_equal(cfg.pools[1].subscribers.n, 2);
	assert_int_equal(cfg.ports.first, 4096);
	assert_int_equal(cfg.ports.block_size, 512);
	assert_false(cfg.ports.parity);
	assert_int_equal(cfg.blocks.lifetime_ms, 7ULL * 86400000);
	assert_int_equal(cfg.blocks.max_quarantined, 1000);
	assert_int_equal(cfg.nat.filtering, CFG_FILTER_APDF);
	assert_int_equal(cfg.nat.unsolicited_syn, CFG_SYN_ICMP);
	assert_int_equal(cfg.nat.unreachable.code, 13);
	assert_int_equal(cfg.nat.unreachable.rate, 0);
	assert_int_equal(cfg.timeouts.n_udp_ports, 2);
	assert_int_equal(cfg.timeouts.udp_ports[1].port, 123);
	assert_int_equal(cfg.timeouts.tcp_established_ms, 86400000);
	assert_int_equal(cfg.limits.sessions_per_subscriber, 0);
	assert_string_equal(cfg.log.database, "/srv/cgnat db/log.db");
	assert_int_equal(cfg.log.retention_ms, 0);
	assert_int_equal(cfg.ipfix.n_collectors, 2);
	assert_int_equal(cfg.ipfix.collectors[0].port, 4739);
	assert_int_equal(cfg.ipfix.collectors[1].transport, CFG_TRANSPORT_TCP);
	assert_false(cfg.ipfix.pool_id);
}

static void test_file_errors(void **state)
{
	char err[512];

	(void)state;
	assert_int_equal(cfg_load_file(DATA "udp_floor.yaml", &cfg, err,
				       sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, DATA "udp_floor.yaml:7:18: timeouts.udp: 119s is below the RFC 4787 REQ-5 floor of 120s (set 120s or more)");
	assert_int_equal(cfg_load_file(DATA "missing.yaml", &cfg, err,
				       sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, DATA "missing.yaml: cannot open: No such file or directory");
	assert_int_equal(cfg_load_file(DATA, &cfg, err, sizeof(err)), -EISDIR);
	assert_string_equal(err, DATA ": cannot read: Is a directory");
}

static void test_crlf_and_small_err_buffer(void **state)
{
	const char *crlf = "interfaces: { inside: in0, outside: out0 }\r\n"
			   "subscribers: [100.64.0.0/10]\r\n"
			   "pools:\r\n  - addresses: [203.0.113.1]\r\n"
			   "timeouts: { udp: 1s }\r\n";
	char err[16];

	(void)state;
	assert_int_equal(cfg_load_string("c.yaml", crlf, strlen(crlf), &cfg,
					 err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "c.yaml:5:18: ti");
	assert_int_equal(cfg_load_string("c.yaml", crlf, strlen(crlf) - 23,
					 &cfg, err, sizeof(err)),
			 0);
	cfg_free(&cfg);
	assert_int_equal(cfg.n_pools, 0);
	assert_int_equal(cfg.timeouts.udp_ms, 300000);
}

static const char min_dump[] =
	"instance: 1\n"
	"interfaces:\n  inside: in0\n  outside: out0\n  xdp_mode: native\n"
	"  mss_clamp:\n    inside: 0\n    outside: 0\n"
	"subscribers: [100.64.0.0/10]\n"
	"pools:\n  - name: pool0\n    addresses: [203.0.113.1]\n"
	"    subscribers: [100.64.0.0/10]\n"
	"ports:\n  range: 1024-65535\n  block_size: 256\n  max_blocks: 8\n"
	"  parity: true\n"
	"blocks:\n  idle_release: 60s\n  keep_last: 0s\n  lifetime: 0s\n"
	"  quarantine: 120s\n  interim_log: 24h\n  max_quarantined: 0\n"
	"nat:\n  filtering: endpoint-independent\n  hairpinning: true\n"
	"  inbound_refresh: false\n  unsolicited_syn: drop\n"
	"  unreachable:\n    type: 3\n    code: 1\n    rate: 100\n"
	"timeouts:\n  udp: 300s\n  udp_ports: { 53: 30s }\n"
	"  tcp_established: 7440s\n  tcp_transitory: 240s\n  icmp: 60s\n"
	"limits:\n  sessions: 1048576\n  sessions_per_subscriber: 8192\n"
	"  subscribers: 65536\n  new_flows_per_subscriber: 0\n"
	"  new_flows_burst: 0\n"
	"thresholds:\n  pool_high: 90\n  pool_low: 75\n  subscriber_high: 90\n"
	"log:\n  database: /var/lib/cgnat/cgnat.db\n  retention: 180d\n"
	"  session_events: false\n  max_backlog: 65536\n"
	"ipfix:\n  observation_domain: 1\n  template_refresh: 60s\n"
	"  pool_id: true\n  collectors: []\n"
	"pcp:\n  enabled: false\n  third_party: false\n"
	"  min_lifetime: 120s\n  max_lifetime: 24h\n"
	"  per_subscriber: 16\n  rate: 10\n"
	"testing:\n  unsafe_short_timers: false\n";

static char *dump_to_string(const struct cgnat_config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(cfg_dump(f, c), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_dump_text(void **state)
{
	char err[512];
	char *text;

	(void)state;
	assert_int_equal(cfg_load_string("min.yaml", MIN_YAML, strlen(MIN_YAML),
					 &cfg, err, sizeof(err)),
			 0);
	text = dump_to_string(&cfg);
	assert_string_equal(text, min_dump);
	free(text);
}

/* dump -> load gives an equal config, and dumping that gives the same text. */
static void roundtrip(const char *path)
{
	char err[512], msg[256];
	char *text, *text2;
	int ret;

	load_file_ok(path, &cfg);
	text = dump_to_string(&cfg);
	ret = cfg_load_string("dump.yaml", text, strlen(text), &again, err,
			      sizeof(err));
	if (ret)
		print_error("%s\n%s", err, text);
	assert_int_equal(ret, 0);
	assert_int_equal(cfg_reload_diff(&cfg, &again, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "no changes");
	text2 = dump_to_string(&again);
	assert_string_equal(text, text2);
	free(text);
	free(text2);
}

static void test_dump_roundtrip(void **state)
{
	(void)state;
	roundtrip(CFG_SRCDIR "/config/cgnat.yaml");
	roundtrip(CFG_SRCDIR "/config/demo.yaml");
	roundtrip(DATA "two_pools.yaml");
	assert_string_equal(again.log.database, "/srv/cgnat db/log.db");
	assert_int_equal(again.nat.filtering, CFG_FILTER_APDF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_minimal_file_gets_defaults),
		cmocka_unit_test(test_example_config),
		cmocka_unit_test(test_demo_config),
		cmocka_unit_test(test_data_two_pools),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_crlf_and_small_err_buffer),
		cmocka_unit_test(test_dump_text),
		cmocka_unit_test(test_dump_roundtrip),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
