// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_oracle.c - see fuzz_oracle.h. Deliberately shares nothing with
 * bpf/parse.h: checksums in full over the finished bytes (pkt_csum).
 */
#include <stdlib.h>
#include <string.h>

#include "tests/bpf/fuzz_oracle.h"
#include "tests/bpf/pkt.h"

static uint16_t get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static uint32_t pseudo(const uint8_t *ip, uint8_t proto, uint32_t len)
{
	return get16(ip + 12) + get16(ip + 14) + get16(ip + 16) +
	       get16(ip + 18) + proto + len;
}

/* The quoted IP header of an ICMP error and its first 4 L4 bytes. */
static void fo_quote(const uint8_t *q, size_t qlen, struct fo_view *v)
{
	uint32_t ihl;

	if (qlen < 20 || (q[0] >> 4) != 4)
		return;
	ihl = (q[0] & 0xf) * 4u;
	if (ihl < 20 || ihl > qlen)
		return;
	v->q = 1;
	v->q_proto = q[9];
	memcpy(&v->q_saddr, q + 12, 4);
	memcpy(&v->q_daddr, q + 16, 4);
	v->q_ip_csum_ok = pkt_csum(q, ihl, 0) == 0;
	if (qlen >= ihl + 8 && !(get16(q + 6) & 0x1fff)) {
		if (v->q_proto == 1) {
			v->q_sport = v->q_dport = get16(q + ihl + 4);
		} else {
			v->q_sport = get16(q + ihl);
			v->q_dport = get16(q + ihl + 2);
		}
	}
}

void fo_parse(const uint8_t *f, size_t len, struct fo_view *v)
{
	const uint8_t *ip = f + 14, *l4;
	uint32_t l4len, fo;

	memset(v, 0, sizeof(*v));
	v->l4_csum_ok = -1;
	if (len < 34 || get16(f + 12) != 0x0800 || (ip[0] >> 4) != 4)
		return;
	v->ihl = (ip[0] & 0xf) * 4u;
	v->tot = get16(ip + 2);
	if (v->ihl < 20 || v->tot < v->ihl || 14 + v->tot > len)
		return;
	v->ip = 1;
	v->proto = ip[9];
	v->ttl = ip[8];
	memcpy(&v->saddr, ip + 12, 4);
	memcpy(&v->daddr, ip + 16, 4);
	v->ip_csum_ok = pkt_csum(ip, v->ihl, 0) == 0;
	fo = get16(ip + 6);
	v->frag_any = (fo & 0x3fff) != 0;
	v->frag_later = (fo & 0x1fff) != 0;
	v->pl_off = 14 + v->ihl;
	if (v->frag_later)
		return;
	l4 = ip + v->ihl;
	l4len = v->tot - v->ihl;
	if (v->proto == 6 && l4len >= 20 && (l4[12] >> 4) * 4u >= 20 &&
	    (l4[12] >> 4) * 4u <= l4len) {
		v->l4 = 1;
		v->sport = get16(l4);
		v->dport = get16(l4 + 2);
		v->tcp_flags = l4[13];
		v->pl_off += (l4[12] >> 4) * 4u;
		if (!v->frag_any)
			v->l4_csum_ok =
				pkt_csum(l4, l4len, pseudo(ip, 6, l4len)) == 0;
	} else if (v->proto == 17 && l4len >= 8) {
		uint32_t ul = get16(l4 + 4);

		v->l4 = 1;
		v->sport = get16(l4);
		v->dport = get16(l4 + 2);
		v->pl_off += 8;
		v->udp_zero = !l4[6] && !l4[7];
		if (ul < 8 || ul > l4len)
			ul = l4len;
		if (!v->frag_any && !v->udp_zero)
			v->l4_csum_ok =
				pkt_csum(l4, ul, pseudo(ip, 17, ul)) == 0;
	} else if (v->proto == 1 && l4len >= 8) {
		v->l4 = 1;
		v->icmp_type = l4[0];
		v->icmp_code = l4[1];
		v->sport = v->dport = get16(l4 + 4);
		v->pl_off += 8;
		if (!v->frag_any)
			v->l4_csum_ok = pkt_csum(l4, l4len, 0) == 0;
		if (l4[0] == 3 || l4[0] == 11 || l4[0] == 12)
			fo_quote(l4 + 8, l4len - 8, v);
	}
}

static uint64_t fo_mix(uint64_t a, uint64_t b)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull);

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	return h | 1;	/* 0 marks an empty slot */
}

int fo_set_init(struct fo_set *s, size_t cap)
{
	s->slot = calloc(cap, sizeof(*s->slot));
	s->cap = cap;
	s->n = 0;
	return s->slot ? 0 : -1;
}

void fo_set_free(struct fo_set *s)
{
	free(s->slot);
	s->slot = NULL;
}

int fo_set_add(struct fo_set *s, uint64_t a, uint64_t b)
{
	uint64_t h = fo_mix(a, b);
	size_t i = h % s->cap;

	if (s->n * 4 > s->cap * 3)
		return -1;	/* full: the model would refuse what was made */
	while (s->slot[i] && s->slot[i] != h)
		i = (i + 1) % s->cap;
	if (!s->slot[i]) {
		s->slot[i] = h;
		s->n++;
	}
	return 0;
}

int fo_set_has(const struct fo_set *s, uint64_t a, uint64_t b)
{
	uint64_t h = fo_mix(a, b);
	size_t i = h % s->cap;

	while (s->slot[i]) {
		if (s->slot[i] == h)
			return 1;
		i = (i + 1) % s->cap;
	}
	return 0;
}
