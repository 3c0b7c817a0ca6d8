/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz_oracle.h - what the data-plane fuzzer (bpf_fuzz.c) holds true of
 * every packet the program emits, written from the RFCs and the testbed,
 * not from the BPF code: its own parser, full checksums, and a model of
 * the mappings and contacts it saw the program make.
 */
#ifndef CGNAT_TEST_FUZZ_ORACLE_H
#define CGNAT_TEST_FUZZ_ORACLE_H

#include <stddef.h>
#include <stdint.h>

/* One frame as the oracle reads it. */
struct fo_view {
	int ip;			/* Ethernet type IPv4 and a sane header */
	uint32_t ihl, tot;	/* bytes */
	uint8_t proto, ttl, frag_any, frag_later;
	uint32_t saddr, daddr;	/* network order */
	int l4;			/* transport header complete (first frag) */
	uint16_t sport, dport;	/* host order; ICMP echo: both the id */
	uint8_t icmp_type, icmp_code, tcp_flags;
	uint32_t pl_off;	/* payload offset in the frame */
	int ip_csum_ok;
	int l4_csum_ok;		/* -1: not checkable (fragment, truncated) */
	int udp_zero;		/* UDP checksum 0 */
	/* ICMP error: the quoted header (network order addresses). */
	int q;
	uint8_t q_proto;
	uint32_t q_saddr, q_daddr;
	uint16_t q_sport, q_dport;
	int q_ip_csum_ok;
};

void fo_parse(const uint8_t *f, size_t len, struct fo_view *v);

/* A set of tuples (the model): mappings and contacts. */
struct fo_set {
	uint64_t *slot;
	size_t cap, n;
};

int fo_set_init(struct fo_set *s, size_t cap);
void fo_set_free(struct fo_set *s);
/* -1 when full. */
int fo_set_add(struct fo_set *s, uint64_t a, uint64_t b);
int fo_set_has(const struct fo_set *s, uint64_t a, uint64_t b);

static inline int fo_is_sub(uint32_t a_nbo)
{
	const uint8_t *b = (const uint8_t *)&a_nbo;

	return b[0] == 100 && (b[1] & 0xc0) == 64;	/* 100.64.0.0/10 */
}

#endif /* CGNAT_TEST_FUZZ_ORACLE_H */
