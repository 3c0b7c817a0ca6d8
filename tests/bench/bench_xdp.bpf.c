// SPDX-License-Identifier: GPL-2.0
/*
 * bench_xdp.bpf.c - the real cgnat program plus bench entry points that
 * first restore the packet from a template, so that BPF_PROG_TEST_RUN's
 * repeat mode (which reuses one buffer) really takes the established path
 * every iteration. The forwarder baseline pays the same restore. The
 * loader shares cgnat's maps with this object (bpf_map__reuse_fd).
 */
#include "bpf/cgnat.bpf.c"

#define BENCH_LEN 60

struct bench_tmpl {
	__u32 ifindex;		/* forwarder: egress */
	__u8 data[BENCH_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bench_tmpl);
} bench_tmpl SEC(".maps");

static __always_inline struct bench_tmpl *restore(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 zero = 0;
	struct bench_tmpl *t = bpf_map_lookup_elem(&bench_tmpl, &zero);

	if (!t || data + BENCH_LEN > end)
		return 0;
	__builtin_memcpy(data, t->data, BENCH_LEN);
	return t;
}

SEC("xdp")
int bench_inside(struct xdp_md *ctx)
{
	return restore(ctx) ? cgnat_inside_body(ctx) : XDP_ABORTED;
}

SEC("xdp")
int bench_outside(struct xdp_md *ctx)
{
	return restore(ctx) ? cgnat_outside_body(ctx) : XDP_ABORTED;
}

/* Minimal forwarder: MAC rewrite and devmap redirect. */
SEC("xdp")
int bench_fwd(struct xdp_md *ctx)
{
	struct bench_tmpl *t = restore(ctx);
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if (!t || (void *)(eth + 1) > end)
		return XDP_ABORTED;
	eth->h_dest[5] ^= 1;
	eth->h_source[5] ^= 1;
	return bpf_redirect_map(&cgnat_tx, t->ifindex, XDP_DROP);
}
