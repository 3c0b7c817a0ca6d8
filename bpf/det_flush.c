// SPDX-License-Identifier: GPL-2.0
/*
 * det_flush.c - dp_flush_subs(): the data-plane side of a deterministic
 * layout change. The subscribers it moved lose every session and mapping
 * (their old external ports are no longer theirs), while cgnat_det_frozen
 * (written at load) keeps them out of their new range for the quarantine.
 * Keys are collected first and deleted after, since deleting while
 * walking a hash restarts the walk.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/cgnat.skel.h"
#include "bpf/loader.h"

static int cmp_be32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static int moved(const __be32 *set, __u32 n, __be32 a)
{
	return bsearch(&a, set, n, sizeof(*set), cmp_be32) != NULL;
}

struct keys {
	void *v;
	size_t n, cap, size;
};

static int keys_add(struct keys *k, const void *key)
{
	void *v;

	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 256;
		v = realloc(k->v, k->cap * k->size);
		if (!v)
			return -ENOMEM;
		k->v = v;
	}
	memcpy((char *)k->v + k->n++ * k->size, key, k->size);
	return 0;
}

static int flush_sessions(struct dp *dp, const __be32 *set, __u32 n)
{
	int fd = bpf_map__fd(dp->skel->maps.cgnat_sessions);
	struct keys k = {.size = sizeof(struct cgnat_sess_key)};
	struct cgnat_sess_key cur, next;
	void *prev = NULL;
	size_t i;
	int rc = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (moved(set, n, next.int_addr) && keys_add(&k, &next)) {
			rc = -ENOMEM;
			break;
		}
		cur = next;
		prev = &cur;
	}
	for (i = 0; !rc && i < k.n; i++) {
		rc = dp_sess_delete(dp, (struct cgnat_sess_key *)k.v + i);
		if (rc == -ENOENT)
			rc = 0; /* expired meanwhile */
	}
	free(k.v);
	return rc;
}

static void clear_port(struct dp *dp, const struct cgnat_map_key *ok,
		       const struct cgnat_map *ov)
{
	int fi = bpf_map__fd(dp->skel->maps.cgnat_addr_idx);
	__u32 ai, pidx, port = ntohs(ov->port);

	if (bpf_map_lookup_elem(fi, &ov->addr, &ai))
		return;
	pidx = ok->proto == IPPROTO_TCP	  ? CGNAT_P_TCP
	       : ok->proto == IPPROTO_UDP ? CGNAT_P_UDP
					  : CGNAT_P_ICMP;
	__atomic_fetch_and(&dp->v.ports[ai * CGNAT_NPROTO + pidx].w[port / 64],
			   ~(1ull << (port & 63)), __ATOMIC_SEQ_CST);
}

static int flush_mappings(struct dp *dp, const __be32 *set, __u32 n)
{
	int fd = bpf_map__fd(dp->skel->maps.cgnat_mappings);
	int fin = bpf_map__fd(dp->skel->maps.cgnat_map_in);
	struct keys k = {.size = sizeof(struct cgnat_map_key)};
	struct cgnat_map_key cur, next, ik;
	struct cgnat_map ov;
	void *prev = NULL;
	size_t i;
	int rc = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (moved(set, n, next.addr) && keys_add(&k, &next)) {
			rc = -ENOMEM;
			break;
		}
		cur = next;
		prev = &cur;
	}
	for (i = 0; !rc && i < k.n; i++) {
		struct cgnat_map_key *ok = (struct cgnat_map_key *)k.v + i;

		if (bpf_map_lookup_elem(fd, ok, &ov))
			continue;
		memset(&ik, 0, sizeof(ik));
		ik.addr = ov.addr;
		ik.port = ov.port;
		ik.proto = ok->proto;
		ik.dir = CGNAT_DIR_IN;
		bpf_map_delete_elem(fin, &ik);
		if (!bpf_map_delete_elem(fd, ok))
			clear_port(dp, ok, &ov);
	}
	free(k.v);
	return rc < 0 ? rc : (int)k.n;
}

/* A moved subscriber's next overflow block comes from its new address. */
static void unpin_address(struct dp *dp, const __be32 *set, __u32 n)
{
	int fd = bpf_map__fd(dp->skel->maps.cgnat_sub_idx);
	__u32 i, j, idx, held;

	for (i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(fd, &set[i], &idx) ||
		    idx >= bpf_map__max_entries(dp->skel->maps.cgnat_subs))
			continue;
		for (j = 0, held = 0; j < CGNAT_MAX_BLOCKS; j++)
			held |= __atomic_load_n(&dp->v.subs[idx].block[j],
						__ATOMIC_ACQUIRE);
		if (!held)
			__atomic_store_n(&dp->v.subs[idx].ext_idx, 0,
					 __ATOMIC_RELEASE);
	}
}

int dp_flush_subs(struct dp *dp, const __be32 *subs, __u32 n)
{
	__be32 *set;
	int rc;

	if (!n)
		return 0;
	set = malloc(n * sizeof(*set));
	if (!set)
		return -ENOMEM;
	memcpy(set, subs, n * sizeof(*set));
	qsort(set, n, sizeof(*set), cmp_be32);
	rc = flush_sessions(dp, set, n);
	if (!rc)
		rc = flush_mappings(dp, set, n);
	/* Sessions a packet made on an old mapping meanwhile. */
	if (rc >= 0 && !flush_sessions(dp, set, n))
		unpin_address(dp, set, n);
	free(set);
	return rc;
}
