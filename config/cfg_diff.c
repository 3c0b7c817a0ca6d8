// SPDX-License-Identifier: GPL-2.0
/*
 * cfg_diff.c - what a reload (SIGHUP) may change. Each key is classed as
 * live (a tunable the daemon pushes into the config map or its own state)
 * or restart (it sizes a table, names an interface, or moves the port
 * geometry the pinned maps were built with). Lists are compared as sets
 * and source positions are ignored, so moving a line is not a change.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "config/cfg_internal.h"

struct keylist {
	char buf[512];
	size_t len;
	unsigned int count;
	char last[CFG_KPATH_LEN];
};

static void add_key(struct keylist *l, const char *key)
{
	int n;

	if (l->count && !strcmp(l->last, key))
		return;
	snprintf(l->last, sizeof(l->last), "%s", key);
	l->count++;
	if (l->len >= sizeof(l->buf))
		return;
	n = snprintf(l->buf + l->len, sizeof(l->buf) - l->len, "%s%s",
		     l->len ? ", " : "", key);
	if (n > 0)
		l->len += (size_t)n;
}

struct field {
	const char *key;
	size_t off;
	size_t size;
	bool live;
	bool str;
};

#define CF(k, m, l, s)                                        \
	{ k, offsetof(struct cgnat_config, m),                \
	  sizeof(((struct cgnat_config *)0)->m), l, s }
#define LIVE(k, m) CF(k, m, true, false)
#define RESTART(k, m) CF(k, m, false, false)

static const struct field fields[] = {
	RESTART("instance", instance),
	CF("interfaces.inside", interfaces.inside, false, true),
	CF("interfaces.outside", interfaces.outside, false, true),
	RESTART("interfaces.xdp_mode", interfaces.xdp_mode),
	LIVE("interfaces.mss_clamp.inside", interfaces.mss_clamp.inside),
	LIVE("interfaces.mss_clamp.outside", interfaces.mss_clamp.outside),
	RESTART("ports.range", ports.first),
	RESTART("ports.range", ports.last),
	RESTART("ports.block_size", ports.block_size),
	LIVE("ports.max_blocks", ports.max_blocks),
	LIVE("ports.parity", ports.parity),
	LIVE("blocks.idle_release", blocks.idle_release_ms),
	LIVE("blocks.keep_last", blocks.keep_last_ms),
	LIVE("blocks.lifetime", blocks.lifetime_ms),
	LIVE("blocks.quarantine", blocks.quarantine_ms),
	LIVE("blocks.interim_log", blocks.interim_log_ms),
	LIVE("blocks.max_quarantined", blocks.max_quarantined),
	LIVE("nat.filtering", nat.filtering),
	LIVE("nat.hairpinning", nat.hairpinning),
	LIVE("nat.inbound_refresh", nat.inbound_refresh),
	LIVE("nat.unsolicited_syn", nat.unsolicited_syn),
	LIVE("nat.unreachable.type", nat.unreachable.type),
	LIVE("nat.unreachable.code", nat.unreachable.code),
	LIVE("nat.unreachable.rate", nat.unreachable.rate),
	LIVE("timeouts.udp", timeouts.udp_ms),
	LIVE("timeouts.tcp_established", timeouts.tcp_established_ms),
	LIVE("timeouts.tcp_transitory", timeouts.tcp_transitory_ms),
	LIVE("timeouts.icmp", timeouts.icmp_ms),
	RESTART("limits.sessions", limits.sessions),
	LIVE("limits.sessions_per_subscriber", limits.sessions_per_subscriber),
	RESTART("limits.subscribers", limits.subscribers),
	LIVE("limits.new_flows_per_subscriber", limits.new_flows_per_subscriber),
	LIVE("limits.new_flows_burst", limits.new_flows_burst),
	LIVE("thresholds.pool_high", thresholds.pool_high),
	LIVE("thresholds.pool_low", thresholds.pool_low),
	LIVE("thresholds.subscriber_high", thresholds.subscriber_high),
	CF("log.database", log.database, false, true),
	LIVE("log.retention", log.retention_ms),
	LIVE("log.session_events", log.session_events),
	LIVE("log.max_backlog", log.max_backlog),
	CF("log.central.url", log.central.url, false, true),
	CF("log.central.node", log.central.node, false, true),
	LIVE("ipfix.observation_domain", ipfix.observation_domain),
	LIVE("ipfix.template_refresh", ipfix.template_refresh_ms),
	LIVE("ipfix.pool_id", ipfix.pool_id),
	RESTART("ha.address", ha.address),
	RESTART("ha.peer", ha.peer),
	RESTART("ha.port", ha.port),
	LIVE("ha.refresh", ha.refresh_ms),
	LIVE("ha.alone_after", ha.alone_ms),
	RESTART("pcp.enabled", pcp.enabled),
	LIVE("pcp.third_party", pcp.third_party),
	LIVE("pcp.min_lifetime", pcp.min_lifetime_ms),
	LIVE("pcp.max_lifetime", pcp.max_lifetime_ms),
	LIVE("pcp.per_subscriber", pcp.per_subscriber),
	LIVE("pcp.rate", pcp.rate),
	RESTART("testing.unsafe_short_timers", testing.unsafe_short_timers),
};

static bool field_equal(const struct field *f, const struct cgnat_config *a,
			const struct cgnat_config *b)
{
	const char *x = (const char *)a + f->off;
	const char *y = (const char *)b + f->off;

	return f->str ? !strncmp(x, y, f->size) : !memcmp(x, y, f->size);
}

/* Every prefix of a lies inside some prefix of b. */
static bool prefixes_within(const struct cfg_prefix_list *a,
			    const struct cfg_prefix_list *b)
{
	unsigned int i, j;

	for (i = 0; i < a->n; i++) {
		for (j = 0; j < b->n; j++) {
			const struct cfg_prefix *p = &a->v[i], *q = &b->v[j];

			if (q->len <= p->len &&
			    (p->addr & cfg_prefix_mask(q->len)) == q->addr)
				break;
		}
		if (j == b->n)
			return false;
	}
	return true;
}

static bool prefixes_equal(const struct cfg_prefix_list *a,
			   const struct cfg_prefix_list *b)
{
	return prefixes_within(a, b) && prefixes_within(b, a);
}

static void diff_pools(const struct cgnat_config *a,
		       const struct cgnat_config *b, struct keylist *live,
		       struct keylist *restart)
{
	char key[CFG_KPATH_LEN];
	unsigned int i;

	if (a->n_pools != b->n_pools) {
		add_key(restart, "pools");
		return;
	}
	for (i = 0; i < a->n_pools; i++) {
		const struct cfg_pool *p = &a->pools[i], *q = &b->pools[i];

		if (strcmp(p->name, q->name)) {
			snprintf(key, sizeof(key), "pools[%u].name", i);
			add_key(restart, key);
		}
		snprintf(key, sizeof(key), "pools[%u].addresses", i);
		if (!prefixes_within(&p->addresses, &q->addresses))
			add_key(restart, key);
		else if (!prefixes_within(&q->addresses, &p->addresses))
			add_key(live, key);
		snprintf(key, sizeof(key), "pools[%u].subscribers", i);
		if (!prefixes_equal(&p->subscribers, &q->subscribers))
			add_key(restart, key);
		/* A deterministic layout changes at a (re)start only, where
		 * cgnatd logs the new version and flushes moved subscribers.
		 */
		snprintf(key, sizeof(key), "pools[%u].mode", i);
		if (p->mode != q->mode ||
		    p->ports_per_subscriber != q->ports_per_subscriber ||
		    p->include_boundary_addresses !=
			    q->include_boundary_addresses ||
		    p->overflow_blocks != q->overflow_blocks)
			add_key(restart, key);
	}
}

static bool udp_ports_within(const struct cfg_timeouts *a,
			     const struct cfg_timeouts *b)
{
	unsigned int i, j;

	for (i = 0; i < a->n_udp_ports; i++) {
		for (j = 0; j < b->n_udp_ports; j++) {
			if (a->udp_ports[i].port == b->udp_ports[j].port &&
			    a->udp_ports[i].timeout_ms ==
				    b->udp_ports[j].timeout_ms)
				break;
		}
		if (j == b->n_udp_ports)
			return false;
	}
	return true;
}

static bool collectors_within(const struct cfg_ipfix *a,
			      const struct cfg_ipfix *b)
{
	unsigned int i, j;

	for (i = 0; i < a->n_collectors; i++) {
		const struct cfg_collector *c = &a->collectors[i];

		for (j = 0; j < b->n_collectors; j++) {
			const struct cfg_collector *d = &b->collectors[j];

			if (c->addr == d->addr && c->port == d->port &&
			    c->transport == d->transport)
				break;
		}
		if (j == b->n_collectors)
			return false;
	}
	return true;
}

static void diff_lists(const struct cgnat_config *a,
		       const struct cgnat_config *b, struct keylist *live,
		       struct keylist *restart)
{
	if (!prefixes_equal(&a->subscribers, &b->subscribers))
		add_key(restart, "subscribers");
	diff_pools(a, b, live, restart);
	if (!udp_ports_within(&a->timeouts, &b->timeouts) ||
	    !udp_ports_within(&b->timeouts, &a->timeouts))
		add_key(live, "timeouts.udp_ports");
	if (!collectors_within(&a->ipfix, &b->ipfix) ||
	    !collectors_within(&b->ipfix, &a->ipfix))
		add_key(live, "ipfix.collectors");
}

int cfg_reload_diff(const struct cgnat_config *old,
		    const struct cgnat_config *new, char *msg, size_t len)
{
	struct keylist live = { .len = 0 }, restart = { .len = 0 };
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!field_equal(&fields[i], old, new))
			add_key(fields[i].live ? &live : &restart,
				fields[i].key);
	}
	diff_lists(old, new, &live, &restart);
	if (!live.count && !restart.count)
		snprintf(msg, len, "no changes");
	else if (!restart.count)
		snprintf(msg, len, "live: %s", live.buf);
	else if (!live.count)
		snprintf(msg, len, "restart: %s", restart.buf);
	else
		snprintf(msg, len, "live: %s; restart: %s", live.buf,
			 restart.buf);
	return restart.count ? 1 : 0;
}
