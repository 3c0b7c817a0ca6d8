// SPDX-License-Identifier: GPL-2.0
/*
 * The SQL of the store's prepared statements. Block events are written
 * to the journal (schema/002_journal.sql) and moved into blocks/interim
 * later, so every statement that reads holdings reads both: blocks, with
 * the releases still in the journal applied (rel), and the assigns still
 * in the journal. The journal is short and indexed only by the row a
 * release closes, so each query scans it once for assigns, which with an
 * empty journal costs nothing.
 */
#include "logger/store_internal.h"

/* The journal's assigns as block rows (still open in the journal). */
#define J_ASSIGN_COLS                                                   \
	"block_id, instance, pool_id, pool, sub_addr, ext_addr, "       \
	"port_first, port_last, time_ms, NULL, NULL"
/* The release time (or reason) of open row h from the journal, through
 * journal_rel; NULL while it is still open. */
#define J_REL(col)                                                      \
	"(SELECT " col " FROM journal WHERE op = 2 AND block_id = h.id)"
/* A holding h with the journal's release applied, in STORE_BLOCK_COLS
 * order, kept if held at some instant after @from. */
#define H_SELECT(from)                                                  \
	"SELECT * FROM (SELECT h.id, h.instance, h.pool_id, h.pool, "    \
	"h.sub_addr, h.ext_addr, h.port_first, h.port_last, "           \
	"h.assigned_ms, coalesce(h.released_ms, " J_REL("time_ms")      \
	") AS rel_ms, coalesce(h.release_reason, " J_REL("reason")      \
	") FROM h) WHERE rel_ms IS NULL OR rel_ms > " from              \
	" ORDER BY assigned_ms, id"

/* Holdings in blocks of a block containing port ?2 of ext_addr ?1,
 * assigned by ?4, that also satisfy @rel. The port_first lower bound
 * keeps the index range to the blocks that can contain ?2 (see
 * max_block_span in the schema). */
#define B_SLOT_WHERE(rel)                                               \
	"ext_addr = ?1 AND port_first BETWEEN ?2 - coalesce((SELECT "    \
	"value FROM meta WHERE key = 'max_block_span'), 65535) AND ?2 "  \
	"AND port_last >= ?2 AND assigned_ms <= ?4 AND " rel
#define B_SLOT(rel)                                                     \
	"SELECT " STORE_BLOCK_COLS " FROM blocks WHERE " B_SLOT_WHERE(rel)

/* schema/004_time_index.sql: a closed holding shorter than a day
 * (SHORT) is indexed by its release hour, a longer one (LONG) by block
 * or subscriber as before, an open one by blocks_open/blocks_sub_long.
 * The terms are spelt as in the partial indexes' WHERE. */
#define REL_HOUR "released_ms / 3600000"
#define SHORT "released_ms - assigned_ms < 86400000"
#define LONG "released_ms - assigned_ms >= 86400000"
/* The release hours d(b) a short holding held in [@from, @to] can have:
 * released in (from, to + 1 day), clamped to the hours blocks can hold
 * (released_ms < max(assigned_ms) + 1 day, >= min(assigned_ms)) so an
 * unbounded window probes only the stored history. */
#define HOURS(from, to)                                                 \
	"WITH RECURSIVE lim(lo, hi) AS (SELECT max(" from " / 3600000, "  \
	"coalesce((SELECT min(assigned_ms) FROM blocks), 0) / 3600000), " \
	"min((" to " + 86399999) / 3600000, (coalesce((SELECT "          \
	"max(assigned_ms) FROM blocks), 0) + 86399999) / 3600000)), "    \
	"d(b) AS (SELECT lo FROM lim WHERE lo <= hi UNION ALL SELECT "   \
	"b + 1 FROM d, lim WHERE b < hi), "

const char *const store_sql[STMT_COUNT] = {
	[STMT_J_APPEND] = "INSERT INTO journal (op, block_id, time_ms, "
			  "reason, instance, pool_id, pool, sub_addr, "
			  "ext_addr, port_first, port_last) VALUES (?1, ?2, "
			  "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[STMT_INTERIM_HAS] = "SELECT 1 FROM interim WHERE block_id = ?1 AND "
			     "time_ms = ?2",
	[STMT_EVENT] = "INSERT INTO events (time_ms, instance, type, "
		       "sub_addr, ext_addr, pool_id, value, limit_value, "
		       "detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[STMT_CONFIG] = "INSERT INTO config_log (time_ms, instance, config) "
			"VALUES (?1, ?2, ?3)",
	[STMT_OPEN_BLOCKS] =
		"SELECT " STORE_BLOCK_COLS " FROM blocks h WHERE "
		"released_ms IS NULL AND NOT EXISTS " J_REL("1")
		" UNION ALL SELECT " J_ASSIGN_COLS " FROM journal h WHERE "
		"op = 1 AND NOT EXISTS (SELECT 1 FROM journal WHERE op = 2 "
		"AND block_id = h.block_id) ORDER BY 6, 7",
	/* The move: a seq range [?1, ?2] of the journal, in one
	 * transaction. First the releases of rows moved earlier, then the
	 * assigns, already closed when their release is in the same range
	 * (one write instead of two), so a block never has two open rows;
	 * then interim records, whose block is in by now. */
	[STMT_J_RANGE] = "SELECT min(seq), min(max(seq), min(seq) + ?1 - 1) "
			 "FROM journal",
	[STMT_MV_ASSIGN] =
		"INSERT INTO blocks (id, instance, pool_id, pool, sub_addr, "
		"ext_addr, port_first, port_last, assigned_ms, released_ms, "
		"release_reason) SELECT a.block_id, a.instance, a.pool_id, "
		"a.pool, a.sub_addr, a.ext_addr, a.port_first, a.port_last, "
		"a.time_ms, r.time_ms, r.reason FROM journal a LEFT JOIN "
		"journal r ON r.op = 2 AND r.block_id = a.block_id AND "
		"r.seq BETWEEN ?1 AND ?2 WHERE a.op = 1 AND a.seq BETWEEN "
		"?1 AND ?2 ORDER BY a.seq",
	[STMT_MV_RELEASE] =
		"UPDATE blocks SET released_ms = r.time_ms, release_reason = "
		"r.reason FROM (SELECT block_id, time_ms, reason FROM "
		"journal WHERE op = 2 AND seq BETWEEN ?1 AND ?2) r WHERE "
		"blocks.id = r.block_id AND blocks.released_ms IS NULL",
	/* OR IGNORE: the same record twice in the journal is one row. */
	[STMT_MV_INTERIM] = "INSERT OR IGNORE INTO interim (block_id, "
			    "time_ms) SELECT block_id, time_ms FROM journal "
			    "WHERE op = 3 AND seq BETWEEN ?1 AND ?2 ORDER BY "
			    "seq",
	[STMT_J_DELETE] = "DELETE FROM journal WHERE seq BETWEEN ?1 AND ?2",
	/* Next row id and journal length, for the writer's state. */
	[STMT_J_STATE] = "SELECT max(coalesce((SELECT max(id) FROM blocks), "
			 "0), coalesce((SELECT max(block_id) FROM journal "
			 "WHERE op = 1), 0)) + 1, (SELECT count(*) FROM "
			 "journal)",
	[STMT_DATA_VERSION] = "PRAGMA data_version",
	/* INDEXED BY: "released_ms < ?1" qualifies the partial indexes
	 * too, and the planner would scan one of them whole. */
	[STMT_PRUNE_BLOCKS] = "DELETE FROM blocks WHERE id IN (SELECT id "
			      "FROM blocks INDEXED BY blocks_assigned WHERE "
			      "assigned_ms < ?1 AND released_ms < ?1 LIMIT "
			      "?2)",
	[STMT_PRUNE_EVENTS] = "DELETE FROM events WHERE id IN (SELECT id "
			      "FROM events WHERE time_ms < ?1 LIMIT ?2)",
	/* Keep, per instance, the newest row at or before the cut-off: it
	 * is the configuration in force when the oldest kept rows began. */
	[STMT_PRUNE_CONFIG] =
		"DELETE FROM config_log WHERE id IN (SELECT c.id FROM "
		"config_log c WHERE c.time_ms < ?1 AND c.time_ms < (SELECT "
		"max(d.time_ms) FROM config_log d WHERE d.instance = "
		"c.instance AND d.time_ms <= ?1) LIMIT ?2)",
	/* Rows open in blocks pass the first filter and get the journal's
	 * release applied before the second. */
	[STMT_LOOKUP] =
		HOURS("?3", "?4") "h AS (SELECT " STORE_BLOCK_COLS " FROM d "
		"CROSS JOIN blocks INDEXED BY blocks_ext_rel ON " REL_HOUR
		" = d.b WHERE " B_SLOT_WHERE("released_ms > ?3 AND " SHORT)
		" UNION ALL SELECT " STORE_BLOCK_COLS " FROM blocks INDEXED BY "
		"blocks_ext_long WHERE " B_SLOT_WHERE("released_ms > ?3 AND "
						      LONG)
		" UNION ALL " B_SLOT("released_ms IS NULL") " UNION ALL SELECT "
		J_ASSIGN_COLS " FROM journal WHERE op = 1 AND ext_addr = ?1 "
		"AND port_first <= ?2 AND port_last >= ?2 AND time_ms <= ?4) "
		H_SELECT("?3"),
	[STMT_SPAN_GET] = "SELECT value FROM meta WHERE key = "
			  "'max_block_span'",
	[STMT_SPAN_SET] = "INSERT INTO meta (key, value) VALUES "
			  "('max_block_span', ?1) ON CONFLICT (key) DO UPDATE "
			  "SET value = excluded.value WHERE value < "
			  "excluded.value",
	[STMT_HISTORY] =
		HOURS("?2", "?3") "h AS (SELECT " STORE_BLOCK_COLS " FROM d "
		"CROSS JOIN blocks INDEXED BY blocks_sub_rel ON " REL_HOUR
		" = d.b WHERE sub_addr = ?1 AND assigned_ms <= ?3 AND "
		"released_ms > ?2 AND " SHORT " UNION ALL SELECT "
		STORE_BLOCK_COLS " FROM blocks INDEXED BY blocks_sub_long "
		"WHERE sub_addr = ?1 AND assigned_ms <= ?3 AND (released_ms "
		"IS NULL OR " LONG ") AND (released_ms IS NULL OR "
		"released_ms > ?2) UNION ALL SELECT " J_ASSIGN_COLS " FROM "
		"journal WHERE op = 1 AND sub_addr = ?1 AND time_ms <= ?3) "
		H_SELECT("?2"),
};
