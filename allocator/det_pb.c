// SPDX-License-Identifier: GPL-2.0
/*
 * det_pb.c - see det_dp_reserve() in det_dp.h: the allocator's side of
 * the deterministic pools. Apart from det_dp.c so that programs without
 * the allocator (cgnatctl, cgnat-hasync) can build layouts.
 */
#include "allocator/det_dp.h"

__u32 det_dp_blocks(const struct dp_opts *o, __u32 addr, int hold)
{
	const struct cgnat_cfg *g = &o->cfg;
	const struct cgnat_det_pool *d;
	__u32 end;

	if (o->addr_pool[addr] >= CGNAT_MAX_POOLS)
		return 0;
	d = &o->det_pools[o->addr_pool[addr]];
	if (!d->pps)
		return 0;
	if (!d->overflow)
		return g->blocks_per_addr;
	end = d->port_first + d->spa * d->pps;
	if (hold && d->hold_end > end)
		end = d->hold_end;
	return (end - g->port_lo + g->block_size - 1) / g->block_size;
}

void det_dp_reserve(struct pb *pb, const struct dp_opts *o)
{
	__u32 i, n;

	for (i = 0; i < CGNAT_MAX_POOLS; i++)
		if (o->det_pools[i].pps)
			pb_pool_det(pb, i);
	for (i = 0; i < o->n_addrs; i++) {
		n = det_dp_blocks(o, i, 1);
		if (n)
			pb_reserve(pb, i, n);
	}
}
