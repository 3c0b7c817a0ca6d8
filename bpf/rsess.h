/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rsess.h - the reverse session: one hash lookup for an established
 * inbound TCP or UDP packet instead of two dependent ones (mapping, then
 * session), each a cache-miss chain in a large table. An entry keyed by
 * the tuple the packet arrives with carries what the translation needs:
 * the internal endpoint and the inbound next hop.
 *
 * Invariant: an entry's expires_ns is never later than its session's, and
 * an entry is used only while expires_ns > now. So it never outlives its
 * session, and never translates for a port that was freed and (after the
 * quarantine) given to another subscriber. How it is kept:
 *  - only the inbound slow path writes entries (rsess_sync), copying the
 *    expiry of a live session; the fast path only reads them;
 *  - a TCP state change, the one thing that can shorten a session's
 *    expiry, deletes the entry (rsess_forget) on every path;
 *  - whoever deletes a session deletes its entry after it (sweep.h,
 *    dp_sess_delete);
 *  - rsess_sync looks the session up again after writing and takes the
 *    entry back if the session went, changed or shrank meanwhile: that
 *    closes the races with a FIN on another CPU and with the sweep, whose
 *    own pass over the entries (sweep.h) is the backstop;
 *  - every load starts with an empty map (loader.c), so nothing written
 *    before a downgrade to a program that did not keep it survives.
 * Race accepted, as for every lookup in this program: a preallocated hash
 * element deleted under a reader can be reused at once, so a packet racing
 * the deletion may read another entry's value.
 *
 * Packets that change TCP state (SYN, FIN, RST), fragments, TTL 1, ICMP,
 * new flows and anything that does not simply fit its next hop keep the
 * slow path, which tracks state, answers with ICMP and refreshes.
 */
#ifndef CGNAT_RSESS_H
#define CGNAT_RSESS_H

#include "nat.h"
#include "fwd.h"

/* rsess_fast(): not for the fast path, carry on. Neither an XDP action
 * nor a reason.
 */
#define RSESS_MISS 0x1000

static __always_inline void rsess_key(struct cgnat_rsess_key *k, __u8 proto,
				      __be32 ext_addr, __be16 ext_port,
				      __be32 rem_addr, __be16 rem_port)
{
	k->ext_addr = ext_addr;
	k->rem_addr = rem_addr;
	k->ext_port = ext_port;
	k->rem_port = rem_port;
	k->proto = proto;
	k->pad[0] = 0;
	k->pad[1] = 0;
	k->pad[2] = 0;
}

/* Deletes the entry of the session (ext endpoint, remote, proto). Not
 * inlined: the key stays off the callers' frames (inside() is the
 * deepest).
 */
static __noinline void rsess_forget(__u32 proto, __be32 ext_addr,
				    __u32 ext_port, __be32 rem_addr,
				    __u32 rem_port)
{
	struct cgnat_rsess_key k;

	rsess_key(&k, proto, ext_addr, ext_port, rem_addr, rem_port);
	bpf_map_delete_elem(&cgnat_rsess, &k);
}

/* 1 while an entry may translate: not expired and, with inbound refresh,
 * far enough from expiry that the slow path would not refresh the session
 * (ct_update rewrites it once now + timeout passes it). The slow path then
 * takes one packet per flow and second, refreshes and rewrites the entry,
 * so the timers stay those of ct.h.
 */
static __always_inline int rsess_usable(const struct cgnat_rsess *r,
					const struct cgnat_cfg *cfg,
					__u8 proto, __be16 rport, __u64 now)
{
	__u64 exp = r->expires_ns;

	if (exp <= now)
		return 0;
	return !cfg->inbound_refresh ||
	       exp >= now + ct_timeout(cfg, proto, r->tcp_seen, rport);
}

/* The established inbound path in one lookup. 'p' is parsed (parse_l3l4
 * returned 0). Returns RSESS_MISS, or what the slow path would: the
 * same bytes out, the same counters (plus xlate_in_fast).
 */
static __noinline int rsess_fast(struct xdp_md *ctx, struct pkt *p,
				 const struct cgnat_cfg *cfg, __u64 now)
{
	struct cgnat_rsess_key k;
	struct xlate x = {};
	struct cgnat_rsess *r;

	if (p->proto == IPPROTO_TCP) {
		if (p->tcp_flags & (TH_SYN | TH_FIN | TH_RST))
			return RSESS_MISS;
	} else if (p->proto != IPPROTO_UDP) {
		return RSESS_MISS;
	}
	/* Later fragments never get here (parse_ipv4); first ones record. */
	if (p->ip->ttl <= 1 || p->ip->frag_off & bpf_htons(IP_MF))
		return RSESS_MISS;
	rsess_key(&k, p->proto, p->ip->daddr, *p->dport, p->ip->saddr,
		  *p->sport);
	r = bpf_map_lookup_elem(&cgnat_rsess, &k);
	if (!r || !rsess_usable(r, cfg, p->proto, *p->sport, now))
		return RSESS_MISS;
	/* A stale next hop or a packet too big: the slow path refreshes the
	 * session's next hop (and then this entry) or answers with ICMP.
	 */
	if (!fwd_nh_valid(&r->nh, nh_gen_get(), now) ||
	    bpf_ntohs(p->ip->tot_len) > r->nh.mtu)
		return RSESS_MISS;
	xlate_set(p, &x, &p->ip->daddr, p->dport, r->int_addr, r->int_port);
	xlate_finish(p, &x, 1);
	stat_inc(STAT_XLATE_IN);
	stat_inc(STAT_XLATE_IN_FAST);
	return fwd_out(p, &r->nh);
}

static __always_inline int rsess_nh_same(const struct cgnat_nh *a,
					 const struct cgnat_nh *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2];
}

/* Called by the inbound slow path after translating a packet of session
 * 's' (key 'k') and sending it along s->nh[CGNAT_DIR_IN]: writes the
 * session's entry when it is missing or differs. Only live, non-hairpin
 * UDP and established TCP sessions get one.
 */
static __noinline void rsess_sync(const struct cgnat_sess_key *k,
				  struct cgnat_sess *s, __u64 now)
{
	struct cgnat_rsess v = { .expires_ns = s->expires_ns,
				 .int_addr = k->int_addr,
				 .int_port = k->int_port,
				 .tcp_seen = s->tcp_seen };
	struct cgnat_rsess_key rk;
	struct cgnat_rsess *r;

	if (k->proto != IPPROTO_UDP &&
	    (k->proto != IPPROTO_TCP || !ct_tcp_established(v.tcp_seen)))
		return;
	if (s->flags & CGNAT_SF_HAIRPIN || v.expires_ns <= now)
		return;
	rsess_key(&rk, k->proto, s->ext_addr, s->ext_port, k->rem_addr,
		  k->rem_port);
	r = bpf_map_lookup_elem(&cgnat_rsess, &rk);
	if (r && r->expires_ns == v.expires_ns && r->int_addr == v.int_addr &&
	    r->int_port == v.int_port && r->tcp_seen == v.tcp_seen &&
	    rsess_nh_same(&r->nh, &s->nh[CGNAT_DIR_IN]))
		return;
	v.nh = s->nh[CGNAT_DIR_IN];
	if (bpf_map_update_elem(&cgnat_rsess, &rk, &v, BPF_ANY))
		return;		/* full: a cache */
	s = bpf_map_lookup_elem(&cgnat_sessions, k);
	if (!s || s->ext_addr != rk.ext_addr || s->ext_port != rk.ext_port ||
	    s->expires_ns < v.expires_ns || s->tcp_seen != v.tcp_seen)
		bpf_map_delete_elem(&cgnat_rsess, &rk);
}

#endif /* CGNAT_RSESS_H */
