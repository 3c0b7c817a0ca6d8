/* SPDX-License-Identifier: GPL-2.0 */
/*
 * central.h - the fleet log in PostgreSQL (schema/pg/): its migrations,
 * and the lookups that cgnatctl answers from it across all nodes with
 * the semantics of the local log (logger/store.h: half-open holdings,
 * closed windows, the same ordering), plus the node that held the block.
 */
#ifndef CGNAT_CENTRAL_CENTRAL_H
#define CGNAT_CENTRAL_CENTRAL_H

#include <stdint.h>

#include "central/pgc.h"
#include "logger/store.h"

/* Longest node name (log.central.node). */
#define CENTRAL_NODE_MAX 63

/* Schema version of the database: 0 when it has no cgnat schema. 0 or -1
 * (p->err). */
int central_schema_version(struct pgc *p, int *version);

/* 0 when the database has this build's schema; -1 with p->err naming the
 * fix (cgnatctl central-migrate) otherwise. */
int central_schema_check(struct pgc *p);

/* Apply the embedded schema/pg migrations above the database's version
 * in one transaction. *from and *to: the versions before and after.
 * 0 or -1 (p->err); a newer database is refused. */
int central_migrate(struct pgc *p, int *from, int *to);

/* A holding and the name of the node that held it; valid during the
 * call. Return as for store_block_cb. */
typedef int (*central_cb)(const struct store_block *b, const char *node,
			  void *ctx);

/* As store_lookup_range() and store_history(), over every node. The
 * number of matches, or -1 (p->err). */
int central_lookup(struct pgc *p, uint32_t ext_addr, uint16_t port,
		   int64_t from_ms, int64_t to_ms, central_cb cb, void *ctx);
int central_history(struct pgc *p, uint32_t sub_addr, int64_t from_ms,
		    int64_t to_ms, central_cb cb, void *ctx);

/* Ships the node's local layout rows above *top (PostgreSQL's highest id
 * for node_id and epoch; -1: ask it) in one transaction; *top moves to
 * the last row shipped. Rows shipped, or -1 (p->err). */
int central_det_ship(struct pgc *p, struct store *st, const char *node_id,
		     int64_t epoch, int64_t *top);

/* Every node's layout versions (kinds 1 and 3), node by node, each in
 * store_det_versions() order, with the node's name. Count or -1. */
typedef int (*central_det_cb)(const struct store_det_layout *l,
			      const char *node, void *ctx);
int central_det_versions(struct pgc *p, central_det_cb cb, void *ctx);

#endif /* CGNAT_CENTRAL_CENTRAL_H */
