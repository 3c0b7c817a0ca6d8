// SPDX-License-Identifier: GPL-2.0
/*
 * harness.c - see harness.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/cgnat.skel.h"
#include "bpf/sweep_due.h"
#include "tests/bpf/harness.h"

const uint8_t h_mac_tin[6] = { 2, 0, 0, 0, 1, 1 };
const uint8_t h_mac_tout[6] = { 2, 0, 0, 0, 2, 1 };
const uint8_t h_mac_gw[6] = { 2, 0, 0, 0, 2, 2 };
const uint8_t h_mac_h1[6] = { 2, 0, 0, 0, 0x0a, 0x0a };
const uint8_t h_mac_h2[6] = { 2, 0, 0, 0, 0x0a, 0x0b };
const uint8_t h_mac_h3[6] = { 2, 0, 0, 0, 0x0a, 0x0c };

static const char *const testbed[] = {
	"ip link set lo up",
	"ip link add tin address 02:00:00:00:01:01 type veth peer name tin_p",
	"ip link add tout address 02:00:00:00:02:01 type veth peer name tout_p",
	"ip link set tin up", "ip link set tin_p up",
	"ip link set tout up", "ip link set tout_p up",
	"ip addr add 100.64.0.1/10 dev tin",
	"ip addr add 192.0.2.1/24 dev tout",
	"ip neigh add 100.64.0.10 lladdr 02:00:00:00:0a:0a nud permanent dev tin",
	"ip neigh add 100.64.0.11 lladdr 02:00:00:00:0a:0b nud permanent dev tin",
	"ip neigh add 100.64.1.10 lladdr 02:00:00:00:0a:0c nud permanent dev tin",
	"ip neigh add 192.0.2.2 lladdr 02:00:00:00:02:02 nud permanent dev tout",
	"ip route add default via 192.0.2.2",
	"ip route add blackhole 203.0.113.0/24",
	"sysctl -qw net.ipv4.ip_forward=1",
};

int h_netns(void)
{
	cpu_set_t one;
	size_t i;

	/* Events go to the ring of the CPU that ran the packet: a test reads
	 * them in the order its packets ran only if they all ran on one CPU.
	 */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	if (sched_setaffinity(0, sizeof(one), &one)) {
		perror("sched_setaffinity");
		return -errno;
	}
	if (unshare(CLONE_NEWNET)) {
		perror("unshare(CLONE_NEWNET)");
		return -errno;
	}
	for (i = 0; i < sizeof(testbed) / sizeof(testbed[0]); i++)
		if (system(testbed[i])) {
			fprintf(stderr, "testbed: '%s' failed\n", testbed[i]);
			return -EIO;
		}
	return 0;
}

static uint64_t h_clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

uint64_t h_now_ns(void)
{
	return h_clock_ns(CLOCK_MONOTONIC);
}

int h_due_note(struct harness *h, const struct cgnat_sess_key *k,
	       uint64_t exp)
{
	return sweep_due_put(&h->dp, k, exp);
}

uint64_t h_tai_off_ns(void)
{
	return h_clock_ns(CLOCK_TAI) - h_clock_ns(CLOCK_MONOTONIC);
}

static void h_cfg(struct cgnat_cfg *c, uint32_t max_blocks)
{
	memset(c, 0, sizeof(*c));
	c->udp_timeout_ns = 300ull * 1000000000;
	c->tcp_est_timeout_ns = 7440ull * 1000000000;
	c->tcp_trans_timeout_ns = 240ull * 1000000000;
	c->icmp_timeout_ns = 60ull * 1000000000;
	c->nh_ttl_ns = 60000000000ull;
	c->evt_interval_ns = 1000000000ull;
	c->filtering = CGNAT_FILTER_EIF;
	c->hairpinning = 1;
	c->parity = 1;
	c->max_blocks = max_blocks;
	c->sess_per_sub = 0;
	c->icmp_src = pkt_ip("100.64.0.1");
	c->icmp_src_out = pkt_ip("192.0.2.1");
}

int h_load(struct harness *h, uint32_t n_addrs, uint32_t block_size,
	   uint32_t max_blocks, int stock)
{
	return h_load_sized(h, n_addrs, block_size, max_blocks, stock, 4096,
			    64);
}

/* The deterministic half of h_load_det(), before the load. */
static int h_det_opts(struct harness *h, uint32_t pps, uint32_t overflow)
{
	struct det_prefix in = { ntohl(pkt_ip("100.64.1.0")), 24 };
	struct det_prefix out[2] = { { ntohl(pkt_ip("203.0.113.3")), 32 },
				     { ntohl(pkt_ip("203.0.113.4")), 32 } };
	__be32 nbo[4];
	uint32_t i;
	int rc;

	rc = det_layout_init(&h->det, &in, 1, out, 2, 1024, 65535, pps, false);
	if (rc)
		return rc;
	h->det_dp = calloc(1, sizeof(*h->det_dp));
	if (!h->det_dp)
		return -ENOMEM;
	for (i = 0; i < 4; i++)
		nbo[i] = h->addrs[i];
	rc = det_dp_build(&h->det, 1, overflow, nbo, 4, h->det_dp);
	if (rc)
		return rc;
	h->o.det_pools[1] = h->det_dp->pool;
	h->o.n_det_prefixes = h->det_dp->n_prefixes;
	h->o.det_prefixes = h->det_dp->prefixes;
	h->o.n_det_ext = h->det_dp->n_ext;
	h->o.det_ext = h->det_dp->ext;
	h->prefixes[0] = (struct dp_prefix){ pkt_ip("100.64.0.0"), 10, 0 };
	h->prefixes[1] = (struct dp_prefix){ pkt_ip("100.64.1.0"), 24, 1 };
	h->o.n_prefixes = 2;
	h->o.prefixes = h->prefixes;
	h->addr_pool[2] = h->addr_pool[3] = 1;
	return 0;
}

static int h_load_full(struct harness *h, uint32_t n_addrs,
		       uint32_t block_size, uint32_t max_blocks, int stock,
		       uint32_t sessions, uint32_t subscribers, uint32_t pps,
		       uint32_t overflow)
{
	uint32_t i, n_pools = 1;
	int rc;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < n_addrs && i < 4; i++) {
		char a[32];

		snprintf(a, sizeof(a), "203.0.113.%u", i + 1);
		h->addrs[i] = pkt_ip(a);
	}
	h->prefix.addr = pkt_ip("100.64.0.0");
	h->prefix.len = 10;
	h->o.sessions = sessions;
	h->o.subscribers = subscribers;
	h->o.n_addrs = n_addrs;
	h->o.addrs = h->addrs;
	h->o.addr_pool = h->addr_pool;
	h->o.n_prefixes = 1;
	h->o.prefixes = &h->prefix;
	h_cfg(&h->o.cfg, max_blocks);
	rc = dp_geometry(&h->o.cfg, 1024, 65535, block_size, n_addrs);
	if (rc)
		return rc;
	if (pps) {
		rc = h_det_opts(h, pps, overflow);
		if (rc)
			return rc;
		n_pools = 2;
	}
	rc = dp_open(&h->dp, &h->o);
	if (rc) {
		fprintf(stderr, "dp_open: %s\n", h->dp.err);
		return rc;
	}
	h->ifindex[H_INSIDE] = if_nametoindex("tin");
	h->ifindex[H_OUTSIDE] = if_nametoindex("tout");
	h->prog[H_INSIDE] = bpf_program__fd(h->dp.skel->progs.cgnat_inside);
	h->prog[H_OUTSIDE] = bpf_program__fd(h->dp.skel->progs.cgnat_outside);
	if (dp_add_tx(&h->dp, h->ifindex[0]) || dp_add_tx(&h->dp, h->ifindex[1]))
		return -EIO;
	h->pv.grant_addr = h->dp.v.grant_addr;
	h->pv.grant_new = h->dp.v.grant_new;
	h->pv.addr_dry = h->dp.v.addr_dry;
	h->pv.blocks = h->dp.v.blocks;
	h->pv.subs = h->dp.v.subs;
	h->pv.n_subs = subscribers;
	h->pv.ports = h->dp.v.ports;
	h->pv.addrs = h->addrs;
	rc = pb_init(&h->pb, n_addrs, h->o.cfg.blocks_per_addr, h->addr_pool,
		     n_pools);
	if (!rc)
		det_dp_reserve(&h->pb, &h->o);
	if (!rc)
		pb_set_policy(&h->pb,
			      &(struct pb_policy){ .idle_release_ms = 1000,
						   .quarantine_ms = 120000 },
			      1024, block_size);
	if (!rc && stock)
		pb_refill(&h->pb, &h->pv);
	return rc;
}

int h_load_sized(struct harness *h, uint32_t n_addrs, uint32_t block_size,
		 uint32_t max_blocks, int stock, uint32_t sessions,
		 uint32_t subscribers)
{
	return h_load_full(h, n_addrs, block_size, max_blocks, stock, sessions,
			   subscribers, 0, 0);
}

int h_load_det(struct harness *h, uint32_t block_size, uint32_t pps,
	       uint32_t overflow)
{
	return h_load_full(h, 4, block_size, 8, 1, 1 << 16, 512, pps, overflow);
}

void h_unload(struct harness *h)
{
	free(h->det_dp);
	pb_free(&h->pb);
	dp_close(&h->dp);
}

int h_run(struct harness *h, int side, const uint8_t *in, size_t len,
	  uint8_t *out, size_t *olen)
{
	struct xdp_md ctx = { .data_end = len,
			      .ingress_ifindex = h->ifindex[side] };
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = in, .data_size_in = len,
		    .data_out = out, .data_size_out = *olen, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	int rc = bpf_prog_test_run_opts(h->prog[side], &t);

	if (rc) {
		fprintf(stderr, "test_run: %s\n", strerror(-rc));
		return -1;
	}
	*olen = t.data_size_out;
	return t.retval;
}

int h_run_timed(int prog, int ifindex, const uint8_t *in, size_t len,
		uint32_t *ns)
{
	struct xdp_md ctx = { .data_end = len, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = in, .data_size_in = len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);
	int rc = bpf_prog_test_run_opts(prog, &t);

	if (rc)
		return -1;
	*ns = t.duration;
	return t.retval;
}

uint64_t h_stat(struct harness *h, int idx)
{
	__u64 v[STAT_MAX];

	if (dp_stats(&h->dp, v))
		return ~0ull;
	return v[idx];
}

int h_sess(struct harness *h, uint8_t proto, uint32_t int_addr,
	   uint16_t int_port, uint32_t rem_addr, uint16_t rem_port,
	   struct cgnat_sess *out)
{
	struct cgnat_sess_key k = { .int_addr = int_addr,
				    .rem_addr = rem_addr,
				    .int_port = htons(int_port),
				    .rem_port = htons(rem_port),
				    .proto = proto };

	return bpf_map_lookup_elem(
		bpf_map__fd(h->dp.skel->maps.cgnat_sessions), &k, out);
}

int h_pinned_size(const char *dir, const char *name)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	char path[128];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	rc = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	return rc ? -1 : (int)info.max_entries;
}
