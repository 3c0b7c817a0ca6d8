/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pkt.h - builds Ethernet/IPv4/TCP/UDP/ICMP test packets with every
 * checksum computed from scratch: the reference the translated output is
 * compared with, byte for byte.
 */
#ifndef CGNAT_TEST_PKT_H
#define CGNAT_TEST_PKT_H

#include <stddef.h>
#include <stdint.h>

struct pkt_spec {
	uint8_t smac[6], dmac[6];
	uint32_t saddr, daddr;	/* network order */
	uint16_t sport, dport;	/* host order; ICMP: sport is the id */
	uint8_t proto;		/* 6, 17, 1 */
	uint8_t ttl;		/* 0 means 64 */
	uint8_t tcp_flags;
	uint8_t icmp_type;
	uint8_t opt_words;	/* IPv4 option words (IHL - 5) */
	uint8_t udp_nocsum;	/* send UDP checksum 0 */
	uint16_t frag;		/* frag_off field, host order */
	uint16_t payload;	/* payload bytes */
	uint16_t ip_id;
	uint8_t tcp_opt_len;	/* TCP option bytes, a multiple of 4 */
	uint8_t tcp_opts[40];
};

/* Returns the frame length, 0 if it does not fit. */
size_t pkt_build(uint8_t *buf, size_t cap, const struct pkt_spec *s);

uint16_t pkt_csum(const void *data, size_t len, uint32_t seed);

/* Offsets in a frame built by pkt_build. */
size_t pkt_l4_off(const struct pkt_spec *s);

/* Prints the first differing bytes of two frames; returns 0 if equal. */
int pkt_diff(const uint8_t *got, size_t glen, const uint8_t *want,
	     size_t wlen);

uint32_t pkt_ip(const char *dotted);

/* Part 0 or 1 of the frame 'in' cut into two IPv4 fragments at payload
 * byte 'at' (a multiple of 8), IP checksum computed afresh. Returns the
 * fragment's length, 0 if 'at' does not fit.
 */
size_t pkt_fragment(const uint8_t *in, size_t len, size_t at, int part,
		    uint8_t *out);

#endif /* CGNAT_TEST_PKT_H */
