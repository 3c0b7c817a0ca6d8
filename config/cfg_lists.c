// SPDX-License-Identifier: GPL-2.0
/*
 * cfg_lists.c - the list-shaped keys: prefix lists (subscribers, pool
 * addresses), the pools, the IPFIX collectors and the per-port UDP timeout
 * overrides. Each entry is checked on its own here (syntax, host bits,
 * count limits, well-known ports); how entries relate to each other, such
 * as overlaps between pools, is checked in cfg_validate.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/cfg_internal.h"

static int parse_prefix_node(struct cfg_ctx *ctx, yaml_node_t *node,
			     const char *path, struct cfg_prefix *p,
			     const char *example)
{
	const char *s = cfg_scalar(node);
	char what[64], fixed[24];
	uint32_t addr;
	uint8_t len;

	snprintf(what, sizeof(what), "an IPv4 address or prefix (e.g. %s)",
		 example);
	if (!s || !*s)
		return cfg_type_err(ctx, node, path, what);
	if (cfg_parse_prefix(s, &addr, &len))
		return cfg_node_errf(ctx, node, path, "'%.40s' is not %s", s,
				     what);
	if (addr & ~cfg_prefix_mask(len)) {
		cfg_format_prefix(addr & cfg_prefix_mask(len), len, fixed,
				  sizeof(fixed));
		return cfg_node_errf(ctx, node, path,
				     "%s has host bits set (did you mean %s?)",
				     s, fixed);
	}
	p->addr = addr;
	p->len = len;
	p->mark = cfg_node_mark(node);
	return 0;
}

int cfg_parse_prefix_list(struct cfg_ctx *ctx, yaml_node_t *node,
			  const char *path, struct cfg_prefix_list *list,
			  const char *example)
{
	char what[64], sub[CFG_KPATH_LEN];
	yaml_node_item_t *it;
	unsigned int i = 0;
	int ret = 0;

	snprintf(what, sizeof(what), "a list (e.g. [%s])", example);
	if (node->type != YAML_SEQUENCE_NODE)
		return cfg_type_err(ctx, node, path, what);
	if (node->data.sequence.items.start == node->data.sequence.items.top)
		return cfg_node_errf(ctx, node, path,
				     "needs at least one entry (e.g. [%s])",
				     example);
	/* A bad entry is reported and the next one checked; list->n counts
	 * them all, as the list is only used if it had no error.
	 */
	list->n = 0;
	for (it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++, i++) {
		yaml_node_t *n = cfg_node(ctx, *it);

		if (i >= CFG_MAX_PREFIXES)
			return cfg_node_errf(ctx, n, path,
					     "more than %d entries (merge neighbours into wider prefixes)",
					     CFG_MAX_PREFIXES);
		cfg_path_index(sub, sizeof(sub), path, i);
		if (parse_prefix_node(ctx, n, sub, &list->v[i], example))
			ret = -EINVAL;
		list->n = i + 1;
	}
	return ret;
}

/* Check node is a list of at most max entries. */
static int check_list(struct cfg_ctx *ctx, yaml_node_t *node,
		      const char *path, unsigned int max, const char *noun,
		      const char *example)
{
	yaml_node_t *extra;
	char what[128];
	size_t n;

	snprintf(what, sizeof(what), "a list of %s (e.g. %s)", noun, example);
	if (node->type != YAML_SEQUENCE_NODE)
		return cfg_type_err(ctx, node, path, what);
	n = (size_t)(node->data.sequence.items.top -
		     node->data.sequence.items.start);
	if (n <= max)
		return 0;
	extra = cfg_node(ctx, node->data.sequence.items.start[max]);
	return cfg_node_errf(ctx, extra, path,
			     "more than %u %s (the limit is %u)", max, noun,
			     max);
}

#define POOL_EXAMPLE "[ { name: default, addresses: [203.0.113.0/28] } ]"

int cfg_parse_pools(struct cfg_ctx *ctx, yaml_node_t *node, const char *path,
		    void *field)
{
	struct cgnat_config *cfg = field;
	char sub[CFG_KPATH_LEN];
	yaml_node_item_t *it;
	unsigned int i = 0;
	int ret;

	ret = check_list(ctx, node, path, CFG_MAX_POOLS, "pools", POOL_EXAMPLE);
	if (ret)
		return ret;
	if (node->data.sequence.items.start == node->data.sequence.items.top)
		return cfg_node_errf(ctx, node, path,
				     "needs at least one pool (e.g. %s)",
				     POOL_EXAMPLE);
	for (it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++, i++) {
		yaml_node_t *n = cfg_node(ctx, *it);
		struct cfg_pool *pool = &cfg->pools[i];

		memset(pool, 0, sizeof(*pool));
		snprintf(pool->name, sizeof(pool->name), "pool%u", i);
		pool->include_boundary_addresses = true;
		pool->mark = cfg_node_mark(n);
		cfg_path_index(sub, sizeof(sub), path, i);
		cfg_mark_set(ctx, sub, pool->mark, NULL);
		/* On to the next pool after an error; pools are then not
		 * checked against each other (cfg_validate.c).
		 */
		if (cfg_walk_map(ctx, n, sub, cfg_pool_keys, pool,
				 "{ name: default, addresses: [203.0.113.0/28] }"))
			ret = -EINVAL;
		cfg->n_pools = i + 1;
	}
	return ret;
}

#define COLLECTOR_EXAMPLE "[ { address: 127.0.0.1, port: 4739 } ]"

int cfg_parse_collectors(struct cfg_ctx *ctx, yaml_node_t *node,
			 const char *path, void *field)
{
	struct cfg_ipfix *ipfix = field;
	char sub[CFG_KPATH_LEN];
	yaml_node_item_t *it;
	unsigned int i = 0;
	int ret;

	ret = check_list(ctx, node, path, CFG_MAX_COLLECTORS, "collectors",
			 COLLECTOR_EXAMPLE);
	if (ret)
		return ret;
	ipfix->n_collectors = 0;
	for (it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++, i++) {
		yaml_node_t *n = cfg_node(ctx, *it);
		struct cfg_collector *c = &ipfix->collectors[i];

		memset(c, 0, sizeof(*c));
		c->port = 4739;
		c->transport = CFG_TRANSPORT_UDP;
		c->mark = cfg_node_mark(n);
		cfg_path_index(sub, sizeof(sub), path, i);
		cfg_mark_set(ctx, sub, c->mark, NULL);
		if (cfg_walk_map(ctx, n, sub, cfg_collector_keys, c,
				 "{ address: 127.0.0.1, port: 4739 }"))
			ret = -EINVAL;
		ipfix->n_collectors = i + 1;
	}
	return ret;
}

static const struct cfg_key udp_port_timeout = {
	.name = "udp_ports",
	.kind = CFG_K_DURATION,
	.size = sizeof(uint64_t),
	.min = 1000,
	.max = 7 * 24 * 3600 * 1000ULL,
};

static int parse_udp_port(struct cfg_ctx *ctx, yaml_node_pair_t *pair,
			  const char *path, struct cfg_timeouts *t)
{
	yaml_node_t *kn = cfg_node(ctx, pair->key);
	yaml_node_t *vn = cfg_node(ctx, pair->value);
	const char *s = cfg_scalar(kn);
	char sub[CFG_KPATH_LEN];
	struct cfg_mark first;
	uint64_t port;
	unsigned int i;

	if (!s || cfg_parse_uint(s, 65535, &port))
		return cfg_type_err(ctx, kn, path, "a port number (0..1023)");
	if (port > 1023)
		return cfg_node_errf(ctx, kn, path,
				     "port %s is not a well-known port (RFC 4787 REQ-5a allows shorter UDP timeouts only for destination ports 0-1023)",
				     s);
	cfg_path_key(sub, sizeof(sub), path, s);
	for (i = 0; i < t->n_udp_ports; i++) {
		if (t->udp_ports[i].port != port)
			continue;
		first = cfg_mark_near(ctx, sub);
		return cfg_node_errf(ctx, kn, sub,
				     "duplicate key (first given at %u:%u)",
				     first.line, first.column);
	}
	if (t->n_udp_ports >= CFG_MAX_UDP_PORTS)
		return cfg_node_errf(ctx, kn, path,
				     "more than %d port overrides",
				     CFG_MAX_UDP_PORTS);
	cfg_mark_set(ctx, sub, cfg_node_mark(kn), cfg_scalar(vn));
	t->udp_ports[t->n_udp_ports].port = (uint16_t)port;
	return cfg_walk_value(ctx, &udp_port_timeout, vn, sub,
			      &t->udp_ports[t->n_udp_ports++].timeout_ms);
}

int cfg_parse_udp_ports(struct cfg_ctx *ctx, yaml_node_t *node,
			const char *path, void *field)
{
	struct cfg_timeouts *t = field;
	yaml_node_pair_t *pair;
	int ret = 0;

	if (node->type != YAML_MAPPING_NODE)
		return cfg_type_err(ctx, node, path,
				    "a mapping of port to timeout (e.g. { 53: 30s })");
	t->n_udp_ports = 0;
	for (pair = node->data.mapping.pairs.start;
	     pair < node->data.mapping.pairs.top; pair++) {
		if (parse_udp_port(ctx, pair, path, t))
			ret = -EINVAL;
	}
	return ret;
}
