/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The writer's in-memory set of open holdings: block (ext_addr,
 * port_first) -> row id and assign time, and row id -> block. With block
 * events going to the unindexed journal first, this is what lets a write
 * refuse a second open holding (-EEXIST), a release of a block that is
 * not open (-ENOENT) or a release before its assign (-EINVAL) without
 * reading the journal. Pure C, no I/O; the store rebuilds it from the
 * database whenever it may be stale (open, rollback, another writer).
 */
#ifndef CGNAT_LOGGER_STORE_HELD_H
#define CGNAT_LOGGER_STORE_HELD_H

#include <stddef.h>
#include <stdint.h>

struct held_slot {
	uint64_t key; /* held_key() + 1 or id + 1; 0 = empty */
	int64_t a, b; /* by block: id, assigned_ms; by id: block key */
};

struct store_held {
	struct held_slot *by_block, *by_id;
	size_t cap, n; /* both tables have cap slots (a power of 2) */
};

/* Block key of (ext_addr, port_first). */
static inline uint64_t held_key(uint32_t ext_addr, uint16_t port_first)
{
	return (uint64_t)ext_addr << 16 | port_first;
}

/* Empty the set (keeps the memory). */
void held_clear(struct store_held *h);
/* Free the tables. */
void held_free(struct store_held *h);
/* Add an open holding. -EEXIST if the block is open, -ENOMEM. */
int held_add(struct store_held *h, uint32_t ext_addr, uint16_t port_first,
	     int64_t id, int64_t assigned_ms);
/* Row id and assign time of the block's open holding; -ENOENT if none. */
int held_find(const struct store_held *h, uint32_t ext_addr,
	      uint16_t port_first, int64_t *id, int64_t *assigned_ms);
/* Assign time and block of open row @id; -ENOENT if it is not open. */
int held_find_id(const struct store_held *h, int64_t id, int64_t *assigned_ms,
		 uint32_t *ext_addr, uint16_t *port_first);
/* Forget the open holding of row @id; -ENOENT if it is not open. */
int held_del_id(struct store_held *h, int64_t id);

#endif /* CGNAT_LOGGER_STORE_HELD_H */
