// SPDX-License-Identifier: GPL-2.0
/*
 * fraghold.c - see fraghold.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "daemon/fraghold.h"

int fh_init(struct fraghold *h, int prog_inside, int prog_outside,
	    int frags_fd)
{
	__u32 i;

	memset(h, 0, sizeof(*h));
	h->f = calloc(FH_MAX, sizeof(*h->f));
	if (!h->f)
		return -ENOMEM;
	for (i = 0; i < FH_MAX; i++)
		h->free[i] = FH_MAX - 1 - i;
	h->prog[CGNAT_DIR_OUT] = prog_inside;
	h->prog[CGNAT_DIR_IN] = prog_outside;
	h->frags_fd = frags_fd;
	return 0;
}

void fh_free(struct fraghold *h)
{
	free(h->f);
	h->f = NULL;
}

static int same_key(const struct cgnat_frag_key *a,
		    const struct cgnat_frag_key *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* Runs the frame through the program of the side it arrived on. */
static void fh_run(struct fraghold *h, const struct cgnat_frag_key *k,
		   __u32 ifindex, const __u8 *data, __u32 len)
{
	struct xdp_md ctx = { .data_end = len, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = data,
		    .data_size_in = len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

	if (!bpf_prog_test_run_opts(h->prog[k->dir & 1], &t))
		h->reinjected++;
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
