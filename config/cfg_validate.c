// SPDX-License-Identifier: GPL-2.0
/*
 * cfg_validate.c - checks that relate several keys, run once the whole file
 * has been walked: the port geometry, the RFC floors on idle timers (which
 * depend on testing.unsafe_short_timers, wherever it appears in the file),
 * the address plan (pools against subscribers and against each other) and
 * a few consistency rules. No I/O: it reads the config and the recorded
 * source positions, fills the pool subscribers left to their default, and
 * reports at most one error per check. A key left at its default is
 * reported at the mapping that would hold it.
 *
 * Each check names the keys it reads and is skipped when one of them
 * already had an error in the walk: a value that failed to parse holds its
 * default or garbage, and relating it to other keys would only produce
 * bogus follow-on errors. An error found here blames its key in the same
 * way, so overlapping subscribers, say, skip the pool plan that reads
 * them; every other check still runs.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_internal.h"

/* The first of two keys that the file actually sets, for messages. */
static const char *set_path(struct cfg_ctx *ctx, const char *a, const char *b)
{
	return cfg_mark_find(ctx, a) || !cfg_mark_find(ctx, b) ? a : b;
}

static int check_interfaces(struct cfg_ctx *ctx)
{
	const struct cfg_interfaces *i = &ctx->cfg->interfaces;
	const char *p = "interfaces.outside";

	if (strcmp(i->inside, i->outside))
		return 0;
	return cfg_errf(ctx, cfg_mark_near(ctx, p), p,
			"%s is also the inside interface (use two different interfaces)",
			i->outside);
}

static int check_ports(struct cfg_ctx *ctx)
{
	const struct cfg_ports *p = &ctx->cfg->ports;
	uint32_t bs = p->block_size, span = p->last - p->first + 1;
	const char *path;

	if (bs % 64) {
		path = "ports.block_size";
		return cfg_errf(ctx, cfg_mark_near(ctx, path), path,
				"%u is not a multiple of 64 (use %u or %u)", bs,
				bs / 64 * 64, (bs / 64 + 1) * 64);
	}
	if (span < bs) {
		path = set_path(ctx, "ports.range", "ports.block_size");
		return cfg_errf(ctx, cfg_mark_near(ctx, path), path,
				"%u-%u holds %u ports, fewer than one block of %u (widen ports.range or lower ports.block_size)",
				p->first, p->last, span, bs);
	}
	if (p->max_blocks > span / bs) {
		path = set_path(ctx, "ports.max_blocks", "ports.block_size");
		return cfg_errf(ctx, cfg_mark_near(ctx, path), path,
				"%u blocks of %u ports do not fit in %u-%u, which holds %u (a subscriber's blocks all share one address)",
				p->max_blocks, bs, p->first, p->last,
				span / bs);
	}
	return 0;
}

struct floor {
	const char *path;
	size_t off;
	uint64_t floor_ms;
	const char *rule;
};

#define FLOOR(p, m, f, r) { p, offsetof(struct cgnat_config, m), f, r }
static const struct floor floors[] = {
	FLOOR("timeouts.udp", timeouts.udp_ms, CFG_FLOOR_UDP_MS,
	      "RFC 4787 REQ-5"),
	FLOOR("timeouts.tcp_established", timeouts.tcp_established_ms,
	      CFG_FLOOR_TCP_EST_MS, "RFC 5382 REQ-5"),
	FLOOR("timeouts.tcp_transitory", timeouts.tcp_transitory_ms,
	      CFG_FLOOR_TCP_TRANS_MS, "RFC 5382 REQ-5"),
	FLOOR("timeouts.icmp", timeouts.icmp_ms, CFG_FLOOR_ICMP_MS,
	      "RFC 5508 REQ-2"),
	FLOOR("blocks.quarantine", blocks.quarantine_ms,
	      CFG_FLOOR_QUARANTINE_MS, "RFC 6888 REQ-8"),
};

static int check_floors(struct cfg_ctx *ctx)
{
	bool unsafe = ctx->cfg->testing.unsafe_short_timers;
	const struct cfg_mark_entry *e;
	char val[CFG_TEXT_LEN], min[24];
	int ret = 0;
	size_t i;

	for (i = 0; i < sizeof(floors) / sizeof(floors[0]); i++) {
		const struct floor *f = &floors[i];
		const char *field = (const char *)ctx->cfg + f->off;
		uint64_t v = *(const uint64_t *)field;
		uint64_t floor = unsafe ? CFG_FLOOR_UNSAFE_MS : f->floor_ms;

		/* A floor compares one timer with the testing flag. */
		if (v >= floor || cfg_failed(ctx, f->path) ||
		    cfg_failed(ctx, "testing.unsafe_short_timers"))
			continue;
		e = cfg_mark_find(ctx, f->path);
		if (e && *e->text)
			snprintf(val, sizeof(val), "%s", e->text);
		else
			cfg_format_duration(v, val, sizeof(val));
		cfg_format_duration(floor, min, sizeof(min));
		ret = cfg_errf(ctx, cfg_mark_near(ctx, f->path), f->path,
			       "%s is below the %s floor of %s (set %s or more)",
			       val, unsafe ? "testing.unsafe_short_timers" :
					     f->rule,
			       min, min);
	}
	return ret;
}

static uint32_t last_addr(const struct cfg_prefix *p)
{
	return p->addr | ~cfg_prefix_mask(p->len);
}

static bool overlap(const struct cfg_prefix *a, const struct cfg_prefix *b)
{
	return a->addr <= last_addr(b) && b->addr <= last_addr(a);
}

static bool inside(const struct cfg_prefix *in, const struct cfg_prefix *out)
{
	return out->len <= in->len &&
	       (in->addr & cfg_prefix_mask(out->len)) == out->addr;
}

static int overlap_err(struct cfg_ctx *ctx, const char *path,
		       const struct cfg_prefix *p, const char *other_path,
		       const struct cfg_prefix *other, const char *why)
{
	char a[24], b[24];

	cfg_format_prefix(p->addr, p->len, a, sizeof(a));
	cfg_format_prefix(other->addr, other->len, b, sizeof(b));
	return cfg_errf(ctx, p->mark, path, "%s overlaps %s %s (%s)", a,
			other_path, b, why);
}

static int check_subscribers(struct cfg_ctx *ctx)
{
	const struct cfg_prefix_list *s = &ctx->cfg->subscribers;
	char path[CFG_KPATH_LEN], other[CFG_KPATH_LEN];
	unsigned int i, j;

	for (i = 0; i < s->n; i++) {
		for (j = 0; j < i; j++) {
			if (!overlap(&s->v[i], &s->v[j]))
				continue;
			snprintf(path, sizeof(path), "subscribers[%u]", i);
			snprintf(other, sizeof(other), "subscribers[%u]", j);
			return overlap_err(ctx, path, &s->v[i], other, &s->v[j],
					   "list each subscriber range once");
		}
	}
	return 0;
}

static int check_pool_names(struct cfg_ctx *ctx)
{
	const struct cgnat_config *cfg = ctx->cfg;
	char path[CFG_KPATH_LEN];
	unsigned int i, j;

	for (i = 0; i < cfg->n_pools; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(cfg->pools[i].name, cfg->pools[j].name))
				continue;
			snprintf(path, sizeof(path), "pools[%u].name", i);
			return cfg_errf(ctx, cfg_mark_near(ctx, path), path,
					"'%s' is already the name of pools[%u] (pool names must be unique)",
					cfg->pools[i].name, j);
		}
	}
	return 0;
}

/* With one pool, subscribers defaults to the top-level list. */
static int default_pool_subscribers(struct cfg_ctx *ctx)
{
	struct cgnat_config *cfg = ctx->cfg;
	char path[CFG_KPATH_LEN];
	unsigned int i;

	for (i = 0; i < cfg->n_pools; i++) {
		if (cfg->pools[i].subscribers.n)
			continue;
		if (cfg->n_pools == 1) {
			cfg->pools[i].subscribers = cfg->subscribers;
			continue;
		}
		snprintf(path, sizeof(path), "pools[%u]", i);
		return cfg_errf(ctx, cfg->pools[i].mark, path,
				"missing required key 'subscribers' (needed when there is more than one pool, e.g. subscribers: [100.64.0.0/10])");
	}
	return 0;
}

/* Find an earlier entry of any pool's list (addresses or subscribers). */
static bool find_earlier(const struct cgnat_config *cfg, size_t list_off,
			 unsigned int pi, unsigned int ai,
			 const struct cfg_prefix *p, char *path, size_t len,
			 const struct cfg_prefix **hit)
{
	const char *name = list_off == offsetof(struct cfg_pool, addresses) ?
				   "addresses" : "subscribers";
	unsigned int i, j;

	for (i = 0; i <= pi; i++) {
		const struct cfg_prefix_list *l =
			(const void *)((const char *)&cfg->pools[i] + list_off);

		for (j = 0; j < l->n && (i < pi || j < ai); j++) {
			if (!overlap(p, &l->v[j]))
				continue;
			snprintf(path, len, "pools[%u].%s[%u]", i, name, j);
			*hit = &l->v[j];
			return true;
		}
	}
	return false;
}

static int check_pool_address(struct cfg_ctx *ctx, unsigned int pi,
			      unsigned int ai, uint64_t *total)
{
	const struct cgnat_config *cfg = ctx->cfg;
	const struct cfg_prefix *p = &cfg->pools[pi].addresses.v[ai];
	const struct cfg_prefix *hit;
	char path[CFG_KPATH_LEN], other[CFG_KPATH_LEN], a[24];
	unsigned int k;

	snprintf(path, sizeof(path), "pools[%u].addresses[%u]", pi, ai);
	for (k = 0; k < cfg->subscribers.n; k++) {
		if (!overlap(p, &cfg->subscribers.v[k]))
			continue;
		snprintf(other, sizeof(other), "subscribers[%u]", k);
		return overlap_err(ctx, path, p, other, &cfg->subscribers.v[k],
				   "RFC 4787 REQ-7: external addresses must not overlap internal ones");
	}
	if (find_earlier(cfg, offsetof(struct cfg_pool, addresses), pi, ai, p,
			 other, sizeof(other), &hit))
		return overlap_err(ctx, path, p, other, hit,
				   "each address belongs to one pool, once");
	*total += 1ULL << (32 - p->len);
	if (*total <= CFG_MAX_POOL_ADDRESSES)
		return 0;
	cfg_format_prefix(p->addr, p->len, a, sizeof(a));
	return cfg_errf(ctx, p->mark, path,
			"%s brings the pools to %llu addresses, above the limit of %u",
			a, (unsigned long long)*total, CFG_MAX_POOL_ADDRESSES);
}

static int check_pool_subscriber(struct cfg_ctx *ctx, unsigned int pi,
				 unsigned int si)
{
	const struct cgnat_config *cfg = ctx->cfg;
	const struct cfg_prefix *p = &cfg->pools[pi].subscribers.v[si];
	const struct cfg_prefix *hit;
	char path[CFG_KPATH_LEN], other[CFG_KPATH_LEN], a[24];
	unsigned int k;

	snprintf(path, sizeof(path), "pools[%u].subscribers[%u]", pi, si);
	for (k = 0; k < cfg->subscribers.n; k++) {
		if (inside(p, &cfg->subscribers.v[k]))
			break;
	}
	if (k == cfg->subscribers.n) {
		cfg_format_prefix(p->addr, p->len, a, sizeof(a));
		return cfg_errf(ctx, p->mark, path,
				"%s is not inside the top-level subscribers (add it there or narrow this prefix)",
				a);
	}
	if (find_earlier(cfg, offsetof(struct cfg_pool, subscribers), pi, si,
			 p, other, sizeof(other), &hit))
		return overlap_err(ctx, path, p, other, hit,
				   "each subscriber uses exactly one pool");
	return 0;
}

static int check_pool_lists(struct cfg_ctx *ctx)
{
	const struct cgnat_config *cfg = ctx->cfg;
	uint64_t total = 0;
	unsigned int i, j;
	int ret;

	for (i = 0; i < cfg->n_pools; i++) {
		for (j = 0; j < cfg->pools[i].addresses.n; j++) {
			ret = check_pool_address(ctx, i, j, &total);
			if (ret)
				return ret;
		}
		for (j = 0; j < cfg->pools[i].subscribers.n; j++) {
			ret = check_pool_subscriber(ctx, i, j);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int cmp_prefix(const void *a, const void *b)
{
	uint32_t x = ((const struct cfg_prefix *)a)->addr;
	uint32_t y = ((const struct cfg_prefix *)b)->addr;

	return x < y ? -1 : x > y;
}

/* Every top-level subscriber address must be served by some pool. */
static int check_coverage(struct cfg_ctx *ctx, const struct cfg_prefix *top,
			  unsigned int ti)
{
	struct cfg_prefix in[CFG_MAX_POOLS * CFG_MAX_PREFIXES];
	const struct cgnat_config *cfg = ctx->cfg;
	uint64_t next = top->addr;
	unsigned int i, j, n = 0;
	char path[24], a[24], gap[24];

	for (i = 0; i < cfg->n_pools; i++) {
		for (j = 0; j < cfg->pools[i].subscribers.n; j++) {
			if (inside(&cfg->pools[i].subscribers.v[j], top))
				in[n++] = cfg->pools[i].subscribers.v[j];
		}
	}
	qsort(in, n, sizeof(in[0]), cmp_prefix);
	for (i = 0; i < n && in[i].addr <= next; i++)
		next = (uint64_t)last_addr(&in[i]) + 1;
	if (next > last_addr(top))
		return 0;
	snprintf(path, sizeof(path), "subscribers[%u]", ti);
	cfg_format_prefix(top->addr, top->len, a, sizeof(a));
	cfg_format_ipv4((uint32_t)next, gap, sizeof(gap));
	return cfg_errf(ctx, top->mark, path,
			"%s is not fully served by the pools: %s is in no pool's subscribers (add it to a pool or narrow this prefix)",
			a, gap);
}

static int check_pools(struct cfg_ctx *ctx)
{
	unsigned int i;
	int ret;

	ret = default_pool_subscribers(ctx);
	if (!ret)
		ret = check_pool_names(ctx);
	if (!ret)
		ret = check_pool_lists(ctx);
	for (i = 0; !ret && i < ctx->cfg->subscribers.n; i++)
		ret = check_coverage(ctx, &ctx->cfg->subscribers.v[i], i);
	return ret;
}

static int check_thresholds(struct cfg_ctx *ctx)
{
	const struct cfg_thresholds *t = &ctx->cfg->thresholds;
	const char *p;

	if (t->pool_low >= t->pool_high) {
		p = set_path(ctx, "thresholds.pool_low",
			     "thresholds.pool_high");
		return cfg_errf(ctx, cfg_mark_near(ctx, p), p,
				"pool_low %u must be below pool_high %u",
				t->pool_low, t->pool_high);
	}
	return 0;
}

static int check_limits(struct cfg_ctx *ctx)
{
	const struct cfg_limits *l = &ctx->cfg->limits;
	const char *p;

	if (l->sessions_per_subscriber > l->sessions) {
		p = set_path(ctx, "limits.sessions_per_subscriber",
			     "limits.sessions");
		return cfg_errf(ctx, cfg_mark_near(ctx, p), p,
				"sessions_per_subscriber %u must not exceed sessions %u",
				l->sessions_per_subscriber, l->sessions);
	}
	return 0;
}

/* A burst alone limits nothing: say so rather than leave it unused. */
static int check_flow_rate(struct cfg_ctx *ctx)
{
	const struct cfg_limits *l = &ctx->cfg->limits;
	const char *p = "limits.new_flows_burst";

	if (!l->new_flows_burst || l->new_flows_per_subscriber)
		return 0;
	return cfg_errf(ctx, cfg_mark_near(ctx, p), p,
			"new_flows_burst %u without a rate (set "
			"limits.new_flows_per_subscriber, or remove the burst)",
			l->new_flows_burst);
}

static int check_collectors(struct cfg_ctx *ctx)
{
	const struct cfg_ipfix *x = &ctx->cfg->ipfix;
	char path[CFG_KPATH_LEN], a[24];
	unsigned int i, j;

	for (i = 0; i < x->n_collectors; i++) {
		const struct cfg_collector *c = &x->collectors[i];

		for (j = 0; j < i; j++) {
			const struct cfg_collector *d = &x->collectors[j];

			if (c->addr != d->addr || c->port != d->port ||
			    c->transport != d->transport)
				continue;
			snprintf(path, sizeof(path), "ipfix.collectors[%u]", i);
			cfg_format_ipv4(c->addr, a, sizeof(a));
			return cfg_errf(ctx, c->mark, path,
					"%s:%u is already ipfix.collectors[%u] (list each collector once)",
					a, c->port, j);
		}
	}
	return 0;
}

static int check_ha(struct cfg_ctx *ctx)
{
	const struct cfg_ha *h = &ctx->cfg->ha;

	if (!h->address || h->address != h->peer)
		return 0;
	return cfg_errf(ctx, cfg_mark_near(ctx, "ha.peer"), "ha.peer",
			"the peer is this box's own ha.address: name the "
			"other box's address on the sync link");
}

static int check_pcp(struct cfg_ctx *ctx)
{
	const struct cfg_pcp *p = &ctx->cfg->pcp;

	if (p->min_lifetime_ms <= p->max_lifetime_ms)
		return 0;
	return cfg_errf(ctx, cfg_mark_near(ctx, "pcp.min_lifetime"),
			"pcp.min_lifetime",
			"min_lifetime is longer than pcp.max_lifetime: lower "
			"it or raise max_lifetime");
}

/* A check and the key paths it reads (a path covers the keys below it). */
struct check {
	int (*fn)(struct cfg_ctx *ctx);
	const char *reads[3];
};

int cfg_validate(struct cfg_ctx *ctx)
{
	static const struct check checks[] = {
		{ check_interfaces,
		  { "interfaces.inside", "interfaces.outside" } },
		{ check_ports, { "ports" } },
		{ check_floors, { NULL } },	/* skips per timer */
		{ check_subscribers, { "subscribers" } },
		{ check_pools, { "subscribers", "pools" } },
		{ cfg_check_det, { "subscribers", "pools", "ports" } },
		{ check_thresholds,
		  { "thresholds.pool_low", "thresholds.pool_high" } },
		{ check_limits,
		  { "limits.sessions", "limits.sessions_per_subscriber" } },
		{ check_flow_rate,
		  { "limits.new_flows_per_subscriber",
		    "limits.new_flows_burst" } },
		{ check_collectors, { "ipfix.collectors" } },
		{ check_ha, { "ha.address", "ha.peer" } },
		{ check_pcp, { "pcp.min_lifetime", "pcp.max_lifetime" } },
	};
	size_t i, j;
	int ret = 0;

	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		for (j = 0; j < 3 && checks[i].reads[j]; j++) {
			if (cfg_failed(ctx, checks[i].reads[j]))
				break;
		}
		if ((j == 3 || !checks[i].reads[j]) && checks[i].fn(ctx))
			ret = -EINVAL;
	}
	return ret;
}
