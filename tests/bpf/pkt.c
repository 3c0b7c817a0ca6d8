// SPDX-License-Identifier: GPL-2.0
/*
 * pkt.c - see pkt.h. Deliberately independent of the BPF code: full
 * checksums computed over the finished headers, never incrementally.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "tests/bpf/pkt.h"

uint16_t pkt_csum(const void *data, size_t len, uint32_t seed)
{
	const uint8_t *p = data;
	uint32_t s = seed;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (p[i] << 8) | p[i + 1];
	if (len & 1)
		s += p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

uint32_t pkt_ip(const char *dotted)
{
	struct in_addr a;

	inet_pton(AF_INET, dotted, &a);
	return a.s_addr;
}

size_t pkt_l4_off(const struct pkt_spec *s)
{
	return 14 + 20 + 4 * s->opt_words;
}

static size_t l4_hdr_len(const struct pkt_spec *s)
{
	return s->proto == 6 ? 20u + s->tcp_opt_len : 8;
}

static uint32_t pseudo_sum(const struct pkt_spec *s, size_t l4len)
{
	const uint8_t *a = (const uint8_t *)&s->saddr;
	const uint8_t *b = (const uint8_t *)&s->daddr;

	return ((a[0] << 8) | a[1]) + ((a[2] << 8) | a[3]) +
	       ((b[0] << 8) | b[1]) + ((b[2] << 8) | b[3]) + s->proto +
	       (uint32_t)l4len;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void build_l4(uint8_t *l4, size_t l4len, const struct pkt_spec *s)
{
	uint16_t c;

	if (s->proto == 6) {
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		memcpy(l4 + 4, "\x00\x00\x10\x00\x00\x00\x20\x00", 8);
		l4[12] = (5 + s->tcp_opt_len / 4) << 4;
		l4[13] = s->tcp_flags;
		put16(l4 + 14, 65535);
		memcpy(l4 + 20, s->tcp_opts, s->tcp_opt_len);
	} else if (s->proto == 17) {
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put16(l4 + 4, l4len);
	} else {
		l4[0] = s->icmp_type;
		put16(l4 + 4, s->sport);
		put16(l4 + 6, 7);	/* sequence */
	}
	if (s->proto == 1)
		c = pkt_csum(l4, l4len, 0);
	else
		c = pkt_csum(l4, l4len, pseudo_sum(s, l4len));
	if (s->proto == 17 && s->udp_nocsum)
		c = 0;
	else if (s->proto == 17 && c == 0)
		c = 0xffff;
	memcpy(l4 + (s->proto == 6 ? 16 : s->proto == 17 ? 6 : 2), &c, 2);
}

size_t pkt_build(uint8_t *buf, size_t cap, const struct pkt_spec *s)
{
	size_t l4off = pkt_l4_off(s), l4len = l4_hdr_len(s) + s->payload;
	size_t len = l4off + l4len, i;
	uint8_t *ip = buf + 14;
	uint16_t c;

	if (len > cap)
		return 0;
	memset(buf, 0, len);
	memcpy(buf, s->dmac, 6);
	memcpy(buf + 6, s->smac, 6);
	buf[12] = 0x08;
	ip[0] = 0x40 | (5 + s->opt_words);
	put16(ip + 2, len - 14);
	put16(ip + 4, s->ip_id);
	put16(ip + 6, s->frag);
	ip[8] = s->ttl ? s->ttl : 64;
	ip[9] = s->proto;
	memcpy(ip + 12, &s->saddr, 4);
	memcpy(ip + 16, &s->daddr, 4);
	for (i = 0; i < 4u * s->opt_words; i++)
		ip[20 + i] = 1;	/* NOP options */
	c = pkt_csum(ip, 20 + 4 * s->opt_words, 0);
	memcpy(ip + 10, &c, 2);
	for (i = l4off + l4_hdr_len(s); i < len; i++)
		buf[i] = (uint8_t)(i * 7);
	build_l4(buf + l4off, l4len, s);
	return len;
}

int pkt_diff(const uint8_t *got, size_t glen, const uint8_t *want,
	     size_t wlen)
{
	size_t i, shown = 0;

	if (glen != wlen)
		printf("# length %zu, want %zu\n", glen, wlen);
	for (i = 0; i < glen && i < wlen && shown < 8; i++)
		if (got[i] != want[i]) {
			printf("# byte %zu: 0x%02x, want 0x%02x\n", i, got[i],
			       want[i]);
			shown++;
		}
	return glen != wlen || shown;
}

size_t pkt_fragment(const uint8_t *in, size_t len, size_t at, int part,
		    uint8_t *out)
{
	size_t hl = 14 + (in[14] & 0xf) * 4, n;
	uint8_t *ip = out + 14;
	uint16_t c;

	if (at % 8 || hl + at >= len)
		return 0;
	memcpy(out, in, hl);
	if (part == 0) {
		n = at;
		memcpy(out + hl, in + hl, n);
		put16(ip + 6, 0x2000);			/* MF, offset 0 */
	} else {
		n = len - hl - at;
		memcpy(out + hl, in + hl + at, n);
		put16(ip + 6, at / 8);			/* last: MF clear */
	}
	put16(ip + 2, hl - 14 + n);
	ip[10] = ip[11] = 0;
	c = pkt_csum(ip, hl - 14, 0);
	memcpy(ip + 10, &c, 2);
	return hl + n;
}
