// SPDX-License-Identifier: GPL-2.0
/*
 * test_pb_bits.c - the allocator's two-level block sets against a plain
 * array: members found in order across word and summary boundaries, the
 * count, idempotent set and clear, and sizes that are not a multiple of
 * 64 or of 4096.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "allocator/pb_bits.h"

/* Every member in order, as pb_bits_next() finds them, against 'ref'. */
static void check_walk(const struct pb_bits *b, const unsigned char *ref)
{
	__u32 i, want = 0, seen = 0;

	for (i = pb_bits_next(b, 0); i < b->n; i = pb_bits_next(b, i + 1)) {
		while (want < b->n && !ref[want])
			want++;
		assert_int_equal(i, want);
		assert_true(pb_bits_test(b, i));
		want++;
		seen++;
	}
	while (want < b->n && !ref[want])
		want++;
	assert_int_equal(want, b->n);
	assert_int_equal(seen, b->count);
}

static void test_edges(void **st)
{
	struct pb_bits b;
	__u32 n = 3 * 4096 + 65;	/* a partial word and summary word */

	(void)st;
	assert_int_equal(pb_bits_init(&b, n), 0);
	assert_int_equal(pb_bits_next(&b, 0), n);
	pb_bits_set(&b, 0);
	pb_bits_set(&b, 63);
	pb_bits_set(&b, 64);
	pb_bits_set(&b, 4095);
	pb_bits_set(&b, 4096);
	pb_bits_set(&b, n - 1);
	pb_bits_set(&b, n);		/* out of range: ignored */
	pb_bits_set(&b, 64);		/* already a member */
	assert_int_equal(b.count, 6);
	assert_int_equal(pb_bits_next(&b, 0), 0);
	assert_int_equal(pb_bits_next(&b, 1), 63);
	assert_int_equal(pb_bits_next(&b, 64), 64);
	assert_int_equal(pb_bits_next(&b, 65), 4095);
	assert_int_equal(pb_bits_next(&b, 4096), 4096);
	assert_int_equal(pb_bits_next(&b, 4097), n - 1);
	assert_int_equal(pb_bits_next(&b, n), n);
	assert_int_equal(pb_bits_next(&b, n + 5), n);
	pb_bits_clear(&b, 4096);
	pb_bits_clear(&b, 4096);	/* not a member: nothing */
	assert_int_equal(b.count, 5);
	assert_false(pb_bits_test(&b, 4096));
	assert_int_equal(pb_bits_next(&b, 4096), n - 1);
	pb_bits_clear(&b, 4095);
	pb_bits_clear(&b, n - 1);	/* the summary empties past 64 */
	assert_int_equal(pb_bits_next(&b, 65), n);
	pb_bits_clear_all(&b);
	assert_int_equal(b.count, 0);
	assert_int_equal(pb_bits_next(&b, 0), n);
	pb_bits_free(&b);
	pb_bits_free(&b);		/* twice: safe */
}

static void test_random(void **st)
{
	__u32 n = 300001, i, k;
	unsigned char *ref = calloc(n, 1);
	struct pb_bits b;

	(void)st;
	assert_non_null(ref);
	assert_int_equal(pb_bits_init(&b, n), 0);
	srand(7);
	for (k = 0; k < 40; k++) {
		/* Sparse rounds and dense rounds, in clusters and spread. */
		__u32 ops = k % 2 ? 50 : 20000, base = rand() % n;

		for (i = 0; i < ops; i++) {
			__u32 id = k % 3 ? (__u32)rand() % n
					 : (base + rand() % 5000) % n;

			if (rand() % 3) {
				pb_bits_set(&b, id);
				ref[id] = 1;
			} else {
				pb_bits_clear(&b, id);
				ref[id] = 0;
			}
		}
		check_walk(&b, ref);
		for (i = 0; i < 200; i++) {
			__u32 from = rand() % (n + 2), want = from;

			while (want < n && !ref[want])
				want++;
			assert_int_equal(pb_bits_next(&b, from),
					 want < n ? want : n);
		}
	}
	pb_bits_free(&b);
	free(ref);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
