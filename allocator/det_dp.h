/* SPDX-License-Identifier: GPL-2.0 */
/*
 * det_dp.h - deterministic layouts in the data plane's terms: what the
 * loader (struct dp_opts) writes into cgnat_det_pools, cgnat_det_prefixes
 * and cgnat_det_ext.
 */
#ifndef CGNAT_DET_DP_H
#define CGNAT_DET_DP_H

#include <linux/types.h>

#include "allocator/det.h"
#include "allocator/pb.h"
#include "bpf/cgnat_abi.h"
#include "bpf/loader.h"

#define DET_DP_MAX_PREFIXES (CGNAT_MAX_POOLS * DET_MAX_PREFIXES)

/* The layouts of all pools; one det_dp_build() per deterministic pool
 * appends to ext[] and prefixes[]. Zero it before the first.
 */
struct det_dp {
	struct cgnat_det_pool pool; /* the last pool built */
	__u32 n_ext;
	__u32 ext[CGNAT_DET_MAX_EXT]; /* address index per entry */
	__u32 n_prefixes;
	struct dp_prefix prefixes[DET_DP_MAX_PREFIXES]; /* .pool = base */
};

/*
 * Appends layout l to out and fills out->pool (copy it to
 * dp_opts.det_pools[pool index]). addrs are the data plane's external
 * addresses by index (network order). Returns 0, -ENOENT (a layout
 * address is not among addrs), -ENOSPC or -ENOMEM.
 */
int det_dp_build(const struct det_layout *l, __u32 version, __u32 overflow,
		 const __be32 *addrs, __u32 n_addrs, struct det_dp *out);

/*
 * Tells the allocator about the deterministic pools of o: no first
 * blocks for them, and on each of their addresses the blocks up to the
 * end of the deterministic region (or hold_end, if larger) reserved (all
 * of them without overflow). Call after pb_init(); call again with
 * hold_end cleared to give the held blocks back.
 */
void det_dp_reserve(struct pb *pb, const struct dp_opts *o);
/* How many blocks from the start of address 'addr' the deterministic
 * region covers (with 'hold', up to hold_end if larger); 0 if the
 * address is not in a deterministic pool.
 */
__u32 det_dp_blocks(const struct dp_opts *o, __u32 addr, int hold);

#endif /* CGNAT_DET_DP_H */
