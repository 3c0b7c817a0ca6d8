-- SPDX-License-Identifier: GPL-2.0
--
-- fleet_gen.sql - a large fleet log generated inside PostgreSQL for the
-- central lookup bench (tests/bench/fleet_lookup.sh), on a database that
-- cgnatctl central-migrate created. psql variables: rows (short holdings
-- in all), days (daily partitions, ending yesterday), nodes.
--
-- The layout of a real fleet: external addresses from 198.18.0.0/15 (the
-- benchmark range, RFC 2544; these are numbers in a table, never sent),
-- blocks of 512 ports (1024..65535: 126 a address), each address owned
-- by one node. A day is 8 cells of 3 h; every (address, block) slot has
-- one holding per cell, assigned in the cell's first half and released
-- before its end (durations skewed short: 1 s to 1.5 h), so a slot's
-- holdings never overlap and each (address, port, instant) has at most
-- one holder, as in a real log. Enough addresses are used to make
-- rows / days holdings a day. Subscribers are random in 100.64.0.0/10.
-- A long holding (a day or more) per 1000 rows, on addresses of their
-- own, goes to long_holdings; open holdings (assigned after the last
-- day) to open_holdings.
--
-- Speed: the holdings indexes are dropped, each day's partition is
-- created and filled in one transaction (wal_level=minimal then skips
-- its WAL), and the indexes are built once at the end with the exact
-- definitions they had.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET TimeZone = UTC;

CREATE TEMP TABLE gen AS
SELECT :rows::bigint AS rows, :days::int AS days, :nodes::int AS nodes,
       126 AS blocks, 8 AS cells,
       ceil(:rows::numeric / :days / (126 * 8))::int AS addrs,
       (3232366592)::bigint AS base, -- 198.18.0.0
       ((extract(epoch FROM current_date) * 1000)::bigint
	- :days::bigint * 86400000) AS first_ms;

INSERT INTO cgnat.nodes (name, epoch, hwm, max_span)
SELECT 'gen-' || n, 1, 0, 511 FROM gen, generate_series(1, nodes) n;

CREATE TEMP TABLE gen_idx AS
SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS def
  FROM pg_index WHERE indrelid = 'cgnat.holdings'::regclass;
DO $$
DECLARE i record;
BEGIN
	FOR i IN SELECT name FROM gen_idx LOOP
		EXECUTE 'DROP INDEX ' || i.name;
	END LOOP;
END $$;

-- One day: its partition and its rows, in assign order (cell by cell).
CREATE FUNCTION pg_temp.gen_day(d int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	g gen;
	day_ms bigint;
	cell_ms bigint;
	part text;
BEGIN
	SELECT * INTO g FROM gen;
	day_ms := g.first_ms + d::bigint * 86400000;
	cell_ms := 86400000 / g.cells;
	PERFORM cgnat.ensure_partitions(to_timestamp(day_ms / 1000)::date,
					to_timestamp(day_ms / 1000)::date);
	part := 'cgnat.holdings_' ||
		to_char(to_timestamp(day_ms / 1000) AT TIME ZONE 'UTC',
			'YYYYMMDD');
	EXECUTE format($q$
	INSERT INTO %s (id, assigned_ms, released_ms, sub_addr, ext_addr,
		instance, pool_id, port_first, port_last, node,
		release_reason, pool)
	SELECT %s::bigint * %s + (a * %s + b) * %s + c + 1, t.at,
	       t.at + 1000 + floor(random() ^ 3 * (t.cell_end - t.at - 1001)),
	       1681915904 + floor(random() * 4194304), %s + a, 1, 1,
	       1024 + 512 * b, 1535 + 512 * b, 1 + a %% %s, 1, 'gen'
	  FROM generate_series(0, %s - 1) c,
	       generate_series(0, %s - 1) a,
	       generate_series(0, %s - 1) b,
	       LATERAL (SELECT %s + c * %s + floor(random() * %s / 2)::bigint
				AS at,
			       %s + (c + 1) * %s AS cell_end) t
	$q$, part, d, g.addrs * g.blocks * g.cells, g.blocks, g.cells,
	   g.base, g.nodes, g.cells, g.addrs, g.blocks, day_ms, cell_ms,
	   cell_ms, day_ms, cell_ms);
END $$;

SELECT format('SELECT pg_temp.gen_day(%s)', d)
  FROM gen, generate_series(0, days - 1) d \gexec

-- Long holdings: 1 to 3 days, on addresses after the short ones'.
INSERT INTO cgnat.long_holdings (id, assigned_ms, released_ms, sub_addr,
	ext_addr, instance, pool_id, port_first, port_last, node,
	release_reason, pool)
SELECT 1000000000000 + i, t.at, t.at + 86400000 + floor(random() * 2 * 86400000),
       1681915904 + floor(random() * 4194304),
       base + addrs + (i / blocks) % (addrs / 50 + 1), 1, 1,
       1024 + 512 * (i % blocks), 1535 + 512 * (i % blocks),
       1 + i % nodes, 1, 'gen'
  FROM gen, generate_series(0, rows / 1000) i,
       LATERAL (SELECT first_ms + floor(random() * (days - 3) * 86400000)::bigint
			AS at) t;

-- Open holdings: a tenth of the slots, assigned after the last day.
INSERT INTO cgnat.open_holdings (id, assigned_ms, released_ms, sub_addr,
	ext_addr, instance, pool_id, port_first, port_last, node,
	release_reason, pool)
SELECT 2000000000000 + i, first_ms + days::bigint * 86400000 + i, NULL,
       1681915904 + floor(random() * 4194304), base + (i * 10 / blocks),
       1, 1, 1024 + 512 * ((i * 10) % blocks),
       1535 + 512 * ((i * 10) % blocks), 1 + (i * 10 / blocks) % nodes,
       NULL, 'gen'
  FROM gen, generate_series(0, addrs * blocks / 10 - 1) i;

-- The indexes as the schema defines them, built once (per partition).
SET maintenance_work_mem = '1GB';
SELECT replace(def, ' ON ONLY ', ' ON ') FROM gen_idx \gexec
ANALYZE cgnat.holdings;
ANALYZE cgnat.long_holdings;
ANALYZE cgnat.open_holdings;
ANALYZE cgnat.nodes;
