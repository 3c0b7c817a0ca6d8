// SPDX-License-Identifier: GPL-2.0
/*
 * test_detlog.c - the deterministic layouts' log on a real SQLite file:
 * three layout changes of one pool (a PBA pool beside it), lookups
 * before, between and after them, both owners named inside a change's
 * quarantine, "unknown" where no layout covers the time, the daily
 * repeat, retirement, restarts within and after a quarantine, and the
 * table in force at a time (det-table).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "daemon/detlog.h"
#include "tests/unit/test_store_util.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))
#define Q 120000LL /* blocks.quarantine default */
#define T1 T0
#define T2 (T0 + 3600000LL)
#define T3 (T0 + 7200000LL)

#define HEAD                                                                   \
	"interfaces: { inside: in0, outside: out0 }\n"                         \
	"subscribers: [100.64.0.0/23]\n"                                       \
	"pools:\n"                                                             \
	"  - name: pba\n"                                                      \
	"    addresses: [203.0.113.1]\n"                                       \
	"    subscribers: [100.64.0.0/24]\n"                                   \
	"  - name: det\n"                                                      \
	"    subscribers: [100.64.1.0/24]\n"

/* v1: 4 addresses, 64 per address. v2: 8 addresses, 32 per address.
 * v3: the same 8 without their boundary addresses: 6, 43 per address.
 */
static const char *const layouts[] = {
	HEAD "    addresses: [203.0.113.16/30]\n"
	     "    mode: deterministic\n"
	     "    ports_per_subscriber: 960\n",
	HEAD "    addresses: [203.0.113.16/29]\n"
	     "    mode: deterministic\n"
	     "    ports_per_subscriber: 960\n",
	HEAD "    addresses: [203.0.113.16/29]\n"
	     "    mode: deterministic\n"
	     "    ports_per_subscriber: 960\n"
	     "    include_boundary_addresses: false\n",
	HEAD "    addresses: [203.0.113.16/29]\n", /* back to PBA */
};

static struct cgnat_config cfg;

static void load(int i)
{
	char err[512] = "";

	if (cfg_load_string("cgnat.yaml", layouts[i], strlen(layouts[i]), &cfg,
			    err, sizeof(err)))
		fail_msg("config %d: %s", i, err);
}

/* Syncs layout i at time t; returns rows written, moved into *m. */
static int sync_at(struct fixture *fx, int i, int64_t t, struct detlog_moved *m)
{
	memset(m, 0, sizeof(*m));
	load(i);
	return detlog_sync(fx->st, &cfg, t, m);
}

static int has(const struct detlog_moved *m, uint32_t sub)
{
	uint32_t i;

	for (i = 0; i < m->n; i++)
		if (m->sub[i] == sub)
			return 1;
	return 0;
}

/* Lookup ext:port at t (or over [t, t2]) in the logged layouts. */
static int look(struct fixture *fx, uint32_t ext, uint16_t port, int64_t t,
		int64_t t2, struct found *f, int *unknown)
{
	struct detlog_history h;
	int n;

	memset(f, 0, sizeof(*f));
	assert_int_equal(detlog_history_load(fx->st, &h), 0);
	n = detlog_lookup(&h, ext, port, t, t2, collect, f, unknown);
	detlog_history_free(&h);
	return n;
}

static void three_changes(struct fixture *fx)
{
	struct detlog_moved m;

	assert_int_equal(sync_at(fx, 0, T1, &m), 1);
	assert_int_equal(m.n, 0);
	/* A restart with the same layout writes nothing. */
	assert_int_equal(sync_at(fx, 0, T1 + 60000, &m), 0);
	assert_int_equal(sync_at(fx, 1, T2, &m), 1);
	assert_true(has(&m, IP(100, 64, 1, 40))); /* .16 -> .17 */
	assert_true(has(&m, IP(100, 64, 1, 72)));
	assert_false(has(&m, IP(100, 64, 1, 0))); /* .16:1024 both */
	assert_int_equal(m.until_ms, T2 + Q);
	/* v2's region (32 x 960) is smaller than v1's (64 x 960): the
	 * blocks between wait out the quarantine. */
	assert_int_equal(m.hold_end[1], 1024 + 64 * 960);
	detlog_moved_free(&m);
	assert_int_equal(sync_at(fx, 2, T3, &m), 1);
	assert_true(has(&m, IP(100, 64, 1, 0))); /* .16 excluded now */
	assert_int_equal(m.hold_end[1], 0); /* 43 x 960: larger */
	detlog_moved_free(&m);
}

static void test_lookups_around_changes(void **state)
{
	struct fixture *fx = *state;
	struct found f;
	int unknown;

	three_changes(fx);
	/* Before the first layout: unknown, not "nobody". */
	assert_int_equal(look(fx, IP(203, 0, 113, 16), 1024, T1 - 1, T1 - 1, &f,
			      &unknown),
			 0);
	assert_int_equal(unknown, 1);
	/* Between v1 and v2. */
	assert_int_equal(look(fx, IP(203, 0, 113, 16), 39424, T1 + 1000,
			      T1 + 1000, &f, &unknown),
			 1);
	assert_int_equal(unknown, 0);
	assert_int_equal(f.b[0].sub_addr, IP(100, 64, 1, 40));
	assert_int_equal(f.b[0].det_version, 1);
	assert_int_equal(f.b[0].port_first, 39424);
	assert_int_equal(f.b[0].port_last, 39424 + 959);
	assert_int_equal(f.b[0].assigned_ms, T1);
	assert_int_equal(f.b[0].released_ms, T2);
	assert_int_equal(f.b[0].det_until_ms, T2 + Q); /* v2 moved it */
	assert_string_equal(f.b[0].pool, "det");
	/* Inside v2's quarantine: the old and the new owner, both. */
	assert_int_equal(look(fx, IP(203, 0, 113, 17), 8704, T2 + 1000,
			      T2 + 1000, &f, &unknown),
			 2);
	assert_int_equal(f.b[0].sub_addr, IP(100, 64, 1, 72));
	assert_int_equal(f.b[0].det_version, 1);
	assert_int_equal(f.b[1].sub_addr, IP(100, 64, 1, 40));
	assert_int_equal(f.b[1].det_version, 2);
	/* After the quarantine: only the new one. */
	assert_int_equal(look(fx, IP(203, 0, 113, 17), 8704, T2 + Q, T2 + Q, &f,
			      &unknown),
			 1);
	assert_int_equal(f.b[0].sub_addr, IP(100, 64, 1, 40));
	/* A port v2 did not move is v2's alone at once. */
	assert_int_equal(
		look(fx, IP(203, 0, 113, 16), 1024, T2, T2, &f, &unknown), 1);
	assert_int_equal(f.b[0].det_version, 2);
	assert_int_equal(f.b[0].sub_addr, IP(100, 64, 1, 0));
	/* After v3: .16 is a boundary address, nobody's by layout. */
	assert_int_equal(look(fx, IP(203, 0, 113, 16), 1024, T3 + Q, T3 + Q, &f,
			      &unknown),
			 0);
	assert_int_equal(look(fx, IP(203, 0, 113, 17), 1024, T3 + Q, T3 + Q, &f,
			      &unknown),
			 1);
	assert_int_equal(f.b[0].sub_addr, IP(100, 64, 1, 0));
	assert_int_equal(f.b[0].det_version, 3);
	assert_int_equal(f.b[0].released_ms, STORE_MS_NONE);
	/* A window over all three: v1 and v2 held .16:1024 for .0. */
	assert_int_equal(
		look(fx, IP(203, 0, 113, 16), 1024, T1, T3 + Q, &f, &unknown),
		2);
	assert_int_equal(f.b[0].det_version, 1);
	assert_int_equal(f.b[1].det_version, 2);
	/* History: 100.64.1.40 had a range under each of the versions. */
	{
		struct detlog_history h;

		memset(&f, 0, sizeof(f));
		assert_int_equal(detlog_history_load(fx->st, &h), 0);
		assert_int_equal(detlog_sub_history(&h, IP(100, 64, 1, 40), 0,
						    T3 + Q, collect, &f),
				 3);
		assert_int_equal(f.b[0].ext_addr, IP(203, 0, 113, 16));
		assert_int_equal(f.b[1].ext_addr, IP(203, 0, 113, 17));
		assert_int_equal(f.b[2].det_version, 3);
		memset(&f, 0, sizeof(f));
		assert_int_equal(detlog_sub_history(&h, IP(100, 64, 1, 40), T2,
						    T2, collect, &f),
				 1);
		assert_int_equal(f.b[0].det_version, 2);
		detlog_history_free(&h);
	}
	/* The region's end: a port above it is nobody's by layout. */
	assert_int_equal(look(fx, IP(203, 0, 113, 16), 1024 + 64 * 960,
			      T1 + 1000, T1 + 1000, &f, &unknown),
			 0);
	assert_int_equal(unknown, 0);
	/* A PBA address is not the layouts' business. */
	assert_int_equal(look(fx, IP(203, 0, 113, 1), 1024, T1 - 1, T1 - 1, &f,
			      &unknown),
			 0);
	assert_int_equal(unknown, 0);
}

static int count_table(const struct store_det_layout *r,
		       const struct det_layout *l, int64_t until, void *ctx)
{
	struct store_det_layout *out = ctx;

	(void)l;
	(void)until;
	*out = *r;
	return 0;
}

static void test_rows_daily_retire_restart(void **state)
{
	struct fixture *fx = *state;
	struct store_det_layout r;
	struct detlog_history h;
	struct detlog_moved m;
	struct found f;
	int unknown;

	three_changes(fx);
	assert_int_equal(store_det_latest(fx->st, 1, "det", &r), 0);
	assert_int_equal(r.version, 3);
	assert_string_equal(r.inside, "100.64.1.0/24");
	assert_string_equal(r.outside, "203.0.113.16/29");
	assert_string_equal(r.reserved, "0-1023");
	assert_int_equal(r.pps, 960);
	assert_int_equal(r.spa, 43);
	assert_int_equal(r.exclude_boundary, 1);
	assert_int_equal(r.algorithm, 0);
	assert_int_equal(r.switched_ms, T3);
	/* Restarts inside v3's quarantine flush the moved again; after
	 * it, nothing.
	 */
	assert_int_equal(sync_at(fx, 2, T3 + 1000, &m), 0);
	assert_true(m.n > 0);
	assert_int_equal(m.until_ms, T3 + Q);
	detlog_moved_free(&m);
	assert_int_equal(sync_at(fx, 2, T3 + Q, &m), 0);
	assert_int_equal(m.n, 0);
	/* Daily: not before a day has passed since the last row. */
	assert_int_equal(detlog_daily(fx->st, &cfg, T3 + 3600000), 0);
	assert_int_equal(detlog_daily(fx->st, &cfg, T3 + DETLOG_DAY_MS), 1);
	assert_int_equal(detlog_daily(fx->st, &cfg, T3 + DETLOG_DAY_MS + 1), 0);
	assert_int_equal(store_det_latest(fx->st, 1, "det", &r), 0);
	assert_int_equal(r.kind, STORE_DET_CHANGE); /* repeats skipped */
	/* det-table at a time: the version then in force. */
	assert_int_equal(detlog_history_load(fx->st, &h), 0);
	assert_int_equal(detlog_in_force(&h, T2 + 1, count_table, &r), 1);
	assert_int_equal(r.version, 2);
	assert_int_equal(detlog_in_force(&h, T1 - 1, count_table, &r), 0);
	detlog_history_free(&h);
	/* Retired: the pool goes back to PBA; the last owner is named
	 * through the quarantine, then no layout covers.
	 */
	assert_int_equal(sync_at(fx, 3, T3 + 2 * DETLOG_DAY_MS, &m), 1);
	assert_int_equal(look(fx, IP(203, 0, 113, 17), 1024,
			      T3 + 2 * DETLOG_DAY_MS + 1,
			      T3 + 2 * DETLOG_DAY_MS + 1, &f, &unknown),
			 1);
	assert_int_equal(f.b[0].released_ms, T3 + 2 * DETLOG_DAY_MS);
	assert_int_equal(look(fx, IP(203, 0, 113, 17), 1024,
			      T3 + 2 * DETLOG_DAY_MS + Q,
			      T3 + 2 * DETLOG_DAY_MS + Q, &f, &unknown),
			 0);
	assert_int_equal(unknown, 1);
	/* ... while before it v3 still answers. */
	assert_int_equal(look(fx, IP(203, 0, 113, 17), 1024, T3 + DETLOG_DAY_MS,
			      T3 + DETLOG_DAY_MS, &f, &unknown),
			 1);
	assert_int_equal(detlog_daily(fx->st, &cfg, T3 + 9 * DETLOG_DAY_MS), 0);
}

/* A row round-trips through the log into the same layout. */
static void test_row_layout_roundtrip(void **state)
{
	struct det_layout a, b;
	struct store_det_layout r;

	(void)state;
	load(2);
	assert_int_equal(cfg_det_layout(&cfg, 1, &a), 0);
	detlog_row(&cfg, 1, &a, &r);
	assert_int_equal(detlog_layout(&r, &b), 0);
	assert_true(det_layout_same(&a, &b));
	strcpy(r.inside, "100.64.1.0/33");
	assert_int_equal(detlog_layout(&r, &b), -EINVAL);
}

/* Retention: a layout row goes once no kept time falls under it (its
 * next version's quarantine ended before the cut-off), a daily repeat
 * once older than the cut-off; the newest version stays; lookups at kept
 * times answer as before.
 */
static void test_prune(void **state)
{
	struct fixture *fx = *state;
	struct found before, after;
	int unknown;

	three_changes(fx);
	assert_int_equal(detlog_daily(fx->st, &cfg, T3 + DETLOG_DAY_MS), 1);
	assert_int_equal(store_det_after(fx->st, 0, NULL, NULL), 4);
	assert_int_equal(look(fx, IP(203, 0, 113, 16), 1024, T2, T2, &before,
			      &unknown),
			 1);
	/* v1 is named until v2's quarantine ends: kept one ms before. */
	assert_int_equal(store_prune(fx->st, T2 + Q - 1, 100), 0);
	assert_int_equal(store_prune(fx->st, T2 + Q, 100), 1);
	assert_int_equal(store_det_versions(fx->st, NULL, NULL), 2);
	assert_int_equal(look(fx, IP(203, 0, 113, 16), 1024, T2, T2, &after,
			      &unknown),
			 1);
	assert_int_equal(after.b[0].sub_addr, before.b[0].sub_addr);
	assert_int_equal(after.b[0].det_version, 2);
	assert_int_equal(look(fx, IP(203, 0, 113, 16), 39424, T1 + 1000,
			      T1 + 1000, &after, &unknown),
			 0);
	assert_int_equal(unknown, 1); /* before the retained history */
	/* A day on: v2 and the daily repeat go, v3 (the newest) stays. */
	assert_int_equal(store_prune(fx->st, T3 + DETLOG_DAY_MS + 1, 100), 2);
	assert_int_equal(store_det_after(fx->st, 0, NULL, NULL), 1);
	assert_int_equal(look(fx, IP(203, 0, 113, 17), 1024, T3 + Q, T3 + Q,
			      &after, &unknown),
			 1);
	assert_int_equal(after.b[0].det_version, 3);
	assert_int_equal(store_prune(fx->st, T3 + 400 * DETLOG_DAY_MS, 100), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lookups_around_changes,
						fixture_open, fixture_rm),
		cmocka_unit_test_setup_teardown(test_rows_daily_retire_restart,
						fixture_open, fixture_rm),
		cmocka_unit_test_setup_teardown(test_prune, fixture_open,
						fixture_rm),
		cmocka_unit_test(test_row_layout_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
