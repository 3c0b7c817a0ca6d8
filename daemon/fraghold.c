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
	memset(h, 0, sizeof(*h));
	h->f = calloc(FH_MAX, sizeof(*h->f));
	if (!h->f)
		return -ENOMEM;
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

static void fh_hold(struct fraghold *h, const struct cgnat_frag_rec *r,
		    __u64 now_ms)
{
	__u32 i, free_slot = FH_MAX, same_src = 0;

	for (i = 0; i < FH_MAX; i++) {
		if (!h->f[i].until_ms) {
			if (free_slot == FH_MAX)
				free_slot = i;
		} else if (h->f[i].key.saddr == r->key.saddr) {
			same_src++;
		}
	}
	if (free_slot == FH_MAX || same_src >= FH_PER_SRC) {
		h->refused++;
		return;
	}
	h->f[free_slot].until_ms = now_ms + CGNAT_FRAG_HOLD_MS;
	h->f[free_slot].key = r->key;
	h->f[free_slot].ifindex = r->ifindex;
	h->f[free_slot].len = r->len;
	memcpy(h->f[free_slot].data, r->frame, r->len);
	h->n++;
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
		f->until_ms = 0;
		h->n--;
	}
}

void fh_expire(struct fraghold *h, __u64 now_ms)
{
	__u32 i;

	for (i = 0; i < FH_MAX && h->n; i++) {
		if (!h->f[i].until_ms || h->f[i].until_ms > now_ms)
			continue;
		h->f[i].until_ms = 0;
		h->n--;
		h->expired++;
	}
}
