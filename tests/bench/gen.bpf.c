// SPDX-License-Identifier: GPL-2.0
/*
 * gen.bpf.c - the live bench's traffic generator, run by the driver with
 * BPF_PROG_TEST_RUN and BPF_F_TEST_XDP_LIVE_FRAMES: every run writes the
 * whole 60-byte frame from the template (recycled pages keep whatever the
 * previous trip through the box left in them), sets the endpoint of the
 * next flow, the flow index in the payload marker, fixes both checksums
 * incrementally and redirects the frame into the generator's veth.
 *
 * Outbound, flow i comes from the subscriber endpoint of live_common.h.
 * Inbound, it goes to the external endpoint the outbound sink learned
 * for flow i (map lb_ext, reused from the sink), so the same frames work
 * through cgnat, nftables, the kernel and the plain forwarder.
 *
 * The template holds zero in the fields set per flow, and its checksums
 * are computed over those zeros: adding the new words is the whole
 * update (RFC 1624 with m = 0).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "tests/bench/live_common.h"

char LICENSE[] SEC("license") = "GPL";

/* The frame, as words: each is read from the map at run time (a cast
 * that drops volatile would let the compiler fold the zeros it was
 * initialised with).
 */
const volatile __u64 tmpl[8] = {};
const volatile __u32 out_ifindex = 0;
const volatile __u32 nflows = 1;
const volatile __u32 flow_base = 0;
const volatile __u32 flow_step = 1; /* run i sends flow base + i * step */
const volatile __u32 inbound = 0; /* destination from lb_ext */
const volatile __u32 want_gen = 0; /* lb_ext generation to trust */
const volatile __u32 is_udp = 1;

__u32 cur;
__u64 sent;
__u64 missing; /* inbound flows not learned */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* the driver reuses the sink's map */
	__type(key, __u32);
	__type(value, struct lb_ext);
} lb_ext SEC(".maps");

static __always_inline __u16 fold(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

/* Adds 'add' (a sum of 16-bit words) to the checksum at 'sum'. */
static __always_inline void csum_add(__u16 *sum, __u32 add)
{
	*sum = ~fold((__u16) ~*sum + fold(add));
}

static __always_inline __u32 words32(__u32 v)
{
	return (v >> 16) + (v & 0xffff);
}

static __always_inline void copy_frame(void *data)
{
	__u64 *w = data;
	int i;

	for (i = 0; i < LB_FRAME_LEN / 8; i++)
		w[i] = tmpl[i];
	*(__u32 *)(w + i) = (__u32)tmpl[i];
}

SEC("xdp")
int gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 i = cur, flow, pay = is_udp ? LB_UDP_PAY_OFF : LB_TCP_PAY_OFF;
	__u16 *l4sum = data + (is_udp ? LB_L4_OFF + 6 : LB_L4_OFF + 16);
	__be32 addr, mark;
	__be16 port;

	if (data + LB_FRAME_LEN > end)
		return XDP_ABORTED;
	copy_frame(data);
	cur = i + 1 >= nflows ? 0 : i + 1;
	flow = flow_base + i * flow_step;
	if (inbound) {
		struct lb_ext *e = bpf_map_lookup_elem(&lb_ext, &flow);

		if (!e || e->gen != want_gen) {
			missing++;
			return XDP_DROP;
		}
		addr = e->addr;
		port = e->port;
		*(__be32 *)(data + LB_IP_OFF + 16) = addr;
		*(__be16 *)(data + LB_L4_OFF + 2) = port;
	} else {
		addr = bpf_htonl(LB_SUB_BASE + flow / LB_PORTS_PER_SUB);
		port = bpf_htons(LB_PORT_BASE + flow % LB_PORTS_PER_SUB);
		*(__be32 *)(data + LB_IP_OFF + 12) = addr;
		*(__be16 *)(data + LB_L4_OFF) = port;
	}
	mark = bpf_htonl(flow);
	*(__be32 *)(data + pay + 2) = mark;
	csum_add(data + LB_IP_OFF + 10, words32(addr));
	csum_add(l4sum, words32(addr) + port + words32(mark));
	if (is_udp && !*l4sum)
		*l4sum = 0xffff;
	sent++;
	return bpf_redirect(out_ifindex, 0);
}
