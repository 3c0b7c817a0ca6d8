/* SPDX-License-Identifier: GPL-2.0 */
/*
 * synpend.h - the data plane's half of RFC 5382 REQ-4: an unsolicited
 * inbound SYN is never answered for 6 s, and is answered with ICMP 3/3
 * only if no outbound SYN of the same connection (a simultaneous open)
 * went out meanwhile. XDP cannot wait, so it drops the SYN as before and,
 * with nat.unsolicited_syn: icmp (cfg->syn_icmp_rate != 0), holds a copy
 * in cgnat_syn_pending; an outbound SYN deletes it; userspace sends the
 * ICMP for what is still there after CGNAT_SYN_HOLD_NS (daemon/synpend.c).
 *
 * Holding is rate-limited per CPU (RL_SYN at syn_icmp_rate), which bounds
 * both the map writes a flood costs and the ICMP it can draw; the first
 * SYN of a connection starts the clock, retransmissions neither restart it
 * nor take a token.
 */
#ifndef CGNAT_SYNPEND_H
#define CGNAT_SYNPEND_H

#include "parse.h"
#include "maps.h"
#include "icmp_gen.h"

#ifndef EEXIST
#define EEXIST 17
#endif

/* Copies the SYN in ctx from its IP header into v: at most
 * CGNAT_SYN_QUOTE bytes, and never less than the IP header and the 8
 * bytes of TCP an ICMP error must quote. Returns 0 or -1.
 */
static __always_inline int syn_copy(struct xdp_md *ctx, struct pkt *p,
				    struct cgnat_syn *v)
{
	__u32 len = bpf_ntohs(p->ip->tot_len);

	if (len > CGNAT_SYN_QUOTE)
		len = CGNAT_SYN_QUOTE;
	if (len < p->ip->ihl * 4 + 8 || len < sizeof(struct iphdr) + 8)
		return -1;
	v->len = len;
	return bpf_xdp_load_bytes(ctx, sizeof(struct ethhdr), v->pkt, len) ?
		       -1 : 0;
}

/* Holds the packet in ctx if it is a SYN that may be answered: called by
 * the entry point for an outside packet it drops as unsolicited or
 * filtered, after the drop is decided (the verdict does not change). A
 * global function: the key and the 96-byte value sit in a frame of their
 * own. Returns 1 when held, else 0.
 */
__noinline int syn_pend(struct xdp_md *ctx)
{
	struct cgnat_cfg *cfg = cfg_get();
	struct cgnat_syn_key k = {};
	struct cgnat_syn v = {};
	struct pkt p = {};
	__u64 now;
	long rc;

	if (!ctx || !cfg || !cfg->syn_icmp_rate)
		return 0;
	if (parse_eth(ctx, &p) != 1 || parse_ipv4_hdr(&p) || parse_l3l4(&p))
		return 0;	/* later fragments fail here too */
	if (p.proto != IPPROTO_TCP ||
	    (p.tcp_flags & (TH_SYN | TH_ACK | TH_RST | TH_FIN)) != TH_SYN)
		return 0;
	if (!p.ip->saddr || icmp_gen_bcast(p.ip->saddr) ||
	    (p.eth->h_dest[0] & 1) || !ip_csum_ok(&p))
		return 0;
	k.ext_addr = p.ip->daddr;
	k.rem_addr = p.ip->saddr;
	k.ext_port = *p.dport;
	k.rem_port = *p.sport;
	if (bpf_map_lookup_elem(&cgnat_syn_pending, &k))
		return 0;	/* a retransmission: the first one's clock */
	/* The precise clock: the coarse one lags by up to a tick, which
	 * would answer a little before the 6 s.
	 */
	now = bpf_ktime_get_ns();
	if (!rl_take(RL_SYN, cfg->syn_icmp_rate, now)) {
		stat_inc(STAT_SYN_LIMITED);
		return 0;
	}
	v.time_ns = now;
	if (syn_copy(ctx, &p, &v))
		return 0;
	rc = bpf_map_update_elem(&cgnat_syn_pending, &k, &v, BPF_NOEXIST);
	if (rc == -EEXIST)
		return 0;	/* another CPU held the same SYN */
	if (rc) {
		stat_inc(STAT_SYN_PENDING_FULL);
		return 0;
	}
	stat_inc(STAT_SYN_PENDING);
	return 1;
}

/* An outbound SYN from ext_addr:ext_port to the packet's destination is
 * leaving: a held inbound SYN of that connection is a simultaneous open,
 * never to be answered. Call before the header is rewritten.
 */
static __always_inline void syn_clear(const struct cgnat_cfg *cfg,
				      struct pkt *p, __be32 ext_addr,
				      __be16 ext_port)
{
	struct cgnat_syn_key k;

	if (!cfg->syn_icmp_rate || p->proto != IPPROTO_TCP ||
	    !(p->tcp_flags & TH_SYN))
		return;
	k.ext_addr = ext_addr;
	k.rem_addr = p->ip->daddr;
	k.ext_port = ext_port;
	k.rem_port = *p->dport;
	if (!bpf_map_delete_elem(&cgnat_syn_pending, &k))
		stat_inc(STAT_SYN_SIMOPEN);
}

#endif /* CGNAT_SYNPEND_H */
