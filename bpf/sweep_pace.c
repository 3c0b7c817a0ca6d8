// SPDX-License-Identifier: GPL-2.0
/*
 * sweep_pace.c - when the sweep runs and how fast (see loader.h): pure
 * arithmetic on counts and times, driven by daemon/dprun.c and the bench.
 */
#include "bpf/loader.h"

static __u64 clamp(__u64 v, __u64 lo, __u64 hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void sweep_pace_cap(struct sweep_pace *p, __u64 shortest_timer_ms)
{
	p->cap_ms = clamp(2 * shortest_timer_ms, SWEEP_MIN_MS, SWEEP_MAX_MS);
	if (!p->interval_ms || p->interval_ms > p->cap_ms)
		p->interval_ms = p->cap_ms;
}

void sweep_pace_end(struct sweep_pace *p, const struct dp_sweep *sw)
{
	__u64 next = p->cap_ms ? p->cap_ms : SWEEP_MAX_MS;
	__u64 seen = sw->a.sessions_seen, gone = sw->a.sessions_expired;

	p->entries = sw->read;
	if (sw->left_n)
		next = sw->left_ms_sum / sw->left_n;
	/* A quarter or more of what it saw was expired: come sooner. */
	if (seen && gone * 4 >= seen)
		next /= 2;
	/* A small table costs next to nothing to read: keep it prompt. A
	 * large one nearly empty is not small: its walk is its buckets.
	 */
	if (sw->read + sw->buckets / SWEEP_BUCKETS_PER_ENTRY < SWEEP_SMALL &&
	    sw->read_max_ns <= SWEEP_SMALL_READ_NS && next > SWEEP_SMALL_MS)
		next = SWEEP_SMALL_MS;
	p->interval_ms = clamp(next, SWEEP_MIN_MS,
			       p->cap_ms ? p->cap_ms : SWEEP_MAX_MS);
}

__u64 sweep_pace_allowed(const struct sweep_pace *p, __u64 now_ms)
{
	/* Done in three quarters of the interval: the pass's own length
	 * never pushes the next one back.
	 */
	__u64 span = p->interval_ms * 3 / 4, rate;

	if (!span)
		span = 1;
	rate = p->entries * 1000 / span;
	if (rate < SWEEP_RATE_MIN)
		rate = SWEEP_RATE_MIN;
	return (now_ms - p->t0_ms) * rate / 1000 + CGNAT_SWEEP_CHUNK;
}

__u64 sweep_pace_first_ms(const struct sweep_pace *p, __u64 now_ms,
			  int fresh)
{
	if (!fresh)
		return now_ms;
	return now_ms + (p->interval_ms < SWEEP_SMALL_MS ? p->interval_ms :
							  SWEEP_SMALL_MS);
}
