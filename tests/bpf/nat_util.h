/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nat_util.h - what the packet test programs share: the harness, the
 * testbed's addresses, packet specs and runs, translation checks that
 * compare every byte with a frame built from scratch, ICMP error frames.
 */
#ifndef CGNAT_TEST_NAT_UTIL_H
#define CGNAT_TEST_NAT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include "tests/bpf/harness.h"

#define S1 "198.51.100.10"
#define S2 "198.51.100.20"
#define H1 "100.64.0.10"
#define H2 "100.64.0.11"
#define H3 "100.64.1.10"

extern struct harness H;

const uint8_t *mac_of(uint32_t a);
struct pkt_spec spec(uint8_t proto, const char *src, uint16_t sport,
		     const char *dst, uint16_t dport, int side);
int run(int side, const struct pkt_spec *s, uint8_t *out,
	size_t *olen);
void expect_frame(int side, const struct pkt_spec *in,
		  const struct pkt_spec *want, int action);
uint16_t out_port(const uint8_t *out, const struct pkt_spec *s);
uint16_t xlate_out(const struct pkt_spec *s, uint32_t *ext);
void xlate_in(struct pkt_spec s, const char *int_addr,
	      uint16_t iport);
const char *ip_str(uint32_t a, int slot);
int setup(void **st);
int setup4(void **st);
int setup_empty(void **st);
int teardown(void **st);
size_t icmp_frame(uint8_t *f, const uint8_t *smac, const uint8_t *dmac,
		  uint32_t src, uint32_t dst, uint8_t ttl, uint8_t type,
		  uint8_t code, const uint8_t *q, size_t qlen);
size_t quote_of(struct pkt_spec sp, uint8_t *q, size_t qlen);

#endif /* CGNAT_TEST_NAT_UTIL_H */
