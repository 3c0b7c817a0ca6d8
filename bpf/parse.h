/* SPDX-License-Identifier: GPL-2.0 */
/*
 * parse.h - bounds-checked parsing of Ethernet, IPv4 and the transport
 * header into struct pkt. Every function checks data_end before it reads
 * and returns 0 or a negative reason code (cgnat_abi.h); a packet that
 * fails here is never translated.
 */
#ifndef CGNAT_PARSE_H
#define CGNAT_PARSE_H

#include "cgnat_abi.h"

#define ETH_P_IP_BE bpf_htons(0x0800)
#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_OFFMASK 0x1fff
#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_REDIRECT 5
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12

struct pkt {
	void *data_end;
	struct ethhdr *eth;
	struct iphdr *ip;
	__be16 *sport;		/* TCP/UDP source port, ICMP identifier */
	__be16 *dport;		/* TCP/UDP destination port, ICMP identifier */
	__sum16 *l4sum;		/* transport checksum */
	__u8 proto;
	__u8 tcp_flags;		/* TH_* of the TCP header */
	__u8 icmp_type;
	__u8 pad;
};

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

/* Returns 1 for IPv4, 0 for anything the kernel should see (ARP, IPv6,
 * VLAN...), negative for a truncated Ethernet header.
 */
static __always_inline int parse_eth(struct xdp_md *ctx, struct pkt *p)
{
	void *data = (void *)(long)ctx->data;

	p->data_end = (void *)(long)ctx->data_end;
	p->eth = data;
	if ((void *)(p->eth + 1) > p->data_end)
		return -REASON_MALFORMED;
	return p->eth->h_proto == ETH_P_IP_BE;
}

/* The fixed IPv4 header: enough to read the addresses. */
static __always_inline int parse_ipv4_hdr(struct pkt *p)
{
	p->ip = (void *)(p->eth + 1);
	if ((void *)(p->ip + 1) > p->data_end)
		return -REASON_MALFORMED;
	return 0;
}

/* Validates version, IHL and total length, then points at the transport
 * header (options are stepped over). A first fragment parses like a whole
 * packet; later fragments, which carry no transport header, return
 * -REASON_FRAGMENT for frag.h.
 */
static __always_inline int parse_ipv4(struct pkt *p, void **l4)
{
	struct iphdr *ip = p->ip;
	__u32 ihl = ip->ihl * 4;
	__u32 tot = bpf_ntohs(ip->tot_len);

	if (ip->version != 4 || ihl < sizeof(*ip))
		return -REASON_MALFORMED;
	if (tot < ihl || (void *)ip + tot > p->data_end)
		return -REASON_MALFORMED;
	if (ip->frag_off & bpf_htons(IP_OFFMASK))
		return -REASON_FRAGMENT;
	*l4 = (void *)ip + (ihl & 0x3c);
	p->proto = ip->protocol;
	return 0;
}

static __always_inline int parse_tcp(struct pkt *p, void *l4)
{
	struct tcphdr *th = l4;

	if ((void *)(th + 1) > p->data_end || th->doff < 5)
		return -REASON_MALFORMED;
	if ((void *)th + th->doff * 4 > (void *)p->ip +
						bpf_ntohs(p->ip->tot_len))
		return -REASON_MALFORMED;
	p->sport = &th->source;
	p->dport = &th->dest;
	p->l4sum = &th->check;
	p->tcp_flags = ((__u8 *)th)[13];
	return 0;
}

static __always_inline int parse_udp(struct pkt *p, void *l4)
{
	struct udphdr *uh = l4;

	/* Within the IP packet, not only the frame: bytes past tot_len are
	 * Ethernet padding (found by tests/bpf/bpf_fuzz.c).
	 */
	if ((void *)(uh + 1) > p->data_end ||
	    (void *)(uh + 1) > (void *)p->ip + bpf_ntohs(p->ip->tot_len))
		return -REASON_MALFORMED;
	/* A first fragment holds only the start of the datagram. */
	if (bpf_ntohs(uh->len) < sizeof(*uh) ||
	    ((void *)uh + bpf_ntohs(uh->len) >
		     (void *)p->ip + bpf_ntohs(p->ip->tot_len) &&
	     !(p->ip->frag_off & bpf_htons(IP_MF))))
		return -REASON_MALFORMED;
	p->sport = &uh->source;
	p->dport = &uh->dest;
	p->l4sum = &uh->check;
	return 0;
}

/* ICMP: only echo request/reply are queries we translate here; the
 * identifier plays the role of both ports.
 */
static __always_inline int parse_icmp(struct pkt *p, void *l4)
{
	struct icmphdr *ih = l4;

	if ((void *)(ih + 1) > p->data_end ||
	    (void *)(ih + 1) > (void *)p->ip + bpf_ntohs(p->ip->tot_len))
		return -REASON_MALFORMED;
	p->icmp_type = ih->type;
	if (ih->type != ICMP_ECHO && ih->type != ICMP_ECHOREPLY)
		return -REASON_ICMP_ERROR;
	if (ih->code != 0)
		return -REASON_MALFORMED;
	p->sport = &ih->un.echo.id;
	p->dport = &ih->un.echo.id;
	p->l4sum = &ih->checksum;
	return 0;
}

/* Full parse of an IPv4 packet already known to be IPv4. */
static __always_inline int parse_l3l4(struct pkt *p)
{
	void *l4;
	int rc = parse_ipv4(p, &l4);

	if (rc)
		return rc;
	switch (p->proto) {
	case IPPROTO_TCP:
		return parse_tcp(p, l4);
	case IPPROTO_UDP:
		return parse_udp(p, l4);
	case IPPROTO_ICMP:
		return parse_icmp(p, l4);
	}
	return -REASON_PROTO;
}

/* Full IPv4 header checksum check, used only when a packet would create
 * state: on established flows the incremental update keeps a bad checksum
 * bad, so the receiver still drops it.
 */
static __always_inline int ip_csum_ok(struct pkt *p)
{
	__u16 *w = (__u16 *)p->ip;
	__u32 s = 0;
	int i;

	for (i = 0; i < 30; i++) {	/* 60-byte header at most */
		if (i >= p->ip->ihl * 2)
			break;
		if ((void *)(w + i + 1) > p->data_end)
			return 0;
		s += w[i];
	}
	return csum_fold(s) == 0xffff;
}

#endif /* CGNAT_PARSE_H */
