// SPDX-License-Identifier: GPL-2.0
/*
 * bench_central - central lookup latency on a generated fleet log
 * (tests/bench/fleet_gen.sql), timed around central_lookup(), the call
 * `cgnatctl lookup --central` makes (one round trip, client included).
 * Three kinds of point lookups, interleaved:
 *   hit:    a random existing holding (sampled from the table), a port
 *           and an instant inside it: must find exactly that holder;
 *   random: a uniform (address of the pool, port, instant of the days);
 *   miss:   an address no node ever used: must find nothing.
 * A wrong answer fails the bench. Prints p50/p99/max per kind and all
 * together, and writes them as JSON.
 *
 * Usage: bench_central URL N EXT_LO EXT_HI T_LO_MS T_HI_MS JSON
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "central/central.h"

enum { HIT, RANDOM, MISS, KINDS };
static const char *const kind_name[KINDS] = {"hit", "random", "miss"};

struct want {
	uint32_t ext;
	uint16_t first, last;
	long long assigned, released;
};

struct seen {
	int n;
	int64_t assigned;
};

static int count(const struct store_block *b, const char *node, void *ctx)
{
	struct seen *s = ctx;

	(void)node;
	s->n++;
	s->assigned = b->assigned_ms;
	return 0;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static long long rnd(long long n) /* uniform in [0, n) */
{
	return (long long)(((unsigned long long)rand() << 31 ^
			    (unsigned long long)rand()) %
			   (unsigned long long)(n > 0 ? n : 1));
}

/* @n existing holdings, sampled by pages (TABLESAMPLE SYSTEM). */
static int sample(struct pgc *p, int n, struct want *w)
{
	char pct[32], lim[16];
	const char *v[2] = {pct, lim};
	PGresult *r;
	double rows;
	int i, got;

	r = pgc_exec(p,
		     "SELECT sum(c.reltuples) FROM pg_class c JOIN pg_inherits "
		     "i ON c.oid = i.inhrelid WHERE i.inhparent = "
		     "'cgnat.holdings'::regclass",
		     0, NULL, PGRES_TUPLES_OK);
	if (!r)
		return -1;
	rows = atof(PQgetvalue(r, 0, 0));
	PQclear(r);
	snprintf(pct, sizeof(pct), "%.6f",
		 rows > 0 && 2000.0 * n / rows < 1 ? 100.0 * 20 * n / rows
						   : 100.0);
	snprintf(lim, sizeof(lim), "%d", n);
	r = pgc_exec(p,
		     "SELECT ext_addr, port_first, port_last, assigned_ms, "
		     "released_ms FROM cgnat.holdings TABLESAMPLE SYSTEM "
		     "($1::float8) ORDER BY random() LIMIT $2::int",
		     2, v, PGRES_TUPLES_OK);
	if (!r)
		return -1;
	got = PQntuples(r);
	for (i = 0; i < got; i++) {
		w[i].ext = (uint32_t)strtoull(PQgetvalue(r, i, 0), NULL, 10);
		w[i].first = (uint16_t)atoi(PQgetvalue(r, i, 1));
		w[i].last = (uint16_t)atoi(PQgetvalue(r, i, 2));
		w[i].assigned = strtoll(PQgetvalue(r, i, 3), NULL, 10);
		w[i].released = strtoll(PQgetvalue(r, i, 4), NULL, 10);
	}
	PQclear(r);
	return got;
}

static void report(FILE *f, const char *name, long long *us, int n)
{
	qsort(us, (size_t)n, sizeof(*us), cmp_ll);
	printf("%-36s %8d %9lld %9lld %9lld\n", name, n, n ? us[n / 2] : 0,
	       n ? us[n * 99 / 100] : 0, n ? us[n - 1] : 0);
	fprintf(f,
		"\"%s\":{\"n\":%d,\"p50_us\":%lld,\"p99_us\":%lld,"
		"\"max_us\":%lld}",
		name, n, n ? us[n / 2] : 0, n ? us[n * 99 / 100] : 0,
		n ? us[n - 1] : 0);
}

int main(int argc, char **argv)
{
	struct pgc p = {.stop_fd = -1, .timeout_ms = 60000};
	long long *us[KINDS + 1], lo_t, hi_t, t;
	int n, nk[KINDS] = {0}, all = 0, i, k, hits, bad = 0;
	uint32_t lo_ext, hi_ext, ext;
	struct want *w;
	struct timespec a, b;
	struct seen s;
	uint16_t port;
	FILE *f;

	if (argc != 8) {
		fprintf(stderr, "usage: bench_central URL N EXT_LO EXT_HI "
				"T_LO_MS T_HI_MS JSON\n");
		return 2;
	}
	n = atoi(argv[2]);
	lo_ext = (uint32_t)strtoul(argv[3], NULL, 0);
	hi_ext = (uint32_t)strtoul(argv[4], NULL, 0);
	lo_t = strtoll(argv[5], NULL, 10);
	hi_t = strtoll(argv[6], NULL, 10);
	w = calloc((size_t)n, sizeof(*w));
	for (k = 0; k <= KINDS; k++)
		us[k] = calloc((size_t)n, sizeof(long long));
	if (!w || !us[KINDS] || pgc_connect(&p, argv[1])) {
		fprintf(stderr, "bench_central: %s\n", p.err);
		return 1;
	}
	srand(7);
	hits = sample(&p, n / 3 + 1, w);
	if (hits <= 0) {
		fprintf(stderr, "bench_central: no holdings to sample (%s)\n",
			p.err);
		return 1;
	}
	for (i = 0; i < n; i++) {
		k = i % KINDS;
		if (k == HIT) {
			struct want *h = &w[(i / KINDS) % hits];

			ext = h->ext;
			port = (uint16_t)(h->first +
					  rnd(h->last - h->first + 1));
			t = h->assigned + rnd(h->released - h->assigned);
		} else {
			ext = k == MISS ? hi_ext + 65536 + (uint32_t)rnd(4096)
					: lo_ext + (uint32_t)rnd(hi_ext -
								 lo_ext + 1);
			port = (uint16_t)(1024 + rnd(64512));
			t = lo_t + rnd(hi_t - lo_t);
		}
		memset(&s, 0, sizeof(s));
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (central_lookup(&p, ext, port, t, t, count, &s) < 0) {
			fprintf(stderr, "bench_central: %s\n", p.err);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		if ((k == HIT &&
		     (s.n != 1 ||
		      s.assigned != w[(i / KINDS) % hits].assigned)) ||
		    (k == MISS && s.n != 0)) {
			if (bad++ < 5)
				fprintf(stderr,
					"bench_central: wrong answer: %s "
					"lookup "
					"%u:%u at %lld found %d\n",
					kind_name[k], ext, port, t, s.n);
		}
		us[k][nk[k]++] = us[KINDS][all++] =
			(b.tv_sec - a.tv_sec) * 1000000LL +
			(b.tv_nsec - a.tv_nsec) / 1000;
	}
	f = fopen(argv[7], "w");
	if (!f) {
		perror(argv[7]);
		return 1;
	}
	printf("%-36s %8s %9s %9s %9s\n", "central lookup (us)", "n", "p50",
	       "p99", "max");
	fprintf(f, "{");
	for (k = 0; k < KINDS; k++) {
		report(f, kind_name[k], us[k], nk[k]);
		fprintf(f, ",");
	}
	report(f, "all", us[KINDS], all);
	fprintf(f, ",\"wrong\":%d}\n", bad);
	fclose(f);
	pgc_close(&p);
	if (bad)
		fprintf(stderr, "bench_central: %d wrong answers\n", bad);
	return bad ? 1 : 0;
}
