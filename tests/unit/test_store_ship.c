// SPDX-License-Identifier: GPL-2.0
/*
 * cmocka tests of logger/store_ship.c, the queue the fleet shipper reads:
 * off by default; with it on, each block event and configuration record
 * is queued in the writer's transaction (a rollback queues nothing);
 * rows read back in seq order with complete images; seq never goes back
 * after the queue was emptied; acks delete only up to the mark; the
 * oldest queued time; a read-only handle reads it; the epoch is set.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "logger/store.h"
#include "tests/unit/test_store_util.h"

struct rows {
	struct store_ship_row r[16];
	char config[16][32];
	int n;
};

static int keep(const struct store_ship_row *r, void *ctx)
{
	struct rows *rs = ctx;

	if (rs->n < 16) {
		rs->r[rs->n] = *r;
		if (r->config)
			snprintf(rs->config[rs->n], 32, "%s", r->config);
	}
	rs->n++;
	return 0;
}

static void test_off_by_default(void **state)
{
	struct fixture *fx = *state;
	struct store_block b = mkblock(SUB_A, EXT_1, 1024, 1279, T0);
	int64_t last = -1;
	struct rows rs = {0};

	assert_int_equal(store_block_assign(fx->st, &b, NULL), 0);
	assert_int_equal(store_ship_read(fx->st, 0, 100, keep, &rs), 0);
	assert_int_equal(store_ship_last(fx->st, &last), 0);
	assert_int_equal(last, 0);
}

static void test_queue(void **state)
{
	struct fixture *fx = *state;
	struct store_block b = mkblock(SUB_A, EXT_1, 1024, 1279, T0);
	struct rows rs = {0};
	int64_t id, last, first, t, epoch = 0;

	store_ship_enable(fx->st, 1);
	assert_int_equal(store_ship_epoch(fx->st, &epoch), 0);
	assert_true(epoch > 0);
	assert_int_equal(store_block_assign(fx->st, &b, &id), 0);
	assert_int_equal(store_interim(fx->st, EXT_1, 1024, T0 + 500), 0);
	assert_int_equal(store_block_release(fx->st, EXT_1, 1024, T0 + 1000,
					     STORE_REL_IDLE),
			 0);
	assert_int_equal(store_config_log(fx->st, T0 + 2000, 1, "x: 1\n"), 0);
	/* A rolled-back batch queues nothing. */
	b.port_first = 1280;
	b.port_last = 1535;
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_block_assign(fx->st, &b, NULL), 0);
	assert_int_equal(store_rollback(fx->st), 0);

	assert_int_equal(store_ship_read(fx->st, 0, 100, keep, &rs), 4);
	assert_int_equal(rs.r[0].op, STORE_SHIP_ASSIGN);
	assert_int_equal(rs.r[0].b.id, id);
	assert_int_equal(rs.r[0].b.sub_addr, SUB_A);
	assert_int_equal(rs.r[0].b.assigned_ms, T0);
	assert_int_equal(rs.r[0].b.released_ms, STORE_MS_NONE);
	assert_int_equal(rs.r[1].op, STORE_SHIP_INTERIM);
	assert_int_equal(rs.r[1].b.id, id);
	assert_int_equal(rs.r[1].time_ms, T0 + 500);
	assert_int_equal(rs.r[2].op, STORE_SHIP_RELEASE);
	assert_int_equal(rs.r[2].b.id, id);
	assert_int_equal(rs.r[2].b.released_ms, T0 + 1000);
	assert_int_equal(rs.r[2].b.release_reason, STORE_REL_IDLE);
	assert_int_equal(rs.r[2].b.port_last, 1279);
	assert_string_equal(rs.r[2].b.pool, "default");
	assert_int_equal(rs.r[3].op, STORE_SHIP_CONFIG);
	assert_string_equal(rs.config[3], "x: 1\n");
	assert_true(rs.r[0].seq < rs.r[1].seq && rs.r[2].seq < rs.r[3].seq);

	/* After a mark, and limited. */
	rs.n = 0;
	assert_int_equal(store_ship_read(fx->st, rs.r[1].seq, 1, keep, &rs), 1);
	assert_int_equal(rs.r[0].op, STORE_SHIP_RELEASE);

	/* Acks delete up to the mark only; the oldest time follows. */
	assert_int_equal(store_ship_oldest(fx->st, &t), 0);
	assert_int_equal(t, T0);
	assert_int_equal(store_ship_ack(fx->st, 2, 100), 2);
	assert_int_equal(store_ship_oldest(fx->st, &t), 0);
	assert_int_equal(t, T0 + 1000);
	assert_int_equal(store_ship_first(fx->st, 0, &first, &t), 0);
	assert_int_equal(first, 3);
	assert_int_equal(store_ship_ack(fx->st, 4, 100), 2);
	assert_int_equal(store_ship_oldest(fx->st, &t), 0);
	assert_int_equal(t, STORE_MS_NONE);
	assert_int_equal(store_ship_first(fx->st, 0, &first, &t), 0);
	assert_int_equal(first, 0);
	/* Emptied: seq still goes on from 4. */
	assert_int_equal(store_ship_last(fx->st, &last), 0);
	assert_int_equal(last, 4);
	assert_int_equal(store_config_log(fx->st, T0 + 3000, 1, "y"), 0);
	assert_int_equal(store_ship_last(fx->st, &last), 0);
	assert_int_equal(last, 5);
}

static void test_read_only(void **state)
{
	struct fixture *fx = *state;
	struct store_block b = mkblock(SUB_B, EXT_2, 2048, 2303, T0);
	struct store *ro;
	struct rows rs = {0};
	char err[256];

	store_ship_enable(fx->st, 1);
	assert_int_equal(store_block_assign(fx->st, &b, NULL), 0);
	assert_int_equal(store_open_ro(fx->path, &ro, err, sizeof(err)), 0);
	assert_int_equal(store_ship_read(ro, 0, 10, keep, &rs), 1);
	assert_int_equal(rs.r[0].b.ext_addr, EXT_2);
	assert_int_equal(store_ship_ack(ro, 1, 10), -EROFS);
	store_close(ro);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_off_by_default,
						fixture_open, fixture_rm),
		cmocka_unit_test_setup_teardown(test_queue, fixture_open,
						fixture_rm),
		cmocka_unit_test_setup_teardown(test_read_only, fixture_open,
						fixture_rm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
