// SPDX-License-Identifier: GPL-2.0
/*
 * test_fraghold.c - the early-fragment holder's bounds and timing, with
 * no data plane behind it (program and map fds are -1: nothing is known,
 * nothing runs): held for CGNAT_FRAG_HOLD_MS and not a millisecond less,
 * FH_PER_SRC per source, FH_MAX in all, READY releasing exactly the
 * datagram's fragments, and slots reused after release and expiry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/fraghold.h"

static struct fraghold Hd;
static __u8 buf[sizeof(struct cgnat_frag_rec) + 64];

/* A record of 'kind' for datagram (src, id). */
static const void *rec(__u32 kind, __be32 src, __be16 id, size_t *len)
{
	struct cgnat_frag_rec *r = (void *)buf;

	memset(buf, 0, sizeof(buf));
	r->kind = kind;
	r->ifindex = 1;
	r->key.saddr = src;
	r->key.daddr = 0x0100a8c0;
	r->key.id = id;
	r->key.proto = 17;
	r->len = kind == CGNAT_FRAG_HELD ? 64 : 0;
	*len = sizeof(*r) + r->len;
	return buf;
}

static void hold(__be32 src, __be16 id, __u64 now)
{
	size_t len;
	const void *r = rec(CGNAT_FRAG_HELD, src, id, &len);

	fh_record(&Hd, r, len, now);
}

static int setup(void **st)
{
	(void)st;
	return fh_init(&Hd, -1, -1, -1);
}

static int teardown(void **st)
{
	(void)st;
	fh_free(&Hd);
	return 0;
}

static void test_hold_time(void **st)
{
	(void)st;
	hold(1, 7, 1000);
	hold(1, 7, 1000);
	assert_int_equal(Hd.n, 2);
	fh_expire(&Hd, 1000 + CGNAT_FRAG_HOLD_MS - 1);
	assert_int_equal(Hd.n, 2);
	fh_expire(&Hd, 1000 + CGNAT_FRAG_HOLD_MS);
	assert_int_equal(Hd.n, 0);
	assert_int_equal(Hd.expired, 2);
}

static void test_bounds(void **st)
{
	__u32 i;

	(void)st;
	for (i = 0; i < FH_PER_SRC + 10; i++)
		hold(0x0a000001, i, 0);
	assert_int_equal(Hd.n, FH_PER_SRC);
	assert_int_equal(Hd.refused, 10);
	/* Many sources fill the holder, then it refuses. */
	for (i = 0; i < 2 * FH_MAX; i++)
		hold(0x0b000000 + i * 7919, 1, 0);
	assert_int_equal(Hd.n, FH_MAX);
	assert_true(Hd.refused >= 10 + FH_MAX);
	/* Expired slots are taken again. */
	fh_expire(&Hd, CGNAT_FRAG_HOLD_MS);
	assert_int_equal(Hd.n, 0);
	for (i = 0; i < FH_MAX; i++)
		hold(0x0c000000 + i * 7919, 2, 10000);
	assert_int_equal(Hd.n, FH_MAX);
}

static void test_ready_releases_its_datagram(void **st)
{
	size_t len;
	const void *r;

	(void)st;
	hold(1, 7, 0);
	hold(1, 7, 0);
	hold(1, 8, 0);
	hold(2, 7, 0);
	r = rec(CGNAT_FRAG_READY, 1, 7, &len);
	fh_record(&Hd, r, len, 5);
	assert_int_equal(Hd.n, 2);	/* (1,8) and (2,7) stay */
	r = rec(CGNAT_FRAG_READY, 1, 7, &len);
	fh_record(&Hd, r, len, 6);
	assert_int_equal(Hd.n, 2);
	/* A truncated record is ignored. */
	r = rec(CGNAT_FRAG_HELD, 3, 1, &len);
	fh_record(&Hd, r, len - 1, 7);
	assert_int_equal(Hd.n, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hold_time, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_ready_releases_its_datagram, setup, teardown),
	};

	return cmocka_run_group_tests_name("fraghold", tests, NULL, NULL);
}
