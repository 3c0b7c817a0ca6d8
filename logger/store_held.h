/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The writer's in-memory copy of open_blocks: every open holding, found
 * by block (ext_addr, port_first) or by row id. It lets a write refuse a
 * second open holding (-EEXIST), a release of a block that is not open
 * (-ENOENT) or a release before its assign (-EINVAL) without a query,
 * and it is where a release takes the closed row's columns from, so a
 * release writes blocks without reading open_blocks. Pure C, no I/O;
 * the store rebuilds it from the database whenever it may be stale
 * (open, rollback, another writer).
 */
#ifndef CGNAT_LOGGER_STORE_HELD_H
#define CGNAT_LOGGER_STORE_HELD_H

#include <stddef.h>
#include <stdint.h>

#include "logger/store.h"

/* One open holding; the pool name is an index into the name table. */
struct held_row {
	int64_t id, assigned_ms;
	uint32_t ext_addr, sub_addr, instance, pool_id;
	uint16_t port_first, port_last, pool;
};

/* Hash slot: key 0 = empty, else block key + 1 or id + 1. */
struct held_slot {
	uint64_t key;
	uint32_t row; /* index into rows */
};

struct store_held {
	struct held_slot *by_block, *by_id; /* cap slots each, power of 2 */
	size_t cap;
	struct held_row *rows; /* dense: rows[0..n) */
	size_t n, rows_cap;
	char (*pools)[STORE_POOL_MAX + 1]; /* distinct pool names */
	size_t npools, pools_cap;
};

/* Block key of (ext_addr, port_first). */
static inline uint64_t held_key(uint32_t ext_addr, uint16_t port_first)
{
	return (uint64_t)ext_addr << 16 | port_first;
}

/* Empty the set (keeps the memory and the pool names). */
void held_clear(struct store_held *h);
/* Free everything. */
void held_free(struct store_held *h);
/* Add the open holding @b (b->id set, released_ms ignored). -EEXIST if
 * its block is open, -ENOMEM; -E2BIG past 65536 pool names. */
int held_add(struct store_held *h, const struct store_block *b);
/* The open holding of a block into @out; -ENOENT if none. */
int held_find(const struct store_held *h, uint32_t ext_addr,
	      uint16_t port_first, struct store_block *out);
/* The open holding with row id @id into @out; -ENOENT if none. */
int held_find_id(const struct store_held *h, int64_t id,
		 struct store_block *out);
/* Forget the open holding of row @id; -ENOENT if it is not open. */
int held_del_id(struct store_held *h, int64_t id);

#endif /* CGNAT_LOGGER_STORE_HELD_H */
