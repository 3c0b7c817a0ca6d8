/* SPDX-License-Identifier: GPL-2.0 */
/*
 * frag.h - IPv4 fragments of translated flows (RFC 4787 REQ-14, RFC 5508
 * REQ-2 for ICMP). Only the first fragment carries the ports, so only it
 * can be matched to a mapping. When it is translated, frag_note() records
 * the datagram's translated addresses and next hop under the (source,
 * destination, id, protocol) it arrived with; later fragments get the same
 * addresses (the transport checksum, in the first fragment, was already
 * updated for the whole datagram) and leave the same way.
 *
 * A later fragment that comes before its first is copied whole into
 * cgnat_frag_ring and dropped here: XDP cannot keep a packet. The daemon
 * holds it up to CGNAT_FRAG_HOLD_MS and runs it through this program again
 * once the first fragment made the entry; cgnat_frag_waiting tells
 * frag_note() that somebody waits, so in-order datagrams cost no record.
 * Copies are rate-limited per CPU and bounded by the ring, a flood of
 * orphans is counted (fragment_held / fragment_hold_full) and costs other
 * traffic nothing but the CPU of the copy.
 *
 * Entries live CGNAT_FRAG_TTL_NS: a datagram's fragments arrive within
 * milliseconds, and a short life keeps a reused IP id from a new datagram
 * from meeting the old datagram's entry.
 */
#ifndef CGNAT_FRAG_H
#define CGNAT_FRAG_H

#include "nat.h"
#include "fwd.h"

#define CGNAT_FRAG_HOLD_RATE 20000	/* early fragments/s per CPU */

static __always_inline void frag_key(struct cgnat_frag_key *k,
				     const struct iphdr *ip, __u32 dir)
{
	k->saddr = ip->saddr;
	k->daddr = ip->daddr;
	k->id = ip->id;
	k->proto = ip->protocol;
	k->dir = dir;
}

/* Called for a first fragment about to be translated (still as it
 * arrived): saddr/daddr are its addresses after translation, nh its next
 * hop (NULL: it goes to the kernel). Global: its own stack frame.
 */
__noinline int frag_note(struct xdp_md *ctx, const struct cgnat_nh *nh,
			 __u32 dir, __be32 saddr, __be32 daddr)
{
	struct cgnat_frag v = {};
	struct cgnat_frag_key k;
	struct pkt pk = {}, *p = &pk;

	if (!ctx || parse_eth(ctx, p) != 1 || parse_ipv4_hdr(p))
		return 0;
	frag_key(&k, p->ip, dir);
	v.expires_ns = bpf_ktime_get_coarse_ns() + CGNAT_FRAG_TTL_NS;
	v.saddr = saddr;
	v.daddr = daddr;
	if (nh)
		v.nh = *nh;
	if (bpf_map_update_elem(&cgnat_frags, &k, &v, BPF_ANY))
		return 0;
	stat_inc(STAT_FRAG_FIRST);
	if (bpf_map_lookup_elem(&cgnat_frag_waiting, &k)) {
		struct cgnat_frag_rec r = { .kind = CGNAT_FRAG_READY,
					    .ifindex = ctx->ingress_ifindex,
					    .key = k };

		bpf_map_delete_elem(&cgnat_frag_waiting, &k);
		bpf_ringbuf_output(&cgnat_frag_ring, &r, sizeof(r), 0);
	}
	return 0;
}

/* A later fragment with no entry: hand it to the holder if it may belong
 * to a translated flow, else what any packet like it gets.
 */
static __always_inline int frag_hold(struct xdp_md *ctx, struct pkt *p,
				     const struct cgnat_frag_key *k, __u64 now)
{
	__u32 len = bpf_xdp_get_buff_len(ctx), one = 1;
	struct cgnat_frag_rec *r;

	if (k->dir == CGNAT_DIR_IN) {
		if (!nat_is_pool_addr(k->daddr)) {
			stat_inc(STAT_PASS_NOT_NAT);
			return XDP_PASS;
		}
	} else {
		struct bpf_fib_lookup fib;

		if (fwd_fib(ctx, p, k->saddr, k->daddr, &fib) ==
		    BPF_FIB_LKUP_RET_NOT_FWDED) {
			stat_inc(STAT_PASS_LOCAL);
			return XDP_PASS;	/* for the box itself */
		}
		if (nat_sub_pool(k->saddr) < 0)
			return -REASON_SPOOF;
	}
	if (len > CGNAT_FRAG_FRAME || !rl_take(RL_FRAG_HOLD,
					       CGNAT_FRAG_HOLD_RATE, now))
		goto full;
	r = bpf_ringbuf_reserve(&cgnat_frag_ring,
				sizeof(*r) + CGNAT_FRAG_FRAME, 0);
	if (!r)
		goto full;
	r->kind = CGNAT_FRAG_HELD;
	r->ifindex = ctx->ingress_ifindex;
	r->key = *k;
	r->len = len;
	if (len == 0 || bpf_xdp_load_bytes(ctx, 0, r->frame, len)) {
		bpf_ringbuf_discard(r, 0);
		return -REASON_MALFORMED;
	}
	bpf_map_update_elem(&cgnat_frag_waiting, k, &one, BPF_ANY);
	bpf_ringbuf_submit(r, 0);
	stat_inc(STAT_FRAG_HELD);
	return XDP_DROP;
full:
	stat_inc(STAT_FRAG_HOLD_FULL);
	return -REASON_FRAGMENT;
}

/* A fragment after the first, arriving from 'dir'. Global: its own stack
 * frame, verified once. Returns an XDP action or a negative reason.
 */
__noinline int frag_follow(struct xdp_md *ctx, __u32 dir)
{
	struct pkt pk = {}, *p = &pk;
	struct cgnat_frag_key k;
	struct cgnat_frag *v;
	__u64 now = bpf_ktime_get_coarse_ns();
	__u32 d;
	__u8 ttl;

	if (!ctx || parse_eth(ctx, p) != 1 || parse_ipv4_hdr(p))
		return -REASON_MALFORMED;
	p->proto = p->ip->protocol;
	frag_key(&k, p->ip, dir);
	v = bpf_map_lookup_elem(&cgnat_frags, &k);
	if (!v || v->expires_ns <= now)
		return frag_hold(ctx, p, &k, now);
	ttl = p->ip->ttl;
	if (ttl <= 1)
		return -REASON_TTL;	/* no ICMP about later fragments */
	d = csum_diff32(p->ip->saddr, v->saddr) +
	    csum_diff32(p->ip->daddr, v->daddr);
	p->ip->saddr = v->saddr;
	p->ip->daddr = v->daddr;
	stat_inc(STAT_FRAG_FOLLOW);
	if (!v->nh.ifindex || bpf_ntohs(p->ip->tot_len) > v->nh.mtu) {
		/* As its first fragment went: the kernel forwards it. */
		csum_apply(&p->ip->check, d);
		return XDP_PASS;
	}
	d += csum_diff16(bpf_htons(ttl << 8 | p->proto),
			 bpf_htons((ttl - 1) << 8 | p->proto));
	p->ip->ttl = ttl - 1;
	csum_apply(&p->ip->check, d);
	return fwd_out(p, &v->nh);
}

#endif /* CGNAT_FRAG_H */
