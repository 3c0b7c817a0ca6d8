/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fwd.h - forwarding of translated packets: next hop from bpf_fib_lookup,
 * cached per session and direction for cfg->nh_ttl_ns so that established
 * flows skip the FIB; redirect through the devmap. A missing neighbour
 * hands the translated packet to the kernel, which resolves it.
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

/* ktime in ~1 ms units for next-hop validity, wrap-safe comparisons. */
static __always_inline __u32 fwd_now(__u64 now)
{
	return (__u32)(now >> 20);
}

static __always_inline int fwd_fib(struct xdp_md *ctx, struct pkt *p,
				   struct bpf_fib_lookup *fib)
{
	__builtin_memset(fib, 0, sizeof(*fib));
	fib->family = AF_INET;
	fib->tos = p->ip->tos;
	fib->l4_protocol = p->proto;
	fib->tot_len = bpf_ntohs(p->ip->tot_len);
	fib->ipv4_src = p->ip->saddr;
	fib->ipv4_dst = p->ip->daddr;
	fib->ifindex = ctx->ingress_ifindex;
	stat_inc(STAT_FIB_LOOKUP);
	return bpf_fib_lookup(ctx, fib, sizeof(*fib), 0);
}

static __always_inline void fwd_nh_fill(struct cgnat_nh *nh,
					const struct bpf_fib_lookup *fib,
					__u16 len, __u64 now,
					const struct cgnat_cfg *cfg)
{
	nh->ifindex = fib->ifindex;
	__builtin_memcpy(nh->dmac, fib->dmac, 6);
	__builtin_memcpy(nh->smac, fib->smac, 6);
	/* Largest packet proven to fit the egress MTU. */
	nh->mtu = len;
	nh->until = fwd_now(now + cfg->nh_ttl_ns);
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
	case BPF_FIB_LKUP_RET_FRAG_NEEDED:
		return -REASON_FRAG_NEEDED;
	}
	return -REASON_NO_ROUTE;
}

/* Sends the (already translated) packet along the cached or a fresh next
 * hop. Returns an XDP action or a negative reason.
 */
static __always_inline int fwd_send(struct xdp_md *ctx, struct pkt *p,
				    struct cgnat_nh *nh, __u64 now,
				    const struct cgnat_cfg *cfg)
{
	__u16 len = bpf_ntohs(p->ip->tot_len);
	long act;

	if (!nh->ifindex || (__s32)(nh->until - fwd_now(now)) <= 0 ||
	    len > nh->mtu) {
		struct bpf_fib_lookup fib;
		int rc = fwd_fib_rc(fwd_fib(ctx, p, &fib));

		if (rc)
			return rc;
		if (len < nh->mtu && nh->ifindex == fib.ifindex)
			len = nh->mtu;
		fwd_nh_fill(nh, &fib, len, now, cfg);
	}
	__builtin_memcpy(p->eth->h_dest, nh->dmac, 6);
	__builtin_memcpy(p->eth->h_source, nh->smac, 6);
	act = bpf_redirect_map(&cgnat_tx, nh->ifindex, XDP_DROP);
	if (act == XDP_DROP)
		return -REASON_NO_ROUTE;
	return act;
}

#endif /* CGNAT_FWD_H */
