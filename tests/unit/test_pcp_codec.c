// SPDX-License-Identifier: GPL-2.0
/*
 * test_pcp_codec.c - daemon/pcp_codec.c against the byte layouts of RFC
 * 6887 (header 7.1/7.2, options 7.3, MAP 11.1, PEER 12.1, THIRD_PARTY,
 * PREFER_FAILURE, FILTER 13) and RFC 6886 section 3: every field at its
 * offset, every result code the decoder gives, malformed and truncated
 * requests. The byte arrays are written out by hand from the RFC figures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "daemon/pcp_codec.h"

/* MAP request: lifetime 3600, client ::ffff:100.64.0.10, nonce 1..12,
 * UDP, internal 5000, suggested 40000 at ::ffff:203.0.113.1.
 */
static const __u8 map_req[60] = {
	2,  1, 0, 0, 0x00, 0x00, 0x0e, 0x10, /* ver, op, lifetime */
	0,  0, 0, 0, 0,	   0,	 0,    0,    0, 0, 0xff, 0xff, 100, 64, 0,
	10, 1, 2, 3, 4,	   5,	 6,    7,    8, 9, 10,	 11,   12, /* nonce */
	17, 0, 0, 0, 0x13, 0x88, 0x9c, 0x40, /* proto, ports */
	0,  0, 0, 0, 0,	   0,	 0,    0,    0, 0, 0xff, 0xff, 203, 0,	113,
	1,
};

static void test_map_request_fields(void **st)
{
	struct pcp_msg m;
	__be32 a;

	(void)st;
	assert_int_equal(pcp_decode(map_req, sizeof(map_req), &m), PCP_SUCCESS);
	assert_int_equal(m.version, 2);
	assert_int_equal(m.opcode, PCP_OP_MAP);
	assert_int_equal(m.lifetime, 3600);
	assert_true(pcp_v4(m.client_ip, &a));
	assert_int_equal(a, inet_addr("100.64.0.10"));
	assert_true(m.payload);
	assert_memory_equal(m.nonce, map_req + 24, 12);
	assert_int_equal(m.proto, 17);
	assert_int_equal(m.int_port, 5000);
	assert_int_equal(m.ext_port, 40000);
	assert_true(pcp_v4(m.ext_ip, &a));
	assert_int_equal(a, inet_addr("203.0.113.1"));
	assert_false(m.third_party);
	assert_false(m.prefer_failure);
	assert_int_equal(m.n_filters, 0);
}

static void test_map_response_layout(void **st)
{
	struct pcp_msg m;
	__u8 out[200];
	size_t n;

	(void)st;
	assert_int_equal(pcp_decode(map_req, sizeof(map_req), &m), 0);
	m.result = PCP_SUCCESS;
	m.lifetime = 120;
	m.epoch = 0x01020304;
	m.ext_port = 40001;
	n = pcp_encode_response(&m, out, sizeof(out));
	assert_int_equal(n, 60);
	assert_int_equal(out[0], 2);
	assert_int_equal(out[1], 0x81); /* R bit | MAP */
	assert_int_equal(out[2], 0); /* reserved */
	assert_int_equal(out[3], PCP_SUCCESS);
	assert_int_equal(out[4] << 24 | out[5] << 16 | out[6] << 8 | out[7],
			 120);
	assert_int_equal(out[8], 1);
	assert_int_equal(out[11], 4); /* epoch */
	for (n = 12; n < 24; n++)
		assert_int_equal(out[n], 0); /* 96 reserved bits */
	assert_memory_equal(out + 24, map_req + 24, 12); /* nonce */
	assert_int_equal(out[36], 17);
	assert_int_equal(out[37] | out[38] | out[39], 0);
	assert_int_equal(out[40] << 8 | out[41], 5000);
	assert_int_equal(out[42] << 8 | out[43], 40001);
	assert_memory_equal(out + 44, map_req + 44, 16);
	assert_int_equal(pcp_encode_response(&m, out, 59), 0);
}

static void test_peer_roundtrip(void **st)
{
	struct pcp_msg m, d;
	__u8 b[200];
	size_t n;

	(void)st;
	memset(&m, 0, sizeof(m));
	m.version = 2;
	m.opcode = PCP_OP_PEER;
	m.lifetime = 60;
	pcp_map_v4(inet_addr("100.64.0.11"), m.client_ip);
	m.payload = 1;
	memset(m.nonce, 0xab, sizeof(m.nonce));
	m.proto = 6;
	m.int_port = 22;
	m.ext_port = 0;
	m.peer_port = 443;
	pcp_map_v4(inet_addr("198.51.100.10"), m.peer_ip);
	n = pcp_encode_request(&m, b, sizeof(b));
	assert_int_equal(n, 24 + 56);
	assert_int_equal(b[1], PCP_OP_PEER);
	assert_int_equal(b[24 + 36] << 8 | b[24 + 37], 443);
	assert_int_equal(b[24 + 38] | b[24 + 39], 0); /* reserved */
	assert_int_equal(b[24 + 52], 198);
	assert_int_equal(b[24 + 55], 10);
	assert_int_equal(pcp_decode(b, n, &d), PCP_SUCCESS);
	assert_int_equal(d.peer_port, 443);
	assert_memory_equal(d.peer_ip, m.peer_ip, 16);
	assert_int_equal(d.int_port, 22);
	assert_int_equal(d.proto, 6);
	/* 52 bytes of PEER payload: MALFORMED_REQUEST, header kept. */
	assert_int_equal(pcp_decode(b, n - 4, &d), PCP_MALFORMED_REQUEST);
	assert_int_equal(d.lifetime, 60);
	assert_false(d.payload);
}

static void test_announce(void **st)
{
	__u8 b[24] = {2, 0};
	struct pcp_msg m;
	__u8 out[64];

	(void)st;
	assert_int_equal(pcp_decode(b, 24, &m), PCP_SUCCESS);
	assert_int_equal(m.opcode, PCP_OP_ANNOUNCE);
	assert_false(m.payload);
	m.epoch = 7;
	assert_int_equal(pcp_encode_response(&m, out, sizeof(out)), 24);
	assert_int_equal(out[1], 0x80);
	assert_int_equal(out[11], 7);
}

static void test_header_refusals(void **st)
{
	__u8 b[1104];
	struct pcp_msg m;

	(void)st;
	memset(b, 0, sizeof(b));
	/* Under 2 bytes, and responses: never answered (8.3). */
	assert_int_equal(pcp_decode(b, 0, &m), PCP_DROP);
	b[0] = 2;
	assert_int_equal(pcp_decode(b, 1, &m), PCP_DROP);
	b[1] = 0x81;
	assert_int_equal(pcp_decode(b, 60, &m), PCP_DROP);
	/* Version 1 and 3: UNSUPP_VERSION, opcode kept for the answer. */
	b[0] = 1;
	b[1] = 1;
	assert_int_equal(pcp_decode(b, 60, &m), PCP_UNSUPP_VERSION);
	assert_int_equal(m.opcode, 1);
	b[0] = 3;
	assert_int_equal(pcp_decode(b, 2, &m), PCP_UNSUPP_VERSION);
	b[0] = 2;
	/* Short, long, not a multiple of 4. */
	assert_int_equal(pcp_decode(b, 20, &m), PCP_MALFORMED_REQUEST);
	assert_int_equal(pcp_decode(b, 1104, &m), PCP_MALFORMED_REQUEST);
	assert_int_equal(pcp_decode(b, 62, &m), PCP_MALFORMED_REQUEST);
	/* Truncated MAP payload. */
	assert_int_equal(pcp_decode(b, 56, &m), PCP_MALFORMED_REQUEST);
	/* Opcodes 3..127. */
	b[1] = 3;
	assert_int_equal(pcp_decode(b, 24, &m), PCP_UNSUPP_OPCODE);
	b[1] = 0x7f;
	assert_int_equal(pcp_decode(b, 60, &m), PCP_UNSUPP_OPCODE);
}

/* map_req followed by the option bytes o[0..n). */
static size_t with_opts(__u8 *b, const __u8 *o, size_t n)
{
	memcpy(b, map_req, sizeof(map_req));
	memcpy(b + sizeof(map_req), o, n);
	return sizeof(map_req) + n;
}

static void test_options(void **st)
{
	static const __u8 pf[] = {2, 0, 0, 0};
	static const __u8 tp[] = {1, 0, 0, 16, 0,    0,	   0,	0,  0, 0,
				  0, 0, 0, 0,  0xff, 0xff, 100, 64, 0, 11};
	static const __u8 fl[] = {3, 0, 0,    20,   0,	 24, 0x01, 0xbb,
				  0, 0, 0,    0,    0,	 0,  0,	   0,
				  0, 0, 0xff, 0xff, 198, 51, 100,  0};
	static const __u8 opt_skip[] = {200, 0, 0, 3, 9, 9, 9, 0};
	__u8 b[300], out[300];
	struct pcp_msg m;
	__be32 a;
	size_t n;

	(void)st;
	n = with_opts(b, pf, sizeof(pf));
	assert_int_equal(pcp_decode(b, n, &m), PCP_SUCCESS);
	assert_true(m.prefer_failure);
	/* The response carries PREFER_FAILURE back (13.2). */
	assert_int_equal(pcp_encode_response(&m, out, sizeof(out)), 64);
	assert_memory_equal(out + 60, pf, 4);

	n = with_opts(b, tp, sizeof(tp));
	assert_int_equal(pcp_decode(b, n, &m), PCP_SUCCESS);
	assert_true(m.third_party);
	assert_true(pcp_v4(m.tp_ip, &a));
	assert_int_equal(a, inet_addr("100.64.0.11"));

	n = with_opts(b, fl, sizeof(fl));
	assert_int_equal(pcp_decode(b, n, &m), PCP_SUCCESS);
	assert_int_equal(m.n_filters, 1);
	assert_int_equal(m.filters[0].prefix_len, 24);
	assert_int_equal(m.filters[0].port, 443);
	assert_int_equal(m.filters[0].ip[12], 198);

	/* An optional-to-process unknown option (128-255) is skipped. */
	n = with_opts(b, opt_skip, sizeof(opt_skip));
	assert_int_equal(pcp_decode(b, n, &m), PCP_SUCCESS);
}

static void test_option_refusals(void **st)
{
	static const __u8 unknown[] = {99, 0, 0, 0};
	static const __u8 pf_len[] = {2, 0, 0, 4, 0, 0, 0, 0};
	static const __u8 pf_twice[] = {2, 0, 0, 0, 2, 0, 0, 0};
	static const __u8 tp_short[] = {1, 0, 0, 4, 100, 64, 0, 11};
	static const __u8 overrun[] = {1, 0, 0, 16, 0, 0, 0, 0};
	static const __u8 stub[] = {0, 0, 0, 0};
	__u8 b[300], fl[5 * 24];
	struct pcp_msg m;
	size_t n;
	int i;

	(void)st;
	n = with_opts(b, unknown, sizeof(unknown));
	assert_int_equal(pcp_decode(b, n, &m), PCP_UNSUPP_OPTION);
	n = with_opts(b, pf_len, sizeof(pf_len));
	assert_int_equal(pcp_decode(b, n, &m), PCP_MALFORMED_OPTION);
	n = with_opts(b, pf_twice, sizeof(pf_twice));
	assert_int_equal(pcp_decode(b, n, &m), PCP_MALFORMED_OPTION);
	n = with_opts(b, tp_short, sizeof(tp_short));
	assert_int_equal(pcp_decode(b, n, &m), PCP_MALFORMED_OPTION);
	/* An option longer than the packet. */
	n = with_opts(b, overrun, sizeof(overrun));
	assert_int_equal(pcp_decode(b, n, &m), PCP_MALFORMED_OPTION);
	/* Option code 0 is reserved: mandatory and unknown. */
	n = with_opts(b, stub, sizeof(stub));
	assert_int_equal(pcp_decode(b, n, &m), PCP_UNSUPP_OPTION);
	/* PREFER_FAILURE is MAP's only. */
	memset(b, 0, sizeof(b));
	b[0] = 2;
	b[1] = PCP_OP_PEER;
	b[24 + 56] = 2;
	assert_int_equal(pcp_decode(b, 24 + 56 + 4, &m), PCP_MALFORMED_OPTION);
	/* More FILTERs than kept: EXCESSIVE_REMOTE_PEERS. */
	memset(fl, 0, sizeof(fl));
	for (i = 0; i < 5; i++) {
		fl[i * 24] = 3;
		fl[i * 24 + 3] = 20;
		fl[i * 24 + 5] = 32;
	}
	n = with_opts(b, fl, sizeof(fl));
	assert_int_equal(pcp_decode(b, n, &m), PCP_EXCESSIVE_REMOTE_PEERS);
	/* FILTER prefix over 128 bits. */
	fl[5] = 129;
	n = with_opts(b, fl, 24);
	assert_int_equal(pcp_decode(b, n, &m), PCP_MALFORMED_OPTION);
}

static void test_error_response_copies(void **st)
{
	struct pcp_msg m;
	__u8 out[200];
	size_t n;

	(void)st;
	assert_int_equal(pcp_decode(map_req, sizeof(map_req), &m), 0);
	for (m.result = PCP_UNSUPP_VERSION;
	     m.result <= PCP_EXCESSIVE_REMOTE_PEERS; m.result++) {
		m.lifetime = 30;
		n = pcp_encode_response(&m, out, sizeof(out));
		assert_int_equal(n, 60);
		assert_int_equal(out[3], m.result);
		assert_memory_equal(out + 24, map_req + 24, 36);
	}
}

static void test_v4_helpers(void **st)
{
	__u8 ip[16];
	__be32 a = 0;

	(void)st;
	pcp_map_v4(inet_addr("203.0.113.9"), ip);
	assert_int_equal(ip[10], 0xff);
	assert_int_equal(ip[15], 9);
	assert_true(pcp_v4(ip, &a));
	assert_false(pcp_ip_unspecified(ip));
	ip[0] = 0x20;
	assert_false(pcp_v4(ip, &a)); /* IPv6: not ours */
	memset(ip, 0, 16);
	assert_true(pcp_ip_unspecified(ip));
	pcp_map_v4(0, ip);
	assert_true(pcp_ip_unspecified(ip));
}

static void test_natpmp_requests(void **st)
{
	static const __u8 addr[2] = {0, 0};
	static const __u8 mapu[12] = {0,    1,	  0, 0, 0x13, 0x88,
				      0x9c, 0x40, 0, 0, 0x1c, 0x20};
	static const __u8 mapt[12] = {0, 2, 0, 0, 0, 22, 0, 0, 0, 0, 0, 0};
	static const __u8 bad_op[2] = {0, 3};
	static const __u8 resp[2] = {0, 0x81};
	struct natpmp_msg m;

	(void)st;
	assert_int_equal(natpmp_decode(addr, 2, &m), NATPMP_SUCCESS);
	assert_int_equal(m.opcode, NATPMP_OP_ADDR);
	assert_int_equal(natpmp_decode(mapu, 12, &m), NATPMP_SUCCESS);
	assert_int_equal(m.opcode, NATPMP_OP_MAP_UDP);
	assert_int_equal(m.int_port, 5000);
	assert_int_equal(m.ext_port, 40000);
	assert_int_equal(m.lifetime, 7200);
	assert_int_equal(natpmp_decode(mapt, 12, &m), NATPMP_SUCCESS);
	assert_int_equal(m.opcode, NATPMP_OP_MAP_TCP);
	assert_int_equal(m.lifetime, 0);
	/* Truncated mapping requests, responses, one byte: dropped. */
	assert_int_equal(natpmp_decode(mapu, 11, &m), PCP_DROP);
	assert_int_equal(natpmp_decode(mapu, 1, &m), PCP_DROP);
	assert_int_equal(natpmp_decode(resp, 2, &m), PCP_DROP);
	assert_int_equal(natpmp_decode(bad_op, 2, &m), NATPMP_UNSUPP_OPCODE);
}

static void test_natpmp_responses(void **st)
{
	struct natpmp_msg m = {.opcode = NATPMP_OP_ADDR, .epoch = 0x10203};
	__u8 b[16];

	(void)st;
	m.ext_addr = inet_addr("203.0.113.1");
	assert_int_equal(natpmp_encode_response(&m, b, sizeof(b)), 12);
	assert_int_equal(b[0], 0);
	assert_int_equal(b[1], 128);
	assert_int_equal(b[2] | b[3], 0);
	assert_int_equal(b[5] << 16 | b[6] << 8 | b[7], 0x10203);
	assert_int_equal(b[8], 203);
	assert_int_equal(b[11], 1);
	m.opcode = NATPMP_OP_MAP_TCP;
	m.int_port = 22;
	m.ext_port = 40022;
	m.lifetime = 3600;
	assert_int_equal(natpmp_encode_response(&m, b, sizeof(b)), 16);
	assert_int_equal(b[1], 130);
	assert_int_equal(b[8] << 8 | b[9], 22);
	assert_int_equal(b[10] << 8 | b[11], 40022);
	assert_int_equal(b[14] << 8 | b[15], 3600);
	/* Every result code keeps the mapping layout. */
	for (m.result = 1; m.result <= NATPMP_UNSUPP_OPCODE; m.result++) {
		assert_int_equal(natpmp_encode_response(&m, b, sizeof(b)), 16);
		assert_int_equal(b[3], m.result);
	}
	m.opcode = 3;
	m.result = NATPMP_UNSUPP_OPCODE;
	assert_int_equal(natpmp_encode_response(&m, b, sizeof(b)), 8);
	assert_int_equal(b[1], 131);
	assert_int_equal(b[3], 5);
	assert_int_equal(natpmp_encode_response(&m, b, 7), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_request_fields),
		cmocka_unit_test(test_map_response_layout),
		cmocka_unit_test(test_peer_roundtrip),
		cmocka_unit_test(test_announce),
		cmocka_unit_test(test_header_refusals),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_option_refusals),
		cmocka_unit_test(test_error_response_copies),
		cmocka_unit_test(test_v4_helpers),
		cmocka_unit_test(test_natpmp_requests),
		cmocka_unit_test(test_natpmp_responses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
