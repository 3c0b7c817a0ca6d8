// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_fwd.bpf.c - the baseline for make bench: a minimal forwarder that
 * rewrites the MAC addresses and redirects through a devmap, the least
 * any XDP router does. cgnat's cost is reported above this.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 fwd_ifindex = 0;
const volatile __u8 fwd_dmac[6] = {};
const volatile __u8 fwd_smac[6] = {};

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} fwd_tx SEC(".maps");

SEC("xdp")
int xdp_fwd(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	__builtin_memcpy(eth->h_dest, (const void *)fwd_dmac, 6);
	__builtin_memcpy(eth->h_source, (const void *)fwd_smac, 6);
	return bpf_redirect_map(&fwd_tx, fwd_ifindex, XDP_DROP);
}
