// SPDX-License-Identifier: GPL-2.0
/*
 * test_pcp_tab.c - daemon/pcp_tab.c against a plain array model: random
 * adds and removes (many keys per subscriber, colliding runs, growth),
 * after each step every key is found at an entry holding it, absent keys
 * are not found, and every subscriber's count is the model's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/pcp_tab.h"

#define MODEL_MAX 3000

struct mkey {
	__be32 sub;
	__be16 port;
	__u8 proto;
};

static __u32 rnd_state = 12345;

static __u32 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static struct mkey rnd_key(void)
{
	struct mkey k = {
		.sub = 0x64400000u + rnd() % 40, /* few subscribers: long runs */
		.port = (__be16)(rnd() % 64),
		.proto = rnd() & 1 ? 17 : 6,
	};
	return k;
}

static int model_find(const struct mkey *m, unsigned int n, struct mkey k)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (m[i].sub == k.sub && m[i].port == k.port &&
		    m[i].proto == k.proto)
			return (int)i;
	return -1;
}

static void check_all(const struct pcp_tab *t, const struct mkey *m,
		      unsigned int n)
{
	unsigned int i, j, cnt;

	assert_int_equal(t->n, n);
	for (i = 0; i < n; i++) {
		int x = pcp_tab_find(t, m[i].sub, m[i].port, m[i].proto);

		assert_true(x >= 0);
		assert_int_equal(t->e[x].sub, m[i].sub);
		assert_int_equal(t->e[x].int_port, m[i].port);
		assert_int_equal(t->e[x].proto, m[i].proto);
		cnt = 0;
		for (j = 0; j < n; j++)
			cnt += m[j].sub == m[i].sub;
		assert_int_equal(pcp_tab_count(t, m[i].sub), cnt);
	}
}

static void test_random_against_model(void **st)
{
	static struct mkey m[MODEL_MAX];
	struct pcp_tab t = {0};
	unsigned int n = 0, step;

	(void)st;
	for (step = 0; step < 20000; step++) {
		struct mkey k = rnd_key();
		int mi = model_find(m, n, k);
		int ti = pcp_tab_find(&t, k.sub, k.port, k.proto);

		assert_int_equal(mi >= 0, ti >= 0);
		if (mi < 0 && n < MODEL_MAX && rnd() % 3) {
			struct pcp_entry *e =
				pcp_tab_add(&t, k.sub, k.port, k.proto);

			assert_non_null(e);
			e->until_s = step;
			m[n++] = k;
		} else if (mi >= 0) {
			pcp_tab_remove(&t, (unsigned int)ti);
			m[mi] = m[--n];
			assert_int_equal(pcp_tab_find(&t, k.sub, k.port, k.proto),
					 -1);
		}
		if (step % 500 == 0)
			check_all(&t, m, n);
	}
	check_all(&t, m, n);
	while (n) { /* drain: every count reaches 0 */
		int x = pcp_tab_find(&t, m[0].sub, m[0].port, m[0].proto);

		assert_true(x >= 0);
		pcp_tab_remove(&t, (unsigned int)x);
		m[0] = m[--n];
	}
	assert_int_equal(pcp_tab_count(&t, 0x64400000u), 0);
	pcp_tab_free(&t);
}

/* The table's limit: the million-and-first add is refused, nothing else
 * breaks, and a key is still found in O(1) probes' worth of time.
 */
static void test_full_table(void **st)
{
	struct pcp_tab t = {0};
	unsigned int i;

	(void)st;
	for (i = 0; i < PCP_TAB_MAX; i++)
		assert_non_null(pcp_tab_add(&t, 0x64400000u + i / 16,
					    (__be16)(i % 16), 17));
	assert_null(pcp_tab_add(&t, 0x64500000u, 1, 17));
	assert_int_equal(t.n, PCP_TAB_MAX);
	assert_int_equal(pcp_tab_count(&t, 0x64400000u + 7), 16);
	assert_int_equal(pcp_tab_find(&t, 0x64400000u + 7, 3, 17) >= 0, 1);
	assert_int_equal(pcp_tab_find(&t, 0x64400000u + 7, 3, 6), -1);
	pcp_tab_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_against_model),
		cmocka_unit_test(test_full_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
