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
	int i;

	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	/* Element by element: a memcpy from the cast arrays lets clang fold
	 * them to their zero initial values.
	 */
	for (i = 0; i < 6; i++) {
		eth->h_dest[i] = fwd_dmac[i];
		eth->h_source[i] = fwd_smac[i];
	}
	return bpf_redirect_map(&fwd_tx, fwd_ifindex, XDP_DROP);
}
