// SPDX-License-Identifier: GPL-2.0
/*
 * evorder.c - see evorder.h. The parked events are an array in arrival
 * order; every flush walks it once, delivering what it selects and
 * closing the gaps, so each block's events keep their order. Parking is
 * rare (a session racing its block's first event), so the walk is short.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/evorder.h"

enum evo_sel {
	EVO_BLOCK,	/* the parked events of one block */
	EVO_OLD,	/* parked before this pass, or of a known block */
	EVO_ALL,
};

static int known(const struct evo *o, __u32 b)
{
	return o->known[b / 8] & (1u << (b % 8));
}

static void set_known(struct evo *o, __u32 b, int on)
{
	if (on)
		o->known[b / 8] |= 1u << (b % 8);
	else
		o->known[b / 8] &= ~(1u << (b % 8));
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

int evo_init(struct evo *o, const struct evo_geom *g, __u32 cap, evo_fn fn,
	     void *ctx)
{
	__u32 i;

	memset(o, 0, sizeof(*o));
	if (!g->block_size || !cap)
		return -EINVAL;
	o->fn = fn;
	o->ctx = ctx;
	o->g = *g;
	o->g.addrs = NULL;	/* not kept: addr_idx holds them */
	o->n_blocks = g->n_addrs * g->blocks_per_addr;
	o->cap = cap;
	o->addr_idx = calloc(g->n_addrs ? g->n_addrs : 1, sizeof(__u64));
	o->known = calloc(o->n_blocks / 8 + 1, 1);
	o->q = calloc(cap, sizeof(*o->q));
	if (!o->addr_idx || !o->known || !o->q) {
		evo_free(o);
		return -ENOMEM;
	}
	for (i = 0; i < g->n_addrs; i++)
		o->addr_idx[i] = (__u64)g->addrs[i] << 32 | i;
	qsort(o->addr_idx, g->n_addrs, sizeof(__u64), cmp_u64);
	return 0;
}

void evo_free(struct evo *o)
{
	free(o->addr_idx);
	free(o->known);
	free(o->q);
	memset(o, 0, sizeof(*o));
}

void evo_known(struct evo *o, __u32 block)
{
	if (block < o->n_blocks)
		set_known(o, block, 1);
}

/* The block of a session event's external endpoint; 0 if none. */
static int sess_block(const struct evo *o, const struct cgnat_event *e,
		      __u32 *block)
{
	const struct cgnat_sess_event *s = (const void *)e;
	__u32 lo = 0, hi = o->g.n_addrs, mid, port = ntohs(s->ext_port), n;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (o->addr_idx[mid] >> 32 < s->ext_addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == o->g.n_addrs || o->addr_idx[lo] >> 32 != s->ext_addr ||
	    port < o->g.port_lo)
		return 0;
	n = (port - o->g.port_lo) / o->g.block_size;
	if (n >= o->g.blocks_per_addr)
		return 0;
	*block = (__u32)o->addr_idx[lo] * o->g.blocks_per_addr + n;
	return 1;
}

/* Delivers the selected parked events in order. One whose block is not
 * known is forced: its assign is not coming, so the block becomes known
 * and its later parked events follow it in the same walk.
 */
static void flush(struct evo *o, enum evo_sel sel, __u32 block)
{
	struct evo_parked *p;
	__u32 i, k = 0;

	for (i = 0; i < o->n; i++) {
		p = &o->q[i];
		if (!(sel == EVO_ALL ||
		      (sel == EVO_BLOCK && p->block == block) ||
		      (sel == EVO_OLD && (p->pass < o->pass ||
					  known(o, p->block))))) {
			if (k != i)
				o->q[k] = *p;
			k++;
			continue;
		}
		if (!known(o, p->block)) {
			o->forced++;
			set_known(o, p->block, 1);
		}
		o->fn(o->ctx, &p->e);
	}
	o->n = k;
}

static void park(struct evo *o, const struct cgnat_event *e, __u32 block)
{
	if (o->n == o->cap)
		flush(o, EVO_ALL, 0);
	if (known(o, block)) {	/* forced just now */
		o->fn(o->ctx, e);
		return;
	}
	o->q[o->n].e = *e;
	o->q[o->n].block = block;
	o->q[o->n].pass = o->pass;
	o->n++;
	o->parked++;
}

void evo_push(struct evo *o, const struct cgnat_event *e)
{
	__u32 b;

	switch (e->type) {
	case EVT_BLOCK_ASSIGNED:
		if (e->block < o->n_blocks)
			set_known(o, e->block, 1);
		o->fn(o->ctx, e);
		if (o->n && e->block < o->n_blocks)
			flush(o, EVO_BLOCK, e->block);
		return;
	case EVT_SESS_CREATE:
	case EVT_SESS_DELETE:
		if (sess_block(o, e, &b) && !known(o, b)) {
			park(o, e, b);
			return;
		}
		break;
	}
	o->fn(o->ctx, e);
}

void evo_pass_begin(struct evo *o)
{
	o->pass++;
}

void evo_pass_end(struct evo *o)
{
	if (o->n)
		flush(o, EVO_OLD, 0);
}

void evo_release(struct evo *o, __u32 block)
{
	if (block >= o->n_blocks)
		return;
	if (o->n)
		flush(o, EVO_BLOCK, block);
	set_known(o, block, 0);
}
