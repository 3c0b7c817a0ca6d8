// SPDX-License-Identifier: GPL-2.0
/*
 * nlwatch.c - see nlwatch.h. The socket's receive buffer is raised so
 * that a burst (a routing daemon installing a full table) overruns it
 * less often; an overrun is harmless anyway, since it counts as a change.
 *
 * Why remembering is enough (neighbours and links alike): an entry is
 * written only by a message that counted, i.e. one that bumped the
 * generation, so every next hop cached since then was looked up with
 * what the entry holds or something later; a later change reaches us as
 * a message that differs from the entry and counts.
 * An overrun forgets every entry: after lost messages an entry may be
 * behind the kernel, and a later message equal to it would be ignored.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/neighbour.h>

#include "daemon/nlwatch.h"

#define NLW_RCVBUF (1 << 20)
/* The kernel's NUD_VALID (not in the uapi headers): states in which
 * bpf_fib_lookup uses the neighbour's MAC.
 */
#define NLW_NUD_VALID (NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | \
		       NUD_PROBE | NUD_STALE | NUD_DELAY)

/* The slot of (ifindex, addr), or a free one for it; NULL when full. */
static struct nlw_neigh *neigh_slot(struct nlwatch *w, __u32 ifindex,
				    __be32 addr)
{
	__u32 h = (addr * 2654435761u ^ ifindex) % NLW_NEIGHS, i;

	for (i = 0; i < NLW_NEIGHS; i++) {
		struct nlw_neigh *n = &w->neigh[(h + i) % NLW_NEIGHS];

		if (!n->ifindex || (n->ifindex == ifindex && n->addr == addr))
			return n;
	}
	return NULL;
}

/* An IPv4 neighbour message: 1 if what bpf_fib_lookup answers for it
 * may have changed. Entries are never removed, a deletion only marks
 * them unusable, so a probe chain stays intact.
 */
static int neigh_counts(struct nlwatch *w, const struct nlmsghdr *h)
{
	const struct ndmsg *nd = NLMSG_DATA(h);
	const struct rtattr *a = (const void *)((const char *)nd +
						NLMSG_ALIGN(sizeof(*nd)));
	int left = (int)NLMSG_PAYLOAD(h, sizeof(*nd));
	__u8 mac[6] = { 0 }, valid;
	struct nlw_neigh *n;
	__be32 addr = 0;
	int have = 0;

	for (; RTA_OK(a, left); a = RTA_NEXT(a, left)) {
		if (a->rta_type == NDA_DST && RTA_PAYLOAD(a) == 4) {
			memcpy(&addr, RTA_DATA(a), 4);
			have = 1;
		} else if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6) {
			memcpy(mac, RTA_DATA(a), 6);
		}
	}
	if (!have || nd->ndm_ifindex <= 0)
		return 1;
	valid = h->nlmsg_type == RTM_NEWNEIGH &&
		(nd->ndm_state & NLW_NUD_VALID) != 0;
	n = neigh_slot(w, nd->ndm_ifindex, addr);
	if (!n)
		return 1;
	if (n->ifindex && n->valid == valid &&
	    (!valid || !memcmp(n->mac, mac, 6)))
		return 0;
	n->ifindex = nd->ndm_ifindex;
	n->addr = addr;
	n->valid = valid;
	memcpy(n->mac, mac, 6);
	return 1;
}

static struct nlw_link *link_slot(struct nlwatch *w, __u32 ifindex)
{
	__u32 i;

	for (i = 0; i < NLW_LINKS; i++) {
		struct nlw_link *l = &w->link[(ifindex + i) % NLW_LINKS];

		if (!l->ifindex || l->ifindex == ifindex)
			return l;
	}
	return NULL;
}

/* A link message: 1 if what the FIB answers through it may have changed
 * (MTU, MAC, master, up/running), 0 for everything else it reports.
 */
static int link_counts(struct nlwatch *w, const struct nlmsghdr *h)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const struct rtattr *a = (const void *)((const char *)ifi +
						NLMSG_ALIGN(sizeof(*ifi)));
	int left = (int)NLMSG_PAYLOAD(h, sizeof(*ifi));
	struct nlw_link now = { 0 }, *l;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)) || ifi->ifi_index <= 0)
		return 1;
	now.ifindex = ifi->ifi_index;
	now.flags = ifi->ifi_flags & (IFF_UP | IFF_RUNNING | IFF_LOWER_UP);
	for (; RTA_OK(a, left); a = RTA_NEXT(a, left)) {
		if (a->rta_type == IFLA_MTU && RTA_PAYLOAD(a) == 4)
			memcpy(&now.mtu, RTA_DATA(a), 4);
		else if (a->rta_type == IFLA_MASTER && RTA_PAYLOAD(a) == 4)
			memcpy(&now.master, RTA_DATA(a), 4);
		else if (a->rta_type == IFLA_ADDRESS && RTA_PAYLOAD(a) == 6)
			memcpy(now.mac, RTA_DATA(a), 6);
	}
	if (h->nlmsg_type == RTM_DELLINK)
		now.mtu = now.flags = 0;
	l = link_slot(w, now.ifindex);
	if (!l)
		return 1;
	if (l->ifindex && !memcmp(l, &now, sizeof(now)))
		return 0;
	*l = now;
	return 1;
}

static int counts(struct nlwatch *w, const struct nlmsghdr *h)
{
	const struct ndmsg *nd = NLMSG_DATA(h);

	switch (h->nlmsg_type) {
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
	case RTM_NEWADDR:
	case RTM_DELADDR:
		return 1;
	case RTM_NEWLINK:
	case RTM_DELLINK:
		return link_counts(w, h);
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*nd)) ||
		    nd->ndm_family != AF_INET)
			return 0;
		return neigh_counts(w, h);
	}
	return 0;
}

int nlw_count(struct nlwatch *w, const void *buf, size_t len)
{
	const struct nlmsghdr *h = buf;
	int left = len > 0x7fffffff ? 0x7fffffff : (int)len;
	int n = 0;

	for (; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left))
		n += counts(w, h);
	return n;
}

int nlw_open(struct nlwatch *w)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_IPV4_ROUTE | RTMGRP_NEIGH | RTMGRP_LINK |
			     RTMGRP_IPV4_IFADDR,
	};
	int sz = NLW_RCVBUF;

	memset(w, 0, sizeof(*w));
	w->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       NETLINK_ROUTE);
	if (w->fd < 0)
		return -errno;
	/* Best effort: the default buffer works, only overruns sooner. */
	setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (bind(w->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int rc = -errno;

		nlw_close(w);
		return rc;
	}
	return 0;
}

int nlw_drain(struct nlwatch *w)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	int changed = 0;
	ssize_t n;

	for (;;) {
		n = recv(w->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			/* Lost messages: what we remember may be behind. */
			memset(w->neigh, 0, sizeof(w->neigh));
			memset(w->link, 0, sizeof(w->link));
			w->overruns++;
			changed = 1;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return changed;
		if (n < 0)
			return -errno;
		if (n == 0)
			return changed;
		n = nlw_count(w, buf, (size_t)n);
		w->changes += n;
		changed |= n > 0;
	}
}

void nlw_close(struct nlwatch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}
