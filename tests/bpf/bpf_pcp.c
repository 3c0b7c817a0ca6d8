// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_pcp.c - PCP's userspace grant (daemon/pcp_dp.c) against the real
 * maps: a request from a subscriber with no block, while its pool's
 * first-block slots are empty and the pool still has blocks (a refill on
 * its way: a packet there is dropped as grant_wait and sent again), is
 * answered with a mapping in a block taken now and logged, not with
 * NO_RESOURCES; while the log holds grants the same request still gets
 * no block. A packet then goes out through the PCP mapping.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "daemon/dprun.h"
#include "daemon/pcp_dp.h"
#include "tests/bpf/nat_util.h"

static struct dprun *R;
static struct cgnat_event seen[8];
static int n_seen;

static void on_event(void *ctx, const struct cgnat_event *e)
{
	(void)ctx;
	if (n_seen < 8)
		seen[n_seen++] = *e;
}

/* cgnatd's runner over the harness's load: the allocator and the maps
 * it shares, no rings or threads (nothing here needs them).
 */
static int setup_pcp(void **st)
{
	struct evo_geom g;

	if (setup_empty(st))	/* one address, nothing stocked */
		return -1;
	R = calloc(1, sizeof(*R));
	if (!R)
		return -1;
	R->dp = H.dp;
	R->pb = H.pb;
	R->pv = H.pv;
	pthread_mutex_init(&R->pb_lock, NULL);
	g = (struct evo_geom){ .n_addrs = H.o.n_addrs, .addrs = H.o.addrs,
			       .port_lo = H.o.cfg.port_lo,
			       .block_size = H.o.cfg.block_size,
			       .blocks_per_addr = H.o.cfg.blocks_per_addr };
	n_seen = 0;
	return evo_init(&R->evo, &g, 64, on_event, NULL);
}

static int teardown_pcp(void **st)
{
	H.pb = R->pb;	/* the allocator's arrays, freed with the load */
	evo_free(&R->evo);
	pthread_mutex_destroy(&R->pb_lock);
	free(R);
	return teardown(st);
}

static struct pcp_dp_req req(void)
{
	return (struct pcp_dp_req){ .sub = inet_addr(H1),
				    .int_port = htons(5353),
				    .proto = IPPROTO_UDP, .inbound = 1,
				    .until_s = pcp_dp_now_s() + 600 };
}

static int slots_empty(void)
{
	__u32 i;

	for (i = 0; i < CGNAT_NEW_DEPTH; i++)
		if (R->pv.grant_new[i])
			return 0;
	return 1;
}

static void test_grant_with_slots_empty(void **st)
{
	struct pcp_dp_req q = req();
	struct pcp_dp_grant g;
	struct pkt_spec s;
	uint32_t ext;
	__u32 first;

	(void)st;
	assert_true(slots_empty());	/* the pool has 252 free blocks */
	assert_int_equal(pcp_dp_map(R, &q, &g), 0);
	assert_int_equal(g.new_block, 1);
	assert_int_equal(g.ext_addr, H.addrs[0]);
	/* Logged like a packet's block: one assignment, for H1, whose
	 * range holds the port.
	 */
	assert_int_equal(n_seen, 1);
	assert_int_equal(seen[0].type, EVT_BLOCK_ASSIGNED);
	assert_int_equal(seen[0].sub_addr, inet_addr(H1));
	first = seen[0].port_first;
	assert_in_range(ntohs(g.ext_port), first, seen[0].port_last);
	assert_false(slots_empty());	/* stocked on the way */
	/* The allocator knows the block is H1's: the next sync says so. */
	pthread_mutex_lock(&R->pb_lock);
	assert_int_equal(pb_sync(&R->pb, &R->pv, 1000), 1);
	pthread_mutex_unlock(&R->pb_lock);
	assert_int_equal(R->pb.blk[seen[0].block].state, PB_ASSIGNED);
	/* A packet from the mapped endpoint leaves by it. */
	s = spec(IPPROTO_UDP, H1, 5353, S1, 53, H_INSIDE);
	assert_int_equal(xlate_out(&s, &ext), ntohs(g.ext_port));
	assert_int_equal(ext, H.addrs[0]);
}

static void test_no_grant_while_held(void **st)
{
	struct pcp_dp_req q = req();
	struct pcp_dp_grant g;

	(void)st;
	R->hold_grants = DPRUN_HOLD_LOG;	/* the log's backlog */
	assert_int_equal(pcp_dp_map(R, &q, &g), -ENOSPC);
	assert_int_equal(n_seen, 0);
	assert_true(slots_empty());
	R->hold_grants = 0;			/* cleared: granted */
	assert_int_equal(pcp_dp_map(R, &q, &g), 0);
	assert_int_equal(n_seen, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_grant_with_slots_empty,
						setup_pcp, teardown_pcp),
		cmocka_unit_test_setup_teardown(test_no_grant_while_held,
						setup_pcp, teardown_pcp),
	};

	if (h_netns())
		return 1;
	return cmocka_run_group_tests_name("pcp", tests, NULL, NULL);
}
