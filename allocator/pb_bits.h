/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pb_bits.h - a set of block ids as a two-level bitmap, so that the
 * allocator's per-turn work visits the blocks in one state (granted,
 * assigned, resting) instead of every block of the pool: one summary bit
 * per 64-bit word, so finding the next member past a long empty stretch
 * reads one summary word per 4096 ids (4k words at 16M blocks).
 */
#ifndef CGNAT_PB_BITS_H
#define CGNAT_PB_BITS_H

#include <linux/types.h>

struct pb_bits {
	__u64 *w;		/* bit i: id i is a member */
	__u64 *top;		/* bit j: w[j] is not zero */
	__u32 n;		/* ids 0..n-1 */
	__u32 count;		/* members */
};

/* 0 or -ENOMEM. pb_bits_free() of a zeroed or initialised set is safe. */
int pb_bits_init(struct pb_bits *b, __u32 n);
void pb_bits_free(struct pb_bits *b);
void pb_bits_clear_all(struct pb_bits *b);

/* Idempotent: setting a member or clearing a non-member changes nothing. */
void pb_bits_set(struct pb_bits *b, __u32 i);
void pb_bits_clear(struct pb_bits *b, __u32 i);
int pb_bits_test(const struct pb_bits *b, __u32 i);

/* The smallest member >= from, or b->n when there is none. */
__u32 pb_bits_next(const struct pb_bits *b, __u32 from);

#endif
