-- SPDX-License-Identifier: GPL-2.0
--
-- Schema version 9: the indexes of ended sessions are led by the end
-- second, as version 4 led the block indexes by the release hour.
--
-- A session ends a moment ago when its row is written. Keyed by
-- (ext_addr, ext_port, ...) or (int_addr, ...) first, each row wrote its
-- own random 4 KiB page of each index, and the write rate of the log
-- fell as it grew (once the indexes outgrew the cache; a one-off
-- program: 50k events a second in the first 1M sessions, 25k after
-- 3M). Led by end_ms / 1000 every insert lands in the pages of the
-- last second or two, which one commit shares.
-- Seconds, not hours: at 100k sessions a second an hour is 360M index
-- entries, and inserts anywhere among them miss the cache again.
--
-- Exactness, as in version 4. A session is "short" when it has a start
-- and end_ms - start_ms < 10800000 (three hours, L), "long" otherwise
-- (an unknown start may be any time before the end). A short session
-- that met a window [T1, T2] (end_ms > T1, start_ms <= T2) ended in
-- (T1, T2 + L), so a query probes the end seconds T1 / 1000 ..
-- (T2 + L - 1) / 1000 (10,801 for a point lookup: about 10 ms on a
-- populated log, bench_store; past a day of range only the seconds the
-- table holds, logger/store_sql.c) of sessions_ext_sec /
-- sessions_int_sec. Long ones are also in sessions_ext_long /
-- sessions_int_long, keyed as before; a query takes each class from
-- its own index, so each row is found once. Open sessions stay in
-- open_sessions. The *_sec indexes hold every row, so
-- retention goes by end second through sessions_ext_sec.
--
-- Open sessions keep their key (external endpoint first: the delete
-- finds its row by it), but their subscriber index is led by the start
-- second too: a row goes in now and comes out when its session ends,
-- both near a front that moves with time, where (int_addr, start_ms)
-- put each anywhere among the live sessions (with 1M live, a one-off
-- program wrote 28k events a second with the old index, 41k with this
-- one). A subscriber's open sessions are found by probing the start
-- seconds from the oldest live session's to the window's end.
--
-- The long threshold is above the longest default timer (TCP
-- established, 7440 s), so a session idle from its last packet is long
-- only when it was active for more than about an hour first.

DROP INDEX sessions_ext;
DROP INDEX sessions_int;
DROP INDEX sessions_end;
CREATE INDEX sessions_ext_sec ON sessions (end_ms / 1000, ext_addr,
					   ext_port);
CREATE INDEX sessions_int_sec ON sessions (end_ms / 1000, int_addr);
CREATE INDEX sessions_ext_long ON sessions (ext_addr, ext_port, end_ms)
	WHERE start_ms IS NULL OR end_ms - start_ms >= 10800000;
CREATE INDEX sessions_int_long ON sessions (int_addr, end_ms)
	WHERE start_ms IS NULL OR end_ms - start_ms >= 10800000;
DROP INDEX open_sessions_int;
CREATE INDEX open_sessions_int_sec ON open_sessions (start_ms / 1000,
						     int_addr);
