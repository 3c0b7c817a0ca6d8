// SPDX-License-Identifier: GPL-2.0
/*
 * The open holdings in memory: a dense array of rows and two
 * open-addressing hash tables over it (linear probing, deletion by
 * backward shift, so no tombstones), by block and by row id. A removed
 * row is replaced by the last one, so the array stays dense. Pool names
 * are kept once each (a deployment has a handful). A pool has at most a
 * few hundred thousand blocks: about 100 bytes each, a few tens of MB.
 */
#include <errno.h>
#include <stdio.h>
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

static struct held_slot *tab_find(struct held_slot *t, size_t cap, uint64_t key)
{
	size_t i;

	if (!cap)
		return NULL;
	for (i = slot_of(key, cap); t[i].key; i = (i + 1) & (cap - 1))
		if (t[i].key == key)
			return &t[i];
	return NULL;
}

static void tab_put(struct held_slot *t, size_t cap, uint64_t key, uint32_t row)
{
	size_t i = slot_of(key, cap);

	while (t[i].key)
		i = (i + 1) & (cap - 1);
	t[i] = (struct held_slot){.key = key, .row = row};
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

static uint64_t block_of(const struct held_row *r)
{
	return held_key(r->ext_addr, r->port_first) + 1;
}

static int grow_tables(struct store_held *h)
{
	size_t cap = h->cap ? 2 * h->cap : 1024, i;
	struct held_slot *nb = calloc(cap, sizeof(*nb));
	struct held_slot *ni = calloc(cap, sizeof(*ni));

	if (!nb || !ni) {
		free(nb);
		free(ni);
		return -ENOMEM;
	}
	for (i = 0; i < h->n; i++) {
		tab_put(nb, cap, block_of(&h->rows[i]), (uint32_t)i);
		tab_put(ni, cap, (uint64_t)h->rows[i].id + 1, (uint32_t)i);
	}
	free(h->by_block);
	free(h->by_id);
	h->by_block = nb;
	h->by_id = ni;
	h->cap = cap;
	return 0;
}

/* Make room for one more row: the array and tables at half load. */
static int reserve(struct store_held *h)
{
	size_t cap = h->rows_cap ? 2 * h->rows_cap : 512;
	struct held_row *r;

	if (h->n == h->rows_cap) {
		r = realloc(h->rows, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		h->rows = r;
		h->rows_cap = cap;
	}
	return 2 * (h->n + 1) > h->cap ? grow_tables(h) : 0;
}

/* Index of pool name @name, added if new. */
static int pool_index(struct store_held *h, const char *name, uint16_t *ix)
{
	size_t i, cap = h->pools_cap ? 2 * h->pools_cap : 4;
	char(*p)[STORE_POOL_MAX + 1];

	for (i = 0; i < h->npools; i++) {
		if (!strcmp(h->pools[i], name)) {
			*ix = (uint16_t)i;
			return 0;
		}
	}
	if (h->npools > UINT16_MAX)
		return -E2BIG;
	if (h->npools == h->pools_cap) {
		p = realloc(h->pools, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		h->pools = p;
		h->pools_cap = cap;
	}
	snprintf(h->pools[h->npools], sizeof(h->pools[0]), "%s", name);
	*ix = (uint16_t)h->npools++;
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
	free(h->rows);
	free(h->pools);
	memset(h, 0, sizeof(*h));
}

int held_add(struct store_held *h, const struct store_block *b)
{
	uint64_t key = held_key(b->ext_addr, b->port_first) + 1;
	struct held_row *r;
	uint16_t pool;
	int ret;

	if (tab_find(h->by_block, h->cap, key))
		return -EEXIST;
	ret = pool_index(h, b->pool, &pool);
	if (!ret)
		ret = reserve(h);
	if (ret < 0)
		return ret;
	r = &h->rows[h->n];
	*r = (struct held_row){.id = b->id,
			       .assigned_ms = b->assigned_ms,
			       .ext_addr = b->ext_addr,
			       .sub_addr = b->sub_addr,
			       .instance = b->instance,
			       .pool_id = b->pool_id,
			       .port_first = b->port_first,
			       .port_last = b->port_last,
			       .pool = pool};
	tab_put(h->by_block, h->cap, key, (uint32_t)h->n);
	tab_put(h->by_id, h->cap, (uint64_t)b->id + 1, (uint32_t)h->n);
	h->n++;
	return 0;
}

static void row_out(const struct store_held *h, const struct held_row *r,
		    struct store_block *b)
{
	memset(b, 0, sizeof(*b));
	b->id = r->id;
	b->instance = r->instance;
	b->pool_id = r->pool_id;
	memcpy(b->pool, h->pools[r->pool], sizeof(b->pool));
	b->sub_addr = r->sub_addr;
	b->ext_addr = r->ext_addr;
	b->port_first = r->port_first;
	b->port_last = r->port_last;
	b->assigned_ms = r->assigned_ms;
	b->released_ms = STORE_MS_NONE;
}

int held_find(const struct store_held *h, uint32_t ext_addr,
	      uint16_t port_first, struct store_block *out)
{
	struct held_slot *e = tab_find(h->by_block, h->cap,
				       held_key(ext_addr, port_first) + 1);

	if (!e)
		return -ENOENT;
	row_out(h, &h->rows[e->row], out);
	return 0;
}

int held_find_id(const struct store_held *h, int64_t id,
		 struct store_block *out)
{
	struct held_slot *e = tab_find(h->by_id, h->cap, (uint64_t)id + 1);

	if (!e)
		return -ENOENT;
	row_out(h, &h->rows[e->row], out);
	return 0;
}

int held_del_id(struct store_held *h, int64_t id)
{
	struct held_slot *e = tab_find(h->by_id, h->cap, (uint64_t)id + 1);
	struct held_row *last;
	uint32_t row;

	if (!e)
		return -ENOENT;
	row = e->row;
	tab_del(h->by_id, h->cap, e);
	tab_del(h->by_block, h->cap,
		tab_find(h->by_block, h->cap, block_of(&h->rows[row])));
	last = &h->rows[--h->n];
	if (row != h->n) {
		/* Move the last row into the hole and repoint its slots. */
		tab_find(h->by_block, h->cap, block_of(last))->row = row;
		tab_find(h->by_id, h->cap, (uint64_t)last->id + 1)->row = row;
		h->rows[row] = *last;
	}
	return 0;
}
