// SPDX-License-Identifier: GPL-2.0
/*
 * ship_feed - a test driver of the fleet shipper without a data plane:
 * writes holdings into a local SQLite log with the ship queue on (the
 * way cgnatd's writer does), runs the shipper thread of central/ship.c
 * against a PostgreSQL URL, and waits until nothing is behind.
 *
 *   ship_feed DB URL NODE write N SEED EXT_BASE   (no shipping)
 *   ship_feed DB URL NODE ordered N SEED EXT_BASE PROFILE
 *             (no shipping; events in time order, PROFILE mixed or long)
 *   ship_feed DB URL NODE ship TIMEOUT_S          (until 0 rows behind)
 *   ship_feed DB URL NODE both N SEED EXT_BASE TIMEOUT_S
 *   ship_feed - URL - lookup N EXT_BASE   (N random central lookups over
 *                                          the last two days: p50, p99 us)
 *
 * Holdings: N blocks of 256 ports on 16 addresses from EXT_BASE, over
 * the two days before now; each assigned, most released after 1 s to
 * 20 h, some after more than a day (long), a few left open. Each is
 * released right after its assign in the log: a backlog batch holds both
 * (the shipper's best case).
 *
 * "ordered" writes what a box logs: N holdings assigned evenly over the
 * two days before now on free blocks of 128 ports of 256 addresses from
 * EXT_BASE, and every event in time order, so a holding's assign and
 * release are as far apart in the queue as in time. PROFILE "mixed":
 * 80% exponential with a mean of 20 min, 17.5% 1 to 20 h, 2.5% a day
 * or more; "long": every holding 4 to 12 h, longer than the time a
 * batch spans, so nearly none is closed within one batch (worst case).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "central/central.h"
#include "central/ship.h"
#include "daemon/log.h"
#include "logger/store.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int feed(const char *db, int n, unsigned seed, uint32_t base)
{
	struct store *st;
	char err[256];
	int64_t t = now_ms() - 2 * 86400000LL, id;
	int i, ret = 0;

	if (store_open(db, &st, err, sizeof(err))) {
		fprintf(stderr, "ship_feed: %s\n", err);
		return 1;
	}
	store_ship_enable(st, 1);
	srand(seed);
	store_begin(st);
	for (i = 0; i < n && !ret; i++) {
		/* a block per i: address i % 16, slot i / 16 (distinct) */
		struct store_block b = {
			.instance = 1,
			.pool_id = 0,
			.sub_addr = 0x64400000u + (uint32_t)(rand() % 4000),
			.ext_addr = base + (uint32_t)(i % 16),
			.port_first = (uint16_t)(1024 + 256 * ((i / 16) % 250)),
			.assigned_ms =
				t + (int64_t)i * (86400000LL / (n / 2 + 1)),
			.released_ms = STORE_MS_NONE,
		};
		int64_t dur;

		strcpy(b.pool, "default");
		b.port_last = b.port_first + 255;
		/* one block slot is reused over time: release before reuse */
		ret = store_block_assign(st, &b, &id);
		if (ret == -17) { /* still open from an earlier round */
			ret = 0;
			continue;
		}
		if (ret)
			break;
		if (i % 50 == 7)
			continue; /* stays open */
		dur = i % 40 == 3 ? 86400000LL + rand() % 3600000
				  : 1000 + rand() % (20 * 3600000);
		if (i % 500 == 1)
			ret = store_interim(st, b.ext_addr, b.port_first,
					    b.assigned_ms + 500);
		if (!ret)
			ret = store_block_release(st, b.ext_addr, b.port_first,
						  b.assigned_ms + dur, 1);
		if (i % 5000 == 4999) {
			ret = ret ? ret : store_commit(st);
			store_begin(st);
		}
	}
	if (!ret)
		ret = store_config_log(st, now_ms(), 1,
				       "a: 1\n\tb: \"x\\y\"\n");
	if (!ret)
		ret = store_commit(st);
	if (ret)
		fprintf(stderr, "ship_feed: %s\n", store_errmsg(st));
	store_close(st);
	return ret ? 1 : 0;
}

struct pending { /* a release to come */
	int64_t at;
	uint32_t slot;
};

/* Min-heap of releases by time. */
static void heap_push(struct pending *h, int *n, struct pending e)
{
	int i = (*n)++;

	while (i && h[(i - 1) / 2].at > e.at) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = e;
}

static struct pending heap_pop(struct pending *h, int *n)
{
	struct pending top = h[0], last = h[--*n];
	int i = 0, c;

	while ((c = 2 * i + 1) < *n) {
		if (c + 1 < *n && h[c + 1].at < h[c].at)
			c++;
		if (last.at <= h[c].at)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = last;
	return top;
}

static int64_t duration(int long_only)
{
	int r = rand() % 1000;
	double u = (rand() + 1.0) / (RAND_MAX + 2.0);

	if (long_only)
		return 4 * 3600000LL + rand() % (8 * 3600000);
	if (r < 800) /* exponential, mean 20 min */
		return 1000 + (int64_t)(-log(u) * 1200000);
	if (r < 975)
		return 3600000LL + rand() % (19 * 3600000);
	return 86400000LL + rand() % 3600000;
}

#define SLOTS (256 * 500) /* blocks of 128 ports on 256 addresses */

static int release_slot(struct store *st, uint32_t base, struct pending e)
{
	return store_block_release(st, base + e.slot % 256,
				   (uint16_t)(1024 + 128 * (e.slot / 256)),
				   e.at, 1);
}

static int feed_ordered(const char *db, int n, unsigned seed, uint32_t base,
			int long_only)
{
	struct pending *h = calloc(SLOTS, sizeof(*h));
	uint32_t *free_slots = calloc(SLOTS, sizeof(*free_slots)), s;
	int64_t t0 = now_ms() - 2 * 86400000LL, step = 2 * 86400000LL / n, id;
	int nh = 0, nfree = SLOTS, i, j, ret = 0, ops = 0;
	struct store *st;
	char err[256];

	if (!h || !free_slots || store_open(db, &st, err, sizeof(err))) {
		fprintf(stderr, "ship_feed: %s\n", h ? err : "out of memory");
		return 1;
	}
	store_ship_enable(st, 1);
	srand(seed);
	for (i = 0; i < SLOTS; i++)
		free_slots[i] = (uint32_t)i;
	store_begin(st);
	for (i = 0; i < n && !ret; i++) {
		int64_t at = t0 + (int64_t)i * step;
		struct store_block b = {.instance = 1,
					.released_ms = STORE_MS_NONE};

		while (!ret && nh && h[0].at <= at) { /* releases due first */
			struct pending e = heap_pop(h, &nh);

			ret = release_slot(st, base, e);
			free_slots[nfree++] = e.slot;
			ops++;
		}
		if (ret || !nfree)
			break;
		j = rand() % nfree; /* a random free block */
		s = free_slots[j];
		free_slots[j] = free_slots[--nfree];
		b.sub_addr = 0x64400000u + (uint32_t)(rand() % 40000);
		b.ext_addr = base + s % 256;
		b.port_first = (uint16_t)(1024 + 128 * (s / 256));
		b.port_last = b.port_first + 127;
		b.assigned_ms = at;
		strcpy(b.pool, "default");
		ret = store_block_assign(st, &b, &id);
		if (!ret && i % 500 == 1)
			ret = store_interim(st, b.ext_addr, b.port_first, at);
		if (!ret && i % 50 != 7) /* 2% stay open */
			heap_push(
				h, &nh,
				(struct pending){at + duration(long_only), s});
		if (!ret && ++ops >= 5000) {
			ret = store_commit(st);
			store_begin(st);
			ops = 0;
		}
	}
	while (!ret && nh && h[0].at <= now_ms()) {
		struct pending e = heap_pop(h, &nh);

		ret = release_slot(st, base, e);
	}
	if (!ret && i < n)
		ret = -ENOSPC;
	if (!ret)
		ret = store_commit(st);
	if (ret)
		fprintf(stderr, "ship_feed: %s\n",
			ret == -ENOSPC ? "no free block" : store_errmsg(st));
	store_close(st);
	free(h);
	free(free_slots);
	return ret ? 1 : 0;
}

static int ship(const char *db, const char *url, const char *node, int secs)
{
	struct ship_stats s;
	struct ship *sh;
	char err[256];
	int64_t end = now_ms() + secs * 1000LL, t0 = now_ms();

	if (ship_start(&sh, url, node, db, err, sizeof(err))) {
		fprintf(stderr, "ship_feed: %s\n", err);
		return 1;
	}
	for (;;) {
		usleep(50000);
		ship_get_stats(sh, &s);
		if (s.connected && s.rows_behind == 0 &&
		    s.acked_seq == s.last_seq)
			break;
		if (now_ms() > end) {
			fprintf(stderr,
				"ship_feed: %lld rows still behind (%s)\n",
				(long long)s.rows_behind, s.error);
			ship_stop(sh);
			return 1;
		}
	}
	printf("shipped %llu rows in %lld ms, mark %lld\n",
	       (unsigned long long)s.rows_shipped, (long long)(now_ms() - t0),
	       (long long)s.acked_seq);
	ship_stop(sh);
	return 0;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static int count(const struct store_block *b, const char *node, void *ctx)
{
	(void)b;
	(void)node;
	++*(int *)ctx;
	return 0;
}

/* N point lookups at random blocks and times: latency percentiles. */
static int lookups(const char *url, int n, uint32_t base)
{
	struct pgc p = {.stop_fd = -1, .timeout_ms = 30000};
	long long *us = calloc((size_t)n, sizeof(*us));
	int64_t now = now_ms(), t;
	struct timespec a, b;
	int i, found = 0;

	if (!us || pgc_connect(&p, url)) {
		fprintf(stderr, "ship_feed: %s\n", p.err);
		return 1;
	}
	srand(99);
	for (i = 0; i < n; i++) {
		t = now - (int64_t)(rand() % (2 * 86400)) * 1000;
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (central_lookup(&p, base + (uint32_t)(rand() % 16),
				   (uint16_t)(1024 + rand() % 64000), t, t,
				   count, &found) < 0) {
			fprintf(stderr, "ship_feed: %s\n", p.err);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		us[i] = (b.tv_sec - a.tv_sec) * 1000000LL +
			(b.tv_nsec - a.tv_nsec) / 1000;
	}
	qsort(us, (size_t)n, sizeof(*us), cmp_ll);
	printf("lookups %d found %d p50_us %lld p99_us %lld\n", n, found,
	       us[n / 2], us[n * 99 / 100]);
	pgc_close(&p);
	free(us);
	return 0;
}

int main(int argc, char **argv)
{
	log_init("ship_feed", 1, 0);
	if (argc >= 8 && !strcmp(argv[4], "write"))
		return feed(argv[1], atoi(argv[5]), (unsigned)atoi(argv[6]),
			    (uint32_t)strtoul(argv[7], NULL, 0));
	if (argc >= 9 && !strcmp(argv[4], "ordered"))
		return feed_ordered(argv[1], atoi(argv[5]),
				    (unsigned)atoi(argv[6]),
				    (uint32_t)strtoul(argv[7], NULL, 0),
				    !strcmp(argv[8], "long"));
	if (argc >= 6 && !strcmp(argv[3], "lookup"))
		return lookups(argv[2], atoi(argv[4]),
			       (uint32_t)strtoul(argv[5], NULL, 0));
	if (argc >= 6 && !strcmp(argv[4], "ship"))
		return ship(argv[1], argv[2], argv[3], atoi(argv[5]));
	if (argc >= 9 && !strcmp(argv[4], "both"))
		return feed(argv[1], atoi(argv[5]), (unsigned)atoi(argv[6]),
			    (uint32_t)strtoul(argv[7], NULL, 0)) ||
		       ship(argv[1], argv[2], argv[3], atoi(argv[8]));
	fprintf(stderr, "usage: see tests/central/ship_feed.c\n");
	return 2;
}
