/* SPDX-License-Identifier: GPL-2.0 */
/*
 * due.h - the data plane's part of the sessions' due index (cgnat_abi.h):
 * a session made, or one whose timer a TCP state change shortened, is
 * appended to this CPU's due log with its expiry; cgnatd moves the
 * records into the index (bpf/sweep_due.c), so that the sweep's passes
 * between full reads find the session without reading every session
 * (sweep.h). Lengthening a timer logs nothing: the index's due stays at
 * or before the expiry, and the sweep raises it when it finds the
 * session live. The write is sequential in this CPU's ring, so it stays
 * in cache; a direct write to the index (one random bucket) cost a new
 * flow about 400 ns here (docs/scale-expiry.md).
 */
#ifndef CGNAT_DUE_H
#define CGNAT_DUE_H

#include "maps.h"

/* Not inlined: its own small frame, beside the deepest call chain's. */
static __noinline void due_note(const struct cgnat_sess_key *k,
				__u64 expires_ns)
{
	__u32 cpu = bpf_get_smp_processor_id(), i;
	struct cgnat_due_head *h = bpf_map_lookup_elem(&cgnat_due_head, &cpu);
	struct cgnat_due_rec *r;

	if (!h)
		return;
	i = cpu * CGNAT_DUE_LOG + (h->n & (CGNAT_DUE_LOG - 1));
	r = bpf_map_lookup_elem(&cgnat_due_log, &i);
	if (!r)
		return;
	r->k = *k;
	r->expires_ns = expires_ns;
	/* The count after the record (x86 keeps stores in order; the
	 * reader checks the count again after its copy). One writer a CPU
	 * at a time; a test run that a packet interrupts on its CPU may
	 * lose a record, which the next full read makes good.
	 */
	asm volatile("" ::: "memory");
	h->n++;
}

/* After ct_update: a timer shortened from 'was' (a FIN or RST). */
static __always_inline void due_shortened(const struct cgnat_sess_key *k,
					  __u64 was, __u64 expires_ns)
{
	if (expires_ns < was)
		due_note(k, expires_ns);
}

#endif /* CGNAT_DUE_H */
