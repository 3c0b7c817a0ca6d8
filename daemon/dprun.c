// SPDX-License-Identifier: GPL-2.0
/*
 * dprun.c - see dprun.h. Two threads refill the grant slots: the main
 * loop first thing each turn, after syncing the allocator so that what
 * the data plane took is accounted, and the refill thread (refill.c)
 * whenever the data plane rings; both under pb_lock, which also covers
 * every other allocator step here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <bpf/libbpf.h>

#include "bpf/clock.h"
#include "bpf/cgnat.skel.h"
#include "allocator/det_dp.h"
#include "daemon/dprun.h"

/* The refill thread's period when no bell rings: quarantines end and
 * blocks come free without one.
 */
#define DPRUN_REFILL_MS 100


__u64 dprun_mono_ms(void)
{
	return cgnat_clock_ns(CLOCK_MONOTONIC) / 1000000;
}

void dprun_now(struct pb_now *now)
{
	now->ms = cgnat_clock_ns(CLOCK_BOOTTIME) / 1000000;
	now->tai_ns = cgnat_clock_ns(CLOCK_TAI);
}

/* CLOCK_TAI - CLOCK_REALTIME is the kernel's TAI offset (37 s once NTP
 * has set it, 0 before): the event keeps the instant the kernel saw. The
 * offset is whole seconds; rounding the two readings' difference makes
 * every conversion of one instant give the same millisecond.
 */
__u64 dprun_tai_to_utc_ms(__u64 tai_ns)
{
	__u64 tai = cgnat_clock_ns(CLOCK_TAI);
	__u64 utc = cgnat_clock_ns(CLOCK_REALTIME);
	__u64 off = (tai - utc + 500000000ull) / 1000000000ull * 1000000000ull;

	return (tai_ns - off) / 1000000;
}

/* An event in its order (evorder.h) to the owner. */
static void on_ordered(void *ctx, const struct cgnat_event *e)
{
	struct dprun *r = ctx;

	if (r->on_event)
		r->on_event(r->ctx, e, dprun_tai_to_utc_ms(e->time_tai_ns));
}

void dprun_emit(struct dprun *r, const struct cgnat_event *e)
{
	evo_push(&r->evo, e);
}

/* A ring read stops here: its share of the round is spent. */
#define RING_ROUND_FULL (-ECANCELED)

static int on_rb(void *ctx, void *data, size_t len)
{
	struct dprun *r = ctx;

	if (len >= sizeof(struct cgnat_event))
		evo_push(&r->evo, data);
	/* data-plane events are also in the pinned maps */
	return --r->ev_left ? 0 : RING_ROUND_FULL;
}

/* Blocks of a deterministic region get no block events: their sessions
 * need not wait for one. With overflow blocks, those (PBA blocks) begin
 * after the region. Blocks held past the region while a layout change
 * rests (hold_end) are left out: they become PBA blocks after it.
 */
static void evo_det(struct dprun *r, const struct dp_opts *o)
{
	__u32 i, b, n;

	for (i = 0; i < o->n_addrs; i++) {
		n = det_dp_blocks(o, i, 0);
		for (b = 0; b < n && b < o->cfg.blocks_per_addr; b++)
			evo_known(&r->evo, i * o->cfg.blocks_per_addr + b);
	}
}

/* Reads ring i up to its share of what is left of the round; sets *cut
 * when it stopped short of the ring's end. 0 or -errno.
 */
static int read_ring(struct dprun *r, __u32 i, __u32 share, __u32 *left,
		     int *cut)
{
	__u32 want = share < *left ? share : *left;
	int rc;

	if (!want) {
		*cut = 1;	/* the round is spent */
		return 0;
	}
	r->ev_left = want;
	rc = ring_buffer__consume(r->erb[i]);
	if (rc == RING_ROUND_FULL) {
		*cut = 1;
		*left -= want;
	} else if (rc < 0 && rc != -EINTR) {
		return rc;
	} else if (rc > 0) {
		*left -= (__u32)rc < want ? (__u32)rc : want;
	}
	return 0;
}

/* One pass over every ring, each read up to its share of the round's
 * DPRUN_ROUND_EVENTS (a pass that stopped short of a ring's end is cut:
 * evorder.h), starting at the next ring each round so that none waits
 * behind the others; and a second full pass, within what is left of
 * the round, when the first left events parked, so that they are
 * settled now rather than at the next call. Then the fragments' ring.
 */
static int read_events(struct dprun *r)
{
	__u32 i, left = DPRUN_ROUND_EVENTS, share = 1024;
	int pass, cut = 0, rc;

	if (r->n_erb && DPRUN_ROUND_EVENTS / r->n_erb > share)
		share = DPRUN_ROUND_EVENTS / r->n_erb;
	if (r->n_erb)
		r->ev_first = (r->ev_first + 1) % r->n_erb;
	for (pass = 0; pass < 2 && !cut && (!pass || r->evo.n); pass++) {
		evo_pass_begin(&r->evo);
		for (i = 0; i < r->n_erb; i++) {
			rc = read_ring(r, (r->ev_first + i) % r->n_erb, share,
				       &left, &cut);
			if (rc)
				return rc;
		}
		if (!cut)	/* a cut pass forces nothing (evorder.h) */
			evo_pass_end(&r->evo);
	}
	r->ev_drained = !cut;
	rc = ring_buffer__consume(r->rb);
	if (rc < 0 && rc != -EINTR)
		return rc;
	dp_stat_set(&r->dp, STAT_EVT_PARKED, r->evo.parked);
	dp_stat_set(&r->dp, STAT_EVT_PARKED_FORCED, r->evo.forced);
	return 0;
}

static int on_frag(void *ctx, void *data, size_t len)
{
	struct dprun *r = ctx;

	fh_record(&r->fh, data, len, dprun_mono_ms());
	return 0;
}

/* Publishes the holder's counters beside the data plane's. */
static void frag_stats(struct dprun *r)
{
	dp_stat_set(&r->dp, STAT_FRAG_REINJECTED, r->fh.reinjected);
	dp_stat_set(&r->dp, STAT_FRAG_EXPIRED, r->fh.expired);
	dp_stat_set(&r->dp, STAT_FRAG_REFUSED, r->fh.refused);
	dp_stat_set(&r->dp, STAT_FRAG_COPIED, r->fh.copied);
	dp_stat_set(&r->dp, STAT_FRAG_REINJECT_FAILED, r->fh.failed);
}

/* Answers the held SYNs now due; publishes its counters. */
static void syn_work(struct dprun *r)
{
	sp_run(&r->sp, dprun_mono_ms());
	dp_stat_set(&r->dp, STAT_SYN_ICMP_SENT, r->sp.sent);
	dp_stat_set(&r->dp, STAT_SYN_ICMP_DROPPED, r->sp.dropped);
}

/* The shortest timer (ms): no sweep pass is further apart (sweep_pace). */
static __u64 shortest_timer_ms(const struct cgnat_cfg *c, __u64 udp_short_ns)
{
	__u64 t = c->udp_timeout_ns;

	if (udp_short_ns && udp_short_ns < t)
		t = udp_short_ns;
	if (c->tcp_trans_timeout_ns < t)
		t = c->tcp_trans_timeout_ns;
	if (c->icmp_timeout_ns < t)
		t = c->icmp_timeout_ns;
	return t / 1000000;
}

static __u64 udp_shortest(const __u64 *ns)
{
	__u64 t = 0;
	int i;

	for (i = 0; ns && i < CGNAT_UDP_TIMER_PORTS; i++)
		if (ns[i] && (!t || ns[i] < t))
			t = ns[i];
	return t;
}

/* One epoll set over the ring buffers' own epoll fds and the netlink
 * socket, so that a caller polls one fd and a change wakes the loop at
 * once. Adding the netlink fd to libbpf's set instead would not do:
 * ring_buffer__poll() takes every event's data as a ring index.
 */
static int watch_start(struct dprun *r)
{
	struct epoll_event ev = { .events = EPOLLIN };
	__u32 i;

	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0)
		return -errno;
	ev.data.fd = ring_buffer__epoll_fd(r->rb);
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev))
		return -errno;
	for (i = 0; i < r->n_erb; i++) {
		ev.data.fd = ring_buffer__epoll_fd(r->erb[i]);
		if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev))
			return -errno;
	}
	ev.data.fd = r->nl.fd;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev))
		return -errno;
	return dp_nh_bump(&r->dp, &r->nh_gen);
}

/* Reads the netlink socket; bumps the generation once for all it read. */
static int watch_poll(struct dprun *r)
{
	int rc = nlw_drain(&r->nl);

	if (rc > 0)
		rc = dp_nh_bump(&r->dp, &r->nh_gen);
	return rc;
}

/* Syncs and stocks the slots, or recalls them once while grants are
 * held. Under pb_lock.
 */
static void grants_turn(struct dprun *r)
{
	r->grants_on = !r->hold_grants && !r->standby;
	if (r->standby)
		return;
	pb_sync(&r->pb, &r->pv, dprun_mono_ms());
	if (r->grants_on) {
		r->grants_held = 0;
		pb_refill(&r->pb, &r->pv);
	} else if (!r->grants_held) {
		pb_recall(&r->pb, &r->pv);
		r->grants_held = 1;
	}
}

/* The refill thread's work, under pb_lock. No sync first: a block taken
 * from its slot stays granted, never free, until the main loop's next
 * sync, so it is not placed again, and placement counts it as pending
 * load; a sync scans every block, a refill only the slots and addresses.
 */
static int refill_now(void *ctx)
{
	struct dprun *r = ctx;

	return r->grants_on ? pb_refill(&r->pb, &r->pv) : 0;
}

/* Whether the slot set of a bell (refill.h) holds no grant now. */
static int slots_empty(void *ctx, __u32 kind, __u32 idx)
{
	struct dprun *r = ctx;
	const __u64 *s;
	__u32 i, n;

	if (kind == CGNAT_BELL_NEW && idx < r->pb.n_pools) {
		s = r->pv.grant_new + idx * CGNAT_NEW_DEPTH;
		n = CGNAT_NEW_DEPTH;
	} else if (kind == CGNAT_BELL_ADDR && idx < r->pb.n_addrs) {
		s = r->pv.grant_addr + idx * CGNAT_GRANT_DEPTH;
		n = CGNAT_GRANT_DEPTH;
	} else {
		return 0;	/* names nothing: no reason to wait */
	}
	for (i = 0; i < n; i++)
		if (__atomic_load_n(&s[i], __ATOMIC_ACQUIRE))
			return 0;
	return 1;
}

void dprun_refill(struct dprun *r)
{
	pthread_mutex_lock(&r->pb_lock);
	grants_turn(r);
	pthread_mutex_unlock(&r->pb_lock);
}

void dprun_det_reserve(struct dprun *r, const struct dp_opts *o)
{
	pthread_mutex_lock(&r->pb_lock);
	det_dp_reserve(&r->pb, o);
	pthread_mutex_unlock(&r->pb_lock);
}

int dprun_fd(const struct dprun *r)
{
	return r->epfd;
}

/* A reader of each CPU's event ring, and one of the fragments' ring. */
static int rings_start(struct dprun *r)
{
	__u32 i;

	r->erb = calloc(r->dp.n_rings, sizeof(*r->erb));
	if (!r->erb)
		goto fail;
	for (i = 0; i < r->dp.n_rings; i++) {
		r->erb[i] = ring_buffer__new(r->dp.ring_fd[i], on_rb, r, NULL);
		if (!r->erb[i])
			goto fail;
		r->n_erb++;
	}
	r->rb = ring_buffer__new(bpf_map__fd(r->dp.skel->maps.cgnat_frag_ring),
				 on_frag, r, NULL);
	if (r->rb)
		return 0;
fail:
	i = errno ? errno : ENOMEM;
	snprintf(r->dp.err, sizeof(r->dp.err), "ring buffer: %s",
		 strerror((int)i));
	return -(int)i;
}

int dprun_start(struct dprun *r, const struct dp_opts *o, __u32 n_pools,
		dprun_event_fn fn, void *ctx)
{
	int hold = r->hold_grants; /* the caller's, kept */
	struct pb_now now;
	int rc;

	memset(r, 0, sizeof(*r));
	r->hold_grants = hold;
	r->on_event = fn;
	r->ctx = ctx;
	r->n_pools = n_pools;
	r->epfd = -1;
	r->sp.sock = -1;
	rc = refill_lock_init(&r->pb_lock);
	if (rc) {
		snprintf(r->dp.err, sizeof(r->dp.err), "allocator lock: %s",
			 strerror(-rc));
		return rc;
	}
	/* Listening before the maps load: no change slips in between. */
	rc = nlw_open(&r->nl);
	if (rc) {
		snprintf(r->dp.err, sizeof(r->dp.err), "rtnetlink socket: %s",
			 strerror(-rc));
		return rc;
	}
	rc = dp_open(&r->dp, o);
	if (rc) {
		nlw_close(&r->nl);
		return rc;
	}
	r->pv.grant_addr = r->dp.v.grant_addr;
	r->pv.grant_new = r->dp.v.grant_new;
	r->pv.addr_dry = r->dp.v.addr_dry;
	r->pv.blocks = r->dp.v.blocks;
	r->pv.subs = r->dp.v.subs;
	r->pv.n_subs = o->subscribers;
	r->pv.ports = r->dp.v.ports;
	r->pv.addrs = o->addrs;
	r->udp_short_ns = udp_shortest(o->udp_timers);
	sweep_pace_cap(&r->pace, shortest_timer_ms(&o->cfg, r->udp_short_ns));
	r->sweep_ms = r->pace.interval_ms;
	rc = pb_init(&r->pb, o->n_addrs, o->cfg.blocks_per_addr, o->addr_pool,
		     n_pools);
	if (rc) {
		snprintf(r->dp.err, sizeof(r->dp.err), "allocator: %s",
			 strerror(-rc));
		goto err;
	}
	det_dp_reserve(&r->pb, o);
	/* A restart finds the pinned state: rebuild instead of trusting. */
	pb_set_policy(&r->pb, &(struct pb_policy){ .quarantine_ms = 120000 },
		      o->cfg.port_lo, o->cfg.block_size);
	pb_rebuild(&r->pb, &r->pv);
	dprun_now(&now);
	pb_rebuild_life(&r->pb, &r->pv, &now);
	/* Reading new maps' empty buckets at once would hold cgnatd's CPU
	 * in kernel calls nothing preempts (8 ms for a 2M-entry table
	 * here) just when a rebooted box's subscribers all come back.
	 */
	r->sweep_hold_ms = sweep_pace_first_ms(&r->pace, now.ms, r->dp.fresh);
	rc = evo_init(&r->evo, &(struct evo_geom){
				.n_addrs = o->n_addrs, .addrs = o->addrs,
				.port_lo = o->cfg.port_lo,
				.block_size = o->cfg.block_size,
				.blocks_per_addr = o->cfg.blocks_per_addr },
		      DPRUN_EVO_CAP, on_ordered, r);
	if (rc) {
		snprintf(r->dp.err, sizeof(r->dp.err), "event order: %s",
			 strerror(-rc));
		goto err;
	}
	evo_det(r, o);
	rc = rings_start(r);
	if (rc)
		goto err;
	rc = fh_init(&r->fh,
		     bpf_program__fd(r->dp.skel->progs.cgnat_inside),
		     bpf_program__fd(r->dp.skel->progs.cgnat_outside),
		     bpf_map__fd(r->dp.skel->maps.cgnat_frags));
	if (rc) {
		snprintf(r->dp.err, sizeof(r->dp.err), "fragment holder: %s",
			 strerror(-rc));
		goto err;
	}
	rc = sp_open(&r->sp, bpf_map__fd(r->dp.skel->maps.cgnat_syn_pending),
		     o->outside);
	if (rc) {
		snprintf(r->dp.err, sizeof(r->dp.err), "SYN answers: %s",
			 strerror(-rc));
		goto err;
	}
	sp_set(&r->sp, o->cfg.syn_icmp_rate != 0);
	rc = watch_start(r);
	if (rc) {
		snprintf(r->dp.err, sizeof(r->dp.err), "next-hop watch: %s",
			 strerror(-rc));
		goto err;
	}
	r->grants_on = !r->hold_grants;
	if (r->grants_on)
		pb_refill(&r->pb, &r->pv);
	rc = refill_start(&r->rf, bpf_map__fd(r->dp.skel->maps.cgnat_grant_bell),
			  &r->pb_lock, refill_now, slots_empty, r,
			  DPRUN_REFILL_MS);
	if (rc) {
		snprintf(r->dp.err, sizeof(r->dp.err), "refill thread: %s",
			 strerror(-rc));
		goto err;
	}
	if (o->inside && o->outside) {
		rc = dp_attach(&r->dp, o);
		if (rc)
			goto err;
	}
	return 0;
err:
	dprun_stop(r);
	return rc;
}

int dprun_set_cfg(struct dprun *r, const struct cgnat_cfg *cfg,
		  const __u64 *udp_timers, const struct cgnat_flow_limit *fl)
{
	int rc = dp_set_udp_timers(&r->dp, udp_timers);

	if (!rc)
		rc = dp_set_flow_limit(&r->dp, fl);
	if (!rc)
		rc = dp_set_cfg(&r->dp, cfg);
	if (rc)
		return rc;
	r->udp_short_ns = udp_shortest(udp_timers);
	sweep_pace_cap(&r->pace, shortest_timer_ms(cfg, r->udp_short_ns));
	r->sweep_ms = r->pace.interval_ms;
	sp_set(&r->sp, cfg->syn_icmp_rate != 0);
	return 0;
}


void dprun_set_policy(struct dprun *r, const struct pb_policy *pol)
{
	pthread_mutex_lock(&r->pb_lock);
	pb_set_policy(&r->pb, pol, r->pb.port_lo, r->pb.block_size);
	pthread_mutex_unlock(&r->pb_lock);
}

/* Sweep steps per poll run for at most this long before the loop's other
 * work (refills, events) comes round again; a step is one batch.
 */
#define SWEEP_BUDGET_NS 2000000ull

/* Starts a pass when one is due and runs the steps of the one under way
 * that its pace allows by now (sweep_pace_allowed): the pass spreads over
 * its interval instead of taking a core until it is done.
 */
static int sweep_work(struct dprun *r, const struct pb_now *now)
{
	__u64 t0 = cgnat_clock_ns(CLOCK_MONOTONIC), allowed, t;
	int rc;

	/* The data plane's due log into the index every turn, before its
	 * rings (CGNAT_DUE_LOG records a CPU) lap.
	 */
	rc = dp_due_drain(&r->dp);
	if (rc)
		return rc;
	if (!r->dp.sw.pass) {
		if (now->ms - r->last_sweep_ms < r->pace.interval_ms ||
		    now->ms < r->sweep_hold_ms)
			return 0;
		r->last_sweep_ms = now->ms;
		r->pace.t0_ms = now->ms;
		r->sweep_t0 = t0;
		rc = dp_sweep_begin(&r->dp, 0);
		if (rc)
			return rc;
	}
	allowed = sweep_pace_allowed(&r->pace, now->ms);
	do {
		if (r->dp.sw.read >= allowed)
			return 0;	/* ahead of its pace: later */
		t = cgnat_clock_ns(CLOCK_MONOTONIC);
		rc = dp_sweep_step(&r->dp);
		t = cgnat_clock_ns(CLOCK_MONOTONIC) - t;
		r->sweep_cpu_ns += t;
		if (t > r->sweep_step_max_ns)
			r->sweep_step_max_ns = t;
	} while (rc == 1 &&
		 cgnat_clock_ns(CLOCK_MONOTONIC) - t0 < SWEEP_BUDGET_NS);
	if (rc)
		return rc < 0 ? rc : 0;
	r->last = r->dp.sw.a;
	r->last_sweep_ns = cgnat_clock_ns(CLOCK_MONOTONIC) - r->sweep_t0;
	sweep_pace_end(&r->pace, &r->dp.sw);
	r->sweep_ms = r->pace.interval_ms;
	r->sweeps++;
	r->due_passes += r->dp.sw.by_due;
	return 0;
}

/* Blocks the lifecycle cycle visits per hold of pb_lock: at ~0.4 us a
 * block (cache misses on its slot and port bits), the refill thread
 * waits ~0.2 ms at most for the lock.
 */
#define DPRUN_SCAN_SLICE 512
/* A cycle begins at most every 100 ms (the idle loop's turn, when every
 * turn scanned), and no sooner after the last one began than 20 times
 * that one's CPU: 5% of a core at most, however many blocks are held (a
 * cycle over 1M held blocks takes ~0.4 s), and small pools' idle blocks
 * still go within a turn or so of their time.
 */
#define DPRUN_SCAN_MIN_MS 100
#define DPRUN_SCAN_SHARE 20

/* The lifecycle: each turn what happened since the last one, and slices
 * of the cycle over every held and resting block while one is under
 * way, within the turn's budget (shared with the sweep's steps). Before,
 * every turn scanned every block of the pools under pb_lock: 9-18 ms at
 * a /22 pool with 100k subscribers, 13-16 ms at an empty /18 (bench_pb).
 */
static void scan_work(struct dprun *r, const struct pb_now *now, __u64 t0)
{
	__u64 t;
	int done = 0;

	pthread_mutex_lock(&r->pb_lock);
	pb_scan_turn(&r->pb, &r->pv, now);
	pthread_mutex_unlock(&r->pb_lock);
	if (!r->scan_on && now->ms - r->scan_t0_ms >= r->scan_period_ms) {
		r->scan_on = 1;
		r->scan_t0_ms = now->ms;
		r->scan_cycle_ns = 0;
	}
	while (r->scan_on && !done) {
		t = cgnat_clock_ns(CLOCK_MONOTONIC);
		pthread_mutex_lock(&r->pb_lock);
		done = pb_scan_step(&r->pb, &r->pv, now, DPRUN_SCAN_SLICE);
		pthread_mutex_unlock(&r->pb_lock);
		r->scan_cycle_ns += cgnat_clock_ns(CLOCK_MONOTONIC) - t;
		if (cgnat_clock_ns(CLOCK_MONOTONIC) - t0 >= SWEEP_BUDGET_NS)
			break;
	}
	if (!done)
		return;
	r->scan_on = 0;
	r->scans++;
	r->scan_last_ns = r->scan_cycle_ns;
	r->scan_cpu_ns += r->scan_cycle_ns;
	r->scan_period_ms = r->scan_cycle_ns * DPRUN_SCAN_SHARE / 1000000;
	if (r->scan_period_ms < DPRUN_SCAN_MIN_MS)
		r->scan_period_ms = DPRUN_SCAN_MIN_MS;
}

int dprun_busy(const struct dprun *r)
{
	__u64 ms = cgnat_clock_ns(CLOCK_BOOTTIME) / 1000000;

	if (r->standby)
		return 0;
	return r->scan_on || (r->dp.sw.pass != 0 &&
			      r->dp.sw.read < sweep_pace_allowed(&r->pace, ms));
}

/* Hands the allocator's events to the owner. Releases that were not
 * durably recorded stay queued and are offered again next time. A
 * release goes after its block's parked session events (evorder.h). The
 * log write runs unlocked: only pb_logged() needs pb_lock.
 */
static void deliver(struct dprun *r, const struct pb_now *now)
{
	__u32 i, kept = 0;

	for (i = 0; i < r->pb.out_n; i++) {
		struct cgnat_event *e = &r->pb.out[i];
		int rc;

		if (e->type == EVT_BLOCK_RELEASED)
			evo_release(&r->evo, e->block);
		rc = r->on_event ? r->on_event(r->ctx, e,
					       dprun_tai_to_utc_ms(
						       e->time_tai_ns))
				 : 0;

		if (!rc && e->type == EVT_BLOCK_RELEASED) {
			pthread_mutex_lock(&r->pb_lock);
			pb_logged(&r->pb, e->block, now);
			pthread_mutex_unlock(&r->pb_lock);
		} else if (rc && e->type == EVT_BLOCK_RELEASED)
			r->pb.out[kept++] = *e;
	}
	r->pb.out_n = kept;
}

int dprun_poll(struct dprun *r, int timeout_ms)
{
	struct epoll_event ev[2];
	struct pb_now now;
	__u64 t0;
	int rc;

	r->ev_drained = 0;
	if (epoll_wait(r->epfd, ev, 2, dprun_busy(r) ? 0 :
				    r->dp.sw.pass && timeout_ms > 20 ? 20 :
								       timeout_ms) < 0 &&
	    errno != EINTR)
		return -errno;
	dprun_refill(r);
	rc = watch_poll(r);
	if (rc < 0)
		return rc;
	rc = read_events(r);
	if (rc)
		return rc;
	if (r->standby) {
		fh_expire(&r->fh, dprun_mono_ms());
		return 0;
	}
	dprun_now(&now);
	t0 = cgnat_clock_ns(CLOCK_MONOTONIC);
	rc = sweep_work(r, &now);
	if (rc)
		return rc;
	/* After the turn's first sync (dprun_refill), which found the
	 * blocks assigned since the last turn.
	 */
	scan_work(r, &now, t0);
	deliver(r, &now);
	/* The log's hold may have come with this turn's events: recall
	 * now, not a turn later (grants_on is written by this thread only).
	 */
	if (r->grants_on != !r->hold_grants)
		dprun_refill(r);
	fh_expire(&r->fh, dprun_mono_ms());
	frag_stats(r);
	syn_work(r);
	return 0;
}

void dprun_set_standby(struct dprun *r, int standby)
{
	struct pb_now now;

	pthread_mutex_lock(&r->pb_lock);
	r->standby = standby;
	r->grants_on = 0;	/* until the next turn's refill */
	if (standby) {
		pb_withdraw(&r->pb, &r->pv);
		pthread_mutex_unlock(&r->pb_lock);
		return;
	}
	pb_rebuild(&r->pb, &r->pv);
	dprun_now(&now);
	pb_rebuild_life(&r->pb, &r->pv, &now);
	pthread_mutex_unlock(&r->pb_lock);
	r->last_sweep_ms = 0; /* a sweep at once, on the synced expiries */
	r->dp.sw.read_all = 1;	/* which the due index does not name */
	r->sweep_hold_ms = 0;
}

void dprun_stop(struct dprun *r)
{
	refill_stop(&r->rf);
	if (r->epfd >= 0)
		close(r->epfd);
	r->epfd = -1;
	nlw_close(&r->nl);
	ring_buffer__free(r->rb);
	r->rb = NULL;
	while (r->n_erb)
		ring_buffer__free(r->erb[--r->n_erb]);
	free(r->erb);
	r->erb = NULL;
	evo_free(&r->evo);
	fh_free(&r->fh);
	sp_close(&r->sp);
	pb_free(&r->pb);
	if (r->dp.skel)
		dp_close(&r->dp);
}
