// SPDX-License-Identifier: GPL-2.0
/*
 * det_pb.c - see det_dp_reserve() in det_dp.h: the allocator's side of
 * the deterministic pools. Apart from det_dp.c so that programs without
 * the allocator (cgnatctl, cgnat-hasync) can build layouts.
 */
#include "allocator/det_dp.h"

void det_dp_reserve(struct pb *pb, const struct dp_opts *o)
{
	const struct cgnat_cfg *g = &o->cfg;
	__u32 i, end, n;

	for (i = 0; i < CGNAT_MAX_POOLS; i++)
		if (o->det_pools[i].pps)
			pb_pool_det(pb, i);
	for (i = 0; i < o->n_addrs; i++) {
		const struct cgnat_det_pool *d;

		if (o->addr_pool[i] >= CGNAT_MAX_POOLS)
			continue;
		d = &o->det_pools[o->addr_pool[i]];
		if (!d->pps)
			continue;
		end = d->port_first + d->spa * d->pps;
		if (d->hold_end > end)
			end = d->hold_end;
		n = d->overflow ? (end - g->port_lo + g->block_size - 1) /
					  g->block_size
				: g->blocks_per_addr;
		pb_reserve(pb, i, n);
	}
}
