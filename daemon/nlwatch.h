/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nlwatch.h - tells dprun when the next hops the data plane cached may be
 * wrong: a non-blocking rtnetlink socket on the IPv4 route, neighbour,
 * link and IPv4 address groups. Every IPv4 route and IPv4 address
 * message counts. A link message counts only if the link's MTU, MAC,
 * master or up/running flags differ from what the watcher last saw of
 * it, or it is new to the watcher, or deleted: the kernel also reports
 * feature changes (a veth peer attaching XDP sends one) and the like,
 * which change nothing bpf_fib_lookup answers. Likewise an IPv4
 * neighbour message counts only if the neighbour's MAC or its usability
 * (NUD_VALID) changed, or it is new or deleted: the kernel also reports
 * every state change (REACHABLE, STALE, DELAY, PROBE). Neighbour
 * messages of other families (IPv6, bridge FDB) never count. A socket
 * overrun (ENOBUFS: messages were lost) counts and forgets what was
 * remembered. The caller then bumps the next-hop generation
 * (dp_nh_bump).
 */
#ifndef CGNAT_NLWATCH_H
#define CGNAT_NLWATCH_H

#include <stddef.h>
#include <linux/types.h>

/* Neighbours and links remembered; past that, messages about others
 * always count.
 */
#define NLW_NEIGHS 1024
#define NLW_LINKS 256

struct nlw_neigh {
	__u32 ifindex;		/* 0 = free slot */
	__be32 addr;
	__u8 mac[6];
	__u8 valid;		/* ndm_state & NUD_VALID */
	__u8 pad;
};

struct nlw_link {
	__u32 ifindex;		/* 0 = free slot */
	__u32 mtu;		/* 0 = deleted */
	__u32 flags;		/* IFF_UP | IFF_RUNNING | IFF_LOWER_UP */
	__u32 master;
	__u8 mac[6];
	__u8 pad[2];
};

struct nlwatch {
	int fd;			/* -1 when closed */
	__u64 changes;		/* messages that counted */
	__u64 overruns;		/* ENOBUFS seen */
	struct nlw_neigh neigh[NLW_NEIGHS];	/* open addressing */
	struct nlw_link link[NLW_LINKS];	/* open addressing */
};

/* Opens and binds the socket; 0 or -errno. */
int nlw_open(struct nlwatch *w);
/* Reads every queued message without blocking. Returns 1 if at least one
 * counted (or the socket overran), 0 if none, -errno on another error.
 */
int nlw_drain(struct nlwatch *w);
void nlw_close(struct nlwatch *w);

/* Pure core: how many of the netlink messages in buf[0..len) count;
 * remembers the neighbours and links they report.
 */
int nlw_count(struct nlwatch *w, const void *buf, size_t len);

#endif /* CGNAT_NLWATCH_H */
