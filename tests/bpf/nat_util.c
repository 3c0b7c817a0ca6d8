// SPDX-License-Identifier: GPL-2.0
/*
 * nat_util.c - see nat_util.h.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/cgnat.skel.h"

#include "tests/bpf/nat_util.h"

struct harness H;


const uint8_t *mac_of(uint32_t a)
{
	if (a == pkt_ip(H2))
		return h_mac_h2;
	if (a == pkt_ip(H3))
		return h_mac_h3;
	return h_mac_h1;
}

struct pkt_spec spec(uint8_t proto, const char *src, uint16_t sport,
		     const char *dst, uint16_t dport, int side)
{
	struct pkt_spec s = { .proto = proto, .saddr = pkt_ip(src),
			      .daddr = pkt_ip(dst), .sport = sport,
			      .dport = dport, .payload = 32, .ip_id = 77 };

	if (proto == 6)
		s.tcp_flags = 0x02;
	if (proto == 1)
		s.icmp_type = side == H_INSIDE ? 8 : 0;
	memcpy(s.smac, side == H_INSIDE ? mac_of(s.saddr) : h_mac_gw, 6);
	memcpy(s.dmac, side == H_INSIDE ? h_mac_tin : h_mac_tout, 6);
	return s;
}

int run(int side, const struct pkt_spec *s, uint8_t *out,
	size_t *olen)
{
	uint8_t in[512];
	size_t len = pkt_build(in, sizeof(in), s);

	*olen = 512;
	return h_run(&H, side, in, len, out, olen);
}

/* Runs 'in' and checks the output equals 'want' built from scratch. */
void expect_frame(int side, const struct pkt_spec *in,
		  const struct pkt_spec *want, int action)
{
	uint8_t out[512], ref[512];
	size_t olen, rlen = pkt_build(ref, sizeof(ref), want);

	assert_int_equal(run(side, in, out, &olen), action);
	assert_int_equal(pkt_diff(out, olen, ref, rlen), 0);
}

uint16_t out_port(const uint8_t *out, const struct pkt_spec *s)
{
	const uint8_t *l4 = out + pkt_l4_off(s);

	return s->proto == 1 ? (l4[4] << 8 | l4[5]) : (l4[0] << 8 | l4[1]);
}

/* Sends an outbound packet; checks it left fully translated. Returns
 * the external port, external address in *ext.
 */
uint16_t xlate_out(const struct pkt_spec *s, uint32_t *ext)
{
	uint8_t out[512];
	size_t olen;
	struct pkt_spec w = *s;
	uint16_t port;

	assert_int_equal(run(H_INSIDE, s, out, &olen), XDP_REDIRECT);
	memcpy(ext, out + 14 + 12, 4);
	port = out_port(out, s);
	assert_true(port >= 1024);
	assert_true((ntohl(*ext) & 0xffffff00) == 0xcb007100); /* pool /24 */
	w.saddr = *ext;
	w.sport = port;
	w.ttl = (s->ttl ? s->ttl : 64) - 1;
	memcpy(w.smac, h_mac_tout, 6);
	memcpy(w.dmac, h_mac_gw, 6);
	expect_frame(H_INSIDE, s, &w, XDP_REDIRECT);	/* established too */
	return port;
}

/* An inbound packet to (ext, eport) must reach (int, iport). */
void xlate_in(struct pkt_spec s, const char *int_addr,
	      uint16_t iport)
{
	struct pkt_spec w = s;

	w.daddr = pkt_ip(int_addr);
	w.dport = iport;
	if (s.proto == 1)
		w.sport = iport;
	w.ttl = (s.ttl ? s.ttl : 64) - 1;
	memcpy(w.smac, h_mac_tin, 6);
	memcpy(w.dmac, mac_of(w.daddr), 6);
	expect_frame(H_OUTSIDE, &s, &w, XDP_REDIRECT);
}

static char ext_str[4][16];

const char *ip_str(uint32_t a, int slot)
{
	inet_ntop(AF_INET, &a, ext_str[slot], sizeof(ext_str[slot]));
	return ext_str[slot];
}

int setup(void **st)
{
	(void)st;
	return h_load(&H, 1, 256, 8, 1);
}

int setup4(void **st)
{
	(void)st;
	return h_load(&H, 4, 64, 2, 1);
}

int setup_empty(void **st)
{
	(void)st;
	return h_load(&H, 1, 256, 8, 0);
}

int teardown(void **st)
{
	(void)st;
	h_unload(&H);
	return 0;
}

/* An ICMP error frame built from scratch: outer IPv4 (src -> dst, ttl),
 * ICMP type/code, then 'qlen' bytes of the quoted IP packet 'q'.
 */
size_t icmp_frame(uint8_t *f, const uint8_t *smac, const uint8_t *dmac,
		  uint32_t src, uint32_t dst, uint8_t ttl, uint8_t type,
		  uint8_t code, const uint8_t *q, size_t qlen)
{
	size_t len = 14 + 20 + 8 + qlen;
	uint16_t c;

	memset(f, 0, len);
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = (len - 14) >> 8;
	f[17] = (len - 14) & 0xff;
	f[22] = ttl;
	f[23] = 1;
	memcpy(f + 26, &src, 4);
	memcpy(f + 30, &dst, 4);
	c = pkt_csum(f + 14, 20, 0);
	memcpy(f + 24, &c, 2);
	f[34] = type;
	f[35] = code;
	memcpy(f + 42, q, qlen);
	c = pkt_csum(f + 34, 8 + qlen, 0);
	memcpy(f + 36, &c, 2);
	return len;
}

/* The quoted packet: the IP packet of 'sp' (no Ethernet), first qlen. */
size_t quote_of(struct pkt_spec sp, uint8_t *q, size_t qlen)
{
	uint8_t b[256];

	pkt_build(b, sizeof(b), &sp);
	memcpy(q, b + 14, qlen);
	return qlen;
}
