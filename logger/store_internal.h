/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals shared by the store_*.c files and their tests: the handle, the
 * table of prepared statements, SQLite result to -errno mapping, and the
 * migration runner (exposed so a test can migrate with its own list).
 * Nothing outside logger/ and tests/unit/test_store*.c includes this.
 */
#ifndef CGNAT_LOGGER_STORE_INTERNAL_H
#define CGNAT_LOGGER_STORE_INTERNAL_H

#include <stdbool.h>
#include <stdarg.h>
#include <sqlite3.h>

#include "logger/store.h"
#include "logger/store_held.h"
#include "schema/schema.h"

enum store_stmt_id {
	STMT_OPEN_INSERT,
	STMT_OPEN_DELETE,
	STMT_CLOSED_INSERT,
	STMT_INTERIM,
	STMT_EVENT,
	STMT_CONFIG,
	STMT_OPEN_BLOCKS,
	STMT_NEXT_ID_GET,
	STMT_NEXT_ID_SET,
	STMT_DATA_VERSION,
	STMT_PRUNE_BLOCKS,
	STMT_PRUNE_EVENTS,
	STMT_PRUNE_CONFIG,
	STMT_LOOKUP,
	STMT_HISTORY,
	STMT_SPAN_GET,
	STMT_SPAN_SET,
	STMT_SESS_OPEN,		/* store_sess.c from here */
	STMT_SESS_TAKE,
	STMT_SESS_CLOSED,
	STMT_SESS_CLOSE_ALL,
	STMT_SESS_DROP_ALL,
	STMT_SESS_OPEN_ROWS,
	STMT_SESS_LOOKUP,
	STMT_SESS_HISTORY,
	STMT_PRUNE_SESSIONS,
	STMT_PRUNE_DET,		/* det_layouts */
	STMT_SHIP_PUT,		/* store_ship.c from here */
	STMT_SHIP_READ,
	STMT_SHIP_ACK,
	STMT_SHIP_LAST,
	STMT_SHIP_FIRST,
	STMT_SHIP_OLDEST,
	STMT_SHIP_EPOCH,
	STMT_COUNT
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[STMT_COUNT];
	bool readonly;
	bool in_tx;
	bool tx_broken; /* a write failed half-way: the batch must not commit */
	bool ship; /* log.central: copy block and config rows to ship_queue */
	int version;
	int max_span; /* cached meta.max_block_span, -1 until read */
	/* Writer only: open holdings, valid while held_ok; the next row id
	 * and the first one not reserved in meta.next_block_id; PRAGMA
	 * data_version when they were loaded. */
	struct store_held held;
	bool held_ok;
	int64_t next_id, id_limit;
	int64_t data_version;
	char errbuf[256];
};

/* Columns every block query selects, in the order store_row_block()
 * reads them. */
#define STORE_BLOCK_COLS                                                \
	"id, instance, pool_id, pool, sub_addr, ext_addr, port_first, " \
	"port_last, assigned_ms, released_ms, release_reason"

/* The SQL of each statement (store_sql.c). */
extern const char *const store_sql[STMT_COUNT];

/* Map an SQLite result code (extended or primary) to -errno. */
int store_sqlite_errno(sqlite3 *db, int rc);

/* Record a formatted message in st->errbuf and return @ret. */
int store_fail(struct store *st, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record SQLite's message for @rc with a context prefix; return -errno. */
int store_fail_sqlite(struct store *st, int rc, const char *what);

/* Prepared statement @id, reset and with bindings cleared; prepared on
 * first use. 0 or -errno. */
int store_stmt(struct store *st, enum store_stmt_id id, sqlite3_stmt **out);

/* Fill @b from the current row of a statement selecting
 * STORE_BLOCK_COLS. */
void store_row_block(sqlite3_stmt *s, struct store_block *b);

/*
 * Run @s (a block query) to the end, calling @cb per row. Returns the
 * number of rows passed to @cb or -errno, and resets @s.
 */
int store_iterate(struct store *st, sqlite3_stmt *s, store_block_cb cb,
		  void *ctx, const char *what);

/* Make st->held and next_id match the database: reloaded after open, a
 * rollback, a failed commit or another connection's write (PRAGMA
 * data_version). 0 or -errno. */
int store_held_sync(struct store *st);
/* Clear held_ok if another connection wrote since the last load. */
int store_held_check(struct store *st);

/* The next row id into *id, reserving a run of ids in meta first when
 * the reserved ones are used up (same transaction as the row). */
int store_next_id(struct store *st, int64_t *id);

/* store_ship.c: append the image of a block event (op 1 assign, 2
 * release, 3 interim at time_ms) or a configuration record to
 * ship_queue when st->ship; a failure marks the batch broken, so that
 * no row commits without its copy. 0 or -errno. */
int store_ship_block(struct store *st, int op, const struct store_block *b,
		     int64_t time_ms);
int store_ship_config(struct store *st, int64_t time_ms, uint32_t instance,
		      const char *text);

/* Step a statement that returns no rows; 0 or -errno with context. */
int store_step_done(struct store *st, sqlite3_stmt *s, const char *what);

/*
 * Bring @db to version @n by applying migrations[version..n-1] inside one
 * BEGIN IMMEDIATE transaction, then record version @n in meta. On success
 * *version is @n. -EPROTO if the database is newer than @n, -EINVAL if the
 * list is not numbered 1..n, other -errno from SQLite; the database is
 * left untouched on any failure and @err says why.
 */
int store_migrate(sqlite3 *db, const struct schema_migration *migrations,
		  size_t n, int *version, char *err, size_t len);

/* Schema version recorded in @db: 0 when it has no meta table. */
int store_read_version(sqlite3 *db, int *version);

#endif /* CGNAT_LOGGER_STORE_INTERNAL_H */
