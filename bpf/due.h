/* SPDX-License-Identifier: GPL-2.0 */
/*
 * due.h - the data plane's writes to the sessions' due index (struct
 * cgnat_due, map cgnat_sess_due): a session made, or one whose timer a
 * TCP state change shortened, names its key and expiry in its bucket, so
 * the sweep's passes between full reads find it without reading every
 * session (sweep.h "due index"). Lengthening a timer writes nothing: the
 * due stays at or before the expiry, and the sweep raises it when it
 * finds the session live. Unlocked: a torn slot costs a wasted lookup or
 * a session left to the next full read, never a wrong expiry.
 */
#ifndef CGNAT_DUE_H
#define CGNAT_DUE_H

#include "maps.h"

/* Not inlined: its own small frame, beside the deepest call chain's. */
static __noinline void due_note(const struct cgnat_sess_key *k,
				__u64 expires_ns)
{
	__u32 i = cgnat_due_bucket(k, due_buckets);
	struct cgnat_due *b = bpf_map_lookup_elem(&cgnat_sess_due, &i);
	struct cgnat_due_slot *s;

	if (!b)
		return;
	s = cgnat_due_pick(b, k, bpf_ktime_get_coarse_ns() >> CGNAT_DUE_SHIFT);
	if (!s)
		return;
	s->k = *k;
	s->due = expires_ns >> CGNAT_DUE_SHIFT;
}

/* After ct_update: a timer shortened from 'was' (a FIN or RST). */
static __always_inline void due_shortened(const struct cgnat_sess_key *k,
					  __u64 was, __u64 expires_ns)
{
	if (expires_ns < was)
		due_note(k, expires_ns);
}

#endif /* CGNAT_DUE_H */
