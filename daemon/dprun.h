/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dprun.h - runs the data plane from userspace: load and attach through
 * the loader, keep the grant slots stocked through the allocator core,
 * and deliver ring-buffer events to a callback, in their order across
 * the CPUs' rings (evorder.h), with their kernel time converted to UTC.
 * cgnatd builds on it.
 */
#ifndef CGNAT_DPRUN_H
#define CGNAT_DPRUN_H

#include "allocator/pb.h"
#include "bpf/loader.h"
#include "daemon/evorder.h"
#include "daemon/fraghold.h"
#include "daemon/nlwatch.h"
#include "daemon/refill.h"
#include "daemon/synpend.h"

struct ring_buffer;

/* An event as userspace sees it, time in UTC milliseconds: the kernel's
 * time for data-plane events, the allocator's for releases, interims and
 * thresholds. Return 0 once the event is durably recorded. For
 * EVT_BLOCK_RELEASED this gates reuse: the block's quarantine starts only
 * after a 0, and a non-zero return makes dprun offer the release again on
 * the next poll, so a block is never granted before its release is
 * logged. By the first offer the pinned block table already shows the
 * release (owner 0, released_tai_ns = the event's time, quarantine end),
 * so a crash before the log write is repaired by reconciliation from the
 * table. Release events carry value = enum cgnat_release_reason.
 */
typedef int (*dprun_event_fn)(void *ctx, const struct cgnat_event *e,
			      __u64 utc_ms);

struct dprun {
	struct dp dp;
	struct pb pb;
	struct pb_views pv;
	struct ring_buffer *rb;	/* cgnat_frag_ring */
	struct ring_buffer **erb; /* one per CPU's event ring */
	__u32 n_erb;
	__u32 ev_left;		/* events the ring being read may still give */
	__u32 ev_first;		/* the ring this round reads first */
	int ev_drained;		/* the last dprun_poll() read every event
				 * ring to its end (no budget cut it) */
	struct evo evo;		/* their order across CPUs' rings */
	struct fraghold fh;	/* early fragments */
	struct nlwatch nl;	/* route/neighbour/link changes */
	int epfd;		/* the ring buffers' epoll fds and nl.fd */
	__u32 nh_gen;		/* next-hop generation last written */
	dprun_event_fn on_event;
	void *ctx;
	__u32 n_pools;
	__u64 sweep_ms;		/* sweep interval now (pace.interval_ms) */
	struct sweep_pace pace;	/* when and how fast (bpf/sweep_pace.c) */
	__u64 sweep_cpu_ns;	/* time in sweep steps since start */
	__u64 sweep_step_max_ns; /* the longest step */
	__u64 udp_short_ns;	/* shortest per-port UDP timer, 0 = none */
	__u64 last_sweep_ms;	/* when the last one began */
	__u64 sweep_hold_ms;	/* no pass before (new maps), 0 = none */
	__u64 sweep_t0;		/* when the one under way began */
	struct cgnat_sweep_args last;	/* counts of the last sweep */
	__u64 last_sweep_ns;	/* from its start to its end */
	__u64 sweeps;		/* sweeps completed since start */
	__u64 due_passes;	/* of them, passes that read the due index */
	/* The block lifecycle's cycle (pb_scan_step), in slices: */
	int scan_on;		/* a cycle is under way */
	__u64 scan_t0_ms;	/* when the last one began */
	__u64 scan_period_ms;	/* least time from one start to the next */
	__u64 scan_cycle_ns;	/* CPU of the one under way */
	__u64 scan_last_ns;	/* CPU of the last whole one */
	__u64 scan_cpu_ns;	/* CPU of all since start */
	__u64 scans;		/* cycles completed since start */
	struct synpend sp;	/* unsolicited SYNs: ICMP 3/3 after 6 s */
	int standby;		/* HA standby: no grants, sweep, lifecycle */
	/* Set by the log owner (evlog) while its unlogged backlog is over
	 * its bound: the unused grants are recalled and no slot is stocked
	 * again until it clears; mappings in held blocks go on. */
	int hold_grants;	/* DPRUN_HOLD_* bits; the caller's value is
				 * kept by dprun_start(): zero it first */
	int grants_held;	/* the recall for the current hold is done */
	/* The allocator (pb, pv's slots) is shared with the refill thread:
	 * pb_lock guards it; the main loop takes it around each allocator
	 * step, never across log writes, sweep steps or I/O. pb.out and
	 * pb.out_n are the main loop's alone (the thread never scans).
	 * grants_on, written under the lock by the main loop, says whether
	 * the thread may stock slots (not while held or standby).
	 */
	pthread_mutex_t pb_lock;
	int grants_on;
	struct refill rf;
};

/* Events read from the rings in one poll round at most, shared evenly
 * by the CPUs' rings: the round's log batch is committed before more are
 * read, so a flood of session events gives commits of a bounded size
 * and the loop its other work, rather than one batch that grows while
 * the rings refill until the journal's cap (EVLOG_BACKLOG_CAP, twice
 * this) drops the rest. Large, since a larger commit writes more events
 * a second; the rings hold what waits (CGNAT_EVT_RING_BYTES).
 */
#define DPRUN_ROUND_EVENTS 131072
/* Session events parked for their block's event at most (evorder.h). */
#define DPRUN_EVO_CAP 65536

#define DPRUN_HOLD_LOG 0x1	/* the log's backlog is over its bound */
#define DPRUN_HOLD_START 0x2	/* start: reconciliation not done yet */

int dprun_start(struct dprun *r, const struct dp_opts *o, __u32 n_pools,
		dprun_event_fn fn, void *ctx);
/* Lifecycle policy; may be called again on reload. */
void dprun_set_policy(struct dprun *r, const struct pb_policy *pol);
/* Waits up to timeout_ms for events, early fragments (which it holds or
 * runs again) and netlink messages; syncs the allocator and refills the
 * grant slots first (the refill thread does too, between turns); bumps
 * the next-hop generation if a route, neighbour, link or address changed
 * (so the data plane looks its next hops up again), delivers the data
 * plane's events, starts a sweep when due or runs up to 2 ms of the
 * steps its pace allows by now (dprun_busy(): a pass is behind its
 * pace), runs the block lifecycle, delivers its events, ages held
 * fragments and answers the unsolicited SYNs now due. dprun_start()
 * bumps the generation once too: what changed while nothing listened is
 * not trusted.
 */
int dprun_poll(struct dprun *r, int timeout_ms);
/* One fd, readable when dprun_poll() has work: for a caller's poll(). */
int dprun_fd(const struct dprun *r);
/* New tunables for the data plane (reload): writes them, the per-port
 * UDP timers (dp_set_udp_timers) and the new-flow rate, re-derives the
 * sweep interval from the timeouts and switches the SYN answers.
 */
int dprun_set_cfg(struct dprun *r, const struct cgnat_cfg *cfg,
		  const __u64 *udp_timers, const struct cgnat_flow_limit *fl);
/* 1 while a sweep is behind its pace or a lifecycle cycle is under
 * way: they go on in steps at each dprun_poll(), which then does not
 * wait, so poll without a timeout.
 */
int dprun_busy(const struct dprun *r);
/* HA: standby withdraws every grant and stops the allocator, the sweep
 * and the block lifecycle (the active's records say what changes);
 * active rebuilds the allocator from the block table and runs them all.
 */
void dprun_set_standby(struct dprun *r, int standby);

/* Syncs the allocator and refills the grant slots now, or recalls them
 * once while grants are held (hold_grants); nothing on a standby. The
 * start's refill once reconciliation is done.
 */
void dprun_refill(struct dprun *r);
/* Re-reserves the deterministic regions (det_dp_reserve) under the
 * allocator's lock.
 */
void dprun_det_reserve(struct dprun *r, const struct dp_opts *o);

/* Current clocks for the allocator. */
void dprun_now(struct pb_now *now);
/* An event made in userspace that orders with the rings' (a block PCP
 * took): to the callback through the same reordering.
 */
void dprun_emit(struct dprun *r, const struct cgnat_event *e);
void dprun_stop(struct dprun *r);

/* UTC milliseconds of a bpf_ktime_get_tai_ns() value. */
__u64 dprun_tai_to_utc_ms(__u64 tai_ns);
__u64 dprun_mono_ms(void);

#endif /* CGNAT_DPRUN_H */
