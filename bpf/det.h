/* SPDX-License-Identifier: GPL-2.0 */
/*
 * det.h - deterministic NAT (RFC 7422) in the data plane. A subscriber of
 * a deterministic pool finds its external address and port range by
 * arithmetic on its offset in the pool's layout (cgnat_abi.h; the same
 * arithmetic as allocator/det.c): no block is granted and nothing is
 * logged for it. Inside the range a port is taken at random from the same
 * per-(address, protocol) bitmap as a PBA block's, so mappings, sessions,
 * the sweep, filtering, hairpinning and ICMP work unchanged. A full range
 * either refuses (quota) or, with overflow_blocks, takes PBA blocks of the
 * subscriber's own address above the deterministic region.
 */
#ifndef CGNAT_DET_BPF_H
#define CGNAT_DET_BPF_H

#include "pba.h"

/* The deterministic layout of pool 'pool', or NULL for a PBA pool. */
static __always_inline struct cgnat_det_pool *det_pool(__u32 pool)
{
	struct cgnat_det_pool *dp =
		bpf_map_lookup_elem(&cgnat_det_pools, &pool);

	return dp && dp->pps && dp->spa ? dp : 0;
}

struct det_range {
	__u32 addr_idx;
	__u32 first; /* first port, multiple of 64 */
};

/* f1 of RFC 7422: the address index and first port of subscriber 'sub'
 * (network order). 0, or -REASON_CONFLICT when the layout lacks it.
 */
static __always_inline int det_range_of(const struct cgnat_det_pool *dp,
					__be32 sub, struct det_range *r)
{
	struct cgnat_sub_prefix k = {.prefixlen = 32, .addr = sub};
	struct cgnat_det_prefix *pf;
	__u32 off, ei, *ai;

	pf = bpf_map_lookup_elem(&cgnat_det_prefixes, &k);
	if (!pf)
		return -REASON_CONFLICT;
	off = pf->base + (bpf_ntohl(sub) - bpf_ntohl(pf->addr));
	if (off / dp->spa >= dp->n_ext)
		return -REASON_CONFLICT;
	ei = dp->ext_base + off / dp->spa;
	ai = bpf_map_lookup_elem(&cgnat_det_ext, &ei);
	if (!ai)
		return -REASON_CONFLICT;
	r->addr_idx = *ai;
	r->first = dp->port_first + (off % dp->spa) * dp->pps;
	return 0;
}

/* Raises the quota event of a full range (rate-limited per subscriber):
 * the address and range ride in the event, the limit is overflow_blocks.
 */
static __always_inline void det_full(const struct cgnat_cfg *cfg,
				     struct cgnat_sub *sub,
				     const struct cgnat_det_pool *dp,
				     const struct det_range *r, __u64 now)
{
	struct cgnat_addr *a = bpf_map_lookup_elem(&cgnat_addrs, &r->addr_idx);

	if (!evt_sub_allowed(sub, now, cfg))
		return;
	evt_emit(EVT_QUOTA_BLOCKS, sub->addr, a ? a->addr : 0, 0, sub->pool,
		 dp->overflow, r->first, r->first + dp->pps - 1);
}

/* A port for a new mapping of deterministic subscriber 'sub_idx' of pool
 * 'dp': from its range, same parity as 'sport' first when configured;
 * when the range is full, from overflow blocks if the pool has them.
 * Returns block << 16 | port (the block the port lies in, so the caller
 * decodes it as a PBA result), or a negative reason. Global, verified
 * once.
 */
__noinline __s64 det_alloc(__u32 sub_idx, __u32 pidx, __u32 sport, __u64 now)
{
	struct cgnat_cfg *cfg = cfg_get();
	__u64 any = ~0ull, mask = any;
	struct cgnat_det_pool *dp;
	struct cgnat_sub *sub;
	struct det_range r;
	__u64 *until;
	int port, rc;

	sub = bpf_map_lookup_elem(&cgnat_subs, &sub_idx);
	if (!cfg || !sub || !cfg->blocks_per_addr || !cfg->block_size)
		return -REASON_CONFLICT;
	dp = det_pool(sub->pool);
	if (!dp)
		return -REASON_CONFLICT;
	rc = det_range_of(dp, sub->addr, &r);
	if (rc)
		return rc;
	/* Paired pooling: overflow blocks come from this address only. */
	if (!sub->ext_idx)
		__sync_val_compare_and_swap(&sub->ext_idx, 0, r.addr_idx + 1);
	until = bpf_map_lookup_elem(&cgnat_det_frozen, &sub->addr);
	if (until && now < *until)
		goto full; /* moved by a layout change: quarantine */
	if (cfg->parity)
		mask = (sport & 1) ? 0xaaaaaaaaaaaaaaaaull
				   : 0x5555555555555555ull;
	port = pba_take_range(r.addr_idx, pidx, r.first, dp->pps / 64, mask);
	if (port == -REASON_QUOTA && mask != any)
		port = pba_take_range(r.addr_idx, pidx, r.first, dp->pps / 64,
				      any);
	if (port >= 0)
		return (__s64)(r.addr_idx * cfg->blocks_per_addr +
			       (port - cfg->port_lo) / cfg->block_size)
			       << 16 |
		       port;
	if (port != -REASON_QUOTA)
		return port;
full:
	if (!dp->overflow) {
		det_full(cfg, sub, dp, &r, now);
		return -REASON_QUOTA;
	}
	return pba_alloc(sub_idx, pidx, sport, dp->overflow, now);
}

#endif /* CGNAT_DET_BPF_H */
