// SPDX-License-Identifier: GPL-2.0
/*
 * refill.c - see refill.h. The thread polls the ring's epoll fd beside an
 * eventfd of its own, then consumes: libbpf's ring_buffer__poll() would
 * take the eventfd's events for ring indexes.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <bpf/libbpf.h>

#include "bpf/clock.h"
#include "bpf/cgnat_abi.h"
#include "daemon/refill.h"

/* After two wakes in a row whose bells found nothing to fill and left a
 * slot set they named empty (its pool or address is exhausted), wait this
 * long before the next: a subscriber knocking on an empty pool rings on
 * every new flow. Nothing filled alone says nothing: the main loop may
 * have refilled just before the thread ran, and then a burst needs the
 * thread at its next bell (quiet there dropped a paced burst's
 * subscribers as grant_wait, 10 ms late, in 2 of 6 runs).
 */
#define REFILL_QUIET_MS 10

static void add(__u64 *c, __u64 n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}


/* Keeps the maximum; only the thread writes it. */
static void note_max(__u64 *m, __u64 v)
{
	if (v > __atomic_load_n(m, __ATOMIC_RELAXED))
		__atomic_store_n(m, v, __ATOMIC_RELAXED);
}

static int on_bell(void *ctx, void *data, size_t len)
{
	const struct cgnat_bell *b = data;
	struct refill *rf = ctx;
	__u64 now = cgnat_clock_ns(CLOCK_MONOTONIC);

	add(&rf->bells, 1);
	if (len < sizeof(*b))
		return 0;
	if (now > b->mono_ns)
		note_max(&rf->late_max_ns, now - b->mono_ns);
	if (rf->rung_n < REFILL_RUNG_MAX) {
		rf->rung[rf->rung_n][0] = b->kind;
		rf->rung[rf->rung_n][1] = b->idx;
	}
	rf->rung_n++;
	return 0;
}

/* Whether a slot set this wake's bells named is still empty after the
 * refill: nothing is left to put there. More bells than kept count as
 * such (a flood of knocks).
 */
static int rung_dry(struct refill *rf)
{
	__u32 i;

	if (rf->rung_n > REFILL_RUNG_MAX || !rf->empty)
		return 1;
	for (i = 0; i < rf->rung_n; i++)
		if (rf->empty(rf->ctx, rf->rung[i][0], rf->rung[i][1]))
			return 1;
	return 0;
}

static int run_fn(struct refill *rf)
{
	__u64 t = cgnat_clock_ns(CLOCK_MONOTONIC);
	int n;

	pthread_mutex_lock(rf->lock);
	note_max(&rf->wait_max_ns, cgnat_clock_ns(CLOCK_MONOTONIC) - t);
	n = rf->fn(rf->ctx);
	pthread_mutex_unlock(rf->lock);
	add(&rf->runs, 1);
	if (n > 0)
		add(&rf->filled, n);
	return n;
}

static void *loop(void *arg)
{
	struct refill *rf = arg;
	struct pollfd p[2] = {
		{.fd = ring_buffer__epoll_fd(rf->rb), .events = POLLIN},
		{.fd = rf->stop_fd, .events = POLLIN},
	};
	int n, rang, idle = 0;

	for (;;) {
		n = poll(p, 2, rf->period_ms);
		if (n < 0 && errno != EINTR)
			break;
		if (p[1].revents ||
		    __atomic_load_n(&rf->stop, __ATOMIC_ACQUIRE))
			break;
		rf->rung_n = 0;
		rang = ring_buffer__consume(rf->rb);
		idle = run_fn(rf) == 0 && rang > 0 && rung_dry(rf) ? idle + 1
								  : 0;
		if (idle >= 2) {
			add(&rf->quiets, 1);
			poll(&p[1], 1, REFILL_QUIET_MS);
		}
	}
	return NULL;
}

int refill_lock_init(pthread_mutex_t *lock)
{
	pthread_mutexattr_t a;
	int rc;

	rc = pthread_mutexattr_init(&a);
	if (!rc)
		rc = pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
	if (!rc)
		rc = pthread_mutex_init(lock, &a);
	pthread_mutexattr_destroy(&a);
	return -rc;
}

int refill_start(struct refill *rf, int bell_fd, pthread_mutex_t *lock,
		 refill_fn fn, refill_empty_fn empty, void *ctx,
		 int period_ms)
{
	sigset_t all, old;
	int rc;

	memset(rf, 0, sizeof(*rf));
	rf->lock = lock;
	rf->fn = fn;
	rf->empty = empty;
	rf->ctx = ctx;
	rf->period_ms = period_ms;
	rf->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (rf->stop_fd < 0)
		return -errno;
	rf->rb = ring_buffer__new(bell_fd, on_bell, rf, NULL);
	if (!rf->rb) {
		rc = -errno;
		goto err_fd;
	}
	/* Signals stay with the main thread, whose handlers set its flags. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = -pthread_create(&rf->tid, NULL, loop, rf);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		goto err_rb;
	rf->running = 1;
	/* Real-time, lowest priority: a wake beside a busy process on the
	 * same CPU runs at once, not after the process's time slice. Where
	 * that is refused (no CAP_SYS_NICE) it runs as an ordinary thread.
	 */
	rf->realtime = !pthread_setschedparam(
		rf->tid, SCHED_FIFO,
		&(struct sched_param){.sched_priority = 1});
	return 0;
err_rb:
	ring_buffer__free(rf->rb);
	rf->rb = NULL;
err_fd:
	close(rf->stop_fd);
	rf->stop_fd = -1;
	return rc;
}

void refill_stop(struct refill *rf)
{
	__u64 one = 1;
	ssize_t w;

	if (!rf->running)
		return;
	__atomic_store_n(&rf->stop, 1, __ATOMIC_RELEASE);
	/* The wake is best effort: without it the flag ends the thread
	 * within one period.
	 */
	w = write(rf->stop_fd, &one, sizeof(one));
	(void)w;
	pthread_join(rf->tid, NULL);
	ring_buffer__free(rf->rb);
	rf->rb = NULL;
	close(rf->stop_fd);
	rf->stop_fd = -1;
	rf->running = 0;
}
