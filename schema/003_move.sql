-- SPDX-License-Identifier: GPL-2.0
--
-- Schema version 3: blocks_ext holds closed holdings only. Moving a
-- journal row into blocks costs one random B-tree page write per index
-- entry it touches, and with released_ms in blocks_ext an open holding
-- was written there twice: at its assign and again at its release. Open
-- holdings are already indexed by blocks_open (ext_addr, port_first,
-- unique while open), so lookups take closed holdings from blocks_ext
-- and open ones from blocks_open, and each holding enters blocks_ext
-- once, when it is closed. Rebuilding the index reads the table once
-- (about a minute on 10M rows), inside the migration transaction.

DROP INDEX blocks_ext;
CREATE INDEX blocks_ext ON blocks (ext_addr, port_first, assigned_ms,
				   port_last, released_ms)
	WHERE released_ms IS NOT NULL;
