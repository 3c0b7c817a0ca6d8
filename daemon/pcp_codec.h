/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcp_codec.h - Port Control Protocol (RFC 6887) and NAT-PMP (RFC 6886)
 * messages as bytes <-> structs. Pure: no sockets, no maps, no clock, so
 * cmocka checks every field against the RFC layouts. Ports and lifetimes
 * in the structs are host order; addresses are kept as the 16 bytes of
 * the wire (IPv4-mapped ::ffff:a.b.c.d for IPv4).
 */
#ifndef CGNAT_PCP_CODEC_H
#define CGNAT_PCP_CODEC_H

#include <stddef.h>
#include <linux/types.h>

#define PCP_SERVER_PORT 5351
#define PCP_CLIENT_PORT 5350 /* unsolicited ANNOUNCE goes here */
#define PCP_VERSION 2
#define NATPMP_VERSION 0
#define PCP_MAX_LEN 1100 /* RFC 6887 section 7 */
#define PCP_HDR_LEN 24
#define PCP_MAP_LEN 36 /* opcode payloads */
#define PCP_PEER_LEN 56
#define PCP_NONCE_LEN 12
#define PCP_MAX_FILTERS 4 /* FILTER options kept (more: refused) */

enum pcp_opcode {
	PCP_OP_ANNOUNCE = 0,
	PCP_OP_MAP = 1,
	PCP_OP_PEER = 2,
};

enum pcp_option_code {
	PCP_OPT_THIRD_PARTY = 1,
	PCP_OPT_PREFER_FAILURE = 2,
	PCP_OPT_FILTER = 3,
};

/* RFC 6887 section 7.4. */
enum pcp_result {
	PCP_SUCCESS = 0,
	PCP_UNSUPP_VERSION = 1,
	PCP_NOT_AUTHORIZED = 2,
	PCP_MALFORMED_REQUEST = 3,
	PCP_UNSUPP_OPCODE = 4,
	PCP_UNSUPP_OPTION = 5,
	PCP_MALFORMED_OPTION = 6,
	PCP_NETWORK_FAILURE = 7,
	PCP_NO_RESOURCES = 8,
	PCP_UNSUPP_PROTOCOL = 9,
	PCP_USER_EX_QUOTA = 10,
	PCP_CANNOT_PROVIDE_EXTERNAL = 11,
	PCP_ADDRESS_MISMATCH = 12,
	PCP_EXCESSIVE_REMOTE_PEERS = 13,
};

#define PCP_DROP (-1) /* pcp_decode: no answer at all (section 8.3) */

struct pcp_filter {
	__u8 prefix_len;
	__u16 port;
	__u8 ip[16];
};

/* A request as decoded, and the answer built from it (the response
 * copies the request's fields, section 7.2).
 */
struct pcp_msg {
	__u8 version;
	__u8 opcode;
	__u8 result; /* response only */
	__u32 lifetime;
	__u32 epoch; /* response only */
	__u8 client_ip[16]; /* request only */
	int payload; /* the opcode payload was read (MAP, PEER) */
	__u8 nonce[PCP_NONCE_LEN];
	__u8 proto;
	__u16 int_port;
	__u16 ext_port; /* suggested (request) / assigned */
	__u8 ext_ip[16];
	__u16 peer_port; /* PEER */
	__u8 peer_ip[16];
	int third_party; /* THIRD_PARTY seen; its address: */
	__u8 tp_ip[16];
	int prefer_failure;
	unsigned int n_filters;
	struct pcp_filter filters[PCP_MAX_FILTERS];
};

/* Decodes a request of len bytes into m. Returns PCP_SUCCESS, a result
 * code to answer with (m holds what could be read: the header always,
 * the payload when m->payload), or PCP_DROP for what must not be
 * answered (under 2 bytes, or a response).
 */
int pcp_decode(const void *buf, size_t len, struct pcp_msg *m);
/* The response to m (version, opcode, result, lifetime, epoch and, when
 * m->payload, the opcode payload and the options the server honoured)
 * into buf of cap bytes. Returns its length, 0 if cap is too small.
 */
size_t pcp_encode_response(const struct pcp_msg *m, void *buf, size_t cap);
/* A request (the test client's and the unit tests'): length or 0. */
size_t pcp_encode_request(const struct pcp_msg *m, void *buf, size_t cap);

/* IPv4 (network order) <-> IPv4-mapped IPv6; pcp_v4 returns 0 when ip
 * is not IPv4-mapped.
 */
void pcp_map_v4(__be32 a, __u8 ip[16]);
int pcp_v4(const __u8 ip[16], __be32 *a);
/* 1 when all 16 bytes are zero, or it is ::ffff:0.0.0.0 (no preference). */
int pcp_ip_unspecified(const __u8 ip[16]);

/* --- NAT-PMP (RFC 6886), answered as RFC 6887 appendix A allows --- */

enum natpmp_opcode {
	NATPMP_OP_ADDR = 0,
	NATPMP_OP_MAP_UDP = 1,
	NATPMP_OP_MAP_TCP = 2,
};

enum natpmp_result {
	NATPMP_SUCCESS = 0,
	NATPMP_UNSUPP_VERSION = 1,
	NATPMP_NOT_AUTHORIZED = 2,
	NATPMP_NETWORK_FAILURE = 3,
	NATPMP_NO_RESOURCES = 4,
	NATPMP_UNSUPP_OPCODE = 5,
};

struct natpmp_msg {
	__u8 opcode;
	__u16 result; /* response only */
	__u32 epoch; /* response only */
	__be32 ext_addr; /* NATPMP_OP_ADDR response */
	__u16 int_port;
	__u16 ext_port; /* suggested / mapped */
	__u32 lifetime;
};

/* Returns NATPMP_SUCCESS, NATPMP_UNSUPP_OPCODE (answer it), or PCP_DROP
 * (too short, a response, not version 0).
 */
int natpmp_decode(const void *buf, size_t len, struct natpmp_msg *m);
/* The response (12 bytes for ADDR, 16 for a mapping, also with an
 * error; 8 for an unknown opcode):
 * its length, 0 if cap is too small.
 */
size_t natpmp_encode_response(const struct natpmp_msg *m, void *buf,
			      size_t cap);

#endif /* CGNAT_PCP_CODEC_H */
