// SPDX-License-Identifier: GPL-2.0
/*
 * sink.bpf.c - the live bench's receiver, attached to the end hosts'
 * veths: counts and drops every frame carrying the bench marker, and
 * passes everything else (ARP, the tools' own traffic) to the kernel.
 * Each marked frame is checked against what the box under test should
 * have done (lb_sink_cfg.expect); while learning, the source endpoint of
 * each flow is recorded in lb_ext for the inbound generator, and both
 * checksums are verified in full.
 *
 * xdp_pass is the do-nothing program that gives a veth NAPI for the
 * kernel paths (a frame redirected into a veth whose peer has neither XDP
 * nor GRO is lost without a trace).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "tests/bench/live_common.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_sink_cfg);
} lb_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_C_MAX);
	__type(key, __u32);
	__type(value, __u64);
} lb_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_EXT_MAX);
	__type(key, __u32);
	__type(value, struct lb_ext);
} lb_ext SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&lb_cnt, &idx);

	if (v)
		*v += 1;
}

static __always_inline __u32 sum16(const __u16 *w, int n, const void *end)
{
	__u32 s = 0;
	int i;

	for (i = 0; i < n; i++) {
		if ((const void *)(w + i + 1) > end)
			break;
		s += w[i];
	}
	return s;
}

static __always_inline __u16 fold(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

/* Full IPv4 header and L4 checksum check of a 60-byte bench frame. */
static __always_inline int csum_ok(const struct iphdr *ip, const void *end)
{
	const void *l4 = (const void *)(ip + 1);
	__u32 len = LB_FRAME_LEN - LB_L4_OFF, s;

	if (fold(sum16((const __u16 *)ip, 10, end)) != 0xffff)
		return 0;
	s = sum16((const __u16 *)&ip->saddr, 4, end) + bpf_htons(ip->protocol) +
	    bpf_htons(len);
	s += sum16(l4, (LB_FRAME_LEN - LB_L4_OFF) / 2, end);
	return fold(s) == 0xffff;
}

static __always_inline int expected(__u32 mode, const struct iphdr *ip,
				    const __be16 *ports, __u32 flow)
{
	__be32 addr = bpf_htonl(LB_SUB_BASE + flow / LB_PORTS_PER_SUB);
	__be16 port = bpf_htons(LB_PORT_BASE + flow % LB_PORTS_PER_SUB);

	switch (mode) {
	case LB_EXPECT_POOL:
		return (bpf_ntohl(ip->saddr) & LB_POOL_MASK) == LB_POOL_NET &&
		       bpf_ntohs(ports[0]) >= 1024;
	case LB_EXPECT_SRC:
		return ip->saddr == addr && ports[0] == port;
	case LB_EXPECT_DST:
		return ip->daddr == addr && ports[1] == port;
	}
	return 0;
}

SEC("xdp")
int sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + LB_IP_OFF;
	__be16 *ports = data + LB_L4_OFF;
	struct lb_sink_cfg *cfg;
	__u32 zero = 0, flow;
	__u8 *mark;

	if (data + LB_FRAME_LEN > end)
		return XDP_PASS;
	if (((struct ethhdr *)data)->h_proto != bpf_htons(0x0800) ||
	    *(__u8 *)ip != 0x45)
		return XDP_PASS;
	if (ip->protocol == IPPROTO_UDP)
		mark = data + LB_UDP_PAY_OFF;
	else if (ip->protocol == IPPROTO_TCP)
		mark = data + LB_TCP_PAY_OFF;
	else
		return XDP_PASS;
	if (*(__be16 *)mark != bpf_htons(LB_MAGIC))
		return XDP_PASS;
	flow = bpf_ntohl(*(__be32 *)(mark + 2));
	count(LB_C_RX);
	cfg = bpf_map_lookup_elem(&lb_cfg, &zero);
	if (!cfg)
		return XDP_DROP;
	if (expected(cfg->expect, ip, ports, flow))
		count(LB_C_OK);
	if (cfg->learn) {
		struct lb_ext *e = bpf_map_lookup_elem(&lb_ext, &flow);

		if (!csum_ok(ip, end))
			count(LB_C_CSUM_BAD);
		if (e && e->gen != (__u16)cfg->learn) {
			e->addr = ip->saddr;
			e->port = ports[0];
			e->gen = cfg->learn;
			count(LB_C_LEARNED);
		}
	}
	return XDP_DROP;
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}
