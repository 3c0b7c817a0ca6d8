// SPDX-License-Identifier: GPL-2.0
/*
 * pcp_codec.c - see pcp_codec.h. Layouts: RFC 6887 sections 7.1 (request
 * header), 7.2 (response header), 7.3 (options), 11.1 (MAP), 12.1 (PEER),
 * 13 (THIRD_PARTY, PREFER_FAILURE, FILTER); RFC 6886 section 3.
 */
#include <string.h>
#include <arpa/inet.h>

#include "daemon/pcp_codec.h"

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static __u32 get32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(__u8 *p, __u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

void pcp_map_v4(__be32 a, __u8 ip[16])
{
	memset(ip, 0, 10);
	ip[10] = ip[11] = 0xff;
	memcpy(ip + 12, &a, 4);
}

int pcp_v4(const __u8 ip[16], __be32 *a)
{
	static const __u8 pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (memcmp(ip, pre, 12))
		return 0;
	memcpy(a, ip + 12, 4);
	return 1;
}

int pcp_ip_unspecified(const __u8 ip[16])
{
	static const __u8 zero[16];
	__be32 a;

	return !memcmp(ip, zero, 16) || (pcp_v4(ip, &a) && !a);
}

/* The opcode payload at p (len checked by the caller). */
static void read_payload(const __u8 *p, struct pcp_msg *m)
{
	memcpy(m->nonce, p, PCP_NONCE_LEN);
	m->proto = p[12];
	m->int_port = get16(p + 16);
	m->ext_port = get16(p + 18);
	memcpy(m->ext_ip, p + 20, 16);
	if (m->opcode == PCP_OP_PEER) {
		m->peer_port = get16(p + 36);
		memcpy(m->peer_ip, p + 40, 16);
	}
	m->payload = 1;
}

/* One option at p of the room left; its bytes with padding, or -result. */
static int read_option(const __u8 *p, size_t room, struct pcp_msg *m)
{
	__u8 code;
	__u16 olen;
	size_t total;

	if (room < 4)
		return -PCP_MALFORMED_OPTION;
	code = p[0];
	olen = get16(p + 2);
	total = 4 + ((olen + 3u) & ~3u);
	if (total > room)
		return -PCP_MALFORMED_OPTION;
	switch (code) {
	case PCP_OPT_THIRD_PARTY:
		if (olen != 16 || m->third_party)
			return -PCP_MALFORMED_OPTION;
		m->third_party = 1;
		memcpy(m->tp_ip, p + 4, 16);
		break;
	case PCP_OPT_PREFER_FAILURE:
		/* MAP only (section 13.2). */
		if (olen != 0 || m->prefer_failure || m->opcode != PCP_OP_MAP)
			return -PCP_MALFORMED_OPTION;
		m->prefer_failure = 1;
		break;
	case PCP_OPT_FILTER:
		if (olen != 20 || m->opcode != PCP_OP_MAP || p[5] > 128)
			return -PCP_MALFORMED_OPTION;
		if (m->n_filters == PCP_MAX_FILTERS)
			return -PCP_EXCESSIVE_REMOTE_PEERS;
		m->filters[m->n_filters].prefix_len = p[5];
		m->filters[m->n_filters].port = get16(p + 6);
		memcpy(m->filters[m->n_filters].ip, p + 8, 16);
		m->n_filters++;
		break;
	default:
		/* 0-127 must be processed, 128-255 may be skipped (7.3). */
		if (code < 128)
			return -PCP_UNSUPP_OPTION;
	}
	return (int)total;
}

int pcp_decode(const void *buf, size_t len, struct pcp_msg *m)
{
	const __u8 *b = buf;
	size_t plen, off;
	int n;

	memset(m, 0, sizeof(*m));
	if (len < 2 || (b[1] & 0x80))
		return PCP_DROP;
	m->version = b[0];
	m->opcode = b[1] & 0x7f;
	if (m->version != PCP_VERSION)
		return PCP_UNSUPP_VERSION;
	if (len < PCP_HDR_LEN || len > PCP_MAX_LEN || len % 4)
		return PCP_MALFORMED_REQUEST;
	m->lifetime = get32(b + 4);
	memcpy(m->client_ip, b + 8, 16);
	switch (m->opcode) {
	case PCP_OP_ANNOUNCE:
		plen = 0;
		break;
	case PCP_OP_MAP:
		plen = PCP_MAP_LEN;
		break;
	case PCP_OP_PEER:
		plen = PCP_PEER_LEN;
		break;
	default:
		return PCP_UNSUPP_OPCODE;
	}
	if (len < PCP_HDR_LEN + plen)
		return PCP_MALFORMED_REQUEST;
	if (plen)
		read_payload(b + PCP_HDR_LEN, m);
	for (off = PCP_HDR_LEN + plen; off < len; off += n) {
		n = read_option(b + off, len - off, m);
		if (n < 0)
			return -n;
	}
	return PCP_SUCCESS;
}

static size_t put_option(__u8 *p, __u8 code, const void *data, __u16 len)
{
	p[0] = code;
	p[1] = 0;
	put16(p + 2, len);
	if (len)
		memcpy(p + 4, data, len);
	return 4 + ((len + 3u) & ~3u);
}

/* Payload and options, shared by requests and responses. */
static size_t put_body(const struct pcp_msg *m, __u8 *b)
{
	size_t off = PCP_HDR_LEN;
	unsigned int i;

	if (!m->payload)
		return off;
	memcpy(b + off, m->nonce, PCP_NONCE_LEN);
	b[off + 12] = m->proto;
	put16(b + off + 16, m->int_port);
	put16(b + off + 18, m->ext_port);
	memcpy(b + off + 20, m->ext_ip, 16);
	if (m->opcode == PCP_OP_PEER) {
		put16(b + off + 36, m->peer_port);
		memcpy(b + off + 40, m->peer_ip, 16);
		off += PCP_PEER_LEN;
	} else {
		off += PCP_MAP_LEN;
	}
	if (m->third_party)
		off += put_option(b + off, PCP_OPT_THIRD_PARTY, m->tp_ip, 16);
	if (m->prefer_failure)
		off += put_option(b + off, PCP_OPT_PREFER_FAILURE, NULL, 0);
	for (i = 0; i < m->n_filters && i < PCP_MAX_FILTERS; i++) {
		__u8 f[20] = {0};

		f[1] = m->filters[i].prefix_len;
		put16(f + 2, m->filters[i].port);
		memcpy(f + 4, m->filters[i].ip, 16);
		off += put_option(b + off, PCP_OPT_FILTER, f, 20);
	}
	return off;
}

/* Largest body: PEER payload, THIRD_PARTY, PREFER_FAILURE, filters. */
#define PCP_BODY_MAX                                                           \
	(PCP_HDR_LEN + PCP_PEER_LEN + 20 + 4 + PCP_MAX_FILTERS * 24)

size_t pcp_encode_response(const struct pcp_msg *m, void *buf, size_t cap)
{
	__u8 b[PCP_BODY_MAX];
	size_t n;

	memset(b, 0, sizeof(b));
	b[0] = m->version;
	b[1] = 0x80 | (m->opcode & 0x7f);
	b[3] = m->result;
	put32(b + 4, m->lifetime);
	put32(b + 8, m->epoch);
	n = put_body(m, b);
	if (n > cap)
		return 0;
	memcpy(buf, b, n);
	return n;
}

size_t pcp_encode_request(const struct pcp_msg *m, void *buf, size_t cap)
{
	__u8 b[PCP_BODY_MAX];
	size_t n;

	memset(b, 0, sizeof(b));
	b[0] = m->version;
	b[1] = m->opcode & 0x7f;
	put32(b + 4, m->lifetime);
	memcpy(b + 8, m->client_ip, 16);
	n = put_body(m, b);
	if (n > cap)
		return 0;
	memcpy(buf, b, n);
	return n;
}

int natpmp_decode(const void *buf, size_t len, struct natpmp_msg *m)
{
	const __u8 *b = buf;

	memset(m, 0, sizeof(*m));
	if (len < 2 || b[0] != NATPMP_VERSION || (b[1] & 0x80))
		return PCP_DROP;
	m->opcode = b[1];
	switch (m->opcode) {
	case NATPMP_OP_ADDR:
		return NATPMP_SUCCESS;
	case NATPMP_OP_MAP_UDP:
	case NATPMP_OP_MAP_TCP:
		if (len < 12)
			return PCP_DROP;
		m->int_port = get16(b + 4);
		m->ext_port = get16(b + 6);
		m->lifetime = get32(b + 8);
		return NATPMP_SUCCESS;
	}
	return NATPMP_UNSUPP_OPCODE;
}

size_t natpmp_encode_response(const struct natpmp_msg *m, void *buf, size_t cap)
{
	__u8 *b = buf;
	size_t n;

	/* Errors keep the opcode's layout (clients read it whole); an
	 * unknown opcode has none: its answer is the common 8 bytes. */
	n = m->opcode == NATPMP_OP_ADDR ? 12
	    : m->opcode == NATPMP_OP_MAP_UDP || m->opcode == NATPMP_OP_MAP_TCP
		    ? 16
		    : 8;
	if (cap < n)
		return 0;
	memset(b, 0, n);
	b[0] = NATPMP_VERSION;
	b[1] = 0x80 | m->opcode;
	put16(b + 2, m->result);
	put32(b + 4, m->epoch);
	if (n == 12) {
		memcpy(b + 8, &m->ext_addr, 4);
	} else if (n == 16) {
		put16(b + 8, m->int_port);
		put16(b + 10, m->ext_port);
		put32(b + 12, m->lifetime);
	}
	return n;
}
