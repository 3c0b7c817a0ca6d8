// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_fuzz.c - hostile input for the real XDP program with its real maps
 * (BPF_PROG_TEST_RUN through the harness), on both entry points: random
 * bytes, and valid packets of every kind (TCP, UDP, ICMP echo and errors,
 * fragments, IP and TCP options, hairpin, replies to mappings it made)
 * mutated by bit flips, truncation, length/offset fields set to edge
 * values and checksum corruption, while sweeps run in steps between them,
 * blocks are granted again and the filtering mode changes. After every
 * packet fuzz_check() holds the oracle (fuzz_oracle.h):
 *   - a packet sent out of the outside never carries a subscriber source
 *     (nor a subscriber address in a quoted header);
 *   - a packet sent inside reaches a subscriber only through a mapping the
 *     model saw made and that the filtering mode admits, or is an error
 *     the box generated for the packet's own sender;
 *   - a translated packet keeps its length and payload, loses one TTL,
 *     and its IP and L4 checksums stay valid when they were;
 *   - generated ICMP is valid; nothing else grows;
 *   - the arrival counter moves by one and an outcome counter accounts
 *     for the packet.
 * FUZZ_ITERS (inputs per test, default 20000) and FUZZ_SEED (default 1)
 * size the run: make test runs the default, make fuzz millions.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/cgnat.skel.h"

#include "tests/bpf/fuzz_oracle.h"
#include "tests/bpf/nat_util.h"

#define FRAME 2048
#define RING 4096

static uint64_t rs = 1;
static uint64_t iters = 20000;
static unsigned int filtering, hairpin_on = 1;

/* maps: (proto, ext addr, ext port) -> internal endpoint; pairs: external
 * address -> internal address; contacts(_a): internal endpoint -> remote
 * endpoint (address) it sent to or was admitted from.
 */
static struct fo_set maps, pairs, contacts, contacts_a;

/* Mappings seen made, to build replies, hairpins and ICMP errors to. */
struct fz_rec {
	uint8_t proto;
	uint32_t int_addr, ext_addr, rem_addr;	/* network order */
	uint16_t int_port, ext_port, rem_port;	/* host order */
};
static struct fz_rec ring[RING];
static size_t ring_n;

/* What the run did: packets, actions, counters reached (our coverage). */
static uint64_t n_pkts, n_act[5], n_xlate, n_gen, n_fail, n_sweeps;
static uint64_t stat_hit[STAT_MAX];

static uint64_t rnd(void)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return rs * 2685821657736338717ull;
}

static uint32_t rn(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static const char *const subs[] = { H1, H2, H3, "100.64.0.12", "100.64.0.1",
				    "100.127.255.255" };
static const char *const rems[] = { S1, S2, "192.0.2.50", "198.51.100.99",
				    "203.0.113.1", "192.0.2.1" };
static const uint16_t rports[] = { 53, 80, 443, 7, 9999, 0 };

static uint16_t sub_port(void)
{
	return rn(50) ? 20000 + rn(24) : (uint16_t)rnd();
}

static uint64_t key_ext(uint8_t proto, uint32_t addr, uint16_t port)
{
	return (uint64_t)proto << 48 | (uint64_t)port << 32 | addr;
}

static uint64_t key_ep(uint32_t addr, uint16_t port)
{
	return (uint64_t)port << 32 | addr;
}

static void model_add(struct fo_set *s, uint64_t a, uint64_t b)
{
	if (fo_set_add(s, a, b))
		fail_msg("oracle model full: lower FUZZ_ITERS per seed");
}

static uint8_t out[FRAME];
static size_t olen;

static int fz_fail(const char *what, const uint8_t *in, size_t ilen,
		   int side)
{
	size_t i;

	n_fail++;
	printf("# ORACLE: %s (side %s, %zu bytes, seed state %llu)\n# in:",
	       what, side == H_INSIDE ? "inside" : "outside", ilen,
	       (unsigned long long)rs);
	for (i = 0; i < ilen && i < 96; i++)
		printf(" %02x", in[i]);
	printf("\n# out:");
	for (i = 0; i < olen && i < 96; i++)
		printf(" %02x", out[i]);
	printf("\n");
	return -1;
}

static int is_local(uint32_t a)
{
	const uint8_t *b = (const uint8_t *)&a;

	return a == pkt_ip("100.64.0.1") || a == pkt_ip("192.0.2.1") ||
	       a == pkt_ip("100.127.255.255") || a == pkt_ip("192.0.2.255") ||
	       b[0] == 127 || b[0] >= 224 || a == 0;
}

static int is_icmp_err(uint8_t t)
{
	return t == 3 || t == 11 || t == 12;
}

static int egress_of(int side, int act, int gen, const uint8_t *out)
{
	if (gen || act == XDP_TX)
		return side;
	if (!memcmp(out + 6, h_mac_tout, 6))
		return H_OUTSIDE;
	if (!memcmp(out + 6, h_mac_tin, 6))
		return H_INSIDE;
	return -1;
}

/* Does the model admit this inbound translation ('iv' in, 'ov' out)? */
static const char *admitted(int side, const struct fo_view *iv,
			    const struct fo_view *ov)
{
	uint64_t ext = key_ext(iv->proto, iv->daddr, iv->dport);
	uint64_t rem_src = side == H_INSIDE ? ov->saddr : iv->saddr;
	uint16_t rem_sport = side == H_INSIDE ? ov->sport : iv->sport;
	uint64_t intk;

	if (!fo_set_has(&pairs, iv->daddr, ov->daddr))
		return "sent inside to a subscriber with no mapping on that address";
	if (!iv->l4 || !ov->l4 || (iv->proto == 1 && is_icmp_err(iv->icmp_type)))
		return NULL;
	if (!fo_set_has(&maps, ext, key_ep(ov->daddr, ov->dport)))
		return "sent inside through no mapping the model saw made";
	if (iv->proto == 1)
		return NULL;
	intk = key_ext(iv->proto, ov->daddr, ov->dport);
	if (filtering == CGNAT_FILTER_ADF &&
	    !fo_set_has(&contacts_a, intk, rem_src))
		return "address-dependent filtering admitted an unknown address";
	if (filtering == CGNAT_FILTER_APDF &&
	    !fo_set_has(&contacts, intk, key_ep(rem_src, rem_sport)))
		return "endpoint-dependent filtering admitted an unknown endpoint";
	return NULL;
}

static void record_out(const struct fo_view *iv, const struct fo_view *ov)
{
	uint64_t ext = key_ext(ov->proto, ov->saddr, ov->sport);
	uint64_t intk = key_ext(iv->proto, iv->saddr, iv->sport);
	struct fz_rec *r;

	model_add(&pairs, ov->saddr, iv->saddr);
	if (!iv->l4 || !ov->l4 || (ov->proto == 1 && is_icmp_err(ov->icmp_type)))
		return;
	model_add(&maps, ext, key_ep(iv->saddr, iv->sport));
	/* The internal endpoint sent to this remote (a hairpin sender: to
	 * the receiver's external endpoint).
	 */
	model_add(&contacts, intk, key_ep(iv->daddr, iv->dport));
	model_add(&contacts_a, intk, iv->daddr);
	r = &ring[ring_n++ % RING];
	*r = (struct fz_rec){ ov->proto, iv->saddr, ov->saddr, ov->daddr,
			      iv->sport, ov->sport, ov->dport };
}

/* A packet that made a mapping but left no translated copy (next hop
 * unresolved, too big, refused after the mapping): the model learns the
 * external endpoint given to the internal one the oracle parsed.
 */
static void learn_mapping(const struct fo_view *iv)
{
	struct cgnat_map_key k = { .addr = iv->saddr, .port = htons(iv->sport),
				   .proto = iv->proto, .dir = CGNAT_DIR_OUT };
	struct cgnat_map m;

	if (bpf_map_lookup_elem(bpf_map__fd(H.dp.skel->maps.cgnat_mappings),
				&k, &m))
		return;
	model_add(&pairs, m.addr, iv->saddr);
	model_add(&maps, key_ext(iv->proto, m.addr, ntohs(m.port)),
		  key_ep(iv->saddr, iv->sport));
}

/* An outcome: anything that says what became of the packet. */
static int is_outcome(int i)
{
	switch (i) {
	case STAT_RX_INSIDE: case STAT_RX_OUTSIDE: case STAT_NEW_SESSION:
	case STAT_NEW_MAPPING: case STAT_NEW_SUBSCRIBER:
	case STAT_BLOCK_TAKEN: case STAT_FIB_LOOKUP: case STAT_EVT_LOST:
	case STAT_EVT_SESS_LOST:
	case STAT_GRANT_LOST: case STAT_RELEASE_RACE:
	case STAT_GRANT_NEW_EMPTY: case STAT_GRANT_ADDR_EMPTY:
	case STAT_GRANT_BELL:
	case STAT_XLATE_IN_FAST:
		return 0;
	}
	return 1;
}

/* Runs one frame on 'side' and holds the oracle. 0 or -1. */
static int fuzz_one(int side, const uint8_t *in, size_t ilen)
{
	__u64 a[STAT_MAX], b[STAT_MAX];
	struct fo_view iv, ov;
	int act, i, outcomes = 0, gen, eg;
	const char *why;

	olen = 0;
	if (dp_stats(&H.dp, a))
		return fz_fail("dp_stats", in, ilen, side);
	olen = FRAME;
	act = h_run(&H, side, in, ilen, out, &olen);
	if (dp_stats(&H.dp, b))
		return fz_fail("dp_stats", in, ilen, side);
	n_pkts++;
	if (act < 0 || act > XDP_REDIRECT)
		return fz_fail("aborted or unknown action", in, ilen, side);
	n_act[act]++;
	for (i = 0; i < STAT_MAX; i++)
		if (b[i] != a[i]) {
			stat_hit[i]++;
			outcomes += is_outcome(i);
		}
	if (b[STAT_RX_INSIDE] - a[STAT_RX_INSIDE] != (side == H_INSIDE) ||
	    b[STAT_RX_OUTSIDE] - a[STAT_RX_OUTSIDE] != (side == H_OUTSIDE))
		return fz_fail("arrival counter off", in, ilen, side);
	if (!outcomes)
		return fz_fail("no counter accounts for the packet", in, ilen,
			       side);
	fo_parse(in, ilen, &iv);
	fo_parse(out, olen, &ov);
	if (side == H_INSIDE && iv.l4 && b[STAT_NEW_MAPPING] != a[STAT_NEW_MAPPING])
		learn_mapping(&iv);
	/* A session from inside is a contact even when its packet went no
	 * further (a hairpin the receiver's filter refused), and before the
	 * receiver's filter runs (a hairpin to oneself).
	 */
	if (side == H_INSIDE && iv.l4 && b[STAT_NEW_SESSION] != a[STAT_NEW_SESSION]) {
		uint64_t ik = key_ext(iv.proto, iv.saddr, iv.sport);

		model_add(&contacts, ik, key_ep(iv.daddr, iv.dport));
		model_add(&contacts_a, ik, iv.daddr);
	}
	if (act == XDP_PASS && side == H_INSIDE && ov.ip &&
	    fo_is_sub(ov.saddr) && !is_local(ov.daddr) &&
	    !(iv.ip && fo_is_sub(iv.daddr)))
		return fz_fail("subscriber source passed to the kernel to forward",
			       in, ilen, side);
	if (act != XDP_TX && act != XDP_REDIRECT)
		return 0;
	gen = b[STAT_ICMP_SENT] != a[STAT_ICMP_SENT];
	eg = egress_of(side, act, gen, out);
	if (eg < 0)
		return fz_fail("sent to no known interface", in, ilen, side);
	if (!ov.ip)
		return fz_fail("emitted a malformed frame", in, ilen, side);
	if (eg == H_OUTSIDE && fo_is_sub(ov.saddr))
		return fz_fail("subscriber source sent out", in, ilen, side);
	if (eg == H_OUTSIDE && !gen && ov.q &&
	    (fo_is_sub(ov.q_saddr) || fo_is_sub(ov.q_daddr)))
		return fz_fail("subscriber address quoted out", in, ilen, side);
	if (gen) {
		n_gen++;
		if (!ov.ip_csum_ok || ov.l4_csum_ok != 1 || ov.proto != 1 ||
		    !is_icmp_err(ov.icmp_type))
			return fz_fail("generated ICMP invalid", in, ilen, side);
		if (!iv.ip || ov.daddr != iv.saddr)
			return fz_fail("generated ICMP not to the sender", in,
				       ilen, side);
		return 0;
	}
	n_xlate++;
	if (!iv.ip)
		return fz_fail("translated a malformed packet", in, ilen, side);
	if (olen != ilen)
		return fz_fail("translated packet changed length", in, ilen,
			       side);
	if (ov.ttl + 1 != iv.ttl)
		return fz_fail("TTL not decremented by one", in, ilen, side);
	if (iv.ip_csum_ok && !ov.ip_csum_ok)
		return fz_fail("IP checksum broken", in, ilen, side);
	if (iv.l4_csum_ok == 1 && ov.l4_csum_ok != 1)
		return fz_fail("L4 checksum broken", in, ilen, side);
	if (iv.udp_zero != ov.udp_zero)
		return fz_fail("UDP zero checksum changed", in, ilen, side);
	if (iv.q && iv.q_ip_csum_ok && !(ov.q && ov.q_ip_csum_ok))
		return fz_fail("quoted IP checksum broken", in, ilen, side);
	if (!(ov.proto == 1 && is_icmp_err(ov.icmp_type)) &&
	    (iv.pl_off != ov.pl_off ||
	     memcmp(in + iv.pl_off, out + ov.pl_off, olen - ov.pl_off)))
		return fz_fail("payload changed", in, ilen, side);
	if (eg == H_INSIDE && side == H_INSIDE && fo_is_sub(iv.daddr) &&
	    ov.daddr == iv.daddr) {
		/* Subscriber to subscriber by private address: routed, not
		 * admitted by any mapping (no pool address involved).
		 */
	} else if (eg == H_INSIDE) {
		if (!fo_is_sub(ov.daddr))
			return fz_fail("sent inside to a non-subscriber", in,
				       ilen, side);
		if (side == H_INSIDE && !hairpin_on)
			return fz_fail("hairpinned with hairpinning off", in,
				       ilen, side);
		why = admitted(side, &iv, &ov);
		if (why)
			return fz_fail(why, in, ilen, side);
		if (iv.l4 && ov.l4) {
			uint64_t ik = key_ext(iv.proto, ov.daddr, ov.dport);
			uint32_t ra = side == H_INSIDE ? ov.saddr : iv.saddr;
			uint16_t rp = side == H_INSIDE ? ov.sport : iv.sport;

			model_add(&contacts, ik, key_ep(ra, rp));
			model_add(&contacts_a, ik, ra);
		}
	}
	if (side == H_INSIDE)
		record_out(&iv, &ov);
	return 0;
}

/* --- inputs ---------------------------------------------------------- */

static size_t gen_random(uint8_t *f, int *side)
{
	size_t len = 14 + rn(300), i;

	for (i = 0; i < len; i++)
		f[i] = (uint8_t)rnd();
	*side = rn(2);
	if (rn(4)) {	/* mostly IPv4 with a plausible start */
		memcpy(f, *side == H_INSIDE ? h_mac_tin : h_mac_tout, 6);
		f[12] = 0x08;
		f[13] = 0;
		if (len > 14 && rn(2))
			f[14] = 0x45;
	}
	return len;
}

static void rand_tcp_opts(struct pkt_spec *s)
{
	static const uint8_t mss[] = { 2, 4, 0x05, 0xb4 };

	if (s->proto != 6 || rn(3))
		return;
	s->tcp_opt_len = 4 * (1 + rn(3));
	memset(s->tcp_opts, 1, sizeof(s->tcp_opts));	/* NOP */
	if (rn(2))
		memcpy(s->tcp_opts, mss, 4);
	if (!rn(4))
		s->tcp_opts[rn(s->tcp_opt_len)] = (uint8_t)rnd();
}

static void rand_common(struct pkt_spec *s)
{
	static const uint8_t flags[] = { 0x02, 0x10, 0x12, 0x04, 0x11, 0x18,
					 0x14, 0x00, 0x03 };

	if (s->proto == 6)
		s->tcp_flags = flags[rn(sizeof(flags))];
	s->payload = rn(8) ? rn(200) : rn(1400);
	s->ttl = rn(10) ? 0 : 1 + rn(2);
	s->opt_words = rn(6) ? 0 : 1 + rn(3);
	s->udp_nocsum = s->proto == 17 && !rn(8);
	s->ip_id = (uint16_t)rnd();
	if (!rn(8))
		s->frag = 0x4000;	/* DF */
	rand_tcp_opts(s);
}

static uint8_t rand_proto(void)
{
	static const uint8_t p[] = { 6, 17, 1 };

	return p[rn(3)];
}

/* An ICMP error quoting 'q' (an IP packet), sent src -> dst. */
static size_t icmp_err(uint8_t *f, int side, uint32_t src, uint32_t dst,
		       const uint8_t *q, size_t qlen)
{
	static const uint8_t types[][2] = { { 3, 3 }, { 3, 4 }, { 11, 0 },
					    { 3, 1 }, { 12, 0 }, { 3, 13 } };
	const uint8_t *t = types[rn(6)];
	const uint8_t *sm = side == H_INSIDE ? mac_of(src) : h_mac_gw;
	const uint8_t *dm = side == H_INSIDE ? h_mac_tin : h_mac_tout;
	size_t cut = 28 + rn(200);

	if (qlen > cut)
		qlen = cut;
	return icmp_frame(f, sm, dm, src, dst, rn(10) ? 64 : 1, t[0], t[1], q,
			  qlen);
}

static size_t gen_valid(uint8_t *f, int *side)
{
	uint8_t tmp[FRAME];
	struct pkt_spec s;
	struct fz_rec *r = ring_n ? &ring[rn(ring_n < RING ? ring_n : RING)] :
				    NULL;
	size_t len;
	int kind = rn(10);

	if (!r && kind >= 3 && kind <= 7)
		kind = 0;
	switch (kind) {
	case 0: case 1: case 2:	/* new or known flow out */
		*side = H_INSIDE;
		s = spec(rand_proto(), subs[rn(rn(4) ? 3 : 6)], sub_port(),
			 rems[rn(rn(4) ? 2 : 6)], rports[rn(6)], H_INSIDE);
		if (s.proto == 1)
			s.icmp_type = rn(8) ? 8 : rn(20);
		break;
	case 3: case 4: case 5:	/* reply, or an unknown remote */
		*side = H_OUTSIDE;
		s = spec(r->proto, rems[rn(2)], r->rem_port, S1, r->ext_port,
			 H_OUTSIDE);
		s.saddr = rn(3) ? r->rem_addr : s.saddr;
		s.daddr = r->ext_addr;
		if (s.proto == 1)
			s.icmp_type = rn(8) ? 0 : rn(20);
		if (!rn(8))
			s.dport = (uint16_t)(r->ext_port + 1);
		break;
	case 6:	/* hairpin to a mapping */
		*side = H_INSIDE;
		s = spec(r->proto, subs[rn(3)], sub_port(), S1, r->ext_port,
			 H_INSIDE);
		s.daddr = r->ext_addr;
		break;
	case 7: {	/* ICMP error to or from a subscriber */
		struct pkt_spec q;

		if (rn(2)) {	/* router -> ext, quoting what left */
			q = spec(r->proto, S1, r->ext_port, S2, r->rem_port,
				 H_INSIDE);
			q.saddr = r->ext_addr;
			q.daddr = r->rem_addr;
			if (q.proto == 1)
				q.icmp_type = 8;
			len = pkt_build(tmp, sizeof(tmp), &q);
			*side = H_OUTSIDE;
			return icmp_err(f, *side, rn(2) ? r->rem_addr :
							  pkt_ip("192.0.2.77"),
					r->ext_addr, tmp + 14, len - 14);
		}
		q = spec(r->proto, S1, r->rem_port, H1, r->int_port, H_OUTSIDE);
		q.saddr = r->rem_addr;
		q.daddr = r->int_addr;
		len = pkt_build(tmp, sizeof(tmp), &q);
		*side = H_INSIDE;
		return icmp_err(f, *side, r->int_addr, r->rem_addr, tmp + 14,
				len - 14);
	}
	case 8: {	/* a fragment of a flow */
		size_t at = 8 * (1 + rn(8));

		*side = rn(2);
		if (*side == H_INSIDE || !r) {
			s = spec(rand_proto(), subs[rn(3)], sub_port(),
				 rems[rn(2)], rports[rn(5)], H_INSIDE);
			*side = H_INSIDE;
		} else {
			s = spec(r->proto, S1, r->rem_port, S2, r->ext_port,
				 H_OUTSIDE);
			s.saddr = r->rem_addr;
			s.daddr = r->ext_addr;
		}
		rand_common(&s);
		s.payload = 100 + rn(300);
		s.frag = 0;
		len = pkt_build(tmp, sizeof(tmp), &s);
		return pkt_fragment(tmp, len, at, rn(2), f) ?: len;
	}
	default: {	/* not IPv4 */
		static const uint16_t et[] = { 0x0806, 0x86dd, 0x8100,
					       0x88a8, 0x0800 };
		size_t i;

		*side = rn(2);
		len = 14 + rn(80);
		for (i = 0; i < len; i++)
			f[i] = (uint8_t)rnd();
		f[12] = et[rn(5)] >> 8;
		f[13] = et[rn(5)] & 0xff;
		return len;
	}
	}
	rand_common(&s);
	len = pkt_build(f, FRAME, &s);
	return len;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static const uint16_t edges[] = { 0, 1, 4, 5, 7, 8, 19, 20, 21, 0x7f, 0xff,
				  0x100, 0x1fff, 0x2000, 0x3fff, 0x4000,
				  0x7fff, 0x8000, 0xfffe, 0xffff };

static size_t mutate(uint8_t *f, size_t len)
{
	size_t ihl = len > 14 ? (f[14] & 0xf) * 4u : 20, l4 = 14 + ihl;
	int n = 1 + rn(3);

	while (n--) {
		uint16_t e = edges[rn(sizeof(edges) / 2)];

		switch (rn(9)) {
		case 0: {	/* bit flips, mostly in the headers */
			int k = 1 + rn(4);

			while (k--) {
				size_t at = rn(4) ? rn(len < 80 ? len : 80) :
						    rn(len);
				f[at] ^= 1 << rn(8);
			}
			break;
		}
		case 1:	/* truncation */
			len = 14 + rn(len - 13);
			break;
		case 2:	/* IP total length */
			if (len >= 18)
				put16(f + 16, rn(2) ? e : (uint16_t)(len - 14 +
						      (int)rn(5) - 2));
			break;
		case 3:	/* version/IHL */
			if (len > 14)
				f[14] = rn(2) ? (0x40 | rn(16)) : (uint8_t)e;
			break;
		case 4:	/* flags and fragment offset */
			if (len >= 22)
				put16(f + 20, e);
			break;
		case 5:	/* IP checksum, L4 checksum */
			if (len >= 26 && rn(2))
				f[24 + rn(2)] ^= 1 + rn(255);
			else if (l4 + 18 <= len)
				f[l4 + (f[23] == 6 ? 16 : f[23] == 17 ? 6 : 2) +
				  rn(2)] ^= 1 + rn(255);
			break;
		case 6:	/* UDP length, TCP data offset, ICMP type */
			if (l4 + 14 > len)
				break;
			if (f[23] == 17)
				put16(f + l4 + 4, e);
			else if (f[23] == 6)
				f[l4 + 12] = rn(16) << 4;
			else
				f[l4] = (uint8_t)e;
			break;
		case 7:	/* trailing bytes after the IP packet */
			if (len + 64 < FRAME) {
				size_t k = 1 + rn(60);

				while (k--)
					f[len++] = (uint8_t)rnd();
			}
			break;
		default:	/* TTL, protocol */
			if (len >= 24)
				f[22 + rn(2)] = (uint8_t)e;
			break;
		}
	}
	return len;
}

/* Between packets: a sweep in steps (sometimes hours ahead), grants
 * refilled, the filtering mode and hairpinning changed.
 */
static void interleave(void)
{
	if (H.dp.sw.pass && !rn(16)) {
		int rc = dp_sweep_step(&H.dp);

		assert_true(rc >= 0);
		if (rc == 0) {
			pb_sync(&H.pb, &H.pv, h_now_ns() / 1000000);
			pb_refill(&H.pb, &H.pv);
			n_sweeps++;
		}
	} else if (!H.dp.sw.pass && !rn(1500)) {
		assert_int_equal(dp_sweep_begin(&H.dp, h_now_ns() +
						rn(4) * 200000000000ull),
				 0);
	}
	if (!rn(4000)) {
		struct cgnat_cfg c = H.o.cfg;

		filtering = rn(3);
		hairpin_on = rn(4) != 0;
		c.filtering = filtering;
		c.hairpinning = hairpin_on;
		assert_int_equal(dp_set_cfg(&H.dp, &c), 0);
	}
}

static int fuzz_setup(void **st)
{
	const char *e;

	(void)st;
	e = getenv("FUZZ_SEED");
	rs = e ? strtoull(e, NULL, 0) : 1;
	rs = rs ? rs : 1;
	e = getenv("FUZZ_ITERS");
	iters = e ? strtoull(e, NULL, 0) : 20000;
	filtering = CGNAT_FILTER_EIF;
	hairpin_on = 1;
	ring_n = 0;
	if (fo_set_init(&maps, 1 << 20) || fo_set_init(&pairs, 1 << 12) ||
	    fo_set_init(&contacts, 1 << 20) ||
	    fo_set_init(&contacts_a, 1 << 20))
		return -1;
	return h_load_sized(&H, 4, 64, 4, 1, 16384, 256);
}

static int fuzz_teardown(void **st)
{
	(void)st;
	dp_sweep_free(&H.dp);
	fo_set_free(&maps);
	fo_set_free(&pairs);
	fo_set_free(&contacts);
	fo_set_free(&contacts_a);
	return teardown(st);
}

static void report(const char *name, uint64_t t0)
{
	int i, reached = 0;

	for (i = 0; i < STAT_MAX; i++)
		reached += stat_hit[i] != 0;
	printf("# %s: %llu inputs in %.1f s: drop %llu pass %llu tx %llu "
	       "redirect %llu (translated %llu, generated %llu), %llu sweeps, "
	       "%d of %d counters reached, %llu oracle failures\n",
	       name, (unsigned long long)n_pkts, (h_now_ns() - t0) / 1e9,
	       (unsigned long long)n_act[XDP_DROP],
	       (unsigned long long)n_act[XDP_PASS],
	       (unsigned long long)n_act[XDP_TX],
	       (unsigned long long)n_act[XDP_REDIRECT],
	       (unsigned long long)n_xlate, (unsigned long long)n_gen,
	       (unsigned long long)n_sweeps, reached, STAT_MAX,
	       (unsigned long long)n_fail);
	if (getenv("FUZZ_VERBOSE"))
		for (i = 0; i < STAT_MAX; i++)
			printf("#   counter %2d: %llu\n", i,
			       (unsigned long long)stat_hit[i]);
}

static void reset_counts(void)
{
	n_pkts = n_xlate = n_gen = n_fail = n_sweeps = 0;
	memset(n_act, 0, sizeof(n_act));
	memset(stat_hit, 0, sizeof(stat_hit));
}

/* Random bytes (a plausible Ethernet/IPv4 start or not) on both sides. */
static void test_fuzz_random(void **st)
{
	static uint8_t f[FRAME];
	uint64_t i, t0 = h_now_ns();
	int side;

	(void)st;
	reset_counts();
	for (i = 0; i < iters / 4; i++) {
		size_t len = gen_random(f, &side);

		fuzz_one(side, f, len);
		interleave();
	}
	report("random", t0);
	assert_int_equal(n_fail, 0);
}

/* Valid packets of every kind, most of them mutated. */
static void test_fuzz_mutated(void **st)
{
	static uint8_t f[FRAME];
	uint64_t i, t0 = h_now_ns();
	int side;

	(void)st;
	reset_counts();
	for (i = 0; i < iters; i++) {
		size_t len = gen_valid(f, &side);

		if (len < 14)
			continue;
		if (rn(10) < 6)
			len = mutate(f, len);
		fuzz_one(side, f, len);
		interleave();
	}
	report("mutated", t0);
	assert_int_equal(n_fail, 0);
	assert_true(n_xlate > iters / 20);	/* the oracle saw real work */
}

/* --- regressions: what the fuzzer found, fixed ------------------------ */

static uint64_t drops(int reason)
{
	return h_stat(&H, STAT_DROP_BASE + reason);
}

/* An ICMP echo or UDP header lying in the Ethernet padding after an IP
 * packet of 20 bytes was translated (bpf/parse.h read it against the
 * frame's end, not tot_len): now malformed, on both sides.
 */
static void test_reg_l4_in_padding(void **st)
{
	static const uint8_t protos[] = { 1, 17 };
	uint8_t f[128], out[256];
	size_t i, olen;

	(void)st;
	for (i = 0; i < 2; i++) {
		struct pkt_spec s = spec(protos[i], H1, 4000, S1, 53, H_INSIDE);
		size_t len = pkt_build(f, sizeof(f), &s);
		uint64_t before = drops(REASON_MALFORMED);
		uint16_t c;

		f[16] = 0;
		f[17] = 20;	/* tot_len: the header alone */
		if (protos[i] == 17)
			f[20] = 0x20;	/* MF: lets the UDP length pass */
		f[24] = f[25] = 0;
		c = pkt_csum(f + 14, 20, 0);
		memcpy(f + 24, &c, 2);
		olen = sizeof(out);
		assert_int_equal(h_run(&H, H_INSIDE, f, len, out, &olen),
				 XDP_DROP);
		assert_int_equal(drops(REASON_MALFORMED), before + 1);
	}
	/* From outside, to a pool address: dropped as well. */
	{
		struct pkt_spec s = spec(1, S1, 0, "203.0.113.1", 0, H_OUTSIDE);
		size_t len = pkt_build(f, sizeof(f), &s);
		uint64_t before = drops(REASON_MALFORMED);
		uint16_t c;

		f[17] = 20;
		f[16] = 0;
		f[24] = f[25] = 0;
		c = pkt_csum(f + 14, 20, 0);
		memcpy(f + 24, &c, 2);
		olen = sizeof(out);
		assert_int_equal(h_run(&H, H_OUTSIDE, f, len, out, &olen),
				 XDP_DROP);
		assert_int_equal(drops(REASON_MALFORMED), before + 1);
	}
}

/* A frame from outside too short for an IPv4 header went to the kernel
 * with no counter saying so: now counted as not NAT traffic.
 */
static void test_reg_outside_short_counted(void **st)
{
	uint8_t f[20] = { 0 }, out[64];
	uint64_t before = h_stat(&H, STAT_PASS_NOT_NAT);
	size_t olen = sizeof(out);

	(void)st;
	memcpy(f, h_mac_tout, 6);
	memcpy(f + 6, h_mac_gw, 6);
	f[12] = 0x08;
	f[14] = 0x45;
	assert_int_equal(h_run(&H, H_OUTSIDE, f, sizeof(f), out, &olen),
			 XDP_PASS);
	assert_int_equal(h_stat(&H, STAT_PASS_NOT_NAT), before + 1);
}

/* An ICMP error from outside quoting 20 + 15 bytes of TCP, with padding
 * after it where the quoted TCP checksum would be: the translation
 * rewrote the padding and folded that into the ICMP checksum, which then
 * no longer matched the message. Now the outer checksum stays valid and
 * the padding untouched.
 */
static void test_reg_icmp_err_padding(void **st)
{
	struct pkt_spec s = spec(6, H1, 4100, S1, 53, H_INSIDE);
	uint8_t q[64], f[256], out[256];
	struct fo_view v;
	uint32_t ext;
	uint16_t eport;
	size_t len, olen = sizeof(out);

	(void)st;
	eport = xlate_out(&s, &ext);
	s.saddr = ext;
	s.sport = eport;
	quote_of(s, q, 35);
	len = icmp_frame(f, h_mac_gw, h_mac_tout, pkt_ip(S1), ext, 64, 3, 1,
			 q, 35);
	memcpy(f + len, "\x10\x1e\x50\x49\x4a", 5);	/* padding */
	assert_int_equal(h_run(&H, H_OUTSIDE, f, len + 5, out, &olen),
			 XDP_REDIRECT);
	fo_parse(out, olen, &v);
	assert_true(v.ip && v.ip_csum_ok);
	assert_int_equal(v.l4_csum_ok, 1);
	assert_int_equal(v.daddr, pkt_ip(H1));
	assert_memory_equal(out + len, "\x10\x1e\x50\x49\x4a", 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reg_l4_in_padding, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reg_outside_short_counted,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reg_icmp_err_padding,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_fuzz_mutated, fuzz_setup,
						fuzz_teardown),
		cmocka_unit_test_setup_teardown(test_fuzz_random, fuzz_setup,
						fuzz_teardown),
	};

	if (h_netns())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
