/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The synthetic compliance log of bench_store: 64 external addresses with
 * 252 blocks of 256 ports, holdings of 1-12 h separated by a 120 s-1 h
 * quarantine, paired pooling (a subscriber stays on one address), and
 * events coming out in time order as cgnatd logs them. Included by
 * bench_store.c only (one translation unit), hence the static functions.
 */
#ifndef CGNAT_BENCH_STORE_GEN_H
#define CGNAT_BENCH_STORE_GEN_H

#include <stdint.h>

#include "logger/store.h"

#define EXT_BASE 0xcb007100U /* 203.0.113.0 */
#define SUB_BASE 0x64400000U /* 100.64.0.0 */
#define N_EXT 64 /* 203.0.113.0/26 */
#define BLOCK 256
#define N_SLOT_PER_EXT ((65536 - 1024) / BLOCK) /* 252 */
#define N_SLOT (N_EXT * N_SLOT_PER_EXT)
#define T_START 1764000000000LL /* 2025-11-24T16:00:00Z */
#define MS_H 3600000LL
#define DAY_MS 86400000LL
/* The generator's view of one block slot: who holds it, until when. */
struct slot {
	int64_t next_ms; /* assign time of the next holding */
	int64_t assigned_ms; /* assign time of the current one */
	int64_t rel_ms; /* release time of the current one */
	uint32_t sub; /* its subscriber */
	int held;
};

/*
 * Events come out in time order, as the daemon logs them: a min-heap of
 * slots keyed by their next event (release while held, else assign).
 */
struct gen {
	struct slot slots[N_SLOT];
	int heap[N_SLOT];
	int64_t last_ms;
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int64_t ev_ms(const struct gen *g, int s)
{
	const struct slot *sl = &g->slots[s];

	return sl->held ? sl->rel_ms : sl->next_ms;
}

static void sift_down(struct gen *g, int i)
{
	int c, t;

	for (; (c = 2 * i + 1) < N_SLOT; i = c) {
		if (c + 1 < N_SLOT &&
		    ev_ms(g, g->heap[c + 1]) < ev_ms(g, g->heap[c]))
			c++;
		if (ev_ms(g, g->heap[i]) <= ev_ms(g, g->heap[c]))
			break;
		t = g->heap[i];
		g->heap[i] = g->heap[c];
		g->heap[c] = t;
	}
}

static void init_gen(struct gen *g)
{
	int s;

	for (s = 0; s < N_SLOT; s++) {
		g->slots[s] = (struct slot){.next_ms = T_START +
						       (int64_t)(rnd() % MS_H)};
		g->heap[s] = s;
	}
	for (s = N_SLOT / 2; s >= 0; s--)
		sift_down(g, s);
}

/* Take the earliest pending event into @b: the release of a holding
 * (then a 120 s to 1 h quarantine) or the assign of a new one (1 h to
 * 12 h long). Returns 1 for an assign, 0 for a release (b->released_ms
 * then set, b->assigned_ms and b->sub_addr those of the holding). */
static int gen_next(struct gen *g, struct store_block *b)
{
	int s = g->heap[0], assign;
	struct slot *sl = &g->slots[s];

	*b = (struct store_block){
		.instance = 1, .pool_id = 1, .pool = "default"};
	g->last_ms = ev_ms(g, s);
	b->ext_addr = EXT_BASE + (uint32_t)(s / N_SLOT_PER_EXT);
	b->port_first = (uint16_t)(1024 + (s % N_SLOT_PER_EXT) * BLOCK);
	b->port_last = (uint16_t)(b->port_first + BLOCK - 1);
	assign = !sl->held;
	if (assign) {
		/* Paired pooling: a subscriber stays on one address. */
		sl->sub = SUB_BASE + ((uint32_t)(s / N_SLOT_PER_EXT) << 10) +
			  (uint32_t)(rnd() % 1024);
		sl->rel_ms =
			sl->next_ms + MS_H + (int64_t)(rnd() % (11 * MS_H));
		b->released_ms = STORE_MS_NONE;
	} else {
		b->released_ms = sl->rel_ms;
		sl->next_ms = sl->rel_ms + 120000 + (int64_t)(rnd() % MS_H);
	}
	b->sub_addr = sl->sub;
	b->assigned_ms = assign ? sl->next_ms : sl->assigned_ms;
	sl->assigned_ms = b->assigned_ms;
	sl->held = assign;
	sift_down(g, 0);
	return assign;
}

#endif /* CGNAT_BENCH_STORE_GEN_H */
