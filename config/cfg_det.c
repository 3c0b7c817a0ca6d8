// SPDX-License-Identifier: GPL-2.0
/*
 * cfg_det.c - the deterministic pool keys (RFC 7422): building a pool's
 * layout from the configuration and rejecting layouts that do not fit,
 * naming the ports_per_subscriber or address count that would. The
 * arithmetic itself is allocator/det.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "allocator/det.h"
#include "config/cfg_internal.h"

static void to_det(const struct cfg_prefix_list *l, struct det_prefix *v)
{
	unsigned int i;

	for (i = 0; i < l->n; i++) {
		v[i].addr = l->v[i].addr;
		v[i].len = l->v[i].len;
	}
}

int cfg_det_layout(const struct cgnat_config *cfg, unsigned int pool,
		   struct det_layout *l)
{
	const struct cfg_pool *p = &cfg->pools[pool];
	struct det_prefix in[DET_MAX_PREFIXES], out[DET_MAX_PREFIXES];

	if (pool >= cfg->n_pools || p->mode != CFG_POOL_DETERMINISTIC)
		return -EINVAL;
	to_det(&p->subscribers, in);
	to_det(&p->addresses, out);
	return det_layout_init(l, in, p->subscribers.n, out, p->addresses.n,
			       cfg->ports.first, cfg->ports.last,
			       p->ports_per_subscriber,
			       !p->include_boundary_addresses);
}

uint32_t cfg_det_first_block(const struct cgnat_config *cfg,
			     const struct det_layout *l)
{
	uint32_t bs = cfg->ports.block_size;

	return (det_region_end(l) - cfg->ports.first + bs - 1) / bs;
}

uint32_t cfg_det_overflow_blocks(const struct cgnat_config *cfg,
				 const struct det_layout *l)
{
	uint32_t bpa = (cfg->ports.last + 1 - cfg->ports.first) /
		       cfg->ports.block_size;
	uint32_t first = cfg_det_first_block(cfg, l);

	return first < bpa ? bpa - first : 0;
}

/* The keys that mean nothing in a PBA pool must not be set there. */
static int check_pba_pool(struct cfg_ctx *ctx, unsigned int i)
{
	static const char *const keys[] = {"ports_per_subscriber",
					   "overflow_blocks",
					   "include_boundary_addresses"};
	char path[CFG_KPATH_LEN];
	unsigned int k;

	for (k = 0; k < 3; k++) {
		snprintf(path, sizeof(path), "pools[%u].%s", i, keys[k]);
		if (cfg_mark_find(ctx, path))
			return cfg_errf(ctx, cfg_mark_near(ctx, path), path,
					"only a deterministic pool has %s (add "
					"mode: deterministic to this pool, or "
					"remove the key)",
					keys[k]);
	}
	return 0;
}

static int fit_err(struct cfg_ctx *ctx, const char *path,
		   const struct det_layout *l)
{
	uint32_t span = l->port_last + 1 - l->port_first;
	uint32_t need = (l->n_subs + span / l->pps - 1) / (span / l->pps);
	uint32_t fit =
		det_fit_pps(l->n_subs, l->n_ext, l->port_first, l->port_last);
	uint32_t per = (l->n_subs + l->n_ext - 1) / l->n_ext;
	char hint[160];

	if (fit)
		snprintf(hint, sizeof(hint),
			 "ports_per_subscriber: %u fits, %u subscribers per "
			 "address",
			 fit, per);
	else
		snprintf(hint, sizeof(hint),
			 "no ports_per_subscriber fits: even 64 ports give "
			 "only %u subscribers per address",
			 (l->port_last + 1 - l->port_first) / 64);
	return cfg_errf(
		ctx, cfg_mark_near(ctx, path), path,
		"%u subscribers do not fit on %u usable addresses at %u ports "
		"each (%u per address, but ports %u-%u hold %u ranges; that "
		"needs %u addresses): %s, or add addresses",
		l->n_subs, l->n_ext, l->pps, l->spa, l->port_first,
		l->port_last, span / l->pps, need, hint);
}

static int check_det_pool(struct cfg_ctx *ctx, unsigned int i)
{
	const struct cgnat_config *cfg = ctx->cfg;
	const struct cfg_pool *p = &cfg->pools[i];
	char path[CFG_KPATH_LEN];
	struct det_layout l;
	uint32_t span = cfg->ports.last + 1 - cfg->ports.first, end;
	uint32_t free_blocks;
	int ret;

	snprintf(path, sizeof(path), "pools[%u].ports_per_subscriber", i);
	if (!p->ports_per_subscriber) {
		snprintf(path, sizeof(path), "pools[%u]", i);
		return cfg_errf(ctx, p->mark, path,
				"missing required key 'ports_per_subscriber' "
				"(needed by mode: deterministic, a multiple of "
				"64, e.g. ports_per_subscriber: 2016)");
	}
	if (p->ports_per_subscriber % 64)
		return cfg_errf(ctx, cfg_mark_near(ctx, path), path,
				"%u is not a multiple of 64 (use %u or %u)",
				p->ports_per_subscriber,
				p->ports_per_subscriber < 64
					? 64
					: p->ports_per_subscriber / 64 * 64,
				(p->ports_per_subscriber / 64 + 1) * 64);
	if (p->ports_per_subscriber > span)
		return cfg_errf(ctx, cfg_mark_near(ctx, path), path,
				"%u is more than ports.range %u-%u holds (%u; "
				"lower it or widen ports.range)",
				p->ports_per_subscriber, cfg->ports.first,
				cfg->ports.last, span);
	ret = cfg_det_layout(cfg, i, &l);
	if (ret == -ENOSPC)
		return fit_err(ctx, path, &l);
	if (ret) {
		snprintf(path, sizeof(path), "pools[%u].addresses", i);
		return cfg_errf(
			ctx, cfg_mark_near(ctx, path), path,
			"no usable address for a deterministic pool (with "
			"include_boundary_addresses: false a prefix loses its "
			"first and last address; widen the prefix)");
	}
	end = det_region_end(&l);
	free_blocks = cfg_det_overflow_blocks(cfg, &l);
	if (p->overflow_blocks && free_blocks < p->overflow_blocks) {
		snprintf(path, sizeof(path), "pools[%u].overflow_blocks", i);
		return cfg_errf(
			ctx, cfg_mark_near(ctx, path), path,
			"%u blocks of %u ports do not fit above the "
			"deterministic region, which ends at port %u (%u fit; "
			"lower overflow_blocks or ports_per_subscriber)",
			p->overflow_blocks, cfg->ports.block_size, end - 1,
			free_blocks);
	}
	return 0;
}

int cfg_check_det(struct cfg_ctx *ctx)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < ctx->cfg->n_pools; i++) {
		if (ctx->cfg->pools[i].mode == CFG_POOL_DETERMINISTIC) {
			if (check_det_pool(ctx, i))
				ret = -EINVAL;
		} else if (check_pba_pool(ctx, i)) {
			ret = -EINVAL;
		}
	}
	return ret;
}
