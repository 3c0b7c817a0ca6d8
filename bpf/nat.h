/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nat.h - translation state: subscribers, endpoint-independent mappings
 * (RFC 4787 REQ-1, one external ip:port per internal ip:port whatever the
 * destination) and sessions, plus the header rewrite with incremental
 * checksums. Helpers return 0 or a negative reason code.
 */
#ifndef CGNAT_NAT_H
#define CGNAT_NAT_H

#include "csum.h"
#include "ct.h"
#include "det.h"
#include "due.h"

#define E2BIG 7
#define EEXIST 17

/* Checksum differences accumulated over one packet's rewrite. */
struct xlate {
	__u32 ip;
	__u32 l4;
};

/* Queues the replacement of an address and port (or ICMP identifier). */
static __always_inline void xlate_set(struct pkt *p, struct xlate *x,
				      __be32 *afield, __be16 *pfield,
				      __be32 addr, __be16 port)
{
	__u32 d = csum_diff32(*afield, addr);

	x->ip += d;
	if (p->proto == IPPROTO_ICMP)	/* no pseudo-header for ICMP */
		x->l4 += csum_diff16(*pfield, port);
	else
		x->l4 += d + csum_diff16(*pfield, port);
	*afield = addr;
	*pfield = port;
}

/* Decrements the TTL (unless the kernel is to forward the packet and do
 * it) and applies both checksum differences.
 */
static __always_inline void xlate_finish(struct pkt *p, struct xlate *x,
					 int dec_ttl)
{
	__u8 ttl = p->ip->ttl;

	if (dec_ttl) {
		/* ttl and protocol share one checksum word */
		x->ip += csum_diff16(bpf_htons(ttl << 8 | p->proto),
				     bpf_htons((ttl - 1) << 8 | p->proto));
		p->ip->ttl = ttl - 1;
	}
	csum_apply(&p->ip->check, x->ip);
	if (p->proto == IPPROTO_UDP)
		csum_apply_udp(p->l4sum, x->l4);
	else
		csum_apply(p->l4sum, x->l4);
}

/* Pool of a subscriber source address, or -1. */
static __always_inline int nat_sub_pool(__be32 addr)
{
	struct cgnat_sub_prefix k = { .prefixlen = 32, .addr = addr };
	__u32 *pool = bpf_map_lookup_elem(&cgnat_sub_prefixes, &k);

	return pool ? (int)*pool : -1;
}

static __always_inline int nat_is_pool_addr(__be32 addr)
{
	return bpf_map_lookup_elem(&cgnat_addr_idx, &addr) != 0;
}

static __always_inline void nat_key(struct cgnat_sess_key *k, __u8 proto,
				    __be32 int_addr, __be16 int_port,
				    __be32 rem_addr, __be16 rem_port)
{
	k->int_addr = int_addr;
	k->rem_addr = rem_addr;
	k->int_port = int_port;
	k->rem_port = proto == IPPROTO_ICMP ? 0 : rem_port;
	k->proto = proto;
	k->kind = CGNAT_SK_FLOW;
	k->pad[0] = 0;
	k->pad[1] = 0;
}

static __always_inline __u32 nat_pidx(__u8 proto)
{
	return proto == IPPROTO_TCP ? CGNAT_P_TCP :
	       proto == IPPROTO_UDP ? CGNAT_P_UDP : CGNAT_P_ICMP;
}

static __always_inline int nat_table_full(__u32 table, __be32 sub,
					  __u64 now,
					  const struct cgnat_cfg *cfg)
{
	evt_limited(EVT_TABLE_FULL, sub, 0, table, now, cfg);
	return -REASON_TABLE_FULL;
}

/* The subscriber slot of 'addr', created on first use. */
static __always_inline int nat_sub_get(__be32 addr, __u32 pool, __u64 now,
				       const struct cgnat_cfg *cfg,
				       struct cgnat_sub **out, __u32 *idx)
{
	__u32 *pi = bpf_map_lookup_elem(&cgnat_sub_idx, &addr);
	struct cgnat_sub *sub;
	__u32 v;

	if (pi) {
		*idx = *pi;
		*out = bpf_map_lookup_elem(&cgnat_subs, idx);
		return *out ? 0 : -REASON_CONFLICT;
	}
	if (bpf_map_pop_elem(&cgnat_sub_free, &v))
		return nat_table_full(CGNAT_TBL_SUBSCRIBERS, addr, now, cfg);
	sub = bpf_map_lookup_elem(&cgnat_subs, &v);
	if (!sub)
		return -REASON_CONFLICT;
	/* The allocator hands out only zeroed slots; fill before publish. */
	sub->addr = addr;
	sub->pool = pool;
	if (bpf_map_update_elem(&cgnat_sub_idx, &addr, &v, BPF_NOEXIST)) {
		/* Another CPU published this subscriber first. */
		sub->addr = 0;
		bpf_map_push_elem(&cgnat_sub_free, &v, 0);
		pi = bpf_map_lookup_elem(&cgnat_sub_idx, &addr);
		if (!pi)
			return -REASON_CONFLICT;
		v = *pi;
		sub = bpf_map_lookup_elem(&cgnat_subs, &v);
		if (!sub)
			return -REASON_CONFLICT;
	} else {
		__u64 *tat = bpf_map_lookup_elem(&cgnat_sub_flows, &v);

		if (tat)	/* a reused slot: a full bucket */
			*tat = 0;
		stat_inc(STAT_NEW_SUBSCRIBER);
	}
	*idx = v;
	*out = sub;
	return 0;
}

/* Whether subscriber 'idx' may open one more flow now under
 * limits.new_flows_per_subscriber: a generic cell rate (cgnat_abi.h),
 * one compare-and-swap on the subscriber's own word, so CPUs meet only
 * on the same subscriber's flows. Checked before the mapping and port
 * work, so a refused flood costs little. Above the rate: an event per
 * subscriber at most every evt_interval_ns, and -REASON_FLOW_RATE.
 */
static __always_inline int nat_sub_flow_ok(struct cgnat_sub *sub, __u32 idx,
					   __u64 now,
					   const struct cgnat_cfg *cfg)
{
	__u32 zero = 0;
	struct cgnat_flow_limit *l =
		bpf_map_lookup_elem(&cgnat_flow_limit, &zero);
	__u64 *tat, t, base;
	int i;

	if (!l || !l->interval_ns)
		return 0;
	tat = bpf_map_lookup_elem(&cgnat_sub_flows, &idx);
	if (!tat)
		return 0;
	for (i = 0; i < 4; i++) {
		t = *tat;
		base = t > now ? t : now;
		/* Further ahead than this limit can put it: a debt run up
		 * under a slower one before a reload, forgiven down to a
		 * spent burst, so a new limit holds at once. */
		if (base > now + l->tau_ns + l->interval_ns)
			base = now + l->tau_ns;
		if (base > now + l->tau_ns)
			break;
		if (__sync_val_compare_and_swap(tat, t, base + l->interval_ns) ==
		    t)
			return 0;
	}
	if (evt_sub_allowed(sub, now, cfg))
		evt_emit(EVT_QUOTA_FLOWS, sub->addr, 0, 0, sub->pool, l->rate,
			 0, 0);
	return -REASON_FLOW_RATE;
}

/* Counts one more session for the subscriber, within its limit. */
static __always_inline int nat_sub_charge(struct cgnat_sub *sub, __u64 now,
					  const struct cgnat_cfg *cfg)
{
	__u32 n = __sync_fetch_and_add(&sub->sessions, 1);

	if (!cfg->sess_per_sub || n < cfg->sess_per_sub)
		return 0;
	__sync_fetch_and_sub(&sub->sessions, 1);
	if (evt_sub_allowed(sub, now, cfg))
		evt_emit(EVT_QUOTA_SESSIONS, sub->addr, 0, 0, sub->pool,
			 cfg->sess_per_sub, 0, 0);
	return -REASON_SESS_LIMIT;
}

/* Raises the bound of OUT half 'm' to cover a session expiring at 'exp'
 * (cgnat_abi.h). Compare-and-swap: two CPUs never lower it.
 */
static __always_inline void nat_map_bound(struct cgnat_map *m, __u64 exp)
{
	__u64 b = CGNAT_MAP_BOUND(exp), old;
	int i;

	for (i = 0; i < 4; i++) {
		old = m->expires_ns;
		if (old >= b ||
		    __sync_val_compare_and_swap(&m->expires_ns, old, b) == old)
			return;
	}
}

/* A new session expiring at 'exp' is about to use mapping 'm' (its OUT
 * half): mark it in use and cover the session with its bound, then make
 * sure nobody has condemned it. The exchange is a full barrier and so
 * are the condemners' compare-and-swaps (the sweep's, nat_map_reclaim's,
 * which look at the mark or the bound after theirs): either they see
 * this and keep the mapping, or this sees DEAD and backs off.
 */
static __always_inline int nat_map_use(struct cgnat_map *m,
				       struct cgnat_map *out, __u64 exp)
{
	__sync_lock_test_and_set(&m->epoch, CGNAT_EPOCH_IN_USE);
	nat_map_bound(m, exp);
	if (__sync_fetch_and_add(&m->state, 0) != CGNAT_MAP_LIVE)
		return -REASON_MAP_DYING;
	if (out)
		*out = *m;
	return 0;
}

/* An inbound packet adds a session expiring at 'exp' to the mapping of an
 * internal endpoint. A mapping past its bound is absent: no packet may
 * bring it back before the sweep or a reclaim takes it.
 */
static __always_inline int nat_map_mark(__u8 proto, __be32 addr, __be16 port,
					__u64 now, __u64 exp)
{
	struct cgnat_map_key ok = { .addr = addr, .port = port,
				    .proto = proto, .dir = CGNAT_DIR_OUT };
	struct cgnat_map *m = bpf_map_lookup_elem(&cgnat_mappings, &ok);

	if (!m || !cgnat_map_live(m, now))
		return -REASON_UNSOLICITED;
	return nat_map_use(m, 0, exp);
}

/* A session's expiry moved from 'old' to 'exp': when that leaves the
 * bound slot its mapping covers, raise the mapping's bound. One lookup
 * per slot (4.3-34 s, cgnat_abi.h) per session, not one per refresh.
 */
static __noinline void nat_map_cover(__u32 proto, __be32 addr, __u32 port,
				     __u64 old, __u64 exp)
{
	struct cgnat_map_key ok = { .addr = addr, .port = port,
				    .proto = proto, .dir = CGNAT_DIR_OUT };
	struct cgnat_map *m;

	if (CGNAT_MAP_BOUND(exp) <= CGNAT_MAP_BOUND(old))
		return;
	m = bpf_map_lookup_elem(&cgnat_mappings, &ok);
	if (m)
		nat_map_bound(m, exp);
}

/* Condemns and deletes the mapping of internal endpoint (addr, port) if
 * it is past its bound (no session can be live on it): what the sweep
 * would do later, done now by a new flow that needs the port or the
 * endpoint. Compare-and-swap to DEAD, then a second look at the bound (a
 * packet may have just added a session: nat_map_use); then both halves,
 * the block's last use (the bound) and the port bit. Returns 1 when it
 * deleted the mapping. Scalars only: a global function, verified once.
 */
__noinline int nat_map_reclaim(__u32 addr, __u32 port, __u32 proto, __u64 now)
{
	struct cgnat_map_key ok = { .addr = addr, .port = port,
				    .proto = proto, .dir = CGNAT_DIR_OUT };
	struct cgnat_map_key ik = { .proto = proto, .dir = CGNAT_DIR_IN };
	struct cgnat_map *m = bpf_map_lookup_elem(&cgnat_mappings, &ok);
	struct pba_port pp;
	__u32 *ai;
	__u64 end;

	if (!m || cgnat_map_live(m, now))
		return 0;
	if (__sync_val_compare_and_swap(&m->state, CGNAT_MAP_LIVE,
					CGNAT_MAP_DEAD) != CGNAT_MAP_LIVE)
		return 0;	/* the sweep has it */
	end = __sync_fetch_and_add(&m->expires_ns, 0);
	if (end > now || cgnat_map_pcp_live(m, now)) {
		m->state = CGNAT_MAP_LIVE;
		return 0;
	}
	end = cgnat_map_end(m);
	ik.addr = m->addr;
	ik.port = m->port;
	ai = bpf_map_lookup_elem(&cgnat_addr_idx, &ik.addr);
	bpf_map_delete_elem(&cgnat_map_in, &ik);
	if (ai) {
		pp.addr_idx = *ai;
		pp.port = bpf_ntohs(ik.port);
		pba_stamp_use(pp.addr_idx, pp.port, end);
		pba_put_port(&pp, nat_pidx(proto));
	}
	bpf_map_delete_elem(&cgnat_mappings, &ok);
	stat_inc(STAT_MAP_RECLAIMED);
	return 1;
}

/* Inserts both halves of a new mapping; the first is removed if the
 * second fails. -EEXIST on the outbound half means another CPU mapped the
 * same internal endpoint: its mapping is returned instead.
 */
static __always_inline int nat_map_insert(const struct cgnat_map_key *ok,
					  struct cgnat_map *ov,
					  const struct pba_port *pp,
					  __u32 pidx, __u64 now,
					  const struct cgnat_cfg *cfg)
{
	struct cgnat_map_key ik = { .addr = ov->addr, .port = ov->port,
				    .proto = ok->proto, .dir = CGNAT_DIR_IN };
	struct cgnat_map_in iv = { .addr = ok->addr, .port = ok->port,
				   .sub_idx = ov->sub_idx };
	struct cgnat_map *m;
	long rc;

	rc = bpf_map_update_elem(&cgnat_map_in, &ik, &iv, BPF_NOEXIST);
	if (rc) {
		pba_put_port(pp, pidx);
		return rc == -E2BIG ? nat_table_full(CGNAT_TBL_MAPPINGS,
						     ok->addr, now, cfg) :
				      -REASON_CONFLICT;
	}
	rc = bpf_map_update_elem(&cgnat_mappings, ok, ov, BPF_NOEXIST);
	if (!rc) {
		stat_inc(STAT_NEW_MAPPING);
		return 0;
	}
	bpf_map_delete_elem(&cgnat_map_in, &ik);
	pba_put_port(pp, pidx);
	if (rc != -EEXIST)
		return nat_table_full(CGNAT_TBL_MAPPINGS, ok->addr, now, cfg);
	m = bpf_map_lookup_elem(&cgnat_mappings, ok);
	if (!m)
		return -REASON_CONFLICT;
	return nat_map_use(m, ov, ov->expires_ns);
}

/* After a look found the held blocks full and the quota refused a new
 * one, the subscriber's next new flows of that protocol are refused for
 * this long without looking again: a subscriber at its quota sending new
 * flows would otherwise pay a look at every held block on each (a global
 * call, a random word and a map lookup a block: ~1.3 us at 32 blocks,
 * twice with port parity). A port or a block slot that comes free
 * meanwhile (the sweep, a block released, a reload raising max_blocks)
 * waits at most this long; nothing is freed or taken early.
 */
#define NAT_QUOTA_HOLD_NS 10000000ull

/* A port from a PBA subscriber's blocks; when they look full, expired
 * mappings there that the sweep has not reached yet are reclaimed before
 * a new block is taken (or the quota refuses). Called here, not inside
 * pba_alloc: the reclaim's frames stay off the allocator's call chain.
 * The held blocks are looked at once when nothing was reclaimed: a
 * subscriber at its quota pays one look per refused flow, not two, and
 * none for NAT_QUOTA_HOLD_NS after a look the quota refused. The hold
 * is read only when the last slot below max_blocks is taken (growth
 * takes the first empty slot, so a subscriber at its quota almost
 * always has it taken): the others do not pay its cold line at large
 * subscriber counts. One at its quota without it (drained blocks below
 * it, a lowered max_blocks) only misses the saving: it looks, as
 * before the hold.
 */
static __always_inline __s64 nat_pba_alloc(const struct cgnat_cfg *cfg,
					   const struct cgnat_sub *sub,
					   __u32 sub_idx, __u32 pidx,
					   __u32 sport, __u64 now)
{
	__u32 key = sub_idx * CGNAT_NPROTO + pidx;
	__u64 *hold;
	__s64 r;

	if (sub->block[(cfg->max_blocks - 1) & (CGNAT_MAX_BLOCKS - 1)]) {
		hold = bpf_map_lookup_elem(&cgnat_quota_hold, &key);
		if (hold && *hold > now) {
			stat_inc(STAT_QUOTA_HELD);
			return -REASON_QUOTA;
		}
	}
	r = pba_alloc(sub_idx, pidx, sport, cfg->max_blocks | PBA_HELD_ONLY,
		      now);
	if (r != -REASON_QUOTA)
		return r;
	if (pba_reclaim(sub_idx, pidx, now)) {
		r = pba_alloc(sub_idx, pidx, sport,
			      cfg->max_blocks | PBA_HELD_ONLY, now);
		if (r >= 0)
			return r;
	}
	r = pba_alloc(sub_idx, pidx, sport, cfg->max_blocks | PBA_GROW_ONLY,
		      now);
	if (r == -REASON_QUOTA) {
		/* Looked up again: a pointer kept across the calls above
		 * costs the chain's stack a slot it does not have. */
		hold = bpf_map_lookup_elem(&cgnat_quota_hold, &key);
		if (hold)
			*hold = now + NAT_QUOTA_HOLD_NS;
	}
	return r;
}

/* The external endpoint of session k's internal one, mapping it if new,
 * for that session, expiring at 'exp'. A mapping past its bound is
 * absent: it is reclaimed and the endpoint mapped afresh. A new one
 * comes back with epoch CGNAT_EPOCH_SOLE.
 */
static __always_inline int nat_mapping(const struct cgnat_cfg *cfg,
				       struct cgnat_sub *sub, __u32 sub_idx,
				       const struct cgnat_sess_key *k,
				       __u64 now, __u64 exp,
				       struct cgnat_map *out)
{
	__u8 proto = k->proto;
	__be32 addr = k->int_addr;
	__be16 port = k->int_port;
	struct cgnat_map_key ok = { .addr = addr, .port = port,
				    .proto = proto, .dir = CGNAT_DIR_OUT };
	struct cgnat_map *m = bpf_map_lookup_elem(&cgnat_mappings, &ok);
	__u32 pidx = nat_pidx(proto);
	struct pba_port pp;
	struct cgnat_addr *a;
	__s64 r;

	if (m && (cgnat_map_live(m, now) ||
		  !nat_map_reclaim(addr, port, proto, now)))
		return nat_map_use(m, out, exp);
	if (det_pool(sub->pool))
		r = det_alloc(sub_idx, pidx, bpf_ntohs(port), now);
	else
		r = nat_pba_alloc(cfg, sub, sub_idx, pidx, bpf_ntohs(port),
				  now);
	if (r < 0)
		return r;
	pba_port_of(r, cfg->blocks_per_addr, &pp);
	a = bpf_map_lookup_elem(&cgnat_addrs, &pp.addr_idx);
	if (!a) {
		pba_put_port(&pp, pidx);
		return -REASON_CONFLICT;
	}
	__builtin_memset(out, 0, sizeof(*out));
	out->addr = a->addr;
	out->port = bpf_htons(pp.port);
	out->sub_idx = sub_idx;
	out->created_ns = now;
	out->expires_ns = CGNAT_MAP_BOUND(exp);
	/* Born with its one session to come: the walk keeps it within its
	 * bound, and only that session's deletion takes it sooner. If the
	 * session does not go in (a full table), that bound, from the
	 * session's first timer, ends it; another CPU's session for the
	 * same endpoint found it in use (nat_map_use).
	 */
	out->epoch = CGNAT_EPOCH_SOLE;
	out->sole_tag = cgnat_sole_tag(k->rem_addr, k->rem_port);
	return nat_map_insert(&ok, out, &pp, pidx, now, cfg);
}

/* Takes back one session charge of the subscriber of 'int_addr'. */
static __always_inline void nat_sub_uncharge(__be32 int_addr)
{
	__u32 *idx = bpf_map_lookup_elem(&cgnat_sub_idx, &int_addr);
	struct cgnat_sub *sub;

	if (!idx)
		return;
	sub = bpf_map_lookup_elem(&cgnat_subs, idx);
	if (sub && sub->sessions)
		__sync_fetch_and_sub(&sub->sessions, 1);
}

/* An expired session of key 'k' stands where a new one goes: it is absent
 * (never translated by), so take it out as the sweep would, charge,
 * reverse entry (after it: rsess.h) and log row. Only the delete that
 * took it accounts for it. Not inlined: its own small frame.
 */
static __noinline void nat_sess_take_expired(const struct cgnat_sess_key *k,
					     __u64 now, __u32 events)
{
	struct cgnat_sess *old = bpf_map_lookup_elem(&cgnat_sessions, k);
	__be32 ext_addr;
	__be16 ext_port;
	__u64 end;
	__u8 flags;

	if (!old || old->expires_ns > now)
		return;
	ext_addr = old->ext_addr;
	ext_port = old->ext_port;
	flags = old->flags;
	end = old->expires_ns;
	if (bpf_map_delete_elem(&cgnat_sessions, k))
		return;		/* the sweep or another CPU took it */
	if (k->kind == CGNAT_SK_FLOW)
		nat_sub_uncharge(k->int_addr);
	if (k->kind == CGNAT_SK_FLOW && k->proto != IPPROTO_ICMP) {
		struct cgnat_rsess_key rk = { .ext_addr = ext_addr,
					      .rem_addr = k->rem_addr,
					      .ext_port = ext_port,
					      .rem_port = k->rem_port,
					      .proto = k->proto };

		bpf_map_delete_elem(&cgnat_rsess, &rk);
	}
	stat_inc(STAT_SESS_REPLACED);
	if (events && k->kind == CGNAT_SK_FLOW)
		evt_sess_at(evt_mono_to_tai(end), EVT_SESS_DELETE, k, ext_addr,
			    ext_port, flags, CGNAT_SESS_END_EXPIRED);
}

/* Inserts a new session expiring at 'exp', built in the per-CPU scratch
 * value, with next hop 'seed' for the outbound direction when given (so
 * it is born routed). An expired one under the same key is replaced,
 * never reused. Returns 0 when inserted (the value is then still in the
 * scratch), 1 when another CPU created a live one first, or a negative
 * reason.
 */
static __always_inline int nat_sess_insert(const struct cgnat_sess_key *k,
					   __be32 ext_addr, __be16 ext_port,
					   __u8 flags,
					   const struct cgnat_nh *seed,
					   __u64 now, __u64 exp,
					   const struct cgnat_cfg *cfg)
{
	/* Built in the per-CPU scratch value, not on the stack: this runs
	 * at the bottom of the deepest call chain (512-byte limit).
	 */
	struct cgnat_scratch *sc = nat_scratch();
	struct cgnat_sess *s;
	long rc;

	if (!sc)
		return -REASON_CONFLICT;
	s = &sc->sess;
	__builtin_memset(s, 0, sizeof(*s));
	s->ext_addr = ext_addr;
	s->ext_port = ext_port;
	s->flags = flags;
	s->expires_ns = exp;
	if (seed && seed->ifindex)
		s->nh[CGNAT_DIR_OUT] = *seed;
	rc = bpf_map_update_elem(&cgnat_sessions, k, s, BPF_NOEXIST);
	if (rc == -EEXIST) {
		nat_sess_take_expired(k, now, cfg->sess_events);
		rc = bpf_map_update_elem(&cgnat_sessions, k, s, BPF_NOEXIST);
	}
	if (rc == -EEXIST)
		return 1;
	if (rc)
		return nat_table_full(CGNAT_TBL_SESSIONS, k->int_addr, now, cfg);
	stat_inc(STAT_NEW_SESSION);
	due_note(k, exp);
	if (cfg->sess_events)
		evt_sess(EVT_SESS_CREATE, k, ext_addr, ext_port, flags, 0);
	return 0;
}

/* Creates a session expiring at 'exp' (or finds the live one another CPU
 * just created: *err is then 1, so the caller takes back its session
 * charge).
 */
static __always_inline struct cgnat_sess *
nat_sess_create(const struct cgnat_sess_key *k, __be32 ext_addr,
		__be16 ext_port, __u8 flags, __u64 now, __u64 exp,
		const struct cgnat_cfg *cfg, int *err)
{
	struct cgnat_sess *s;
	int rc = nat_sess_insert(k, ext_addr, ext_port, flags, 0, now, exp,
				 cfg);

	*err = rc;
	if (rc < 0)
		return 0;
	s = bpf_map_lookup_elem(&cgnat_sessions, k);
	if (s && s->expires_ns <= now) {
		*err = -REASON_CONFLICT;	/* expired in a race: next packet */
		return 0;
	}
	return s;
}

/* Creates an inbound-made session expiring at 'exp', charged to
 * subscriber 'sub_idx'.
 */
static __always_inline struct cgnat_sess *
nat_sess_charged(const struct cgnat_sess_key *k, __be32 ext_addr,
		 __be16 ext_port, __u8 flags, __u32 sub_idx, __u64 now,
		 __u64 exp, const struct cgnat_cfg *cfg, int *err)
{
	struct cgnat_sub *sub = bpf_map_lookup_elem(&cgnat_subs, &sub_idx);
	struct cgnat_sess *s;

	if (!sub) {
		*err = -REASON_CONFLICT;
		return 0;
	}
	*err = nat_sub_charge(sub, now, cfg);
	if (*err)
		return 0;
	s = nat_sess_create(k, ext_addr, ext_port, flags, now, exp, cfg, err);
	if (!s || *err == 1)
		__sync_fetch_and_sub(&sub->sessions, 1);
	if (s)
		*err = 0;
	return s;
}

/* The expiry of a session opened now under key 'k'. */
static __always_inline __u64 nat_new_expiry(const struct cgnat_cfg *cfg,
					    const struct cgnat_sess_key *k,
					    __u64 now)
{
	return ct_expiry(cfg, k->proto, 0, k->rem_port, now);
}

/* Address-dependent filtering: the permit entry of (mapping, remote
 * address) lives as long as the newest flow that refreshed it.
 */
static __always_inline void nat_permit_touch(const struct cgnat_sess_key *k,
					     __u64 expires)
{
	struct cgnat_sess_key pk = *k;
	struct cgnat_sess *ps, s = {};

	pk.rem_port = 0;
	pk.kind = CGNAT_SK_PERMIT;
	ps = bpf_map_lookup_elem(&cgnat_sessions, &pk);
	if (ps) {
		if (ps->expires_ns < expires)
			ps->expires_ns = expires;
		return;
	}
	s.expires_ns = expires;
	if (!bpf_map_update_elem(&cgnat_sessions, &pk, &s, BPF_NOEXIST))
		due_note(&pk, expires);
}

/* May a packet from 'rem' reach the internal endpoint of 'k' without a
 * session of its own? 'k' is the would-be session key.
 */
static __always_inline int nat_filter_admits(const struct cgnat_cfg *cfg,
					     const struct cgnat_sess_key *k,
					     __u64 now)
{
	struct cgnat_sess_key pk = *k;
	struct cgnat_sess *ps;

	if (cfg->filtering == CGNAT_FILTER_EIF)
		return 1;
	if (cfg->filtering != CGNAT_FILTER_ADF || k->proto == IPPROTO_ICMP)
		return 0;
	pk.rem_port = 0;
	pk.kind = CGNAT_SK_PERMIT;
	ps = bpf_map_lookup_elem(&cgnat_sessions, &pk);
	return ps && ps->expires_ns > now;
}

#endif /* CGNAT_NAT_H */
