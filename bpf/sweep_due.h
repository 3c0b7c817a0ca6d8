/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sweep_due.h - the sweep's use of the sessions' due index (sweep_due.c),
 * for sweep_run.c.
 */
#ifndef CGNAT_SWEEP_DUE_H
#define CGNAT_SWEEP_DUE_H

#include "bpf/loader.h"

/* The index's buckets; 0 without it (its mapping failed, a bench). */
__u64 sweep_due_buckets(const struct dp *dp);
/* Session 'k' expiring at 'exp' into the index, as a drained log record
 * goes: 0, or -1 when its bucket has no room.
 */
int sweep_due_put(struct dp *dp, const struct cgnat_sess_key *k, __u64 exp);
/* A full read's live sessions into the index. */
void sweep_due_index(struct dp *dp, const struct cgnat_sess_key *k,
		     const struct cgnat_sess *v, __u32 n);
/* One step of a pass reading the index; 1 at its end, or -errno. */
int sweep_due_step(struct dp *dp);
/* cgnat_sweep_judge on the first n entries of the list (sweep_run.c). */
int sweep_judge(struct dp *dp, __u32 op, __u32 n);

#endif /* CGNAT_SWEEP_DUE_H */
