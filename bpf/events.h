/* SPDX-License-Identifier: GPL-2.0 */
/*
 * events.h - ring-buffer events. Never one per packet: block events come
 * once per block, the others are rate-limited per CPU and type (and quota
 * events per subscriber). Each CPU writes its own ring (maps.h). A full
 * ring, or a CPU without one, is counted (STAT_EVT_LOST) so that
 * userspace knows to reconcile from the maps.
 */
#ifndef CGNAT_EVENTS_H
#define CGNAT_EVENTS_H

#include "maps.h"

/* Room for one event in this CPU's ring, or NULL (counted as lost). */
static __always_inline void *evt_reserve(void)
{
	__u32 cpu = bpf_get_smp_processor_id();
	void *ring = bpf_map_lookup_elem(&cgnat_events, &cpu);
	void *e = ring ? bpf_ringbuf_reserve(ring, sizeof(struct cgnat_event),
					     0) : NULL;

	if (!e)
		stat_inc(STAT_EVT_LOST);
	return e;
}

/* 'tai_ns' is the event's instant; a block event passes the time it wrote
 * into the block, so that the log and the block table (what cgnatctl and
 * the restart reconcile read) name the same millisecond.
 */
static __always_inline void evt_emit_at(__u64 tai_ns, __u32 type, __be32 sub,
					__be32 ext, __u32 block, __u32 pool,
					__u32 value, __u16 first, __u16 last)
{
	struct cgnat_event *e = evt_reserve();

	if (!e)
		return;
	e->time_tai_ns = tai_ns;
	e->type = type;
	e->sub_addr = sub;
	e->ext_addr = ext;
	e->port_first = first;
	e->port_last = last;
	e->block = block;
	e->pool = pool;
	e->value = value;
	e->pad = 0;
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void evt_emit(__u32 type, __be32 sub, __be32 ext,
				     __u32 block, __u32 pool, __u32 value,
				     __u16 first, __u16 last)
{
	evt_emit_at(bpf_ktime_get_tai_ns(), type, sub, ext, block, pool,
		    value, first, last);
}

/* A session was made or removed (log.session_events). Not rate-limited:
 * each is one log row, and a full ring loses it, counted in
 * STAT_EVT_LOST like any other event and in STAT_EVT_SESS_LOST. Callers
 * test cfg->sess_events first, so with the key off this costs one branch
 * per new session.
 */
/* A CLOCK_MONOTONIC time (an expiry) as CLOCK_TAI, for the log. */
static __always_inline __u64 evt_mono_to_tai(__u64 mono_ns)
{
	return mono_ns + (bpf_ktime_get_tai_ns() - bpf_ktime_get_ns());
}

static __always_inline void evt_sess_at(__u64 tai_ns, __u32 type,
					const struct cgnat_sess_key *k,
					__be32 ext_addr, __be16 ext_port,
					__u8 flags, __u32 reason)
{
	struct cgnat_sess_event *e = evt_reserve();

	if (!e) {
		stat_inc(STAT_EVT_SESS_LOST);
		return;
	}
	e->time_tai_ns = tai_ns;
	e->type = type;
	e->int_addr = k->int_addr;
	e->ext_addr = ext_addr;
	e->rem_addr = k->rem_addr;
	e->int_port = k->int_port;
	e->ext_port = ext_port;
	e->rem_port = k->rem_port;
	e->proto = k->proto;
	e->flags = flags & CGNAT_SF_LOGGED;
	e->reason = reason;
	e->pad = 0;
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void evt_sess(__u32 type,
				     const struct cgnat_sess_key *k,
				     __be32 ext_addr, __be16 ext_port,
				     __u8 flags, __u32 reason)
{
	evt_sess_at(bpf_ktime_get_tai_ns(), type, k, ext_addr, ext_port,
		    flags, reason);
}

/* True when an event of this type may be sent now (per-CPU limit). */
static __always_inline int evt_allowed(__u32 type, __u64 now,
				       const struct cgnat_cfg *cfg)
{
	__u32 key = type & 7;
	__u64 *last = bpf_map_lookup_elem(&cgnat_evt_last, &key);

	if (!last || (*last && now - *last < cfg->evt_interval_ns))
		return 0;
	*last = now;
	return 1;
}

/* A subscriber's own quota events (blocks, sessions, new-flow rate): at
 * most one every evt_interval_ns, stamped in its slot. Returns 1 when
 * one may be raised now.
 */
static __always_inline int evt_sub_allowed(struct cgnat_sub *sub, __u64 now,
					   const struct cgnat_cfg *cfg)
{
	if (now - sub->evt_ns < cfg->evt_interval_ns)
		return 0;
	sub->evt_ns = now;
	return 1;
}

static __always_inline void evt_limited(__u32 type, __be32 sub, __u32 pool,
					__u32 value, __u64 now,
					const struct cgnat_cfg *cfg)
{
	if (evt_allowed(type, now, cfg))
		evt_emit(type, sub, 0, 0, pool, value, 0, 0);
}

#endif /* CGNAT_EVENTS_H */
