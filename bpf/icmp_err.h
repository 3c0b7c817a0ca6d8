/* SPDX-License-Identifier: GPL-2.0 */
/*
 * icmp_err.h - translation of ICMP errors (destination unreachable, time
 * exceeded, parameter problem) about translated flows (RFC 5508 section
 * 4, RFC 4787 REQ-12). The embedded packet is the one the error is about,
 * as its receiver saw it:
 *
 *   inbound  (internet -> pool address): the error quotes our translated
 *            packet (src E:ep -> R). Outer destination and quoted source
 *            go back to the subscriber's I:ip.
 *   outbound (subscriber -> internet): the subscriber quotes the packet
 *            it received (R -> I:ip). Outer source and quoted destination
 *            become E:ep.
 *
 * The outer IP checksum, the quoted IP header checksum, the quoted
 * transport checksum when the quote holds it, and the ICMP checksum over
 * all of it are updated incrementally. Errors with a bad ICMP or quoted
 * IP checksum, or about a flow we do not know, are dropped and counted;
 * no ICMP message creates, refreshes or removes state. Quoted IP options
 * are stepped over; RFC 4884 extensions after the quote are left intact
 * (the checksum update covers them unchanged).
 */
#ifndef CGNAT_ICMP_ERR_H
#define CGNAT_ICMP_ERR_H

#include "nat.h"
#include "fwd.h"

#define ICMP_ERR_CHUNKS 24	/* checksum walk bound: 24 x 64 = 1536 bytes:
				 * routers quote up to 576 (RFC 1812), some
				 * a whole 1500-byte packet */

/* One's complement sum of 'len' packet bytes from 'off', copied out in
 * 64-byte chunks: the helper checks the packet bounds, which a pointer
 * walk over a variable-length message cannot prove to the verifier.
 * Whole chunks are summed by bpf_csum_diff (cheap to verify), the tail
 * zero-padded by hand. Returns the sum, or 0 with *err set when the
 * bytes are not there.
 */
static __always_inline __u32 icmp_err_sum(struct xdp_md *ctx, __u32 off,
					  __u32 len, int *err)
{
	__u8 buf[64];
	__u64 s = 0;
	__u32 i, j;

	for (i = 0; i < ICMP_ERR_CHUNKS && len >= 64; i++) {
		if (bpf_xdp_load_bytes(ctx, off, buf, 64)) {
			*err = -REASON_MALFORMED;
			return 0;
		}
		s += (__u32)bpf_csum_diff(0, 0, (void *)buf, 64, 0);
		off += 64;
		len -= 64;
	}
	if (len >= 64) {
		*err = -REASON_MALFORMED;	/* longer than we check */
		return 0;
	}
	if (len) {
		__builtin_memset(buf, 0, sizeof(buf));
		if (bpf_xdp_load_bytes(ctx, off, buf, len & 63)) {
			*err = -REASON_MALFORMED;
			return 0;
		}
		for (j = 0; j < 64; j += 2)	/* odd last byte: padded */
			s += *(__u16 *)&buf[j];
	}
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u32)((s & 0xffff) + (s >> 16));
}

struct icmpx {
	struct icmphdr *ih;	/* outer ICMP header */
	struct iphdr *in;	/* quoted IP header */
	__be16 *qsport, *qdport; /* quoted ports (ICMP: both the id) */
	__sum16 *qsum;		/* quoted transport checksum, or NULL */
	__u8 qproto;
};

/* Parses and validates the quote of the ICMP error at ih. */
static __always_inline int icmp_err_parse(struct xdp_md *ctx, struct pkt *p,
					  struct icmpx *e)
{
	void *end = p->data_end, *ql4;
	/* The message ends at the outer tot_len: bytes after it are padding
	 * that no checksum covers (found by tests/bpf/bpf_fuzz.c).
	 */
	void *mend = (void *)p->ip + bpf_ntohs(p->ip->tot_len);
	__u32 qihl, off, len;
	int err = 0;

	e->ih = (void *)p->ip + (p->ip->ihl & 0xf) * 4;
	e->in = (void *)(e->ih + 1);
	if ((void *)(e->in + 1) > end || e->in->version != 4)
		return -REASON_MALFORMED;
	qihl = (e->in->ihl & 0xf) * 4;
	if (qihl < sizeof(struct iphdr) || e->in->frag_off &
					   bpf_htons(IP_OFFMASK))
		return -REASON_MALFORMED;
	ql4 = (void *)e->in + qihl;
	if (ql4 + 8 > end || ql4 + 8 > mend)
		return -REASON_MALFORMED;
	off = sizeof(struct ethhdr) + (p->ip->ihl & 0xf) * 4;
	len = bpf_ntohs(p->ip->tot_len) - (p->ip->ihl & 0xf) * 4;
	if (csum_fold(icmp_err_sum(ctx, off, len, &err)) != 0xffff ||
	    csum_fold(icmp_err_sum(ctx, off + 8, qihl, &err)) != 0xffff || err)
		return -REASON_MALFORMED;	/* bad ICMP or quoted IP sum */
	e->qproto = e->in->protocol;
	e->qsum = 0;
	if (e->qproto == IPPROTO_UDP) {
		e->qsport = ql4;
		e->qdport = ql4 + 2;
		e->qsum = ql4 + 6;
	} else if (e->qproto == IPPROTO_TCP) {
		e->qsport = ql4;
		e->qdport = ql4 + 2;
		if (ql4 + 18 <= end && ql4 + 18 <= mend)
			e->qsum = ql4 + 16;
	} else if (e->qproto == IPPROTO_ICMP) {
		e->qsport = ql4 + 4;	/* echo identifier */
		e->qdport = ql4 + 4;
		e->qsum = ql4 + 2;
	} else {
		return -REASON_PROTO;
	}
	return 0;
}

/* Rewrites the quoted address/port pair and the matching outer address,
 * with every checksum the change touches; the TTL is decremented unless
 * the kernel forwards the packet (and does it) or it was already.
 */
static __always_inline void icmp_err_rewrite(struct pkt *p, struct icmpx *e,
					     __be32 *outer, __be32 *qaddr,
					     __be16 *qport, __be32 addr,
					     __be16 port, int dec_ttl)
{
	__u32 d_addr = csum_diff32(*qaddr, addr), d_port, d_qip, d_q4 = 0;
	__u32 d_outer = csum_diff32(*outer, addr), d_ttl = 0;
	__u16 old_qip = e->in->check, old_q4 = e->qsum ? *e->qsum : 0;
	__u8 ttl = p->ip->ttl;

	d_port = csum_diff16(*qport, port);
	/* Quoted IP header: its address changed. */
	csum_apply(&e->in->check, d_addr);
	d_qip = csum_diff16(old_qip, e->in->check);
	/* Quoted transport checksum: pseudo-header address and port
	 * (ICMP: the identifier only).
	 */
	if (e->qsum && (e->qproto != IPPROTO_UDP || *e->qsum)) {
		csum_apply(e->qsum, e->qproto == IPPROTO_ICMP ? d_port :
							      d_addr + d_port);
		if (e->qproto == IPPROTO_UDP && !*e->qsum)
			*e->qsum = 0xffff;
		d_q4 = csum_diff16(old_q4, *e->qsum);
	}
	*qaddr = addr;
	*qport = port;
	/* ICMP checksum covers everything that changed inside it. */
	csum_apply(&e->ih->checksum, d_addr + d_port + d_qip + d_q4);
	/* Outer header: address and TTL. */
	if (dec_ttl) {
		d_ttl = csum_diff16(bpf_htons(ttl << 8 | p->ip->protocol),
				    bpf_htons((ttl - 1) << 8 |
					      p->ip->protocol));
		p->ip->ttl = ttl - 1;
	}
	*outer = addr;
	csum_apply(&p->ip->check, d_outer + d_ttl);
}

/* The live session of a flow by one of its mapping's halves: 'dir' IN,
 * (a, ap) is the external endpoint and *oa, *op get the internal one; OUT,
 * the other way round. (rem, rp) is the remote end.
 */
static __always_inline struct cgnat_sess *
icmp_err_flow(__u8 proto, __u32 dir, __be32 a, __be16 ap, __be32 rem,
	      __be16 rp, __u64 now, __be32 *oa, __be16 *op)
{
	struct cgnat_map_key mk = { a, ap, proto, dir };
	struct cgnat_sess_key sk;
	struct cgnat_map_in *mi;
	struct cgnat_sess *s;
	struct cgnat_map *m;

	if (dir == CGNAT_DIR_IN) {	/* sessions are keyed inside */
		mi = bpf_map_lookup_elem(&cgnat_map_in, &mk);
		if (!mi)
			return 0;
		*oa = mi->addr;
		*op = mi->port;
		nat_key(&sk, proto, mi->addr, mi->port, rem, rp);
	} else {
		m = bpf_map_lookup_elem(&cgnat_mappings, &mk);
		if (!m)
			return 0;
		*oa = m->addr;
		*op = m->port;
		nat_key(&sk, proto, a, ap, rem, rp);
	}
	s = bpf_map_lookup_elem(&cgnat_sessions, &sk);
	return s && s->expires_ns > now ? s : 0;
}

/* Translates an ICMP error arriving on 'dir' (CGNAT_DIR_IN: from the
 * internet to a pool address; CGNAT_DIR_OUT: from a subscriber, to the
 * internet or, hairpinned, to another subscriber's external address).
 * Global: its own stack frame, verified once. Returns an XDP action or a
 * negative reason.
 *
 * Hairpin: subscriber B answers a packet A sent to B's external endpoint;
 * B quotes it as B received it (A_ext:ap -> B_int:bp) and sends the error
 * to A_ext. The outbound half makes it B_ext's error (quote A_ext:ap ->
 * B_ext:bp'), the inbound half then delivers it to A (outer destination
 * A_int, quote A_int:ap' -> B_ext:bp'), exactly what A sent.
 */
__noinline int icmp_err_xlate(struct xdp_md *ctx, __u32 dir)
{
	struct cgnat_cfg *cfg = cfg_get();
	struct pkt pk = {}, *p = &pk;
	__be32 a1 = 0, a2 = 0, src, dst;
	__be16 p1 = 0, p2 = 0;
	struct cgnat_sess *s;
	struct cgnat_nh *nh;
	struct icmpx e;
	__u64 now = bpf_ktime_get_coarse_ns();
	int rc, hairpin = 0;

	if (!ctx || !cfg || parse_eth(ctx, p) != 1 || parse_ipv4_hdr(p))
		return -REASON_MALFORMED;
	if (p->ip->ttl <= 1)
		return -REASON_TTL;	/* never an error about an error */
	rc = icmp_err_parse(ctx, p, &e);
	if (rc)
		return rc;
	if (dir == CGNAT_DIR_IN) {
		/* Quote: E:ep -> R:rp, as we sent it. */
		if (e.in->saddr != p->ip->daddr)
			return -REASON_UNSOLICITED;
		s = icmp_err_flow(e.qproto, CGNAT_DIR_IN, e.in->saddr,
				  *e.qsport, e.in->daddr, *e.qdport, now, &a1,
				  &p1);
		if (!s)
			return -REASON_UNSOLICITED;
		src = p->ip->saddr;
		dst = a1;
	} else {
		/* Quote: R:rp -> I:ip, as the subscriber got it. */
		if (e.in->daddr != p->ip->saddr)
			return -REASON_UNSOLICITED;
		s = icmp_err_flow(e.qproto, CGNAT_DIR_OUT, e.in->daddr,
				  *e.qdport, e.in->saddr, *e.qsport, now, &a1,
				  &p1);
		if (!s)
			return -REASON_UNSOLICITED;
		src = a1;
		dst = p->ip->daddr;
		if ((s->flags & CGNAT_SF_HAIRPIN) && nat_is_pool_addr(dst)) {
			if (e.in->saddr != dst || !cfg->hairpinning ||
			    !icmp_err_flow(e.qproto, CGNAT_DIR_IN, dst,
					   *e.qsport, a1, p1, now, &a2, &p2))
				return -REASON_UNSOLICITED;
			dst = a2;
			hairpin = 1;
		}
	}
	nh = &s->nh[dir & 1];
	rc = fwd_prepare(ctx, p, nh, src, dst, now, cfg);
	if (rc < 0)
		return rc;
	if (rc == FWD_PTB) {
		/* No error about an error: let the kernel drop or
		 * fragment it.
		 */
		stat_inc(STAT_PASS_FRAGMENT);
		rc = XDP_PASS;
	}
	if (dir == CGNAT_DIR_IN) {
		icmp_err_rewrite(p, &e, &p->ip->daddr, &e.in->saddr, e.qsport,
				 a1, p1, !rc);
	} else {
		icmp_err_rewrite(p, &e, &p->ip->saddr, &e.in->daddr, e.qdport,
				 a1, p1, !rc);
		if (hairpin)
			icmp_err_rewrite(p, &e, &p->ip->daddr, &e.in->saddr,
					 e.qsport, a2, p2, 0);
	}
	stat_inc(STAT_ICMP_XLATE);
	return rc ?: fwd_out(p, nh);
}

#endif /* CGNAT_ICMP_ERR_H */
