-- SPDX-License-Identifier: GPL-2.0
--
-- Schema version 3 of the fleet log: the deterministic layouts (RFC
-- 7422), so that `cgnatctl lookup/history --central` answers for
-- deterministic pools as the local log does (schema/008_det_layouts.sql
-- holds the meaning of every column). A deterministic pool logs no
-- holdings: its layout rows are its log. The shipper copies every local
-- row (changes, daily repeats, retirements) by id; (node, epoch, id)
-- identifies a row, so a resend adds nothing and a node's new local log
-- (a new epoch, ids from 1 again) never collides with its old one.

CREATE TABLE cgnat.det_layouts (
	node          smallint NOT NULL REFERENCES cgnat.nodes (id),
	epoch         bigint NOT NULL,
	id            bigint NOT NULL,
	kind          smallint NOT NULL,
	logged_ms     bigint NOT NULL,
	instance      bigint NOT NULL,
	pool_id       bigint NOT NULL,
	pool          text NOT NULL,
	version       integer NOT NULL,
	switched_ms   bigint NOT NULL,
	quarantine_ms bigint NOT NULL,
	inside        text NOT NULL,
	outside       text NOT NULL,
	exclude_boundary smallint NOT NULL,
	ports_per_subscriber integer NOT NULL,
	port_first    integer NOT NULL,
	port_last     integer NOT NULL,
	subs_per_addr integer NOT NULL,
	overflow_blocks integer NOT NULL,
	block_size    integer NOT NULL,
	algorithm     integer NOT NULL,
	reserved      text NOT NULL,
	PRIMARY KEY (node, epoch, id),
	CHECK (kind BETWEEN 1 AND 3)
);

-- Retention (cgnat.drop_before, as in version 1, plus the layouts): a
-- daily repeat older than the cut-off goes, and a version whose next
-- version of the same node and pool, with its quarantine, ended before
-- the cut-off (the local rule of logger/store_sql.c, STMT_PRUNE_DET).
CREATE OR REPLACE FUNCTION cgnat.drop_before(cutoff_ms bigint)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	p record;
	dropped integer := 0;
BEGIN
	FOR p IN
		SELECT c.relname, parent.relname AS parent,
		       (regexp_match(pg_get_expr(c.relpartbound, c.oid),
				     'TO \(''?(-?[0-9]+)'))[1]::bigint AS hi
		  FROM pg_inherits i
		  JOIN pg_class c ON c.oid = i.inhrelid
		  JOIN pg_class parent ON parent.oid = i.inhparent
		  JOIN pg_namespace n ON n.oid = parent.relnamespace
		 WHERE n.nspname = 'cgnat'
		   AND parent.relname IN ('holdings', 'interim')
	LOOP
		IF (p.parent = 'holdings' AND p.hi + 86400000 <= cutoff_ms) OR
		   (p.parent = 'interim' AND p.hi <= cutoff_ms) THEN
			EXECUTE format('DROP TABLE cgnat.%I', p.relname);
			dropped := dropped + 1;
		END IF;
	END LOOP;
	DELETE FROM cgnat.long_holdings WHERE released_ms < cutoff_ms;
	DELETE FROM cgnat.config_log c
	 WHERE c.time_ms < cutoff_ms AND c.time_ms < (
		SELECT max(d.time_ms) FROM cgnat.config_log d
		 WHERE d.node = c.node AND d.time_ms <= cutoff_ms);
	DELETE FROM cgnat.det_layouts v
	 WHERE (v.kind = 2 AND v.logged_ms < cutoff_ms)
	    OR (v.kind <> 2 AND (
		SELECT w.switched_ms + w.quarantine_ms FROM cgnat.det_layouts w
		 WHERE w.kind <> 2 AND w.node = v.node
		   AND w.instance = v.instance AND w.pool = v.pool
		   AND (w.switched_ms, w.version, w.epoch, w.id) >
		       (v.switched_ms, v.version, v.epoch, v.id)
		 ORDER BY w.switched_ms, w.version, w.epoch, w.id LIMIT 1)
		<= cutoff_ms);
	RETURN dropped;
END $$;
