-- SPDX-License-Identifier: GPL-2.0
--
-- Schema version 2: the block journal. cgnatd appends every assign,
-- release and interim record here, in the transaction it acknowledges;
-- this table has no index but its rowid, so an append touches only the
-- last page, which is what lets a batch commit at several hundred
-- thousand rows per second on any size of database. A background step
-- (store_move) applies journal rows to blocks/interim in seq order and
-- deletes them in the same transaction, so a crash before, during or
-- after a move neither loses nor repeats a row. Until then the store's
-- queries (and blocks_all/blocks_text below) read blocks together with
-- the journal.

CREATE TABLE journal (
	seq        INTEGER PRIMARY KEY,  -- append order = apply order
	op         INTEGER NOT NULL,     -- 1 assign, 2 release, 3 interim
	block_id   INTEGER NOT NULL,     -- blocks.id it creates or targets
	time_ms    INTEGER NOT NULL,     -- assigned_ms, released_ms or interim
	reason     INTEGER,              -- release: enum store_release_reason
	-- assign only (NULL otherwise): the row that goes into blocks
	instance   INTEGER,
	pool_id    INTEGER,
	pool       TEXT,
	sub_addr   INTEGER,
	ext_addr   INTEGER,
	port_first INTEGER,
	port_last  INTEGER,
	CHECK (op BETWEEN 1 AND 3),
	CHECK (time_ms >= 0)
);

-- Releases by the row they close: a query applies them to the few open
-- rows it finds without scanning the journal. Half the rows, and a small
-- index (it holds only what the journal holds).
CREATE INDEX journal_rel ON journal (block_id) WHERE op = 2;

-- Every holding as the queries see it: blocks with the releases still in
-- the journal applied, and the holdings assigned in the journal.
CREATE VIEW blocks_all AS
SELECT b.id, b.instance, b.pool_id, b.pool, b.sub_addr, b.ext_addr,
       b.port_first, b.port_last, b.assigned_ms,
       coalesce(b.released_ms, r.time_ms) AS released_ms,
       coalesce(b.release_reason, r.reason) AS release_reason
  FROM blocks b LEFT JOIN journal r
    ON b.released_ms IS NULL AND r.op = 2 AND r.block_id = b.id
UNION ALL
SELECT a.block_id, a.instance, a.pool_id, a.pool, a.sub_addr, a.ext_addr,
       a.port_first, a.port_last, a.time_ms, r.time_ms, r.reason
  FROM journal a LEFT JOIN journal r ON r.op = 2 AND r.block_id = a.block_id
 WHERE a.op = 1;

DROP VIEW blocks_text;
CREATE VIEW blocks_text AS
SELECT id, instance, pool_id, pool,
       (sub_addr >> 24) || '.' || ((sub_addr >> 16) & 255) || '.' ||
       ((sub_addr >> 8) & 255) || '.' || (sub_addr & 255) AS subscriber,
       (ext_addr >> 24) || '.' || ((ext_addr >> 16) & 255) || '.' ||
       ((ext_addr >> 8) & 255) || '.' || (ext_addr & 255) AS external,
       port_first, port_last,
       strftime('%Y-%m-%dT%H:%M:%S', assigned_ms / 1000, 'unixepoch') ||
       printf('.%03dZ', assigned_ms % 1000) AS assigned,
       CASE WHEN released_ms IS NULL THEN NULL ELSE
       strftime('%Y-%m-%dT%H:%M:%S', released_ms / 1000, 'unixepoch') ||
       printf('.%03dZ', released_ms % 1000) END AS released,
       CASE release_reason
	    WHEN 1 THEN 'idle' WHEN 2 THEN 'lifetime' WHEN 3 THEN 'admin'
	    WHEN 4 THEN 'reconcile' WHEN 5 THEN 'shutdown'
	    ELSE CAST(release_reason AS TEXT) END AS release_reason
  FROM blocks_all;
