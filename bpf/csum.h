/* SPDX-License-Identifier: GPL-2.0 */
/*
 * csum.h - incremental Internet checksum updates (RFC 1624, eqn. 3:
 * HC' = ~(~HC + ~m + m')). Callers accumulate the difference of every
 * changed 16-bit word into one 32-bit sum with csum_add_*, then apply it
 * to each checksum the change covers. All words stay in network order.
 */
#ifndef CGNAT_CSUM_H
#define CGNAT_CSUM_H

static __always_inline __u16 csum_fold(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

/* Difference of replacing 16-bit word 'from' by 'to'. */
static __always_inline __u32 csum_diff16(__u16 from, __u16 to)
{
	return (__u16)~from + (__u32)to;
}

/* Difference of replacing 32-bit word 'from' by 'to'. */
static __always_inline __u32 csum_diff32(__u32 from, __u32 to)
{
	return csum_diff16(from >> 16, to >> 16) +
	       csum_diff16(from & 0xffff, to & 0xffff);
}

/* Apply an accumulated difference to a checksum field. */
static __always_inline void csum_apply(__sum16 *sum, __u32 diff)
{
	__u32 s = (__u16)~*sum;

	*sum = ~csum_fold(s + csum_fold(diff));
}

/* UDP: a zero checksum means "none" and stays zero (RFC 768); a computed
 * zero is sent as 0xffff.
 */
static __always_inline void csum_apply_udp(__sum16 *sum, __u32 diff)
{
	if (*sum == 0)
		return;
	csum_apply(sum, diff);
	if (*sum == 0)
		*sum = 0xffff;
}

#endif /* CGNAT_CSUM_H */
