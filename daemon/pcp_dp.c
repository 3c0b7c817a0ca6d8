// SPDX-License-Identifier: GPL-2.0
/*
 * pcp_dp.c - see pcp_dp.h. The steps mirror bpf/pba.h (port claim, slot
 * re-check, block growth through the grant slots) and bpf/nat.h (both
 * halves inserted with BPF_NOEXIST, the first removed if the second
 * fails), so the data plane and the allocator cannot tell a PCP port or
 * block from one a packet took.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/clock.h"
#include "bpf/cgnat.skel.h"
#include "daemon/hastate.h"
#include "daemon/pcp_dp.h"

#define FD(dp, m) bpf_map__fd((dp)->skel->maps.m)


__u32 pcp_dp_now_s(void)
{
	return cgnat_clock_ns(CLOCK_MONOTONIC) / 1000000000ull;
}

static __u32 pidx_of(__u8 proto)
{
	return proto == IPPROTO_TCP ? CGNAT_P_TCP : CGNAT_P_UDP;
}

/* Claims port p of address ai: 1 when this call set its bit. */
static int claim(struct dp *dp, __u32 ai, __u32 pidx, __u32 p)
{
	__u64 *w = &dp->v.ports[ai * CGNAT_NPROTO + pidx].w[p / 64];
	__u64 b = 1ull << (p % 64);

	if (__atomic_load_n(w, __ATOMIC_SEQ_CST) & b)
		return 0;
	return !(__atomic_fetch_or(w, b, __ATOMIC_SEQ_CST) & b);
}

static void unclaim(struct dp *dp, __u32 ai, __u32 pidx, __u32 p)
{
	dp_block_stamp(dp, ai, p);
	__atomic_fetch_and(&dp->v.ports[ai * CGNAT_NPROTO + pidx].w[p / 64],
			   ~(1ull << (p % 64)), __ATOMIC_SEQ_CST);
}

/* A range of ports one subscriber may use on one address. */
struct pcp_range {
	__u32 ai; /* address index */
	__be32 addr;
	__u32 first, n;
};

/* Claims a port of rg: the suggestion when it lies there and is free,
 * else (unless strict) one of the wanted parity from a random start,
 * else any. The port, or -1.
 */
static int take_in(struct dp *dp, const struct pcp_range *rg, __u32 pidx,
		   const struct pcp_dp_req *q, int parity)
{
	__u32 i, p, start, pass;

	if (q->want_port && (!q->want_addr || q->want_addr == rg->addr) &&
	    q->want_port >= rg->first && q->want_port < rg->first + rg->n &&
	    claim(dp, rg->ai, pidx, q->want_port))
		return q->want_port;
	if (q->strict || !rg->n)
		return -1;
	start = (__u32)random() % rg->n;
	for (pass = parity < 0; pass < 2; pass++) {
		for (i = 0; i < rg->n; i++) {
			p = rg->first + (start + i) % rg->n;
			if (!pass && (int)(p & 1) != parity)
				continue;
			if (claim(dp, rg->ai, pidx, p))
				return p;
		}
	}
	return -1;
}

static int range_addr(struct dp *dp, struct pcp_range *rg)
{
	struct cgnat_addr a;

	if (bpf_map_lookup_elem(FD(dp, cgnat_addrs), &rg->ai, &a))
		return -ENOENT;
	rg->addr = a.addr;
	return 0;
}

/* The range of block slot value v (block id + 1). */
static int block_range(struct dp *dp, const struct cgnat_cfg *g, __u32 v,
		       struct pcp_range *rg)
{
	rg->ai = (v - 1) / g->blocks_per_addr;
	rg->first = g->port_lo + ((v - 1) % g->blocks_per_addr) * g->block_size;
	rg->n = g->block_size;
	return range_addr(dp, rg);
}

/* A port from a block subscriber idx holds; the slot is read again
 * after the claim, as pba_from_held() does, so a block the allocator
 * is releasing is never used.
 */
static int take_held(struct dp *dp, const struct cgnat_cfg *g, __u32 idx,
		     __u32 pidx, const struct pcp_dp_req *q, int parity,
		     struct pcp_dp_grant *out)
{
	struct cgnat_sub *s = &dp->v.subs[idx];
	struct pcp_range rg;
	__u32 i, v;
	int p;

	for (i = 0; i < CGNAT_MAX_BLOCKS; i++) {
		v = __atomic_load_n(&s->block[i], __ATOMIC_SEQ_CST);
		if (!v || (v & CGNAT_BLOCK_DRAIN) || block_range(dp, g, v, &rg))
			continue;
		p = take_in(dp, &rg, pidx, q, parity);
		if (p < 0)
			continue;
		if (__atomic_load_n(&s->block[i], __ATOMIC_SEQ_CST) != v) {
			unclaim(dp, rg.ai, pidx, p);
			continue;
		}
		out->ext_addr = rg.addr;
		out->ext_port = htons(p);
		return 0;
	}
	return -1;
}

/* Empties one grant slot of slots[base..base+depth): block id + 1 or 0. */
static __u32 claim_slot(__u64 *slots, __u32 base, __u32 depth)
{
	__u32 i;
	__u64 v;

	for (i = 0; i < depth; i++) {
		if (!__atomic_load_n(&slots[base + i], __ATOMIC_SEQ_CST))
			continue;
		v = __atomic_exchange_n(&slots[base + i], 0, __ATOMIC_SEQ_CST);
		if (v)
			return (__u32)v;
	}
	return 0;
}

/* pba_grant(): the first block fixes the subscriber's address. */
static __u32 grant(struct dp *dp, const struct cgnat_cfg *g,
		   struct cgnat_sub *s)
{
	__u32 v, ai, ext = s->ext_idx, i;

	if (!ext) {
		v = claim_slot(dp->v.grant_new,
			       (s->pool % CGNAT_MAX_POOLS) * CGNAT_NEW_DEPTH,
			       CGNAT_NEW_DEPTH);
		if (!v)
			return 0;
		ai = (v - 1) / g->blocks_per_addr;
		ext = 0;
		if (__atomic_compare_exchange_n(&s->ext_idx, &ext, ai + 1, 0,
						__ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST) ||
		    ext == ai + 1)
			return v;
		/* A packet fixed another address first: give it back. */
		for (i = 0; i < CGNAT_GRANT_DEPTH; i++) {
			__u64 z = 0;

			if (__atomic_compare_exchange_n(
				    &dp->v.grant_addr[ai * CGNAT_GRANT_DEPTH +
						      i],
				    &z, v, 0, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST))
				break;
		}
	}
	return claim_slot(dp->v.grant_addr, (ext - 1) * CGNAT_GRANT_DEPTH,
			  CGNAT_GRANT_DEPTH);
}

static void emit_assigned(struct dprun *r, const struct cgnat_cfg *g,
			  const struct cgnat_sub *s, __u32 idx, __u32 v,
			  __u64 tai_ns)
{
	struct cgnat_event e;
	struct pcp_range rg;

	memset(&e, 0, sizeof(e));
	block_range(&r->dp, g, v, &rg);
	e.time_tai_ns = tai_ns;
	e.type = EVT_BLOCK_ASSIGNED;
	e.sub_addr = s->addr;
	e.ext_addr = rg.addr;
	e.port_first = rg.first;
	e.port_last = rg.first + g->block_size - 1;
	e.block = v - 1;
	e.pool = s->pool;
	e.value = idx;
	dprun_emit(r, &e);
}

/* pba_grow(): a granted block into a reserved slot, owned and logged.
 * The slot value (block id + 1), or -errno.
 */
static int grow(struct dprun *r, const struct cgnat_cfg *g, __u32 idx)
{
	struct cgnat_sub *s = &r->dp.v.subs[idx];
	__u32 i, held = 0, v, zero;
	int slot = -1;
	struct cgnat_block *b;
	__u64 tai;

	for (i = 0; i < CGNAT_MAX_BLOCKS; i++) {
		v = s->block[i];
		held += v &&
			(!(v & CGNAT_BLOCK_DRAIN) || v == CGNAT_BLOCK_RESERVED);
	}
	if (held >= g->max_blocks)
		return -EDQUOT;
	for (i = 0; i < CGNAT_MAX_BLOCKS && slot < 0; i++) {
		zero = 0;
		if (__atomic_compare_exchange_n(
			    &s->block[i], &zero, CGNAT_BLOCK_RESERVED, 0,
			    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			slot = i;
	}
	if (slot < 0)
		return -EDQUOT;
	v = grant(&r->dp, g, s);
	if (!v) {
		/* Empty slots with blocks left are a refill on its way (a
		 * packet waits for it as grant_wait); a request has no
		 * retransmission to wait for: refill now and look again.
		 * Still none: the pool or address is out, or grants are
		 * held (the log's backlog).
		 */
		dprun_refill(r);
		v = grant(&r->dp, g, s);
	}
	b = v ? &r->dp.v.blocks[v - 1] : NULL;
	zero = 0;
	if (!b ||
	    !__atomic_compare_exchange_n(&b->owner, &zero, idx + 1, 0,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		__atomic_store_n(&s->block[slot], 0, __ATOMIC_SEQ_CST);
		return -ENOSPC; /* a lost grant: the allocator's limbo */
	}
	tai = cgnat_clock_ns(CLOCK_TAI);
	b->sub_addr = s->addr;
	b->assigned_tai_ns = tai;
	b->released_tai_ns = 0;
	b->quarantine_until_ns = 0;
	b->last_use_tai_ns = 0;
	__atomic_store_n(&s->block[slot], v, __ATOMIC_SEQ_CST);
	emit_assigned(r, g, s, idx, v, tai);
	return (int)v;
}

static int insert(struct dp *dp, const struct pcp_dp_req *q, __u32 idx,
		  const struct pcp_dp_grant *gr)
{
	int fm = FD(dp, cgnat_mappings), fi = FD(dp, cgnat_map_in), err;
	struct cgnat_map_key ok = {.addr = q->sub,
				   .port = q->int_port,
				   .proto = q->proto,
				   .dir = CGNAT_DIR_OUT};
	struct cgnat_map_key ik = {.addr = gr->ext_addr,
				   .port = gr->ext_port,
				   .proto = q->proto,
				   .dir = CGNAT_DIR_IN};
	struct cgnat_map ov;
	struct cgnat_map_in iv;

	memset(&ov, 0, sizeof(ov));
	ov.addr = gr->ext_addr;
	ov.port = gr->ext_port;
	ov.flags = CGNAT_MAP_PCP | (q->inbound ? CGNAT_MAP_PCP_IN : 0);
	ov.sub_idx = idx;
	ov.state = CGNAT_MAP_LIVE;
	ov.epoch = CGNAT_EPOCH_IN_USE;
	ov.pcp_until_s = q->until_s;
	ov.created_ns = cgnat_clock_ns(CLOCK_MONOTONIC);
	memset(&iv, 0, sizeof(iv));
	iv.addr = q->sub;
	iv.port = q->int_port;
	iv.flags = ov.flags;
	iv.sub_idx = idx;
	iv.pcp_until_s = ov.pcp_until_s;
	if (bpf_map_update_elem(fi, &ik, &iv, BPF_NOEXIST))
		return -errno;
	if (bpf_map_update_elem(fm, &ok, &ov, BPF_NOEXIST)) {
		err = -errno;
		bpf_map_delete_elem(fi, &ik);
		return err;
	}
	return 0;
}

/* An existing live mapping of the endpoint takes the lifetime: 0, or
 * -ENOENT when there is none (or it is being swept).
 */
static int adopt(struct dp *dp, const struct pcp_dp_req *q,
		 struct pcp_dp_grant *g)
{
	int fm = FD(dp, cgnat_mappings), fi = FD(dp, cgnat_map_in);
	struct cgnat_map_key ok = {.addr = q->sub,
				   .port = q->int_port,
				   .proto = q->proto,
				   .dir = CGNAT_DIR_OUT};
	struct cgnat_map_key ik = {.proto = q->proto, .dir = CGNAT_DIR_IN};
	struct cgnat_map ov;
	struct cgnat_map_in iv;
	__u32 until = q->until_s;

	if (bpf_map_lookup_elem(fm, &ok, &ov) || ov.state != CGNAT_MAP_LIVE)
		return -ENOENT;
	ik.addr = ov.addr;
	ik.port = ov.port;
	if (bpf_map_lookup_elem(fi, &ik, &iv))
		return -ENOENT;
	if (!q->inbound && (ov.flags & CGNAT_MAP_PCP) &&
	    ov.pcp_until_s > q->until_s)
		until = ov.pcp_until_s; /* a PEER never shortens a MAP */
	ov.flags |= CGNAT_MAP_PCP | (q->inbound ? CGNAT_MAP_PCP_IN : 0);
	ov.pcp_until_s = until;
	ov.epoch = CGNAT_EPOCH_IN_USE; /* a packet's mark may be lost */
	iv.flags = ov.flags;
	iv.pcp_until_s = until;
	if (bpf_map_update_elem(fi, &ik, &iv, BPF_EXIST) ||
	    bpf_map_update_elem(fm, &ok, &ov, BPF_EXIST))
		return -errno;
	g->ext_addr = ov.addr;
	g->ext_port = ov.port;
	g->existed = 1;
	g->until_s = until;
	return 0;
}

static int geometry(struct dp *dp, struct cgnat_cfg *g)
{
	__u32 k = 0;

	if (bpf_map_lookup_elem(FD(dp, cgnat_cfg), &k, g) ||
	    !g->blocks_per_addr || !g->block_size)
		return -ENOENT;
	return 0;
}

/* A fresh port for the endpoint: deterministic range, held blocks, a
 * new block. 0 with g filled, or -errno.
 */
static int fresh_port(struct dprun *r, const struct cgnat_cfg *cg,
		      const struct pcp_dp_req *q, __u32 idx,
		      struct pcp_dp_grant *g)
{
	struct dp *dp = &r->dp;
	__u32 pidx = pidx_of(q->proto);
	int parity = cg->parity ? ntohs(q->int_port) & 1 : -1;
	struct cgnat_det_pool dv;
	struct pcp_range rg;
	__u32 first;
	int p, v;

	if (hst_det_range(dp, q->sub, &dv, &first) > 0) {
		rg.ai = dv.n_ext;
		rg.first = first;
		rg.n = dv.pps;
		if (range_addr(dp, &rg))
			return -ENOENT;
		p = take_in(dp, &rg, pidx, q, parity);
		if (p < 0)
			return q->strict ? -EADDRNOTAVAIL : -EDQUOT;
		g->ext_addr = rg.addr;
		g->ext_port = htons(p);
		return 0;
	}
	if (!take_held(dp, cg, idx, pidx, q, parity, g))
		return 0;
	if (q->strict && q->want_port)
		return -EADDRNOTAVAIL; /* which block comes is not ours */
	v = grow(r, cg, idx);
	if (v < 0)
		return v;
	g->new_block = 1;
	if (!take_held(dp, cg, idx, pidx, q, parity, g))
		return 0;
	return -ENOSPC;
}

int pcp_dp_map(struct dprun *r, const struct pcp_dp_req *q,
	       struct pcp_dp_grant *g)
{
	struct cgnat_sub_prefix pk = {.prefixlen = 32, .addr = q->sub};
	struct dp *dp = &r->dp;
	struct cgnat_cfg cg;
	__u32 pool, idx, pidx = pidx_of(q->proto);
	__u32 ai;
	int rc, tries;

	memset(g, 0, sizeof(*g));
	if (bpf_map_lookup_elem(FD(dp, cgnat_sub_prefixes), &pk, &pool))
		return -ENOENT; /* never a slot or a block for a non-subscriber
				 */
	if ((rc = geometry(dp, &cg)))
		return rc;
	for (tries = 0; tries < 3; tries++) {
		if (!adopt(dp, q, g))
			return 0;
		if ((rc = hst_sub_slot(dp, q->sub, 1, &idx)))
			return rc;
		if ((rc = fresh_port(r, &cg, q, idx, g)))
			return rc;
		rc = insert(dp, q, idx, g);
		if (!rc) {
			g->until_s = q->until_s;
			return 0;
		}
		if (!bpf_map_lookup_elem(FD(dp, cgnat_addr_idx), &g->ext_addr,
					 &ai))
			unclaim(dp, ai, pidx, ntohs(g->ext_port));
		if (rc != -EEXIST)
			return rc == -E2BIG ? -ENOSPC : rc;
		/* A packet mapped the endpoint meanwhile: adopt that. */
	}
	return -EAGAIN;
}

int pcp_dp_ext_addr(struct dprun *r, const struct pcp_dp_req *q, __be32 *ext)
{
	struct cgnat_sub_prefix pk = {.prefixlen = 32, .addr = q->sub};
	struct dp *dp = &r->dp;
	struct cgnat_det_pool dv;
	struct pcp_range rg;
	struct cgnat_cfg cg;
	__u32 pool, idx, first;
	int rc;

	if (bpf_map_lookup_elem(FD(dp, cgnat_sub_prefixes), &pk, &pool))
		return -ENOENT;
	if ((rc = geometry(dp, &cg)))
		return rc;
	if (hst_det_range(dp, q->sub, &dv, &first) > 0) {
		rg.ai = dv.n_ext;
		rc = range_addr(dp, &rg);
	} else {
		if ((rc = hst_sub_slot(dp, q->sub, 1, &idx)))
			return rc;
		if (!dp->v.subs[idx].ext_idx && (rc = grow(r, &cg, idx)) < 0)
			return rc;
		rg.ai = dp->v.subs[idx].ext_idx - 1;
		rc = range_addr(dp, &rg);
	}
	*ext = rg.addr;
	return rc;
}

int pcp_dp_set_until(struct dp *dp, __be32 sub, __be16 int_port, __u8 proto,
		     __u32 until_s)
{
	int fm = FD(dp, cgnat_mappings), fi = FD(dp, cgnat_map_in);
	struct cgnat_map_key ok = {.addr = sub,
				   .port = int_port,
				   .proto = proto,
				   .dir = CGNAT_DIR_OUT};
	struct cgnat_map_key ik = {.proto = proto, .dir = CGNAT_DIR_IN};
	struct cgnat_map ov;
	struct cgnat_map_in iv;

	if (bpf_map_lookup_elem(fm, &ok, &ov) || !(ov.flags & CGNAT_MAP_PCP))
		return -ENOENT;
	ik.addr = ov.addr;
	ik.port = ov.port;
	ov.pcp_until_s = until_s;
	ov.epoch = CGNAT_EPOCH_IN_USE;
	if (!bpf_map_lookup_elem(fi, &ik, &iv)) {
		iv.pcp_until_s = until_s;
		if (bpf_map_update_elem(fi, &ik, &iv, BPF_EXIST))
			return -errno;
	}
	if (bpf_map_update_elem(fm, &ok, &ov, BPF_EXIST))
		return -errno;
	return 0;
}

int pcp_dp_scan(struct dp *dp, __u32 now_s, pcp_dp_fn fn, void *ctx)
{
	int fm = FD(dp, cgnat_mappings), rc;
	struct cgnat_map_key k, *kp = NULL;
	struct pcp_dp_entry e;
	struct cgnat_map v;

	while (!bpf_map_get_next_key(fm, kp, &k)) {
		kp = &k;
		if (bpf_map_lookup_elem(fm, &k, &v) ||
		    !(v.flags & CGNAT_MAP_PCP) || v.pcp_until_s <= now_s ||
		    v.state != CGNAT_MAP_LIVE)
			continue;
		e.sub = k.addr;
		e.int_port = k.port;
		e.proto = k.proto;
		e.ext_addr = v.addr;
		e.ext_port = v.port;
		e.until_s = v.pcp_until_s;
		e.inbound = !!(v.flags & CGNAT_MAP_PCP_IN);
		if ((rc = fn(&e, ctx)))
			return rc;
	}
	return 0;
}
