// SPDX-License-Identifier: GPL-2.0
/*
 * fragsend.c - see fragsend.h.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/ip.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "bpf/cgnat_abi.h"
#include "daemon/fragsend.h"

int fs_frame(int *fd, __u32 ifindex, const __u8 *f, __u32 len)
{
	struct sockaddr_ll to = { .sll_family = AF_PACKET,
				  .sll_ifindex = (int)ifindex,
				  .sll_halen = ETH_ALEN };

	if (!ifindex || len < ETH_HLEN)
		return -EINVAL;
	if (*fd < 0) {
		/* Protocol 0: it sends, it never receives. */
		*fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
		if (*fd < 0)
			return -errno;
	}
	memcpy(to.sll_addr, f, ETH_ALEN);
	memcpy(&to.sll_protocol, f + 12, 2);	/* the frame's ethertype */
	if (sendto(*fd, f, len, MSG_DONTWAIT, (struct sockaddr *)&to,
		   sizeof(to)) != (ssize_t)len)
		return -errno;
	return 0;
}

/* The MTU of the route to 'daddr' (a UDP socket connected there asks
 * the kernel), 0 if none.
 */
static int fs_route_mtu(__be32 daddr)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9),
				  .sin_addr.s_addr = daddr };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), mtu = 0;
	socklen_t n = sizeof(mtu);

	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) ||
	    getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &n))
		mtu = 0;
	close(fd);
	return mtu;
}

/* Sends the IP packet 'ip' (a fragment) in pieces of at most 'mtu' bytes,
 * as forwarding would fragment it: the same header, offsets and MF moved
 * on, the last piece keeping the original MF.
 */
static int fs_split(int fd, const struct sockaddr_in *to,
		    const struct iphdr *ip, __u32 len, int mtu)
{
	__u32 hl = ip->ihl * 4, off = 0, step, n;
	__u16 fo = ntohs(ip->frag_off);
	__u8 b[CGNAT_FRAG_FRAME] __attribute__((aligned(4)));
	struct iphdr *h = (struct iphdr *)b;

	if (ip->frag_off & htons(IP_DF) || mtu <= (int)hl + 8 ||
	    len > sizeof(b))
		return -EMSGSIZE;
	step = (mtu - hl) & ~7u;
	memcpy(b, ip, hl);
	for (; off < len - hl; off += n) {
		int last = off + step >= len - hl;

		n = last ? len - hl - off : step;
		memcpy(b + hl, (const __u8 *)ip + hl + off, n);
		h->tot_len = htons(hl + n);
		h->frag_off = htons(((fo & IP_OFFMASK) + off / 8) |
				    (last ? fo & IP_MF : IP_MF));
		if (sendto(fd, b, hl + n, MSG_DONTWAIT,
			   (const struct sockaddr *)to, sizeof(*to)) !=
		    (ssize_t)(hl + n))
			return -errno;
	}
	return 0;
}

int fs_ip(int *fd, __u8 *f, __u32 len)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct iphdr *ip = (struct iphdr *)(f + ETH_HLEN);

	if (len < ETH_HLEN + sizeof(*ip) || ip->ttl <= 1 ||
	    ip->ihl < 5 || len - ETH_HLEN < ntohs(ip->tot_len) ||
	    ntohs(ip->tot_len) < ip->ihl * 4u)
		return -EINVAL;
	len = ntohs(ip->tot_len);
	if (*fd < 0) {
		*fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC,
			     IPPROTO_RAW);	/* IP_HDRINCL implied */
		if (*fd < 0)
			return -errno;
	}
	ip->ttl--;
	to.sin_addr.s_addr = ip->daddr;
	if (sendto(*fd, ip, len, MSG_DONTWAIT, (struct sockaddr *)&to,
		   sizeof(to)) == (ssize_t)len)
		return 0;
	if (errno != EMSGSIZE)
		return -errno;
	return fs_split(*fd, &to, ip, len, fs_route_mtu(ip->daddr));
}
