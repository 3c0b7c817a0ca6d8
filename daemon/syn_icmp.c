// SPDX-License-Identifier: GPL-2.0
/*
 * syn_icmp.c - the pure part of synpend.h: when a held SYN is answered,
 * and the bytes of the answer.
 */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>

#include "daemon/synpend.h"

enum sp_verdict sp_judge(const struct cgnat_syn *s, __u64 now_ns, int on)
{
	if (!on)
		return SP_DISCARD;
	/* Also held after now_ns was read: not due. */
	if (s->time_ns > now_ns || now_ns - s->time_ns < CGNAT_SYN_HOLD_NS)
		return SP_WAIT;
	if (now_ns - s->time_ns > SP_STALE_NS)
		return SP_DISCARD;
	return SP_SEND;
}

__u16 sp_csum(const void *data, size_t len)
{
	const __u8 *p = data;
	__u32 s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += p[i] << 8 | p[i + 1];
	if (len & 1)
		s += p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

int sp_build(__u8 *buf, size_t cap, const struct cgnat_syn *s)
{
	const __u8 *q = s->pkt;
	size_t ihl = (q[0] & 0xf) * 4, n = 28 + s->len;

	if (s->len > CGNAT_SYN_QUOTE || q[0] >> 4 != 4 || ihl < 20 ||
	    s->len < ihl + 8 || q[9] != IPPROTO_TCP)
		return -EINVAL;
	if (cap < n)
		return -ENOSPC;
	memset(buf, 0, 28);
	buf[0] = 0x45;
	buf[1] = 0xc0;		/* internetwork control, as RFC 1812 4.3.2.5 */
	put16(buf + 2, n);
	buf[8] = 64;
	buf[9] = IPPROTO_ICMP;
	memcpy(buf + 12, q + 16, 4);	/* from where the SYN was sent to */
	memcpy(buf + 16, q + 12, 4);	/* to its sender */
	put16(buf + 10, sp_csum(buf, 20));
	buf[20] = 3;		/* destination unreachable */
	buf[21] = 3;		/* port unreachable */
	memcpy(buf + 28, q, s->len);
	put16(buf + 22, sp_csum(buf + 20, 8 + s->len));
	return n;
}
