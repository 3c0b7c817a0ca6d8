-- SPDX-License-Identifier: GPL-2.0
--
-- Schema version 7: the ship queue of the fleet log (log.central). While
-- log.central is set, every block assign, release, interim record and
-- configuration record also appends one row here, in the same
-- transaction as the row it copies, so what PostgreSQL receives is
-- exactly what this database committed. The shipper thread reads it in
-- seq order through its own read-only connection; the daemon deletes a
-- prefix only once PostgreSQL has acknowledged it (the per-node
-- high-water mark, committed in the same PostgreSQL transaction as the
-- rows). AUTOINCREMENT so that seq never goes back, even after the queue
-- was emptied: PostgreSQL skips every seq at or below its mark.
--
-- A row is a complete image (a release carries the whole holding), so
-- local retention may drop the holding from blocks while its copy still
-- waits here: nothing PostgreSQL has not acknowledged is ever lost.

CREATE TABLE ship_queue (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	op          INTEGER NOT NULL,  -- 1 assign, 2 release, 3 interim, 4 config
	time_ms     INTEGER NOT NULL,  -- the event's time (assign, release, ...)
	block_id    INTEGER,           -- blocks.id (ops 1-3)
	instance    INTEGER NOT NULL,
	pool_id     INTEGER,
	pool        TEXT,
	sub_addr    INTEGER,
	ext_addr    INTEGER,
	port_first  INTEGER,
	port_last   INTEGER,
	assigned_ms INTEGER,
	reason      INTEGER,           -- release: enum store_release_reason
	config      TEXT,              -- op 4: the configuration record
	CHECK (op BETWEEN 1 AND 4),
	CHECK (time_ms >= 0)
);

-- This database's identity towards PostgreSQL: a new file (a box
-- reinstalled, a lost disk) starts its seq and block ids again, and the
-- central store must know that it is a new log and not a replay.
INSERT INTO meta (key, value) VALUES ('ship_epoch', abs(random() >> 1));
