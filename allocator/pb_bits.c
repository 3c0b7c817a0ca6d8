// SPDX-License-Identifier: GPL-2.0
/*
 * pb_bits.c - see pb_bits.h. Only the allocator's threads touch these
 * sets, under its lock: plain loads and stores.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "allocator/pb_bits.h"

static __u32 words(__u32 n)
{
	return (n + 63) / 64;
}

int pb_bits_init(struct pb_bits *b, __u32 n)
{
	memset(b, 0, sizeof(*b));
	b->w = calloc(words(n) ? words(n) : 1, sizeof(__u64));
	b->top = calloc(words(words(n)) ? words(words(n)) : 1, sizeof(__u64));
	if (!b->w || !b->top) {
		pb_bits_free(b);
		return -ENOMEM;
	}
	b->n = n;
	return 0;
}

void pb_bits_free(struct pb_bits *b)
{
	free(b->w);
	free(b->top);
	memset(b, 0, sizeof(*b));
}

void pb_bits_clear_all(struct pb_bits *b)
{
	if (!b->n)
		return;
	memset(b->w, 0, words(b->n) * sizeof(__u64));
	memset(b->top, 0, words(words(b->n)) * sizeof(__u64));
	b->count = 0;
}

void pb_bits_set(struct pb_bits *b, __u32 i)
{
	__u64 m = 1ull << (i % 64);

	if (i >= b->n || (b->w[i / 64] & m))
		return;
	b->w[i / 64] |= m;
	b->top[i / 4096] |= 1ull << (i / 64 % 64);
	b->count++;
}

void pb_bits_clear(struct pb_bits *b, __u32 i)
{
	__u64 m = 1ull << (i % 64);

	if (i >= b->n || !(b->w[i / 64] & m))
		return;
	b->w[i / 64] &= ~m;
	if (!b->w[i / 64])
		b->top[i / 4096] &= ~(1ull << (i / 64 % 64));
	b->count--;
}

int pb_bits_test(const struct pb_bits *b, __u32 i)
{
	return i < b->n && (b->w[i / 64] >> (i % 64) & 1);
}

__u32 pb_bits_next(const struct pb_bits *b, __u32 from)
{
	__u32 wi, ti, nt = words(words(b->n));
	__u64 x;

	if (from >= b->n || !b->count)
		return b->n;
	wi = from / 64;
	x = b->w[wi] & (~0ull << (from % 64));
	if (x)
		return wi * 64 + __builtin_ctzll(x);
	wi++;			/* the summary, from the next word on */
	if (wi >= words(b->n))
		return b->n;
	ti = wi / 64;
	x = b->top[ti] & (~0ull << (wi % 64));
	while (!x) {
		if (++ti >= nt)
			return b->n;
		x = b->top[ti];
	}
	wi = ti * 64 + __builtin_ctzll(x);
	return wi * 64 + __builtin_ctzll(b->w[wi]);
}
