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
