// SPDX-License-Identifier: GPL-2.0
/*
 * hastate.c - see hastate.h.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/cgnat.skel.h"
#include "daemon/hastate.h"

#define FD(dp, m) bpf_map__fd((dp)->skel->maps.m)

static __u32 hst_bpa(struct dp *dp)
{
	struct cgnat_cfg c;
	__u32 k = 0;

	if (bpf_map_lookup_elem(FD(dp, cgnat_cfg), &k, &c) ||
	    !c.blocks_per_addr)
		return 1;
	return c.blocks_per_addr;
}

static int hst_geom(struct dp *dp, struct cgnat_cfg *c)
{
	__u32 k = 0;

	if (bpf_map_lookup_elem(FD(dp, cgnat_cfg), &k, c) ||
	    !c->blocks_per_addr || !c->block_size)
		return -ENOENT;
	return 0;
}

static __u32 hst_pidx(__u8 proto)
{
	return proto == 6    ? CGNAT_P_TCP
	       : proto == 17 ? CGNAT_P_UDP
			     : CGNAT_P_ICMP;
}

/* ---- reading (active) ---- */

static void block_rec(const struct cgnat_block *b, __u32 id, __u64 boot_ns,
		      struct hs_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->type = HS_BLOCK;
	r->block.id = id;
	r->block.sub_addr = b->sub_addr;
	r->block.held = b->owner != 0;
	r->block.assigned_tai_ns = b->assigned_tai_ns;
	r->block.released_tai_ns = b->released_tai_ns;
	r->block.quarantine_ms =
		hs_remaining_ms(b->quarantine_until_ns, boot_ns);
}

static void map_rec(const struct cgnat_map_key *k, const struct cgnat_map *v,
		    __u64 now_ns, struct hs_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->type = HS_MAP;
	r->map.int_addr = k->addr;
	r->map.int_port = k->port;
	r->map.proto = k->proto;
	r->map.ext_addr = v->addr;
	r->map.ext_port = v->port;
	r->map.age_ms =
		now_ns > v->created_ns ? (now_ns - v->created_ns) / 1000000 : 0;
	if (cgnat_map_pcp_live(v, now_ns)) {
		__u64 left = v->pcp_until_s - now_ns / 1000000000ull;

		r->map.pcp_left_s = left > HS_PCP_LEFT ? HS_PCP_LEFT : left;
		if (v->flags & CGNAT_MAP_PCP_IN)
			r->map.pcp_left_s |= HS_PCP_IN;
	}
}

static void sess_rec(const struct cgnat_sess_key *k, const struct cgnat_sess *v,
		     __u64 now_ns, struct hs_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->type = HS_SESS;
	r->sess.key = *k;
	r->sess.ext_addr = v->ext_addr;
	r->sess.ext_port = v->ext_port;
	r->sess.tcp_seen = v->tcp_seen;
	r->sess.flags = v->flags;
	r->sess.remaining_ms = hs_remaining_ms(v->expires_ns, now_ns);
}

static int emit_blocks(struct dp *dp, __u64 boot_ns, hst_emit_fn emit,
		       void *ctx, __u64 *n)
{
	__u32 nb = bpf_map__max_entries(dp->skel->maps.cgnat_blocks), id;
	struct hs_rec r;
	int rc;

	for (id = 0; id < nb; id++) {
		const struct cgnat_block *b = &dp->v.blocks[id];

		if (!b->owner && b->quarantine_until_ns <= boot_ns)
			continue;
		block_rec(b, id, boot_ns, &r);
		if ((rc = emit(&r, ctx)))
			return rc;
		(*n)++;
	}
	return 0;
}

int hst_refresh_step(struct dp *dp, struct hst_cursor *c, __u64 now_ns,
		     __u64 boot_ns, hst_emit_fn emit, void *ctx, __u64 *n)
{
	static union {
		struct cgnat_map_key m[HST_BATCH];
		struct cgnat_sess_key s[HST_BATCH];
	} keys;
	static union {
		struct cgnat_map m[HST_BATCH];
		struct cgnat_sess s[HST_BATCH];
	} vals;
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	__u32 cnt = HST_BATCH, i;
	__u64 next = 0;
	struct hs_rec r;
	int rc, last;

	*n = 0;
	if (c->phase == 0) {
		rc = emit_blocks(dp, boot_ns, emit, ctx, n);
		if (!rc) {
			c->phase = 1;
			c->more = 0;
		}
		return rc;
	}
	rc = bpf_map_lookup_batch(
		c->phase == 1 ? FD(dp, cgnat_mappings) : FD(dp, cgnat_sessions),
		c->more ? &c->token : NULL, &next, &keys, &vals, &cnt, &o);
	last = rc == -ENOENT; /* the table's end; cnt entries still came */
	if (rc && !last)
		return rc;
	for (i = 0; i < cnt; i++) {
		if (c->phase == 1) {
			if (vals.m[i].state != CGNAT_MAP_LIVE)
				continue;
			map_rec(&keys.m[i], &vals.m[i], now_ns, &r);
		} else {
			if (vals.s[i].expires_ns <= now_ns)
				continue;
			sess_rec(&keys.s[i], &vals.s[i], now_ns, &r);
		}
		if ((rc = emit(&r, ctx)))
			return rc;
		(*n)++;
	}
	c->token = next;
	c->more = !last;
	if (!last)
		return 0;
	c->phase = c->phase == 1 ? 2 : 0;
	c->more = 0;
	return c->phase == 0;
}

int hst_scan(struct dp *dp, __u64 now_ns, __u64 boot_ns, hst_emit_fn emit,
	     void *ctx, __u64 *n)
{
	struct cgnat_map_key mk, *mp = NULL;
	struct cgnat_sess_key sk, *sp = NULL;
	struct hs_rec r;
	int rc;

	*n = 0;
	if ((rc = emit_blocks(dp, boot_ns, emit, ctx, n)))
		return rc;
	while (!bpf_map_get_next_key(FD(dp, cgnat_mappings), mp, &mk)) {
		struct cgnat_map v;

		mp = &mk;
		if (bpf_map_lookup_elem(FD(dp, cgnat_mappings), &mk, &v) ||
		    v.state != CGNAT_MAP_LIVE)
			continue;
		map_rec(&mk, &v, now_ns, &r);
		if ((rc = emit(&r, ctx)))
			return rc;
		(*n)++;
	}
	while (!bpf_map_get_next_key(FD(dp, cgnat_sessions), sp, &sk)) {
		struct cgnat_sess v;

		sp = &sk;
		if (bpf_map_lookup_elem(FD(dp, cgnat_sessions), &sk, &v) ||
		    v.expires_ns <= now_ns)
			continue; /* expired: the sweep's, not ours */
		sess_rec(&sk, &v, now_ns, &r);
		if ((rc = emit(&r, ctx)))
			return rc;
		(*n)++;
	}
	return 0;
}

void hst_block(struct dp *dp, __u32 id, __u64 boot_ns, struct hs_rec *r)
{
	block_rec(&dp->v.blocks[id], id, boot_ns, r);
}

int hst_flow(struct dp *dp, const struct cgnat_sess_key *k, __u64 now_ns,
	     hst_emit_fn emit, void *ctx)
{
	struct cgnat_map_key mk = {.addr = k->int_addr,
				   .port = k->int_port,
				   .proto = k->proto,
				   .dir = CGNAT_DIR_OUT};
	struct cgnat_map mv;
	struct cgnat_sess sv;
	struct hs_rec r;
	int rc;

	if (!bpf_map_lookup_elem(FD(dp, cgnat_mappings), &mk, &mv) &&
	    mv.state == CGNAT_MAP_LIVE) {
		map_rec(&mk, &mv, now_ns, &r);
		if ((rc = emit(&r, ctx)))
			return rc;
	}
	if (bpf_map_lookup_elem(FD(dp, cgnat_sessions), k, &sv))
		return 0; /* gone already: its delete follows */
	sess_rec(k, &sv, now_ns, &r);
	return emit(&r, ctx);
}

/* ---- writing (standby) ---- */

/* A subscriber of a deterministic pool (RFC 7422): 1 with its pool's
 * layout in *dv (n_ext replaced by the address index of its range) and
 * its first port in *first; 0 for a PBA subscriber; -errno.
 */
int hst_det_range(struct dp *dp, __be32 sub, struct cgnat_det_pool *dv,
			 __u32 *first)
{
	struct cgnat_sub_prefix pk = {.prefixlen = 32, .addr = sub};
	struct cgnat_det_prefix pf;
	__u32 pool = 0, off, ei, ai;

	if (bpf_map_lookup_elem(FD(dp, cgnat_sub_prefixes), &pk, &pool) ||
	    bpf_map_lookup_elem(FD(dp, cgnat_det_pools), &pool, dv) ||
	    !dv->pps || !dv->spa)
		return 0;
	if (bpf_map_lookup_elem(FD(dp, cgnat_det_prefixes), &pk, &pf))
		return -ENOENT;
	off = pf.base + (ntohl(sub) - ntohl(pf.addr));
	if (off / dv->spa >= dv->n_ext)
		return -ENOENT;
	ei = dv->ext_base + off / dv->spa;
	if (bpf_map_lookup_elem(FD(dp, cgnat_det_ext), &ei, &ai))
		return -ENOENT;
	dv->n_ext = ai;
	*first = dv->port_first + (off % dv->spa) * dv->pps;
	return 1;
}

/* The standby's own slot for subscriber 'addr', made as nat_sub_get
 * makes one: from the free queue, pool from the prefixes.
 */
int hst_sub_slot(struct dp *dp, __be32 addr, int create, __u32 *idx)
{
	struct cgnat_sub_prefix pk = {.prefixlen = 32, .addr = addr};
	__u32 pool = 0, v;

	if (!bpf_map_lookup_elem(FD(dp, cgnat_sub_idx), &addr, idx))
		return 0;
	if (!create)
		return -ENOENT;
	if (bpf_map_lookup_and_delete_elem(FD(dp, cgnat_sub_free), NULL, &v))
		return -ENOSPC;
	bpf_map_lookup_elem(FD(dp, cgnat_sub_prefixes), &pk, &pool);
	memset(&dp->v.subs[v], 0, sizeof(dp->v.subs[v]));
	dp->v.subs[v].addr = addr;
	dp->v.subs[v].pool = pool;
	if (bpf_map_update_elem(FD(dp, cgnat_sub_idx), &addr, &v,
				BPF_NOEXIST)) {
		int err = -errno;

		dp->v.subs[v].addr = 0;
		bpf_map_update_elem(FD(dp, cgnat_sub_free), NULL, &v, 0);
		return err;
	}
	*idx = v;
	return 0;
}

static void sub_blocks(struct cgnat_sub *s, __u32 id, int held)
{
	int i, free_i = -1;

	for (i = 0; i < CGNAT_MAX_BLOCKS; i++) {
		if ((s->block[i] & ~CGNAT_BLOCK_DRAIN) == id + 1) {
			if (!held)
				s->block[i] = 0;
			return;
		}
		if (!s->block[i] && free_i < 0)
			free_i = i;
	}
	if (held && free_i >= 0)
		s->block[free_i] = id + 1;
}

static int apply_block(struct dp *dp, const struct hs_block *r, __u64 boot_ns)
{
	__u32 nb = bpf_map__max_entries(dp->skel->maps.cgnat_blocks), idx;
	struct cgnat_block *b;
	int rc;

	if (r->id >= nb)
		return -ERANGE; /* the two boxes' pools differ */
	b = &dp->v.blocks[r->id];
	if (b->owner &&
	    b->owner - 1 < bpf_map__max_entries(dp->skel->maps.cgnat_subs) &&
	    (!r->held || dp->v.subs[b->owner - 1].addr != r->sub_addr))
		sub_blocks(&dp->v.subs[b->owner - 1], r->id, 0);
	if (r->held) {
		rc = hst_sub_slot(dp, r->sub_addr, 1, &idx);
		if (rc)
			return rc;
		sub_blocks(&dp->v.subs[idx], r->id, 1);
		if (!dp->v.subs[idx].ext_idx)
			dp->v.subs[idx].ext_idx = r->id / hst_bpa(dp) + 1;
	}
	b->sub_addr = r->sub_addr;
	b->assigned_tai_ns = r->assigned_tai_ns;
	b->released_tai_ns = r->released_tai_ns;
	b->last_use_tai_ns = 0; /* not synced: a release then says now */
	b->quarantine_until_ns =
		r->quarantine_ms ? hs_expires_ns(r->quarantine_ms, boot_ns) : 0;
	b->owner = r->held ? idx + 1 : 0;
	return 0;
}

int hst_port_bit(struct dp *dp, __be32 ext, __be16 port, __u8 proto, int set)
{
	__u32 ai, p = ntohs(port);
	__u64 *w;

	if (bpf_map_lookup_elem(FD(dp, cgnat_addr_idx), &ext, &ai))
		return -ERANGE; /* not one of this box's pool addresses */
	w = &dp->v.ports[ai * CGNAT_NPROTO + hst_pidx(proto)].w[p / 64];
	if (!set)
		dp_block_stamp(dp, ai, p);
	if (set)
		__atomic_fetch_or(w, 1ull << (p % 64), __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_and(w, ~(1ull << (p % 64)), __ATOMIC_SEQ_CST);
	return 0;
}

static int apply_map(struct dp *dp, const struct hs_map *r, int del,
		     __u64 now_ns)
{
	int fm = FD(dp, cgnat_mappings), fi = FD(dp, cgnat_map_in);
	struct cgnat_map_key ok = {.addr = r->int_addr,
				   .port = r->int_port,
				   .proto = r->proto,
				   .dir = CGNAT_DIR_OUT};
	struct cgnat_map_key ik = {.proto = r->proto, .dir = CGNAT_DIR_IN};
	struct cgnat_map ov;
	struct cgnat_map_in iv;
	__u32 idx;
	int rc;

	/* An older mapping of this endpoint goes first, with its bit. */
	if (!bpf_map_lookup_elem(fm, &ok, &ov)) {
		ik.addr = ov.addr;
		ik.port = ov.port;
		bpf_map_delete_elem(fi, &ik);
		bpf_map_delete_elem(fm, &ok);
		hst_port_bit(dp, ov.addr, ov.port, r->proto, 0);
	}
	if (del)
		return 0;
	{
		/* A deterministic subscriber has no block to bring its slot:
		 * its mapping does. */
		struct cgnat_det_pool dv;
		__u32 first;

		rc = hst_sub_slot(dp, r->int_addr,
			      hst_det_range(dp, r->int_addr, &dv, &first) > 0,
			      &idx);
	}
	if (rc)
		return rc;
	memset(&ov, 0, sizeof(ov));
	ov.addr = r->ext_addr;
	ov.port = r->ext_port;
	ov.sub_idx = idx;
	ov.state = CGNAT_MAP_LIVE;
	ov.epoch = CGNAT_EPOCH_IN_USE; /* the next sweep judges it */
	/* Its sessions come after it (apply_sess) and raise its bound
	 * (cgnat_abi.h); without one it ends within a bound slot.
	 */
	ov.expires_ns = CGNAT_MAP_BOUND(cgnat_exp_make(now_ns, 0));
	ov.created_ns = now_ns - (__u64)r->age_ms * 1000000;
	if (r->pcp_left_s & HS_PCP_LEFT) { /* the standby's clock now */
		ov.flags = CGNAT_MAP_PCP |
			   (r->pcp_left_s & HS_PCP_IN ? CGNAT_MAP_PCP_IN : 0);
		ov.pcp_until_s = now_ns / 1000000000ull +
				 (r->pcp_left_s & HS_PCP_LEFT);
	}
	memset(&iv, 0, sizeof(iv));
	iv.addr = r->int_addr;
	iv.port = r->int_port;
	iv.sub_idx = idx;
	iv.flags = ov.flags;
	iv.pcp_until_s = ov.pcp_until_s;
	ik.addr = r->ext_addr;
	ik.port = r->ext_port;
	rc = hst_port_bit(dp, r->ext_addr, r->ext_port, r->proto, 1);
	if (rc)
		return rc;
	if (bpf_map_update_elem(fi, &ik, &iv, 0) ||
	    bpf_map_update_elem(fm, &ok, &ov, 0))
		return -errno;
	return 0;
}

/* Raises the bound of the session's mapping to cover its expiry, as the
 * data plane does when it writes one (nat_map_bound).
 */
static void hst_map_cover(struct dp *dp, const struct cgnat_sess_key *k,
			  __u64 exp)
{
	int fm = FD(dp, cgnat_mappings);
	struct cgnat_map_key ok = {.addr = k->int_addr,
				   .port = k->int_port,
				   .proto = k->proto,
				   .dir = CGNAT_DIR_OUT};
	struct cgnat_map ov;

	if (bpf_map_lookup_elem(fm, &ok, &ov) ||
	    ov.expires_ns >= CGNAT_MAP_BOUND(exp))
		return;
	ov.expires_ns = CGNAT_MAP_BOUND(exp);
	bpf_map_update_elem(fm, &ok, &ov, BPF_EXIST);
}

static int apply_sess(struct dp *dp, const struct hs_sess *r, __u64 now_ns)
{
	int fs = FD(dp, cgnat_sessions);
	struct cgnat_sess s;
	__u32 idx;
	int fresh = bpf_map_lookup_elem(fs, &r->key, &s) != 0;

	if (!fresh) {
		/* Drop the reverse cache: it must never outlive or outrun
		 * the session it copies (rsess.h); the first inbound packet
		 * rebuilds it.
		 */
		dp_sess_delete(dp, &r->key);
	}
	memset(&s, 0, sizeof(s)); /* next hops: never synced */
	s.expires_ns = hs_expires_ns(r->remaining_ms, now_ns);
	s.ext_addr = r->ext_addr;
	s.ext_port = r->ext_port;
	s.tcp_seen = r->tcp_seen;
	s.flags = r->flags;
	if (bpf_map_update_elem(fs, &r->key, &s, 0))
		return -errno;
	if (r->key.kind == CGNAT_SK_FLOW)
		hst_map_cover(dp, &r->key, s.expires_ns);
	if (r->key.kind == CGNAT_SK_FLOW &&
	    !hst_sub_slot(dp, r->key.int_addr, 0, &idx))
		__atomic_fetch_add(&dp->v.subs[idx].sessions, 1,
				   __ATOMIC_SEQ_CST);
	return 0;
}

/* 1 when ext:port lies in int_addr's deterministic range. */
static int hst_det_owns(struct dp *dp, __be32 int_addr, __u32 ai, __u32 p)
{
	struct cgnat_det_pool dv;
	__u32 first;

	if (hst_det_range(dp, int_addr, &dv, &first) < 0)
		return 0;
	return ai == dv.n_ext && p >= first && p < first + dv.pps;
}

/* 1 when ext:port lies in a block that int_addr's subscriber holds, or
 * in its deterministic range. */
static int hst_owns(struct dp *dp, const struct cgnat_cfg *g, __be32 int_addr,
		    __be32 ext, __be16 port)
{
	__u32 ai, idx, id, p = ntohs(port);

	if (bpf_map_lookup_elem(FD(dp, cgnat_addr_idx), &ext, &ai))
		return 0;
	if (hst_det_owns(dp, int_addr, ai, p))
		return 1;
	if (p < g->port_lo || hst_sub_slot(dp, int_addr, 0, &idx))
		return 0;
	if ((p - g->port_lo) / g->block_size >= g->blocks_per_addr)
		return 0;
	id = ai * g->blocks_per_addr + (p - g->port_lo) / g->block_size;
	return dp->v.blocks[id].owner == idx + 1;
}

int hst_purge(struct dp *dp, __u64 *maps, __u64 *sessions)
{
	static union {
		struct cgnat_map_key m[HST_BATCH];
		struct cgnat_sess_key s[HST_BATCH];
	} keys;
	static union {
		struct cgnat_map m[HST_BATCH];
		struct cgnat_sess s[HST_BATCH];
	} vals;
	struct hs_rec del = {.type = HS_MAP_DEL};
	struct cgnat_cfg g;
	int phase, rc, last;

	*maps = *sessions = 0;
	if ((rc = hst_geom(dp, &g)))
		return rc;
	for (phase = 1; phase <= 2; phase++) {
		int fd = phase == 1 ? FD(dp, cgnat_mappings)
				    : FD(dp, cgnat_sessions);
		__u64 tok = 0, next = 0;
		int more = 0;

		do {
			LIBBPF_OPTS(bpf_map_batch_opts, o);
			__u32 cnt = HST_BATCH, i;

			rc = bpf_map_lookup_batch(fd, more ? &tok : NULL,
						  &next, &keys, &vals, &cnt,
						  &o);
			last = rc == -ENOENT;
			if (rc && !last)
				return rc;
			for (i = 0; i < cnt; i++) {
				if (phase == 1) {
					const struct cgnat_map_key *k =
						&keys.m[i];

					if (hst_owns(dp, &g, k->addr,
						     vals.m[i].addr,
						     vals.m[i].port))
						continue;
					del.map.int_addr = k->addr;
					del.map.int_port = k->port;
					del.map.proto = k->proto;
					apply_map(dp, &del.map, 1, 0);
					(*maps)++;
				} else {
					const struct cgnat_sess_key *k =
						&keys.s[i];

					if (k->kind != CGNAT_SK_FLOW ||
					    hst_owns(dp, &g, k->int_addr,
						     vals.s[i].ext_addr,
						     vals.s[i].ext_port))
						continue;
					dp_sess_delete(dp, k);
					(*sessions)++;
				}
			}
			tok = next;
			more = 1;
		} while (!last);
	}
	return 0;
}

/* Deletes every key of a hash map (keys of up to 16 bytes). */
static int clear_hash(int fd)
{
	__u8 k[16];

	while (!bpf_map_get_next_key(fd, NULL, k))
		if (bpf_map_delete_elem(fd, k))
			return -errno;
	return 0;
}

int hst_clear(struct dp *dp)
{
	__u32 nb = bpf_map__max_entries(dp->skel->maps.cgnat_blocks);
	__u32 np = bpf_map__max_entries(dp->skel->maps.cgnat_ports);
	__be32 addr;
	__u32 idx;
	int rc;

	rc = clear_hash(FD(dp, cgnat_sessions));
	if (!rc)
		rc = clear_hash(FD(dp, cgnat_rsess));
	if (!rc)
		rc = clear_hash(FD(dp, cgnat_mappings));
	if (!rc)
		rc = clear_hash(FD(dp, cgnat_map_in));
	if (rc)
		return rc;
	memset(dp->v.ports, 0, np * sizeof(*dp->v.ports));
	memset(dp->v.blocks, 0, nb * sizeof(*dp->v.blocks));
	while (!bpf_map_get_next_key(FD(dp, cgnat_sub_idx), NULL, &addr)) {
		if (bpf_map_lookup_elem(FD(dp, cgnat_sub_idx), &addr, &idx) ||
		    bpf_map_delete_elem(FD(dp, cgnat_sub_idx), &addr))
			return -errno;
		memset(&dp->v.subs[idx], 0, sizeof(dp->v.subs[idx]));
		if (bpf_map_update_elem(FD(dp, cgnat_sub_free), NULL, &idx, 0))
			return -errno;
	}
	return 0;
}

int hst_apply(struct dp *dp, const struct hs_rec *r, __u64 now_ns,
	      __u64 boot_ns)
{
	int rc;

	switch (r->type) {
	case HS_BLOCK:
		return apply_block(dp, &r->block, boot_ns);
	case HS_MAP:
	case HS_MAP_DEL:
		return apply_map(dp, &r->map, r->type == HS_MAP_DEL, now_ns);
	case HS_SESS:
		return apply_sess(dp, &r->sess, now_ns);
	case HS_SESS_DEL:
		rc = dp_sess_delete(dp, &r->sess.key);
		return rc == -ENOENT ? 0 : rc;
	case HS_BULK_START:
		return hst_clear(dp);
	case HS_BULK_END:
	case HS_MARK:
		return 0; /* readiness and the sync point: hs_rx's */
	}
	return -EINVAL;
}
