// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark of the compliance log store: block-event write rate with
 * batching on a fresh database for several batch sizes, and on top of
 * the big one (what a commit makes durable is final: schema 5 writes
 * block events straight into their tables); the sustained rate over a
 * long run of writes on the big database (overall and steady state, the
 * last three quarters); lookup latency (p50/p99/max) of "who held
 * ext:port at T" and of subscriber history on an N-row database
 * (default 10M) opened read-only as cgnatctl does, bytes per block row
 * on disk, and the log volume per subscriber per day of port-block
 * logging against per-session logging, and the rate of per-session
 * events (log.session_events) the store sustains, on a fresh and a grown
 * log, and the point lookup of a session on a log of 5.6 hours. Prints a
 * table and writes the numbers as JSON. Files live in a temporary
 * directory that is removed at the end.
 *
 * Usage: bench_store [-n ROWS] [-q LOOKUPS] [-b BATCH] [-l LIVE] [-d DIR]
 *        [-o JSON] [JSON]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "logger/store.h"
#include "tests/bench/store_gen.h"

#define N_SWEEP 3 /* batch sizes tried on a fresh database */
#define SUSTAIN_OPS 1000000 /* events of the sustained run on the big db */
#define SESS_CREATES 2000000 /* sessions of the per-session event run */
#define SESS_LIVE 100000 /* of which open at once (-l) */
#define SESS_LOOK_ROWS 2000000 /* ended sessions of the lookup run */
#define SESS_LOOKUPS 2000 /* point lookups in it */

static const long sweep_batch[N_SWEEP] = { 1000, 10000, 100000 };

struct opts {
	long rows, lookups, batch, live;
	const char *dir, *json;
};

struct results {
	double fresh_ops_s[N_SWEEP], build_rows_s, big_ops_s, big_rows_s;
	double sustain_ops_s, sustain_steady_s, sustain_store_s;
	double commit_p50_ms, commit_p99_ms, commit_max_ms;
	double at_p50, at_p99, at_p999, at_max, miss_p99, hist_p50, hist_p99;
	double cold_p50, cold_p99;
	double hit_ratio, bytes_per_row, idx_bytes_per_row;
	double pba_bytes_day, pba_rows_day, sess_bytes_day, sess_rows_day;
	double sess_ev_s, sess_ev_grown_s, sess_at_p50, sess_at_p99;
	long rows;
	int64_t t_end;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, struct store *st, int ret)
{
	fprintf(stderr, "bench_store: %s: %s (%s)\n", what, strerror(-ret),
		st ? store_errmsg(st) : "");
	exit(1);
}

/* Log one event through the store API. */
static int gen_step(struct store *st, struct gen *g)
{
	struct store_block b;
	int assign = gen_next(g, &b), ret;

	if (assign)
		ret = store_block_assign(st, &b, NULL);
	else
		ret = store_block_release(st, b.ext_addr, b.port_first,
					  b.released_ms, STORE_REL_IDLE);
	if (ret < 0)
		die(assign ? "assign" : "release", st, ret);
	return assign;
}

/*
 * Log events until @rows block rows were assigned, committing every
 * @batch operations (an assign and a release count one each). Returns
 * the elapsed seconds; *ops gets the operations done.
 */
static double write_rows(struct store *st, struct gen *g, long rows, long batch,
			 long *ops)
{
	long done = 0, in_tx = 0;
	double t = now_s();
	int ret;

	*ops = 0;
	while (done < rows) {
		if (!in_tx && (ret = store_begin(st)) < 0)
			die("begin", st, ret);
		done += gen_step(st, g);
		if (++in_tx >= batch) {
			*ops += in_tx;
			in_tx = 0;
			if ((ret = store_commit(st)) < 0)
				die("commit", st, ret);
		}
	}
	if (in_tx && (ret = store_commit(st)) < 0)
		die("commit", st, ret);
	*ops += in_tx;
	return now_s() - t;
}

static void path_in(char *buf, size_t len, const char *dir, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static void remove_db(const char *path)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char p[600];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		unlink(p);
	}
}

static struct store *open_rw(const char *path)
{
	struct store *st;
	char err[256];

	if (store_open(path, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_store: %s\n", err);
		exit(1);
	}
	return st;
}

/* Write rate on a fresh database for each batch size of the sweep. */
static void bench_fresh(const struct opts *o, struct results *r, struct gen *g)
{
	long ops, rows = o->rows < 300000 ? o->rows : 300000;
	struct store *st;
	char path[512];
	double dt;
	int i;

	path_in(path, sizeof(path), o->dir, "fresh.db");
	for (i = 0; i < N_SWEEP; i++) {
		st = open_rw(path);
		init_gen(g);
		dt = write_rows(st, g, rows, sweep_batch[i], &ops);
		r->fresh_ops_s[i] = ops / dt;
		store_close(st);
		remove_db(path);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *v, long n, double p)
{
	long i = (long)(p * (double)(n - 1));

	return v[i];
}

static int count_cb(const struct store_block *b, void *ctx)
{
	(void)b;
	(*(long *)ctx)++;
	return 0;
}

/* One pass of point lookups at random (ext, port, T) over the whole
 * history; latencies into @lat (microseconds), sorted. Returns hits. */
static long lookup_pass(long n, const struct results *r, struct store *ro,
			double *lat)
{
	long i, hits = 0, found;
	double t;
	int ret;

	for (i = 0; i < n; i++) {
		uint32_t ext = EXT_BASE + (uint32_t)(rnd() % N_EXT);
		uint16_t port = (uint16_t)(1024 + rnd() % (65536 - 1024));
		int64_t at = T_START +
			     (int64_t)(rnd() % (uint64_t)(r->t_end - T_START));

		found = 0;
		t = now_s();
		ret = store_lookup_at(ro, ext, port, at, count_cb, &found);
		lat[i] = (now_s() - t) * 1e6;
		if (ret < 0)
			die("lookup", ro, ret);
		hits += found > 0;
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp_double);
	return hits;
}

/*
 * The same query sequence twice: the first pass reads index pages the
 * page cache may not hold (this VM's DAMON reclaim evicts idle file
 * pages within seconds), the second finds them resident.
 */
static void bench_lookups(const struct opts *o, struct results *r,
			  struct store *ro)
{
	double *lat = calloc((size_t)o->lookups, sizeof(*lat));
	uint64_t seed = rng;
	long hits;

	if (!lat)
		die("calloc", NULL, -ENOMEM);
	lookup_pass(o->lookups, r, ro, lat);
	r->cold_p50 = pct(lat, o->lookups, 0.50);
	r->cold_p99 = pct(lat, o->lookups, 0.99);
	rng = seed;
	hits = lookup_pass(o->lookups, r, ro, lat);
	r->at_p50 = pct(lat, o->lookups, 0.50);
	r->at_p99 = pct(lat, o->lookups, 0.99);
	r->at_p999 = pct(lat, o->lookups, 0.999);
	r->at_max = lat[o->lookups - 1];
	r->hit_ratio = (double)hits / (double)o->lookups;
	free(lat);
}

/* Misses (an address outside the pool) and one-day subscriber history. */
static void bench_misc(const struct opts *o, struct results *r,
		       struct store *ro)
{
	long n = o->lookups / 10 > 100 ? o->lookups / 10 : 100, i, found;
	double *miss = calloc((size_t)n, sizeof(double));
	double *hist = calloc((size_t)n, sizeof(double)), t;
	int ret;

	if (!miss || !hist)
		die("calloc", NULL, -ENOMEM);
	for (i = 0; i < n; i++) {
		int64_t at = T_START +
			     (int64_t)(rnd() % (uint64_t)(r->t_end - T_START));
		uint32_t sub = SUB_BASE + (uint32_t)(rnd() % (N_EXT << 10));

		t = now_s();
		ret = store_lookup_at(ro, EXT_BASE + 200, 5000, at, NULL, NULL);
		miss[i] = (now_s() - t) * 1e6;
		found = 0;
		t = now_s();
		if (ret >= 0)
			ret = store_history(ro, sub, at, at + DAY_MS, count_cb,
					    &found);
		hist[i] = (now_s() - t) * 1e6;
		if (ret < 0)
			die("history", ro, ret);
	}
	qsort(miss, (size_t)n, sizeof(double), cmp_double);
	qsort(hist, (size_t)n, sizeof(double), cmp_double);
	r->miss_p99 = pct(miss, n, 0.99);
	r->hist_p50 = pct(hist, n, 0.50);
	r->hist_p99 = pct(hist, n, 0.99);
	free(miss);
	free(hist);
}

static void raw_exec(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_store: %s: %s\n", sql,
			sqlite3_errmsg(db));
		exit(1);
	}
}

/* Insert one closed holding (into blocks) or open one (open_blocks),
 * as the store would write it. */
static void bulk_row(sqlite3_stmt *ins, const struct store_block *b)
{
	sqlite3_bind_int64(ins, 1, b->id);
	sqlite3_bind_int64(ins, 2, b->sub_addr);
	sqlite3_bind_int64(ins, 3, b->ext_addr);
	sqlite3_bind_int(ins, 4, b->port_first);
	sqlite3_bind_int(ins, 5, b->port_last);
	sqlite3_bind_int64(ins, 6, b->assigned_ms);
	if (b->released_ms != STORE_MS_NONE)
		sqlite3_bind_int64(ins, 7, b->released_ms);
	if (sqlite3_step(ins) != SQLITE_DONE)
		die("bulk insert", NULL, -EIO);
	sqlite3_reset(ins);
}

static sqlite3_stmt *bulk_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		die("prepare bulk insert", NULL, -EIO);
	return s;
}

/* Rows for @rows holdings in release order, then the open ones; ids in
 * assign order, as the writer hands them out. Returns the next id. */
static int64_t bulk_rows(sqlite3 *db, struct gen *g, long rows)
{
	static int64_t slot_id[N_SLOT];
	sqlite3_stmt *closed, *open;
	int64_t next_id = 1;
	struct store_block b;
	long assigned = 0;
	int s;

	closed = bulk_prepare(db,
		"INSERT INTO blocks (id, instance, pool_id, pool, sub_addr, "
		"ext_addr, port_first, port_last, assigned_ms, released_ms, "
		"release_reason, rel_hour) VALUES (?1, 1, 1, 'default', ?2, "
		"?3, ?4, ?5, ?6, ?7, 1, ?7 / 3600000)");
	open = bulk_prepare(db,
		"INSERT INTO open_blocks (id, instance, pool_id, pool, "
		"sub_addr, ext_addr, port_first, port_last, assigned_ms) "
		"VALUES (?1, 1, 1, 'default', ?2, ?3, ?4, ?5, ?6)");
	while (assigned < rows) {
		int assign = gen_next(g, &b);

		s = (int)(b.ext_addr - EXT_BASE) * N_SLOT_PER_EXT +
		    (b.port_first - 1024) / BLOCK;
		if (assign) {
			slot_id[s] = next_id++;
			assigned++;
			continue;
		}
		b.id = slot_id[s];
		bulk_row(closed, &b);
	}
	for (s = 0; s < N_SLOT; s++) {
		if (!g->slots[s].held)
			continue;
		b.id = slot_id[s];
		b.ext_addr = EXT_BASE + (uint32_t)(s / N_SLOT_PER_EXT);
		b.port_first = (uint16_t)(1024 + (s % N_SLOT_PER_EXT) * BLOCK);
		b.port_last = (uint16_t)(b.port_first + BLOCK - 1);
		b.sub_addr = g->slots[s].sub;
		b.assigned_ms = g->slots[s].assigned_ms;
		b.released_ms = STORE_MS_NONE;
		bulk_row(open, &b);
	}
	sqlite3_finalize(closed);
	sqlite3_finalize(open);
	return next_id;
}

/*
 * Build the big database fast: the store creates the schema, then the
 * secondary indexes of blocks and open_blocks are dropped, the rows
 * loaded in one transaction (blocks in release order, its key order) and
 * the indexes rebuilt from their own CREATE statements (SQLite sorts
 * instead of inserting at random). meta.max_block_span and
 * meta.next_block_id are set as the store would.
 */
static void bulk_build(const char *path, struct gen *g, long rows)
{
	char *sql[8] = { 0 }, *name[8] = { 0 }, buf[160];
	int64_t next_id;
	sqlite3_stmt *s;
	sqlite3 *db;
	int n = 0, i;

	store_close(open_rw(path));
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die("open for build", NULL, -EIO);
	raw_exec(db, "PRAGMA synchronous = OFF; PRAGMA cache_size = -524288");
	if (sqlite3_prepare_v2(db,
			       "SELECT name, sql FROM sqlite_master WHERE "
			       "type = 'index' AND tbl_name IN ('blocks', "
			       "'open_blocks') AND sql IS NOT NULL",
			       -1, &s, NULL) != SQLITE_OK)
		die("list indexes", NULL, -EIO);
	while (n < 8 && sqlite3_step(s) == SQLITE_ROW) {
		name[n] = strdup((const char *)sqlite3_column_text(s, 0));
		sql[n++] = strdup((const char *)sqlite3_column_text(s, 1));
	}
	sqlite3_finalize(s);
	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "DROP INDEX %s", name[i]);
		raw_exec(db, buf);
		free(name[i]);
	}
	raw_exec(db, "BEGIN");
	next_id = bulk_rows(db, g, rows);
	raw_exec(db, "COMMIT");
	for (i = 0; i < n; i++) {
		raw_exec(db, sql[i]);
		free(sql[i]);
	}
	snprintf(buf, sizeof(buf),
		 "UPDATE meta SET value = %lld WHERE key = 'next_block_id'",
		 (long long)next_id);
	raw_exec(db, buf);
	/* synchronous=FULL: the checkpoint fsyncs the file, so the build's
	 * own writeback (1.4 GB at 10M rows) does not land in the first
	 * timed commit's fsync (it cost one commit ~0.8 s). */
	raw_exec(db, "UPDATE meta SET value = 255 WHERE key = "
		     "'max_block_span'; PRAGMA synchronous = FULL; "
		     "PRAGMA wal_checkpoint(TRUNCATE)");
	sqlite3_close(db);
}

/* Size of the database after a checkpoint, and how much is indexes. */
static void measure_size(const char *path, struct results *r)
{
	sqlite3_stmt *s;
	sqlite3 *db;
	double total = 0, idx = 0;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		die("open for size", NULL, -EIO);
	sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	if (sqlite3_prepare_v2(db,
			       "SELECT name LIKE 'blocks_%', sum(pgsize) "
			       "FROM dbstat GROUP BY name",
			       -1, &s, NULL) != SQLITE_OK)
		die("dbstat", NULL, -EIO);
	while (sqlite3_step(s) == SQLITE_ROW) {
		total += sqlite3_column_double(s, 1);
		if (sqlite3_column_int(s, 0))
			idx += sqlite3_column_double(s, 1);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	r->bytes_per_row = total / (double)r->rows;
	r->idx_bytes_per_row = idx / (double)r->rows;
}

/* Bytes of the file in use: its free pages (which later writes reuse)
 * do not count. */
static long file_size(const char *path)
{
	sqlite3_stmt *s;
	sqlite3 *db;
	long n = 0;

	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "SELECT (p.page_count - f.freelist_count) * "
			       "s.page_size FROM pragma_page_count p, "
			       "pragma_freelist_count f, pragma_page_size s",
			       -1, &s, NULL) != SQLITE_OK)
		die("file size", NULL, -EIO);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/* Events of one commit, generated before its clock starts. */
static struct gen_ev {
	struct store_block b;
	int assign;
} *sustain_ev;

/* One commit of @n pre-generated events; its duration in seconds. */
static double sustain_commit(struct store *st, long n)
{
	double t = now_s();
	long i;
	int ret;

	if ((ret = store_begin(st)) < 0)
		die("begin", st, ret);
	for (i = 0; i < n; i++) {
		const struct store_block *b = &sustain_ev[i].b;

		ret = sustain_ev[i].assign ?
			      store_block_assign(st, b, NULL) :
			      store_block_release(st, b->ext_addr,
						  b->port_first, b->released_ms,
						  STORE_REL_IDLE);
		if (ret < 0)
			die("sustained write", st, ret);
	}
	if ((ret = store_commit(st)) < 0)
		die("commit", st, ret);
	return now_s() - t;
}

/*
 * SUSTAIN_OPS events on the big database, -b per commit, as cgnatd
 * writes them. Rates: over the whole run and over its last three
 * quarters (steady state: the first quarter still reads cold pages),
 * both with the generator's time counted, as earlier versions of this
 * bench did, and the store's alone (events / time in begin..commit).
 */
static void bench_sustain(const struct opts *o, struct results *r,
			  struct store *st, struct gen *g)
{
	long n = (SUSTAIN_OPS + o->batch - 1) / o->batch, i, k, done = 0;
	double *commit = calloc((size_t)n, sizeof(*commit));
	double t = now_s(), t_q = 0, in_store = 0;
	long done_q = 0;

	sustain_ev = calloc((size_t)o->batch, sizeof(*sustain_ev));
	if (!commit || !sustain_ev)
		die("calloc", NULL, -ENOMEM);
	for (i = 0; i < n; i++) {
		for (k = 0; k < o->batch; k++)
			sustain_ev[k].assign = gen_next(g, &sustain_ev[k].b);
		commit[i] = sustain_commit(st, o->batch);
		in_store += commit[i];
		done += o->batch;
		if (!t_q && done >= SUSTAIN_OPS / 4) {
			t_q = now_s();
			done_q = done;
		}
	}
	r->sustain_ops_s = done / (now_s() - t);
	r->sustain_steady_s = (done - done_q) / (now_s() - t_q);
	r->sustain_store_s = done / in_store;
	qsort(commit, (size_t)n, sizeof(*commit), cmp_double);
	r->commit_p50_ms = pct(commit, n, 0.50) * 1e3;
	r->commit_p99_ms = pct(commit, n, 0.99) * 1e3;
	r->commit_max_ms = commit[n - 1] * 1e3;
	free(commit);
	free(sustain_ev);
}

/* Build the big database, measure it, then keep writing on top of it. */
static void bench_big(const struct opts *o, struct results *r, struct gen *g)
{
	long ops, more = o->rows < 200000 ? o->rows : 200000;
	struct store *st, *ro;
	char path[512], err[256];
	double dt;

	path_in(path, sizeof(path), o->dir, "big.db");
	init_gen(g);
	dt = now_s();
	bulk_build(path, g, o->rows);
	r->build_rows_s = o->rows / (now_s() - dt);
	r->rows = o->rows;
	r->t_end = g->last_ms;
	measure_size(path, r);

	if (store_open_ro(path, &ro, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_store: %s\n", err);
		exit(1);
	}
	bench_lookups(o, r, ro);
	bench_misc(o, r, ro);
	store_close(ro);

	st = open_rw(path);
	dt = write_rows(st, g, more, o->batch, &ops);
	r->big_ops_s = ops / dt;
	r->big_rows_s = more / dt;
	bench_sustain(o, r, st, g);
	store_close(st);
	remove_db(path);
}

/* One day of S subscribers logged per block (2 to 4 blocks each). */
static void bench_pba_day(const struct opts *o, struct results *r, int subs)
{
	struct store_block b = { .instance = 1,
				 .pool_id = 1,
				 .pool = "default" };
	long rows = 0;
	struct store *st;
	char path[512];
	int i, k, n;

	path_in(path, sizeof(path), o->dir, "pba.db");
	st = open_rw(path);
	store_begin(st);
	for (i = 0; i < subs; i++) {
		n = 2 + (int)(rnd() % 3);
		for (k = 0; k < n; k++, rows++) {
			b.sub_addr = SUB_BASE + (uint32_t)i;
			b.ext_addr = EXT_BASE + (uint32_t)(i % N_EXT);
			b.port_first =
				(uint16_t)(1024 + (i / N_EXT % 250) * 256);
			b.port_last = (uint16_t)(b.port_first + 255);
			b.assigned_ms = T_START + k * (DAY_MS / n);
			b.released_ms = STORE_MS_NONE;
			if (store_block_assign(st, &b, NULL) < 0 ||
			    store_block_release(st, b.ext_addr, b.port_first,
						b.assigned_ms + DAY_MS / n - 1,
						STORE_REL_IDLE) < 0)
				die("pba day", st, -EIO);
		}
	}
	store_commit(st);
	store_close(st);
	r->pba_rows_day = (double)rows / subs;
	r->pba_bytes_day = (double)file_size(path) / subs;
	remove_db(path);
}

/* The same day logged per session: one row per session (create+delete
 * folded into one row, the most favourable per-session layout), indexed
 * for the same two questions. */
static void bench_session_day(const struct opts *o, struct results *r, int subs,
			      int sessions)
{
	static const char *const ddl =
		"PRAGMA journal_mode = WAL; CREATE TABLE sessions (id INTEGER "
		"PRIMARY KEY, instance INTEGER, sub_addr INTEGER, ext_addr "
		"INTEGER, ext_port INTEGER, proto INTEGER, start_ms INTEGER, "
		"end_ms INTEGER); CREATE INDEX s_ext ON sessions (ext_addr, "
		"ext_port, start_ms); CREATE INDEX s_sub ON sessions "
		"(sub_addr, start_ms); BEGIN";
	sqlite3_stmt *s;
	char path[512];
	sqlite3 *db;
	long i;

	path_in(path, sizeof(path), o->dir, "sessions.db");
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, ddl, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "INSERT INTO sessions VALUES (NULL, 1, ?1, ?2, "
			       "?3, ?4, ?5, ?6)",
			       -1, &s, NULL) != SQLITE_OK)
		die("session db", NULL, -EIO);
	for (i = 0; i < (long)subs * sessions; i++) {
		int64_t t = T_START + (int64_t)(rnd() % DAY_MS);

		sqlite3_bind_int64(s, 1, SUB_BASE + i / sessions);
		sqlite3_bind_int64(s, 2, EXT_BASE + (i / sessions) % N_EXT);
		sqlite3_bind_int(s, 3, 1024 + (int)(rnd() % 64512));
		sqlite3_bind_int(s, 4, rnd() % 4 ? 6 : 17);
		sqlite3_bind_int64(s, 5, t);
		sqlite3_bind_int64(s, 6, t + (int64_t)(rnd() % 600000));
		sqlite3_step(s);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	sqlite3_exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL,
		     NULL);
	sqlite3_close(db);
	r->sess_rows_day = sessions;
	r->sess_bytes_day = (double)file_size(path) / subs;
	remove_db(path);
}

/* Session i: 4000 subscribers, each on one external address (paired
 * pooling), external ports at random as the data plane picks them (RFC
 * 6056): every index key lands anywhere in its index, as in a real log.
 * The remote endpoint alone tells sessions apart (unique over 12.5M).
 */
static void sess_row(long i, struct store_session *x)
{
	uint32_t sub = (uint32_t)(i % 4000);

	memset(x, 0, sizeof(*x));
	x->instance = 1;
	x->proto = i % 4 ? 6 : 17;
	x->int_addr = SUB_BASE + sub;
	x->int_port = (uint16_t)(1024 + i % 60000);
	x->ext_addr = EXT_BASE + sub % N_EXT;
	x->ext_port = (uint16_t)(1024 + ((uint32_t)i * 2654435761u >> 8) %
						64512);
	x->rem_addr = 0xc6336400u + (uint32_t)(i % 251);
	x->rem_port = (uint16_t)(1 + i % 50000);
	x->start_ms = T_START + i / 100; /* 100k sessions a second */
	x->end_ms = STORE_MS_NONE;
}

/*
 * The per-session log (log.session_events) through the store API, as
 * cgnatd writes it: every create opens a row, and once -l (SESS_LIVE) are
 * open each create also closes the oldest (a delete event), -b events
 * per commit. The rate the log sustains, events (creates and deletes)
 * per second: above it cgnatd's rings overrun and lose events.
 */
static void bench_sess_events(const struct opts *o, struct results *r)
{
	long i, ev = 0, in_tx = 0, ev_half = 0;
	struct store_session x;
	struct store *st;
	char path[512];
	double t, t_half = 0;
	int ret;

	path_in(path, sizeof(path), o->dir, "sessev.db");
	st = open_rw(path);
	t = now_s();
	for (i = 0; i < SESS_CREATES; i++) {
		if (!in_tx && (ret = store_begin(st)) < 0)
			die("begin", st, ret);
		if (i == SESS_CREATES / 2) {	/* the log has grown */
			t_half = now_s();
			ev_half = ev;
		}
		sess_row(i, &x);
		if ((ret = store_sess_open(st, &x)) < 0)
			die("session open", st, ret);
		in_tx++;
		if (i >= o->live) {
			sess_row(i - o->live, &x);
			ret = store_sess_close(st, &x, T_START + i / 100,
					       STORE_SESS_EXPIRED);
			if (ret != 0) /* 1: no open row, a generator bug */
				die("session close", st, ret < 0 ? ret : -ENOENT);
			in_tx++;
		}
		if (in_tx >= o->batch) {
			ev += in_tx;
			in_tx = 0;
			if ((ret = store_commit(st)) < 0)
				die("commit", st, ret);
		}
	}
	if (in_tx && (ret = store_commit(st)) < 0)
		die("commit", st, ret);
	ev += in_tx;
	r->sess_ev_s = ev / (now_s() - t);
	r->sess_ev_grown_s = (ev - ev_half) / (now_s() - t_half);
	store_close(st);
	remove_db(path);
}

static int sess_count_cb(const struct store_session *x, void *ctx)
{
	(void)x;
	(*(long *)ctx)++;
	return 0;
}

/*
 * "Which sessions used ext:port at T" (cgnatctl sessions-log --at) on a
 * log of SESS_LOOK_ROWS ended sessions spread over 5.6 hours (one each
 * 10 ms, 5 % of them longer than three hours), so that a point lookup
 * probes every end second it can (10,801) as in a log of a day or more.
 * The rows are made in SQL, not through the writer (not timed). Each
 * lookup asks for a session it knows, at an instant inside it.
 */
static void bench_sess_lookup(const struct opts *o, struct results *r)
{
	double *lat = calloc(SESS_LOOKUPS, sizeof(*lat)), t;
	char path[512], sql[1024], err[256];
	struct store *st;
	long i, found;
	sqlite3 *db;
	int ret;

	if (!lat)
		die("calloc", NULL, -ENOMEM);
	path_in(path, sizeof(path), o->dir, "sesslook.db");
	store_close(open_rw(path));
	snprintf(sql, sizeof(sql),
		 "INSERT INTO sessions (ext_addr, ext_port, proto, rem_addr, "
		 "rem_port, int_addr, int_port, instance, flags, start_ms, "
		 "end_ms, end_reason) WITH RECURSIVE g(i) AS (SELECT 0 UNION "
		 "ALL SELECT i + 1 FROM g WHERE i < %d) SELECT %u + i %% 4000 "
		 "%% %d, 1024 + (i * 2654435761 >> 8) %% 64512, 6, %u + i %% "
		 "251, 1 + i %% 50000, %u + i %% 4000, 1024 + i %% 60000, 1, "
		 "0, %lld + i * 10, %lld + i * 10 + CASE WHEN i %% 20 = 0 THEN "
		 "14400000 ELSE i %% 300000 END, 1 FROM g",
		 SESS_LOOK_ROWS - 1, EXT_BASE, N_EXT, 0xc6336400u, SUB_BASE,
		 (long long)T_START, (long long)T_START);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(sqlite3_errmsg(db), NULL, -EIO);
	sqlite3_close(db);
	if (store_open_ro(path, &st, err, sizeof(err)) < 0)
		die(err, NULL, -EIO);
	for (i = 0; i < SESS_LOOKUPS; i++) {
		long k = (long)(rnd() % SESS_LOOK_ROWS);
		int64_t len = k % 20 ? k % 300000 : 14400000;
		int64_t at = T_START + k * 10;
		uint32_t ext = EXT_BASE + (uint32_t)(k % 4000 % N_EXT);
		uint16_t port = (uint16_t)(1024 + ((uint64_t)k * 2654435761u >>
						   8) % 64512);

		if (len)
			at += (int64_t)(rnd() % (uint64_t)len);
		found = 0;
		t = now_s();
		ret = store_sess_lookup(st, ext, port, at, at, sess_count_cb,
					&found);
		lat[i] = (now_s() - t) * 1e6;
		if (ret < 0)
			die("session lookup", st, ret);
		if (len && found < 1)
			die("session lookup: a known session not found", st,
			    -ENOENT);
	}
	qsort(lat, SESS_LOOKUPS, sizeof(*lat), cmp_double);
	r->sess_at_p50 = pct(lat, SESS_LOOKUPS, 0.5);
	r->sess_at_p99 = pct(lat, SESS_LOOKUPS, 0.99);
	store_close(st);
	remove_db(path);
	free(lat);
}

static void print_table(const struct opts *o, const struct results *r)
{
	int i;

	printf("store benchmark (SQLite %s, WAL, synchronous=FULL)\n",
	       sqlite3_libversion());
	printf("%-48s %14s\n", "metric", "value");
	for (i = 0; i < N_SWEEP; i++)
		printf("fresh db, batch %-6ld: write ops/s %22.0f\n",
		       sweep_batch[i], r->fresh_ops_s[i]);
	printf("%-48s %14.0f\n", "bulk build: rows/s (no API, indexes after)",
	       r->build_rows_s);
	printf("%-48s %14.0f\n", "big db: block rows/s (batch -b)",
	       r->big_rows_s);
	printf("%-48s %14.0f\n", "big db: write ops/s (batch -b)",
	       r->big_ops_s);
	printf("%-48s %14.0f\n", "big db: sustained events/s, whole run",
	       r->sustain_ops_s);
	printf("%-48s %14.0f\n", "big db: sustained events/s, last 3/4",
	       r->sustain_steady_s);
	printf("%-48s %14.0f\n", "big db: sustained events/s, store time only",
	       r->sustain_store_s);
	printf("%-48s %14.1f\n", "big db: commit p50 (ms, -b events)",
	       r->commit_p50_ms);
	printf("%-48s %14.1f\n", "big db: commit p99 (ms)", r->commit_p99_ms);
	printf("%-48s %14.1f\n", "big db: longest commit (ms)",
	       r->commit_max_ms);
	printf("%-48s %14ld\n", "batch (ops per commit)", o->batch);
	printf("%-48s %14ld\n", "rows in lookup db", r->rows);
	printf("%-48s %14.1f\n", "lookup_at first pass p50 (us)", r->cold_p50);
	printf("%-48s %14.1f\n", "lookup_at first pass p99 (us)", r->cold_p99);
	printf("%-48s %14.1f\n", "lookup_at p50 (us)", r->at_p50);
	printf("%-48s %14.1f\n", "lookup_at p99 (us)", r->at_p99);
	printf("%-48s %14.1f\n", "lookup_at p99.9 (us)", r->at_p999);
	printf("%-48s %14.1f\n", "lookup_at max (us)", r->at_max);
	printf("%-48s %14.3f\n", "lookup_at hit ratio", r->hit_ratio);
	printf("%-48s %14.1f\n", "lookup_at miss p99 (us, unknown address)",
	       r->miss_p99);
	printf("%-48s %14.1f\n", "history 1 day p50 (us)", r->hist_p50);
	printf("%-48s %14.1f\n", "history 1 day p99 (us)", r->hist_p99);
	printf("%-48s %14.1f\n", "bytes per block row (all)", r->bytes_per_row);
	printf("%-48s %14.1f\n", "  of which secondary indexes",
	       r->idx_bytes_per_row);
	printf("%-48s %14.1f\n", "PBA rows per subscriber-day",
	       r->pba_rows_day);
	printf("%-48s %14.0f\n", "PBA bytes per subscriber-day",
	       r->pba_bytes_day);
	printf("%-48s %14.0f\n", "per-session rows per subscriber-day",
	       r->sess_rows_day);
	printf("%-48s %14.0f\n", "per-session bytes per subscriber-day",
	       r->sess_bytes_day);
	printf("%-48s %14.0f\n", "per-session / PBA volume",
	       r->sess_bytes_day / r->pba_bytes_day);
	printf("session events/s (create+delete, -b, %7ld live) %11.0f\n",
	       o->live, r->sess_ev_s);
	printf("%-48s %14.0f\n", "  of them after 1M sessions (grown log)",
	       r->sess_ev_grown_s);
	printf("%-48s %14.0f\n", "session lookup --at p50 (us, 2M, 5.6 h)",
	       r->sess_at_p50);
	printf("%-48s %14.0f\n", "session lookup --at p99 (us)",
	       r->sess_at_p99);
}

static void write_json(const char *path, const struct opts *o,
		       const struct results *r)
{
	char parent[512], *slash;
	FILE *f;

	/* build/bench/store.json: create build/bench if it is missing. */
	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (slash) {
		*slash = '\0';
		mkdir(parent, 0755);
	}
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "bench_store: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	fprintf(f,
		"{\"sqlite\":\"%s\",\"rows\":%ld,\"batch\":%ld,"
		"\"lookups\":%ld,\n"
		" \"write\":{\"fresh_ops_per_s\":{\"batch_1000\":%.0f,"
		"\"batch_10000\":%.0f,\"batch_100000\":%.0f},"
		"\"build_rows_per_s\":%.0f,\"big_rows_per_s\":%.0f,"
		"\"big_ops_per_s\":%.0f},\n"
		" \"sustained\":{\"events\":%d,\"ops_per_s\":%.0f,"
		"\"steady_ops_per_s\":%.0f,\"store_ops_per_s\":%.0f,"
		"\"commit_p50_ms\":%.1f,\"commit_p99_ms\":%.1f,"
		"\"commit_max_ms\":%.1f},\n"
		" \"lookup_at_us\":{\"first_pass_p50\":%.1f,"
		"\"first_pass_p99\":%.1f,\"p50\":%.1f,\"p99\":%.1f,"
		"\"p999\":%.1f,"
		"\"max\":%.1f,\"hit_ratio\":%.3f,\"miss_p99\":%.1f},\n"
		" \"history_day_us\":{\"p50\":%.1f,\"p99\":%.1f},\n"
		" \"bytes_per_row\":%.1f,\"index_bytes_per_row\":%.1f,\n"
		" \"per_subscriber_day\":{\"pba_rows\":%.1f,\"pba_bytes\":%.0f,"
		"\"session_rows\":%.0f,\"session_bytes\":%.0f,"
		"\"ratio\":%.0f},\n"
		" \"session_live\":%ld,\"session_events_per_s\":%.0f,"
		"\"session_events_grown_per_s\":%.0f,\n"
		" \"session_lookup_at_us\":{\"p50\":%.0f,\"p99\":%.0f}}\n",
		sqlite3_libversion(), r->rows, o->batch, o->lookups,
		r->fresh_ops_s[0], r->fresh_ops_s[1], r->fresh_ops_s[2],
		r->build_rows_s, r->big_rows_s, r->big_ops_s, SUSTAIN_OPS,
		r->sustain_ops_s, r->sustain_steady_s, r->sustain_store_s,
		r->commit_p50_ms, r->commit_p99_ms, r->commit_max_ms,
		r->cold_p50,
		r->cold_p99, r->at_p50, r->at_p99, r->at_p999, r->at_max,
		r->hit_ratio, r->miss_p99, r->hist_p50, r->hist_p99,
		r->bytes_per_row, r->idx_bytes_per_row, r->pba_rows_day,
		r->pba_bytes_day, r->sess_rows_day, r->sess_bytes_day,
		r->sess_bytes_day / r->pba_bytes_day, o->live, r->sess_ev_s,
		r->sess_ev_grown_s, r->sess_at_p50, r->sess_at_p99);
	fclose(f);
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	int c;

	*o = (struct opts){ .rows = 10000000,
			    .lookups = 100000,
			    .batch = 10000,
			    .live = SESS_LIVE,
			    .dir = "/tmp" };
	while ((c = getopt(argc, argv, "n:q:b:l:d:o:")) != -1) {
		switch (c) {
		case 'n':
			o->rows = atol(optarg);
			break;
		case 'q':
			o->lookups = atol(optarg);
			break;
		case 'b':
			o->batch = atol(optarg);
			break;
		case 'l':
			o->live = atol(optarg);
			break;
		case 'd':
			o->dir = optarg;
			break;
		case 'o':
			o->json = optarg;
			break;
		default:
			return -EINVAL;
		}
	}
	/* tests/bench/run.sh passes the JSON path as the only operand. */
	if (optind < argc && !o->json)
		o->json = argv[optind++];
	if (optind < argc || o->rows < 1000 || o->lookups < 100 ||
	    o->batch < 1 || o->live < 1 || o->live >= SESS_CREATES)
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	struct gen *g = calloc(1, sizeof(*g));
	struct results r = { 0 };
	char dir[256];
	struct opts o;

	if (parse_opts(argc, argv, &o) < 0) {
		fprintf(stderr, "usage: bench_store [-n ROWS>=1000] "
				"[-q LOOKUPS>=100] [-b BATCH] "
				"[-l LIVE<2000000] [-d DIR] "
				"[-o JSON | JSON]\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/bench_store.XXXXXX", o.dir);
	if (!g || !mkdtemp(dir)) {
		perror("bench_store: setup");
		return 1;
	}
	o.dir = dir;
	bench_fresh(&o, &r, g);
	bench_big(&o, &r, g);
	bench_pba_day(&o, &r, 2000);
	bench_session_day(&o, &r, 500, 2000);
	bench_sess_events(&o, &r);
	bench_sess_lookup(&o, &r);
	rmdir(dir);
	print_table(&o, &r);
	if (o.json)
		write_json(o.json, &o, &r);
	free(g);
	return 0;
}
