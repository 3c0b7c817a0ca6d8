// SPDX-License-Identifier: GPL-2.0
/*
 * test_evlog_outage.c - the log's disk fails: a real SQLite file whose
 * commits are refused (a commit hook turns COMMIT into ROLLBACK, as a
 * full disk does), a block table in memory and the real allocator core.
 * A block assigned and released while no commit goes through is logged
 * with its own times once commits work again; its release answers "not
 * yet" all along, so the allocator keeps it out of quarantine and out of
 * every grant slot; a backlog over its bound holds new grants and a
 * commit lifts the hold, with a log-backlog event row; after a crash in
 * the outage the start's reconciliation writes the holding from the
 * table; pb_recall() takes unused grants back.
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
#include "logger/store_internal.h"
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

struct t {
	char dir[64], path[96];
	struct cgnat_config cfg;
	struct dpconf dc;
	struct dprun run;
	struct cgnat_block blocks[4];
	__u64 ga[CGNAT_GRANT_DEPTH];
	__u64 gn[CGNAT_GRANT_NEW_WORDS];
	__u32 addr_pool[1];
	struct evlog ev;
	struct store *st;
	int fail; /* the commit hook refuses every commit */
};

static int commit_hook(void *ctx)
{
	return *(int *)ctx;
}

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

	snprintf(t->dir, sizeof(t->dir), "/tmp/test_evlog_outage.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/log.db", t->dir);
	assert_int_equal(cfg_load_string("t.yaml", yaml, strlen(yaml), &t->cfg,
					 err, sizeof(err)),
			 0);
	assert_int_equal(
		dpconf_build(&t->dc, &t->cfg, 0, NULL, err, sizeof(err)), 0);
	assert_int_equal(store_open(t->path, &t->st, err, sizeof(err)), 0);
	sqlite3_commit_hook(t->st->db, commit_hook, &t->fail);
	t->run.dp.v.blocks = t->blocks;
	t->run.pv = (struct pb_views){.grant_addr = t->ga,
				      .grant_new = t->gn,
				      .blocks = t->blocks};
	assert_int_equal(pb_init(&t->run.pb, 1, 4, t->addr_pool, 1), 0);
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
	pb_free(&t->run.pb);
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

/* The data plane takes block id for sub at tai; the table says so. */
static void dp_assign(struct t *t, __u32 id, uint32_t sub, uint64_t tai)
{
	t->blocks[id] = (struct cgnat_block){.owner = 1,
					     .sub_addr = htonl(sub),
					     .assigned_tai_ns = tai};
	pb_set_state(&t->run.pb, id, PB_ASSIGNED);
}

/* The allocator releases it at tai (pb_life.c's order: table first). */
static void pb_release(struct t *t, __u32 id, uint64_t tai)
{
	t->blocks[id].owner = 0;
	t->blocks[id].released_tai_ns = tai;
	pb_set_state(&t->run.pb, id, PB_RELEASED);
}

/* dprun's deliver(): the quarantine starts only on a 0. */
static int offer_release(struct t *t, const struct cgnat_event *e)
{
	struct pb_now now = {.ms = 1000, .tai_ns = tai_now()};
	int rc = deliver(t, e);

	if (!rc)
		pb_logged(&t->run.pb, e->block, &now);
	return rc;
}

static int in_a_slot(struct t *t, __u32 id)
{
	unsigned int i;

	for (i = 0; i < CGNAT_GRANT_DEPTH; i++)
		if (t->ga[i] == id + 1)
			return 1;
	for (i = 0; i < CGNAT_MAX_POOLS * CGNAT_NEW_DEPTH; i++)
		if (t->gn[i] == id + 1)
			return 1;
	return 0;
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

/* Every committed holding of the block, from a read-only handle. */
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

static int count_events(struct t *t, int type)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int n = -1;

	assert_int_equal(sqlite3_open(t->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT count(*) FROM events "
					    "WHERE type = ?",
					    -1, &s, NULL),
			 SQLITE_OK);
	sqlite3_bind_int(s, 1, type);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/* A retry without waiting EVLOG_RETRY_MS. */
static int retry(struct t *t)
{
	t->ev.retry_ms = 0;
	return evlog_flush(&t->ev);
}

/*
 * The soak's defect: block 0 assigned to A and released again while no
 * commit goes through. Before the journal the assign was dropped with
 * its batch and the release found no open row: no holding was logged.
 */
static void test_outage_assign_release(void **state)
{
	struct t *t = *state;
	uint64_t t0 = tai_now() - 5000000000ull, t1 = t0 + 1500000000ull;
	struct cgnat_event a = evt(EVT_BLOCK_ASSIGNED, SUB_A, 0, t0);
	struct cgnat_event r = evt(EVT_BLOCK_RELEASED, SUB_A, 0, t1);
	struct rows rows;
	int round;

	/* The other blocks are held: only block 0 could be granted. */
	dp_assign(t, 1, SUB_B, t0);
	dp_assign(t, 2, SUB_B, t0);
	dp_assign(t, 3, SUB_B, t0);
	t->fail = 1;
	dp_assign(t, 0, SUB_A, t0);
	assert_int_equal(deliver(t, &a), 0);
	assert_int_equal(evlog_flush(&t->ev), -EIO);
	pb_release(t, 0, t1);
	for (round = 0; round < 5; round++) {
		assert_int_equal(offer_release(t, &r), -EAGAIN);
		assert_int_not_equal(retry(t), 0);
		pb_refill(&t->run.pb, &t->run.pv);
		assert_int_equal(t->run.pb.blk[0].state, PB_RELEASED);
		assert_false(in_a_slot(t, 0));
	}
	assert_int_equal(committed(t, 0).n, 0);
	assert_int_equal(evlog_backlog(&t->ev), 2);
	assert_int_equal(t->ev.s.assigned, 0); /* counted when committed */
	assert_true(t->ev.s.write_errors >= 5);
	/* Between retries the journal waits (no batch, no store access). */
	t->ev.retry_ms = runtime_now_ms() + 60000;
	assert_int_equal(evlog_flush(&t->ev), -EAGAIN);

	/* The disk has room again: the next try commits both, in order,
	 * with their own times; then the release is acknowledged. */
	t->fail = 0;
	assert_int_equal(retry(t), 0);
	assert_int_equal(evlog_backlog(&t->ev), 0);
	rows = committed(t, 0);
	assert_int_equal(rows.n, 1);
	assert_int_equal(rows.b[0].sub_addr, SUB_A);
	assert_int_equal(rows.b[0].assigned_ms, dprun_tai_to_utc_ms(t0));
	assert_int_equal(rows.b[0].released_ms, dprun_tai_to_utc_ms(t1));
	assert_int_equal(rows.b[0].release_reason, STORE_REL_IDLE);
	assert_int_equal(t->ev.s.assigned, 1);
	assert_int_equal(t->ev.s.released, 1);
	assert_int_equal(t->ev.s.late, 2);
	assert_int_equal(count_events(t, STORE_EVT_LOG_BACKLOG), 1);
	assert_int_equal(t->run.pb.blk[0].state, PB_RELEASED);
	assert_int_equal(offer_release(t, &r), 0);
	assert_int_equal(t->run.pb.blk[0].state, PB_QUARANTINE);
	assert_false(evlog_release_pending(&t->ev, 0));
}

/* Over its bound the backlog holds new grants: dprun recalls the unused
 * ones and stocks none; the first commit lifts the hold. */
static void test_outage_hold(void **state)
{
	struct t *t = *state;
	uint64_t t0 = tai_now() - 5000000000ull;
	struct cgnat_event a;
	__u32 id;

	t->cfg.log.max_backlog = 3;
	t->fail = 1;
	for (id = 0; id < 2; id++) {
		a = evt(EVT_BLOCK_ASSIGNED, SUB_A, id, t0 + id);
		assert_int_equal(deliver(t, &a), 0);
		assert_int_equal(retry(t), -EIO);
	}
	assert_int_equal(t->run.hold_grants, 0); /* 2 events: under */
	a = evt(EVT_BLOCK_INTERIM, SUB_A, 0, t0 + 1000000000ull);
	assert_int_equal(deliver(t, &a), 0);
	assert_int_equal(t->run.hold_grants, DPRUN_HOLD_LOG);
	assert_int_equal(t->ev.s.holds, 1);
	assert_int_equal(retry(t), -EIO);
	assert_int_equal(t->ev.s.holds, 1); /* one hold per outage */
	t->fail = 0;
	assert_int_equal(retry(t), 0);
	assert_int_equal(t->run.hold_grants, 0);
	assert_int_equal(committed(t, 0).n, 1);
	assert_int_equal(committed(t, 1).n, 1);
	assert_int_equal(t->ev.s.interims, 1);
}

/*
 * cgnatd killed in the outage: the journal is gone, the table still has
 * the last holder of the released block (it was never granted again).
 * The start's reconciliation (RC_TABLE) writes that holding, closed at
 * the table's release time; an open row of an earlier holder that the
 * log never saw released ends where it began.
 */
static void test_outage_crash(void **state)
{
	struct t *t = *state;
	uint64_t t0 = tai_now() - 9000000000ull, t1 = t0 + 2000000000ull,
		 t2 = t1 + 3000000000ull;
	struct cgnat_event b = evt(EVT_BLOCK_ASSIGNED, SUB_B, 1, t0);
	struct reconcile_stats rs;
	struct rows rows;

	assert_int_equal(deliver(t, &b), 0); /* B's holding, committed */
	assert_int_equal(evlog_flush(&t->ev), 0);
	/* Then, unlogged: B's release and A's holding [t1, t2). */
	dp_assign(t, 1, SUB_A, t1);
	pb_release(t, 1, t2);
	/* Started again with the disk still full: fails, retried. */
	t->fail = 1;
	assert_int_not_equal(reconcile(&t->ev, 0, "start", RC_TABLE, &rs),
			     0);
	assert_int_equal(committed(t, 1).n, 1);
	assert_true(t->ev.need_reconcile); /* cgnatd tries again */
	t->fail = 0;
	t->ev.retry_ms = 0;
	assert_int_equal(reconcile(&t->ev, 0, "start", RC_TABLE, &rs), 0);
	assert_false(t->ev.need_reconcile);
	assert_int_equal(rs.from_table, 1);
	rows = committed(t, 1);
	assert_int_equal(rows.n, 2);
	assert_int_equal(rows.b[0].sub_addr, SUB_B);
	assert_int_equal(rows.b[0].released_ms, dprun_tai_to_utc_ms(t1));
	assert_int_equal(rows.b[1].sub_addr, SUB_A);
	assert_int_equal(rows.b[1].assigned_ms, dprun_tai_to_utc_ms(t1));
	assert_int_equal(rows.b[1].released_ms, dprun_tai_to_utc_ms(t2));
	assert_int_equal(rows.b[1].release_reason, STORE_REL_RECONCILE);
	/* Run again: nothing more. */
	assert_int_equal(reconcile(&t->ev, 0, "again", RC_TABLE, &rs), 0);
	assert_int_equal(rs.from_table, 0);
	assert_int_equal(committed(t, 1).n, 2);
	/* While the log cannot commit, reconciliation waits. */
	t->fail = 1;
	b = evt(EVT_BLOCK_ASSIGNED, SUB_B, 2, t2);
	assert_int_equal(deliver(t, &b), 0);
	assert_int_equal(reconcile(&t->ev, 0, "failing", RC_TABLE, &rs),
			 -EAGAIN);
	assert_true(t->ev.need_reconcile);
}

/* A release whose assign was never written (lost in a ring-buffer
 * overrun): the holding comes from the table. */
static void test_release_unseen_assign(void **state)
{
	struct t *t = *state;
	uint64_t t0 = tai_now() - 4000000000ull, t1 = t0 + 1000000000ull;
	struct cgnat_event r = evt(EVT_BLOCK_RELEASED, SUB_A, 3, t1);
	struct rows rows;

	dp_assign(t, 3, SUB_A, t0);
	pb_release(t, 3, t1);
	assert_int_equal(offer_release(t, &r), -EAGAIN);
	assert_int_equal(evlog_flush(&t->ev), 0);
	assert_int_equal(offer_release(t, &r), 0);
	rows = committed(t, 3);
	assert_int_equal(rows.n, 1);
	assert_int_equal(rows.b[0].sub_addr, SUB_A);
	assert_int_equal(rows.b[0].assigned_ms, dprun_tai_to_utc_ms(t0));
	assert_int_equal(rows.b[0].released_ms, dprun_tai_to_utc_ms(t1));
	assert_int_equal(t->ev.s.from_table, 1);
}

/* pb_recall: unused grants come back free at once. */
static void test_recall(void **state)
{
	struct t *t = *state;
	__u32 free0 = pb_addr_free(&t->run.pb, 0);

	assert_true(pb_refill(&t->run.pb, &t->run.pv) > 0);
	assert_true(pb_addr_free(&t->run.pb, 0) < free0);
	pb_recall(&t->run.pb, &t->run.pv);
	assert_int_equal(pb_addr_free(&t->run.pb, 0), free0);
	assert_false(in_a_slot(t, 0) || in_a_slot(t, 1) || in_a_slot(t, 2) ||
		     in_a_slot(t, 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_outage_assign_release,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_outage_hold, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_outage_crash, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_release_unseen_assign,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_recall, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
