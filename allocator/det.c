// SPDX-License-Identifier: GPL-2.0
/*
 * det.c - see det.h. Lookups walk at most DET_MAX_PREFIXES prefixes; the
 * rest is division.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "allocator/det.h"

static uint64_t prefix_size(const struct det_prefix *p)
{
	return 1ULL << (32 - p->len);
}

static int cmp_prefix(const void *a, const void *b)
{
	uint32_t x = ((const struct det_prefix *)a)->addr;
	uint32_t y = ((const struct det_prefix *)b)->addr;

	return x < y ? -1 : x > y;
}

uint32_t det_prefix_usable(const struct det_prefix *p, bool exclude_boundary)
{
	uint64_t n = prefix_size(p);

	if (exclude_boundary && p->len < 31)
		n -= 2;
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

uint32_t det_fit_pps(uint32_t n_subs, uint32_t n_ext, uint32_t port_first,
		     uint32_t port_last)
{
	uint64_t range, spa, pps;

	if (!n_subs || !n_ext || port_last < port_first)
		return 0;
	range = (uint64_t)port_last + 1 - port_first;
	spa = ((uint64_t)n_subs + n_ext - 1) / n_ext; /* needed per address */
	pps = range / spa / 64 * 64;
	return (uint32_t)pps;
}

static int check_args(uint32_t n_in, uint32_t n_out, uint32_t port_first,
		      uint32_t port_last, uint32_t pps)
{
	if (!n_in || !n_out || n_in > DET_MAX_PREFIXES ||
	    n_out > DET_MAX_PREFIXES)
		return -EINVAL;
	if (port_first < 1024 || port_first % 64 || port_last > 65535 ||
	    port_last < port_first)
		return -EINVAL;
	if (!pps || pps % 64 || pps > port_last + 1 - port_first)
		return -EINVAL;
	return 0;
}

int det_layout_init(struct det_layout *l, const struct det_prefix *in,
		    uint32_t n_in, const struct det_prefix *out, uint32_t n_out,
		    uint32_t port_first, uint32_t port_last, uint32_t pps,
		    bool exclude_boundary)
{
	uint64_t subs = 0, ext = 0;
	uint32_t i;
	int ret;

	memset(l, 0, sizeof(*l));
	ret = check_args(n_in, n_out, port_first, port_last, pps);
	if (ret)
		return ret;
	l->port_first = port_first;
	l->port_last = port_last;
	l->pps = pps;
	l->exclude_boundary = exclude_boundary;
	l->n_in = n_in;
	l->n_out = n_out;
	memcpy(l->in, in, n_in * sizeof(*in));
	memcpy(l->out, out, n_out * sizeof(*out));
	qsort(l->in, n_in, sizeof(*in), cmp_prefix);
	qsort(l->out, n_out, sizeof(*out), cmp_prefix);
	for (i = 0; i < n_in; i++) {
		l->in_base[i] = (uint32_t)subs;
		subs += prefix_size(&l->in[i]);
	}
	for (i = 0; i < n_out; i++) {
		l->out_base[i] = (uint32_t)ext;
		ext += det_prefix_usable(&l->out[i], exclude_boundary);
	}
	if (subs > UINT32_MAX || !ext || ext > UINT32_MAX)
		return -EINVAL;
	l->n_subs = (uint32_t)subs;
	l->n_ext = (uint32_t)ext;
	l->spa = (uint32_t)((subs + ext - 1) / ext);
	if ((uint64_t)l->spa * pps > (uint64_t)port_last + 1 - port_first)
		return -ENOSPC;
	return 0;
}

uint32_t det_region_end(const struct det_layout *l)
{
	return l->port_first + l->spa * l->pps;
}

static int in_prefix(const struct det_prefix *p, uint32_t a)
{
	return (uint64_t)a - p->addr < prefix_size(p) && a >= p->addr;
}

int det_offset(const struct det_layout *l, uint32_t sub, uint32_t *off)
{
	uint32_t i;

	for (i = 0; i < l->n_in; i++) {
		if (in_prefix(&l->in[i], sub)) {
			*off = l->in_base[i] + (sub - l->in[i].addr);
			return 0;
		}
	}
	return -ENOENT;
}

int det_sub_at(const struct det_layout *l, uint32_t off, uint32_t *sub)
{
	uint32_t i;

	for (i = l->n_in; i-- > 0;) {
		if (off >= l->in_base[i]) {
			if (off - l->in_base[i] >= prefix_size(&l->in[i]))
				return -ENOENT;
			*sub = l->in[i].addr + (off - l->in_base[i]);
			return 0;
		}
	}
	return -ENOENT;
}

/* First usable address of out[i]. */
static uint32_t out_first(const struct det_layout *l, uint32_t i)
{
	return l->out[i].addr + (l->exclude_boundary && l->out[i].len < 31);
}

int det_ext_at(const struct det_layout *l, uint32_t idx, uint32_t *ext)
{
	uint32_t i;

	for (i = 0; i < l->n_out; i++) {
		uint32_t n = det_prefix_usable(&l->out[i], l->exclude_boundary);

		if (idx >= l->out_base[i] && idx - l->out_base[i] < n) {
			*ext = out_first(l, i) + (idx - l->out_base[i]);
			return 0;
		}
	}
	return -ENOENT;
}

int det_ext_index(const struct det_layout *l, uint32_t ext, uint32_t *idx)
{
	uint32_t i;

	for (i = 0; i < l->n_out; i++) {
		uint32_t n = det_prefix_usable(&l->out[i], l->exclude_boundary);
		uint32_t first = out_first(l, i);

		if (ext >= first && (uint64_t)ext - first < n) {
			*idx = l->out_base[i] + (ext - first);
			return 0;
		}
	}
	return -ENOENT;
}

int det_forward(const struct det_layout *l, uint32_t sub, uint32_t *ext,
		uint16_t *lo, uint16_t *hi)
{
	uint32_t off, first;
	int ret = det_offset(l, sub, &off);

	if (ret)
		return ret;
	ret = det_ext_at(l, off / l->spa, ext);
	if (ret)
		return ret;
	first = l->port_first + (off % l->spa) * l->pps;
	*lo = (uint16_t)first;
	*hi = (uint16_t)(first + l->pps - 1);
	return 0;
}

int det_reverse(const struct det_layout *l, uint32_t ext, uint16_t port,
		uint32_t *sub)
{
	uint32_t idx, slot;
	uint64_t off;
	int ret;

	if (port < l->port_first || port >= det_region_end(l))
		return -ENOENT;
	ret = det_ext_index(l, ext, &idx);
	if (ret)
		return ret;
	slot = (port - l->port_first) / l->pps;
	off = (uint64_t)idx * l->spa + slot;
	if (off >= l->n_subs)
		return -ENOENT;
	return det_sub_at(l, (uint32_t)off, sub);
}

int det_layout_same(const struct det_layout *a, const struct det_layout *b)
{
	uint32_t i;

	if (a->port_first != b->port_first || a->pps != b->pps ||
	    a->spa != b->spa || a->n_in != b->n_in || a->n_out != b->n_out ||
	    a->exclude_boundary != b->exclude_boundary)
		return 0;
	for (i = 0; i < a->n_in; i++)
		if (a->in[i].addr != b->in[i].addr ||
		    a->in[i].len != b->in[i].len)
			return 0;
	for (i = 0; i < a->n_out; i++)
		if (a->out[i].addr != b->out[i].addr ||
		    a->out[i].len != b->out[i].len)
			return 0;
	return 1;
}
