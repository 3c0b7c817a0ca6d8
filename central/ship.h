/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ship.h - the fleet shipper (log.central): a thread of cgnatd that
 * copies the local log's ship_queue to PostgreSQL in batches, never in
 * the packet path nor in the SQLite writer's transactions. It reads
 * through its own read-only SQLite connection and its own libpq
 * connection (non-blocking, with deadlines); the daemon's main loop only
 * reads its counters and deletes what PostgreSQL acknowledged.
 */
#ifndef CGNAT_CENTRAL_SHIP_H
#define CGNAT_CENTRAL_SHIP_H

#include <stddef.h>
#include <stdint.h>

struct ship;

struct ship_stats {
	int connected; /* connected, schema checked, node registered */
	int64_t acked_seq; /* PostgreSQL's mark for this node; -1 unknown */
	int64_t last_seq; /* last row queued locally */
	int64_t rows_behind; /* queued rows PostgreSQL does not have */
	int64_t oldest_ms; /* time of the oldest of them; -1: none */
	uint64_t rows_shipped, batches, failures;
	char error[256]; /* the current problem, "" when none */
};

/* Start shipping @db_path's queue to @url as node @node. 0, or -errno
 * with @err saying why (the thread retries everything else itself). */
int ship_start(struct ship **out, const char *url, const char *node,
	       const char *db_path, char *err, size_t len);
/* Stop the thread (a batch in flight is abandoned, PostgreSQL rolls it
 * back) and free. NULL is accepted. */
void ship_stop(struct ship *sh);
void ship_get_stats(struct ship *sh, struct ship_stats *out);

#endif /* CGNAT_CENTRAL_SHIP_H */
