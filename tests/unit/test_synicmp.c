// SPDX-License-Identifier: GPL-2.0
/*
 * test_synicmp.c - daemon/syn_icmp.c: when a held unsolicited SYN is
 * answered (never before 6 s, RFC 5382 REQ-4), and every byte of the
 * ICMP 3/3 that answers it, checksums against values computed apart
 * (Python's struct over the same bytes) and the RFC 1071 example.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "daemon/synpend.h"

#define SEC 1000000000ull

/* S1 198.51.100.10:4444 -> 203.0.113.1:40000, SYN, IP checksum set. */
static const __u8 syn40[40] = {
	0x45, 0x00, 0x00, 0x28, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06,
	0xc2, 0x5c, 0xc6, 0x33, 0x64, 0x0a, 0xcb, 0x00, 0x71, 0x01,
	0x11, 0x5c, 0x9c, 0x40, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00,
	0x00, 0x00, 0x50, 0x02, 0xfa, 0xf0, 0xab, 0xcd, 0x00, 0x00,
};

static struct cgnat_syn held(const __u8 *b, __u16 len, __u64 t)
{
	struct cgnat_syn s;

	memset(&s, 0, sizeof(s));
	s.time_ns = t;
	s.len = len;
	memcpy(s.pkt, b, len);
	return s;
}

static void test_csum_rfc1071(void **st)
{
	static const __u8 b[8] = { 0x00, 0x01, 0xf2, 0x03,
				   0xf4, 0xf5, 0xf6, 0xf7 };

	(void)st;
	assert_int_equal(sp_csum(b, 8), 0x220d);
	assert_int_equal(sp_csum(b, 7), (__u16)~(0xddf2 - 0xf7));
}

/* Never before CGNAT_SYN_HOLD_NS, whatever the clock says; dropped when
 * the setting is off or the SYN is stale.
 */
static void test_judge(void **st)
{
	struct cgnat_syn s = held(syn40, 40, 100 * SEC);

	(void)st;
	assert_int_equal(CGNAT_SYN_HOLD_NS, 6 * SEC);
	assert_int_equal(sp_judge(&s, 100 * SEC, 1), SP_WAIT);
	assert_int_equal(sp_judge(&s, 106 * SEC - 1, 1), SP_WAIT);
	assert_int_equal(sp_judge(&s, 106 * SEC, 1), SP_SEND);
	assert_int_equal(sp_judge(&s, 100 * SEC + SP_STALE_NS, 1), SP_SEND);
	assert_int_equal(sp_judge(&s, 100 * SEC + SP_STALE_NS + 1, 1),
			 SP_DISCARD);
	/* Held after the caller read its clock. */
	assert_int_equal(sp_judge(&s, 99 * SEC, 1), SP_WAIT);
	assert_int_equal(sp_judge(&s, 100 * SEC, 0), SP_DISCARD);
	assert_int_equal(sp_judge(&s, 200 * SEC, 0), SP_DISCARD);
}

static const __u8 want68[28] = {
	0x45, 0xc0, 0x00, 0x44, 0x00, 0x00, 0x00, 0x00, 0x40, 0x01,
	0x13, 0xba, 0xcb, 0x00, 0x71, 0x01, 0xc6, 0x33, 0x64, 0x0a,
	0x03, 0x03, 0x54, 0x99, 0x00, 0x00, 0x00, 0x00,
};

/* Every byte: headers as in want68, then the SYN unchanged. */
static void test_build(void **st)
{
	struct cgnat_syn s = held(syn40, 40, 0);
	__u8 b[SP_ICMP_MAX];

	(void)st;
	memset(b, 0xee, sizeof(b));
	assert_int_equal(sp_build(b, sizeof(b), &s), 68);
	assert_memory_equal(b, want68, 28);
	assert_memory_equal(b + 28, syn40, 40);
	assert_int_equal(b[68], 0xee);
	assert_int_equal(sp_csum(b, 20), 0);	/* verifies as a receiver */
	assert_int_equal(sp_csum(b + 20, 48), 0);
}

/* An odd length (a SYN carrying one byte) pads the checksum with zero. */
static void test_build_odd(void **st)
{
	__u8 p[41], b[SP_ICMP_MAX];
	struct cgnat_syn s;

	(void)st;
	memcpy(p, syn40, 40);
	p[40] = 0x5a;
	s = held(p, 41, 0);
	assert_int_equal(sp_build(b, sizeof(b), &s), 69);
	assert_int_equal(b[2] << 8 | b[3], 69);
	assert_int_equal(b[10] << 8 | b[11], 0x13b9);
	assert_int_equal(b[22] << 8 | b[23], 0xfa98);
	assert_memory_equal(b + 28, p, 41);
}

/* A header with options is quoted whole with 8 bytes after it. */
static void test_build_options(void **st)
{
	__u8 p[CGNAT_SYN_QUOTE], b[SP_ICMP_MAX];
	struct cgnat_syn s;

	(void)st;
	memset(p, 0x01, sizeof(p));	/* NOP options, then "TCP" */
	memcpy(p, syn40, 20);
	p[0] = 0x4f;			/* 60-byte header */
	s = held(p, 68, 0);
	assert_int_equal(sp_build(b, sizeof(b), &s), 96);
	assert_memory_equal(b + 28, p, 68);
	assert_int_equal(sp_csum(b, 20), 0);
	assert_int_equal(sp_csum(b + 20, 76), 0);
	s = held(p, 67, 0);	/* not 8 bytes past the header */
	assert_int_equal(sp_build(b, sizeof(b), &s), -EINVAL);
}

static void test_build_refuses(void **st)
{
	struct cgnat_syn s = held(syn40, 40, 0);
	__u8 b[SP_ICMP_MAX];

	(void)st;
	assert_int_equal(sp_build(b, 67, &s), -ENOSPC);
	s.pkt[9] = 17;			/* UDP */
	assert_int_equal(sp_build(b, sizeof(b), &s), -EINVAL);
	s = held(syn40, 40, 0);
	s.pkt[0] = 0x65;		/* IPv6 nibble */
	assert_int_equal(sp_build(b, sizeof(b), &s), -EINVAL);
	s = held(syn40, 40, 0);
	s.pkt[0] = 0x44;		/* IHL 16 bytes */
	assert_int_equal(sp_build(b, sizeof(b), &s), -EINVAL);
	s = held(syn40, 27, 0);
	assert_int_equal(sp_build(b, sizeof(b), &s), -EINVAL);
	s = held(syn40, 40, 0);
	s.len = CGNAT_SYN_QUOTE + 1;
	assert_int_equal(sp_build(b, sizeof(b), &s), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_rfc1071),
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_build_odd),
		cmocka_unit_test(test_build_options),
		cmocka_unit_test(test_build_refuses),
	};

	return cmocka_run_group_tests_name("synicmp", tests, NULL, NULL);
}
