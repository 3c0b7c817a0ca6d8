// SPDX-License-Identifier: GPL-2.0
/*
 * bench_pb.c - the port-block allocator at the size of an ISP's pools:
 * what cgnatd's loop pays each turn under pb_lock (pb_sync over the
 * granted blocks and pb_scan_turn), the lifecycle cycle over every held
 * block in the slices dprun.c runs (CPU, longest slice, the period its
 * pace then chooses and the share of a core), and the refill thread's
 * pb_refill, with nothing to do and after a burst took every first-block
 * slot. The baseline, measured in the same run, is one read of
 * every block's state: before the per-state sets, each turn walked all
 * blocks three times (sync, lifecycle, quarantine) and did the held
 * blocks' lifecycle work on top. Simulated shared arrays, as the unit
 * tests use: no data plane, so the numbers are the allocator's alone.
 *
 *   bench_pb OUT.json
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "allocator/pb.h"

#define BPA 252			/* block_size 256 (the default) */
#define SLICE 512		/* DPRUN_SCAN_SLICE */
#define SHARE 20		/* DPRUN_SCAN_SHARE */
#define MIN_MS 100		/* DPRUN_SCAN_MIN_MS */
#define TURNS 200

struct pool_case {
	const char *name;
	__u32 n_addrs, n_subs;
};

struct result {
	const struct pool_case *c;
	double walk_us, turn_us, refill_us, burst_us, cycle_ms, slice_max_us;
	double period_ms, share;
};

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

struct world {
	struct pb pb;
	struct pb_views v;
	__u32 *pools;
	__be32 *addrs;
};

/* Zeroed and faulted in, as the pinned maps' pages are: a first touch
 * inside a timed loop would time the page faults.
 */
static void *zalloc(size_t n, size_t size)
{
	void *p = malloc(n * size);

	if (p)
		memset(p, 0, n * size);
	return p;
}

static void world_free(struct world *w)
{
	pb_free(&w->pb);
	free(w->v.grant_addr);
	free(w->v.grant_new);
	free(w->v.blocks);
	free(w->v.subs);
	free(w->v.ports);
	free(w->pools);
	free(w->addrs);
}

/* One pool, every subscriber holding one block, spread over the
 * addresses; nine in ten with a port in use (the rest empty, not yet
 * idle long enough to go).
 */
static int world_init(struct world *w, const struct pool_case *c)
{
	static const struct pb_policy pol = {
		.idle_release_ms = 60000, .quarantine_ms = 120000,
		.interim_ms = 86400000, .max_blocks = 4, .pool_high = 90,
		.pool_low = 80, .sub_high = 75,
	};
	__u32 na = c->n_addrs, s, id, a, port;

	memset(w, 0, sizeof(*w));
	w->pools = zalloc(na, sizeof(__u32));
	w->addrs = zalloc(na, sizeof(__be32));
	w->v.grant_addr = zalloc((size_t)na * CGNAT_GRANT_DEPTH, 8);
	w->v.grant_new = zalloc(CGNAT_GRANT_NEW_WORDS, 8);
	w->v.blocks = zalloc((size_t)na * BPA, sizeof(struct cgnat_block));
	w->v.subs = zalloc(c->n_subs ? c->n_subs : 1,
			   sizeof(struct cgnat_sub));
	w->v.ports = zalloc((size_t)na * CGNAT_NPROTO,
			    sizeof(struct cgnat_portmap));
	w->v.n_subs = c->n_subs;
	w->v.addrs = w->addrs;
	if (!w->pools || !w->addrs || !w->v.grant_addr || !w->v.grant_new ||
	    !w->v.blocks || !w->v.subs || !w->v.ports ||
	    pb_init(&w->pb, na, BPA, w->pools, 1))
		return -1;
	pb_set_policy(&w->pb, &pol, 1024, 256);
	for (s = 0; s < c->n_subs; s++) {
		a = s % na;
		id = a * BPA + s / na;
		w->v.blocks[id].owner = s + 1;
		w->v.subs[s].addr = 0x0a400000 + s;
		w->v.subs[s].block[0] = id + 1;
		pb_set_state(&w->pb, id, PB_ASSIGNED);
		if (s % 10 == 9)
			continue;
		port = 1024 + (id % BPA) * 256 + 7;
		w->v.ports[a * CGNAT_NPROTO + CGNAT_P_UDP].w[port / 64] |=
			1ull << (port % 64);
	}
	return 0;
}

/* The baseline: one read of every block's state. */
static double walk_us(const struct pb *pb)
{
	__u32 n = pb->n_addrs * pb->bpa, i, held = 0;
	double t = now_us();

	for (i = 0; i < n; i++)
		held += *(volatile __u8 *)&pb->blk[i].state == PB_ASSIGNED;
	t = now_us() - t;
	return held == pb->assigned.count ? t : -1;
}

static int run_case(const struct pool_case *c, struct result *r)
{
	struct pb_now now = { .ms = 10000, .tai_ns = 10000000000ull };
	struct world w;
	double t, s;
	int k, done;

	memset(r, 0, sizeof(*r));
	r->c = c;
	if (world_init(&w, c)) {
		world_free(&w);
		return -1;
	}
	pb_refill(&w.pb, &w.v);
	pb_scan_turn(&w.pb, &w.v, &now);	/* the assignments' turn */
	walk_us(&w.pb);			/* pb_init's calloc: fault in */
	r->walk_us = walk_us(&w.pb);
	t = now_us();
	for (k = 0; k < TURNS; k++) {
		pb_sync(&w.pb, &w.v, now.ms);
		pb_scan_turn(&w.pb, &w.v, &now);
	}
	r->turn_us = (now_us() - t) / TURNS;
	t = now_us();
	for (k = 0; k < TURNS; k++)
		pb_refill(&w.pb, &w.v);
	r->refill_us = (now_us() - t) / TURNS;
	/* A first cycle writes its blocks' idle clocks: pb_init's pages
	 * are faulted in there, as in a daemon that has run a while.
	 */
	while (!pb_scan_step(&w.pb, &w.v, &now, SLICE))
		;
	t = now_us();
	do {
		s = now_us();
		done = pb_scan_step(&w.pb, &w.v, &now, SLICE);
		s = now_us() - s;
		if (s > r->slice_max_us)
			r->slice_max_us = s;
	} while (!done);
	r->cycle_ms = (now_us() - t) / 1000;
	r->period_ms = r->cycle_ms * SHARE < MIN_MS ? MIN_MS
						    : r->cycle_ms * SHARE;
	r->share = r->cycle_ms / r->period_ms * 100;
	/* A burst took every first-block slot: the refill that stocks them
	 * all again (last: the taken grants stay granted, in limbo).
	 */
	for (k = 0, r->burst_us = 0; k < 50; k++) {
		memset(w.v.grant_new, 0, pb_new_fill(&w.pb, 0) * 8);
		t = now_us();
		pb_refill(&w.pb, &w.v);
		r->burst_us += (now_us() - t) / 50;
	}
	k = w.pb.out_n == 0 && w.pb.assigned.count == c->n_subs;
	world_free(&w);
	return k ? 0 : -1;	/* nothing released or lost on the way */
}

static const struct pool_case cases[] = {
	{ "/24, 20k subscribers", 256, 20000 },
	{ "/22, 100k subscribers", 1024, 100000 },
	{ "/18, none", 16384, 0 },
	{ "/18, 100k subscribers", 16384, 100000 },
	{ "/18, 1M subscribers", 16384, 1000000 },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static void write_json(const char *path, const struct result *r)
{
	FILE *f = fopen(path, "w");
	__u32 i;

	if (!f)
		return;
	fprintf(f, "{\n  \"blocks_per_address\": %d,\n  \"results\": [\n",
		BPA);
	for (i = 0; i < NCASES; i++)
		fprintf(f,
			"    {\"pool\": \"%s\", \"addresses\": %u, "
			"\"subscribers\": %u, \"walk_all_us\": %.1f, "
			"\"turn_us\": %.2f, \"refill_us\": %.1f, "
			"\"refill_all_first_slots_us\": %.1f, "
			"\"cycle_cpu_ms\": %.2f, \"slice_max_us\": %.1f, "
			"\"cycle_period_ms\": %.0f, "
			"\"cycle_core_pct\": %.2f}%s\n",
			r[i].c->name, r[i].c->n_addrs, r[i].c->n_subs,
			r[i].walk_us, r[i].turn_us, r[i].refill_us,
			r[i].burst_us, r[i].cycle_ms, r[i].slice_max_us,
			r[i].period_ms,
			r[i].share, i + 1 < NCASES ? "," : "");
	fprintf(f, "  ]\n}\n");
	fclose(f);
}

int main(int argc, char **argv)
{
	struct result r[NCASES];
	int fail = 0;
	__u32 i;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_pb OUT.json\n");
		return 2;
	}
	printf("%-24s %10s %9s %9s %9s %10s %9s %9s %7s\n",
	       "pool (252 blocks/addr)", "walk all", "turn", "refill",
	       "refill 64", "cycle CPU", "slice max", "period", "core");
	for (i = 0; i < NCASES; i++) {
		if (run_case(&cases[i], &r[i])) {
			fprintf(stderr, "bench_pb: %s failed\n", cases[i].name);
			fail = 1;
			continue;
		}
		printf("%-24s %8.0fus %7.1fus %7.1fus %7.0fus %8.1fms %7.0fus "
		       "%7.0fms %6.2f%%\n",
		       cases[i].name, r[i].walk_us, r[i].turn_us,
		       r[i].refill_us, r[i].burst_us, r[i].cycle_ms,
		       r[i].slice_max_us,
		       r[i].period_ms, r[i].share);
	}
	printf("\nwalk all: one read of every block (the old turn walked them "
	       "three times, plus the held blocks' cycle);\nturn: what each "
	       "loop turn pays now; refill 64: stocking all %u first-block "
	       "slots again after a burst;\ncycle: every held block, in "
	       "slices of %d under the lock.\n",
	       CGNAT_NEW_DEPTH, SLICE);
	if (!fail)
		write_json(argv[1], r);
	return fail;
}
