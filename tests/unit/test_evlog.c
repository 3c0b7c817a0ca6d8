// SPDX-License-Identifier: GPL-2.0
/*
 * test_evlog.c - cgnatd's log keeping against a real SQLite file and a
 * block table in plain memory (what the pinned cgnat_blocks map holds):
 * events become rows in one batch per round; a release answers "not yet"
 * until its batch committed and 0 on the re-offer; a block logged twice
 * (reconciliation, then its event) stays one row; a holder we never saw
 * released is closed at the new holder's assign time; reconciliation adds
 * rows for held blocks with the table's assign time, closes rows of free
 * blocks at the table's release time (or now), replaces a row naming the
 * wrong subscriber, leaves blocks being taken and pending releases alone,
 * and closes everything as shutdown on new maps.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "daemon/cgnatd.h"
#include "logger/timefmt.h"

/* One address, 4 blocks of 256 ports from 1024: block n = 1024 + 256n. */
static const char yaml[] =
	"interfaces: { inside: in0, outside: out0 }\n"
	"subscribers: [100.64.0.0/10]\n"
	"pools:\n"
	"  - name: t\n"
	"    addresses: [203.0.113.7]\n"
	"ports: { range: 1024-2047, block_size: 256, max_blocks: 2 }\n"
	"log: { database: /unused }\n";

#define EXT 0xcb007107u
#define SUB_A 0x6440000au
#define SUB_B 0x6440000bu
#define SUB_C 0x6440000cu

struct t {
	char dir[64], path[96];
	struct cgnat_config cfg;
	struct dpconf dc;
	struct dprun run;
	struct cgnat_block blocks[4];
	struct evlog ev;
	struct store *st;
};

static uint64_t tai_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_TAI, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));
	char err[512];

	snprintf(t->dir, sizeof(t->dir), "/tmp/test_evlog.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/log.db", t->dir);
	assert_int_equal(cfg_load_string("t.yaml", yaml, strlen(yaml), &t->cfg,
					 err, sizeof(err)),
			 0);
	assert_int_equal(
		dpconf_build(&t->dc, &t->cfg, 0, NULL, err, sizeof(err)), 0);
	assert_int_equal(store_open(t->path, &t->st, err, sizeof(err)), 0);
	t->run.dp.v.blocks = t->blocks;
	t->ev = (struct evlog){
		.st = t->st, .cfg = &t->cfg, .run = &t->run, .dc = &t->dc};
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;
	char cmd[128];

	evlog_free(&t->ev);
	store_close(t->st);
	dpconf_free(&t->dc);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
	assert_int_equal(system(cmd), 0);
	free(t);
	return 0;
}

static struct cgnat_event evt(uint32_t type, uint32_t sub, uint32_t block,
			      uint64_t tai)
{
	return (struct cgnat_event){
		.time_tai_ns = tai,
		.type = type,
		.sub_addr = htonl(sub),
		.ext_addr = htonl(EXT),
		.block = block,
		.port_first = 1024 + 256 * block,
		.port_last = 1024 + 256 * block + 255,
		.value = CGNAT_REL_IDLE,
	};
}

static int deliver(struct t *t, const struct cgnat_event *e)
{
	return evlog_event(&t->ev, e, dprun_tai_to_utc_ms(e->time_tai_ns));
}

struct rows {
	struct store_block b[8];
	int n;
};

static int keep(const struct store_block *b, void *ctx)
{
	struct rows *r = ctx;

	if (r->n < 8)
		r->b[r->n] = *b;
	r->n++;
	return 0;
}

/* Every holding of the block, from a second (read-only) handle: only
 * what is committed. */
static struct rows committed(struct t *t, uint32_t block)
{
	struct rows r = {.n = 0};
	struct store *ro;
	char err[256];

	assert_int_equal(store_open_ro(t->path, &ro, err, sizeof(err)), 0);
	assert_true(store_lookup_range(ro, EXT, 1024 + 256 * block, 0,
				       TIMEFMT_MAX_MS, keep, &r) >= 0);
	store_close(ro);
	return r;
}

static void test_assign_batch(void **state)
{
	struct t *t = *state;
	struct cgnat_event a = evt(EVT_BLOCK_ASSIGNED, SUB_A, 1, tai_now());
	struct rows r;

	assert_int_equal(deliver(t, &a), 0);
	assert_int_equal(committed(t, 1).n, 0); /* batched, not yet */
	assert_int_equal(evlog_flush(&t->ev), 0);
	r = committed(t, 1);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.b[0].sub_addr, SUB_A);
	assert_int_equal(r.b[0].port_first, 1280);
	assert_int_equal(r.b[0].port_last, 1535);
	assert_int_equal(r.b[0].pool_id, 1);
	assert_string_equal(r.b[0].pool, "t");
	assert_int_equal(r.b[0].assigned_ms,
			 dprun_tai_to_utc_ms(a.time_tai_ns));
	assert_int_equal(r.b[0].released_ms, STORE_MS_NONE);
	/* The same holding again (reconciliation logged it first). */
	assert_int_equal(deliver(t, &a), 0);
	assert_int_equal(evlog_flush(&t->ev), 0);
	assert_int_equal(committed(t, 1).n, 1);
	assert_int_equal(t->ev.s.duplicates, 1);
}

/* Quota events as rows: a PBA subscriber at max_blocks, and a
 * deterministic range full (its range in the event): the limit in the
 * unit the pool counts in, the detail naming the keys to change.
 */
static void test_quota_rows(void **state)
{
	struct t *t = *state;
	struct cgnat_event q = evt(EVT_QUOTA_BLOCKS, SUB_A, 0, tai_now());
	sqlite3 *db;
	sqlite3_stmt *s;
	int n = 0;

	q.port_first = q.port_last = 0;
	q.value = 2;
	assert_int_equal(deliver(t, &q), 0);
	q = evt(EVT_QUOTA_BLOCKS, SUB_B, 0, tai_now());
	q.port_first = 5824;
	q.port_last = 6783;
	q.value = 2;	/* overflow_blocks */
	assert_int_equal(deliver(t, &q), 0);
	assert_int_equal(evlog_flush(&t->ev), 0);
	assert_int_equal(sqlite3_open(t->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT sub_addr, limit_value, "
					    "detail FROM events ORDER BY id",
					    -1, &s, NULL),
			 SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(s, 2);

		if (n == 0) {
			assert_int_equal(sqlite3_column_int64(s, 0), SUB_A);
			assert_int_equal(sqlite3_column_int64(s, 1), 2);
			assert_string_equal(d, "port blocks per subscriber "
					       "(ports.max_blocks)");
		} else {
			assert_int_equal(sqlite3_column_int64(s, 0), SUB_B);
			/* 960 ports of the range + 2 blocks of 256 */
			assert_int_equal(sqlite3_column_int64(s, 1), 1472);
			assert_string_equal(d, "deterministic range full "
					       "(ports_per_subscriber, "
					       "overflow_blocks)");
		}
		n++;
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	assert_int_equal(n, 2);
}

/* A subscriber above limits.new_flows_per_subscriber: a quota row with
 * the rate as its limit, and no IPFIX record (RFC 8158 has no quota of a
 * rate), where a session quota queues its natEvent 13. The exporter is a
 * stand-in that is never called: the queue is read and emptied before
 * the flush.
 */
static void test_flow_rate_row(void **state)
{
	struct t *t = *state;
	struct cgnat_event q = evt(EVT_QUOTA_FLOWS, SUB_A, 0, tai_now());
	sqlite3 *db;
	sqlite3_stmt *s;

	q.value = 1000;
	t->ev.ipfix = (struct ipfix_exporter *)t;
	assert_int_equal(deliver(t, &q), 0);
	assert_int_equal(t->ev.n_pend, 0);
	q = evt(EVT_QUOTA_SESSIONS, SUB_B, 0, tai_now());
	q.value = 8192;
	assert_int_equal(deliver(t, &q), 0);
	assert_int_equal(t->ev.n_pend, 1);
	assert_int_equal(t->ev.pend[0].nat_event, IPFIX_EV_QUOTA);
	t->ev.n_pend = 0;
	t->ev.ipfix = NULL;
	assert_int_equal(evlog_flush(&t->ev), 0);
	assert_int_equal(sqlite3_open(t->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT type, sub_addr, "
					    "limit_value, detail FROM events "
					    "ORDER BY id LIMIT 1",
					    -1, &s, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), STORE_EVT_QUOTA);
	assert_int_equal(sqlite3_column_int64(s, 1), SUB_A);
	assert_int_equal(sqlite3_column_int64(s, 2), 1000);
	assert_string_equal((const char *)sqlite3_column_text(s, 3),
			    "new flows a second per subscriber "
			    "(limits.new_flows_per_subscriber)");
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static void test_release_gated(void **state)
{
	struct t *t = *state;
	uint64_t t0 = tai_now() - 10000000000ull;
	struct cgnat_event a = evt(EVT_BLOCK_ASSIGNED, SUB_A, 2, t0);
	struct cgnat_event r =
		evt(EVT_BLOCK_RELEASED, SUB_A, 2, t0 + 5000000000ull);
	struct rows rows;

	assert_int_equal(deliver(t, &a), 0);
	assert_int_equal(evlog_flush(&t->ev), 0);
	assert_int_equal(deliver(t, &r), -EAGAIN); /* written, uncommitted */
	assert_int_equal(deliver(t, &r), -EAGAIN); /* still */
	assert_int_equal(committed(t, 2).b[0].released_ms, STORE_MS_NONE);
	assert_int_equal(evlog_flush(&t->ev), 0);
	rows = committed(t, 2);
	assert_int_equal(rows.b[0].released_ms,
			 dprun_tai_to_utc_ms(r.time_tai_ns));
	assert_int_equal(rows.b[0].release_reason, STORE_REL_IDLE);
	assert_int_equal(deliver(t, &r), 0); /* durable: go on */
	assert_int_equal(t->ev.n_rel, 0);
	assert_int_equal(t->ev.s.released, 1);
}

static void test_unseen_release(void **state)
{
	struct t *t = *state;
	uint64_t t0 = tai_now() - 10000000000ull;
	struct cgnat_event a = evt(EVT_BLOCK_ASSIGNED, SUB_A, 0, t0);
	struct cgnat_event b =
		evt(EVT_BLOCK_ASSIGNED, SUB_B, 0, t0 + 3000000000ull);
	struct rows r;

	assert_int_equal(deliver(t, &a), 0);
	assert_int_equal(deliver(t, &b), 0);
	assert_int_equal(evlog_flush(&t->ev), 0);
	r = committed(t, 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.b[0].sub_addr, SUB_A);
	assert_int_equal(r.b[0].released_ms, r.b[1].assigned_ms);
	assert_int_equal(r.b[0].release_reason, STORE_REL_RECONCILE);
	assert_int_equal(r.b[1].sub_addr, SUB_B);
	assert_int_equal(r.b[1].released_ms, STORE_MS_NONE);
}

static void hold(struct t *t, uint32_t id, uint32_t sub, uint64_t tai)
{
	t->blocks[id] = (struct cgnat_block){
		.owner = 1, .sub_addr = htonl(sub), .assigned_tai_ns = tai};
}

static void test_reconcile(void **state)
{
	struct t *t = *state;
	uint64_t t0 = tai_now() - 60000000000ull;
	struct cgnat_event e;
	struct reconcile_stats rs;
	struct rows r;

	/* Rows for blocks 1, 2, 3 (A, B, C); then the table moves on. */
	e = evt(EVT_BLOCK_ASSIGNED, SUB_A, 1, t0);
	deliver(t, &e);
	e = evt(EVT_BLOCK_ASSIGNED, SUB_B, 2, t0);
	deliver(t, &e);
	e = evt(EVT_BLOCK_ASSIGNED, SUB_C, 3, t0);
	deliver(t, &e);
	assert_int_equal(evlog_flush(&t->ev), 0);
	hold(t, 0, SUB_A, t0 + 1000000000ull); /* held, no row: add */
	t->blocks[1] =
		(struct cgnat_block){/* released, time known */
				     .sub_addr = htonl(SUB_A),
				     .assigned_tai_ns = t0,
				     .released_tai_ns = t0 + 7000000000ull};
	memset(&t->blocks[2], 0, sizeof(t->blocks[2])); /* free: close now */
	hold(t, 3, SUB_B, t0 + 9000000000ull); /* other holder: replace */
	assert_int_equal(reconcile(&t->ev, 0, "test", 0, &rs), 0);
	assert_int_equal(rs.held, 2);
	assert_int_equal(rs.open, 3);
	assert_int_equal(rs.added, 2);
	assert_int_equal(rs.replaced, 1);
	assert_int_equal(rs.closed_map, 1);
	assert_int_equal(rs.closed_now, 1);
	r = committed(t, 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.b[0].sub_addr, SUB_A);
	assert_int_equal(r.b[0].assigned_ms,
			 dprun_tai_to_utc_ms(t0 + 1000000000ull));
	r = committed(t, 1);
	assert_int_equal(r.b[0].released_ms,
			 dprun_tai_to_utc_ms(t0 + 7000000000ull));
	assert_int_equal(r.b[0].release_reason, STORE_REL_RECONCILE);
	r = committed(t, 2);
	assert_true(r.b[0].released_ms >= runtime_now_ms() - 5000);
	r = committed(t, 3);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.b[0].sub_addr, SUB_C);
	assert_int_equal(r.b[0].released_ms,
			 dprun_tai_to_utc_ms(t0 + 9000000000ull));
	assert_int_equal(r.b[1].sub_addr, SUB_B);
	/* Agreeing now: a second pass changes nothing. */
	assert_int_equal(reconcile(&t->ev, 0, "again", 0, &rs), 0);
	assert_int_equal(rs.added + rs.replaced + rs.closed_map + rs.closed_now,
			 0);
}

static void test_reconcile_leaves_alone(void **state)
{
	struct t *t = *state;
	struct reconcile_stats rs;

	t->blocks[0] = (struct cgnat_block){.owner = 1, /* being taken */
					    .sub_addr = htonl(SUB_A)};
	hold(t, 1, SUB_B, tai_now());
	t->ev.rel[t->ev.n_rel++] = (struct evlog_rel){.block = 1};
	assert_int_equal(reconcile(&t->ev, 0, "test", 0, &rs), 0);
	assert_int_equal(rs.held, 0);
	assert_int_equal(committed(t, 0).n, 0);
	assert_int_equal(committed(t, 1).n, 0);
}

static void test_reconcile_fresh(void **state)
{
	struct t *t = *state;
	uint64_t t0 = tai_now() - 60000000000ull;
	int64_t fresh = runtime_now_ms() - 1000;
	struct cgnat_event e = evt(EVT_BLOCK_ASSIGNED, SUB_A, 1, t0);
	struct reconcile_stats rs;
	struct rows r;

	deliver(t, &e);
	assert_int_equal(evlog_flush(&t->ev), 0);
	/* New maps; B already took the same block since. */
	memset(t->blocks, 0, sizeof(t->blocks));
	hold(t, 1, SUB_B, tai_now());
	assert_int_equal(reconcile(&t->ev, fresh, "fresh", 0, &rs), 0);
	r = committed(t, 1);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.b[0].released_ms, fresh);
	assert_int_equal(r.b[0].release_reason, STORE_REL_SHUTDOWN);
	assert_int_equal(r.b[1].sub_addr, SUB_B);
	assert_true(r.b[1].assigned_ms >= fresh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_quota_rows, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_flow_rate_row, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_assign_batch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_release_gated, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unseen_release, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reconcile, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reconcile_leaves_alone,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconcile_fresh, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
