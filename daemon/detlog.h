/* SPDX-License-Identifier: GPL-2.0 */
/*
 * detlog.h - the deterministic pools' log (RFC 7422 section 3): the
 * layout rows cgnatd writes when a layout changes and once a day, and the
 * answers cgnatctl computes from them - lookup of ext:port at a time from
 * the layout then in force, and the whole mapping (det-table). The rows
 * hold every parameter, so any past layout is recomputed from the log
 * alone (allocator/det.c), never from today's configuration.
 *
 * Pure except detlog_sync(), detlog_daily() and detlog_history_load(),
 * which read and write the store. Times are UTC ms.
 */
#ifndef CGNAT_DAEMON_DETLOG_H
#define CGNAT_DAEMON_DETLOG_H

#include <stdint.h>

#include "allocator/det.h"
#include "config/cfg.h"
#include "logger/store.h"

#define DETLOG_DAY_MS (24 * 3600 * 1000LL)

/* The record of deterministic pool 'pool' of cfg under layout l, all but
 * kind, logged_ms, version and switched_ms. */
void detlog_row(const struct cgnat_config *cfg, unsigned int pool,
		const struct det_layout *l, struct store_det_layout *r);
/* The layout a row describes; 0 or -EINVAL (a row this build cannot
 * read back). */
int detlog_layout(const struct store_det_layout *r, struct det_layout *l);
/* 1 when two rows describe the same layout (every RFC 7422 field). */
int detlog_same(const struct store_det_layout *a,
		const struct store_det_layout *b);

/* Subscribers whose range a layout change moved (their sessions are
 * flushed, their new range rests for the quarantine). */
struct detlog_moved {
	uint32_t n, cap;
	uint32_t *sub; /* host order */
	int64_t until_ms; /* end of the quarantine */
	/* Per pool index: the old region's end (a port) when a change in
	 * quarantine shrank it, else 0: no block below it is granted
	 * before until_ms. */
	uint32_t hold_end[CFG_MAX_POOLS];
};
/* Frees the list; m is zeroed. */
void detlog_moved_free(struct detlog_moved *m);
/* Appends to m every inside address of old or new whose (address, range)
 * differs between them (or that only one holds). 0 or -ENOMEM. */
int detlog_diff(const struct det_layout *old, const struct det_layout *new,
		struct detlog_moved *m);

/*
 * At start: for every deterministic pool of cfg whose layout differs from
 * the newest logged version, log version + 1 switched at now_ms; for every
 * pool of this instance whose newest version is not retired but that is
 * no longer deterministic, log its retirement. Subscribers moved by a
 * change are appended to *moved (until_ms: the latest quarantine end).
 * A change still in its quarantine from an earlier start is included
 * again. Returns the number of rows written or -errno.
 */
int detlog_sync(struct store *st, const struct cgnat_config *cfg,
		int64_t now_ms, struct detlog_moved *moved);
/* The daily repeat: a copy of each deterministic pool's version in force,
 * when its newest row is a day old. Rows written or -errno. */
int detlog_daily(struct store *st, const struct cgnat_config *cfg,
		 int64_t now_ms);

/* Every version of every pool, as logged, with its layout computed. */
struct detlog_history {
	uint32_t n;
	struct store_det_layout *row;
	struct det_layout *lay; /* per row; unused for retirements */
};
int detlog_history_load(struct store *st, struct detlog_history *h);
void detlog_history_free(struct detlog_history *h);
/* One more row, given in store_det_versions() order (the fleet log
 * builds a node's history from PostgreSQL with it). 0 or -ENOMEM. */
int detlog_history_add(struct detlog_history *h,
		       const struct store_det_layout *r);

/*
 * Lookup of ext:port over [from_ms, to_ms] (from == to: an instant) in
 * the layouts: calls cb with one store_block per (version, subscriber)
 * whose range held the port at some instant of the window (det_version
 * set; a moved port also matches its old owner until the quarantine
 * after the change ends). *unknown is set when ext is an address of a
 * deterministic pool and part of the window is covered by no layout of
 * that pool. Returns the number of matches or -errno from cb.
 */
int detlog_lookup(const struct detlog_history *h, uint32_t ext, uint16_t port,
		  int64_t from_ms, int64_t to_ms, store_block_cb cb, void *ctx,
		  int *unknown);

/* A subscriber's ranges over [from_ms, to_ms]: cb with one store_block
 * per version that gave it a range in force at some instant of the
 * window (as detlog_lookup() builds them). Count or -errno from cb. */
int detlog_sub_history(const struct detlog_history *h, uint32_t sub,
		       int64_t from_ms, int64_t to_ms, store_block_cb cb,
		       void *ctx);

/* The version of each pool in force at at_ms: calls cb per row (kind
 * CHANGE) with its layout. Count or -errno from cb. */
typedef int (*detlog_table_cb)(const struct store_det_layout *r,
			       const struct det_layout *l, int64_t until_ms,
			       void *ctx);
int detlog_in_force(const struct detlog_history *h, int64_t at_ms,
		    detlog_table_cb cb, void *ctx);

/*
 * The ranges to announce at a start (IPFIX natEvent 16/17, see docs/deterministic-nat.md):
 * for each pool of 'instance' whose newest row is a version, cb(1, b) for
 * every subscriber's range in it (b->assigned_ms: its switched_ms), and,
 * when that version was switched at 'switched_now' and replaced another,
 * first cb(0, b) for every range of the old version that the new one does
 * not keep (b->released_ms: the switch). Count or -errno from cb.
 */
typedef int (*detlog_range_cb)(int assign, const struct store_block *b,
			       void *ctx);
int detlog_announce(const struct detlog_history *h, uint32_t instance,
		    int64_t switched_now, detlog_range_cb cb, void *ctx);

#endif /* CGNAT_DAEMON_DETLOG_H */
