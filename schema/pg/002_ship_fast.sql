-- SPDX-License-Identifier: GPL-2.0
--
-- Schema version 2 of the fleet log: a faster cgnat.ship_apply() with the
-- same exactly-once guarantee (docs/fleet-log.md, "How it ships"), and the view
-- cgnat.holdings_all, every holding with its node's name.
--
-- What changed in ship_apply (measured in tests/bench/fleet.sh):
--  * A batch that starts after the highest seq ever applied for the node
--    (nodes.applied_top; the mark itself unless someone lowered it by
--    hand) cannot hold a row applied before: it is applied with plain
--    INSERTs: the
--    unique keys still hold, but without ON CONFLICT's speculative
--    insertion for every row. Should a key collide anyway, the whole
--    fast attempt is rolled back (its own subtransaction) and the batch
--    applied again with ON CONFLICT DO NOTHING, as version 1 did. Either
--    way the rows and the new mark commit together or not at all.
--  * Op 5 (SHIP_STAGE_CLOSED, central/ship_batch.h) is a release whose
--    assign was in the same batch and left out by the shipper: the
--    holding goes straight to holdings (or long_holdings), never through
--    open_holdings. On the careful path its open row is still deleted,
--    in case an earlier, overlapping batch put it there.
--  * Fewer indexes on the hot path: the unique key of a holding moves
--    into the lookup index. holdings_ext becomes UNIQUE (ext_addr,
--    port_first, assigned_ms, node, id), replacing holdings_key (node,
--    id, assigned_ms), and open_holdings' primary key moves the same way
--    into open_holdings_ext. A holding's (node, id, assigned_ms) fixes
--    its block, so a resend (the same row from the same local log) hits
--    the new key exactly as it hit the old one: still no holding twice;
--    a lookup reads the same index with two more columns in each entry.
--    Each shipped holding updates two indexes of a table instead of
--    three.
--  * One scan of the stage for its first and last seq, widest block and
--    the number of rows of each kind; a statement with no rows to move
--    (no interim, configuration or long holding in most batches) is not
--    run, as each is a scan of the stage.

DROP INDEX cgnat.holdings_key;
DROP INDEX cgnat.holdings_ext;
CREATE UNIQUE INDEX holdings_ext ON cgnat.holdings (ext_addr, port_first,
	assigned_ms, node, id) INCLUDE (port_last, released_ms);
ALTER TABLE cgnat.open_holdings DROP CONSTRAINT open_holdings_pkey;
DROP INDEX cgnat.open_holdings_ext;
CREATE UNIQUE INDEX open_holdings_ext ON cgnat.open_holdings (ext_addr,
	port_first, node, id, assigned_ms);

ALTER TABLE cgnat.nodes ADD COLUMN applied_top bigint NOT NULL DEFAULT 0;
UPDATE cgnat.nodes SET applied_top = hwm;

-- n: the stage's rows of each kind: assigns, short and long closed
-- holdings (ops 2 and 5), plain releases (op 2), interim, configuration.
CREATE FUNCTION cgnat.ship_rows(p_node smallint, p_epoch bigint, mark bigint,
				careful boolean, n bigint[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	dup text := CASE WHEN careful THEN ' ON CONFLICT DO NOTHING' ELSE ''
		    END;
	cols text := '(id, assigned_ms, released_ms, sub_addr, ext_addr, '
		     'instance, pool_id, port_first, port_last, node, '
		     'release_reason, pool) ';
BEGIN
	IF n[1] > 0 THEN
	EXECUTE 'INSERT INTO cgnat.open_holdings ' || cols ||
		'SELECT block_id, assigned_ms, NULL, sub_addr, ext_addr, '
		'instance, pool_id, port_first, port_last, $2, NULL, pool '
		'FROM ship_stage WHERE seq > $1 AND op = 1' || dup
		USING mark, p_node;
	END IF;
	IF n[2] > 0 THEN
	EXECUTE 'INSERT INTO cgnat.holdings ' || cols ||
		'SELECT block_id, assigned_ms, time_ms, sub_addr, ext_addr, '
		'instance, pool_id, port_first, port_last, $2, reason, pool '
		'FROM ship_stage WHERE seq > $1 AND op IN (2, 5) '
		'AND time_ms - assigned_ms < 86400000' || dup
		USING mark, p_node;
	END IF;
	IF n[3] > 0 THEN
	EXECUTE 'INSERT INTO cgnat.long_holdings ' || cols ||
		'SELECT block_id, assigned_ms, time_ms, sub_addr, ext_addr, '
		'instance, pool_id, port_first, port_last, $2, reason, pool '
		'FROM ship_stage WHERE seq > $1 AND op IN (2, 5) '
		'AND time_ms - assigned_ms >= 86400000' || dup
		USING mark, p_node;
	END IF;
	IF n[4] > 0 OR (careful AND n[2] + n[3] > 0) THEN
	EXECUTE 'DELETE FROM cgnat.open_holdings o USING ship_stage s '
		'WHERE s.seq > $1 AND s.op IN (2, $3) AND o.node = $2 '
		'AND o.ext_addr = s.ext_addr AND o.port_first = s.port_first '
		'AND o.id = s.block_id AND o.assigned_ms = s.assigned_ms'
		USING mark, p_node, CASE WHEN careful THEN 5 ELSE 2 END;
	END IF;
	IF n[5] > 0 THEN
	EXECUTE 'INSERT INTO cgnat.interim (id, time_ms, node) '
		'SELECT block_id, time_ms, $2 FROM ship_stage '
		'WHERE seq > $1 AND op = 3' || dup
		USING mark, p_node;
	END IF;
	IF n[6] > 0 THEN
	EXECUTE 'INSERT INTO cgnat.config_log (node, seq, epoch, time_ms, '
		'instance, config) SELECT $2, seq, $3, time_ms, instance, '
		'config FROM ship_stage WHERE seq > $1 AND op = 4' || dup
		USING mark, p_node, p_epoch;
	END IF;
END $$;

-- One batch of a node from the session's ship_stage (filled by COPY),
-- applied exactly once; returns the node's new mark. As in version 1:
-- rows at or below the mark are skipped, the mark is written in this
-- transaction, and a batch of another epoch is refused. p_first is the
-- batch's first queue seq: the stage may start later (left-out assigns).
DROP FUNCTION cgnat.ship_apply(smallint, bigint);
CREATE FUNCTION cgnat.ship_apply(p_node smallint, p_epoch bigint,
				 p_first bigint)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	mark bigint;
	ep bigint;
	applied bigint;
	lo bigint;
	top bigint;
	span integer;
	n bigint[];
BEGIN
	SELECT hwm, epoch, applied_top INTO mark, ep, applied
	  FROM cgnat.nodes WHERE id = p_node FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'cgnat: node % is not registered', p_node;
	END IF;
	IF ep <> p_epoch THEN
		RAISE EXCEPTION 'cgnat: node % ships epoch %, registered %',
			p_node, p_epoch, ep;
	END IF;
	SELECT min(seq), max(seq), max(port_last - port_first),
	       ARRAY[count(*) FILTER (WHERE op = 1),
		     count(*) FILTER (WHERE op IN (2, 5) AND
				      time_ms - assigned_ms < 86400000),
		     count(*) FILTER (WHERE op IN (2, 5) AND
				      time_ms - assigned_ms >= 86400000),
		     count(*) FILTER (WHERE op = 2),
		     count(*) FILTER (WHERE op = 3),
		     count(*) FILTER (WHERE op = 4)]
	  INTO lo, top, span, n FROM ship_stage;
	IF top IS NULL OR top <= mark THEN
		RETURN mark;
	END IF;
	IF least(lo, p_first) > greatest(mark, applied) THEN
		BEGIN
			PERFORM cgnat.ship_rows(p_node, p_epoch, mark, false, n);
		EXCEPTION WHEN unique_violation THEN
			PERFORM cgnat.ship_rows(p_node, p_epoch, mark, true, n);
		END;
	ELSE
		PERFORM cgnat.ship_rows(p_node, p_epoch, mark, true, n);
	END IF;
	UPDATE cgnat.nodes
	   SET hwm = top,
	       applied_top = greatest(applied_top, top),
	       shipped_ms = (extract(epoch FROM clock_timestamp()) * 1000)::bigint,
	       max_span = greatest(max_span, coalesce(span, 0))
	 WHERE id = p_node;
	RETURN top;
END $$;

-- For SQL users: every holding (short, long and open) with all its
-- columns and its node's name. Rows store a 2-byte node id (docs/fleet-log.md,
-- "Schema and the lookup": a name on every row would cost ~8 bytes a row,
-- ~180 GB at 22 billion rows); this view puts the name back.
CREATE VIEW cgnat.holdings_all AS
SELECT n.name AS node_name, h.*
  FROM (SELECT * FROM cgnat.holdings UNION ALL
	SELECT * FROM cgnat.long_holdings UNION ALL
	SELECT * FROM cgnat.open_holdings) h
  JOIN cgnat.nodes n ON n.id = h.node;
