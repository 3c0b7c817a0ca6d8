// SPDX-License-Identifier: GPL-2.0
/*
 * sweep_due.c - the sessions' due index (cgnat_abi.h, sweep.h), cgnatd's
 * side: the data plane's due log moved into the index (dp_due_drain, each
 * loop turn and at each pass's start), a full read's live sessions put
 * in (the index's backstop), and the passes that read the index instead
 * of the sessions (sweep_due_step). Only cgnatd's thread writes the
 * index, here and through the judge it runs (sweep_due in sweep.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "bpf/clock.h"
#include "bpf/sweep_due.h"
#include "bpf/cgnat.skel.h"

#define DUE_BATCH 32	/* records a drain prefetches the buckets of */

__u64 sweep_due_buckets(const struct dp *dp)
{
	return dp->v.due ? bpf_map__max_entries(dp->skel->maps.cgnat_sess_due)
			 : 0;
}

/* The slot for key 'k' in its bucket 'b' ('now' in a due's unit): its
 * own, else an empty one, else one whose due has passed (its session
 * expired, or was refreshed since: the sweep finds that one on its next
 * full read). NULL when all three hold other sessions not yet due.
 */
static struct cgnat_due_slot *due_pick(struct cgnat_due *b,
				      const struct cgnat_sess_key *k,
				      __u32 now)
{
	struct cgnat_due_slot *free = 0;
	int i;

	for (i = 0; i < CGNAT_DUE_WAYS; i++) {
		struct cgnat_due_slot *s = &b->s[i];

		if (cgnat_sess_key_eq(&s->k, k))
			return s;
		if (!s->k.int_addr)
			free = s;
		else if (s->due < now && (!free || free->k.int_addr))
			free = s;
	}
	return free;
}

/* Names session 'k' (expiring at 'exp') in 'b', its bucket: in its own
 * slot unless that already names a due at or before this one, else in
 * an empty or passed one ('now' in a due's unit). 1 when written, 0 when
 * not needed, -1 when the bucket had no room.
 */
static int due_put(struct cgnat_due *b, const struct cgnat_sess_key *k,
		   __u64 exp, __u32 now)
{
	struct cgnat_due_slot *d = due_pick(b, k, now);
	__u32 due = exp >> CGNAT_DUE_SHIFT;

	if (!d)
		return -1;
	if (cgnat_sess_key_eq(&d->k, k) && d->due <= due)
		return 0;
	d->k = *k;
	d->due = due;
	return 1;
}

/* A full read indexes the live sessions it saw that the index does not
 * name, or names later than their expiry: those made by user space (HA,
 * a restart's pins), those whose bucket was full, or whose log record a
 * lapped ring lost.
 */
void sweep_due_index(struct dp *dp, const struct cgnat_sess_key *k,
		     const struct cgnat_sess *v, __u32 n)
{
	__u32 nb = (__u32)sweep_due_buckets(dp), now, i;
	int rc;

	if (!nb)
		return;
	now = dp->sw.st.now >> CGNAT_DUE_SHIFT;
	for (i = 0; i < n; i++) {
		if (v[i].expires_ns <= dp->sw.st.now)
			continue;
		rc = due_put(&dp->v.due[cgnat_due_bucket(&k[i], nb)], &k[i],
			     v[i].expires_ns, now);
		if (rc > 0)
			dp->sw.due_indexed++;
	}
}

/* Up to DUE_BATCH records of one CPU's ring from 'from' (before 'to')
 * into the index: copied first, then checked against the ring's count
 * again (a record the data plane overwrote meanwhile is dropped, as
 * lost), then put, their buckets prefetched so that the misses overlap.
 */
static __u64 drain_batch(struct dp *dp, __u32 cpu, __u64 from, __u64 to)
{
	struct cgnat_due_rec r[DUE_BATCH];
	const struct cgnat_due_rec *ring = dp->v.due_log + (__u64)cpu *
					   CGNAT_DUE_LOG;
	__u32 nb = (__u32)sweep_due_buckets(dp), b[DUE_BATCH], i, n, skip = 0;
	__u32 now = cgnat_clock_ns(CLOCK_MONOTONIC) >> CGNAT_DUE_SHIFT;
	__u64 head;

	n = to - from < DUE_BATCH ? to - from : DUE_BATCH;
	for (i = 0; i < n; i++)
		r[i] = ring[(from + i) & (CGNAT_DUE_LOG - 1)];
	head = __atomic_load_n(&dp->v.due_head[cpu].n, __ATOMIC_ACQUIRE);
	if (head - from > CGNAT_DUE_LOG)	/* lapped while copied */
		skip = head - from - CGNAT_DUE_LOG < n ?
			       head - from - CGNAT_DUE_LOG : n;
	dp->sw.due_lost += skip;
	for (i = skip; i < n; i++) {
		b[i] = cgnat_due_bucket(&r[i].k, nb);
		__builtin_prefetch(&dp->v.due[b[i]], 1);
	}
	for (i = skip; i < n; i++)
		due_put(&dp->v.due[b[i]], &r[i].k, r[i].expires_ns, now);
	dp->sw.due_logged += n - skip;
	return n;
}

int sweep_due_put(struct dp *dp, const struct cgnat_sess_key *k, __u64 exp)
{
	__u32 nb = (__u32)sweep_due_buckets(dp);

	if (!nb)
		return -1;
	return due_put(&dp->v.due[cgnat_due_bucket(k, nb)], k, exp,
		       cgnat_clock_ns(CLOCK_MONOTONIC) >>
			       CGNAT_DUE_SHIFT) < 0 ? -1 : 0;
}

int dp_due_drain(struct dp *dp)
{
	struct dp_sweep *sw = &dp->sw;
	__u32 cpu, ncpu;
	__u64 head, t;

	if (!dp->v.due || !dp->v.due_log || !dp->v.due_head)
		return 0;
	ncpu = bpf_map__max_entries(dp->skel->maps.cgnat_due_head);
	if (!sw->due_tail) {
		sw->due_tail = calloc(ncpu, sizeof(*sw->due_tail));
		if (!sw->due_tail)
			return -ENOMEM;
	}
	for (cpu = 0; cpu < ncpu; cpu++) {
		head = __atomic_load_n(&dp->v.due_head[cpu].n,
				       __ATOMIC_ACQUIRE);
		t = sw->due_tail[cpu];
		if (head - t > CGNAT_DUE_LOG) {	/* lapped since the last */
			sw->due_lost += head - t - CGNAT_DUE_LOG;
			t = head - CGNAT_DUE_LOG;
		}
		while (t < head)
			t += drain_batch(dp, cpu, t, head);
		sw->due_tail[cpu] = head;
	}
	return 0;
}

/* One step of a pass that reads the due index instead of the sessions:
 * SWEEP_DUE_STEP buckets from the saved position, the sessions whose due
 * has come to the judge (sweep_due), at most a list's worth a step.
 * Returns 1 at the index's end.
 */
int sweep_due_step(struct dp *dp)
{
	struct cgnat_sweep_list *l = &dp->skel->bss->sweep_list;
	struct dp_sweep *sw = &dp->sw;
	__u64 n = sweep_due_buckets(dp), end = sw->due_pos + SWEEP_DUE_STEP;
	__u64 t = cgnat_clock_ns(CLOCK_MONOTONIC), from = sw->due_pos, due;
	__u32 m = 0, j;
	int rc;

	if (sw->st.entries[0] == 0)
		sw->due_pos = n;	/* counted empty: nothing to look at */
	if (end > n)
		end = n;
	for (; sw->due_pos < end && m + CGNAT_DUE_WAYS <= CGNAT_SWEEP_CHUNK;
	     sw->due_pos++) {
		const struct cgnat_due *b = &dp->v.due[sw->due_pos];

		for (j = 0; j < CGNAT_DUE_WAYS; j++) {
			const struct cgnat_due_slot *d = &b->s[j];

			if (!d->k.int_addr)
				continue;
			due = (__u64)d->due << CGNAT_DUE_SHIFT;
			sw->read++;	/* the pace counts a session a slot */
			sw->a.sessions_seen++;
			if (due > sw->st.now) {
				sw->left_ms_sum += (due - sw->st.now) / 1000000;
				sw->left_n++;
				continue;
			}
			l->sess[m++] = d->k;
		}
	}
	/* A bucket costs about what an empty one of a batch read does. */
	sw->buckets += sw->due_pos - from;
	sw->due_named += m;
	rc = sweep_judge(dp, CGNAT_SWEEP_DUE, m);
	t = cgnat_clock_ns(CLOCK_MONOTONIC) - t;
	if (t > sw->read_max_ns)
		sw->read_max_ns = t;
	if (rc)
		return rc;
	return sw->due_pos >= n;
}
