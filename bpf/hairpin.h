/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hairpin.h - a subscriber reaching another subscriber's external ip:port
 * (RFC 4787 REQ-9, RFC 5382 REQ-8). The packet is translated on both
 * sides inside XDP: its source becomes the sender's external endpoint and
 * its destination the receiver's internal one, so the receiver sees the
 * sender's external ip:port, never its private address (REQ-9a). The
 * receiver's filtering applies to the sender's external endpoint exactly
 * as to an internet host, and the receiver keeps a session of its own.
 */
#ifndef CGNAT_HAIRPIN_H
#define CGNAT_HAIRPIN_H

#include "rsess.h"

/* The receiver half: finds the receiver's mapping of (daddr, dport) and
 * its session towards the sender's external endpoint (sext, sport),
 * creating that session when filtering admits it. Fills *raddr, *rport
 * with the receiver's internal endpoint (two scalars, not the mapping:
 * the caller's frame is at the stack limit).
 */
static __always_inline int hairpin_receiver(const struct cgnat_cfg *cfg,
					    struct pkt *p, __be32 sext,
					    __be16 sport, __u64 now,
					    __be32 *raddr, __be16 *rport)
{
	struct cgnat_map_key mk = { .addr = p->ip->daddr, .port = *p->dport,
				    .proto = p->proto, .dir = CGNAT_DIR_IN };
	struct cgnat_sess_key k;
	struct cgnat_sess *s;
	struct cgnat_map_in *m;
	__u64 exp;
	int err;

	m = bpf_map_lookup_elem(&cgnat_map_in, &mk);
	if (!m)
		return -REASON_UNSOLICITED;
	*raddr = m->addr;
	*rport = m->port;
	nat_key(&k, p->proto, m->addr, m->port, sext, sport);
	s = bpf_map_lookup_elem(&cgnat_sessions, &k);
	if (!s || s->expires_ns <= now) {
		if (!nat_filter_admits(cfg, &k, now))
			return -REASON_FILTERED;
		if (p->proto == IPPROTO_TCP && !(p->tcp_flags & TH_SYN))
			return -REASON_TCP_NO_SYN;
		exp = nat_new_expiry(cfg, &k, now);
		err = nat_map_mark(p->proto, *raddr, *rport, now, exp);
		if (err)
			return err;
		s = nat_sess_charged(&k, p->ip->daddr, *p->dport,
				     CGNAT_SF_INBOUND | CGNAT_SF_HAIRPIN,
				     m->sub_idx, now, exp, cfg, &err);
		if (!s)
			return err;
	}
	/* Its session may have been made by a packet from the internet
	 * (with a pool source) and so have a reverse entry.
	 */
	exp = s->expires_ns;
	if (ct_update(s, cfg, p, CGNAT_DIR_IN, k.rem_port, now,
		      cfg->inbound_refresh))
		rsess_forget(p->proto, p->ip->daddr, *p->dport, sext, sport);
	if (s->expires_ns != exp) {
		nat_map_cover(p->proto, k.int_addr, k.int_port, exp,
			      s->expires_ns);
		due_shortened(&k, exp, s->expires_ns);
	}
	return 0;
}

#endif /* CGNAT_HAIRPIN_H */
