// SPDX-License-Identifier: GPL-2.0
/*
 * fraghold.c - see fraghold.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/ip.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <bpf/bpf.h>

#include "daemon/fraghold.h"

int fh_probe_live(void)
{
	struct bpf_insn drop[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .imm = XDP_DROP },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	__u8 frame[ETH_ZLEN] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frame,
		    .data_size_in = sizeof(frame), .repeat = 1,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
	int fd, err = 0;

	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "cgnat_fh_probe", "GPL", drop,
			   2, NULL);
	if (fd < 0)
		return errno;
	if (bpf_prog_test_run_opts(fd, &t))
		err = errno;
	close(fd);
	return err;
}

int fh_init(struct fraghold *h, int prog_inside, int prog_outside,
	    int frags_fd)
{
	const char *how = getenv("CGNAT_FRAG_REINJECT");
	__u32 i;

	memset(h, 0, sizeof(*h));
	h->pkt_fd = h->ip_fd = -1;
	h->f = calloc(FH_MAX, sizeof(*h->f));
	if (!h->f)
		return -ENOMEM;
	for (i = 0; i < FH_MAX; i++)
		h->free[i] = FH_MAX - 1 - i;
	h->prog[CGNAT_DIR_OUT] = prog_inside;
	h->prog[CGNAT_DIR_IN] = prog_outside;
	h->frags_fd = frags_fd;
	if (how && !strcmp(how, "copy"))
		h->copy = 1;
	else if (prog_inside >= 0)
		h->copy = (h->live_err = fh_probe_live()) != 0;
	return 0;
}

void fh_free(struct fraghold *h)
{
	if (h->pkt_fd >= 0)
		close(h->pkt_fd);
	if (h->ip_fd >= 0)
		close(h->ip_fd);
	h->pkt_fd = h->ip_fd = -1;
	free(h->f);
	h->f = NULL;
}

static int same_key(const struct cgnat_frag_key *a,
		    const struct cgnat_frag_key *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* Copy path, redirect: the frame as XDP made it, out of 'ifindex'. */
static int fh_send_frame(struct fraghold *h, __u32 ifindex, const __u8 *f,
			 __u32 len)
{
	struct sockaddr_ll to = { .sll_family = AF_PACKET,
				  .sll_ifindex = (int)ifindex,
				  .sll_halen = ETH_ALEN };

	if (!ifindex || len < ETH_HLEN)
		return -EINVAL;
	if (h->pkt_fd < 0) {
		/* Protocol 0: it sends, it never receives. */
		h->pkt_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
		if (h->pkt_fd < 0)
			return -errno;
	}
	memcpy(to.sll_addr, f, ETH_ALEN);
	memcpy(&to.sll_protocol, f + 12, 2);	/* the frame's ethertype */
	if (sendto(h->pkt_fd, f, len, MSG_DONTWAIT, (struct sockaddr *)&to,
		   sizeof(to)) != (ssize_t)len)
		return -errno;
	return 0;
}

/* The MTU of the route to 'daddr' (a UDP socket connected there asks
 * the kernel), 0 if none.
 */
static int fh_route_mtu(__be32 daddr)
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
static int fh_send_split(int fd, const struct sockaddr_in *to,
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

/* Copy path, pass: the kernel was to forward it (its first fragment went
 * that way), so it is routed as the box's own packet with the TTL that
 * forwarding leaves (XDP checked it is above 1; a raw IP socket writes
 * the header checksum itself), cut to the route's MTU if larger (raw
 * sockets do not fragment what they are given whole).
 */
static int fh_send_ip(struct fraghold *h, __u8 *f, __u32 len)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct iphdr *ip = (struct iphdr *)(f + ETH_HLEN);

	if (len < ETH_HLEN + sizeof(*ip) || ip->ttl <= 1 ||
	    ip->ihl < 5 || len - ETH_HLEN < ntohs(ip->tot_len) ||
	    ntohs(ip->tot_len) < ip->ihl * 4u)
		return -EINVAL;
	len = ntohs(ip->tot_len);
	if (h->ip_fd < 0) {
		h->ip_fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC,
				  IPPROTO_RAW);	/* IP_HDRINCL implied */
		if (h->ip_fd < 0)
			return -errno;
	}
	ip->ttl--;
	to.sin_addr.s_addr = ip->daddr;
	if (sendto(h->ip_fd, ip, len, MSG_DONTWAIT, (struct sockaddr *)&to,
		   sizeof(to)) == (ssize_t)len)
		return 0;
	if (errno != EMSGSIZE)
		return -errno;
	return fh_send_split(h->ip_fd, &to, ip, len, fh_route_mtu(ip->daddr));
}

/* The program runs on the frame without live frames; what it made is
 * sent from here, where XDP would have sent it (bpf/frag.h frag_follow:
 * a redirect goes by the first fragment's next hop).
 */
static int fh_run_copy(struct fraghold *h, const struct cgnat_frag_key *k,
		       __u32 ifindex, const __u8 *data, __u32 len)
{
	struct xdp_md ctx = { .data_end = len, .ingress_ifindex = ifindex };
	struct {	/* 2 bytes before the frame align its IP header */
		__u8 pad[2];
		__u8 f[CGNAT_FRAG_FRAME + 64];
	} __attribute__((aligned(4))) o;
	__u8 *out = o.f;
	struct cgnat_frag v;
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = data,
		    .data_size_in = len, .data_out = out,
		    .data_size_out = sizeof(o.f), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	if (bpf_map_lookup_elem(h->frags_fd, k, &v))
		return -ENOENT;
	if (bpf_prog_test_run_opts(h->prog[k->dir & 1], &t))
		return -errno;
	switch (t.retval) {
	case XDP_REDIRECT:
		return fh_send_frame(h, v.nh.ifindex, out, t.data_size_out);
	case XDP_TX:
		return fh_send_frame(h, ifindex, out, t.data_size_out);
	case XDP_PASS:
		return fh_send_ip(h, out, t.data_size_out);
	default:
		return 0;	/* dropped: the program counted why */
	}
}

/* Runs the frame through the program of the side it arrived on: with live
 * frames while the kernel takes them, else (from the first refusal on) by
 * the copy path.
 */
static void fh_run(struct fraghold *h, const struct cgnat_frag_key *k,
		   __u32 ifindex, const __u8 *data, __u32 len)
{
	struct xdp_md ctx = { .data_end = len, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = data,
		    .data_size_in = len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

	if (!h->copy) {
		if (!bpf_prog_test_run_opts(h->prog[k->dir & 1], &t)) {
			h->reinjected++;
			return;
		}
		h->copy = 1;
		h->live_err = errno;
	}
	if (fh_run_copy(h, k, ifindex, data, len)) {
		h->failed++;
		return;
	}
	h->reinjected++;
	h->copied++;
}

/* Whether the first fragment's translation is there now. */
static int fh_known(struct fraghold *h, const struct cgnat_frag_key *k)
{
	struct cgnat_frag v;
	struct timespec ts;

	if (bpf_map_lookup_elem(h->frags_fd, k, &v))
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return v.expires_ns > (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static __u32 src_bucket(__be32 addr)
{
	return (addr * 2654435761u) >> 24;	/* FH_SRC_BUCKETS = 256 */
}

static void fh_hold(struct fraghold *h, const struct cgnat_frag_rec *r,
		    __u64 now_ms)
{
	__u16 *ps = &h->per_src[src_bucket(r->key.saddr)];
	struct fh_frame *f;

	if (h->n == FH_MAX || *ps >= FH_PER_SRC) {
		h->refused++;
		return;
	}
	f = &h->f[h->free[FH_MAX - 1 - h->n]];
	h->n++;
	(*ps)++;
	f->until_ms = now_ms + CGNAT_FRAG_HOLD_MS;
	f->key = r->key;
	f->ifindex = r->ifindex;
	f->len = r->len;
	memcpy(f->data, r->frame, r->len);
}

/* Gives slot i back. */
static void fh_drop(struct fraghold *h, __u32 i)
{
	h->per_src[src_bucket(h->f[i].key.saddr)]--;
	h->f[i].until_ms = 0;
	h->n--;
	h->free[FH_MAX - 1 - h->n] = i;
}

void fh_record(struct fraghold *h, const void *data, size_t len,
	       __u64 now_ms)
{
	const struct cgnat_frag_rec *r = data;
	__u32 i;

	if (len < sizeof(*r))
		return;
	if (r->kind == CGNAT_FRAG_HELD) {
		if (r->len > CGNAT_FRAG_FRAME ||
		    len < sizeof(*r) + r->len)
			return;
		/* The first may have come between the copy and now. */
		if (fh_known(h, &r->key))
			fh_run(h, &r->key, r->ifindex, r->frame, r->len);
		else
			fh_hold(h, r, now_ms);
		return;
	}
	if (r->kind != CGNAT_FRAG_READY || !h->n)
		return;
	for (i = 0; i < FH_MAX; i++) {
		struct fh_frame *f = &h->f[i];

		if (!f->until_ms || !same_key(&f->key, &r->key))
			continue;
		fh_run(h, &f->key, f->ifindex, f->data, f->len);
		fh_drop(h, i);
	}
}

void fh_expire(struct fraghold *h, __u64 now_ms)
{
	__u32 i;

	for (i = 0; i < FH_MAX && h->n; i++) {
		if (!h->f[i].until_ms || h->f[i].until_ms > now_ms)
			continue;
		fh_drop(h, i);
		h->expired++;
	}
}
