/* SPDX-License-Identifier: GPL-2.0 */
/*
 * det.h - deterministic NAT (RFC 7422): the pure arithmetic that turns a
 * pool's configuration into "subscriber -> (external address, port
 * range)" and back. One copy of it serves cgnatd (to program the data
 * plane), cgnatctl (lookup, det-table) and the unit tests; the XDP side
 * computes the same thing from the values det_layout_init() derives
 * (bpf/det.h).
 *
 * The layout (RFC 7422 algorithm 0, sequential): the pool's subscriber
 * prefixes sorted by address give every inside address an offset
 * 0..n_subs-1; the usable external addresses, sorted, get indices
 * 0..n_ext-1 (with exclude_boundary, the first and last address of every
 * prefix shorter than /31 are left out, as Juniper's
 * include-boundary-addresses false does). Offset o gets external address
 * o / spa and ports port_first + (o % spa) * pps .. + pps - 1, where spa
 * (subscribers per address, RFC 7422's C) = ceil(n_subs / n_ext): the
 * subscribers spread evenly over the addresses. Ports from port_first +
 * spa * pps up are RFC 7422's dynamic pool, left for overflow blocks.
 *
 * Addresses are host byte order. Functions return 0 or -errno; no I/O.
 */
#ifndef CGNAT_DET_H
#define CGNAT_DET_H

#include <stdbool.h>
#include <stdint.h>

#define DET_MAX_PREFIXES 64 /* = CFG_MAX_PREFIXES */
#define DET_ALGORITHM 0 /* RFC 7422 section 2: sequential */

struct det_prefix {
	uint32_t addr; /* host order, host bits zero */
	uint8_t len; /* 0..32 */
};

struct det_layout {
	uint32_t port_first; /* first port of the region, >= 1024 */
	uint32_t port_last; /* last candidate port (ports.range) */
	uint32_t pps; /* ports per subscriber, multiple of 64 */
	uint32_t spa; /* subscribers per external address (C) */
	uint32_t n_subs; /* inside addresses (I) */
	uint32_t n_ext; /* usable outside addresses (O) */
	bool exclude_boundary;
	uint32_t n_in, n_out;
	struct det_prefix in[DET_MAX_PREFIXES]; /* sorted by address */
	uint32_t in_base[DET_MAX_PREFIXES]; /* offset of in[i].addr */
	struct det_prefix out[DET_MAX_PREFIXES]; /* sorted */
	uint32_t out_base[DET_MAX_PREFIXES]; /* index of out[i]'s first
					      * usable address */
};

/*
 * Build the layout. Prefixes may come in any order; they must not
 * overlap (configuration validation sees to that). Returns 0, -EINVAL
 * (pps not a positive multiple of 64, port_first below 1024 or not a
 * multiple of 64, port_last below port_first, too many prefixes,
 * nothing usable) or -ENOSPC (the subscribers do not fit: l is still
 * filled, so the caller can report n_subs, n_ext and det_fit_pps()).
 */
int det_layout_init(struct det_layout *l, const struct det_prefix *in,
		    uint32_t n_in, const struct det_prefix *out, uint32_t n_out,
		    uint32_t port_first, uint32_t port_last, uint32_t pps,
		    bool exclude_boundary);

/* Usable addresses of one outside prefix under the boundary rule. */
uint32_t det_prefix_usable(const struct det_prefix *p, bool exclude_boundary);

/* The largest ports_per_subscriber (multiple of 64) with which n_subs
 * subscribers fit on n_ext addresses over port_first..port_last; 0 if
 * none does (fewer addresses than subscribers / max per address).
 */
uint32_t det_fit_pps(uint32_t n_subs, uint32_t n_ext, uint32_t port_first,
		     uint32_t port_last);

/* First port above the deterministic region (overflow starts here). */
uint32_t det_region_end(const struct det_layout *l);

/* Offset of inside address sub, or -ENOENT if no prefix holds it. */
int det_offset(const struct det_layout *l, uint32_t sub, uint32_t *off);
/* Inside address at offset off (off < n_subs), or -ENOENT. */
int det_sub_at(const struct det_layout *l, uint32_t off, uint32_t *sub);
/* External address of index i (i < n_ext), or -ENOENT. */
int det_ext_at(const struct det_layout *l, uint32_t i, uint32_t *ext);
/* Index of external address ext, or -ENOENT (not usable here). */
int det_ext_index(const struct det_layout *l, uint32_t ext, uint32_t *i);

/* f1: the external address and inclusive port range of sub. */
int det_forward(const struct det_layout *l, uint32_t sub, uint32_t *ext,
		uint16_t *lo, uint16_t *hi);
/* f2: the inside address that owns ext:port in the deterministic region,
 * or -ENOENT (ext not in the layout, port outside the region, or a slot
 * no subscriber fills).
 */
int det_reverse(const struct det_layout *l, uint32_t ext, uint16_t port,
		uint32_t *sub);

/* 1 when two layouts map every subscriber identically. */
int det_layout_same(const struct det_layout *a, const struct det_layout *b);

#endif /* CGNAT_DET_H */
