/* SPDX-License-Identifier: GPL-2.0 */
/*
 * refill.h - cgnatd's refill thread. The main loop refills the grant
 * slots once per turn, between log writes, sweep steps and IPFIX; a burst
 * of new subscribers while the loop is late (or shares its CPU) empties
 * the slots and packets drop as pool_empty although the pool has blocks.
 * This thread waits on the data plane's doorbell (cgnat_grant_bell, rung
 * when a set of slots is half drained or empty) and runs the owner's
 * refill function at once, and at least every period otherwise. It holds
 * the owner's lock only while that function runs.
 */
#ifndef CGNAT_REFILL_H
#define CGNAT_REFILL_H

#include <pthread.h>
#include <linux/types.h>

struct ring_buffer;

/* Refills the slots; called with the lock held. Returns slots filled. */
typedef int (*refill_fn)(void *ctx);
/* Whether the slot set a bell named (struct cgnat_bell's kind and idx)
 * holds no grant now; called without the lock (the slots are atomics).
 */
typedef int (*refill_empty_fn)(void *ctx, __u32 kind, __u32 idx);

#define REFILL_RUNG_MAX 8	/* bells remembered per wake */

struct refill {
	pthread_t tid;
	pthread_mutex_t *lock; /* the owner's: guards what fn touches */
	refill_fn fn;
	refill_empty_fn empty;
	void *ctx;
	int period_ms;
	struct ring_buffer *rb; /* on cgnat_grant_bell */
	int stop_fd; /* eventfd: refill_stop() wakes the thread */
	int running;
	int stop; /* set by refill_stop() */
	int realtime; /* runs SCHED_FIFO: the lock should be
		       * priority-inheriting (refill_lock_init) */
	/* The thread's own: the slot sets the bells of this wake named. */
	__u32 rung_n; /* may pass REFILL_RUNG_MAX: more than kept */
	__u32 rung[REFILL_RUNG_MAX][2]; /* kind, idx */
	/* Read by anyone, written by the thread (relaxed atomics). */
	__u64 bells; /* doorbell records read */
	__u64 runs; /* times fn ran */
	__u64 filled; /* slots fn filled */
	__u64 wait_max_ns; /* longest wait for the lock */
	__u64 late_max_ns; /* longest from a bell to its reading */
	__u64 quiets; /* waits of REFILL_QUIET_MS (exhausted slots) */
};

/* A mutex for refill_start(): priority-inheriting, so that a holder
 * preempted by a busy process on its CPU runs at the thread's priority
 * until it lets go. 0 or -errno.
 */
int refill_lock_init(pthread_mutex_t *lock);
/* Starts the thread on the bell ring 'bell_fd'. fn runs under 'lock' on
 * every bell and every 'period_ms'; 'empty' tells a slot set that cannot
 * be refilled (see REFILL_QUIET_MS in refill.c; NULL: any can't). 0 or
 * -errno.
 */
int refill_start(struct refill *rf, int bell_fd, pthread_mutex_t *lock,
		 refill_fn fn, refill_empty_fn empty, void *ctx,
		 int period_ms);
/* Stops and joins the thread; safe on a zeroed or stopped one. */
void refill_stop(struct refill *rf);

#endif /* CGNAT_REFILL_H */
