// SPDX-License-Identifier: GPL-2.0
/*
 * The SQL of the store's prepared statements (schema/005_direct.sql).
 * Closed holdings are in blocks, clustered by release hour; open ones in
 * open_blocks. A block event writes its final rows at once, so every
 * query reads exactly two tables and nothing has to be merged.
 */
#include "logger/store_internal.h"

/* open_blocks as STORE_BLOCK_COLS (no release yet). */
#define OPEN_COLS                                                       \
	"id, instance, pool_id, pool, sub_addr, ext_addr, port_first, " \
	"port_last, assigned_ms, NULL, NULL"

/* A block containing port ?2 of ext_addr ?1, assigned by ?4. The
 * port_first lower bound keeps the key range to the blocks that can
 * contain ?2 (see max_block_span in the schema). */
#define SLOT_WHERE                                                      \
	"ext_addr = ?1 AND port_first BETWEEN ?2 - coalesce((SELECT "    \
	"value FROM meta WHERE key = 'max_block_span'), 65535) AND ?2 "  \
	"AND port_last >= ?2 AND assigned_ms <= ?4"

/* A closed holding shorter than a day (SHORT) is found by its release
 * hour, a longer one (LONG) by block or subscriber; the terms are spelt
 * as in the partial indexes' WHERE. */
#define SHORT "released_ms - assigned_ms < 86400000"
#define LONG "released_ms - assigned_ms >= 86400000"
/* The release hours d(b) a short holding held in [@from, @to] can have:
 * released in (from, to + 1 day), clamped to the hours blocks holds
 * (min/max of its leading key column, two B-tree descents), so an
 * unbounded window probes only the stored history and an empty table
 * none. */
#define HOURS(from, to)                                                  \
	"WITH RECURSIVE lim(lo, hi) AS (SELECT max(" from " / 3600000, " \
	"(SELECT min(rel_hour) FROM blocks)), min((" to " + 86399999) / " \
	"3600000, (SELECT max(rel_hour) FROM blocks))), d(b) AS (SELECT " \
	"lo FROM lim WHERE lo <= hi UNION ALL SELECT b + 1 FROM d, lim "  \
	"WHERE b < hi) "


/* Session rows (schema/006_sessions.sql) as store_row_session() reads
 * them; open ones have no end. */
#define SESS_COLS                                                      \
	"ext_addr, ext_port, proto, rem_addr, rem_port, int_addr, "     \
	"int_port, instance, flags, start_ms"
#define SESS_CLOSED SESS_COLS ", end_ms, end_reason"
#define SESS_OPEN SESS_COLS ", NULL, NULL"
/* An ended session shorter than three hours (SESS_SHORT) is found by its
 * end second, a longer one or one of unknown start (SESS_LONG) by
 * endpoint (schema/009_sess_time_index.sql); SESS_LONG is spelt as in
 * the partial indexes' WHERE. */
#define SESS_SHORT "end_ms - start_ms < 10800000"
#define SESS_LONG "(start_ms IS NULL OR end_ms - start_ms >= 10800000)"
/* The seconds @d(s) from @lo to @hi (bounds in @lim) that @key, a time
 * column / 1000 leading an index of @tab, can take. A range of a day or
 * less (a point lookup: 10,801) is counted second by second; a longer
 * one goes from each second @tab holds to the next (one more B-tree
 * descent each), so a gap in the log, or a row stamped years off by a
 * wrong clock, costs nothing, where counting every second of an
 * unbounded window up to such a row would not end. */
#define SECONDS(d, lim, tab, key, lo, hi)                                \
	lim "(lo, hi) AS (SELECT " lo ", " hi "), " d "(s) AS (SELECT lo " \
	"FROM " lim " WHERE lo <= hi UNION ALL SELECT CASE WHEN hi - lo "  \
	"<= 86400 THEN s + 1 ELSE (SELECT min(" key ") FROM " tab         \
	" WHERE " key " > s) END FROM " d ", " lim " WHERE s < hi) "
/* The end seconds d(s) a short session that met [@from, @to] can have:
 * ended in (from, to + 3 h), clamped to the seconds sessions holds (the
 * first and last of its leading key, two B-tree descents). */
#define SECS(from, to)                                                   \
	"WITH RECURSIVE " SECONDS("d", "lim", "sessions", "end_ms / 1000", \
		"max(" from " / 1000, (SELECT min(end_ms / 1000) FROM "     \
		"sessions))", "min((" to " + 10799999) / 1000, (SELECT "    \
		"max(end_ms / 1000) FROM sessions))")
/* The start seconds o(s) of the open sessions that began by @to, from
 * the oldest open session's (an open session meets every window after
 * its start). Follows SECS in the same WITH. */
#define OPEN_SECS(to)                                                    \
	", " SECONDS("o", "olim", "open_sessions", "start_ms / 1000",      \
		"(SELECT min(start_ms / 1000) FROM open_sessions)", "min("  \
		to " / 1000, (SELECT max(start_ms / 1000) FROM "             \
		"open_sessions))")

const char *const store_sql[STMT_COUNT] = {
	/* Parameters numbered as STORE_BLOCK_COLS, as in the closed row
	 * (store_write.c binds both alike). */
	[STMT_OPEN_INSERT] = "INSERT INTO open_blocks (id, instance, pool_id, "
			     "pool, sub_addr, ext_addr, port_first, "
			     "port_last, assigned_ms) VALUES (?1, ?2, ?3, "
			     "?4, ?5, ?6, ?7, ?8, ?9)",
	[STMT_OPEN_DELETE] = "DELETE FROM open_blocks WHERE ext_addr = ?1 "
			     "AND port_first = ?2",
	/* From the writer's copy of the open row: no read of open_blocks
	 * (measured faster than INSERT ... SELECT; docs/performance.md). */
	[STMT_CLOSED_INSERT] = "INSERT INTO blocks (" STORE_BLOCK_COLS
			       ", rel_hour) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
			       "?7, ?8, ?9, ?10, ?11, ?10 / 3600000)",
	[STMT_INTERIM] = "INSERT INTO interim (block_id, time_ms) VALUES "
			 "(?1, ?2)",
	[STMT_EVENT] = "INSERT INTO events (time_ms, instance, type, "
		       "sub_addr, ext_addr, pool_id, value, limit_value, "
		       "detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[STMT_CONFIG] = "INSERT INTO config_log (time_ms, instance, config) "
			"VALUES (?1, ?2, ?3)",
	[STMT_OPEN_BLOCKS] = "SELECT " OPEN_COLS " FROM open_blocks ORDER BY "
			     "ext_addr, port_first",
	[STMT_NEXT_ID_GET] = "SELECT value FROM meta WHERE key = "
			     "'next_block_id'",
	[STMT_NEXT_ID_SET] = "INSERT INTO meta (key, value) VALUES "
			     "('next_block_id', ?1) ON CONFLICT (key) DO "
			     "UPDATE SET value = excluded.value",
	[STMT_DATA_VERSION] = "PRAGMA data_version",
	/* A prefix of the table's key: everything released before the
	 * cut-off, and at most one hour's rows looked at and kept. */
	[STMT_PRUNE_BLOCKS] = "DELETE FROM blocks WHERE (rel_hour, ext_addr, "
			      "port_first, assigned_ms, id) IN (SELECT "
			      "rel_hour, ext_addr, port_first, assigned_ms, "
			      "id FROM blocks WHERE rel_hour <= ?1 / 3600000 "
			      "AND released_ms < ?1 LIMIT ?2)",
	[STMT_PRUNE_EVENTS] = "DELETE FROM events WHERE id IN (SELECT id "
			      "FROM events WHERE time_ms < ?1 LIMIT ?2)",
	/* Keep, per instance, the newest row at or before the cut-off: it
	 * is the configuration in force when the oldest kept rows began. */
	[STMT_PRUNE_CONFIG] =
		"DELETE FROM config_log WHERE id IN (SELECT c.id FROM "
		"config_log c WHERE c.time_ms < ?1 AND c.time_ms < (SELECT "
		"max(d.time_ms) FROM config_log d WHERE d.instance = "
		"c.instance AND d.time_ms <= ?1) LIMIT ?2)",
	/* Short holdings: one key probe of blocks per release hour; long
	 * ones through blocks_ext_long; open ones by open_blocks' key. */
	[STMT_LOOKUP] =
		HOURS("?3", "?4") "SELECT " STORE_BLOCK_COLS " FROM d CROSS "
		"JOIN blocks ON rel_hour = d.b WHERE " SLOT_WHERE " AND "
		"released_ms > ?3 AND " SHORT " UNION ALL SELECT "
		STORE_BLOCK_COLS " FROM blocks INDEXED BY blocks_ext_long "
		"WHERE " SLOT_WHERE " AND released_ms > ?3 AND " LONG
		" UNION ALL SELECT " OPEN_COLS " FROM open_blocks WHERE "
		SLOT_WHERE " ORDER BY assigned_ms, id",
	[STMT_SPAN_GET] = "SELECT value FROM meta WHERE key = "
			  "'max_block_span'",
	[STMT_SPAN_SET] = "INSERT INTO meta (key, value) VALUES "
			  "('max_block_span', ?1) ON CONFLICT (key) DO UPDATE "
			  "SET value = excluded.value WHERE value < "
			  "excluded.value",
	[STMT_HISTORY] =
		HOURS("?2", "?3") "SELECT " STORE_BLOCK_COLS " FROM d CROSS "
		"JOIN blocks INDEXED BY blocks_sub_rel ON rel_hour = d.b "
		"WHERE sub_addr = ?1 AND assigned_ms <= ?3 AND released_ms > "
		"?2 AND " SHORT " UNION ALL SELECT " STORE_BLOCK_COLS " FROM "
		"blocks INDEXED BY blocks_sub_long WHERE sub_addr = ?1 AND "
		"assigned_ms <= ?3 AND released_ms > ?2 AND " LONG " UNION "
		"ALL SELECT " OPEN_COLS " FROM open_blocks INDEXED BY "
		"open_blocks_sub WHERE sub_addr = ?1 AND assigned_ms <= ?3 "
		"ORDER BY assigned_ms, id",
	[STMT_SESS_OPEN] = "INSERT INTO open_sessions (" SESS_COLS ") VALUES "
			   "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	/* The open row of a session key, gone from the table. */
	[STMT_SESS_TAKE] = "DELETE FROM open_sessions WHERE ext_addr = ?1 "
			   "AND ext_port = ?2 AND proto = ?3 AND rem_addr = "
			   "?4 AND rem_port = ?5 RETURNING int_addr, "
			   "int_port, instance, flags, start_ms",
	[STMT_SESS_CLOSED] = "INSERT INTO sessions (" SESS_CLOSED ") VALUES "
			     "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
			     "?12)",
	[STMT_SESS_CLOSE_ALL] = "INSERT INTO sessions (" SESS_CLOSED ") "
				"SELECT " SESS_COLS ", max(start_ms, ?1), ?2 "
				"FROM open_sessions",
	[STMT_SESS_DROP_ALL] = "DELETE FROM open_sessions",
	[STMT_SESS_OPEN_ROWS] = "SELECT " SESS_OPEN " FROM open_sessions",
	/* Used ext:port at some instant of [?3, ?4]: [start, end) meets it;
	 * an unseen start may be any time before the end. */
	[STMT_SESS_LOOKUP] =
		SECS("?3", "?4") "SELECT " SESS_CLOSED " FROM d CROSS JOIN "
		"sessions INDEXED BY sessions_ext_sec ON end_ms / 1000 = d.s "
		"WHERE ext_addr = ?1 AND ext_port = ?2 AND end_ms > ?3 AND "
		"start_ms <= ?4 AND " SESS_SHORT " UNION ALL SELECT "
		SESS_CLOSED " FROM sessions INDEXED BY sessions_ext_long "
		"WHERE ext_addr = ?1 AND ext_port = ?2 AND end_ms > ?3 AND "
		"(start_ms IS NULL OR start_ms <= ?4) AND " SESS_LONG
		" UNION ALL SELECT " SESS_OPEN " FROM open_sessions WHERE "
		"ext_addr = ?1 AND ext_port = ?2 AND start_ms <= ?4 ORDER BY "
		"start_ms",
	[STMT_SESS_HISTORY] =
		SECS("?2", "?3") OPEN_SECS("?3") "SELECT " SESS_CLOSED " FROM "
		"d CROSS JOIN sessions INDEXED BY sessions_int_sec ON end_ms "
		"/ 1000 = d.s WHERE int_addr = ?1 AND end_ms > ?2 AND "
		"start_ms <= ?3 AND " SESS_SHORT " UNION ALL SELECT "
		SESS_CLOSED " FROM sessions INDEXED BY sessions_int_long "
		"WHERE int_addr = ?1 AND end_ms > ?2 AND (start_ms IS NULL OR "
		"start_ms <= ?3) AND " SESS_LONG " UNION ALL SELECT " SESS_OPEN
		" FROM o CROSS JOIN open_sessions INDEXED BY "
		"open_sessions_int_sec ON start_ms / 1000 = o.s WHERE "
		"int_addr = ?1 AND start_ms <= ?3 ORDER BY start_ms",
	/* Ended before ?1, by end second (every row is in that index). */
	[STMT_PRUNE_SESSIONS] =
		"DELETE FROM sessions WHERE id IN (SELECT id FROM sessions "
		"INDEXED BY sessions_ext_sec WHERE end_ms / 1000 <= ?1 / 1000 "
		"AND end_ms < ?1 LIMIT ?2)",
	/* schema/008_det_layouts.sql: a daily repeat older than the cut-off,
	 * and a version (or retirement) whose next version of the pool, with
	 * the quarantine in which a lookup still names its owners, ended
	 * before the cut-off: no kept time falls under it. The newest row of
	 * a pool is never taken (it has no next). */
	[STMT_PRUNE_DET] =
		"DELETE FROM det_layouts WHERE id IN (SELECT v.id FROM "
		"det_layouts v WHERE (v.kind = 2 AND v.logged_ms < ?1) OR "
		"(v.kind != 2 AND (SELECT w.switched_ms + w.quarantine_ms "
		"FROM det_layouts w WHERE w.kind != 2 AND w.instance = "
		"v.instance AND w.pool = v.pool AND (w.switched_ms, w.version, "
		"w.id) > (v.switched_ms, v.version, v.id) ORDER BY "
		"w.switched_ms, w.version, w.id LIMIT 1) <= ?1) LIMIT ?2)",
	/* schema/007_ship_queue.sql */
	[STMT_SHIP_PUT] = "INSERT INTO ship_queue (op, time_ms, block_id, "
			  "instance, pool_id, pool, sub_addr, ext_addr, "
			  "port_first, port_last, assigned_ms, reason, config) "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
			  "?11, ?12, ?13)",
	[STMT_SHIP_READ] = "SELECT seq, op, time_ms, block_id, instance, "
			   "pool_id, pool, sub_addr, ext_addr, port_first, "
			   "port_last, assigned_ms, reason, config FROM "
			   "ship_queue WHERE seq > ?1 ORDER BY seq LIMIT ?2",
	[STMT_SHIP_ACK] = "DELETE FROM ship_queue WHERE seq IN (SELECT seq "
			  "FROM ship_queue WHERE seq <= ?1 ORDER BY seq LIMIT "
			  "?2)",
	/* seq never goes back (AUTOINCREMENT): the last one handed out,
	 * also when the queue is empty. */
	[STMT_SHIP_LAST] = "SELECT coalesce((SELECT seq FROM sqlite_sequence "
			   "WHERE name = 'ship_queue'), 0)",
	[STMT_SHIP_FIRST] = "SELECT seq, time_ms FROM ship_queue WHERE seq > "
			    "?1 ORDER BY seq LIMIT 1",
	[STMT_SHIP_OLDEST] = "SELECT min(time_ms) FROM ship_queue",
	[STMT_SHIP_EPOCH] = "SELECT value FROM meta WHERE key = 'ship_epoch'",
};
