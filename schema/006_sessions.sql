-- SPDX-License-Identifier: GPL-2.0
--
-- Schema version 6: per-session log (log.session_events, off by default;
-- RFC 6888 REQ-12 and RFC 8158 section 4 advise against it unless an
-- administrator needs it). Shaped like the block log of version 5: a
-- live session is one row of open_sessions, keyed by what a lookup
-- knows (external endpoint, protocol, remote endpoint), inserted at its
-- create event and deleted at its delete event, when the complete row
-- goes into sessions. No row is ever updated.
--
-- Addresses are IPv4 in host order, ports host order, times UTC ms. A
-- session covers [start_ms, end_ms). start_ms NULL: its create event was
-- never seen (lost in a full ring buffer, or made while the key was off);
-- the session began at some unknown time before end_ms. For ICMP queries
-- the ports are the echo identifiers and rem_port is 0.

CREATE TABLE open_sessions (
	ext_addr INTEGER NOT NULL,  -- postNATSourceIPv4Address (IE 225)
	ext_port INTEGER NOT NULL,  -- postNAPTSourceTransportPort (IE 227)
	proto    INTEGER NOT NULL,  -- protocolIdentifier (IE 4)
	rem_addr INTEGER NOT NULL,  -- destinationIPv4Address (IE 12)
	rem_port INTEGER NOT NULL,  -- destinationTransportPort (IE 11)
	int_addr INTEGER NOT NULL,  -- sourceIPv4Address (IE 8)
	int_port INTEGER NOT NULL,  -- sourceTransportPort (IE 7)
	instance INTEGER NOT NULL,  -- natInstanceID (IE 463)
	flags    INTEGER NOT NULL,  -- 1 made by an inbound packet, 2 hairpin
	start_ms INTEGER NOT NULL,  -- natEvent 4
	CHECK (start_ms >= 0),
	PRIMARY KEY (ext_addr, ext_port, proto, rem_addr, rem_port)
) WITHOUT ROWID;
CREATE INDEX open_sessions_int ON open_sessions (int_addr, start_ms);

CREATE TABLE sessions (
	id         INTEGER PRIMARY KEY,
	ext_addr   INTEGER NOT NULL,
	ext_port   INTEGER NOT NULL,
	proto      INTEGER NOT NULL,
	rem_addr   INTEGER NOT NULL,
	rem_port   INTEGER NOT NULL,
	int_addr   INTEGER NOT NULL,
	int_port   INTEGER NOT NULL,
	instance   INTEGER NOT NULL,
	flags      INTEGER NOT NULL,
	start_ms   INTEGER,            -- natEvent 4; NULL: not seen
	end_ms     INTEGER NOT NULL,   -- natEvent 5
	end_reason INTEGER NOT NULL,   -- enum store_sess_end
	CHECK (start_ms IS NULL OR end_ms >= start_ms)
);
-- "Who used ext:port at T", the subscriber's sessions, retention.
CREATE INDEX sessions_ext ON sessions (ext_addr, ext_port, end_ms);
CREATE INDEX sessions_int ON sessions (int_addr, end_ms);
CREATE INDEX sessions_end ON sessions (end_ms);

CREATE VIEW sessions_text AS
SELECT proto,
       (int_addr >> 24) || '.' || ((int_addr >> 16) & 255) || '.' ||
       ((int_addr >> 8) & 255) || '.' || (int_addr & 255) || ':' ||
       int_port AS internal,
       (ext_addr >> 24) || '.' || ((ext_addr >> 16) & 255) || '.' ||
       ((ext_addr >> 8) & 255) || '.' || (ext_addr & 255) || ':' ||
       ext_port AS external,
       (rem_addr >> 24) || '.' || ((rem_addr >> 16) & 255) || '.' ||
       ((rem_addr >> 8) & 255) || '.' || (rem_addr & 255) || ':' ||
       rem_port AS remote,
       CASE WHEN start_ms IS NULL THEN NULL ELSE
       strftime('%Y-%m-%dT%H:%M:%S', start_ms / 1000, 'unixepoch') ||
       printf('.%03dZ', start_ms % 1000) END AS started,
       CASE WHEN end_ms IS NULL THEN NULL ELSE
       strftime('%Y-%m-%dT%H:%M:%S', end_ms / 1000, 'unixepoch') ||
       printf('.%03dZ', end_ms % 1000) END AS ended,
       CASE end_reason
	    WHEN 1 THEN 'expired' WHEN 4 THEN 'reconcile'
	    WHEN 5 THEN 'shutdown' WHEN 6 THEN 'logging-off'
	    ELSE CAST(end_reason AS TEXT) END AS end_reason
  FROM (SELECT proto, int_addr, int_port, ext_addr, ext_port, rem_addr,
	       rem_port, start_ms, end_ms, end_reason FROM sessions
	UNION ALL
	SELECT proto, int_addr, int_port, ext_addr, ext_port, rem_addr,
	       rem_port, start_ms, NULL, NULL FROM open_sessions);
