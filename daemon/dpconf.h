/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dpconf.h - how the YAML configuration maps onto the data plane, the
 * allocator and the IPFIX exporter: pool addresses in file order (a prefix
 * gives every address in it) with their pool index, each pool's subscriber
 * prefixes with that pool, timeouts in ns, the port geometry. Pure except
 * dpconf_if_addr(), which reads the interface's address.
 *
 * Pool numbering: index in the file from 0 in the maps, natPoolId =
 * index + 1 in the log and in IPFIX (0 would read as "no pool").
 */
#ifndef CGNAT_DAEMON_DPCONF_H
#define CGNAT_DAEMON_DPCONF_H

#include <linux/types.h>

#include "allocator/det_dp.h"
#include "allocator/pb.h"
#include "bpf/loader.h"
#include "config/cfg.h"
#include "exporter/ipfix.h"

#define DPCONF_MAX_PREFIXES (CFG_MAX_POOLS * CFG_MAX_PREFIXES)

struct dpconf {
	struct dp_opts o;
	__be32 *addrs; /* heap, o.n_addrs entries */
	__u32 *addr_pool;
	struct dp_prefix prefixes[DPCONF_MAX_PREFIXES];
	__u64 udp_timers[CGNAT_UDP_TIMER_PORTS]; /* o.udp_timers */
	struct det_dp *det;	/* heap: deterministic layouts, o.det_* */
};

/*
 * Fill dc from cfg. icmp_src (network order) is the source of generated
 * ICMP errors, pin_dir where maps and links are pinned. Returns 0,
 * -EINVAL (geometry; err says why) or -ENOMEM. dpconf_free() releases.
 */
int dpconf_build(struct dpconf *dc, const struct cgnat_config *cfg,
		 __be32 icmp_src, const char *pin_dir, char *err, size_t len);
void dpconf_free(struct dpconf *dc);

/* The runtime tunables of cgnat_cfg from cfg; geometry left untouched. */
void dpconf_tunables(struct cgnat_cfg *c, const struct cgnat_config *cfg,
		     __be32 icmp_src);

/* timeouts.udp_ports as CGNAT_UDP_TIMER_PORTS ns by port, 0 = none. */
void dpconf_udp_timers(__u64 *ns, const struct cgnat_config *cfg);
/* limits.new_flows_per_subscriber as the data plane's cell rate; its
 * burst at least a tick of the data plane's clock (HZ 100 at the least).
 */
#define DPCONF_FLOW_TICK_NS 10000000ull
void dpconf_flow_limit(struct cgnat_flow_limit *l,
		       const struct cgnat_config *cfg);

/* The allocator's lifecycle policy from cfg. */
void dpconf_policy(struct pb_policy *p, const struct cgnat_config *cfg);

/* The exporter's configuration from cfg (collectors, ids, refresh). */
void dpconf_ipfix(struct ipfix_config *ic, const struct cgnat_config *cfg);

/* 1 when the IPFIX parts of two configurations differ. */
int dpconf_ipfix_changed(const struct cgnat_config *a,
			 const struct cgnat_config *b);

/* Total addresses of all pools; pool of external address index i. */
__u32 dpconf_n_addrs(const struct cgnat_config *cfg);

/* First IPv4 address of interface ifname, network order; -ENOENT. */
int dpconf_if_addr(const char *ifname, __be32 *addr);

#endif /* CGNAT_DAEMON_DPCONF_H */
