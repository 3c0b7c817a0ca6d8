/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fragsend.h - sends a frame the XDP program made, from userspace: the
 * holder's copy path (fraghold.h), where the kernel refuses live frames.
 * Each takes the caller's socket fd, opened on first use (-1: not yet),
 * and returns 0 or a negative errno.
 */
#ifndef CGNAT_FRAGSEND_H
#define CGNAT_FRAGSEND_H

#include <linux/types.h>

/* A redirect: the frame as it is, out of 'ifindex' (AF_PACKET). */
int fs_frame(int *fd, __u32 ifindex, const __u8 *f, __u32 len);
/* A pass: the kernel was to forward it (its first fragment went that
 * way), so its IP packet is routed as the box's own (raw IP socket), with
 * the TTL forwarding leaves (XDP checked it is above 1; the socket writes
 * the header checksum), cut to the route's MTU when larger (raw sockets
 * do not fragment what they are given whole). 'f' is the frame, its IP
 * header 4-byte aligned; the TTL is taken off in place.
 */
int fs_ip(int *fd, __u8 *f, __u32 len);

#endif /* CGNAT_FRAGSEND_H */
