/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ship_batch.h - the pure parts of the shipper: a batch of ship_queue
 * rows as PostgreSQL COPY text (the columns of ship_stage, in order),
 * the days it needs partitions for, where to read next, and the
 * reconnect backoff. No I/O; tested in tests/unit/test_ship.c.
 *
 * A holding assigned and released within one batch (a backlog of short
 * holdings) is sent as one SHIP_STAGE_CLOSED row, the release, which
 * carries the whole holding: its assign row is left out, so PostgreSQL
 * neither inserts it into open_holdings nor deletes it from there.
 */
#ifndef CGNAT_CENTRAL_SHIP_BATCH_H
#define CGNAT_CENTRAL_SHIP_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "logger/store.h"

#define SHIP_DAY_MS 86400000LL

/* The staging table's columns, as COPY and ship_apply() expect them. */
#define SHIP_STAGE_COLS                                                        \
	"seq bigint, op smallint, time_ms bigint, block_id bigint, "           \
	"instance bigint, pool_id bigint, pool text, sub_addr bigint, "        \
	"ext_addr bigint, port_first integer, port_last integer, "             \
	"assigned_ms bigint, reason smallint, config text"

/* The op of a release whose assign is in the same batch (and left out);
 * queue ops are STORE_SHIP_*. */
#define SHIP_STAGE_CLOSED 5

struct ship_batch_asg; /* an assign line of the batch, by block id */

struct ship_batch {
	char *buf; /* COPY text, one line per row */
	size_t len, cap;
	int rows; /* queue rows taken, sent or left out */
	int dropped; /* assign lines to leave out (ship_batch_finish) */
	struct ship_batch_asg *asg; /* open addressing, asg_cap a power of 2 */
	size_t asg_cap, asg_n;
	unsigned gen; /* entries of older batches are stale */
	int64_t first_seq, last_seq;
	/* Days (ms / SHIP_DAY_MS) of the partitioned rows: short closed
	 * holdings by assign day, interim rows by their day. min > max: none.
	 */
	int64_t min_day, max_day;
};

void ship_batch_init(struct ship_batch *b);
void ship_batch_reset(struct ship_batch *b);
void ship_batch_free(struct ship_batch *b);
/* Append one row. -ENOMEM, or -EINVAL for a row out of seq order. */
int ship_batch_add(struct ship_batch *b, const struct store_ship_row *r);
/* Leave out the assign lines of holdings closed in the batch: buf is then
 * the COPY text to send. */
void ship_batch_finish(struct ship_batch *b);

/*
 * Where to read from: after the high-water mark PostgreSQL holds when it
 * is known (hwm >= 0), else after the first row still queued (everything
 * queued is unacknowledged).
 */
int64_t ship_read_after(int64_t hwm, int64_t first_queued);

/* Rows not yet in PostgreSQL: last handed out minus the mark. */
int64_t ship_rows_behind(int64_t last_seq, int64_t after);

/* The wait before the next connection attempt after @prev_ms (0: first
 * failure): doubles from 500 ms to 30 s. */
int ship_backoff_next(int prev_ms);

#endif /* CGNAT_CENTRAL_SHIP_BATCH_H */
