/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sweep.h - expiry of sessions, mappings and reverse sessions, in bounded
 * steps. Userspace (bpf/sweep_run.c) runs cgnat_sweep_begin, which takes
 * a new epoch and counts the tables, then reads each table in batches of
 * at most CGNAT_SWEEP_CHUNK entries, fewer when it is sparse, none when
 * empty (BPF_MAP_LOOKUP_BATCH, resumable) and hands cgnat_sweep_judge
 * the entries that need a decision. The judge looks each one up again and
 * decides on its current value, with the compare-and-swap a hash map
 * allows only here; what the batch read saw only selects candidates. No
 * step holds anything across another, so the owner's loop refills grant
 * slots and logs events between steps however large the tables are,
 * which one in-kernel walk of a million sessions (about a second of one
 * core) did not allow.
 *
 * Pass 1 deletes expired sessions (and ADF permits), with a session that
 * made its mapping the mapping too if no other session ever used it
 * (CGNAT_EPOCH_SOLE, sweep_sole), and, in a pass that walks the mappings
 * (sweep_run.c paces those), marks the mapping of every live TCP session
 * with this sweep's epoch. Pass 2 deletes every
 * mapping that existed before the sweep began and that no live session
 * holds: a TCP one no live session marked (a FIN or RST shortens a TCP
 * timer, so its bound may be far off), any other one past its bound
 * (cgnat_abi.h); compare-and-swap to DEAD, then a second look at the
 * mark and the bound (a packet may have just added a session: see
 * nat_map_use), then both halves, the block's last use and the port
 * bit. Ports so freed make their block empty, which
 * the allocator turns into a release after the idle time. Pass 1 deletes
 * the reverse entry of every session it deletes; pass 3 deletes every
 * reverse entry that is expired or whose session is gone, changed or
 * shorter-lived (the backstop of rsess.h's invariant).
 *
 * A pass that does not walk the mappings needs no marks, so it reads
 * the sessions' due index (cgnat_abi.h, sweep_due.c) instead of the
 * sessions: the judge gets the sessions whose due has come (sweep_due),
 * deletes the expired ones and raises the due of the live ones. The
 * index is lossy; the full reads of the walking passes (every
 * SWEEP_MAP_EVERY-th pass at most) index what it missed.
 *
 * Taking time over it changes none of this: a session made after pass 1
 * read its bucket marks its mapping IN_USE, which pass 2 keeps; a session
 * refreshed after it was read expired is judged live. A batch read may
 * miss an entry that moves meanwhile; it waits for the next sweep.
 */
#ifndef CGNAT_SWEEP_H
#define CGNAT_SWEEP_H

#include "rsess.h"

struct cgnat_sweep_state sweep_state;	/* .bss: see cgnat_abi.h */

/* Weak: on a kernel without it the load still succeeds, and the count is
 * unknown (-1).
 */
extern __s64 bpf_map_sum_elem_count(const struct bpf_map *map) __ksym __weak;

static __always_inline __s64 sweep_entries(void *map)
{
	if (!bpf_map_sum_elem_count)
		return -1;
	return bpf_map_sum_elem_count((const struct bpf_map *)map);
}

/* Marks a live session's mapping with this sweep's epoch. */
static __always_inline void sweep_mark(const struct cgnat_map_key *mk,
				       const struct cgnat_sweep_state *c)
{
	struct cgnat_map *m = bpf_map_lookup_elem(&cgnat_mappings, mk);

	/* Neither sentinel moves: IN_USE goes in the walk, SOLE when its
	 * session goes.
	 */
	if (m && m->epoch < CGNAT_EPOCH_SOLE)
		m->epoch = c->epoch;
}

/* Frees the port of a deleted mapping, its block stamped first with when
 * the mapping ended: its bound (no session of it was live after), or,
 * for one whose sessions closed early (a TCP FIN or RST shortens a timer,
 * never the bound), the time this sweep judges, or for a sole mapping
 * its session's end.
 */
static __always_inline void sweep_free_port(const struct cgnat_map *m,
					    __u8 proto, __u64 end)
{
	__u32 *ai = bpf_map_lookup_elem(&cgnat_addr_idx, &m->addr);
	struct pba_port pp;

	if (!ai)
		return;
	pp.addr_idx = *ai;
	pp.port = bpf_ntohs(m->port);
	pba_stamp_use(pp.addr_idx, pp.port, end);
	pba_put_port(&pp, nat_pidx(proto));
}

/* Session k (external endpoint ext_addr:ext_port, ended at 'end') made
 * its mapping and has just been deleted. If the mapping is still sole
 * (CGNAT_EPOCH_SOLE) and this session is the one it was made for, no
 * other session ever used it: it goes now, its block stamped with the
 * session's end, instead of waiting for a walk of the mappings.
 * "The one": same external endpoint and remote (sole_tag), and an end
 * later than the mapping's birth by CGNAT_SOLE_MIN_NS: a stale session
 * of an earlier mapping of this endpoint ended before that mapping went
 * (its bound, or a walk that saw it expired), so before this one was
 * made. Then the usual compare-and-swap to DEAD and a second look: a
 * packet adding a session exchanges the epoch first (nat_map_use).
 */
static __always_inline void sweep_sole(const struct cgnat_sess_key *k,
				       __be32 ext_addr, __be16 ext_port,
				       __u64 end, struct cgnat_sweep_state *c)
{
	struct cgnat_map_key mk = { .addr = k->int_addr, .port = k->int_port,
				    .proto = k->proto, .dir = CGNAT_DIR_OUT };
	struct cgnat_map_key ik = { .addr = ext_addr, .port = ext_port,
				    .proto = k->proto, .dir = CGNAT_DIR_IN };
	struct cgnat_map *m = bpf_map_lookup_elem(&cgnat_mappings, &mk);

	if (!m || m->epoch != CGNAT_EPOCH_SOLE || (m->flags & CGNAT_MAP_PCP) ||
	    m->addr != ext_addr || m->port != ext_port ||
	    m->sole_tag != cgnat_sole_tag(k->rem_addr, k->rem_port) ||
	    end < m->created_ns + CGNAT_SOLE_MIN_NS)
		return;
	if (__sync_val_compare_and_swap(&m->state, CGNAT_MAP_LIVE,
					CGNAT_MAP_DEAD) != CGNAT_MAP_LIVE)
		return;
	if (__sync_fetch_and_add(&m->epoch, 0) != CGNAT_EPOCH_SOLE) {
		m->state = CGNAT_MAP_LIVE;
		c->a.mappings_kept++;
		return;
	}
	if (end > c->now)
		end = c->now;
	bpf_map_delete_elem(&cgnat_map_in, &ik);
	sweep_free_port(m, k->proto, end);
	bpf_map_delete_elem(&cgnat_mappings, &mk);
	c->a.mappings_expired++;
	c->a.mappings_sole++;
}

static __always_inline void sweep_session(const struct cgnat_sess_key *k,
					 const struct cgnat_sess *s,
					 struct cgnat_sweep_state *c)
{
	struct cgnat_map_key mk = { .addr = k->int_addr, .port = k->int_port,
				    .proto = k->proto, .dir = CGNAT_DIR_OUT };
	__u32 zero = 0;
	struct cgnat_cfg *cfg;
	__be32 ext_addr;
	__be16 ext_port;
	__u64 end;
	__u8 flags;
	int gone;

	if (s->expires_ns > c->now) {
		if (k->kind == CGNAT_SK_FLOW)
			sweep_mark(&mk, c);
		return;
	}
	/* Read before the delete: a freed element may be reused at once. */
	ext_addr = s->ext_addr;
	ext_port = s->ext_port;
	flags = s->flags;
	end = s->expires_ns;	/* the row ends when its timer ran out */
	if (k->kind == CGNAT_SK_FLOW)
		nat_sub_uncharge(k->int_addr);
	gone = !bpf_map_delete_elem(&cgnat_sessions, k);
	/* After the session: see rsess.h. */
	if (k->kind == CGNAT_SK_FLOW && k->proto != IPPROTO_ICMP)
		rsess_forget(k->proto, ext_addr, ext_port, k->rem_addr,
			     k->rem_port);
	c->a.sessions_expired++;
	/* Only the delete that took it logs the end (two sweeps of one
	 * set of maps, a restart racing the old daemon, may judge it).
	 */
	cfg = bpf_map_lookup_elem(&cgnat_cfg, &zero);
	if (gone && k->kind == CGNAT_SK_FLOW && cfg && cfg->sess_events)
		evt_sess_at(evt_mono_to_tai(end), EVT_SESS_DELETE, k, ext_addr,
			    ext_port, flags, CGNAT_SESS_END_EXPIRED);
	if (gone && k->kind == CGNAT_SK_FLOW && (flags & CGNAT_SF_FIRST))
		sweep_sole(k, ext_addr, ext_port, end, c);
}

static __always_inline void sweep_mapping(const struct cgnat_map_key *k,
					 struct cgnat_map *m,
					 struct cgnat_sweep_state *c)
{
	struct cgnat_map_key ik = { .addr = m->addr, .port = m->port,
				    .proto = k->proto, .dir = CGNAT_DIR_IN };
	__u64 end;
	__u32 mark;
	int by_bound;

	if (m->epoch == c->epoch || m->created_ns >= c->start ||
	    cgnat_map_pcp_live(m, c->now))
		return;	/* in use, new, or held by its PCP lifetime */
	/* Not TCP: no timer of its sessions ever shrinks, so the bound
	 * alone says whether one may be live (no marks needed). Nor for a
	 * sole one: its session is unmarked, and goes with it (sweep_sole)
	 * or, if it went another way, the bound frees it.
	 */
	by_bound = k->proto != IPPROTO_TCP || m->epoch == CGNAT_EPOCH_SOLE;
	if (m->epoch == CGNAT_EPOCH_IN_USE) {
		/* A session was added since the last walk. A TCP mapping:
		 * seen now, and from the next walk on its sessions' marks
		 * keep it. Any other: its bound says now, and a session
		 * added from here on marks it IN_USE again, which the second
		 * look below sees.
		 */
		__sync_val_compare_and_swap(&m->epoch, CGNAT_EPOCH_IN_USE,
					    c->epoch);
		if (!by_bound)
			return;
	}
	if (by_bound && cgnat_map_live(m, c->now))
		return;
	/* Already DEAD: a new flow's reclaim (nat_map_reclaim) has it. */
	if (__sync_val_compare_and_swap(&m->state, CGNAT_MAP_LIVE,
					CGNAT_MAP_DEAD) != CGNAT_MAP_LIVE)
		return;
	mark = __sync_fetch_and_add(&m->epoch, 0);
	if (mark == CGNAT_EPOCH_IN_USE ||
	    (by_bound ? __sync_fetch_and_add(&m->expires_ns, 0) > c->now
		      : mark == c->epoch)) {
		m->state = CGNAT_MAP_LIVE;
		c->a.mappings_kept++;
		return;
	}
	end = cgnat_map_end(m);
	if (end > c->now)
		end = c->now;
	bpf_map_delete_elem(&cgnat_map_in, &ik);
	sweep_free_port(m, k->proto, end);
	bpf_map_delete_elem(&cgnat_mappings, k);
	c->a.mappings_expired++;
}

/* A session the due index named: judged on its current value like one
 * the batch read saw expired. Its slot, if still its own, then says when
 * to look again: at its expiry when it is live (a timer refreshed since
 * the slot was written), never when it is gone. A slot written again
 * meanwhile by a new session of the key has a due in the future, which
 * the emptying leaves alone.
 */
static __always_inline void sweep_due(const struct cgnat_sess_key *k,
				      struct cgnat_sweep_state *c)
{
	__u32 i = cgnat_due_bucket(k, due_buckets), j;
	struct cgnat_due *b = bpf_map_lookup_elem(&cgnat_sess_due, &i);
	struct cgnat_sess *s = bpf_map_lookup_elem(&cgnat_sessions, k);
	__u64 live = 0;

	if (s && s->expires_ns > c->now)
		live = s->expires_ns;
	else if (s)
		sweep_session(k, s, c);
	if (!b)
		return;
	for (j = 0; j < CGNAT_DUE_WAYS; j++) {
		struct cgnat_due_slot *d = &b->s[j];

		if (!cgnat_sess_key_eq(&d->k, k))
			continue;
		if (live)
			d->due = live >> CGNAT_DUE_SHIFT;
		else if (((__u64)d->due << CGNAT_DUE_SHIFT) <= c->now)
			d->k.int_addr = 0;
		return;
	}
}

/* 1 when reverse entry (k, r) may stay: unexpired, and its session is
 * there, maps to the same external endpoint and lives at least as long.
 */
static __always_inline int sweep_rsess_ok(const struct cgnat_rsess_key *k,
					  const struct cgnat_rsess *r,
					  const struct cgnat_sweep_state *c)
{
	struct cgnat_sess_key sk;
	struct cgnat_sess *s;

	if (r->expires_ns <= c->now)
		return 0;
	nat_key(&sk, k->proto, r->int_addr, r->int_port, k->rem_addr,
		k->rem_port);
	s = bpf_map_lookup_elem(&cgnat_sessions, &sk);
	return s && s->ext_addr == k->ext_addr && s->ext_port == k->ext_port &&
	       s->expires_ns >= r->expires_ns && s->tcp_seen == r->tcp_seen;
}

/* 'seen' is the entry as the batch read found it. If that was sound it
 * stays: an entry written since was checked by its writer (rsess_sync).
 * Otherwise the current entry decides.
 */
static __always_inline void sweep_rsess(const struct cgnat_rsess_key *k,
					const struct cgnat_rsess *seen,
					struct cgnat_sweep_state *c)
{
	struct cgnat_rsess *r;

	if (sweep_rsess_ok(k, seen, c))
		return;
	r = bpf_map_lookup_elem(&cgnat_rsess, k);
	if (!r || sweep_rsess_ok(k, r, c))
		return;
	bpf_map_delete_elem(&cgnat_rsess, k);
	c->a.rsess_deleted++;
}

SEC("syscall")
int cgnat_sweep_begin(struct cgnat_sweep_args *args)
{
	__u32 zero = 0, *epoch = bpf_map_lookup_elem(&cgnat_epoch, &zero);
	struct cgnat_sweep_state *c = &sweep_state;

	if (!epoch)
		return -1;
	__builtin_memset(c, 0, sizeof(*c));
	c->start = bpf_ktime_get_ns();	/* mappings born since are kept */
	c->now = args->now_ns ? args->now_ns : c->start;
	c->epoch = __sync_add_and_fetch(epoch, 1);
	if (c->epoch >= CGNAT_EPOCH_SOLE)	/* skip the sentinels */
		c->epoch = __sync_add_and_fetch(epoch, 2);
	/* An empty table is not walked at all, a sparse one in short reads
	 * (sweep_run.c): counted here, at no cost, before the pass reads.
	 */
	c->entries[0] = sweep_entries(&cgnat_sessions);
	c->entries[1] = sweep_entries(&cgnat_mappings);
	c->entries[2] = sweep_entries(&cgnat_rsess);
	return 0;
}

struct cgnat_sweep_list sweep_list;	/* .bss: one judge run's entries */

/* Entry i of the list, judged on the table's current value. */
static long sweep_judge_one(__u32 i, struct cgnat_sweep_chunk *ch)
{
	struct cgnat_sweep_state *c = &sweep_state;
	struct cgnat_rsess_entry e;
	struct cgnat_sess_key sk;
	struct cgnat_map_key mk;
	struct cgnat_sess *s;
	struct cgnat_map *m;

	i &= CGNAT_SWEEP_CHUNK - 1;
	switch (ch->op) {
	case CGNAT_SWEEP_EXPIRE:
		sk = sweep_list.sess[i];
		s = bpf_map_lookup_elem(&cgnat_sessions, &sk);
		if (s)
			sweep_session(&sk, s, c);
		break;
	case CGNAT_SWEEP_MARK:
		mk = sweep_list.map[i];
		sweep_mark(&mk, c);
		break;
	case CGNAT_SWEEP_MAPPING:
		mk = sweep_list.map[i];
		m = bpf_map_lookup_elem(&cgnat_mappings, &mk);
		if (m)
			sweep_mapping(&mk, m, c);
		break;
	case CGNAT_SWEEP_RSESS:
		e = sweep_list.rsess[i];
		sweep_rsess(&e.k, &e.v, c);
		break;
	case CGNAT_SWEEP_DUE:
		sk = sweep_list.sess[i];
		sweep_due(&sk, c);
		break;
	}
	return 0;
}

SEC("syscall")
int cgnat_sweep_judge(struct cgnat_sweep_chunk *ctx)
{
	struct cgnat_sweep_chunk ch = { .op = ctx->op, .n = ctx->n };

	if (ch.n > CGNAT_SWEEP_CHUNK)
		return -1;
	bpf_loop(ch.n, sweep_judge_one, &ch, 0);
	return 0;
}

#endif /* CGNAT_SWEEP_H */
