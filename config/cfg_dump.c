// SPDX-License-Identifier: GPL-2.0
/*
 * cfg_dump.c - prints the effective configuration, every default filled
 * in, in the shape of cgnat.yaml (block mappings, flow lists). It is what
 * `cgnatd --check` shows, and it loads back into an equal configuration,
 * which the unit tests use to check the printer and the parser together.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/cfg_internal.h"

static const char *xdp_mode_name(enum cfg_xdp_mode m)
{
	return m == CFG_XDP_GENERIC ? "generic" : "native";
}

static const char *filtering_name(enum cfg_filtering f)
{
	switch (f) {
	case CFG_FILTER_ADF:
		return "address-dependent";
	case CFG_FILTER_APDF:
		return "address-and-port-dependent";
	default:
		return "endpoint-independent";
	}
}

static const char *bool_name(bool b)
{
	return b ? "true" : "false";
}

static void put_dur(FILE *out, const char *indent, const char *key,
		    uint64_t ms)
{
	char buf[24];

	cfg_format_duration(ms, buf, sizeof(buf));
	fprintf(out, "%s%s: %s\n", indent, key, buf);
}

static void put_prefixes(FILE *out, const char *indent, const char *key,
			 const struct cfg_prefix_list *l)
{
	char buf[24];
	unsigned int i;

	fprintf(out, "%s%s: [", indent, key);
	for (i = 0; i < l->n; i++) {
		cfg_format_prefix(l->v[i].addr, l->v[i].len, buf, sizeof(buf));
		fprintf(out, "%s%s", i ? ", " : "", buf);
	}
	fputs("]\n", out);
}

/* Plain if the path is made of safe characters, else double-quoted. */
static void put_path(FILE *out, const char *s);

/* log.central, with a password in the URL replaced by "********": the
 * dump goes into config_log, which the fleet keeps for years. */
static void put_central(FILE *out, const struct cfg_central *c)
{
	const char *at, *colon, *auth;
	char url[CFG_URL_LEN + 16];

	if (!c->url[0])
		return;
	snprintf(url, sizeof(url), "%s", c->url);
	auth = strstr(url, "://");
	auth = auth ? auth + 3 : url;
	at = strchr(auth, '@');
	colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon)
		snprintf(url + (colon - url), sizeof(url) - (size_t)(colon - url),
			 ":********%s", c->url + (at - url));
	fputs("  central:\n    url: ", out);
	put_path(out, url);
	fputs("\n    node: ", out);
	put_path(out, c->node);
	fputc('\n', out);
}

static void put_path(FILE *out, const char *s)
{
	const char *p;

	if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789_./-") == strlen(s)) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', out);
		fputc(*p, out);
	}
	fputc('"', out);
}

static void dump_pool_det(FILE *out, const struct cfg_pool *p)
{
	if (p->mode != CFG_POOL_DETERMINISTIC)
		return;
	fprintf(out, "    mode: deterministic\n"
		     "    ports_per_subscriber: %u\n"
		     "    include_boundary_addresses: %s\n"
		     "    overflow_blocks: %u\n",
		p->ports_per_subscriber,
		bool_name(p->include_boundary_addresses), p->overflow_blocks);
}

static void dump_top(FILE *out, const struct cgnat_config *cfg)
{
	const struct cfg_interfaces *i = &cfg->interfaces;
	unsigned int k;

	fprintf(out, "instance: %u\n", cfg->instance);
	fprintf(out, "interfaces:\n  inside: %s\n  outside: %s\n"
		     "  xdp_mode: %s\n",
		i->inside, i->outside, xdp_mode_name(i->xdp_mode));
	fprintf(out, "  mss_clamp:\n    inside: %u\n    outside: %u\n",
		i->mss_clamp.inside, i->mss_clamp.outside);
	put_prefixes(out, "", "subscribers", &cfg->subscribers);
	fputs("pools:\n", out);
	for (k = 0; k < cfg->n_pools; k++) {
		fprintf(out, "  - name: %s\n", cfg->pools[k].name);
		put_prefixes(out, "    ", "addresses",
			     &cfg->pools[k].addresses);
		put_prefixes(out, "    ", "subscribers",
			     &cfg->pools[k].subscribers);
		dump_pool_det(out, &cfg->pools[k]);
	}
}

static void dump_ports_blocks(FILE *out, const struct cgnat_config *cfg)
{
	const struct cfg_ports *p = &cfg->ports;
	const struct cfg_blocks *b = &cfg->blocks;

	fprintf(out, "ports:\n  range: %u-%u\n  block_size: %u\n"
		     "  max_blocks: %u\n  parity: %s\n",
		p->first, p->last, p->block_size, p->max_blocks,
		bool_name(p->parity));
	fputs("blocks:\n", out);
	put_dur(out, "  ", "idle_release", b->idle_release_ms);
	put_dur(out, "  ", "keep_last", b->keep_last_ms);
	put_dur(out, "  ", "lifetime", b->lifetime_ms);
	put_dur(out, "  ", "quarantine", b->quarantine_ms);
	put_dur(out, "  ", "interim_log", b->interim_log_ms);
	fprintf(out, "  max_quarantined: %u\n", b->max_quarantined);
}

static void dump_nat_timeouts(FILE *out, const struct cgnat_config *cfg)
{
	const struct cfg_nat *n = &cfg->nat;
	const struct cfg_timeouts *t = &cfg->timeouts;
	char buf[24];
	unsigned int i;

	fprintf(out, "nat:\n  filtering: %s\n  hairpinning: %s\n"
		     "  inbound_refresh: %s\n  unsolicited_syn: %s\n",
		filtering_name(n->filtering), bool_name(n->hairpinning),
		bool_name(n->inbound_refresh),
		n->unsolicited_syn == CFG_SYN_ICMP ? "icmp" : "drop");
	fprintf(out, "  unreachable:\n    type: %u\n    code: %u\n"
		     "    rate: %u\n",
		n->unreachable.type, n->unreachable.code, n->unreachable.rate);
	fputs("timeouts:\n", out);
	put_dur(out, "  ", "udp", t->udp_ms);
	fputs("  udp_ports: {", out);
	for (i = 0; i < t->n_udp_ports; i++) {
		cfg_format_duration(t->udp_ports[i].timeout_ms, buf,
				    sizeof(buf));
		fprintf(out, "%s%u: %s", i ? ", " : " ", t->udp_ports[i].port,
			buf);
	}
	fputs(t->n_udp_ports ? " }\n" : "}\n", out);
	put_dur(out, "  ", "tcp_established", t->tcp_established_ms);
	put_dur(out, "  ", "tcp_transitory", t->tcp_transitory_ms);
	put_dur(out, "  ", "icmp", t->icmp_ms);
}

static void dump_rest(FILE *out, const struct cgnat_config *cfg)
{
	const struct cfg_limits *l = &cfg->limits;
	const struct cfg_thresholds *t = &cfg->thresholds;
	const struct cfg_ipfix *x = &cfg->ipfix;
	const struct cfg_collector *c;
	char addr[16];
	unsigned int i;

	fprintf(out, "limits:\n  sessions: %u\n  sessions_per_subscriber: %u\n"
		     "  subscribers: %u\n  new_flows_per_subscriber: %u\n"
		     "  new_flows_burst: %u\n",
		l->sessions, l->sessions_per_subscriber, l->subscribers,
		l->new_flows_per_subscriber, l->new_flows_burst);
	fprintf(out, "thresholds:\n  pool_high: %u\n  pool_low: %u\n"
		     "  subscriber_high: %u\n",
		t->pool_high, t->pool_low, t->subscriber_high);
	fputs("log:\n  database: ", out);
	put_path(out, cfg->log.database);
	fputc('\n', out);
	put_dur(out, "  ", "retention", cfg->log.retention_ms);
	fprintf(out, "  session_events: %s\n  max_backlog: %u\n",
		bool_name(cfg->log.session_events), cfg->log.max_backlog);
	put_central(out, &cfg->log.central);
	fprintf(out, "ipfix:\n  observation_domain: %u\n",
		x->observation_domain);
	put_dur(out, "  ", "template_refresh", x->template_refresh_ms);
	fprintf(out, "  pool_id: %s\n  collectors:%s\n", bool_name(x->pool_id),
		x->n_collectors ? "" : " []");
	for (i = 0; i < x->n_collectors; i++) {
		c = &x->collectors[i];
		cfg_format_ipv4(c->addr, addr, sizeof(addr));
		fprintf(out, "    - { address: %s, port: %u, transport: %s }\n",
			addr, c->port,
			c->transport == CFG_TRANSPORT_TCP ? "tcp" : "udp");
	}
	if (cfg->ha.address) {
		cfg_format_ipv4(cfg->ha.address, addr, sizeof(addr));
		fprintf(out, "ha:\n  address: %s\n", addr);
		cfg_format_ipv4(cfg->ha.peer, addr, sizeof(addr));
		fprintf(out, "  peer: %s\n  port: %u\n", addr, cfg->ha.port);
		put_dur(out, "  ", "refresh", cfg->ha.refresh_ms);
		put_dur(out, "  ", "alone_after", cfg->ha.alone_ms);
	}
	fprintf(out, "pcp:\n  enabled: %s\n  third_party: %s\n",
		bool_name(cfg->pcp.enabled), bool_name(cfg->pcp.third_party));
	put_dur(out, "  ", "min_lifetime", cfg->pcp.min_lifetime_ms);
	put_dur(out, "  ", "max_lifetime", cfg->pcp.max_lifetime_ms);
	fprintf(out, "  per_subscriber: %u\n  rate: %u\n",
		cfg->pcp.per_subscriber, cfg->pcp.rate);
	fprintf(out, "testing:\n  unsafe_short_timers: %s\n",
		bool_name(cfg->testing.unsafe_short_timers));
}

int cfg_dump(FILE *out, const struct cgnat_config *cfg)
{
	dump_top(out, cfg);
	dump_ports_blocks(out, cfg);
	dump_nat_timeouts(out, cfg);
	dump_rest(out, cfg);
	return ferror(out) ? -EIO : 0;
}
