// SPDX-License-Identifier: GPL-2.0
/*
 * test_nlwatch.c - which rtnetlink messages make dprun bump the next-hop
 * generation (nlw_count): message types and families, neighbour state
 * changes that keep the MAC (ignored) against MAC and usability changes
 * (counted), a full neighbour memory, link feature changes (ignored)
 * against MTU, MAC and carrier changes (counted); and nlw_drain over a datagram
 * socket pair standing in for the netlink socket: one answer for a whole
 * batch, 0 once the queue is empty.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/neighbour.h>

#include "daemon/nlwatch.h"

static struct nlwatch W;

/* Appends one message of 'type' whose body starts with 'family'. */
static size_t put(char *buf, size_t off, __u16 type, __u8 family)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(buf + off);
	size_t body = sizeof(struct ndmsg) > sizeof(struct rtmsg) ?
			      sizeof(struct ndmsg) : sizeof(struct rtmsg);

	memset(h, 0, NLMSG_SPACE(body));
	h->nlmsg_len = NLMSG_LENGTH(body);
	h->nlmsg_type = type;
	*(__u8 *)NLMSG_DATA(h) = family;	/* first byte of every body */
	return off + NLMSG_SPACE(body);
}

/* One IPv4 neighbour message: 'mac' NULL leaves NDA_LLADDR out. */
static size_t neigh(char *buf, __u16 type, int ifindex, __u32 addr,
		    const char *mac, __u16 state)
{
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct ndmsg *nd = NLMSG_DATA(h);
	struct rtattr *a;

	memset(buf, 0, 128);
	h->nlmsg_type = type;
	h->nlmsg_len = NLMSG_LENGTH(sizeof(*nd));
	nd->ndm_family = AF_INET;
	nd->ndm_ifindex = ifindex;
	nd->ndm_state = state;
	a = (struct rtattr *)(buf + NLMSG_ALIGN(h->nlmsg_len));
	a->rta_type = NDA_DST;
	a->rta_len = RTA_LENGTH(4);
	memcpy(RTA_DATA(a), &addr, 4);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
	if (mac) {
		a = (struct rtattr *)(buf + h->nlmsg_len);
		a->rta_type = NDA_LLADDR;
		a->rta_len = RTA_LENGTH(6);
		memcpy(RTA_DATA(a), mac, 6);
		h->nlmsg_len += RTA_ALIGN(a->rta_len);
	}
	return h->nlmsg_len;
}

#define MAC1 "\x02\0\0\0\0\x01"
#define MAC2 "\x02\0\0\0\0\x02"

static int nb(__u16 type, int ifindex, __u32 addr, const char *mac,
	      __u16 state)
{
	char buf[128] __attribute__((aligned(4)));

	return nlw_count(&W, buf, neigh(buf, type, ifindex, addr, mac, state));
}

static int reset(void **st)
{
	(void)st;
	memset(&W, 0, sizeof(W));
	W.fd = -1;
	return 0;
}

/* What bpf_fib_lookup answers for a neighbour changes only with its MAC
 * or its usability; the kernel's state churn in between is ignored.
 */
static void test_neigh_changes(void **st)
{
	(void)st;
	assert_int_equal(nb(RTM_NEWNEIGH, 3, 0x0202000a, MAC1,
			    NUD_REACHABLE), 1);		/* new to us */
	assert_int_equal(nb(RTM_NEWNEIGH, 3, 0x0202000a, MAC1, NUD_STALE),
			 0);
	assert_int_equal(nb(RTM_NEWNEIGH, 3, 0x0202000a, MAC1, NUD_DELAY),
			 0);
	assert_int_equal(nb(RTM_NEWNEIGH, 3, 0x0202000a, MAC1, NUD_PROBE),
			 0);
	assert_int_equal(nb(RTM_NEWNEIGH, 3, 0x0202000a, MAC1,
			    NUD_REACHABLE), 0);
	assert_int_equal(nb(RTM_NEWNEIGH, 3, 0x0202000a, MAC2,
			    NUD_REACHABLE), 1);		/* MAC changed */
	assert_int_equal(nb(RTM_NEWNEIGH, 3, 0x0202000a, MAC2, NUD_FAILED),
			 1);				/* unusable */
	assert_int_equal(nb(RTM_NEWNEIGH, 3, 0x0202000a, NULL,
			    NUD_INCOMPLETE), 0);	/* still unusable */
	assert_int_equal(nb(RTM_NEWNEIGH, 3, 0x0202000a, MAC2,
			    NUD_REACHABLE), 1);		/* usable again */
	assert_int_equal(nb(RTM_DELNEIGH, 3, 0x0202000a, MAC2,
			    NUD_REACHABLE), 1);		/* gone */
	assert_int_equal(nb(RTM_NEWNEIGH, 3, 0x0202000a, MAC2,
			    NUD_PERMANENT), 1);
	/* The same address on another interface is another neighbour. */
	assert_int_equal(nb(RTM_NEWNEIGH, 4, 0x0202000a, MAC2, NUD_STALE),
			 1);
	assert_int_equal(nb(RTM_NEWNEIGH, 3, 0x0202000a, MAC2, NUD_STALE),
			 0);
}

/* One link message with its MTU and MAC. */
static int lk(__u16 type, int ifindex, unsigned flags, __u32 mtu,
	      const char *mac)
{
	char buf[128] __attribute__((aligned(4)));
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct rtattr *a;

	memset(buf, 0, sizeof(buf));
	h->nlmsg_type = type;
	h->nlmsg_len = NLMSG_ALIGN(NLMSG_LENGTH(sizeof(*ifi)));
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = flags;
	a = (struct rtattr *)(buf + h->nlmsg_len);
	a->rta_type = IFLA_MTU;
	a->rta_len = RTA_LENGTH(4);
	memcpy(RTA_DATA(a), &mtu, 4);
	h->nlmsg_len += RTA_ALIGN(a->rta_len);
	a = (struct rtattr *)(buf + h->nlmsg_len);
	a->rta_type = IFLA_ADDRESS;
	a->rta_len = RTA_LENGTH(6);
	memcpy(RTA_DATA(a), mac, 6);
	h->nlmsg_len += RTA_ALIGN(a->rta_len);
	return nlw_count(&W, buf, h->nlmsg_len);
}

#define UP (IFF_UP | IFF_RUNNING | IFF_LOWER_UP)

/* Links: MTU, MAC and up/running count; a feature change does not. */
static void test_link_changes(void **st)
{
	(void)st;
	assert_int_equal(lk(RTM_NEWLINK, 5, UP, 1500, MAC1), 1); /* new */
	assert_int_equal(lk(RTM_NEWLINK, 5, UP, 1500, MAC1), 0); /* features */
	assert_int_equal(lk(RTM_NEWLINK, 5, UP | IFF_PROMISC, 1500, MAC1), 0);
	assert_int_equal(lk(RTM_NEWLINK, 5, UP, 1300, MAC1), 1); /* MTU */
	assert_int_equal(lk(RTM_NEWLINK, 5, UP, 1300, MAC2), 1); /* MAC */
	assert_int_equal(lk(RTM_NEWLINK, 5, IFF_UP, 1300, MAC2), 1); /* carrier */
	assert_int_equal(lk(RTM_NEWLINK, 5, UP, 1300, MAC2), 1);
	assert_int_equal(lk(RTM_NEWLINK, 6, UP, 1300, MAC2), 1); /* another */
	assert_int_equal(lk(RTM_DELLINK, 5, UP, 1300, MAC2), 1);
	assert_int_equal(lk(RTM_NEWLINK, 5, UP, 1300, MAC2), 1); /* back */
	assert_int_equal(lk(RTM_NEWLINK, 5, UP, 1300, MAC2), 0);
}

/* Past NLW_NEIGHS neighbours, messages about new ones always count. */
static void test_neigh_full(void **st)
{
	__u32 i;

	(void)st;
	for (i = 0; i < NLW_NEIGHS; i++)
		assert_int_equal(nb(RTM_NEWNEIGH, 2, 0x0a000000 + i, MAC1,
				    NUD_STALE), 1);
	assert_int_equal(nb(RTM_NEWNEIGH, 2, 0x0a000000, MAC1, NUD_STALE), 0);
	assert_int_equal(nb(RTM_NEWNEIGH, 2, 0x0b000000, MAC1, NUD_STALE), 1);
	assert_int_equal(nb(RTM_NEWNEIGH, 2, 0x0b000000, MAC1, NUD_STALE), 1);
}

static void test_count_kinds(void **st)
{
	char buf[1024] __attribute__((aligned(4)));
	size_t n;

	(void)st;
	assert_int_equal(nlw_count(&W, buf, put(buf, 0, RTM_NEWROUTE, 2)), 1);
	assert_int_equal(nlw_count(&W, buf, put(buf, 0, RTM_DELROUTE, 2)), 1);
	assert_int_equal(nlw_count(&W, buf, put(buf, 0, RTM_NEWLINK, 0)), 1);
	assert_int_equal(nlw_count(&W, buf, put(buf, 0, RTM_DELLINK, 0)), 1);
	assert_int_equal(nlw_count(&W, buf, put(buf, 0, RTM_NEWADDR, 2)), 1);
	/* An IPv4 neighbour message without NDA_DST: cannot tell, counts. */
	assert_int_equal(nlw_count(&W, buf, put(buf, 0, RTM_NEWNEIGH, AF_INET)),
			 1);
	/* IPv6 neighbours and bridge FDB entries share the group. */
	assert_int_equal(nlw_count(&W, buf, put(buf, 0, RTM_NEWNEIGH, AF_INET6)),
			 0);
	assert_int_equal(nlw_count(&W, buf, put(buf, 0, RTM_NEWNEIGH, AF_BRIDGE)),
			 0);
	assert_int_equal(nlw_count(&W, buf, put(buf, 0, NLMSG_DONE, 0)), 0);
	/* Several in one datagram. */
	n = put(buf, 0, RTM_NEWNEIGH, AF_INET6);
	n = put(buf, n, RTM_NEWROUTE, AF_INET);
	n = put(buf, n, RTM_NEWLINK, 0);
	assert_int_equal(nlw_count(&W, buf, n), 2);
}

static void test_count_truncated(void **st)
{
	char buf[1024] __attribute__((aligned(4)));
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	size_t n = put(buf, 0, RTM_NEWROUTE, AF_INET);

	(void)st;
	assert_int_equal(nlw_count(&W, buf, n - 1), 0);	/* cut short */
	assert_int_equal(nlw_count(&W, buf, 3), 0);
	h->nlmsg_len = 4096;				/* lies */
	assert_int_equal(nlw_count(&W, buf, n), 0);
	/* A neighbour message too short for its ndmsg does not count. */
	put(buf, 0, RTM_NEWNEIGH, AF_INET);
	h->nlmsg_len = NLMSG_LENGTH(0);
	assert_int_equal(nlw_count(&W, buf, NLMSG_SPACE(0)), 0);
}

static void test_drain(void **st)
{
	char buf[256] __attribute__((aligned(4)));
	struct nlwatch *w = &W;
	int sv[2];
	size_t n;

	(void)st;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	w->fd = sv[0];
	assert_int_equal(nlw_drain(w), 0);		/* empty */
	n = put(buf, 0, RTM_NEWNEIGH, AF_INET6);
	assert_int_equal(write(sv[1], buf, n), (ssize_t)n);
	assert_int_equal(nlw_drain(w), 0);		/* nothing counts */
	n = put(buf, 0, RTM_NEWROUTE, AF_INET);
	assert_int_equal(write(sv[1], buf, n), (ssize_t)n);
	n = put(buf, 0, RTM_NEWLINK, 0);
	assert_int_equal(write(sv[1], buf, n), (ssize_t)n);
	assert_int_equal(nlw_drain(w), 1);		/* one answer */
	assert_int_equal(w->changes, 2);
	assert_int_equal(nlw_drain(w), 0);		/* read them all */
	nlw_close(w);
	assert_int_equal(w->fd, -1);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_count_kinds, reset),
		cmocka_unit_test_setup(test_count_truncated, reset),
		cmocka_unit_test_setup(test_neigh_changes, reset),
		cmocka_unit_test_setup(test_neigh_full, reset),
		cmocka_unit_test_setup(test_link_changes, reset),
		cmocka_unit_test_setup(test_drain, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
