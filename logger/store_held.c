// SPDX-License-Identifier: GPL-2.0
/*
 * Two open-addressing hash tables (linear probing, deletion by backward
 * shift, so no tombstones) over the open holdings: by block and by row
 * id. A pool has at most a few hundred thousand blocks, so both fit in a
 * few MB; they grow at half load.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "logger/store_held.h"

static size_t slot_of(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (size_t)key & (cap - 1);
}

static struct held_slot *tab_find(struct held_slot *t, size_t cap,
				  uint64_t key)
{
	size_t i;

	if (!cap)
		return NULL;
	for (i = slot_of(key, cap); t[i].key; i = (i + 1) & (cap - 1))
		if (t[i].key == key)
			return &t[i];
	return NULL;
}

static void tab_put(struct held_slot *t, size_t cap, uint64_t key, int64_t a,
		    int64_t b)
{
	size_t i = slot_of(key, cap);

	while (t[i].key)
		i = (i + 1) & (cap - 1);
	t[i] = (struct held_slot){ .key = key, .a = a, .b = b };
}

/* Backward-shift deletion: later entries of the run move up so every
 * lookup still finds them without tombstones. */
static void tab_del(struct held_slot *t, size_t cap, struct held_slot *e)
{
	size_t i = (size_t)(e - t), j = i, home;

	for (;;) {
		t[i].key = 0;
		for (;;) {
			j = (j + 1) & (cap - 1);
			if (!t[j].key)
				return;
			home = slot_of(t[j].key, cap);
			/* stay if home lies cyclically in (i, j] */
			if (i <= j ? (i < home && home <= j)
				   : (i < home || home <= j))
				continue;
			break;
		}
		t[i] = t[j];
		i = j;
	}
}

static int grow(struct store_held *h)
{
	size_t cap = h->cap ? 2 * h->cap : 1024, i;
	struct held_slot *nb = calloc(cap, sizeof(*nb));
	struct held_slot *ni = calloc(cap, sizeof(*ni));

	if (!nb || !ni) {
		free(nb);
		free(ni);
		return -ENOMEM;
	}
	for (i = 0; i < h->cap; i++) {
		if (h->by_block[i].key)
			tab_put(nb, cap, h->by_block[i].key, h->by_block[i].a,
				h->by_block[i].b);
		if (h->by_id[i].key)
			tab_put(ni, cap, h->by_id[i].key, h->by_id[i].a,
				h->by_id[i].b);
	}
	free(h->by_block);
	free(h->by_id);
	h->by_block = nb;
	h->by_id = ni;
	h->cap = cap;
	return 0;
}

void held_clear(struct store_held *h)
{
	if (h->cap) {
		memset(h->by_block, 0, h->cap * sizeof(*h->by_block));
		memset(h->by_id, 0, h->cap * sizeof(*h->by_id));
	}
	h->n = 0;
}

void held_free(struct store_held *h)
{
	free(h->by_block);
	free(h->by_id);
	memset(h, 0, sizeof(*h));
}

int held_add(struct store_held *h, uint32_t ext_addr, uint16_t port_first,
	     int64_t id, int64_t assigned_ms)
{
	uint64_t key = held_key(ext_addr, port_first) + 1;

	if (tab_find(h->by_block, h->cap, key))
		return -EEXIST;
	if (2 * (h->n + 1) > h->cap && grow(h))
		return -ENOMEM;
	tab_put(h->by_block, h->cap, key, id, assigned_ms);
	tab_put(h->by_id, h->cap, (uint64_t)id + 1, assigned_ms, (int64_t)key);
	h->n++;
	return 0;
}

int held_find(const struct store_held *h, uint32_t ext_addr,
	      uint16_t port_first, int64_t *id, int64_t *assigned_ms)
{
	struct held_slot *e = tab_find(h->by_block, h->cap,
				       held_key(ext_addr, port_first) + 1);

	if (!e)
		return -ENOENT;
	*id = e->a;
	*assigned_ms = e->b;
	return 0;
}

int held_find_id(const struct store_held *h, int64_t id, int64_t *assigned_ms,
		 uint32_t *ext_addr, uint16_t *port_first)
{
	struct held_slot *e = tab_find(h->by_id, h->cap, (uint64_t)id + 1);
	uint64_t key;

	if (!e)
		return -ENOENT;
	key = (uint64_t)e->b - 1;
	*assigned_ms = e->a;
	*ext_addr = (uint32_t)(key >> 16);
	*port_first = (uint16_t)key;
	return 0;
}

int held_del_id(struct store_held *h, int64_t id)
{
	struct held_slot *e = tab_find(h->by_id, h->cap, (uint64_t)id + 1);
	struct held_slot *k;

	if (!e)
		return -ENOENT;
	k = tab_find(h->by_block, h->cap, (uint64_t)e->b);
	tab_del(h->by_id, h->cap, e);
	if (k)
		tab_del(h->by_block, h->cap, k);
	h->n--;
	return 0;
}
