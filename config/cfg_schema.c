// SPDX-License-Identifier: GPL-2.0
/*
 * cfg_schema.c - the shape of cgnat.yaml as data: one table per mapping
 * giving each key's field, kind and range, plus the parsers for the few
 * scalars the generic walker cannot handle (names, paths, the port range,
 * the IPFIX transport). Ranges here are per value; checks that relate two
 * keys, and the RFC timer floors, live in cfg_validate.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "config/cfg_internal.h"

#define AT(type, member) \
	.off = offsetof(type, member), .size = sizeof(((type *)0)->member)

#define SEC 1000ULL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

/* Letters, digits, '_', '-', '.', starting with a letter or digit, so a
 * name is always a plain YAML scalar when cfg_dump() prints it.
 */
static bool name_ok(const char *s, size_t max)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
			     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.");

	return n && n == strlen(s) && n <= max && isalnum((unsigned char)*s);
}

static int parse_name(struct cfg_ctx *ctx, yaml_node_t *node, const char *path,
		      char *field, size_t size, const char *what)
{
	const char *s = cfg_scalar(node);

	if (!s || !*s)
		return cfg_type_err(ctx, node, path, what);
	if (!name_ok(s, size - 1))
		return cfg_node_errf(ctx, node, path,
				     "'%.40s' is not %s (1 to %zu letters, digits, '_', '-' or '.', starting with a letter or digit)",
				     s, what, size - 1);
	strcpy(field, s);
	return 0;
}

static int parse_ifname(struct cfg_ctx *ctx, yaml_node_t *node,
			const char *path, void *field)
{
	return parse_name(ctx, node, path, field, CFG_IFNAME_LEN,
			  "an interface name");
}

static int parse_pool_name(struct cfg_ctx *ctx, yaml_node_t *node,
			   const char *path, void *field)
{
	return parse_name(ctx, node, path, field, CFG_NAME_LEN, "a pool name");
}

static int parse_db_path(struct cfg_ctx *ctx, yaml_node_t *node,
			 const char *path, void *field)
{
	const char *s = cfg_scalar(node);
	const char *p;

	if (!s || !*s)
		return cfg_type_err(ctx, node, path, "an absolute file path");
	if (*s != '/')
		return cfg_node_errf(ctx, node, path,
				     "'%.40s' is not an absolute path (e.g. /var/lib/cgnat/cgnat.db)",
				     s);
	if (strlen(s) >= CFG_PATH_LEN)
		return cfg_node_errf(ctx, node, path,
				     "path is longer than %d characters",
				     CFG_PATH_LEN - 1);
	for (p = s; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return cfg_node_errf(ctx, node, path,
					     "path contains a control character");
	}
	strcpy(field, s);
	return 0;
}

static int parse_ports_range(struct cfg_ctx *ctx, yaml_node_t *node,
			     const char *path, void *field)
{
	struct cfg_ports *ports = field;
	const char *s = cfg_scalar(node);
	uint32_t first, last;
	int ret;

	if (!s || !*s)
		return cfg_type_err(ctx, node, path,
				    "a port range (e.g. 1024-65535)");
	ret = cfg_parse_port_range(s, &first, &last);
	if (ret == -ERANGE)
		return cfg_node_errf(ctx, node, path,
				     "%.40s is out of order (write the lower port first, FIRST-LAST, e.g. 1024-65535)",
				     s);
	if (ret)
		return cfg_node_errf(ctx, node, path,
				     "'%.40s' is not a port range (FIRST-LAST within 1024-65535, e.g. 1024-65535)",
				     s);
	if (first < 1024)
		return cfg_node_errf(ctx, node, path,
				     "%s starts below 1024 (FIRST-LAST within 1024-65535, e.g. 1024-65535)",
				     s);
	if (first % 64)
		return cfg_node_errf(ctx, node, path,
				     "start %u is not a multiple of 64 (use %u or %u)",
				     first, first / 64 * 64,
				     (first / 64 + 1) * 64);
	ports->first = first;
	ports->last = last;
	return 0;
}

static int parse_subscribers(struct cfg_ctx *ctx, yaml_node_t *node,
			     const char *path, void *field)
{
	return cfg_parse_prefix_list(ctx, node, path, field, "100.64.0.0/10");
}

static int parse_addresses(struct cfg_ctx *ctx, yaml_node_t *node,
			   const char *path, void *field)
{
	return cfg_parse_prefix_list(ctx, node, path, field, "203.0.113.0/28");
}

static int parse_collector_addr(struct cfg_ctx *ctx, yaml_node_t *node,
				const char *path, void *field)
{
	const char *s = cfg_scalar(node);

	if (!s || !*s)
		return cfg_type_err(ctx, node, path,
				    "an IPv4 address (e.g. 127.0.0.1)");
	if (cfg_parse_ipv4(s, field) || !*(uint32_t *)field)
		return cfg_node_errf(ctx, node, path,
				     "'%.40s' is not an IPv4 address (e.g. 127.0.0.1)",
				     s);
	return 0;
}

static int parse_transport(struct cfg_ctx *ctx, yaml_node_t *node,
			   const char *path, void *field)
{
	static const char *const insecure[] = { "tls", "dtls", "sctp",
						"tcp+tls", "udp+dtls", NULL };
	const char *s = cfg_scalar(node);
	enum cfg_transport *t = field;
	int i;

	if (s && !strcmp(s, "udp")) {
		*t = CFG_TRANSPORT_UDP;
		return 0;
	}
	if (s && !strcmp(s, "tcp")) {
		*t = CFG_TRANSPORT_TCP;
		return 0;
	}
	if (!s || !*s)
		return cfg_type_err(ctx, node, path, "udp or tcp");
	for (i = 0; insecure[i]; i++) {
		if (!strcasecmp(s, insecure[i]))
			return cfg_node_errf(ctx, node, path,
					     "'%s' is not supported: the Debian libfixbuf is built without TLS, DTLS and SCTP (use udp or tcp and carry IPFIX over an encrypted tunnel such as WireGuard or stunnel)",
					     s);
	}
	return cfg_node_errf(ctx, node, path,
			     "'%.40s' is not valid (one of udp, tcp)", s);
}

static const struct cfg_enum_name xdp_modes[] = {
	{ "native", CFG_XDP_NATIVE },
	{ "generic", CFG_XDP_GENERIC },
	{ NULL, 0 },
};

static const struct cfg_enum_name filterings[] = {
	{ "endpoint-independent", CFG_FILTER_EIF },
	{ "address-dependent", CFG_FILTER_ADF },
	{ "address-and-port-dependent", CFG_FILTER_APDF },
	{ "eif", CFG_FILTER_EIF },
	{ "adf", CFG_FILTER_ADF },
	{ "apdf", CFG_FILTER_APDF },
	{ NULL, 0 },
};

static const struct cfg_enum_name pool_modes[] = {
	{ "pba", CFG_POOL_PBA },
	{ "deterministic", CFG_POOL_DETERMINISTIC },
	{ NULL, 0 },
};

static const struct cfg_enum_name syn_actions[] = {
	{ "drop", CFG_SYN_DROP },
	{ "icmp", CFG_SYN_ICMP },
	{ NULL, 0 },
};

#define K_UINT(n, T, m, lo, hi) \
	{ .name = n, .kind = CFG_K_UINT, AT(T, m), .min = lo, .max = hi }
#define K_UINT_OFF(n, T, m, lo, hi)                                      \
	{ .name = n, .kind = CFG_K_UINT, AT(T, m), .min = lo, .max = hi, \
	  .flags = CFG_F_ZERO_OFF }
#define K_DUR(n, T, m, lo, hi, f)                                   \
	{ .name = n, .kind = CFG_K_DURATION, AT(T, m), .min = lo, .max = hi, \
	  .flags = f }
#define K_BOOL(n, T, m) { .name = n, .kind = CFG_K_BOOL, AT(T, m) }
#define K_ENUM(n, T, m, tbl) \
	{ .name = n, .kind = CFG_K_ENUM, AT(T, m), .names = tbl }
#define K_MAP(n, T, m, tbl, h) \
	{ .name = n, .kind = CFG_K_MAP, AT(T, m), .sub = tbl, .hint = h }
#define K_REQ_MAP(n, T, m, tbl, h)                                         \
	{ .name = n, .kind = CFG_K_MAP, AT(T, m), .sub = tbl, .hint = h, \
	  .flags = CFG_F_REQUIRED }
#define K_FUNC(n, T, m, fn, f, h) \
	{ .name = n, .kind = CFG_K_FUNC, AT(T, m), .parse = fn, .flags = f, \
	  .hint = h }

static const struct cfg_key mss_clamp_keys[] = {
	K_UINT_OFF("inside", struct cfg_mss_clamp, inside, CFG_MSS_MIN,
		   CFG_MSS_MAX),
	K_UINT_OFF("outside", struct cfg_mss_clamp, outside, CFG_MSS_MIN,
		   CFG_MSS_MAX),
	{ .name = NULL },
};

static const struct cfg_key interface_keys[] = {
	K_FUNC("inside", struct cfg_interfaces, inside, parse_ifname,
	       CFG_F_REQUIRED, "eth1"),
	K_FUNC("outside", struct cfg_interfaces, outside, parse_ifname,
	       CFG_F_REQUIRED, "eth0"),
	K_ENUM("xdp_mode", struct cfg_interfaces, xdp_mode, xdp_modes),
	K_MAP("mss_clamp", struct cfg_interfaces, mss_clamp, mss_clamp_keys,
	      "{ inside: 0, outside: 1452 }"),
	{ .name = NULL },
};

const struct cfg_key cfg_pool_keys[] = {
	K_FUNC("name", struct cfg_pool, name, parse_pool_name, 0, "default"),
	K_FUNC("addresses", struct cfg_pool, addresses, parse_addresses,
	       CFG_F_REQUIRED, "[203.0.113.0/28]"),
	K_FUNC("subscribers", struct cfg_pool, subscribers, parse_subscribers,
	       0, "[100.64.0.0/10]"),
	K_ENUM("mode", struct cfg_pool, mode, pool_modes),
	K_UINT("ports_per_subscriber", struct cfg_pool, ports_per_subscriber,
	       64, 64512),
	K_BOOL("include_boundary_addresses", struct cfg_pool,
	       include_boundary_addresses),
	K_UINT("overflow_blocks", struct cfg_pool, overflow_blocks, 0, 32),
	{ .name = NULL },
};

static const struct cfg_key ports_keys[] = {
	{ .name = "range", .kind = CFG_K_FUNC, .parse = parse_ports_range },
	K_UINT("block_size", struct cfg_ports, block_size, 64, 4096),
	K_UINT("max_blocks", struct cfg_ports, max_blocks, 1, 32),
	K_BOOL("parity", struct cfg_ports, parity),
	{ .name = NULL },
};

static const struct cfg_key blocks_keys[] = {
	K_DUR("idle_release", struct cfg_blocks, idle_release_ms, 0, DAY, 0),
	K_DUR("keep_last", struct cfg_blocks, keep_last_ms, 0, 30 * DAY, 0),
	K_DUR("lifetime", struct cfg_blocks, lifetime_ms, MIN, 365 * DAY,
	      CFG_F_ZERO_OFF),
	K_DUR("quarantine", struct cfg_blocks, quarantine_ms, 0, DAY, 0),
	K_DUR("interim_log", struct cfg_blocks, interim_log_ms, MIN, 30 * DAY,
	      CFG_F_ZERO_OFF),
	K_UINT("max_quarantined", struct cfg_blocks, max_quarantined, 0,
	       UINT32_MAX),
	{ .name = NULL },
};

static const struct cfg_key unreachable_keys[] = {
	K_UINT("type", struct cfg_unreachable, type, 3, 3),
	K_UINT("code", struct cfg_unreachable, code, 0, 15),
	K_UINT("rate", struct cfg_unreachable, rate, 0, 100000),
	{ .name = NULL },
};

static const struct cfg_key nat_keys[] = {
	K_ENUM("filtering", struct cfg_nat, filtering, filterings),
	K_BOOL("hairpinning", struct cfg_nat, hairpinning),
	K_BOOL("inbound_refresh", struct cfg_nat, inbound_refresh),
	K_ENUM("unsolicited_syn", struct cfg_nat, unsolicited_syn, syn_actions),
	K_MAP("unreachable", struct cfg_nat, unreachable, unreachable_keys,
	      "{ type: 3, code: 1, rate: 100 }"),
	{ .name = NULL },
};

static const struct cfg_key timeouts_keys[] = {
	K_DUR("udp", struct cfg_timeouts, udp_ms, 0, 7 * DAY, 0),
	{ .name = "udp_ports", .kind = CFG_K_FUNC,
	  .parse = cfg_parse_udp_ports },
	K_DUR("tcp_established", struct cfg_timeouts, tcp_established_ms, 0,
	      7 * DAY, 0),
	K_DUR("tcp_transitory", struct cfg_timeouts, tcp_transitory_ms, 0,
	      7 * DAY, 0),
	K_DUR("icmp", struct cfg_timeouts, icmp_ms, 0, 7 * DAY, 0),
	{ .name = NULL },
};

static const struct cfg_key limits_keys[] = {
	K_UINT("sessions", struct cfg_limits, sessions, 1024, 67108864),
	K_UINT("sessions_per_subscriber", struct cfg_limits,
	       sessions_per_subscriber, 0, 1048576),
	K_UINT("subscribers", struct cfg_limits, subscribers, 1, 16777216),
	K_UINT("new_flows_per_subscriber", struct cfg_limits,
	       new_flows_per_subscriber, 0, 10000000),
	K_UINT("new_flows_burst", struct cfg_limits, new_flows_burst, 0,
	       10000000),
	{ .name = NULL },
};

static const struct cfg_key thresholds_keys[] = {
	K_UINT("pool_high", struct cfg_thresholds, pool_high, 1, 100),
	K_UINT("pool_low", struct cfg_thresholds, pool_low, 1, 100),
	K_UINT("subscriber_high", struct cfg_thresholds, subscriber_high, 1,
	       100),
	{ .name = NULL },
};

/* A libpq URI: the shipper and cgnatctl hand it to libpq as is. */
static int parse_pg_url(struct cfg_ctx *ctx, yaml_node_t *node,
			const char *path, void *field)
{
	const char *s = cfg_scalar(node);

	if (!s || !*s)
		return cfg_type_err(ctx, node, path, "a postgresql:// URL");
	if (strncmp(s, "postgresql://", 13) && strncmp(s, "postgres://", 11))
		return cfg_node_errf(ctx, node, path,
				     "'%.40s' is not a PostgreSQL URL (e.g. postgresql://cgnat@db.example.net/cgnat)",
				     s);
	if (strlen(s) >= CFG_URL_LEN)
		return cfg_node_errf(ctx, node, path,
				     "URL is longer than %d characters",
				     CFG_URL_LEN - 1);
	strcpy(field, s);
	return 0;
}

static int parse_node_name(struct cfg_ctx *ctx, yaml_node_t *node,
			   const char *path, void *field)
{
	return parse_name(ctx, node, path, field, CFG_NAME_LEN * 2,
			  "a node name");
}

static const struct cfg_key central_keys[] = {
	K_FUNC("url", struct cfg_central, url, parse_pg_url, CFG_F_REQUIRED,
	       "postgresql://cgnat@db.example.net/cgnat"),
	K_FUNC("node", struct cfg_central, node, parse_node_name,
	       CFG_F_REQUIRED, "cgnat-fra-1"),
	{ .name = NULL },
};

static const struct cfg_key log_keys[] = {
	K_FUNC("database", struct cfg_log, database, parse_db_path, 0,
	       "/var/lib/cgnat/cgnat.db"),
	K_DUR("retention", struct cfg_log, retention_ms, HOUR, 3650 * DAY,
	      CFG_F_ZERO_OFF),
	K_BOOL("session_events", struct cfg_log, session_events),
	K_UINT("max_backlog", struct cfg_log, max_backlog, 1, 262144),
	K_MAP("central", struct cfg_log, central, central_keys,
	      "{ url: postgresql://cgnat@db.example.net/cgnat, node: cgnat-fra-1 }"),
	{ .name = NULL },
};

const struct cfg_key cfg_collector_keys[] = {
	K_FUNC("address", struct cfg_collector, addr, parse_collector_addr,
	       CFG_F_REQUIRED, "127.0.0.1"),
	K_UINT("port", struct cfg_collector, port, 1, 65535),
	K_FUNC("transport", struct cfg_collector, transport, parse_transport,
	       0, "udp"),
	{ .name = NULL },
};

static const struct cfg_key ipfix_keys[] = {
	K_UINT("observation_domain", struct cfg_ipfix, observation_domain, 0,
	       UINT32_MAX),
	K_DUR("template_refresh", struct cfg_ipfix, template_refresh_ms, SEC,
	      DAY, 0),
	K_BOOL("pool_id", struct cfg_ipfix, pool_id),
	{ .name = "collectors", .kind = CFG_K_FUNC,
	  .parse = cfg_parse_collectors, .items = cfg_collector_keys },
	{ .name = NULL },
};

static const struct cfg_key ha_keys[] = {
	K_FUNC("address", struct cfg_ha, address, parse_collector_addr,
	       CFG_F_REQUIRED, "192.0.2.253"),
	K_FUNC("peer", struct cfg_ha, peer, parse_collector_addr,
	       CFG_F_REQUIRED, "192.0.2.254"),
	K_UINT("port", struct cfg_ha, port, 1, 65535),
	K_DUR("refresh", struct cfg_ha, refresh_ms, SEC, HOUR, 0),
	K_DUR("alone_after", struct cfg_ha, alone_ms, SEC, DAY, 0),
	{ .name = NULL },
};

static const struct cfg_key pcp_keys[] = {
	K_BOOL("enabled", struct cfg_pcp, enabled),
	K_BOOL("third_party", struct cfg_pcp, third_party),
	K_DUR("min_lifetime", struct cfg_pcp, min_lifetime_ms, SEC, DAY, 0),
	K_DUR("max_lifetime", struct cfg_pcp, max_lifetime_ms, SEC, 7 * DAY,
	      0),
	K_UINT("per_subscriber", struct cfg_pcp, per_subscriber, 1, 1024),
	K_UINT("rate", struct cfg_pcp, rate, 1, 1000),
	{ .name = NULL },
};

static const struct cfg_key testing_keys[] = {
	K_BOOL("unsafe_short_timers", struct cfg_testing, unsafe_short_timers),
	{ .name = NULL },
};

#define C struct cgnat_config
const struct cfg_key cfg_root_keys[] = {
	K_UINT("instance", C, instance, 0, UINT32_MAX),
	K_REQ_MAP("interfaces", C, interfaces, interface_keys,
	      "{ inside: eth1, outside: eth0 }"),
	K_FUNC("subscribers", C, subscribers, parse_subscribers,
	       CFG_F_REQUIRED, "[100.64.0.0/10]"),
	{ .name = "pools", .kind = CFG_K_FUNC, .parse = cfg_parse_pools,
	  .items = cfg_pool_keys, .flags = CFG_F_REQUIRED,
	  .hint = "[ { name: default, addresses: [203.0.113.0/28] } ]" },
	K_MAP("ports", C, ports, ports_keys,
	      "{ range: 1024-65535, block_size: 256 }"),
	K_MAP("blocks", C, blocks, blocks_keys, "{ quarantine: 120s }"),
	K_MAP("nat", C, nat, nat_keys, "{ filtering: endpoint-independent }"),
	K_MAP("timeouts", C, timeouts, timeouts_keys, "{ udp: 300s }"),
	K_MAP("limits", C, limits, limits_keys, "{ sessions: 1048576 }"),
	K_MAP("thresholds", C, thresholds, thresholds_keys,
	      "{ pool_high: 90, pool_low: 75 }"),
	K_MAP("log", C, log, log_keys, "{ database: /var/lib/cgnat/cgnat.db }"),
	K_MAP("ipfix", C, ipfix, ipfix_keys, "{ observation_domain: 1 }"),
	K_MAP("ha", C, ha, ha_keys,
	      "{ address: 192.0.2.253, peer: 192.0.2.254 }"),
	K_MAP("pcp", C, pcp, pcp_keys, "{ enabled: true, max_lifetime: 24h }"),
	K_MAP("testing", C, testing, testing_keys,
	      "{ unsafe_short_timers: false }"),
	{ .name = NULL },
};
#undef C
