// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_ha.c - HA state sync against the real data plane: flows made on
 * one load (the active) are read out as records (hst_scan), carried
 * through the sync protocol's byte stream (hs_tx -> hs_rx, in odd chunks)
 * and applied to a fresh load with no grants of its own (the standby,
 * hst_apply). The standby then translates the synced UDP and TCP flows
 * both ways with the same external address:port, keeps their expiry
 * (time remaining, not the other box's clock), holds the same block for
 * the same subscriber with the same assigned time, takes new ports from
 * that block without reusing a synced one, and applies deletes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/cgnat.skel.h"

#include "daemon/hastate.h"
#include "tests/bpf/nat_util.h"

#define MAX_RECS 64

static struct hs_rec recs[MAX_RECS];
static int nrecs;

static __u64 boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int to_tx(struct hs_rec *r, void *ctx)
{
	return hs_tx_push(ctx, r);
}

static int collect(const struct hs_rec *r, void *ctx)
{
	(void)ctx;
	assert_true(nrecs < MAX_RECS);
	recs[nrecs++] = *r;
	return 0;
}

/* The active's state as the standby receives it. */
static void sync_out(void)
{
	struct hs_tx t;
	struct hs_rx rx;
	struct hs_rec hello, ho, end = {.type = HS_BULK_END};
	__u8 buf[HS_FRAME_MAX], carry[8192];
	const __u8 *p;
	size_t len, n, nc = 0;
	__u64 count;
	int used;

	nrecs = 0;
	assert_int_equal(hs_tx_init(&t, 65536, 1, 0x77), 0);
	hs_rx_init(&rx);
	hs_rx_hello(&rx, 2, &hello);
	assert_int_equal(hs_tx_accept(&t, &hello.hello, 0, &ho), HS_BULK);
	n = hs_encode(&ho, buf);
	assert_int_equal(hs_rx_feed(&rx, buf, n, collect, NULL), (int)n);
	assert_int_equal(
		hst_scan(&H.dp, h_now_ns(), boot_ns(), to_tx, &t, &count), 0);
	end.count = count;
	assert_int_equal(hs_tx_push(&t, &end), 0);
	p = hs_tx_pending(&t, &len);
	while (len) {
		n = len < 13 ? len : 13;
		memcpy(carry + nc, p, n);
		nc += n;
		p += n;
		len -= n;
		used = hs_rx_feed(&rx, carry, nc, collect, NULL);
		assert_true(used >= 0);
		memmove(carry, carry + used, nc - used);
		nc -= used;
	}
	assert_int_equal(nc, 0);
	assert_true(rx.ready);
	assert_true(rx.bulk_done == count);
	hs_tx_free(&t);
}

/* Keeps blocks, the mapping and the session of H1:6123 only. */
static int to_recs(struct hs_rec *r, void *ctx)
{
	(void)ctx;
	if (r->type == HS_BLOCK ||
	    (r->type == HS_MAP && r->map.int_port == htons(6123)) ||
	    (r->type == HS_SESS && r->sess.key.int_port == htons(6123))) {
		assert_true(nrecs < MAX_RECS);
		recs[nrecs++] = *r;
	}
	return 0;
}

static void apply_all(void)
{
	for (int i = 0; i < nrecs; i++)
		assert_int_equal(
			hst_apply(&H.dp, &recs[i], h_now_ns(), boot_ns()), 0);
}

static int count_type(__u8 type)
{
	int n = 0;

	for (int i = 0; i < nrecs; i++)
		n += recs[i].type == type;
	return n;
}

static void test_standby_takes_over_flows(void **st)
{
	struct pkt_spec u = spec(17, H1, 5000, S1, 53, H_INSIDE);
	struct pkt_spec t = spec(6, H2, 40000, S1, 443, H_INSIDE);
	struct pkt_spec back, n2;
	struct cgnat_sess sa, sb;
	struct cgnat_block blk;
	__u32 ext_u, ext_t, ext_n, bid = ~0u, i;
	__u16 pu, pt, pn;
	__u64 before;
	uint8_t out[512];
	size_t olen;

	(void)st;
	pu = xlate_out(&u, &ext_u);
	pt = xlate_out(&t, &ext_t);
	back = spec(6, S1, 443, ip_str(ext_t, 0), pt, H_OUTSIDE);
	back.tcp_flags = 0x12; /* SYN-ACK: established */
	xlate_in(back, H2, 40000);
	assert_int_equal(h_sess(&H, 17, pkt_ip(H1), 5000, pkt_ip(S1), 53, &sa),
			 0);
	for (i = 0; i < bpf_map__max_entries(H.dp.skel->maps.cgnat_blocks); i++)
		if (H.dp.v.blocks[i].owner &&
		    H.dp.v.blocks[i].sub_addr == pkt_ip(H1))
			bid = i;
	assert_true(bid != ~0u);
	blk = H.dp.v.blocks[bid];
	before = h_now_ns();

	sync_out();
	/* Blocks before mappings before sessions. */
	assert_int_equal(recs[0].type, HS_BULK_START);
	assert_int_equal(recs[1].type, HS_BLOCK);
	assert_int_equal(count_type(HS_BLOCK), 2); /* H1's and H2's */
	assert_int_equal(count_type(HS_MAP), 2);
	assert_true(count_type(HS_SESS) >= 2);
	for (i = 1; i + 1 < (__u32)nrecs; i++)
		assert_true(recs[i].type <= recs[i + 1].type ||
			    recs[i + 1].type == HS_BULK_END);

	/* The standby: a fresh load, nothing granted, nothing of its own. */
	teardown(st);
	assert_int_equal(h_load(&H, 1, 256, 8, 0), 0);
	assert_int_equal(h_sess(&H, 17, pkt_ip(H1), 5000, pkt_ip(S1), 53, &sb),
			 -ENOENT);
	apply_all();

	/* Same holding: block, holder by address, assigned time. */
	assert_int_equal(H.dp.v.blocks[bid].sub_addr, pkt_ip(H1));
	assert_true(H.dp.v.blocks[bid].owner != 0);
	assert_true(H.dp.v.blocks[bid].assigned_tai_ns == blk.assigned_tai_ns);
	assert_int_equal(H.dp.v.subs[H.dp.v.blocks[bid].owner - 1].addr,
			 pkt_ip(H1));
	/* Same expiry in time remaining (the sync took under 1 s here). */
	assert_int_equal(h_sess(&H, 17, pkt_ip(H1), 5000, pkt_ip(S1), 53, &sb),
			 0);
	assert_int_equal(sb.ext_port, htons(pu));
	assert_true(sb.expires_ns + (h_now_ns() - before) + 1000000 >=
		    sa.expires_ns);
	assert_true(sb.expires_ns <=
		    sa.expires_ns + (h_now_ns() - before) + 1000000);

	/* Inbound to the synced endpoints reaches the subscribers ... */
	xlate_in(spec(17, S1, 53, ip_str(ext_u, 0), pu, H_OUTSIDE), H1, 5000);
	back.tcp_flags = 0x10; /* ACK of an established flow */
	xlate_in(back, H2, 40000);
	/* ... and outbound keeps its external address:port. */
	assert_int_equal(xlate_out(&u, &ext_n), pu);
	assert_int_equal(ext_n, ext_u);
	t.tcp_flags = 0x10;
	assert_int_equal(xlate_out(&t, &ext_n), pt);
	/* The synced ports are taken in the standby's bitmaps (one pool
	 * address: index 0) ...
	 */
	assert_true(H.dp.v.ports[CGNAT_P_UDP].w[pu / 64] & 1ull << (pu % 64));
	assert_true(H.dp.v.ports[CGNAT_P_TCP].w[pt / 64] & 1ull << (pt % 64));
	/* ... and a new flow of H1 takes a new port from the synced block. */
	n2 = spec(17, H1, 5002, S2, 53, H_INSIDE);
	pn = xlate_out(&n2, &ext_n);
	assert_true(pn != pu);
	assert_int_equal(ext_n, ext_u);
	assert_int_equal((pn - 1024) / 256, (pu - 1024) / 256);

	/* The active's deletes: session, then mapping; inbound then dies. */
	for (i = 0; i < (__u32)nrecs; i++) {
		if (recs[i].type == HS_SESS &&
		    recs[i].sess.key.int_port == htons(5000)) {
			recs[i].type = HS_SESS_DEL;
			assert_int_equal(hst_apply(&H.dp, &recs[i], h_now_ns(),
						   boot_ns()),
					 0);
		}
		if (recs[i].type == HS_MAP &&
		    recs[i].map.int_port == htons(5000)) {
			recs[i].type = HS_MAP_DEL;
			assert_int_equal(hst_apply(&H.dp, &recs[i], h_now_ns(),
						   boot_ns()),
					 0);
		}
	}
	assert_int_equal(h_sess(&H, 17, pkt_ip(H1), 5000, pkt_ip(S1), 53, &sb),
			 -ENOENT);
	back = spec(17, S1, 53, ip_str(ext_u, 0), pu, H_OUTSIDE);
	assert_int_not_equal(run(H_OUTSIDE, &back, out, &olen), XDP_REDIRECT);

	/* A new bulk sync forgets it all first; slots go back to the free
	 * queue, so the same bulk applies again and serves again.
	 */
	assert_int_equal(hst_apply(&H.dp, &recs[0], h_now_ns(), boot_ns()), 0);
	assert_int_equal(recs[0].type, HS_BULK_START);
	assert_int_equal(h_sess(&H, 6, pkt_ip(H2), 40000, pkt_ip(S1), 443, &sb),
			 -ENOENT);
	assert_int_equal(H.dp.v.blocks[bid].owner, 0);
	assert_int_equal(H.dp.v.blocks[bid].assigned_tai_ns, 0);
	assert_int_equal(H.dp.v.ports[CGNAT_P_TCP].w[pt / 64], 0);
	back = spec(6, S1, 443, ip_str(ext_t, 0), pt, H_OUTSIDE);
	back.tcp_flags = 0x10;
	assert_int_not_equal(run(H_OUTSIDE, &back, out, &olen), XDP_REDIRECT);
	for (i = 0; i < (__u32)nrecs; i++)
		if (recs[i].type == HS_SESS_DEL || recs[i].type == HS_MAP_DEL)
			recs[i].type = recs[i].type - 1;
	apply_all();
	xlate_in(back, H2, 40000);
	xlate_in(spec(17, S1, 53, ip_str(ext_u, 0), pu, H_OUTSIDE), H1, 5000);
}

static int emit_count(struct hs_rec *r, void *ctx)
{
	int *c = ctx;

	c[r->type]++;
	if (r->type == HS_SESS && r->sess.key.int_port == htons(6123))
		recs[0] = *r;
	return 0;
}

/* The periodic refresh: a whole cycle in bounded batches sends every live
 * block, mapping and session once, and wraps around.
 */
/* The OUT half of H1:port's UDP mapping. */
static int pcp_out(__u16 port, struct cgnat_map *m)
{
	struct cgnat_map_key k = {.addr = pkt_ip(H1), .port = htons(port),
				  .proto = 17, .dir = CGNAT_DIR_OUT};

	return bpf_map_lookup_elem(bpf_map__fd(H.dp.skel->maps.cgnat_mappings),
				   &k, m);
}

/* A PCP MAP's flags and lifetime reach the standby (hs_map pcp_left_s),
 * both halves, the lifetime on the standby's clock; a plain mapping
 * stays plain.
 */
static void test_pcp_mapping_synced(void **st)
{
	struct pkt_spec u = spec(17, H1, 5000, S1, 53, H_INSIDE);
	struct pkt_spec v = spec(17, H1, 5001, S1, 53, H_INSIDE);
	int fd = bpf_map__fd(H.dp.skel->maps.cgnat_mappings);
	int fi = bpf_map__fd(H.dp.skel->maps.cgnat_map_in);
	struct cgnat_map_key ik = {.proto = 17, .dir = CGNAT_DIR_IN};
	__u32 until = h_now_ns() / 1000000000ull + 500, ext, t_sync, t_apply;
	struct cgnat_map_in im;
	struct cgnat_map m;

	(void)st;
	xlate_out(&u, &ext);
	xlate_out(&v, &ext);
	assert_int_equal(pcp_out(5000, &m), 0);
	m.flags = CGNAT_MAP_PCP | CGNAT_MAP_PCP_IN;
	m.pcp_until_s = until;
	assert_int_equal(bpf_map_update_elem(fd, &(struct cgnat_map_key){
			.addr = pkt_ip(H1), .port = htons(5000), .proto = 17,
			.dir = CGNAT_DIR_OUT}, &m, BPF_EXIST), 0);
	t_sync = h_now_ns() / 1000000000ull;
	sync_out();
	teardown(st);
	assert_int_equal(h_load(&H, 1, 256, 8, 0), 0);
	apply_all();
	t_apply = h_now_ns() / 1000000000ull;
	assert_int_equal(pcp_out(5000, &m), 0);
	assert_int_equal(m.flags, CGNAT_MAP_PCP | CGNAT_MAP_PCP_IN);
	/* Time remaining travels, so the standby's expiry is the active's
	 * plus the seconds the test spent between sync and apply (a reload
	 * that takes seconds under load or SANITIZE=1). */
	assert_in_range(m.pcp_until_s, until - 1, until + 1 + t_apply - t_sync);
	ik.addr = m.addr;
	ik.port = m.port;
	assert_int_equal(bpf_map_lookup_elem(fi, &ik, &im), 0);
	assert_int_equal(im.flags, m.flags);
	assert_int_equal(im.pcp_until_s, m.pcp_until_s);
	assert_int_equal(pcp_out(5001, &m), 0);
	assert_int_equal(m.flags, 0);
	assert_int_equal(m.pcp_until_s, 0);
}

static void test_refresh_cycle(void **st)
{
	struct hst_cursor c = {0};
	int cnt[HS_TYPE_MAX] = {0}, full[HS_TYPE_MAX] = {0};
	int steps = 0, rc, i;
	__u64 n, tot;
	uint8_t out[512];
	size_t olen;
	uint32_t ext;
	uint16_t port;

	(void)st;
	for (i = 0; i < 300; i++) {
		struct pkt_spec u = spec(17, H1, 6000 + i, S1, 53, H_INSIDE);

		assert_int_equal(run(H_INSIDE, &u, out, &olen), XDP_REDIRECT);
	}
	assert_int_equal(
		hst_scan(&H.dp, h_now_ns(), boot_ns(), emit_count, full, &tot),
		0);
	assert_int_equal(full[HS_MAP], 300);
	assert_int_equal(full[HS_SESS], 300);
	assert_true(full[HS_BLOCK] >= 2); /* 300 ports: two blocks */
	do {
		rc = hst_refresh_step(&H.dp, &c, h_now_ns(), boot_ns(),
				      emit_count, cnt, &n);
		assert_true(rc >= 0);
		assert_true(n <= HST_BATCH || (steps == 0 && c.phase == 1));
		steps++;
	} while (rc == 0 && steps < 100);
	assert_int_equal(rc, 1);
	assert_int_equal(c.phase, 0); /* wraps to blocks */
	assert_memory_equal(cnt, full, sizeof(cnt));
	assert_true(steps >= 1 + 2 + 2); /* 300 mappings, 300 sessions */

	/* What the cycle sent for one flow serves it on a fresh standby. */
	port = ntohs(recs[0].sess.ext_port);
	ext = recs[0].sess.ext_addr;
	nrecs = 0;
	memset(cnt, 0, sizeof(cnt));
	c = (struct hst_cursor){0};
	do {
		rc = hst_refresh_step(&H.dp, &c, h_now_ns(), boot_ns(), to_recs,
				      NULL, &n);
	} while (rc == 0);
	teardown(st);
	assert_int_equal(h_load(&H, 1, 256, 8, 0), 0);
	apply_all();
	xlate_in(spec(17, S1, 53, ip_str(ext, 0), port, H_OUTSIDE), H1, 6123);
}

static void test_out_of_order_refused(void **st)
{
	struct hs_rec r = {.type = HS_MAP,
			   .map = {pkt_ip(H3), 0, htons(1), 0, 17, 0}};

	(void)st;
	r.map.ext_addr = H.addrs[0];
	r.map.ext_port = htons(2000);
	/* A mapping of a subscriber with no block: the stream is broken. */
	assert_int_equal(hst_apply(&H.dp, &r, h_now_ns(), boot_ns()), -ENOENT);
	/* A block id beyond this box's pool: the configurations differ. */
	r = (struct hs_rec){
		.type = HS_BLOCK,
		.block = {.id = 1u << 30, .sub_addr = pkt_ip(H3), .held = 1}};
	assert_int_equal(hst_apply(&H.dp, &r, h_now_ns(), boot_ns()), -ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_standby_takes_over_flows,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcp_mapping_synced, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refresh_cycle, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order_refused,
						setup_empty, teardown),
	};

	if (h_netns())
		return 1;
	return cmocka_run_group_tests_name("bpf_ha", tests, NULL, NULL);
}
