/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fwd.h - forwarding of translated packets: next hop from bpf_fib_lookup,
 * cached per session and direction so that established flows skip the
 * FIB; redirect through the devmap. The cached answer carries the egress
 * MTU, so each packet's fit is one comparison. A missing neighbour hands
 * the translated packet to the kernel, which resolves it.
 *
 * Validity: a cached next hop holds the next-hop generation it was looked
 * up under. Userspace (daemon/nlwatch.h) bumps the generation on every
 * IPv4 route or address change and every neighbour or link change that
 * can alter a FIB answer (MAC, usability, MTU, carrier), so the first
 * packet after a change looks the FIB up again; a change is seen as soon
 * as the daemon has read its netlink message. cfg->nh_ttl_ns is only a
 * safety lifetime (60 s by default): it bounds the damage of a missed
 * event and of the 16-bit generation in the entry wrapping round. A
 * kernel neighbour entry that ages (REACHABLE to STALE, no traffic of
 * the kernel's own to confirm it) keeps its MAC and stays usable for
 * bpf_fib_lookup; its MAC only changes, or it only goes, with an
 * RTM_NEWNEIGH/RTM_DELNEIGH that bumps the generation.
 *
 * The generation is read before the lookup, so a change that lands
 * between the two leaves the entry already stale rather than valid with
 * the old answer.
 *
 * Race accepted: a cached next hop is rewritten without a lock. Two CPUs
 * refreshing one session write the same FIB answer; a reader may see a
 * half-updated entry only while the route itself changes, costing at most
 * a packet or two to a stale MAC.
 */
#ifndef CGNAT_FWD_H
#define CGNAT_FWD_H

#include "maps.h"
#include "parse.h"

#define AF_INET 2

/* ktime in ~1 ms units for the safety lifetime, wrap-safe comparisons. */
static __always_inline __u32 fwd_now(__u64 now)
{
	return (__u32)(now >> 20);
}

/* FIB lookup for the packet as it will leave: src and dst are the
 * addresses after translation. tot_len 0: the kernel then reports the
 * egress MTU in mtu_result instead of refusing a large packet, so the
 * answer can be cached and compared with each packet's length.
 */
static __always_inline int fwd_fib(struct xdp_md *ctx, struct pkt *p,
				   __be32 src, __be32 dst,
				   struct bpf_fib_lookup *fib)
{
	__builtin_memset(fib, 0, sizeof(*fib));
	fib->family = AF_INET;
	fib->tos = p->ip->tos;
	fib->l4_protocol = p->proto;
	fib->ipv4_src = src;
	fib->ipv4_dst = dst;
	fib->ifindex = ctx->ingress_ifindex;
	stat_inc(STAT_FIB_LOOKUP);
	return bpf_fib_lookup(ctx, fib, sizeof(*fib), 0);
}

/* Caches a FIB answer obtained under generation 'gen' (read before the
 * lookup).
 */
static __always_inline void fwd_nh_fill(struct cgnat_nh *nh,
					const struct bpf_fib_lookup *fib,
					__u32 gen, __u64 now,
					const struct cgnat_cfg *cfg)
{
	nh->ifindex = fib->ifindex;
	__builtin_memcpy(nh->dmac, fib->dmac, 6);
	__builtin_memcpy(nh->smac, fib->smac, 6);
	nh->mtu = fib->mtu_result ? fib->mtu_result : 0xffff;
	nh->gen = (__u16)gen;
	nh->until = fwd_now(now + cfg->nh_ttl_ns);
}

/* 1 while a cached next hop may be used: filled, same generation, safety
 * lifetime not over.
 */
static __always_inline int fwd_nh_valid(const struct cgnat_nh *nh, __u32 gen,
					__u64 now)
{
	return nh->ifindex && nh->gen == (__u16)gen &&
	       (__s32)(nh->until - fwd_now(now)) > 0;
}

/* Next hops per destination, for the first packet of a flow (and for a
 * session whose own entry went stale): a per-CPU direct-mapped table, so
 * repeated destinations skip bpf_fib_lookup and no two CPUs ever write
 * the same line. Keyed by everything fwd_fib() hands the FIB but the
 * source address: the route is taken not to depend on the source, which
 * the session seeding already assumes (its answer was looked up with the
 * subscriber's address, its refreshes use the external one). Valid under
 * the same rules as a session's entry: same generation, safety lifetime
 * not over; a colliding destination simply replaces the slot. Only
 * successful answers are kept: a missing neighbour, a local destination
 * or no route asks the FIB every time.
 */
struct fwd_dst {
	__be32 dst;
	__u32 ifin;		/* ingress ifindex of the lookup */
	__u8 tos;
	__u8 proto;
	__u8 pad[2];
	struct cgnat_nh nh;	/* nh.ifindex 0: empty */
};

#define FWD_DST_SLOTS 4096	/* per CPU; power of two */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FWD_DST_SLOTS);
	__type(key, __u32);
	__type(value, struct fwd_dst);
} cgnat_nh_dst SEC(".maps");

static __always_inline struct fwd_dst *fwd_dst_slot(struct xdp_md *ctx,
						     struct pkt *p, __be32 dst)
{
	__u32 h = ((__u32)dst ^ ctx->ingress_ifindex << 16 ^
		   (__u32)p->ip->tos << 8) * 0x9e3779b1u;

	h >>= 32 - 12;	/* log2(FWD_DST_SLOTS) */
	return bpf_map_lookup_elem(&cgnat_nh_dst, &h);
}

static __always_inline int fwd_dst_match(const struct fwd_dst *d,
					 struct xdp_md *ctx, struct pkt *p,
					 __be32 dst)
{
	return d->dst == dst && d->ifin == ctx->ingress_ifindex &&
	       d->tos == p->ip->tos && d->proto == p->proto;
}

/* Fills *nh from the destination's cached next hop: 1 on a hit. */
static __always_inline int fwd_dst_get(struct xdp_md *ctx, struct pkt *p,
				       __be32 dst, struct cgnat_nh *nh,
				       __u32 gen, __u64 now)
{
	struct fwd_dst *d = fwd_dst_slot(ctx, p, dst);

	if (!d || !fwd_dst_match(d, ctx, p, dst) ||
	    !fwd_nh_valid(&d->nh, gen, now))
		return 0;
	*nh = d->nh;
	return 1;
}

static __always_inline void fwd_dst_put(struct xdp_md *ctx, struct pkt *p,
					__be32 dst,
					const struct cgnat_nh *nh)
{
	struct fwd_dst *d = fwd_dst_slot(ctx, p, dst);

	if (!d)
		return;
	d->dst = dst;
	d->ifin = ctx->ingress_ifindex;
	d->tos = p->ip->tos;
	d->proto = p->proto;
	d->nh = *nh;
}

/* Maps a FIB answer to 0 (nh valid), XDP_PASS, or a negative reason. */
static __always_inline int fwd_fib_rc(int rc)
{
	switch (rc) {
	case BPF_FIB_LKUP_RET_SUCCESS:
		return 0;
	case BPF_FIB_LKUP_RET_NO_NEIGH:
		stat_inc(STAT_PASS_NEIGH);
		return XDP_PASS;
	}
	return -REASON_NO_ROUTE;
}

/* fwd_prepare() answers, besides 0 (send along nh) and negative reasons:
 * XDP_PASS  translate, keep the TTL, and hand the packet to the kernel:
 *           no neighbour entry yet, or too big for the link with DF clear
 *           (the kernel fragments it after translation);
 * FWD_PTB   DF set and too big: leave the packet untranslated and answer
 *           with ICMP 3/4 quoting it as its sender sent it.
 */
#define FWD_PTB 16

/* Refills a stale next hop from the destination's entry or the FIB: 0,
 * XDP_PASS or a negative reason. Not inlined: the 64-byte lookup struct stays off the caller's
 * frame, which is what keeps the deepest call chain within 512 bytes.
 */
static __noinline int fwd_refresh(struct xdp_md *ctx, struct pkt *p,
				  struct cgnat_nh *nh, __be32 src, __be32 dst)
{
	struct cgnat_cfg *cfg = cfg_get();
	__u32 gen = nh_gen_get();
	struct bpf_fib_lookup fib;
	__u64 now;
	int rc;

	if (!cfg)
		return -REASON_CONFLICT;
	now = bpf_ktime_get_coarse_ns();
	if (fwd_dst_get(ctx, p, dst, nh, gen, now))
		return 0;
	rc = fwd_fib_rc(fwd_fib(ctx, p, src, dst, &fib));
	if (!rc) {
		fwd_nh_fill(nh, &fib, gen, now, cfg);
		fwd_dst_put(ctx, p, dst, nh);
	}
	return rc;
}

/* Decides how the packet leaves, before anything in it is rewritten:
 * next hop from the cache or the FIB, and the egress MTU check.
 */
static __always_inline int fwd_prepare(struct xdp_md *ctx, struct pkt *p,
				       struct cgnat_nh *nh, __be32 src,
				       __be32 dst, __u64 now,
				       const struct cgnat_cfg *cfg)
{
	if (!fwd_nh_valid(nh, nh_gen_get(), now)) {
		int rc = fwd_refresh(ctx, p, nh, src, dst);

		if (rc)
			return rc;
	}
	if (bpf_ntohs(p->ip->tot_len) <= nh->mtu)
		return 0;
	if (p->ip->frag_off & bpf_htons(IP_DF))
		return FWD_PTB;
	stat_inc(STAT_PASS_FRAGMENT);
	return XDP_PASS;
}

/* Sends the translated packet along the next hop fwd_prepare() chose. */
static __always_inline int fwd_out(struct pkt *p, const struct cgnat_nh *nh)
{
	long act;

	__builtin_memcpy(p->eth->h_dest, nh->dmac, 6);
	__builtin_memcpy(p->eth->h_source, nh->smac, 6);
	act = bpf_redirect_map(&cgnat_tx, nh->ifindex, XDP_DROP);
	if (act == XDP_DROP)
		return -REASON_NO_ROUTE;
	return act;
}

#endif /* CGNAT_FWD_H */
