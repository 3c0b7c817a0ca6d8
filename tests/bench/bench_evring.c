// SPDX-License-Identifier: GPL-2.0
/*
 * bench_evring.c - what session events cost a new flow on one core and
 * on two at once (docs/scale-newflow.md, the audit's event-ring row).
 * Each thread is pinned to its own CPU and opens new sessions on an
 * existing mapping of its own subscriber (a new destination per packet,
 * one EVT_SESS_CREATE each), in rounds of ROUND packets between which
 * the main thread drains the rings, so no event is ever lost. The four
 * configurations (1 or 2 threads, session events off or on) take turns
 * round by round. Reported: the median of the kernel's per-run time
 * (BPF_PROG_TEST_RUN, fresh packet each run) and the sessions per second
 * of all threads together over the timed rounds (syscalls included).
 *
 *   bench_evring [OUT.json [SESSIONS_PER_THREAD]]
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tests/bpf/harness.h"

#define ROUND 2000	/* per thread: two threads' events fit one ring */

static struct harness H;
static pthread_barrier_t go, done;
static uint32_t next_dst;	/* destinations used so far (all runs) */
static int per_thread;

struct worker {
	pthread_t th;
	int cpu;
	uint32_t sub;		/* network order */
	uint32_t dst0;		/* first destination index of this round */
	uint32_t *ns;
	int fail;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct pkt_spec s;
	uint8_t buf[256];
	cpu_set_t one;
	int i;

	CPU_ZERO(&one);
	CPU_SET(w->cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		w->fail = 1;
	memset(&s, 0, sizeof(s));
	s.proto = 17;
	s.saddr = w->sub;
	s.sport = 5000;
	memcpy(s.smac, h_mac_h1, 6);
	memcpy(s.dmac, h_mac_tin, 6);
	pthread_barrier_wait(&go);
	for (i = 0; i < ROUND; i++) {
		uint32_t d = w->dst0 + i;
		size_t len;

		s.daddr = htonl(0xc6336400 + 1 + d % 200);
		s.dport = 1000 + d / 200;
		len = pkt_build(buf, sizeof(buf), &s);
		if (h_run_timed(H.prog[H_INSIDE], H.ifindex[H_INSIDE], buf,
				len, &w->ns[i]) != XDP_REDIRECT)
			w->fail = 1;
	}
	pthread_barrier_wait(&done);
	return NULL;
}

static int on_event(void *ctx, void *data, size_t len)
{
	(void)data;
	(void)len;
	(*(uint64_t *)ctx)++;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

struct config {
	int threads, events;
	uint32_t *ns;		/* per-run times of all rounds */
	size_t n;
	uint64_t wall_ns, lost;
};

/* One round of a configuration: ROUND new sessions per thread. */
static int bench(struct ring_buffer *rb, struct config *c)
{
	uint64_t t0, lost = h_stat(&H, STAT_EVT_LOST);
	struct worker w[2];
	int i, fail = 0;

	H.o.cfg.sess_events = c->events;
	if (dp_set_cfg(&H.dp, &H.o.cfg))
		return -1;
	pthread_barrier_init(&go, NULL, c->threads + 1);
	pthread_barrier_init(&done, NULL, c->threads + 1);
	for (i = 0; i < c->threads; i++) {
		w[i] = (struct worker){ .cpu = i, .dst0 = next_dst,
					.sub = htonl(0x6440000a + i),
					.ns = c->ns + c->n };
		next_dst += ROUND;
		c->n += ROUND;
		pthread_create(&w[i].th, NULL, work, &w[i]);
	}
	t0 = now_ns();
	pthread_barrier_wait(&go);
	pthread_barrier_wait(&done);
	c->wall_ns += now_ns() - t0;
	for (i = 0; i < c->threads; i++) {
		pthread_join(w[i].th, NULL);
		fail |= w[i].fail;
	}
	ring_buffer__consume(rb);	/* not timed */
	c->lost += h_stat(&H, STAT_EVT_LOST) - lost;
	pthread_barrier_destroy(&go);
	pthread_barrier_destroy(&done);
	return fail ? -1 : 0;
}

/* A table row, and a JSON object to 'f' when given. */
static void report(struct config *c, FILE *f, const char *sep)
{
	qsort(c->ns, c->n, sizeof(*c->ns), cmp_u32);
	printf("%-6s %7d %14u %16.0f %10llu\n", c->events ? "on" : "off",
	       c->threads, c->ns[c->n / 2], c->n * 1e9 / c->wall_ns,
	       (unsigned long long)c->lost);
	if (f)
		fprintf(f,
			"    {\"session_events\": %s, \"threads\": %d, "
			"\"median_ns\": %u, \"sessions_per_s\": %.0f, "
			"\"lost\": %llu}%s\n",
			c->events ? "true" : "false", c->threads,
			c->ns[c->n / 2], c->n * 1e9 / c->wall_ns,
			(unsigned long long)c->lost, sep);
}

int main(int argc, char **argv)
{
	struct config c[4] = { { .threads = 1 }, { .threads = 2 },
			       { .threads = 1, .events = 1 },
			       { .threads = 2, .events = 1 } };
	struct ring_buffer *rb;
	uint64_t events = 0;
	int fail = 0, r, i;

	FILE *f = NULL;

	per_thread = argc > 2 ? atoi(argv[2]) : 40000;
	per_thread -= per_thread % ROUND;
	if (per_thread <= 0 || h_netns() ||
	    h_load_sized(&H, 4, 256, 32, 1, 1 << 21, 4096))
		return 1;
	rb = dp_events_rb(&H.dp, on_event, &events);
	if (!rb)
		return 1;
	for (i = 0; i < 4; i++)
		c[i].ns = calloc((size_t)c[i].threads * per_thread,
				 sizeof(*c[i].ns));
	/* Rounds of the four in turn: a machine shared with other work
	 * slows them alike.
	 */
	for (r = 0; r < per_thread / ROUND; r++)
		for (i = 0; i < 4; i++)
			fail |= bench(rb, &c[i]);
	printf("%-6s %7s %14s %16s %10s\n", "events", "threads",
	       "median ns/pkt", "sessions/s (all)", "lost");
	if (argc > 1 && !(f = fopen(argv[1], "w")))
		perror(argv[1]);
	if (f)
		fprintf(f, "{\n  \"unit\": \"ns per new session, "
			   "BPF_PROG_TEST_RUN per-run median\",\n"
			   "  \"results\": [\n");
	for (i = 0; i < 4; i++) {
		report(&c[i], f, i < 3 ? "," : "");
		free(c[i].ns);
	}
	if (f) {
		fprintf(f, "  ],\n  \"events_read\": %llu\n}\n",
			(unsigned long long)events);
		fail |= fclose(f) != 0;
	}
	printf("events read: %llu\n", (unsigned long long)events);
	ring_buffer__free(rb);
	h_unload(&H);
	return fail;
}
