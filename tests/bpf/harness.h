/* SPDX-License-Identifier: GPL-2.0 */
/*
 * harness.h - runs the real cgnat XDP program on crafted packets with
 * BPF_PROG_TEST_RUN inside a private network namespace whose routes and
 * neighbours make bpf_fib_lookup answer like a real box. Shared by the
 * packet tests and the ns/packet bench.
 *
 * Testbed (all inside the process's own netns):
 *   tin  02:00:00:00:01:01 100.64.0.1/10   subscribers H1 .0.10, H2 .0.11,
 *                                          H3 100.64.1.10 (static neigh)
 *   tout 02:00:00:00:02:01 192.0.2.1/24    gateway 192.0.2.2 (static neigh)
 *   pool 203.0.113.1-4, subscribers 100.64.0.0/10
 */
#ifndef CGNAT_TEST_HARNESS_H
#define CGNAT_TEST_HARNESS_H

#include <stdint.h>
#include "bpf/loader.h"
#include "allocator/det_dp.h"
#include "allocator/pb.h"
#include "tests/bpf/pkt.h"

#define H_INSIDE 0
#define H_OUTSIDE 1

extern const uint8_t h_mac_tin[6], h_mac_tout[6], h_mac_gw[6];
extern const uint8_t h_mac_h1[6], h_mac_h2[6], h_mac_h3[6];

struct harness {
	struct dp dp;
	struct dp_opts o;
	struct pb pb;
	struct pb_views pv;
	int ifindex[2];
	int prog[2];
	uint32_t addrs[4];
	uint32_t addr_pool[4];
	struct dp_prefix prefix;
	/* h_load_det(): two pools, prefixes[0] PBA, [1] deterministic. */
	struct dp_prefix prefixes[2];
	struct det_layout det;
	struct det_dp *det_dp;
};

/* Enters a fresh netns and builds the testbed, the process pinned to the
 * CPU it is on (its events then come in order, from one ring); once per
 * process.
 */
int h_netns(void);

/* Loads the program with 'n_addrs' pool addresses and the given block
 * geometry, and stocks the grant slots (unless 'stock' is 0).
 */
int h_load(struct harness *h, uint32_t n_addrs, uint32_t block_size,
	   uint32_t max_blocks, int stock);
/* Same with explicit table sizes (bench). */
int h_load_sized(struct harness *h, uint32_t n_addrs, uint32_t block_size,
		 uint32_t max_blocks, int stock, uint32_t sessions,
		 uint32_t subscribers);
/* Two pools over the four addresses: pool 0 (PBA) 203.0.113.1-2 for
 * 100.64.0.0/10, pool 1 deterministic 203.0.113.3-4 for 100.64.1.0/24
 * (H3) with 'pps' ports per subscriber and 'overflow' blocks. h->det is
 * the layout; the allocator reserves the deterministic region.
 */
int h_load_det(struct harness *h, uint32_t block_size, uint32_t pps,
	       uint32_t overflow);
void h_unload(struct harness *h);

/* Runs one packet; returns the XDP action, output in out/olen. */
int h_run(struct harness *h, int side, const uint8_t *in, size_t len,
	  uint8_t *out, size_t *olen);
/* Runs program fd 'prog' once on a fresh copy of 'in' arriving on
 * 'ifindex'; *ns gets the kernel's measured run time.
 */
int h_run_timed(int prog, int ifindex, const uint8_t *in, size_t len,
		uint32_t *ns);

uint64_t h_stat(struct harness *h, int idx);
int h_sess(struct harness *h, uint8_t proto, uint32_t int_addr,
	   uint16_t int_port, uint32_t rem_addr, uint16_t rem_port,
	   struct cgnat_sess *out);
uint64_t h_now_ns(void);
/* Names session 'k' in the due index with expiry 'exp', as the data
 * plane's log of a shortened timer does once cgnatd drains it
 * (bpf/due.h). Returns 0, or -1 when its bucket has no slot for it.
 */
int h_due_note(struct harness *h, const struct cgnat_sess_key *k,
	       uint64_t exp);
/* CLOCK_TAI - CLOCK_MONOTONIC now: a block's last use in the log's clock. */
uint64_t h_tai_off_ns(void);
/* max_entries of the map pinned as dir/name, or -1. */
int h_pinned_size(const char *dir, const char *name);

#endif /* CGNAT_TEST_HARNESS_H */
