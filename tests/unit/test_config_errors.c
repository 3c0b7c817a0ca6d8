// SPDX-License-Identifier: GPL-2.0
/*
 * test_config_errors.c - one test per class of configuration error, each
 * asserting the exact message with its FILE:LINE:COLUMN: YAML syntax,
 * unknown keys, wrong types, ranges, the port geometry, duplicate and
 * missing keys, the RFC timer floors and the IPFIX transport. Address
 * plan errors (prefixes, pools, overlaps) are in test_config_pools.c.
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
#include "tests/unit/test_config_util.h"

/* A valid file of four lines; test snippets start on line 5. */
#define BASE                                         \
	"interfaces: { inside: in0, outside: out0 }\n" \
	"subscribers: [100.64.0.0/10]\n"               \
	"pools:\n"                                     \
	"  - addresses: [203.0.113.1]\n"

static void test_syntax(void **state)
{
	(void)state;
	expect_err("interfaces: { inside: in0, outside: out0 }\n"
		   "subscribers: [100.64.0.0/10\n"
		   "pools: []\n",
		   "cgnat.yaml:3:6: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at 2:14)");
	expect_err("interfaces: { inside: in0, outside: out0 }\n"
		   "subscribers:\n"
		   "\t- 100.64.0.0/10\n",
		   "cgnat.yaml:3:1: YAML syntax error: found character that cannot start any token (indent with spaces, not tabs)");
	expect_err("a: b: c\n",
		   "cgnat.yaml:1:5: YAML syntax error: mapping values are not allowed in this context");
	expect_err("instance: \xff\n",
		   "cgnat.yaml:1:11: YAML syntax error: invalid leading UTF-8 octet");
}

static void test_empty_and_documents(void **state)
{
	(void)state;
	expect_err("",
		   "cgnat.yaml:1:1: the configuration is empty (it needs at least interfaces, subscribers and pools)");
	expect_err("# only a comment\n",
		   "cgnat.yaml:1:1: the configuration is empty (it needs at least interfaces, subscribers and pools)");
	expect_err(BASE "---\ninstance: 2\n",
		   "cgnat.yaml:6:1: found a second YAML document (the configuration is a single document; remove the '---' line)");
	expect_err("- instance: 1\n",
		   "cgnat.yaml:1:1: expected a mapping (e.g. interfaces: { inside: eth1, outside: eth0 }), got a list");
}

static void test_unknown_key(void **state)
{
	(void)state;
	expect_err(BASE "timeouts: { udpp: 300s }\n",
		   "cgnat.yaml:5:13: timeouts: unknown key 'udpp' (did you mean 'udp'?)");
	expect_err(BASE "timeouts: { tcp_establshed: 8000s }\n",
		   "cgnat.yaml:5:13: timeouts: unknown key 'tcp_establshed' (did you mean 'tcp_established'?)");
	expect_err(BASE "pool: x\n",
		   "cgnat.yaml:5:1: unknown key 'pool' (did you mean 'pools'?)");
	expect_err(BASE "blocks: { idle: 60s }\n",
		   "cgnat.yaml:5:11: blocks: unknown key 'idle' (valid keys: idle_release, keep_last, lifetime, quarantine, interim_log, max_quarantined)");
	expect_err(BASE "udp_timeout: 119\n",
		   "cgnat.yaml:5:1: unknown key 'udp_timeout' (valid keys: instance, interfaces, subscribers, pools, ports, blocks, nat, timeouts, limits, thresholds, log, ipfix, ha, pcp, testing)");
}

static void test_wrong_type(void **state)
{
	(void)state;
	expect_err(BASE "timeouts: [300s]\n",
		   "cgnat.yaml:5:11: timeouts: expected a mapping (e.g. { udp: 300s }), got a list");
	expect_err(BASE "blocks: 5\n",
		   "cgnat.yaml:5:9: blocks: expected a mapping (e.g. { quarantine: 120s }), got '5'");
	expect_err(BASE "nat:\n",
		   "cgnat.yaml:5:5: nat: expected a mapping (e.g. { filtering: endpoint-independent }), got an empty value");
	expect_err(BASE "instance: one\n",
		   "cgnat.yaml:5:11: instance: 'one' is not an unsigned integer (0..4294967295)");
	expect_err(BASE "instance: \"1\\0\"\n",
		   "cgnat.yaml:5:11: instance: expected an unsigned integer, got a value containing a NUL byte");
	expect_err(BASE "thresholds: { pool_high: [90] }\n",
		   "cgnat.yaml:5:26: thresholds.pool_high: expected an unsigned integer, got a list");
	expect_err("interfaces: { inside: in0, outside: out0 }\n"
		   "subscribers: { a: 1 }\n",
		   "cgnat.yaml:2:14: subscribers: expected a list (e.g. [100.64.0.0/10]), got a mapping");
	expect_err(BASE "ports: { parity: yes }\n",
		   "cgnat.yaml:5:18: ports.parity: 'yes' is not a boolean (true or false)");
	expect_err(BASE "nat: { filtering: full-cone }\n",
		   "cgnat.yaml:5:19: nat.filtering: 'full-cone' is not valid (one of endpoint-independent, address-dependent, address-and-port-dependent, eif, adf, apdf)");
	expect_err(BASE "interfaces: { xdp_mode: skb }\n",
		   "cgnat.yaml:5:1: interfaces: duplicate key (first given at 1:1)");
	expect_err("interfaces: { inside: in0, outside: out0, xdp_mode: skb }\n",
		   "cgnat.yaml:1:53: interfaces.xdp_mode: 'skb' is not valid (one of native, generic)");
	expect_err(BASE "timeouts: { udp: 5 minutes }\n",
		   "cgnat.yaml:5:18: timeouts.udp: '5 minutes' is not a duration (N, Nms, Ns, Nm, Nh or Nd, e.g. 300s)");
	expect_err(BASE "blocks: { quarantine: -5s }\n",
		   "cgnat.yaml:5:23: blocks.quarantine: '-5s' is not a duration (N, Nms, Ns, Nm, Nh or Nd, e.g. 300s)");
}

static void test_out_of_range(void **state)
{
	(void)state;
	expect_err(BASE "ports: { max_blocks: 33 }\n",
		   "cgnat.yaml:5:22: ports.max_blocks: 33 is out of range (1..32)");
	expect_err(BASE "ports: { max_blocks: 0 }\n",
		   "cgnat.yaml:5:22: ports.max_blocks: 0 is out of range (1..32)");
	expect_err(BASE "instance: 4294967296\n",
		   "cgnat.yaml:5:11: instance: 4294967296 is out of range (0..4294967295)");
	expect_err(BASE "nat: { unreachable: { type: 11 } }\n",
		   "cgnat.yaml:5:29: nat.unreachable.type: 11 is out of range (only 3 is allowed)");
	expect_err(BASE "blocks: { interim_log: 10s }\n",
		   "cgnat.yaml:5:24: blocks.interim_log: 10s is out of range (0s to disable, or 60s..30d)");
	expect_err(BASE "limits: { sessions: 100 }\n",
		   "cgnat.yaml:5:21: limits.sessions: 100 is out of range (1024..67108864)");
	expect_err(BASE "thresholds: { subscriber_high: 101 }\n",
		   "cgnat.yaml:5:32: thresholds.subscriber_high: 101 is out of range (1..100)");
	expect_err(BASE "ipfix: { template_refresh: 500ms }\n",
		   "cgnat.yaml:5:28: ipfix.template_refresh: 500ms is out of range (1s..24h)");
	expect_ok(BASE "blocks: { interim_log: 0s, lifetime: 0s }\n");
	assert_int_equal(cfg.blocks.interim_log_ms, 0);
}

static void test_block_size(void **state)
{
	(void)state;
	expect_err(BASE "ports: { block_size: 100 }\n",
		   "cgnat.yaml:5:22: ports.block_size: 100 is not a multiple of 64 (use 64 or 128)");
	expect_err(BASE "ports: { block_size: 8192 }\n",
		   "cgnat.yaml:5:22: ports.block_size: 8192 is out of range (64..4096)");
	expect_err(BASE "ports: { block_size: 32 }\n",
		   "cgnat.yaml:5:22: ports.block_size: 32 is out of range (64..4096)");
	expect_ok(BASE "ports: { block_size: 4096 }\n");
	assert_int_equal(cfg.ports.block_size, 4096);
	expect_ok(BASE "ports: { block_size: 64, max_blocks: 32 }\n");
	assert_int_equal(cfg.ports.block_size, 64);
	assert_int_equal(cfg.ports.max_blocks, 32);
}

static void test_port_range(void **state)
{
	(void)state;
	expect_err(BASE "ports: { range: 1000-65535 }\n",
		   "cgnat.yaml:5:17: ports.range: 1000-65535 starts below 1024 (FIRST-LAST within 1024-65535, e.g. 1024-65535)");
	expect_err(BASE "ports: { range: 1024-70000 }\n",
		   "cgnat.yaml:5:17: ports.range: '1024-70000' is not a port range (FIRST-LAST within 1024-65535, e.g. 1024-65535)");
	expect_err(BASE "ports: { range: 1030-65535 }\n",
		   "cgnat.yaml:5:17: ports.range: start 1030 is not a multiple of 64 (use 1024 or 1088)");
	expect_err(BASE "ports: { range: 1024-1100 }\n",
		   "cgnat.yaml:5:17: ports.range: 1024-1100 holds 77 ports, fewer than one block of 256 (widen ports.range or lower ports.block_size)");
	expect_err(BASE "ports: { range: 61440-65535, block_size: 4096 }\n",
		   "cgnat.yaml:5:42: ports.block_size: 8 blocks of 4096 ports do not fit in 61440-65535, which holds 1 (a subscriber's blocks all share one address)");
	expect_err(BASE "ports: { range: 61440-65535, block_size: 2048, max_blocks: 3 }\n",
		   "cgnat.yaml:5:60: ports.max_blocks: 3 blocks of 2048 ports do not fit in 61440-65535, which holds 2 (a subscriber's blocks all share one address)");
	expect_ok(BASE "ports: { range: 2048-4095, block_size: 512, max_blocks: 4 }\n");
	assert_int_equal(cfg.ports.first, 2048);
	assert_int_equal(cfg.ports.last, 4095);
}

static void test_duplicate_key(void **state)
{
	(void)state;
	expect_err(BASE "timeouts: { udp: 300s, udp: 400s }\n",
		   "cgnat.yaml:5:24: timeouts.udp: duplicate key (first given at 5:13)");
	expect_err(BASE "log:\n  retention: 30d\n  retention: 60d\n",
		   "cgnat.yaml:7:3: log.retention: duplicate key (first given at 6:3)");
	expect_err(BASE "instance: 1\ninstance: 2\n",
		   "cgnat.yaml:6:1: instance: duplicate key (first given at 5:1)");
	expect_err(BASE "timeouts: { udp_ports: { 53: 30s, 53: 20s } }\n",
		   "cgnat.yaml:5:35: timeouts.udp_ports.53: duplicate key (first given at 5:26)");
}

static void test_missing_key(void **state)
{
	(void)state;
	expect_err("interfaces: { inside: in0 }\n"
		   "subscribers: [100.64.0.0/10]\n",
		   "cgnat.yaml:1:13: interfaces: missing required key 'outside' (e.g. outside: eth0)");
	expect_err("interfaces: { inside: in0, outside: out0 }\n"
		   "subscribers: [100.64.0.0/10]\n",
		   "cgnat.yaml:1:1: missing required key 'pools' (e.g. pools: [ { name: default, addresses: [203.0.113.0/28] } ])");
	expect_err("instance: 7\n",
		   "cgnat.yaml:1:1: missing required key 'interfaces' (e.g. interfaces: { inside: eth1, outside: eth0 })");
	expect_err("interfaces: { inside: in0, outside: out0 }\n"
		   "subscribers: [100.64.0.0/10]\n"
		   "pools:\n"
		   "  - name: a\n",
		   "cgnat.yaml:4:5: pools[0]: missing required key 'addresses' (e.g. addresses: [203.0.113.0/28])");
	expect_err(BASE "ipfix: { collectors: [ { port: 4739 } ] }\n",
		   "cgnat.yaml:5:24: ipfix.collectors[0]: missing required key 'address' (e.g. address: 127.0.0.1)");
}

static void test_floors(void **state)
{
	(void)state;
	expect_err(BASE "timeouts: { udp: 119s }\n",
		   "cgnat.yaml:5:18: timeouts.udp: 119s is below the RFC 4787 REQ-5 floor of 120s (set 120s or more)");
	expect_err(BASE "timeouts: { udp: 1m }\n",
		   "cgnat.yaml:5:18: timeouts.udp: 1m is below the RFC 4787 REQ-5 floor of 120s (set 120s or more)");
	expect_err(BASE "timeouts: { tcp_established: 7439s }\n",
		   "cgnat.yaml:5:30: timeouts.tcp_established: 7439s is below the RFC 5382 REQ-5 floor of 7440s (set 7440s or more)");
	expect_err(BASE "timeouts: { tcp_transitory: 239s }\n",
		   "cgnat.yaml:5:29: timeouts.tcp_transitory: 239s is below the RFC 5382 REQ-5 floor of 240s (set 240s or more)");
	expect_err(BASE "timeouts: { icmp: 59 }\n",
		   "cgnat.yaml:5:19: timeouts.icmp: 59 is below the RFC 5508 REQ-2 floor of 60s (set 60s or more)");
	expect_err(BASE "blocks: { quarantine: 119s }\n",
		   "cgnat.yaml:5:23: blocks.quarantine: 119s is below the RFC 6888 REQ-8 floor of 120s (set 120s or more)");
	expect_ok(BASE "timeouts: { udp: 2m, tcp_established: 124m, "
		  "tcp_transitory: 4m, icmp: 60s }\n"
		  "blocks: { quarantine: 120s }\n");
	assert_int_equal(cfg.timeouts.udp_ms, 120000);
	assert_int_equal(cfg.timeouts.tcp_established_ms, 7440000);
	assert_int_equal(cfg.timeouts.tcp_transitory_ms, 240000);
	assert_int_equal(cfg.timeouts.icmp_ms, 60000);
	assert_int_equal(cfg.blocks.quarantine_ms, 120000);
}

static void test_unsafe_short_timers(void **state)
{
	(void)state;
	expect_ok(BASE "timeouts: { udp: 2s, tcp_established: 2s, "
		  "tcp_transitory: 2s, icmp: 2s }\n"
		  "blocks: { quarantine: 2s }\n"
		  "testing: { unsafe_short_timers: true }\n");
	assert_true(cfg.testing.unsafe_short_timers);
	assert_int_equal(cfg.timeouts.udp_ms, 2000);
	assert_int_equal(cfg.timeouts.tcp_established_ms, 2000);
	assert_int_equal(cfg.blocks.quarantine_ms, 2000);
	/* The flag may come after the timers it lowers. */
	expect_err(BASE "timeouts: { udp: 0s }\n"
		   "testing: { unsafe_short_timers: true }\n",
		   "cgnat.yaml:5:18: timeouts.udp: 0s is below the testing.unsafe_short_timers floor of 1s (set 1s or more)");
	expect_err(BASE "testing: { unsafe_short_timers: true }\n"
		   "blocks: { quarantine: 500ms }\n",
		   "cgnat.yaml:6:23: blocks.quarantine: 500ms is below the testing.unsafe_short_timers floor of 1s (set 1s or more)");
	expect_err(BASE "testing: { unsafe_short_timers: false }\n"
		   "timeouts: { icmp: 2s }\n",
		   "cgnat.yaml:6:19: timeouts.icmp: 2s is below the RFC 5508 REQ-2 floor of 60s (set 60s or more)");
}

static void test_udp_ports(void **state)
{
	(void)state;
	expect_err(BASE "timeouts: { udp_ports: { 5353: 10s } }\n",
		   "cgnat.yaml:5:26: timeouts.udp_ports: port 5353 is not a well-known port (RFC 4787 REQ-5a allows shorter UDP timeouts only for destination ports 0-1023)");
	expect_err(BASE "timeouts: { udp_ports: { dns: 30s } }\n",
		   "cgnat.yaml:5:26: timeouts.udp_ports: expected a port number (0..1023), got 'dns'");
	expect_err(BASE "timeouts: { udp_ports: { 53: 0s } }\n",
		   "cgnat.yaml:5:30: timeouts.udp_ports.53: 0s is out of range (1s..7d)");
	expect_err(BASE "timeouts: { udp_ports: [53] }\n",
		   "cgnat.yaml:5:24: timeouts.udp_ports: expected a mapping of port to timeout (e.g. { 53: 30s }), got a list");
	expect_ok(BASE "timeouts: { udp_ports: { 53: 10s, 1023: 1m, 0: 5s } }\n");
	assert_int_equal(cfg.timeouts.n_udp_ports, 3);
	assert_int_equal(cfg.timeouts.udp_ports[0].port, 53);
	assert_int_equal(cfg.timeouts.udp_ports[0].timeout_ms, 10000);
	assert_int_equal(cfg.timeouts.udp_ports[1].port, 1023);
	assert_int_equal(cfg.timeouts.udp_ports[1].timeout_ms, 60000);
	assert_int_equal(cfg.timeouts.udp_ports[2].port, 0);
	expect_ok(BASE "timeouts: { udp_ports: {} }\n");
	assert_int_equal(cfg.timeouts.n_udp_ports, 0);
}

static void test_transport(void **state)
{
	(void)state;
	expect_err(BASE "ipfix: { collectors: [ { address: 127.0.0.1, transport: tls } ] }\n",
		   "cgnat.yaml:5:57: ipfix.collectors[0].transport: 'tls' is not supported: the Debian libfixbuf is built without TLS, DTLS and SCTP (use udp or tcp and carry IPFIX over an encrypted tunnel such as WireGuard or stunnel)");
	expect_err(BASE "ipfix: { collectors: [ { address: 127.0.0.1, transport: DTLS } ] }\n",
		   "cgnat.yaml:5:57: ipfix.collectors[0].transport: 'DTLS' is not supported: the Debian libfixbuf is built without TLS, DTLS and SCTP (use udp or tcp and carry IPFIX over an encrypted tunnel such as WireGuard or stunnel)");
	expect_err(BASE "ipfix: { collectors: [ { address: 127.0.0.1, transport: sctp } ] }\n",
		   "cgnat.yaml:5:57: ipfix.collectors[0].transport: 'sctp' is not supported: the Debian libfixbuf is built without TLS, DTLS and SCTP (use udp or tcp and carry IPFIX over an encrypted tunnel such as WireGuard or stunnel)");
	expect_err(BASE "ipfix: { collectors: [ { address: 127.0.0.1, transport: quic } ] }\n",
		   "cgnat.yaml:5:57: ipfix.collectors[0].transport: 'quic' is not valid (one of udp, tcp)");
	expect_ok(BASE "ipfix: { collectors: [ { address: 192.0.2.9, transport: tcp } ] }\n");
	assert_int_equal(cfg.ipfix.n_collectors, 1);
	assert_int_equal(cfg.ipfix.collectors[0].addr, 0xc0000209);
	assert_int_equal(cfg.ipfix.collectors[0].port, 4739);
	assert_int_equal(cfg.ipfix.collectors[0].transport, CFG_TRANSPORT_TCP);
}

static void test_collectors(void **state)
{
	(void)state;
	expect_err(BASE "ipfix: { collectors: [ { address: 127.0.0.256 } ] }\n",
		   "cgnat.yaml:5:35: ipfix.collectors[0].address: '127.0.0.256' is not an IPv4 address (e.g. 127.0.0.1)");
	expect_err(BASE "ipfix: { collectors: [ { address: 127.0.0.1 }, "
		   "{ address: 127.0.0.1, port: 4739 } ] }\n",
		   "cgnat.yaml:5:48: ipfix.collectors[1]: 127.0.0.1:4739 is already ipfix.collectors[0] (list each collector once)");
	expect_err(BASE "ipfix: { collectors: [ { address: 127.0.0.1, port: 0 } ] }\n",
		   "cgnat.yaml:5:52: ipfix.collectors[0].port: 0 is out of range (1..65535)");
}

static void test_interfaces_and_paths(void **state)
{
	(void)state;
	expect_err("interfaces: { inside: eth0, outside: eth0 }\n"
		   "subscribers: [100.64.0.0/10]\n"
		   "pools: [ { addresses: [203.0.113.1] } ]\n",
		   "cgnat.yaml:1:38: interfaces.outside: eth0 is also the inside interface (use two different interfaces)");
	expect_err("interfaces: { inside: eth0/1, outside: eth0 }\n",
		   "cgnat.yaml:1:23: interfaces.inside: 'eth0/1' is not an interface name (1 to 15 letters, digits, '_', '-' or '.', starting with a letter or digit)");
	expect_err("interfaces: { inside: averyveryverylongname, outside: eth0 }\n",
		   "cgnat.yaml:1:23: interfaces.inside: 'averyveryverylongname' is not an interface name (1 to 15 letters, digits, '_', '-' or '.', starting with a letter or digit)");
	expect_err(BASE "log: { database: cgnat.db }\n",
		   "cgnat.yaml:5:18: log.database: 'cgnat.db' is not an absolute path (e.g. /var/lib/cgnat/cgnat.db)");
}

/* interfaces.mss_clamp: written on line 4, after the interface names. */
#define MSS(v)                                                  \
	"interfaces:\n  inside: in0\n  outside: out0\n"           \
	"  mss_clamp: " v "\n"                                   \
	"subscribers: [100.64.0.0/10]\n"                          \
	"pools:\n  - addresses: [203.0.113.1]\n"

static void test_mss_clamp(void **state)
{
	(void)state;
	expect_err(MSS("{ inside: 0, outside: 535 }"),
		   "cgnat.yaml:4:36: interfaces.mss_clamp.outside: 535 is out of range (0 to disable, or 536..65495)");
	expect_err(MSS("{ inside: 65496 }"),
		   "cgnat.yaml:4:24: interfaces.mss_clamp.inside: 65496 is out of range (0 to disable, or 536..65495)");
	expect_err(MSS("{ inside: 99999999999999999999 }"),
		   "cgnat.yaml:4:24: interfaces.mss_clamp.inside: 99999999999999999999 is out of range (0 to disable, or 536..65495)");
	expect_err(MSS("{ outside: 1452b }"),
		   "cgnat.yaml:4:25: interfaces.mss_clamp.outside: '1452b' is not an unsigned integer (0 to disable, or 536..65495)");
	expect_err(MSS("{ outside: -1 }"),
		   "cgnat.yaml:4:25: interfaces.mss_clamp.outside: '-1' is not an unsigned integer (0 to disable, or 536..65495)");
	expect_err(MSS("{ outside: [1452] }"),
		   "cgnat.yaml:4:25: interfaces.mss_clamp.outside: expected an unsigned integer, got a list");
	expect_err(MSS("1452"),
		   "cgnat.yaml:4:14: interfaces.mss_clamp: expected a mapping (e.g. { inside: 0, outside: 1452 }), got '1452'");
	expect_err(MSS("{ outsde: 1452 }"),
		   "cgnat.yaml:4:16: interfaces.mss_clamp: unknown key 'outsde' (did you mean 'outside'?)");
	expect_err(MSS("{ outside: 1452, outside: 1400 }"),
		   "cgnat.yaml:4:31: interfaces.mss_clamp.outside: duplicate key (first given at 4:16)");
	expect_ok(MSS("{ inside: 536, outside: 65495 }"));
	assert_int_equal(cfg.interfaces.mss_clamp.inside, 536);
	assert_int_equal(cfg.interfaces.mss_clamp.outside, 65495);
	expect_ok(MSS("{ outside: 1452 }"));
	assert_int_equal(cfg.interfaces.mss_clamp.inside, 0);
	assert_int_equal(cfg.interfaces.mss_clamp.outside, 1452);
	expect_ok(MSS("{ inside: 0, outside: 0 }"));
	assert_int_equal(cfg.interfaces.mss_clamp.outside, 0);
	expect_ok(MSS("{}"));
	assert_int_equal(cfg.interfaces.mss_clamp.inside, 0);
}

static void test_cross_key_limits(void **state)
{
	(void)state;
	expect_err(BASE "thresholds: { pool_high: 80, pool_low: 80 }\n",
		   "cgnat.yaml:5:40: thresholds.pool_low: pool_low 80 must be below pool_high 80");
	expect_err(BASE "thresholds: { pool_high: 70 }\n",
		   "cgnat.yaml:5:26: thresholds.pool_high: pool_low 75 must be below pool_high 70");
	expect_err(BASE "limits: { sessions: 4096, sessions_per_subscriber: 8192 }\n",
		   "cgnat.yaml:5:52: limits.sessions_per_subscriber: sessions_per_subscriber 8192 must not exceed sessions 4096");
	expect_ok(BASE "limits: { sessions: 4096, sessions_per_subscriber: 0 }\n");
	assert_int_equal(cfg.limits.sessions_per_subscriber, 0);
	expect_err(BASE "limits: { new_flows_burst: 100 }\n",
		   "cgnat.yaml:5:28: limits.new_flows_burst: new_flows_burst 100 without a rate (set limits.new_flows_per_subscriber, or remove the burst)");
	expect_err(BASE "limits: { new_flows_per_subscriber: 10000001 }\n",
		   "cgnat.yaml:5:37: limits.new_flows_per_subscriber: 10000001 is out of range (0..10000000)");
	expect_ok(BASE "limits: { new_flows_per_subscriber: 1000, "
		       "new_flows_burst: 100 }\n");
	assert_int_equal(cfg.limits.new_flows_per_subscriber, 1000);
	assert_int_equal(cfg.limits.new_flows_burst, 100);
}

/* log.central: both keys, a PostgreSQL URL, a plain node name; the
 * password never reaches the dump (it goes into config_log). */
static void test_log_central(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	expect_ok(BASE "log: { central: { url: \"postgresql://cgnat:s3cret@db/cgnat\", node: fra-1 } }\n");
	assert_string_equal(cfg.log.central.url,
			    "postgresql://cgnat:s3cret@db/cgnat");
	assert_string_equal(cfg.log.central.node, "fra-1");
	f = open_memstream(&text, &len);
	assert_int_equal(cfg_dump(f, &cfg), 0);
	fclose(f);
	assert_null(strstr(text, "s3cret"));
	assert_non_null(strstr(text, "postgresql://cgnat:********@db/cgnat"));
	assert_non_null(strstr(text, "node: fra-1"));
	free(text);
	expect_ok(BASE);
	assert_string_equal(cfg.log.central.url, ""); /* off by default */
	expect_err(BASE "log: { central: { url: http://db/x, node: a } }\n",
		   "cgnat.yaml:5:24: log.central.url: 'http://db/x' is not a PostgreSQL URL (e.g. postgresql://cgnat@db.example.net/cgnat)");
	expect_err(BASE "log: { central: { url: postgresql://db/x } }\n",
		   "cgnat.yaml:5:17: log.central: missing required key 'node' (e.g. node: cgnat-fra-1)");
	expect_err(BASE "log: { central: { url: postgresql://db/x, node: 'a b' } }\n",
		   "cgnat.yaml:5:49: log.central.node: 'a b' is not a node name (1 to 63 letters, digits, '_', '-' or '.', starting with a letter or digit)");
}

/* ha: both addresses, distinct; the rest has defaults; the dump reads
 * back the same. */
static void test_ha(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	expect_ok(BASE);
	assert_int_equal(cfg.ha.address, 0); /* off by default */
	expect_ok(BASE "ha: { address: 192.0.2.253, peer: 192.0.2.254, refresh: 5s }\n");
	assert_int_equal(cfg.ha.address, 0xc00002fd);
	assert_int_equal(cfg.ha.peer, 0xc00002fe);
	assert_int_equal(cfg.ha.port, 7400);
	assert_int_equal(cfg.ha.refresh_ms, 5000);
	assert_int_equal(cfg.ha.alone_ms, 10000);
	f = open_memstream(&text, &len);
	assert_int_equal(cfg_dump(f, &cfg), 0);
	fclose(f);
	assert_non_null(strstr(text, "ha:\n  address: 192.0.2.253\n  peer: 192.0.2.254\n  port: 7400\n"));
	free(text);
	expect_err(BASE "ha: { address: 192.0.2.253 }\n",
		   "cgnat.yaml:5:5: ha: missing required key 'peer' (e.g. peer: 192.0.2.254)");
	expect_err(BASE "ha: { address: 192.0.2.253, peer: 192.0.2.253 }\n",
		   "cgnat.yaml:5:35: ha.peer: the peer is this box's own ha.address: name the other box's address on the sync link");
	expect_err(BASE "ha: { address: 192.0.2.253, peer: box2 }\n",
		   "cgnat.yaml:5:35: ha.peer: 'box2' is not an IPv4 address (e.g. 127.0.0.1)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_empty_and_documents),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_block_size),
		cmocka_unit_test(test_port_range),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_missing_key),
		cmocka_unit_test(test_floors),
		cmocka_unit_test(test_unsafe_short_timers),
		cmocka_unit_test(test_udp_ports),
		cmocka_unit_test(test_transport),
		cmocka_unit_test(test_collectors),
		cmocka_unit_test(test_interfaces_and_paths),
		cmocka_unit_test(test_cross_key_limits),
		cmocka_unit_test(test_mss_clamp),
		cmocka_unit_test(test_log_central),
		cmocka_unit_test(test_ha),
	};

	return cmocka_run_group_tests_name("config_errors", tests, NULL, NULL);
}
