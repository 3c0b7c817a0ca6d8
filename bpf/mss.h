/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mss.h - TCP MSS clamping (what Cisco calls ip tcp adjust-mss): a
 * translated SYN or SYN-ACK whose MSS option exceeds the clamp of an
 * interface it crosses leaves with the MSS lowered to that clamp, so that
 * hosts behind a link with a smaller MTU (PPPoE, a tunnel) never send
 * segments that must be fragmented or dropped. cfg->mss_clamp[0] is the
 * inside interface's clamp, [1] the outside's, 0 = off. Outbound and
 * inbound packets cross both interfaces (the smaller non-zero clamp
 * applies), hairpinned ones only the inside.
 *
 * Left alone: a SYN without an MSS option, whose receiver then assumes
 * RFC 9293's IPv4 default of 536 (section 3.7.1), already no larger than
 * any clamp the configuration accepts; and a SYN whose option list is
 * malformed, whose layout we do not guess at (it is still translated).
 * The change is added to the translation's checksum difference (struct
 * xlate), so the TCP checksum is updated once, by xlate_finish().
 */
#ifndef CGNAT_MSS_H
#define CGNAT_MSS_H

#include "nat.h"

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOLEN_MSS 4
#define MSS_OPT_MAX 40 /* (15 - 5) words of TCP options */
/* Furthest an MSS value can sit: Ethernet, IP and TCP headers at most. */
#define MSS_VAL_OFF_MAX (14 + 60 + 60 - 2)

/* Packet offset of the 2-byte value of the MSS option in the 'len'
 * (0..40) option bytes at packet offset 'off'; -1 when there is none (an
 * EOL ends the list) or the list is malformed (an option running past
 * the end or shorter than 2 bytes, an MSS option not 4 bytes long).
 * Global: the options are copied into its own frame and the walk is
 * verified once. The walk is unrolled over the 40 possible positions, a
 * position being read only when an option starts there ('next'): every
 * index is a constant, which costs the verifier a few thousand steps
 * where a loop over a variable index costs ~90000.
 */
__noinline int mss_find(struct xdp_md *ctx, __u32 off, __u32 len)
{
	__u8 o[MSS_OPT_MAX] = {};
	__u32 next = 0, j;

	if (!ctx || !len || len > MSS_OPT_MAX ||
	    bpf_xdp_load_bytes(ctx, off, o, len))
		return -1;
#pragma unroll
	for (j = 0; j < MSS_OPT_MAX; j++) {
		if (j != next)
			continue;
		if (j >= len || o[j] == TCPOPT_EOL)
			return -1;
		if (o[j] == TCPOPT_NOP) {
			next = j + 1;
			continue;
		}
		/* Kind, length >= 2, all of it inside the list. */
		if (j + 1 >= len || o[j + 1] < 2 || j + o[j + 1] > len)
			return -1;
		if (o[j] == TCPOPT_MSS && o[j + 1] == TCPOLEN_MSS)
			return off + j + 2;
		if (o[j] == TCPOPT_MSS)
			return -1; /* an MSS option is 4 bytes */
		next = j + o[j + 1];
	}
	return -1;
}

/* The clamp for a packet crossing both interfaces, or only the inside
 * one (hairpin); 0 = none.
 */
static __always_inline __u16 mss_limit(const struct cgnat_cfg *cfg, int hairpin)
{
	__u16 in = cfg->mss_clamp[0], out = cfg->mss_clamp[1];

	if (hairpin || !out)
		return in;
	return in && in < out ? in : out;
}

/* Lowers the MSS option of the TCP SYN in p (before xlate_finish) to the
 * clamp of the interfaces it crosses; the checksum difference goes into
 * x->l4. Anything else, and SYNs already within the clamp, pass as is.
 */
static __always_inline void mss_clamp(struct xdp_md *ctx, struct pkt *p,
				      struct xlate *x,
				      const struct cgnat_cfg *cfg, int hairpin)
{
	__u16 clamp = mss_limit(cfg, hairpin), from, to;
	struct tcphdr *th = (void *)p->sport;
	void *data, *end;
	__u32 l4;
	__u8 *v;
	int off;

	if (!clamp || p->proto != IPPROTO_TCP || !(p->tcp_flags & TH_SYN) ||
	    (void *)(th + 1) > p->data_end || th->doff <= 5)
		return;
	data = (void *)(long)ctx->data;
	l4 = (void *)th - data;
	off = mss_find(ctx, l4 + sizeof(*th), th->doff * 4 - sizeof(*th));
	if (off < 0 || off > MSS_VAL_OFF_MAX)
		return;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	v = data + off;
	if ((void *)(v + 2) > end || (v[0] << 8 | v[1]) <= clamp)
		return;
	from = bpf_htons(v[0] << 8 | v[1]);
	to = bpf_htons(clamp);
	/* At an odd offset from the TCP header the value straddles two
	 * checksum words: its bytes count swapped (RFC 1071 byte order
	 * independence).
	 */
	if ((off - l4) & 1) {
		from = __builtin_bswap16(from);
		to = __builtin_bswap16(to);
	}
	x->l4 += csum_diff16(from, to);
	v[0] = clamp >> 8;
	v[1] = clamp & 0xff;
}

#endif /* CGNAT_MSS_H */
