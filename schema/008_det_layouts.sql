-- SPDX-License-Identifier: GPL-2.0
--
-- Schema version 8: deterministic NAT (RFC 7422). A deterministic pool
-- logs nothing per subscriber: its log is its layout. One row per record
-- of a layout: when the data plane switched to a new version (kind 1),
-- the daily repeat RFC 7422 section 3 asks for (kind 2), and the end of
-- a pool's deterministic mode (kind 3, retired: no layout from then on).
-- A version is in force from its switched_ms until the next version's
-- (or a retirement's) switched_ms; before the first version of a pool no
-- layout covers a time, and lookups say "unknown".
--
-- Each row carries the whole layout (RFC 7422 section 3's fields: inside
-- prefix I, outside prefix O, ports per subscriber, reserved ports R,
-- algorithm A, plus what our arithmetic needs), so any past version can
-- be recomputed from this table alone, whatever the configuration is now.
-- Subscribers whose range a version moved may not use ports in their new
-- range before switched_ms + quarantine_ms; until then a lookup names both
-- the old and the new owner of a moved port.

CREATE TABLE det_layouts (
	id            INTEGER PRIMARY KEY,
	kind          INTEGER NOT NULL,  -- 1 change, 2 daily repeat, 3 retired
	logged_ms     INTEGER NOT NULL,  -- when this row was written
	instance      INTEGER NOT NULL,  -- natInstanceID
	pool_id       INTEGER NOT NULL,  -- natPoolID
	pool          TEXT NOT NULL,
	version       INTEGER NOT NULL,  -- per (instance, pool_id), from 1
	switched_ms   INTEGER NOT NULL,  -- the data plane switched to it
	quarantine_ms INTEGER NOT NULL,  -- moved ports rest this long
	inside        TEXT NOT NULL,     -- I: sorted prefixes, space separated
	outside       TEXT NOT NULL,     -- O: sorted prefixes
	exclude_boundary INTEGER NOT NULL, -- first/last address of O left out
	ports_per_subscriber INTEGER NOT NULL,
	port_first    INTEGER NOT NULL,  -- deterministic region from here
	port_last     INTEGER NOT NULL,  -- ports.range's last
	subs_per_addr INTEGER NOT NULL,  -- C
	overflow_blocks INTEGER NOT NULL, -- blocks past the range (D > 0)
	block_size    INTEGER NOT NULL,  -- of overflow blocks
	algorithm     INTEGER NOT NULL,  -- RFC 7422 A: 0 sequential
	reserved      TEXT NOT NULL,     -- R: ports never used, e.g. 0-1023
	CHECK (kind BETWEEN 1 AND 3),
	CHECK (version >= 1),
	CHECK (ports_per_subscriber % 64 = 0),
	CHECK (port_first BETWEEN 1024 AND port_last AND port_last <= 65535)
);
CREATE INDEX det_layouts_pool ON det_layouts (instance, pool_id, version,
					      switched_ms);
