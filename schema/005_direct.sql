-- SPDX-License-Identifier: GPL-2.0
--
-- Schema version 5: block events are written straight into their final
-- tables, in the caller's transaction; no journal, no move.
--
-- Open holdings live in open_blocks, one row per held block, keyed by
-- block: it holds only what is held now (a pool's worth of rows), so an
-- assign is one insert into a small, hot B-tree and a release one
-- delete there. blocks holds closed holdings only, written once, at the
-- release, as a complete row: no row is ever updated. An open holding
-- keeps its id when it closes.
--
-- blocks is a WITHOUT ROWID table clustered by (rel_hour, ext_addr,
-- port_first, assigned_ms, id), rel_hour being the release hour
-- (released_ms / 3600000). Releases happen now, so every insert lands
-- in the last hour's pages: the table is appended to, like the v4
-- blocks_ext_rel index, and it is that index (a lookup of a short
-- holding probes the table directly; retention deletes a prefix of it).
-- Long (>= 1 day) holdings are found through blocks_ext_long and
-- blocks_sub_long as in v4, short ones by subscriber through
-- blocks_sub_rel. Dropped: blocks_open (open holdings have their own
-- table), blocks_assigned (retention goes by release hour; the lookups'
-- hour clamp reads min/max(rel_hour) from the table's own key), and the
-- rowid (nothing looks a closed holding up by id). meta.next_block_id
-- is the next id the writer may use (it reserves ids there before using
-- them), since max(id) is no longer an index lookup.
--
-- interim loses its FOREIGN KEY to blocks(id) (an open holding's id is
-- in open_blocks); a trigger deletes a closed holding's interim rows
-- with it, as ON DELETE CASCADE did for retention.
--
-- The migration first applies what the v4 journal still holds exactly
-- as a full move would, then copies closed and open rows into the new
-- tables. On 10M rows it rewrites the table and its indexes once, at
-- the first start of this build (see docs/compliance-log.md, Migrations).

-- 1. The v4 journal, moved as store_move() would move all of it:
-- releases of rows already in blocks, then the assigns (closed when
-- their release is in the journal too), then interim records.
UPDATE blocks SET released_ms = r.time_ms, release_reason = r.reason
  FROM (SELECT block_id, time_ms, reason FROM journal WHERE op = 2) r
 WHERE blocks.id = r.block_id AND blocks.released_ms IS NULL;
INSERT INTO blocks (id, instance, pool_id, pool, sub_addr, ext_addr,
		    port_first, port_last, assigned_ms, released_ms,
		    release_reason)
SELECT a.block_id, a.instance, a.pool_id, a.pool, a.sub_addr, a.ext_addr,
       a.port_first, a.port_last, a.time_ms, r.time_ms, r.reason
  FROM journal a LEFT JOIN journal r ON r.op = 2 AND r.block_id = a.block_id
 WHERE a.op = 1 ORDER BY a.seq;
INSERT OR IGNORE INTO interim (block_id, time_ms)
SELECT block_id, time_ms FROM journal WHERE op = 3 ORDER BY seq;

-- 2. interim without its foreign key, before blocks goes (dropping the
-- parent would cascade into it).
CREATE TABLE interim_v5 (
	block_id INTEGER NOT NULL,  -- blocks.id or open_blocks.id
	time_ms  INTEGER NOT NULL,
	PRIMARY KEY (block_id, time_ms)
) WITHOUT ROWID;
INSERT INTO interim_v5 SELECT block_id, time_ms FROM interim;
DROP TABLE interim;
ALTER TABLE interim_v5 RENAME TO interim;

-- 3. Closed holdings, in key order.
CREATE TABLE blocks_v5 (
	id             INTEGER NOT NULL,
	instance       INTEGER NOT NULL,  -- natInstanceID (IPFIX IE 463)
	pool_id        INTEGER NOT NULL,  -- natPoolID (IE 283)
	pool           TEXT NOT NULL,     -- pool name when assigned
	sub_addr       INTEGER NOT NULL,  -- subscriber IPv4, host order
	ext_addr       INTEGER NOT NULL,  -- external IPv4, host order
	port_first     INTEGER NOT NULL,  -- portRangeStart (IE 361)
	port_last      INTEGER NOT NULL,  -- portRangeEnd (IE 362), inclusive
	assigned_ms    INTEGER NOT NULL,  -- natEvent 16
	released_ms    INTEGER NOT NULL,  -- natEvent 17
	release_reason INTEGER,           -- enum store_release_reason
	rel_hour       INTEGER NOT NULL,  -- released_ms / 3600000
	CHECK (sub_addr BETWEEN 0 AND 4294967295),
	CHECK (ext_addr BETWEEN 0 AND 4294967295),
	CHECK (port_first BETWEEN 0 AND port_last AND port_last <= 65535),
	CHECK (assigned_ms >= 0 AND released_ms >= assigned_ms),
	-- A row filed under another hour would be invisible to lookups.
	CHECK (rel_hour = released_ms / 3600000),
	PRIMARY KEY (rel_hour, ext_addr, port_first, assigned_ms, id)
) WITHOUT ROWID;
INSERT INTO blocks_v5
SELECT id, instance, pool_id, pool, sub_addr, ext_addr, port_first,
       port_last, assigned_ms, released_ms, release_reason,
       released_ms / 3600000
  FROM blocks WHERE released_ms IS NOT NULL
 ORDER BY released_ms / 3600000, ext_addr, port_first, assigned_ms, id;

-- 4. Open holdings: at most one per block (the key).
CREATE TABLE open_blocks (
	ext_addr    INTEGER NOT NULL,
	port_first  INTEGER NOT NULL,
	id          INTEGER NOT NULL,
	instance    INTEGER NOT NULL,
	pool_id     INTEGER NOT NULL,
	pool        TEXT NOT NULL,
	sub_addr    INTEGER NOT NULL,
	port_last   INTEGER NOT NULL,
	assigned_ms INTEGER NOT NULL,
	CHECK (sub_addr BETWEEN 0 AND 4294967295),
	CHECK (ext_addr BETWEEN 0 AND 4294967295),
	CHECK (port_first BETWEEN 0 AND port_last AND port_last <= 65535),
	CHECK (assigned_ms >= 0),
	PRIMARY KEY (ext_addr, port_first)
) WITHOUT ROWID;
INSERT INTO open_blocks
SELECT ext_addr, port_first, id, instance, pool_id, pool, sub_addr,
       port_last, assigned_ms
  FROM blocks WHERE released_ms IS NULL ORDER BY ext_addr, port_first;
-- History of open holdings by subscriber.
CREATE INDEX open_blocks_sub ON open_blocks (sub_addr, assigned_ms);

INSERT INTO meta (key, value)
SELECT 'next_block_id', coalesce(max(id), 0) + 1 FROM blocks;

DROP VIEW blocks_text;
DROP VIEW blocks_all;
DROP TABLE journal;
DROP TABLE blocks;
ALTER TABLE blocks_v5 RENAME TO blocks;

-- Long holdings by block and by subscriber (a block adds at most one a
-- day), short ones by release hour and subscriber; see 004.
CREATE INDEX blocks_ext_long ON blocks (ext_addr, port_first, assigned_ms,
					port_last, released_ms)
	WHERE released_ms - assigned_ms >= 86400000;
CREATE INDEX blocks_sub_rel ON blocks (rel_hour, sub_addr, assigned_ms,
				       released_ms)
	WHERE released_ms - assigned_ms < 86400000;
CREATE INDEX blocks_sub_long ON blocks (sub_addr, assigned_ms)
	WHERE released_ms - assigned_ms >= 86400000;

-- Retention deletes closed holdings; their interim rows go with them.
CREATE TRIGGER blocks_interim_gone AFTER DELETE ON blocks
BEGIN
	DELETE FROM interim WHERE block_id = OLD.id;
END;

-- Every holding, closed or open, as v1-v4's blocks table showed it.
CREATE VIEW blocks_all AS
SELECT id, instance, pool_id, pool, sub_addr, ext_addr, port_first,
       port_last, assigned_ms, released_ms, release_reason
  FROM blocks
UNION ALL
SELECT id, instance, pool_id, pool, sub_addr, ext_addr, port_first,
       port_last, assigned_ms, NULL, NULL
  FROM open_blocks;

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
