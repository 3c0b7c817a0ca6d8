// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_pcp.c - the PCP and NAT-PMP codec (daemon/pcp_codec.c): any
 * subscriber's UDP datagram to port 5351 reaches it. The input is decoded
 * both ways. pcp_decode() answers PCP_DROP or a result code of RFC 6887
 * section 7.4; a request it accepts re-encodes to one that decodes to the
 * same message (an ANNOUNCE carries no options back); every answered one
 * encodes a response of at most PCP_MAX_LEN bytes, a multiple of four,
 * with the R bit, its opcode and result, which decoded as a request is
 * dropped (a server never answers a response). natpmp_decode() answers
 * SUCCESS, UNSUPP_OPCODE or PCP_DROP, and its response has the length
 * the opcode's layout gives.
 */
#include <string.h>

#include "daemon/pcp_codec.h"
#include "tests/fuzz/fuzz.h"

static void check_pcp(const uint8_t *data, size_t size)
{
	static __u8 out[PCP_MAX_LEN + 64];
	struct pcp_msg m, m2, want;
	size_t n;
	int rc;

	rc = pcp_decode(data, size, &m);
	if (rc == PCP_DROP)
		return;
	FUZZ_ASSERT(rc >= PCP_SUCCESS && rc <= PCP_EXCESSIVE_REMOTE_PEERS);
	FUZZ_ASSERT(m.n_filters <= PCP_MAX_FILTERS);
	if (rc == PCP_SUCCESS) {
		n = pcp_encode_request(&m, out, sizeof(out));
		FUZZ_ASSERT(n >= PCP_HDR_LEN && n <= size && n % 4 == 0);
		FUZZ_ASSERT(pcp_decode(out, n, &m2) == PCP_SUCCESS);
		want = m;
		if (!want.payload) { /* put_body writes options after one */
			want.third_party = 0;
			memset(want.tp_ip, 0, sizeof(want.tp_ip));
		}
		FUZZ_ASSERT(!memcmp(&want, &m2, sizeof(m2)));
	}
	m.result = (__u8)rc;
	m.epoch = 0x01020304;
	n = pcp_encode_response(&m, out, sizeof(out));
	FUZZ_ASSERT(n >= PCP_HDR_LEN && n <= PCP_MAX_LEN && n % 4 == 0);
	FUZZ_ASSERT(out[0] == m.version && out[1] == (0x80 | m.opcode) &&
		    out[3] == rc);
	FUZZ_ASSERT(pcp_decode(out, n, &m2) == PCP_DROP);
	/* Too small a buffer: refused, nothing written past it. */
	FUZZ_ASSERT(pcp_encode_response(&m, out, n - 1) == 0);
}

static void check_natpmp(const uint8_t *data, size_t size)
{
	static __u8 out[64];
	struct natpmp_msg m;
	size_t n, want;
	int rc;

	rc = natpmp_decode(data, size, &m);
	if (rc == PCP_DROP)
		return;
	FUZZ_ASSERT(rc == NATPMP_SUCCESS || rc == NATPMP_UNSUPP_OPCODE);
	FUZZ_ASSERT(size >= 2 && data[0] == NATPMP_VERSION);
	m.result = (__u16)rc;
	n = natpmp_encode_response(&m, out, sizeof(out));
	want = m.opcode == NATPMP_OP_ADDR ? 12
	       : m.opcode == NATPMP_OP_MAP_UDP || m.opcode == NATPMP_OP_MAP_TCP
		       ? 16
		       : 8;
	FUZZ_ASSERT(n == want);
	FUZZ_ASSERT(out[0] == NATPMP_VERSION && out[1] == (0x80 | m.opcode));
	FUZZ_ASSERT(natpmp_decode(out, n, &m) == PCP_DROP);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_pcp(data, size);
	check_natpmp(data, size);
	return 0;
}
