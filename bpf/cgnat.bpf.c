// SPDX-License-Identifier: GPL-2.0
/*
 * cgnat.bpf.c - the XDP entry points. cgnat_inside runs on the subscriber
 * interface (SNAT, hairpin), cgnat_outside on the internet interface
 * (DNAT). The helpers return an XDP action (>= 0) or a negative reason;
 * only the entry points turn a reason into a drop and a counter.
 *
 * Rules for what is not NAT traffic: non-IPv4 goes to the kernel; on the
 * outside, anything not addressed to a pool address goes to the kernel
 * untouched; on the inside, packets for the box itself go to the kernel,
 * and a source outside the subscriber prefixes is dropped (no spoofed
 * source ever leaves).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "hairpin.h"
#include "fwd.h"
#include "sweep.h"
#include "icmp_gen.h"
#include "icmp_err.h"
#include "frag.h"
#include "mss.h"
#include "rsess.h"
#include "synpend.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline int verdict(int rc)
{
	if (rc >= 0)
		return rc;
	stat_inc(STAT_DROP_BASE + ((-rc) & 31));
	return XDP_DROP;
}

/* inside()/outside() ask the entry point to translate an ICMP error or
 * to answer with one: that runs in a call chain of its own, so its stack
 * does not add to the translation path's. ACT_PTB carries the MTU in its
 * low 16 bits.
 */
#define ACT_ICMP_ERR 100
#define ACT_TTL 101
#define ACT_FRAG 102		/* a fragment after the first */
#define ACT_PTB 0x10000

static __always_inline int is_icmp_error(__u8 type)
{
	return type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED ||
	       type == ICMP_PARAMETERPROB;
}

/* FIB answer for the packet as it is, in a frame of its own (the 64-byte
 * lookup struct stays off the allocation path's stack). Fills *nh on
 * success, from the destination's cached next hop when it has a valid
 * one (fwd.h). Returns the BPF_FIB_LKUP_RET_* code.
 */
static __noinline int inside_route(struct xdp_md *ctx, struct pkt *p,
				   struct cgnat_nh *nh, __u64 now,
				   const struct cgnat_cfg *cfg)
{
	__u32 gen = nh_gen_get();	/* before the lookup: see fwd.h */
	struct bpf_fib_lookup fib;
	int rc;

	if (nh && fwd_dst_get(ctx, p, p->ip->daddr, nh, gen, now))
		return BPF_FIB_LKUP_RET_SUCCESS;
	rc = fwd_fib(ctx, p, p->ip->saddr, p->ip->daddr, &fib);
	if (rc == BPF_FIB_LKUP_RET_SUCCESS && nh) {
		fwd_nh_fill(nh, &fib, gen, now, cfg);
		fwd_dst_put(ctx, p, p->ip->daddr, nh);
	}
	return rc;
}

/* An inside packet that creates no state: for the box, or refused. */
static __always_inline int inside_other(struct xdp_md *ctx, struct pkt *p,
					int reason)
{
	if (inside_route(ctx, p, 0, 0, 0) == BPF_FIB_LKUP_RET_NOT_FWDED) {
		stat_inc(STAT_PASS_LOCAL);
		return XDP_PASS;
	}
	return reason;
}

/* What the packet opening a flow must be: ports, a SYN, a good header. */
static __always_inline int inside_new_ok(struct pkt *p)
{
	if (p->proto != IPPROTO_ICMP && (!*p->sport || !*p->dport))
		return -REASON_PORT_ZERO;
	if (p->proto == IPPROTO_TCP &&
	    (p->tcp_flags & (TH_SYN | TH_RST)) != TH_SYN)
		return -REASON_TCP_NO_SYN;
	return ip_csum_ok(p) ? 0 : -REASON_MALFORMED;
}

/* Sender half of a new flow: subscriber, mapping, session of the key
 * inside() left in the scratch value, next hop seeded from its FIB
 * answer. Called by the entry point, not by inside(): a chain of both
 * frames and the port allocator's would pass the 512-byte stack limit.
 * Returns 0 when the session exists, else a negative reason.
 */
__noinline int inside_alloc(__u32 pool, __u32 flags)
{
	struct cgnat_cfg *cfg = cfg_get();
	struct cgnat_scratch *sc = nat_scratch();
	__u64 now = bpf_ktime_get_coarse_ns();
	const struct cgnat_sess_key *k;
	struct cgnat_sess *s = 0;
	struct cgnat_sub *sub;
	struct cgnat_map m;
	__u64 exp;
	__u32 idx;
	int err;

	if (!sc || !cfg)
		return -REASON_CONFLICT;
	k = &sc->key;
	exp = nat_new_expiry(cfg, k, now);
	err = nat_sub_get(k->int_addr, pool, now, cfg, &sub, &idx);
	if (err)
		return err;
	err = nat_sub_flow_ok(sub, idx, now, cfg);
	if (err)
		return err;
	err = nat_sub_charge(sub, now, cfg);
	if (err)
		return err;
	err = nat_mapping(cfg, sub, idx, k, now, exp, &m);
	if (!err && m.epoch == CGNAT_EPOCH_SOLE)
		flags |= CGNAT_SF_FIRST;	/* it made the mapping */
	/* The route does not depend on the source about to be written:
	 * inside()'s answer is the session's next hop from birth.
	 */
	if (!err)
		err = nat_sess_insert(k, m.addr, m.port, flags, &sc->seed, now,
				      exp, cfg);
	if (err) {	/* failed, or another CPU created it */
		__sync_fetch_and_sub(&sub->sessions, 1);
		if (err < 0)
			return err;
		s = bpf_map_lookup_elem(&cgnat_sessions, k);
		if (!s)
			return -REASON_CONFLICT;
	} else {
		s = &sc->sess;	/* what was just inserted */
	}
	if (cfg->filtering == CGNAT_FILTER_ADF && k->proto != IPPROTO_ICMP)
		nat_permit_touch(k, s->expires_ns);
	return 0;
}

/* 'k' is the session's key: the packet's endpoints as they arrived (a
 * hairpin's destination is rewritten to the receiver's internal one on
 * the way).
 */
static __always_inline int inside_translate(struct xdp_md *ctx,
					    struct pkt *p,
					    const struct cgnat_sess_key *k,
					    struct cgnat_sess *s, __u64 now,
					    const struct cgnat_cfg *cfg)
{
	struct cgnat_nh *nh = &s->nh[CGNAT_DIR_OUT];
	__be32 dst = p->ip->daddr;
	__be16 rem = *p->dport;	/* the session's remote port, before */
	__be16 rport = 0;
	struct xlate x = {};
	__u64 exp = s->expires_ns;
	int rc;

	if (p->ip->ttl <= 1)
		return ACT_TTL;
	if (s->flags & CGNAT_SF_HAIRPIN) {
		if (!cfg->hairpinning)
			return -REASON_HAIRPIN_OFF;
		rc = hairpin_receiver(cfg, p, s->ext_addr, s->ext_port, now,
				      &dst, &rport);
		if (rc)
			return rc;
	}
	rc = fwd_prepare(ctx, p, nh, s->ext_addr, dst, now, cfg);
	if (rc < 0)
		return rc;
	if (rc == FWD_PTB)
		return ACT_PTB | nh->mtu;
	if (p->ip->frag_off & bpf_htons(IP_MF))
		frag_note(ctx, rc ? 0 : nh, CGNAT_DIR_OUT, s->ext_addr, dst);
	if (s->flags & CGNAT_SF_HAIRPIN) {
		xlate_set(p, &x, &p->ip->daddr, p->dport, dst, rport);
		stat_inc(STAT_HAIRPIN);
	} else {
		syn_clear(cfg, p, s->ext_addr, s->ext_port);
		stat_inc(STAT_XLATE_OUT);
	}
	/* A hairpin sender's session never has a reverse entry (and its
	 * destination is rewritten by now).
	 */
	if (ct_update(s, cfg, p, CGNAT_DIR_OUT, rem, now, 1) &&
	    !(s->flags & CGNAT_SF_HAIRPIN))
		rsess_forget(p->proto, s->ext_addr, s->ext_port, p->ip->daddr,
			     *p->dport);
	if (s->expires_ns != exp) {
		nat_map_cover(p->proto, p->ip->saddr, *p->sport, exp,
			      s->expires_ns);
		due_shortened(k, exp, s->expires_ns);
	}
	/* The permit is for the remote the sender named: for a hairpin the
	 * receiver's external address, never its private one.
	 */
	if (cfg->filtering == CGNAT_FILTER_ADF && s->expires_ns != exp &&
	    p->proto != IPPROTO_ICMP)
		nat_permit_touch(k, s->expires_ns);
	xlate_set(p, &x, &p->ip->saddr, p->sport, s->ext_addr, s->ext_port);
	mss_clamp(ctx, p, &x, cfg, s->flags & CGNAT_SF_HAIRPIN);
	xlate_finish(p, &x, rc == 0);
	return rc ?: fwd_out(p, nh);
}

/* No mapping could be made: drop, count, and when resources ran out tell
 * the sender (RFC 6888 REQ-11) instead of letting it retry blindly.
 */
static __always_inline int inside_refused(struct xdp_md *ctx,
					  const struct cgnat_cfg *cfg, int rc)
{
	if (rc != -REASON_QUOTA && rc != -REASON_POOL_EMPTY &&
	    rc != -REASON_SESS_LIMIT && rc != -REASON_TABLE_FULL &&
	    rc != -REASON_FLOW_RATE)
		return rc;
	stat_inc(STAT_DROP_BASE + ((-rc) & 31));
	return icmp_gen_error(ctx, cfg->unreach_type, cfg->unreach_code, 0,
			      CGNAT_DIR_OUT) ?: XDP_DROP;
}

/* inside() asks for a new flow: ACT_NEW | flags << 8 | pool. */
#define ACT_NEW 0x20000
#define ACT_MASK 0xffff0000

/* Global: the entry point runs it twice for a new flow (before and after
 * inside_alloc), and a global function is verified once.
 */
__noinline int inside(struct xdp_md *ctx)
{
	struct cgnat_cfg *cfg = cfg_get();
	struct cgnat_sess_key k;
	struct cgnat_sess *s;
	struct pkt p = {};
	__u64 now;
	int rc, pool;

	rc = parse_eth(ctx, &p);
	if (rc <= 0) {
		if (!rc)
			stat_inc(STAT_PASS_NON_IP);
		return rc ? rc : XDP_PASS;
	}
	rc = parse_ipv4_hdr(&p);
	if (rc)
		return rc;
	if (!cfg || !cfg->blocks_per_addr)
		return -REASON_CONFLICT;
	rc = parse_l3l4(&p);
	if (rc == -REASON_FRAGMENT)
		return ACT_FRAG;
	if (rc == -REASON_ICMP_ERROR && nat_sub_pool(p.ip->saddr) >= 0 &&
	    is_icmp_error(p.icmp_type))
		return ACT_ICMP_ERR;
	if (rc) {
		/* Refused traffic from subscribers; others only if local. */
		return inside_other(ctx, &p, nat_sub_pool(p.ip->saddr) < 0 ?
						     -REASON_SPOOF : rc);
	}
	nat_key(&k, p.proto, p.ip->saddr, *p.sport, p.ip->daddr, *p.dport);
	now = bpf_ktime_get_coarse_ns();	/* see cgnat_abi.h */
	s = bpf_map_lookup_elem(&cgnat_sessions, &k);
	if (!s || s->expires_ns <= now) {	/* expired is absent */
		struct cgnat_scratch *sc = nat_scratch();
		__u32 flags = 0;

		if (!sc)
			return -REASON_CONFLICT;
		sc->seed.ifindex = 0;
		pool = nat_sub_pool(p.ip->saddr);
		if (pool < 0)
			return inside_other(ctx, &p, -REASON_SPOOF);
		if (nat_is_pool_addr(p.ip->daddr)) {
			struct cgnat_map_key mk = { .addr = p.ip->daddr,
						    .port = *p.dport,
						    .proto = p.proto,
						    .dir = CGNAT_DIR_IN };

			if (!cfg->hairpinning)
				return -REASON_HAIRPIN_OFF;
			if (p.proto == IPPROTO_ICMP ||
			    !bpf_map_lookup_elem(&cgnat_map_in, &mk))
				return -REASON_UNSOLICITED;
			flags = CGNAT_SF_HAIRPIN;
		} else {
			if (inside_route(ctx, &p, &sc->seed, now, cfg) ==
			    BPF_FIB_LKUP_RET_NOT_FWDED) {
				stat_inc(STAT_PASS_LOCAL);
				return XDP_PASS;
			}
		}
		if (p.ip->ttl <= 1)
			return ACT_TTL;	/* no state for what dies here */
		rc = inside_new_ok(&p);
		if (rc)
			return rc;
		sc->key = k;
		return ACT_NEW | flags << 8 | (pool & 0xff);
	}
	return inside_translate(ctx, &p, &k, s, now, cfg);
}

/* An inbound packet with a mapping but no live session: filtering. */
static __always_inline struct cgnat_sess *
outside_new_sess(struct pkt *p, const struct cgnat_sess_key *k,
		 const struct cgnat_map_in *m, __u64 now,
		 const struct cgnat_cfg *cfg, int *err)
{
	__u32 idx = m->sub_idx;
	__u64 exp = nat_new_expiry(cfg, k, now);

	/* A PCP mapping admits every remote (RFC 6887 section 11.3). */
	if (!cgnat_map_pcp_admits(m, now) && !nat_filter_admits(cfg, k, now)) {
		*err = -REASON_FILTERED;
		return 0;
	}
	if (p->proto == IPPROTO_TCP &&
	    (p->tcp_flags & (TH_SYN | TH_RST)) != TH_SYN) {
		*err = -REASON_TCP_NO_SYN;
		return 0;
	}
	*err = nat_map_mark(p->proto, m->addr, m->port, now, exp);
	if (*err)
		return 0;
	return nat_sess_charged(k, p->ip->daddr, *p->dport, CGNAT_SF_INBOUND,
				idx, now, exp, cfg, err);
}

static __noinline int outside(struct xdp_md *ctx)
{
	struct cgnat_cfg *cfg = cfg_get();
	struct cgnat_map_key mk = { .dir = CGNAT_DIR_IN };
	struct cgnat_sess_key k;
	struct cgnat_nh *nh;
	struct cgnat_sess *s;
	struct cgnat_map_in *m;
	struct xlate x = {};
	struct pkt p = {};
	__u64 now, exp;
	int rc;

	stat_inc(STAT_RX_OUTSIDE);
	rc = parse_eth(ctx, &p);
	if (rc <= 0) {
		if (!rc)
			stat_inc(STAT_PASS_NON_IP);
		return rc ? rc : XDP_PASS;
	}
	if (parse_ipv4_hdr(&p) || !cfg || !cfg->blocks_per_addr) {
		stat_inc(STAT_PASS_NOT_NAT);	/* every packet counted */
		return XDP_PASS;	/* not ours to judge: kernel */
	}
	rc = parse_l3l4(&p);
	now = bpf_ktime_get_coarse_ns();
	if (!rc) {
		rc = rsess_fast(ctx, &p, cfg, now);
		if (rc != RSESS_MISS)
			return rc;
		rc = 0;
	}
	if (rc == -REASON_FRAGMENT)
		return ACT_FRAG;
	if (rc == -REASON_ICMP_ERROR && is_icmp_error(p.icmp_type) &&
	    nat_is_pool_addr(p.ip->daddr))
		return ACT_ICMP_ERR;
	if (!rc && p.proto == IPPROTO_ICMP && p.icmp_type != ICMP_ECHOREPLY)
		rc = -REASON_UNSOLICITED;
	if (!rc) {
		mk.addr = p.ip->daddr;
		mk.port = *p.dport;
		mk.proto = p.proto;
		m = bpf_map_lookup_elem(&cgnat_map_in, &mk);
		if (!m)
			rc = -REASON_UNSOLICITED;
	}
	if (rc) {
		if (nat_is_pool_addr(p.ip->daddr))
			return rc;
		stat_inc(STAT_PASS_NOT_NAT);
		return XDP_PASS;
	}
	if (p.ip->ttl <= 1)
		return ACT_TTL;
	nat_key(&k, p.proto, m->addr, m->port, p.ip->saddr, *p.sport);
	s = bpf_map_lookup_elem(&cgnat_sessions, &k);
	if (!s || s->expires_ns <= now) {
		s = outside_new_sess(&p, &k, m, now, cfg, &rc);
		if (!s)
			return rc;
	}
	nh = &s->nh[CGNAT_DIR_IN];
	rc = fwd_prepare(ctx, &p, nh, p.ip->saddr, m->addr, now, cfg);
	if (rc < 0)
		return rc;
	if (rc == FWD_PTB)
		return ACT_PTB | nh->mtu;
	if (p.ip->frag_off & bpf_htons(IP_MF))
		frag_note(ctx, rc ? 0 : nh, CGNAT_DIR_IN, p.ip->saddr, m->addr);
	exp = s->expires_ns;
	if (ct_update(s, cfg, &p, CGNAT_DIR_IN, k.rem_port, now,
		      cfg->inbound_refresh))
		rsess_forget(k.proto, s->ext_addr, s->ext_port, k.rem_addr,
			     k.rem_port);
	if (s->expires_ns != exp) {
		nat_map_cover(k.proto, k.int_addr, k.int_port, exp,
			      s->expires_ns);
		due_shortened(&k, exp, s->expires_ns);
	}
	xlate_set(&p, &x, &p.ip->daddr, p.dport, m->addr, m->port);
	mss_clamp(ctx, &p, &x, cfg, 0);
	xlate_finish(&p, &x, rc == 0);
	stat_inc(STAT_XLATE_IN);
	if (rc)
		return rc;
	if (!(p.ip->frag_off & bpf_htons(IP_MF)))
		rsess_sync(&k, s, now);
	return fwd_out(&p, nh);
}

/* Carries out what inside()/outside() asked for, packets arriving from
 * 'dir', and turns reasons into drops.
 */
static __always_inline int finish(struct xdp_md *ctx, int rc, __u32 dir)
{
	if (dir == CGNAT_DIR_OUT && (rc & ACT_MASK) == ACT_NEW) {
		struct cgnat_cfg *cfg = cfg_get();
		int err = inside_alloc(rc & 0xff, rc >> 8 & 0xff);

		if (!cfg)
			return XDP_DROP;
		/* Again, now that the session exists. */
		rc = err ? inside_refused(ctx, cfg, err) : inside(ctx);
		if ((rc & ACT_MASK) == ACT_NEW)
			rc = -REASON_CONFLICT;	/* swept meanwhile */
	}
	if (rc == ACT_ICMP_ERR) {
		rc = icmp_err_xlate(ctx, dir);
	} else if (rc == ACT_FRAG) {
		rc = frag_follow(ctx, dir);
	} else if (rc == ACT_TTL) {
		stat_inc(STAT_TTL_EXPIRED);
		rc = icmp_gen_error(ctx, ICMP_TIME_EXCEEDED, 0, 0, dir) ?:
		     -REASON_TTL;
	} else if ((rc & ACT_MASK) == ACT_PTB) {
		stat_inc(STAT_PTB);
		rc = icmp_gen_error(ctx, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED,
				    rc & 0xffff, dir) ?: -REASON_FRAG_NEEDED;
	} else if (dir == CGNAT_DIR_IN && (rc == -REASON_UNSOLICITED ||
					   rc == -REASON_FILTERED)) {
		syn_pend(ctx);	/* dropped all the same: RFC 5382 REQ-4 */
	}
	return verdict(rc);
}

/* Inlined bodies of the entry points, which the bench wraps too. */
static __always_inline int cgnat_inside_body(struct xdp_md *ctx)
{
	stat_inc(STAT_RX_INSIDE);	/* here: inside() may run twice */
	return finish(ctx, inside(ctx), CGNAT_DIR_OUT);
}

static __always_inline int cgnat_outside_body(struct xdp_md *ctx)
{
	return finish(ctx, outside(ctx), CGNAT_DIR_IN);
}

SEC("xdp")
int cgnat_inside(struct xdp_md *ctx)
{
	return cgnat_inside_body(ctx);
}

SEC("xdp")
int cgnat_outside(struct xdp_md *ctx)
{
	return cgnat_outside_body(ctx);
}
