// SPDX-License-Identifier: GPL-2.0
/*
 * fleet.c - cgnatd's side of log.central: turns the store's ship queue
 * on, runs the shipper thread (central/ship.c), deletes from the queue
 * what PostgreSQL acknowledged, and holds local retention back to the
 * oldest row still queued. All on the main thread, between batches.
 */
#include <inttypes.h>

#include "daemon/cgnatd.h"
#include "daemon/log.h"

#define ACK_BATCH 20000

void cgnatd_fleet_start(struct cgnatd *d)
{
	const struct cfg_central *c = &d->cfg.log.central;
	char err[256];

	if (!c->url[0])
		return;
	store_ship_enable(d->st, 1);
	if (ship_start(&d->ship, c->url, c->node, d->cfg.log.database, err,
		       sizeof(err)))
		fatalx("%s", err);
	log_info("central log: shipping to PostgreSQL as node %s", c->node);
}

void cgnatd_fleet_tick(struct cgnatd *d)
{
	struct ship_stats s;
	int n;

	if (!d->ship)
		return;
	ship_get_stats(d->ship, &s);
	if (s.acked_seq <= d->ship_deleted)
		return;
	n = store_ship_ack(d->st, s.acked_seq, ACK_BATCH);
	if (n < 0) {
		log_warnx("central log: ship queue: %s", store_errmsg(d->st));
		return;
	}
	if (n < ACK_BATCH)
		d->ship_deleted = s.acked_seq;
}

int64_t cgnatd_fleet_prune_cutoff(struct cgnatd *d, int64_t cutoff)
{
	int64_t oldest;

	if (!d->ship)
		return cutoff;
	if (store_ship_oldest(d->st, &oldest)) {
		log_warnx("central log: retention held: %s",
			  store_errmsg(d->st));
		return 0;
	}
	return oldest != STORE_MS_NONE && oldest < cutoff ? oldest : cutoff;
}

void cgnatd_fleet_stop(struct cgnatd *d)
{
	ship_stop(d->ship);
	d->ship = NULL;
}
