-- SPDX-License-Identifier: GPL-2.0
--
-- Schema version 1 of the cgnat compliance log: one row per port-block
-- holding (RFC 6888 section 4, RFC 7422 section 2.3, RFC 8158 table 21),
-- interim rows for long holdings, exhaustion/quota/threshold events and the
-- effective configuration (RFC 7422 section 3). Addresses are IPv4 in host
-- byte order as INTEGER so range queries stay numeric; times are INTEGER
-- milliseconds since the UNIX epoch, UTC. A holding covers the half-open
-- interval [assigned_ms, released_ms). This file runs inside the migration
-- transaction; the version itself is recorded by the migration code.

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value NOT NULL
) WITHOUT ROWID;

-- Widest block ever stored (port_last - port_first). Lookups bound their
-- index range scan to port_first BETWEEN port - span AND port with it, so a
-- query touches one block slot's history instead of every block below the
-- port. The store raises it in the transaction that inserts a wider block
-- (a trigger did this too, at a quarter of the insert cost); rows written
-- behind the store's back must raise it as well, or lookups miss them.
INSERT INTO meta (key, value) VALUES ('max_block_span', 0);

CREATE TABLE blocks (
	id             INTEGER PRIMARY KEY,
	instance       INTEGER NOT NULL,  -- natInstanceID (IPFIX IE 463)
	pool_id        INTEGER NOT NULL,  -- natPoolID (IE 283)
	pool           TEXT NOT NULL,     -- pool name when assigned
	sub_addr       INTEGER NOT NULL,  -- subscriber IPv4, host order (IE 8)
	ext_addr       INTEGER NOT NULL,  -- external IPv4, host order (IE 225)
	port_first     INTEGER NOT NULL,  -- portRangeStart (IE 361)
	port_last      INTEGER NOT NULL,  -- portRangeEnd (IE 362), inclusive
	assigned_ms    INTEGER NOT NULL,  -- natEvent 16
	released_ms    INTEGER,           -- natEvent 17; NULL while held
	release_reason INTEGER,           -- enum store_release_reason
	CHECK (sub_addr BETWEEN 0 AND 4294967295),
	CHECK (ext_addr BETWEEN 0 AND 4294967295),
	CHECK (port_first BETWEEN 0 AND port_last AND port_last <= 65535),
	CHECK (assigned_ms >= 0),
	CHECK (released_ms IS NULL OR released_ms >= assigned_ms)
);

-- "Who held ext:port at T": equality on ext_addr, a short range on
-- port_first, the rest filtered inside the index (covering, so only the
-- matching rows touch the table).
CREATE INDEX blocks_ext ON blocks (ext_addr, port_first, assigned_ms,
				   port_last, released_ms);
-- Subscriber history.
CREATE INDEX blocks_sub ON blocks (sub_addr, assigned_ms);
-- Retention: rows assigned before the cut-off, appended in time order.
CREATE INDEX blocks_assigned ON blocks (assigned_ms);
-- Held blocks: at most one open holding per block, found by release,
-- interim and reconciliation without scanning history.
CREATE UNIQUE INDEX blocks_open ON blocks (ext_addr, port_first)
	WHERE released_ms IS NULL;

CREATE TABLE interim (
	block_id INTEGER NOT NULL REFERENCES blocks (id) ON DELETE CASCADE,
	time_ms  INTEGER NOT NULL,
	PRIMARY KEY (block_id, time_ms)
) WITHOUT ROWID;

CREATE TABLE events (
	id          INTEGER PRIMARY KEY,
	time_ms     INTEGER NOT NULL,
	instance    INTEGER NOT NULL,
	type        INTEGER NOT NULL,  -- enum store_event_type
	sub_addr    INTEGER,           -- host order, NULL when not relevant
	ext_addr    INTEGER,
	pool_id     INTEGER,
	value       INTEGER,           -- what was reached (ports, %, count)
	limit_value INTEGER,           -- the configured limit or threshold
	detail      TEXT
);
CREATE INDEX events_time ON events (time_ms);

-- RFC 7422 section 3: the effective configuration at start, on every
-- change and once a day, as text (JSON) written by the daemon.
CREATE TABLE config_log (
	id       INTEGER PRIMARY KEY,
	time_ms  INTEGER NOT NULL,
	instance INTEGER NOT NULL,
	config   TEXT NOT NULL
);
CREATE INDEX config_log_time ON config_log (instance, time_ms);

-- Human-readable views for sqlite3(1) and exports; the code queries the
-- tables. ms_text() is spelt out because SQLite has no such function.
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
  FROM blocks;

CREATE VIEW events_text AS
SELECT id,
       strftime('%Y-%m-%dT%H:%M:%S', time_ms / 1000, 'unixepoch') ||
       printf('.%03dZ', time_ms % 1000) AS time,
       instance,
       CASE type
	    WHEN 1 THEN 'addresses-exhausted' WHEN 2 THEN 'ports-exhausted'
	    WHEN 3 THEN 'quota-exceeded' WHEN 4 THEN 'threshold'
	    WHEN 5 THEN 'ringbuf-overrun' WHEN 6 THEN 'reconciliation'
	    WHEN 7 THEN 'interim'
	    ELSE CAST(type AS TEXT) END AS type,
       CASE WHEN sub_addr IS NULL THEN NULL ELSE
       (sub_addr >> 24) || '.' || ((sub_addr >> 16) & 255) || '.' ||
       ((sub_addr >> 8) & 255) || '.' || (sub_addr & 255) END AS subscriber,
       CASE WHEN ext_addr IS NULL THEN NULL ELSE
       (ext_addr >> 24) || '.' || ((ext_addr >> 16) & 255) || '.' ||
       ((ext_addr >> 8) & 255) || '.' || (ext_addr & 255) END AS external,
       pool_id, value, limit_value, detail
  FROM events;
