/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ct.h - session state: TCP state after RFC 7857 section 2 and the
 * expiry time each session keeps in the map for the sweep. A TCP session
 * is established once a SYN has passed in both directions and no FIN or
 * RST has; every other state (opening, closing, after RST) uses the
 * transitory timer (RFC 5382 REQ-5, RFC 7857 2.1/2.2).
 */
#ifndef CGNAT_CT_H
#define CGNAT_CT_H

#include "cgnat_abi.h"
#include "maps.h"
#include "parse.h"

/* Expiry is rewritten only when it would move by more than this: a write
 * per packet would bounce the session's cache line between CPUs. The slack
 * is added to every expiry, so a session never expires before its full
 * timer has run since its last packet (the RFC floors hold).
 */
#define CT_REFRESH_SLACK_NS 1000000000ull

static __always_inline __u8 ct_tcp_bits(__u8 flags, int dir)
{
	__u8 b = 0;

	if (flags & TH_RST)
		b |= CGNAT_TCP_RST;
	if (flags & TH_SYN)
		b |= dir == CGNAT_DIR_OUT ? CGNAT_TCP_SYN_OUT : CGNAT_TCP_SYN_IN;
	if (flags & TH_FIN)
		b |= dir == CGNAT_DIR_OUT ? CGNAT_TCP_FIN_OUT : CGNAT_TCP_FIN_IN;
	return b;
}

static __always_inline int ct_tcp_established(__u8 seen)
{
	return (seen & (CGNAT_TCP_SYN_OUT | CGNAT_TCP_SYN_IN)) ==
		       (CGNAT_TCP_SYN_OUT | CGNAT_TCP_SYN_IN) &&
	       !(seen & (CGNAT_TCP_FIN_OUT | CGNAT_TCP_FIN_IN | CGNAT_TCP_RST));
}

/* A UDP session's timer: its remote port's own (timeouts.udp_ports) when
 * set, else the general one. One array lookup, only for ports < 1024.
 */
static __always_inline __u64 ct_udp_timeout(const struct cgnat_cfg *cfg,
					    __be16 rport)
{
	__u32 port = bpf_ntohs(rport);
	__u64 *t;

	if (port < CGNAT_UDP_TIMER_PORTS) {
		t = bpf_map_lookup_elem(&cgnat_udp_timers, &port);
		if (t && *t)
			return *t;
	}
	return cfg->udp_timeout_ns;
}

/* 'rport' is the session's remote port (its key's rem_port). */
static __always_inline __u64 ct_timeout(const struct cgnat_cfg *cfg,
					__u8 proto, __u8 seen, __be16 rport)
{
	if (proto == IPPROTO_TCP)
		return ct_tcp_established(seen) ? cfg->tcp_est_timeout_ns :
						  cfg->tcp_trans_timeout_ns;
	if (proto == IPPROTO_UDP)
		return ct_udp_timeout(cfg, rport);
	return cfg->icmp_timeout_ns;
}

/* When a session whose packet came 'now' expires: its timer, the
 * slack, and its bound slot's code (cgnat_abi.h).
 */
static __always_inline __u64 ct_expiry(const struct cgnat_cfg *cfg,
				       __u8 proto, __u8 seen, __be16 rport,
				       __u64 now)
{
	__u64 t = ct_timeout(cfg, proto, seen, rport);

	return cgnat_exp_make(now + t + CT_REFRESH_SLACK_NS, t);
}

/* Records the packet on the session ('rport': its remote port): TCP flags
 * and, when 'refresh', the new expiry. Writes only what changed. Returns 1 when the TCP state
 * changed, which rewrote the expiry and may have shortened it: the
 * caller then deletes the session's reverse entry (rsess.h).
 */
static __always_inline int ct_update(struct cgnat_sess *s,
				     const struct cgnat_cfg *cfg,
				     const struct pkt *p, int dir,
				     __be16 rport, __u64 now, int refresh)
{
	__u8 seen = s->tcp_seen;
	__u64 t, exp;

	if (p->proto == IPPROTO_TCP) {
		__u8 b = ct_tcp_bits(p->tcp_flags, dir);

		if ((seen | b) != seen) {
			seen |= b;
			s->tcp_seen = seen;
			/* A state change may shorten the timer (RST, FIN). */
			s->expires_ns = ct_expiry(cfg, p->proto, seen, rport,
						  now);
			return 1;
		}
	}
	if (!refresh)
		return 0;
	/* Coded (cgnat_exp_make) only when written, not on every packet. */
	t = ct_timeout(cfg, p->proto, seen, rport);
	exp = now + t + CT_REFRESH_SLACK_NS;
	if (exp > s->expires_ns + CT_REFRESH_SLACK_NS)
		s->expires_ns = cgnat_exp_make(exp, t);
	return 0;
}

#endif /* CGNAT_CT_H */
