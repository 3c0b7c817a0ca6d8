// SPDX-License-Identifier: GPL-2.0
/*
 * det_dp.c - a deterministic layout (det.h) in the data plane's terms
 * (bpf/cgnat_abi.h): the pool record, the subscriber prefixes with their
 * base offsets, and the address index of every usable external address.
 * Pure; shared by cgnatd and the packet tests.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>

#include "allocator/det_dp.h"

struct idx {
	__u32 addr; /* host order */
	__u32 i;
};

static int cmp_idx(const void *a, const void *b)
{
	__u32 x = ((const struct idx *)a)->addr;
	__u32 y = ((const struct idx *)b)->addr;

	return x < y ? -1 : x > y;
}

int det_dp_build(const struct det_layout *l, __u32 version, __u32 overflow,
		 const __be32 *addrs, __u32 n_addrs, struct det_dp *out)
{
	struct idx *sorted, key, *hit;
	__u32 i, ext;

	if (out->n_ext + l->n_ext > CGNAT_DET_MAX_EXT ||
	    out->n_prefixes + l->n_in > DET_DP_MAX_PREFIXES)
		return -ENOSPC;
	sorted = calloc(n_addrs ? n_addrs : 1, sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	for (i = 0; i < n_addrs; i++) {
		sorted[i].addr = ntohl(addrs[i]);
		sorted[i].i = i;
	}
	qsort(sorted, n_addrs, sizeof(*sorted), cmp_idx);
	out->pool = (struct cgnat_det_pool){.pps = l->pps,
					    .spa = l->spa,
					    .port_first = l->port_first,
					    .ext_base = out->n_ext,
					    .n_ext = l->n_ext,
					    .overflow = overflow,
					    .version = version};
	for (i = 0; i < l->n_ext; i++) {
		if (det_ext_at(l, i, &ext))
			goto bad;
		key.addr = ext;
		hit = bsearch(&key, sorted, n_addrs, sizeof(*sorted), cmp_idx);
		if (!hit)
			goto bad;
		out->ext[out->n_ext++] = hit->i;
	}
	for (i = 0; i < l->n_in; i++) {
		struct dp_prefix *p = &out->prefixes[out->n_prefixes++];

		p->addr = htonl(l->in[i].addr);
		p->len = l->in[i].len;
		p->pool = l->in_base[i];
	}
	free(sorted);
	return 0;
bad:
	free(sorted);
	return -ENOENT;
}
