// SPDX-License-Identifier: GPL-2.0
/*
 * ship_feed - a test driver of the fleet shipper without a data plane:
 * writes holdings into a local SQLite log with the ship queue on (the
 * way cgnatd's writer does), runs the shipper thread of central/ship.c
 * against a PostgreSQL URL, and waits until nothing is behind.
 *
 *   ship_feed DB URL NODE write N SEED EXT_BASE   (no shipping)
 *   ship_feed DB URL NODE ship TIMEOUT_S          (until 0 rows behind)
 *   ship_feed DB URL NODE both N SEED EXT_BASE TIMEOUT_S
 *   ship_feed - URL - lookup N EXT_BASE   (N random central lookups over
 *                                          the last two days: p50, p99 us)
 *
 * Holdings: N blocks of 256 ports on 16 addresses from EXT_BASE, over
 * the two days before now; each assigned, most released after 1 s to
 * 20 h, some after more than a day (long), a few left open.
 */
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
