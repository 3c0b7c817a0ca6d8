/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sweep.h - expiry of sessions, mappings and reverse sessions, run from
 * userspace as a SEC("syscall") program (BPF_PROG_TEST_RUN). It walks the
 * tables inside the kernel with bpf_for_each_map_elem, so nothing is
 * copied out, and translation on other CPUs goes on under RCU meanwhile.
 *
 * Pass 1 deletes expired sessions (and ADF permits) and marks the mapping
 * of every live session with this sweep's epoch. Pass 2 deletes every
 * mapping that no live session marked and that existed before the sweep
 * began: compare-and-swap to DEAD, then a second look at the mark (a
 * packet may have just added a session: see nat_map_use), then both
 * halves and the port bit. Ports so freed make their block empty, which
 * the allocator turns into a release after the idle time. Pass 1 deletes
 * the reverse entry of every session it deletes; pass 3 deletes every
 * reverse entry that is expired or whose session is gone, changed or
 * shorter-lived (the backstop of rsess.h's invariant).
 */
#ifndef CGNAT_SWEEP_H
#define CGNAT_SWEEP_H

#include "rsess.h"

struct sweep_ctx {
	__u64 now;
	__u64 start;
	__u32 epoch;
	__u32 pad;
	struct cgnat_sweep_args a;
};

static __always_inline void sweep_uncharge(__be32 int_addr)
{
	__u32 *idx = bpf_map_lookup_elem(&cgnat_sub_idx, &int_addr);
	struct cgnat_sub *sub;

	if (!idx)
		return;
	sub = bpf_map_lookup_elem(&cgnat_subs, idx);
	if (sub && sub->sessions)
		__sync_fetch_and_sub(&sub->sessions, 1);
}

static long sweep_session(struct bpf_map *map, struct cgnat_sess_key *k,
			  struct cgnat_sess *s, struct sweep_ctx *c)
{
	struct cgnat_map_key mk = { .addr = k->int_addr, .port = k->int_port,
				    .proto = k->proto, .dir = CGNAT_DIR_OUT };
	struct cgnat_map *m;

	(void)map;
	c->a.sessions_seen++;
	if (s->expires_ns > c->now) {
		if (k->kind != CGNAT_SK_FLOW)
			return 0;
		m = bpf_map_lookup_elem(&cgnat_mappings, &mk);
		if (m && m->epoch != CGNAT_EPOCH_IN_USE)
			m->epoch = c->epoch;
		return 0;
	}
	if (k->kind == CGNAT_SK_FLOW)
		sweep_uncharge(k->int_addr);
	bpf_map_delete_elem(&cgnat_sessions, k);
	/* After the session: see rsess.h. */
	if (k->kind == CGNAT_SK_FLOW && k->proto != IPPROTO_ICMP)
		rsess_forget(k->proto, s->ext_addr, s->ext_port, k->rem_addr,
			     k->rem_port);
	c->a.sessions_expired++;
	return 0;
}

static __always_inline void sweep_free_port(const struct cgnat_map *m,
					    __u8 proto)
{
	__u32 *ai = bpf_map_lookup_elem(&cgnat_addr_idx, &m->addr);
	struct pba_port pp;

	if (!ai)
		return;
	pp.addr_idx = *ai;
	pp.port = bpf_ntohs(m->port);
	pba_put_port(&pp, nat_pidx(proto));
}

static long sweep_mapping(struct bpf_map *map, struct cgnat_map_key *k,
			  struct cgnat_map *m, struct sweep_ctx *c)
{
	struct cgnat_map_key ik = { .addr = m->addr, .port = m->port,
				    .proto = k->proto, .dir = CGNAT_DIR_IN };
	__u32 mark;

	(void)map;
	if (k->dir != CGNAT_DIR_OUT)
		return 0;
	c->a.mappings_seen++;
	if (m->epoch == c->epoch || m->created_ns >= c->start)
		return 0;
	if (m->epoch == CGNAT_EPOCH_IN_USE) {
		/* A session was added since the last sweep: seen now, and
		 * from the next sweep on its session keeps it.
		 */
		__sync_val_compare_and_swap(&m->epoch, CGNAT_EPOCH_IN_USE,
					    c->epoch);
		return 0;
	}
	__sync_val_compare_and_swap(&m->state, CGNAT_MAP_LIVE, CGNAT_MAP_DEAD);
	mark = __sync_fetch_and_add(&m->epoch, 0);
	if (mark == c->epoch || mark == CGNAT_EPOCH_IN_USE) {
		m->state = CGNAT_MAP_LIVE;
		c->a.mappings_kept++;
		return 0;
	}
	bpf_map_delete_elem(&cgnat_mappings, &ik);
	sweep_free_port(m, k->proto);
	bpf_map_delete_elem(&cgnat_mappings, k);
	c->a.mappings_expired++;
	return 0;
}

static long sweep_rsess(struct bpf_map *map, struct cgnat_rsess_key *k,
			struct cgnat_rsess *r, struct sweep_ctx *c)
{
	struct cgnat_sess_key sk;
	struct cgnat_sess *s;

	(void)map;
	c->a.rsess_seen++;
	if (r->expires_ns > c->now) {
		nat_key(&sk, k->proto, r->int_addr, r->int_port, k->rem_addr,
			k->rem_port);
		s = bpf_map_lookup_elem(&cgnat_sessions, &sk);
		if (s && s->ext_addr == k->ext_addr &&
		    s->ext_port == k->ext_port &&
		    s->expires_ns >= r->expires_ns &&
		    s->tcp_seen == r->tcp_seen)
			return 0;
	}
	bpf_map_delete_elem(&cgnat_rsess, k);
	c->a.rsess_deleted++;
	return 0;
}

SEC("syscall")
int cgnat_sweep(struct cgnat_sweep_args *args)
{
	__u32 zero = 0, *epoch = bpf_map_lookup_elem(&cgnat_epoch, &zero);
	struct sweep_ctx c = {};

	if (!epoch)
		return -1;
	c.start = bpf_ktime_get_ns();	/* new mappings are born IN_USE */
	c.now = args->now_ns ? args->now_ns : c.start;
	c.epoch = __sync_add_and_fetch(epoch, 1);
	if (c.epoch == CGNAT_EPOCH_IN_USE)	/* skip the sentinel */
		c.epoch = __sync_add_and_fetch(epoch, 1);
	bpf_for_each_map_elem(&cgnat_sessions, sweep_session, &c, 0);
	bpf_for_each_map_elem(&cgnat_mappings, sweep_mapping, &c, 0);
	bpf_for_each_map_elem(&cgnat_rsess, sweep_rsess, &c, 0);
	args->sessions_seen = c.a.sessions_seen;
	args->sessions_expired = c.a.sessions_expired;
	args->mappings_seen = c.a.mappings_seen;
	args->mappings_expired = c.a.mappings_expired;
	args->mappings_kept = c.a.mappings_kept;
	args->rsess_seen = c.a.rsess_seen;
	args->rsess_deleted = c.a.rsess_deleted;
	return 0;
}

#endif /* CGNAT_SWEEP_H */
