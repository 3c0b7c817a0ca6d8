// SPDX-License-Identifier: GPL-2.0
/*
 * fwd.bpf.c - the live bench's baselines. fwd is the least an XDP router
 * does: rewrite both MAC addresses and redirect through a devmap. It is
 * bpf/xdp_fwd.bpf.c with the MACs read from rodata at run time: there,
 * casting the const volatile arrays for __builtin_memcpy lets clang fold
 * them to the zeros they were initialised with, so it writes zero MACs.
 *
 * fwd_state adds the least any stateful box does: one lookup of the
 * packet's flow in a hash table as large as cgnat's session table (a
 * miss inserts it). Both directions find the same entry, the key being
 * written from the subscriber's side. It is the floor of per-flow state
 * on this machine, what cgnat can at best approach at high flow counts.
 *
 * With fwd_pair (fwd_state3), a subscriber's packet that inserts a flow
 * also does what an EIM NAT's new mapping does in its tables: a lookup
 * of the internal endpoint that misses, its insert and the insert of the
 * external endpoint (a mapping pair, each half in a table of its own as
 * large as the flows', as cgnat's). The floor of a new mapping in kernel
 * hash tables.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 fwd_ifindex = 0;
/* MAC addresses in the low 6 bytes, as they sit in the frame. */
const volatile __u64 fwd_dmac = 0;
const volatile __u64 fwd_smac = 0;
const volatile __u32 fwd_reverse = 0; /* fwd_state: packet from the far side */
const volatile __u32 fwd_pair = 0; /* fwd_state3: and a mapping pair */

/* As cgnat's session key and value: 16 and 64 bytes. */
struct flow_key {
	__be32 sub_addr;
	__be32 rem_addr;
	__be16 sub_port;
	__be16 rem_port;
	__u8 proto;
	__u8 pad[3];
};

struct flow_val {
	__u64 created;
	__u64 pad[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1048576);
	__type(key, struct flow_key);
	__type(value, struct flow_val);
} fwd_flows SEC(".maps");

/* As cgnat's mapping key and halves' values: 8, 40 and 16 bytes. */
struct map_key {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 dir;
};

struct map_val {
	__be32 addr;
	__be16 port;
	__u16 pad;
	__u64 rest[4];
};

struct map_in_val {
	__be32 addr;
	__be16 port;
	__u16 pad;
	__u32 rest[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1048576);
	__type(key, struct map_key);
	__type(value, struct map_val);
} fwd_maps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1048576);
	__type(key, struct map_key);
	__type(value, struct map_in_val);
} fwd_maps_in SEC(".maps");

__u64 fwd_misses;

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} fwd_tx SEC(".maps");

static __always_inline void put_mac(__u8 *p, __u64 mac)
{
	*(__u32 *)p = (__u32)mac;
	*(__u16 *)(p + 4) = (__u16)(mac >> 32);
}

static __always_inline int send(struct ethhdr *eth)
{
	put_mac(eth->h_dest, fwd_dmac);
	put_mac(eth->h_source, fwd_smac);
	return bpf_redirect_map(&fwd_tx, fwd_ifindex, XDP_DROP);
}

SEC("xdp")
int fwd(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	return send(eth);
}

/* The mapping pair of a new flow's internal endpoint, unless it has one. */
static __always_inline int new_pair(const struct flow_key *f)
{
	struct map_key k = {
		.addr = f->sub_addr, .port = f->sub_port, .proto = f->proto
	};
	struct map_val v = {.addr = f->sub_addr ^ bpf_htonl(0xab000000),
			    .port = f->sub_port};
	struct map_in_val iv = {.addr = f->sub_addr, .port = f->sub_port};

	if (bpf_map_lookup_elem(&fwd_maps, &k))
		return 0;
	k.addr = v.addr;	/* the external endpoint: inserted first */
	k.dir = 1;
	if (bpf_map_update_elem(&fwd_maps_in, &k, &iv, BPF_NOEXIST))
		return -1;
	k.addr = f->sub_addr;
	k.dir = 0;
	return bpf_map_update_elem(&fwd_maps, &k, &v, BPF_NOEXIST) ? -1 : 0;
}

SEC("xdp")
int fwd_state(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__be16 *ports = (void *)(ip + 1);
	struct flow_key k = {};
	struct flow_val *v;

	if ((void *)(ports + 2) > end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(0x0800) || ip->ihl != 5)
		return XDP_PASS;
	k.proto = ip->protocol;
	if (fwd_reverse) {
		k.sub_addr = ip->daddr;
		k.rem_addr = ip->saddr;
		k.sub_port = ports[1];
		k.rem_port = ports[0];
	} else {
		k.sub_addr = ip->saddr;
		k.rem_addr = ip->daddr;
		k.sub_port = ports[0];
		k.rem_port = ports[1];
	}
	v = bpf_map_lookup_elem(&fwd_flows, &k);
	if (!v) {
		struct flow_val nv = {.created = bpf_ktime_get_ns()};

		fwd_misses++;
		if (fwd_pair && !fwd_reverse && new_pair(&k))
			return XDP_DROP;
		if (bpf_map_update_elem(&fwd_flows, &k, &nv, BPF_NOEXIST))
			return XDP_DROP;
	} else if (!v->created) {
		return XDP_DROP; /* reads the entry, as a NAT would */
	}
	return send(eth);
}
