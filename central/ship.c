// SPDX-License-Identifier: GPL-2.0
/*
 * ship.c - see ship.h. One loop: (re)connect with backoff, check the
 * schema, register the node and learn its high-water mark; then read
 * the queue after the mark, COPY the rows into the session's temporary
 * ship_stage and apply them with cgnat.ship_apply(), which writes the
 * rows and the new mark in one transaction. A crash anywhere before the
 * COMMIT leaves PostgreSQL without the batch and the mark where it was;
 * after it, the mark says the batch is in: the next start reads the
 * mark and resends nothing twice. Problems are logged once per change
 * of message, not once per retry.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "central/central.h"
#include "central/ship.h"
#include "central/ship_batch.h"
#include "daemon/log.h"

#define SHIP_BATCH_ROWS 100000
#define SHIP_IDLE_MS 200
#define SHIP_TIMEOUT_MS 30000

struct ship {
	char url[1024];
	char node[CENTRAL_NODE_MAX + 1];
	char db_path[512];
	pthread_t thread;
	int stop[2]; /* pipe: written to stop */
	pthread_mutex_t mu;
	struct ship_stats s; /* under mu */
	/* thread only */
	struct store *st;
	struct pgc p;
	int64_t epoch, hwm; /* hwm -1 until known */
	int64_t det_top; /* layout rows PostgreSQL has; -1 until known */
	char node_id[8];
	int64_t day_lo, day_hi; /* partitions known to exist */
	/* The batch being shipped, and the next one, read from SQLite
	 * while PostgreSQL applies the first (valid when next_ok). */
	struct ship_batch bufs[2], *cur, *next;
	int next_ok;
};

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Sleep @ms unless asked to stop; 1 when stopping. */
static int nap(struct ship *sh, int ms)
{
	struct pollfd f = {.fd = sh->stop[0], .events = POLLIN};

	return poll(&f, 1, ms) > 0;
}

static void report(struct ship *sh, const char *msg)
{
	int changed;

	pthread_mutex_lock(&sh->mu);
	changed = strcmp(sh->s.error, msg) != 0;
	if (changed)
		snprintf(sh->s.error, sizeof(sh->s.error), "%s", msg);
	sh->s.connected = sh->p.conn != NULL && sh->hwm >= 0;
	sh->s.failures++;
	pthread_mutex_unlock(&sh->mu);
	if (changed)
		log_warnx("central log (node %s): %s; rows stay queued "
			  "locally and ship when it works again",
			  sh->node, msg);
}

static void day_text(int64_t day, char *buf, size_t len)
{
	time_t t = (time_t)(day * 86400);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
}

static int ensure_days(struct ship *sh, int64_t lo, int64_t hi)
{
	char a[16], b[16];
	const char *v[2] = {a, b};
	PGresult *r;

	if (sh->day_lo <= sh->day_hi) { /* keep the known range contiguous */
		lo = lo < sh->day_lo ? lo : sh->day_lo;
		hi = hi > sh->day_hi ? hi : sh->day_hi;
	}
	day_text(lo, a, sizeof(a));
	day_text(hi, b, sizeof(b));
	r = pgc_exec(&sh->p,
		     "SELECT cgnat.ensure_partitions($1::date, $2::date)", 2, v,
		     PGRES_TUPLES_OK);
	if (!r)
		return -1;
	PQclear(r);
	sh->day_lo = lo;
	sh->day_hi = hi;
	return 0;
}

/* Register the node, learn its mark; a new local log resets it. */
static int register_node(struct ship *sh)
{
	char ep[24];
	const char *v[2] = {sh->node, ep};
	PGresult *r;
	int64_t their;

	snprintf(ep, sizeof(ep), "%" PRId64, sh->epoch);
	if (pgc_cmd(&sh->p,
		    "INSERT INTO cgnat.nodes (name, epoch) VALUES ($1, $2) "
		    "ON CONFLICT (name) DO NOTHING",
		    2, v))
		return -1;
	r = pgc_exec(&sh->p,
		     "SELECT id, epoch, hwm FROM cgnat.nodes WHERE name = $1",
		     1, v, PGRES_TUPLES_OK);
	if (!r)
		return -1;
	snprintf(sh->node_id, sizeof(sh->node_id), "%s", PQgetvalue(r, 0, 0));
	their = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	sh->hwm = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
	PQclear(r);
	if (their == sh->epoch)
		return 0;
	log_warnx("central log: node %s was shipped from another local log "
		  "(epoch %" PRId64 ", now %" PRId64 "): a new database on "
		  "this box, or two boxes with one node name; shipping this "
		  "log from its start",
		  sh->node, their, sh->epoch);
	v[0] = sh->node_id;
	if (pgc_cmd(&sh->p,
		    "UPDATE cgnat.nodes SET epoch = $2, hwm = 0, "
		    "applied_top = 0 WHERE id = $1",
		    2, v))
		return -1;
	sh->hwm = 0;
	return 0;
}

static int session_start(struct ship *sh)
{
	int64_t today = wall_ms() / SHIP_DAY_MS;

	sh->hwm = -1;
	sh->det_top = -1;
	sh->day_lo = 1;
	sh->day_hi = 0;
	if (pgc_connect(&sh->p, sh->url) || central_schema_check(&sh->p) ||
	    register_node(sh) ||
	    pgc_cmd(&sh->p,
		    "CREATE TEMPORARY TABLE IF NOT EXISTS ship_stage "
		    "(" SHIP_STAGE_COLS ") ON COMMIT DELETE ROWS",
		    -1, NULL) ||
	    ensure_days(sh, today - 1, today + 3)) {
		sh->hwm = -1;
		pgc_close(&sh->p);
		return -1;
	}
	return 0;
}

static int add_row(const struct store_ship_row *r, void *ctx)
{
	return ship_batch_add(ctx, r);
}

/* Read the queue after @after into @b, ready to send: rows, or -1. */
static int read_batch(struct ship *sh, int64_t after, struct ship_batch *b)
{
	int n;

	ship_batch_reset(b);
	n = store_ship_read(sh->st, after, SHIP_BATCH_ROWS, add_row, b);
	if (n > 0)
		ship_batch_finish(b);
	return n;
}

/*
 * The batch sh->cur in one transaction; its new mark in sh->hwm. While
 * PostgreSQL applies a full batch, the next one is read into sh->next
 * (the two cores work at once); it is kept only if the mark is the last
 * seq of this batch, as it is unless another shipper of this node moved
 * it: what is shipped always starts right after PostgreSQL's mark.
 */
static int ship_one(struct ship *sh)
{
	char ep[24], first[24];
	const char *v[3] = {sh->node_id, ep, first};
	int64_t today = wall_ms() / SHIP_DAY_MS;
	struct ship_batch *b = sh->cur;
	PGresult *r;

	sh->next_ok = 0;
	if (today + 2 > sh->day_hi && ensure_days(sh, today, today + 3))
		return -1;
	if (b->min_day <= b->max_day &&
	    (b->min_day < sh->day_lo || b->max_day > sh->day_hi) &&
	    ensure_days(sh, b->min_day, b->max_day))
		return -1;
	snprintf(ep, sizeof(ep), "%" PRId64, sh->epoch);
	snprintf(first, sizeof(first), "%" PRId64, b->first_seq);
	if (pgc_cmd(&sh->p, "BEGIN", -1, NULL) ||
	    pgc_copy(&sh->p, "COPY ship_stage FROM STDIN", b->buf, b->len) ||
	    pgc_send(&sh->p, "SELECT cgnat.ship_apply($1::smallint, $2, $3)", 3,
		     v))
		goto fail;
	if (b->rows == SHIP_BATCH_ROWS)
		sh->next_ok = read_batch(sh, b->last_seq, sh->next) > 0;
	r = pgc_result(&sh->p, PGRES_TUPLES_OK);
	if (!r)
		goto fail;
	sh->hwm = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	if (pgc_cmd(&sh->p, "COMMIT", -1, NULL)) {
		/* Committed or not: the mark we read back next time says. */
		sh->hwm = -1;
		sh->next_ok = 0;
		pgc_close(&sh->p);
		return -1;
	}
	if (sh->hwm != b->last_seq)
		sh->next_ok = 0;
	return 0;
fail:
	pgc_close(&sh->p); /* the server rolls the transaction back */
	sh->hwm = -1;
	sh->next_ok = 0;
	return -1;
}

/* Counters for status and metrics, from the local queue and the mark. */
static void publish(struct ship *sh, int shipped)
{
	int64_t last = 0, first = 0, t = -1, after;

	if (store_ship_last(sh->st, &last) ||
	    store_ship_first(sh->st, 0, &first, &t))
		return;
	pthread_mutex_lock(&sh->mu);
	after = sh->hwm >= 0 ? sh->hwm : sh->s.acked_seq;
	pthread_mutex_unlock(&sh->mu);
	after = ship_read_after(after, first);
	if (store_ship_first(sh->st, after, &first, &t))
		return;
	pthread_mutex_lock(&sh->mu);
	sh->s.connected = sh->p.conn != NULL && sh->hwm >= 0;
	if (sh->hwm >= 0)
		sh->s.acked_seq = sh->hwm;
	sh->s.last_seq = last;
	sh->s.rows_behind = ship_rows_behind(last, after);
	sh->s.oldest_ms = first ? t : -1;
	if (shipped) {
		sh->s.rows_shipped += (uint64_t)shipped;
		sh->s.batches++;
	}
	pthread_mutex_unlock(&sh->mu);
}

static void recovered(struct ship *sh)
{
	int was;

	pthread_mutex_lock(&sh->mu);
	was = sh->s.error[0] != '\0';
	sh->s.error[0] = '\0';
	pthread_mutex_unlock(&sh->mu);
	log_info("central log: connected to %s as node %s (mark %" PRId64 ")%s",
		 PQhost(sh->p.conn) ? PQhost(sh->p.conn) : "?", sh->node,
		 sh->hwm, was ? "; shipping the backlog" : "");
}

static int open_local(struct ship *sh)
{
	char err[256], msg[320];

	while (store_open_ro(sh->db_path, &sh->st, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "local log: %s", err);
		report(sh, msg);
		if (nap(sh, 1000))
			return -1;
	}
	if (store_ship_epoch(sh->st, &sh->epoch)) {
		report(sh, store_errmsg(sh->st));
		return -1;
	}
	return 0;
}

static void *ship_main(void *arg)
{
	struct ship *sh = arg;
	int backoff = 0, n;

	if (open_local(sh))
		return NULL;
	for (;;) {
		if (!sh->p.conn) {
			publish(sh, 0);
			if (session_start(sh)) {
				report(sh, sh->p.err);
				backoff = ship_backoff_next(backoff);
				if (nap(sh, backoff))
					break;
				continue;
			}
			backoff = 0;
			recovered(sh);
		}
		if (sh->next_ok) { /* read while the last batch applied */
			struct ship_batch *t = sh->cur;

			sh->cur = sh->next;
			sh->next = t;
			sh->next_ok = 0;
			n = sh->cur->rows;
		} else {
			n = read_batch(sh, sh->hwm, sh->cur);
		}
		if (n < 0) {
			report(sh, store_errmsg(sh->st));
			if (nap(sh, 1000))
				break;
			continue;
		}
		if (n > 0 && ship_one(sh)) {
			report(sh, sh->p.err);
			continue;
		}
		/* Layout rows when the queue is drained: rare, and a lookup
		 * of a deterministic pool needs only the version in force.
		 * Published after them, so "0 rows behind" means the layouts
		 * are in too (ship_feed stops on it). */
		if (n < SHIP_BATCH_ROWS &&
		    central_det_ship(&sh->p, sh->st, sh->node_id, sh->epoch,
				     &sh->det_top) < 0) {
			publish(sh, n); /* the batch itself is in */
			report(sh, sh->p.err);
			pgc_close(&sh->p);
			sh->hwm = -1;
			if (nap(sh, 1000))
				break;
			continue;
		}
		publish(sh, n);
		if (n < SHIP_BATCH_ROWS && nap(sh, SHIP_IDLE_MS))
			break;
		if (n == SHIP_BATCH_ROWS && nap(sh, 0))
			break;
	}
	pgc_close(&sh->p);
	return NULL;
}

int ship_start(struct ship **out, const char *url, const char *node,
	       const char *db_path, char *err, size_t len)
{
	struct ship *sh = calloc(1, sizeof(*sh));
	int rc;

	*out = NULL;
	if (!sh)
		return -ENOMEM;
	snprintf(sh->url, sizeof(sh->url), "%s", url);
	snprintf(sh->node, sizeof(sh->node), "%s", node);
	snprintf(sh->db_path, sizeof(sh->db_path), "%s", db_path);
	sh->hwm = -1;
	sh->s.acked_seq = -1;
	sh->s.oldest_ms = -1;
	sh->p.stop_fd = -1;
	sh->p.timeout_ms = SHIP_TIMEOUT_MS;
	ship_batch_init(&sh->bufs[0]);
	ship_batch_init(&sh->bufs[1]);
	sh->cur = &sh->bufs[0];
	sh->next = &sh->bufs[1];
	pthread_mutex_init(&sh->mu, NULL);
	if (pipe(sh->stop)) {
		rc = -errno;
		snprintf(err, len, "central log: pipe: %s", strerror(errno));
		free(sh);
		return rc;
	}
	sh->p.stop_fd = sh->stop[0];
	rc = pthread_create(&sh->thread, NULL, ship_main, sh);
	if (rc) {
		snprintf(err, len, "central log: thread: %s", strerror(rc));
		close(sh->stop[0]);
		close(sh->stop[1]);
		free(sh);
		return -rc;
	}
	*out = sh;
	return 0;
}

void ship_stop(struct ship *sh)
{
	if (!sh)
		return;
	if (write(sh->stop[1], "x", 1) != 1)
		log_warn("central log: stop");
	pthread_join(sh->thread, NULL);
	store_close(sh->st);
	ship_batch_free(&sh->bufs[0]);
	ship_batch_free(&sh->bufs[1]);
	close(sh->stop[0]);
	close(sh->stop[1]);
	pthread_mutex_destroy(&sh->mu);
	free(sh);
}

void ship_get_stats(struct ship *sh, struct ship_stats *out)
{
	pthread_mutex_lock(&sh->mu);
	*out = sh->s;
	pthread_mutex_unlock(&sh->mu);
}
