// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_nh.c - the next-hop cache through BPF_PROG_TEST_RUN: a session's
 * next hop stays cached across packets (the fib_lookup counter does not
 * grow), a generation bump or the end of the safety lifetime makes the
 * next packet look the FIB up again, and the netlink watcher, listening
 * in the test's own network namespace, reports the route, link (MTU) and
 * neighbour changes that must lead to such a bump. New flows to a
 * destination already looked up on this CPU take the per-destination
 * entry (fwd.h) instead of the FIB, under the same invalidation; the
 * test pins itself to one CPU, since that table is per CPU.
 */
#include <arpa/inet.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/bpf.h>

#include "daemon/nlwatch.h"
#include "tests/bpf/harness.h"

static struct harness H;

#define S1 "198.51.100.10"
#define H1 "100.64.0.10"
#define H2 "100.64.0.11"
#define S2 "198.51.100.20"

/* An outbound UDP packet of H1:5000 -> S1:7, 'len' bytes of IP, DF. */
static struct pkt_spec out_spec(uint16_t len)
{
	struct pkt_spec s = { .proto = 17, .saddr = pkt_ip(H1),
			      .daddr = pkt_ip(S1), .sport = 5000, .dport = 7,
			      .payload = len - 28, .ip_id = 7,
			      .frag = 0x4000 };

	memcpy(s.smac, h_mac_h1, 6);
	memcpy(s.dmac, h_mac_tin, 6);
	return s;
}

static int run(int side, const struct pkt_spec *s, uint8_t *out)
{
	uint8_t in[2048];
	size_t len = pkt_build(in, sizeof(in), s), olen = 2048;

	return h_run(&H, side, in, len, out, &olen);
}

/* Sends the flow's outbound packet; returns the external port. */
static uint16_t send_out(uint16_t len, uint32_t *ext)
{
	struct pkt_spec s = out_spec(len);
	uint8_t out[2048];

	assert_int_equal(run(H_INSIDE, &s, out), XDP_REDIRECT);
	memcpy(ext, out + 14 + 12, 4);
	return (uint16_t)(out[34] << 8 | out[35]);
}

/* The answer of S1 to the flow's external endpoint. */
static void send_in(uint32_t ext, uint16_t port)
{
	struct pkt_spec s = { .proto = 17, .saddr = pkt_ip(S1), .daddr = ext,
			      .sport = 7, .dport = port, .payload = 32,
			      .ip_id = 8 };
	uint8_t out[2048];

	memcpy(s.smac, h_mac_gw, 6);
	memcpy(s.dmac, h_mac_tout, 6);
	assert_int_equal(run(H_OUTSIDE, &s, out), XDP_REDIRECT);
	assert_memory_equal(out, h_mac_h1, 6);
}

static uint64_t fibs(void)
{
	return h_stat(&H, STAT_FIB_LOOKUP);
}

static void sh(const char *cmd)
{
	assert_int_equal(system(cmd), 0);
}

static int setup(void **st)
{
	(void)st;
	return h_load(&H, 1, 256, 8, 1);
}

static int teardown(void **st)
{
	(void)st;
	h_unload(&H);
	return 0;
}

/* Established in both directions, then 20 more packets each way: not
 * one more FIB lookup; both cached entries carry the generation.
 */
static void test_nh_stays_cached(void **st)
{
	struct cgnat_sess sess;
	uint64_t n;
	uint32_t ext, gen;
	uint16_t port;
	int i;

	(void)st;
	assert_int_equal(dp_nh_bump(&H.dp, &gen), 0);
	port = send_out(100, &ext);
	send_in(ext, port);
	n = fibs();
	assert_true(n >= 2);
	for (i = 0; i < 20; i++) {
		send_out(100, &ext);
		send_in(ext, port);
	}
	assert_int_equal(fibs(), n);
	assert_int_equal(h_sess(&H, 17, pkt_ip(H1), 5000, pkt_ip(S1), 7,
				&sess), 0);
	assert_int_equal(sess.nh[CGNAT_DIR_OUT].gen, (uint16_t)gen);
	assert_int_equal(sess.nh[CGNAT_DIR_IN].gen, (uint16_t)gen);
}

/* A bump costs each direction exactly one lookup, on its next packet. */
static void test_nh_bump_forces_lookup(void **st)
{
	uint32_t ext;
	uint16_t port;
	uint64_t n;

	(void)st;
	port = send_out(100, &ext);
	send_in(ext, port);
	n = fibs();
	assert_int_equal(dp_nh_bump(&H.dp, NULL), 0);
	send_out(100, &ext);
	assert_int_equal(fibs(), n + 1);
	send_out(100, &ext);
	assert_int_equal(fibs(), n + 1);
	send_in(ext, port);
	assert_int_equal(fibs(), n + 2);
	send_in(ext, port);
	assert_int_equal(fibs(), n + 2);
}

/* The safety lifetime still ends a cached next hop without any bump. */
static void test_nh_lifetime(void **st)
{
	struct cgnat_cfg c = H.o.cfg;
	uint32_t ext;
	uint64_t n;

	(void)st;
	c.nh_ttl_ns = 50 * 1000000ull;
	assert_int_equal(dp_set_cfg(&H.dp, &c), 0);
	send_out(100, &ext);
	n = fibs();
	send_out(100, &ext);
	assert_int_equal(fibs(), n);
	usleep(150 * 1000);
	send_out(100, &ext);
	assert_int_equal(fibs(), n + 1);
	send_out(100, &ext);
	assert_int_equal(fibs(), n + 1);
}

/* The egress MTU is part of the cached answer: lowered on the link, it
 * is used from the first packet after the bump the watcher asks for. A
 * link change that leaves MTU, MAC and carrier alone asks for none.
 */
static void test_nh_mtu_change(void **st)
{
	struct nlwatch w;
	uint8_t out[2048];
	struct pkt_spec s = out_spec(1400);
	uint32_t ext;

	(void)st;
	assert_int_equal(nlw_open(&w), 0);
	send_out(1400, &ext);
	assert_int_equal(nlw_drain(&w), 0);	/* nothing changed yet */
	sh("ip link set tout promisc on");
	assert_int_equal(nlw_drain(&w), 1);	/* tout new to the watcher */
	sh("ip link set tout promisc off");
	assert_int_equal(nlw_drain(&w), 0);	/* no MTU, MAC or carrier */
	sh("ip link set tout mtu 1300");
	/* Without a bump the cached MTU would still let it through. */
	assert_int_equal(run(H_INSIDE, &s, out), XDP_REDIRECT);
	assert_int_equal(h_stat(&H, STAT_PTB), 0);
	assert_int_equal(nlw_drain(&w), 1);
	assert_int_equal(dp_nh_bump(&H.dp, NULL), 0);
	assert_int_equal(run(H_INSIDE, &s, out), XDP_REDIRECT); /* the 3/4 */
	assert_int_equal(h_stat(&H, STAT_PTB), 1);
	assert_memory_equal(out, h_mac_h1, 6);	/* back to the sender */
	sh("ip link set tout mtu 1500");
	assert_int_equal(nlw_drain(&w), 1);
	assert_int_equal(dp_nh_bump(&H.dp, NULL), 0);
	send_out(1400, &ext);
	assert_int_equal(h_stat(&H, STAT_PTB), 1);
	nlw_close(&w);
}

/* A route change: the watcher sees it, and after the bump the next
 * packet of an established flow follows the new route (here: none).
 */
static void test_nh_route_change(void **st)
{
	struct nlwatch w;
	uint8_t out[2048];
	struct pkt_spec s = out_spec(100);
	uint32_t ext;

	(void)st;
	assert_int_equal(nlw_open(&w), 0);
	send_out(100, &ext);
	sh("ip route add unreachable " S1 "/32");
	assert_int_equal(nlw_drain(&w), 1);
	assert_int_equal(dp_nh_bump(&H.dp, NULL), 0);
	assert_int_equal(run(H_INSIDE, &s, out), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_NO_ROUTE), 1);
	sh("ip route del unreachable " S1 "/32");
	assert_int_equal(nlw_drain(&w), 1);
	assert_int_equal(dp_nh_bump(&H.dp, NULL), 0);
	send_out(100, &ext);
	nlw_close(&w);
}

/* The gateway's MAC changes: the neighbour event counts, and the next
 * packet leaves with the new MAC. A state change that keeps the MAC and
 * an IPv6 neighbour do not count.
 */
static void test_nh_neigh_change(void **st)
{
	static const uint8_t mac2[6] = { 2, 0, 0, 0, 2, 0x22 };
	struct nlwatch w;
	uint8_t out[2048];
	struct pkt_spec s = out_spec(100);
	uint32_t ext;

	(void)st;
	assert_int_equal(nlw_open(&w), 0);
	send_out(100, &ext);
	sh("ip -6 neigh add 2001:db8::2 lladdr 02:00:00:00:02:33 "
	   "nud permanent dev tout");
	assert_int_equal(nlw_drain(&w), 0);
	sh("ip neigh replace 192.0.2.2 lladdr 02:00:00:00:02:22 "
	   "nud permanent dev tout");
	assert_int_equal(nlw_drain(&w), 1);
	assert_int_equal(dp_nh_bump(&H.dp, NULL), 0);
	assert_int_equal(run(H_INSIDE, &s, out), XDP_REDIRECT);
	assert_memory_equal(out, mac2, 6);
	/* Aging to STALE keeps the MAC: no bump needed, none asked for. */
	sh("ip neigh replace 192.0.2.2 lladdr 02:00:00:00:02:22 "
	   "nud stale dev tout");
	assert_int_equal(nlw_drain(&w), 0);
	assert_int_equal(run(H_INSIDE, &s, out), XDP_REDIRECT);
	assert_memory_equal(out, mac2, 6);
	sh("ip neigh replace 192.0.2.2 lladdr 02:00:00:00:02:02 "
	   "nud permanent dev tout");
	sh("ip -6 neigh del 2001:db8::2 dev tout");
	assert_int_equal(nlw_drain(&w), 1);
	nlw_close(&w);
}

/* The first packet of a new flow from 'src':'sport' to 'dst'; returns the
 * verdict and leaves the output in 'out'.
 */
static int new_flow(const char *src, uint16_t sport, const char *dst,
		    uint8_t *out)
{
	struct pkt_spec s = out_spec(100);

	s.saddr = pkt_ip(src);
	s.daddr = pkt_ip(dst);
	s.sport = sport;
	return run(H_INSIDE, &s, out);
}

/* New flows, new mappings and new subscribers to a destination looked up
 * once take its cached next hop: no FIB lookup, the gateway's MAC; a new
 * destination and the first new flow after a bump look the FIB up once.
 */
static void test_nh_dst_new_flows(void **st)
{
	uint8_t out[2048];
	uint64_t n;

	(void)st;
	assert_int_equal(new_flow(H1, 5000, S1, out), XDP_REDIRECT);
	n = fibs();
	assert_int_equal(new_flow(H1, 5001, S1, out), XDP_REDIRECT);
	assert_int_equal(new_flow(H2, 6000, S1, out), XDP_REDIRECT);
	assert_int_equal(fibs(), n);
	assert_memory_equal(out, h_mac_gw, 6);
	assert_memory_equal(out + 6, h_mac_tout, 6);
	assert_int_equal(h_stat(&H, STAT_NEW_MAPPING), 3);
	assert_int_equal(new_flow(H1, 5002, S2, out), XDP_REDIRECT);
	assert_int_equal(fibs(), n + 1);
	assert_int_equal(dp_nh_bump(&H.dp, NULL), 0);
	assert_int_equal(new_flow(H1, 5003, S1, out), XDP_REDIRECT);
	assert_int_equal(fibs(), n + 2);
	assert_int_equal(new_flow(H2, 6001, S1, out), XDP_REDIRECT);
	assert_int_equal(fibs(), n + 2);
}

/* After a bump, established sessions to one destination share one
 * lookup: the first refreshes the destination's entry, the second
 * session's refresh takes it.
 */
static void test_nh_dst_refresh_shared(void **st)
{
	uint8_t out[2048];
	uint64_t n;

	(void)st;
	assert_int_equal(new_flow(H1, 5000, S1, out), XDP_REDIRECT);
	assert_int_equal(new_flow(H2, 6000, S1, out), XDP_REDIRECT);
	assert_int_equal(dp_nh_bump(&H.dp, NULL), 0);
	n = fibs();
	assert_int_equal(new_flow(H1, 5000, S1, out), XDP_REDIRECT);
	assert_int_equal(fibs(), n + 1);
	assert_int_equal(new_flow(H2, 6000, S1, out), XDP_REDIRECT);
	assert_int_equal(fibs(), n + 1);
	assert_int_equal(h_stat(&H, STAT_NEW_SESSION), 2);
}

/* The gateway's MAC and then the route change under new flows: until the
 * bump the cached answer is used (that is what the watcher's bump is
 * for); the first new flow after it follows the change.
 */
static void test_nh_dst_invalidated(void **st)
{
	static const uint8_t mac2[6] = { 2, 0, 0, 0, 2, 0x22 };
	struct nlwatch w;
	uint8_t out[2048];

	(void)st;
	assert_int_equal(nlw_open(&w), 0);
	assert_int_equal(new_flow(H1, 5000, S1, out), XDP_REDIRECT);
	sh("ip neigh replace 192.0.2.2 lladdr 02:00:00:00:02:22 "
	   "nud permanent dev tout");
	assert_int_equal(new_flow(H1, 5001, S1, out), XDP_REDIRECT);
	assert_memory_equal(out, h_mac_gw, 6);
	assert_int_equal(nlw_drain(&w), 1);
	assert_int_equal(dp_nh_bump(&H.dp, NULL), 0);
	assert_int_equal(new_flow(H1, 5002, S1, out), XDP_REDIRECT);
	assert_memory_equal(out, mac2, 6);
	assert_int_equal(new_flow(H2, 6000, S1, out), XDP_REDIRECT);
	assert_memory_equal(out, mac2, 6);
	sh("ip route add unreachable " S1 "/32");
	assert_int_equal(nlw_drain(&w), 1);
	assert_int_equal(dp_nh_bump(&H.dp, NULL), 0);
	assert_int_equal(new_flow(H1, 5003, S1, out), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_NO_ROUTE), 1);
	assert_int_equal(new_flow(H2, 6001, S1, out), XDP_DROP);
	assert_int_equal(h_stat(&H, STAT_DROP_BASE + REASON_NO_ROUTE), 2);
	sh("ip route del unreachable " S1 "/32");
	sh("ip neigh replace 192.0.2.2 lladdr 02:00:00:00:02:02 "
	   "nud permanent dev tout");
	assert_int_equal(nlw_drain(&w), 1);
	assert_int_equal(dp_nh_bump(&H.dp, NULL), 0);
	assert_int_equal(new_flow(H1, 5004, S1, out), XDP_REDIRECT);
	assert_memory_equal(out, h_mac_gw, 6);
	nlw_close(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nh_stays_cached, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nh_bump_forces_lookup,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_nh_lifetime, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nh_mtu_change, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nh_route_change, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nh_neigh_change, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nh_dst_new_flows, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nh_dst_refresh_shared,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_nh_dst_invalidated, setup,
						teardown),
	};
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_setaffinity(0, sizeof(one), &one)) {
		perror("sched_setaffinity");
		return 1;
	}
	if (h_netns())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
