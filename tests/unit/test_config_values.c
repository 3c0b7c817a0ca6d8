// SPDX-License-Identifier: GPL-2.0
/*
 * test_config_values.c - the scalar helpers of config/cfg_values.c:
 * durations in every unit and their printing, integers, booleans, IPv4
 * addresses, prefixes and port ranges, including what must be refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config/cfg.h"

static void test_duration_units(void **state)
{
	static const struct {
		const char *text;
		uint64_t ms;
	} ok[] = {
		{ "0", 0 },
		{ "45", 45000 },
		{ "250ms", 250 },
		{ "120s", 120000 },
		{ "2m", 120000 },
		{ "24h", 86400000 },
		{ "180d", 180ULL * 86400000 },
		{ "7440s", 7440000 },
		{ "0s", 0 },
	};
	uint64_t ms;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ms = 12345;
		assert_int_equal(cfg_parse_duration(ok[i].text, &ms), 0);
		assert_int_equal(ms, ok[i].ms);
	}
}

static void test_duration_rejects(void **state)
{
	static const char *const bad[] = {
		"", "s", "-5s", "5 s", "5sec", "5S", "1.5h", "05s",
		"5w", "+5", "5ms5", " 5",
	};
	uint64_t ms = 7;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cfg_parse_duration(bad[i], &ms), -EINVAL);
		assert_int_equal(ms, 7);
	}
	assert_int_equal(cfg_parse_duration("213503982334601d", &ms), -ERANGE);
	assert_int_equal(cfg_parse_duration("99999999999999999999", &ms),
			 -ERANGE);
}

static void test_duration_format(void **state)
{
	static const struct {
		uint64_t ms;
		const char *text;
	} cases[] = {
		{ 0, "0s" },		{ 250, "250ms" },
		{ 1000, "1s" },		{ 120000, "120s" },
		{ 3600000, "3600s" },	{ 7200000, "2h" },
		{ 7440000, "7440s" },	{ 86400000, "24h" },
		{ 172800000, "2d" },	{ 180ULL * 86400000, "180d" },
		{ 1500, "1500ms" },
	};
	char buf[24];
	uint64_t back;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cfg_format_duration(cases[i].ms, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].text);
		assert_int_equal(cfg_parse_duration(buf, &back), 0);
		assert_int_equal(back, cases[i].ms);
	}
}

static void test_uint_and_bool(void **state)
{
	uint64_t v;
	bool b = false;

	(void)state;
	assert_int_equal(cfg_parse_uint("4294967295", UINT32_MAX, &v), 0);
	assert_int_equal(v, 4294967295ULL);
	assert_int_equal(cfg_parse_uint("4294967296", UINT32_MAX, &v),
			 -ERANGE);
	assert_int_equal(cfg_parse_uint("0", 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(cfg_parse_uint("010", 100, &v), -EINVAL);
	assert_int_equal(cfg_parse_uint("-1", 100, &v), -EINVAL);
	assert_int_equal(cfg_parse_uint("1e3", 10000, &v), -EINVAL);
	assert_int_equal(cfg_parse_uint("", 10, &v), -EINVAL);
	assert_int_equal(cfg_parse_bool("true", &b), 0);
	assert_true(b);
	assert_int_equal(cfg_parse_bool("false", &b), 0);
	assert_false(b);
	assert_int_equal(cfg_parse_bool("yes", &b), -EINVAL);
	assert_int_equal(cfg_parse_bool("True", &b), -EINVAL);
}

static void test_ipv4(void **state)
{
	static const char *const bad[] = {
		"203.0.113", "203.0.113.256", "203.0.113.01", "203.0.113.1.",
		"203..113.1", "a.b.c.d", "203.0.113.1/32", " 203.0.113.1",
		"",
	};
	uint32_t a = 0;
	char buf[16];
	size_t i;

	(void)state;
	assert_int_equal(cfg_parse_ipv4("203.0.113.20", &a), 0);
	assert_int_equal(a, 0xcb007114);
	cfg_format_ipv4(a, buf, sizeof(buf));
	assert_string_equal(buf, "203.0.113.20");
	assert_int_equal(cfg_parse_ipv4("0.0.0.0", &a), 0);
	assert_int_equal(a, 0);
	assert_int_equal(cfg_parse_ipv4("255.255.255.255", &a), 0);
	assert_int_equal(a, 0xffffffff);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cfg_parse_ipv4(bad[i], &a), -EINVAL);
}

static void test_prefix(void **state)
{
	uint32_t a;
	uint8_t len;
	char buf[24];

	(void)state;
	assert_int_equal(cfg_parse_prefix("100.64.0.0/10", &a, &len), 0);
	assert_int_equal(a, 0x64400000);
	assert_int_equal(len, 10);
	assert_int_equal(cfg_parse_prefix("203.0.113.4", &a, &len), 0);
	assert_int_equal(len, 32);
	/* Host bits are returned as written; the caller reports them. */
	assert_int_equal(cfg_parse_prefix("100.64.0.1/10", &a, &len), 0);
	assert_int_equal(a, 0x64400001);
	assert_int_equal(cfg_parse_prefix("0.0.0.0/0", &a, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(cfg_parse_prefix("10.0.0.0/33", &a, &len), -EINVAL);
	assert_int_equal(cfg_parse_prefix("10.0.0.0/", &a, &len), -EINVAL);
	assert_int_equal(cfg_parse_prefix("10.0.0.0/08", &a, &len), -EINVAL);
	assert_int_equal(cfg_parse_prefix("10.0.0/8", &a, &len), -EINVAL);
	assert_int_equal(cfg_prefix_mask(0), 0);
	assert_int_equal(cfg_prefix_mask(10), 0xffc00000);
	assert_int_equal(cfg_prefix_mask(32), 0xffffffff);
	cfg_format_prefix(0x64400000, 10, buf, sizeof(buf));
	assert_string_equal(buf, "100.64.0.0/10");
	cfg_format_prefix(0xcb007101, 32, buf, sizeof(buf));
	assert_string_equal(buf, "203.0.113.1");
}

static void test_port_range(void **state)
{
	uint32_t first = 0, last = 0;

	(void)state;
	assert_int_equal(cfg_parse_port_range("1024-65535", &first, &last), 0);
	assert_int_equal(first, 1024);
	assert_int_equal(last, 65535);
	assert_int_equal(cfg_parse_port_range("2048-2048", &first, &last), 0);
	assert_int_equal(first, 2048);
	assert_int_equal(cfg_parse_port_range("2000-1999", &first, &last),
			 -ERANGE);
	assert_int_equal(cfg_parse_port_range("1024-65536", &first, &last),
			 -EINVAL);
	assert_int_equal(cfg_parse_port_range("1024", &first, &last), -EINVAL);
	assert_int_equal(cfg_parse_port_range("1024 - 2048", &first, &last),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_units),
		cmocka_unit_test(test_duration_rejects),
		cmocka_unit_test(test_duration_format),
		cmocka_unit_test(test_uint_and_bool),
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_port_range),
	};

	return cmocka_run_group_tests_name("config_values", tests, NULL, NULL);
}
