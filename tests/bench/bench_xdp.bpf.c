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

/* The state floor of a new flow: what any box keeping per-flow state in
 * kernel hash tables pays, in tables shaped and sized like cgnat's (the
 * loader copies their max_entries). bench_floor1 is one lookup that
 * misses and one insert (a session); bench_floor3 adds an EIM mapping
 * pair: a lookup of the internal endpoint that misses, its insert, and
 * the insert of the external endpoint. No port allocation, no checks,
 * no translation: cgnat's new mapping above bench_floor3 is its own work.
 * bench_floor3a is bench_floor3 with the external half of the pair in an
 * array slot indexed by external address and port (64 addresses, one
 * protocol) instead of a hash insert: what a layout whose inbound half
 * the port block owns would pay.
 * Every run must bring a flow not seen before (else XDP_ABORTED).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct cgnat_sess_key);
	__type(value, struct cgnat_sess);
} bench_floor_sess SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct cgnat_map_key);
	__type(value, struct cgnat_map);
} bench_floor_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct cgnat_map_key);
	__type(value, struct cgnat_map_in);
} bench_floor_map_in SEC(".maps");

#define FLOOR_IN_SLOTS (64 << 16)	/* 64 addresses x 65536 ports */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FLOOR_IN_SLOTS);
	__type(key, __u32);
	__type(value, struct cgnat_map_in);
} bench_floor_in SEC(".maps");

/* pair: 0 none, 1 both halves hashed, 2 the external half in an array. */
static __always_inline int floor_new(struct xdp_md *ctx, int pair)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__be16 *ports = (void *)(ip + 1);
	struct cgnat_sess_key k = {};
	struct cgnat_sess sv = {};
	struct cgnat_map_key mk = { .dir = CGNAT_DIR_OUT };
	struct cgnat_map mv = {};
	struct cgnat_map_in iv = {};
	__u32 zero = 0;
	struct bench_tmpl *t = bpf_map_lookup_elem(&bench_tmpl, &zero);

	if (!t || (void *)(ports + 2) > end)
		return XDP_ABORTED;
	nat_key(&k, ip->protocol, ip->saddr, ports[0], ip->daddr, ports[1]);
	if (bpf_map_lookup_elem(&bench_floor_sess, &k))
		return XDP_ABORTED;
	if (pair) {
		mk.addr = ip->saddr;
		mk.port = ports[0];
		mk.proto = ip->protocol;
		if (bpf_map_lookup_elem(&bench_floor_map, &mk))
			return XDP_ABORTED;
		mv.addr = ip->saddr ^ bpf_htonl(0xab000000);
		mv.port = ports[0];
		iv.addr = ip->saddr;
		iv.port = ports[0];
		mk.addr = mv.addr;	/* the external endpoint, first */
		mk.dir = CGNAT_DIR_IN;
		if (pair == 2) {
			__u32 slot = (bpf_ntohl(mk.addr) * 2654435761u >> 26)
					     << 16 | bpf_ntohs(mk.port);
			struct cgnat_map_in *in =
				bpf_map_lookup_elem(&bench_floor_in, &slot);

			if (!in)
				return XDP_ABORTED;
			*in = iv;
		} else if (bpf_map_update_elem(&bench_floor_map_in, &mk, &iv,
					       BPF_NOEXIST)) {
			return XDP_ABORTED;
		}
		mk.addr = ip->saddr;
		mk.dir = CGNAT_DIR_OUT;
		if (bpf_map_update_elem(&bench_floor_map, &mk, &mv,
					BPF_NOEXIST))
			return XDP_ABORTED;
	}
	sv.expires_ns = 1;
	if (bpf_map_update_elem(&bench_floor_sess, &k, &sv, BPF_NOEXIST))
		return XDP_ABORTED;
	eth->h_dest[5] ^= 1;
	eth->h_source[5] ^= 1;
	return bpf_redirect_map(&cgnat_tx, t->ifindex, XDP_DROP);
}

SEC("xdp")
int bench_floor1(struct xdp_md *ctx)
{
	return floor_new(ctx, 0);
}

SEC("xdp")
int bench_floor3(struct xdp_md *ctx)
{
	return floor_new(ctx, 1);
}

SEC("xdp")
int bench_floor3a(struct xdp_md *ctx)
{
	return floor_new(ctx, 2);
}
