// SPDX-License-Identifier: GPL-2.0
/*
 * dpconf.c - see dpconf.h. Everything here is a translation of units and
 * shapes; the validation already happened in config/.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/dpconf.h"

#define NS_PER_MS 1000000ull

static __u32 prefix_size(const struct cfg_prefix *p)
{
	return p->len == 0 ? 0 : 1u << (32 - p->len);
}

__u32 dpconf_n_addrs(const struct cgnat_config *cfg)
{
	__u32 n = 0;
	unsigned int i, j;

	for (i = 0; i < cfg->n_pools; i++)
		for (j = 0; j < cfg->pools[i].addresses.n; j++)
			n += prefix_size(&cfg->pools[i].addresses.v[j]);
	return n;
}

static int fill_addrs(struct dpconf *dc, const struct cgnat_config *cfg)
{
	__u32 n = dpconf_n_addrs(cfg), k = 0, a;
	unsigned int i, j;

	dc->addrs = calloc(n ? n : 1, sizeof(*dc->addrs));
	dc->addr_pool = calloc(n ? n : 1, sizeof(*dc->addr_pool));
	if (!dc->addrs || !dc->addr_pool)
		return -ENOMEM;
	for (i = 0; i < cfg->n_pools; i++) {
		const struct cfg_prefix_list *l = &cfg->pools[i].addresses;

		for (j = 0; j < l->n; j++) {
			for (a = 0; a < prefix_size(&l->v[j]); a++) {
				dc->addrs[k] = htonl(l->v[j].addr + a);
				dc->addr_pool[k++] = i;
			}
		}
	}
	dc->o.n_addrs = k;
	dc->o.addrs = dc->addrs;
	dc->o.addr_pool = dc->addr_pool;
	return 0;
}

static void fill_prefixes(struct dpconf *dc, const struct cgnat_config *cfg)
{
	unsigned int i, j, n = 0;

	for (i = 0; i < cfg->n_pools; i++) {
		const struct cfg_prefix_list *l = &cfg->pools[i].subscribers;

		for (j = 0; j < l->n && n < DPCONF_MAX_PREFIXES; j++) {
			dc->prefixes[n].addr = htonl(l->v[j].addr);
			dc->prefixes[n].len = l->v[j].len;
			dc->prefixes[n++].pool = i;
		}
	}
	dc->o.n_prefixes = n;
	dc->o.prefixes = dc->prefixes;
}

/* The deterministic pools' layouts (RFC 7422) into o.det_*. */
static int fill_det(struct dpconf *dc, const struct cgnat_config *cfg,
		    char *err, size_t len)
{
	struct det_layout l;
	unsigned int i;
	int rc;

	for (i = 0; i < cfg->n_pools; i++) {
		if (cfg->pools[i].mode != CFG_POOL_DETERMINISTIC)
			continue;
		if (!dc->det)
			dc->det = calloc(1, sizeof(*dc->det));
		if (!dc->det)
			return -ENOMEM;
		rc = cfg_det_layout(cfg, i, &l);
		if (!rc)
			rc = det_dp_build(&l, 0, cfg->pools[i].overflow_blocks,
					  dc->addrs, dc->o.n_addrs, dc->det);
		if (rc) {
			snprintf(err, len, "pools[%u]: deterministic layout: %s",
				 i, strerror(-rc));
			return rc;
		}
		dc->o.det_pools[i] = dc->det->pool;
	}
	if (dc->det) {
		dc->o.n_det_prefixes = dc->det->n_prefixes;
		dc->o.det_prefixes = dc->det->prefixes;
		dc->o.n_det_ext = dc->det->n_ext;
		dc->o.det_ext = dc->det->ext;
	}
	return 0;
}

void dpconf_tunables(struct cgnat_cfg *c, const struct cgnat_config *cfg,
		     __be32 icmp_src)
{
	c->udp_timeout_ns = cfg->timeouts.udp_ms * NS_PER_MS;
	c->tcp_est_timeout_ns = cfg->timeouts.tcp_established_ms * NS_PER_MS;
	c->tcp_trans_timeout_ns = cfg->timeouts.tcp_transitory_ms * NS_PER_MS;
	c->icmp_timeout_ns = cfg->timeouts.icmp_ms * NS_PER_MS;
	c->nh_ttl_ns = 60000 * NS_PER_MS;	/* safety only: see bpf/fwd.h */
	c->evt_interval_ns = 1000 * NS_PER_MS;
	c->filtering = cfg->nat.filtering; /* same numbering as the ABI */
	c->hairpinning = cfg->nat.hairpinning;
	c->inbound_refresh = cfg->nat.inbound_refresh;
	c->parity = cfg->ports.parity;
	c->max_blocks = cfg->ports.max_blocks;
	c->sess_per_sub = cfg->limits.sessions_per_subscriber;
	c->icmp_src = icmp_src;
	c->unreach_type = cfg->nat.unreachable.type;
	c->unreach_code = cfg->nat.unreachable.code;
	c->unreach_rate = cfg->nat.unreachable.rate;
	c->mss_clamp[0] = cfg->interfaces.mss_clamp.inside;
	c->mss_clamp[1] = cfg->interfaces.mss_clamp.outside;
	/* Answers to unsolicited SYNs share the unreachables' rate. */
	c->syn_icmp_rate = cfg->nat.unsolicited_syn == CFG_SYN_ICMP ?
				   cfg->nat.unreachable.rate : 0;
	/* HA syncs new flows and deletes from the same events. */
	c->sess_events = cfg->log.session_events || cfg->ha.address;
}

void dpconf_flow_limit(struct cgnat_flow_limit *l,
		       const struct cgnat_config *cfg)
{
	__u32 rate = cfg->limits.new_flows_per_subscriber;
	__u32 burst = cfg->limits.new_flows_burst ? : rate;

	memset(l, 0, sizeof(*l));
	if (!rate)
		return;
	l->interval_ns = 1000000000ull / rate;	/* rate <= 1e7: cfg checks */
	l->tau_ns = (__u64)(burst - 1) * l->interval_ns;
	/* The data plane's clock moves in ticks (10 ms at HZ 100): with a
	 * burst shorter than a tick it would admit one flow a tick, below
	 * the rate. */
	if (l->tau_ns < DPCONF_FLOW_TICK_NS)
		l->tau_ns = DPCONF_FLOW_TICK_NS;
	l->rate = rate;
	l->burst = burst;
}

void dpconf_udp_timers(__u64 *ns, const struct cgnat_config *cfg)
{
	const struct cfg_timeouts *t = &cfg->timeouts;
	unsigned int i;

	memset(ns, 0, CGNAT_UDP_TIMER_PORTS * sizeof(*ns));
	for (i = 0; i < t->n_udp_ports; i++)	/* ports < 1024: cfg checks */
		if (t->udp_ports[i].port < CGNAT_UDP_TIMER_PORTS)
			ns[t->udp_ports[i].port] =
				t->udp_ports[i].timeout_ms * NS_PER_MS;
}

int dpconf_build(struct dpconf *dc, const struct cgnat_config *cfg,
		 __be32 icmp_src, const char *pin_dir, char *err, size_t len)
{
	const struct cfg_ports *p = &cfg->ports;
	int rc;

	memset(dc, 0, sizeof(*dc));
	dc->o.inside = cfg->interfaces.inside;
	dc->o.outside = cfg->interfaces.outside;
	dc->o.xdp_generic = cfg->interfaces.xdp_mode == CFG_XDP_GENERIC;
	dc->o.pin_dir = pin_dir;
	dc->o.sessions = cfg->limits.sessions;
	dc->o.subscribers = cfg->limits.subscribers;
	rc = fill_addrs(dc, cfg);
	if (rc) {
		snprintf(err, len, "pool addresses: %s", strerror(-rc));
		dpconf_free(dc);
		return rc;
	}
	fill_prefixes(dc, cfg);
	rc = fill_det(dc, cfg, err, len);
	if (rc) {
		dpconf_free(dc);
		return rc;
	}
	dpconf_tunables(&dc->o.cfg, cfg, icmp_src);
	dpconf_udp_timers(dc->udp_timers, cfg);
	dc->o.udp_timers = dc->udp_timers;
	dpconf_flow_limit(&dc->o.flow_limit, cfg);
	rc = dp_geometry(&dc->o.cfg, p->first, p->last, p->block_size,
			 dc->o.n_addrs);
	if (rc) {
		snprintf(err, len,
			 "ports.range %u-%u with block_size %u: "
			 "no valid block geometry",
			 p->first, p->last, p->block_size);
		dpconf_free(dc);
	}
	return rc;
}

void dpconf_free(struct dpconf *dc)
{
	free(dc->addrs);
	free(dc->addr_pool);
	free(dc->det);
	dc->addrs = NULL;
	dc->addr_pool = NULL;
	dc->det = NULL;
}

void dpconf_policy(struct pb_policy *p, const struct cgnat_config *cfg)
{
	memset(p, 0, sizeof(*p));
	p->idle_release_ms = cfg->blocks.idle_release_ms;
	p->keep_last_ms = cfg->blocks.keep_last_ms;
	p->lifetime_ms = cfg->blocks.lifetime_ms;
	p->quarantine_ms = cfg->blocks.quarantine_ms;
	p->interim_ms = cfg->blocks.interim_log_ms;
	p->max_quarantined = cfg->blocks.max_quarantined;
	p->max_blocks = cfg->ports.max_blocks;
	p->pool_high = cfg->thresholds.pool_high;
	p->pool_low = cfg->thresholds.pool_low;
	p->sub_high = cfg->thresholds.subscriber_high;
}

void dpconf_ipfix(struct ipfix_config *ic, const struct cgnat_config *cfg)
{
	const struct cfg_ipfix *x = &cfg->ipfix;
	unsigned int i;

	ipfix_config_init(ic);
	ic->observation_domain = x->observation_domain;
	ic->instance = cfg->instance;
	ic->with_instance_id = 1;
	ic->with_pool_id = x->pool_id;
	ic->session_events = cfg->log.session_events;
	ic->template_refresh_ms = x->template_refresh_ms;
	ic->ncollectors = x->n_collectors;
	for (i = 0; i < x->n_collectors && i < IPFIX_MAX_COLLECTORS; i++) {
		struct ipfix_collector *c = &ic->collectors[i];

		cfg_format_ipv4(x->collectors[i].addr, c->host,
				sizeof(c->host));
		c->port = x->collectors[i].port;
		c->transport = x->collectors[i].transport == CFG_TRANSPORT_TCP
				       ? IPFIX_TCP
				       : IPFIX_UDP;
	}
}

int dpconf_ipfix_changed(const struct cgnat_config *a,
			 const struct cgnat_config *b)
{
	struct ipfix_config x, y;

	dpconf_ipfix(&x, a);
	dpconf_ipfix(&y, b);
	return memcmp(&x, &y, sizeof(x)) != 0;
}

int dpconf_if_addr(const char *ifname, __be32 *addr)
{
	struct ifaddrs *ifa, *i;
	int rc = -ENOENT;

	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
		    strcmp(i->ifa_name, ifname))
			continue;
		*addr = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
		rc = 0;
		break;
	}
	freeifaddrs(ifa);
	return rc;
}
