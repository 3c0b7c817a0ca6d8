-- SPDX-License-Identifier: GPL-2.0
--
-- Schema version 4: the lookup and history indexes of closed holdings
-- are led by the release hour, so the move's inserts land at the right
-- edge of each index instead of anywhere in the whole history.
--
-- A move closes holdings that were released a moment ago: with
-- (ext_addr, port_first, ...) or (sub_addr, ...) first, each close wrote
-- its own random 4 KiB page of blocks_ext and of blocks_sub; led by
-- released_ms / 3600000 (the release hour) all of a move's closes share
-- the few pages of the current hour, which stay hot in the page cache and
-- reach the database file once per checkpoint.
--
-- Exactness. A holding is "short" when released_ms - assigned_ms <
-- 86400000 (one day, L) and "long" otherwise. A short holding held at
-- some instant of a window [T1, T2] (released_ms > T1, assigned_ms <= T2)
-- was released in (T1, T2 + L), so a query probes the release hours
-- T1 / 3600000 .. (T2 + L - 1) / 3600000 (25 for a point lookup) in the
-- *_rel indexes. Long holdings (a block held a day or more, at most one
-- row per block and day) are in the *_long indexes keyed as before, and
-- open holdings in blocks_open (by block) and blocks_sub_long (by
-- subscriber). Each holding is in exactly one of the three classes, so
-- the union answers exactly what the single indexes answered, with no
-- reliance on interim records (which can be disabled, and are not
-- written while cgnatd is down).
--
-- Rebuilding four indexes reads the table four times (a few minutes on
-- 10M rows), inside the migration transaction.

DROP INDEX blocks_ext;
DROP INDEX blocks_sub;
CREATE INDEX blocks_ext_rel ON blocks (released_ms / 3600000, ext_addr,
				       port_first, assigned_ms, port_last,
				       released_ms)
	WHERE released_ms - assigned_ms < 86400000;
CREATE INDEX blocks_ext_long ON blocks (ext_addr, port_first, assigned_ms,
					port_last, released_ms)
	WHERE released_ms - assigned_ms >= 86400000;
CREATE INDEX blocks_sub_rel ON blocks (released_ms / 3600000, sub_addr,
				       assigned_ms, released_ms)
	WHERE released_ms - assigned_ms < 86400000;
CREATE INDEX blocks_sub_long ON blocks (sub_addr, assigned_ms)
	WHERE released_ms IS NULL OR released_ms - assigned_ms >= 86400000;
