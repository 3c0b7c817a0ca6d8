// SPDX-License-Identifier: GPL-2.0
/*
 * fraghold.c - see fraghold.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf.h>

#include "daemon/fraghold.h"
#include "daemon/fragsend.h"

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
		return fs_frame(&h->pkt_fd, v.nh.ifindex, out, t.data_size_out);
	case XDP_TX:
		return fs_frame(&h->pkt_fd, ifindex, out, t.data_size_out);
	case XDP_PASS:
		return fs_ip(&h->ip_fd, out, t.data_size_out);
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
		h->copy_late = 1;
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
