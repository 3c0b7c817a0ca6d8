// SPDX-License-Identifier: GPL-2.0
/*
 * cmocka tests of logger/timefmt.c: every accepted time form, every error
 * message word for word (they are the operator's interface), printing,
 * a format/parse round trip, and IPv4 / IPv4:PORT parsing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "logger/timefmt.h"

#define T_REF 1795515303000LL /* 2026-11-24T10:15:03Z */

struct ok_case {
	const char *in;
	int64_t ms;
};

struct err_case {
	const char *in;
	const char *msg;
};

static void test_parse_ok(void **state)
{
	static const struct ok_case cases[] = {
		{ "2026-11-24T10:15:03Z", T_REF },
		{ "2026-11-24T10:15:03.123Z", T_REF + 123 },
		{ "2026-11-24T10:15:03.1Z", T_REF + 100 },
		{ "2026-11-24T10:15:03.123456789Z", T_REF + 123 },
		{ "2026-11-24T10:15:03.9999Z", T_REF + 999 },
		{ "2026-11-24T11:15:03+01:00", T_REF },
		{ "2026-11-24T11:15:03.5+01:00", T_REF + 500 },
		{ "2026-11-24T05:15:03-05:00", T_REF },
		{ "2026-11-24T11:15:03+0100", T_REF },
		{ "2026-11-24T11:15:03+01", T_REF },
		{ "2026-11-24T10:15:03-00:00", T_REF },
		{ "2026-11-24 10:15:03Z", T_REF },
		{ "2026-11-24t10:15:03z", T_REF },
		{ "2026-11-24T10:15Z", T_REF - 3000 },
		{ "2024-02-29T00:00:00Z", 1709164800000LL },
		{ "2000-03-01T00:00:00Z", 951868800000LL },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1970-01-01T01:00:00+01:00", 0 },
		{ "9999-12-31T23:59:59.999Z", TIMEFMT_MAX_MS },
		{ "1795515303", T_REF },
		{ "1795515303123", T_REF + 123 },
		{ "1795515303.5", T_REF + 500 },
		{ "0", 0 },
		{ "86400", 86400000 },
		{ "@1795515303", T_REF },
		{ "@1795515303.123", T_REF + 123 },
		{ "@253402300799", 253402300799000LL },
		{ "@0", 0 },
	};
	char err[TIMEFMT_ERR_LEN];
	size_t i;
	int64_t ms;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ms = -42;
		err[0] = '\0';
		if (timefmt_parse(cases[i].in, &ms, err, sizeof(err)) != 0)
			fail_msg("%s: %s", cases[i].in, err);
		if (ms != cases[i].ms)
			fail_msg("%s: got %lld, want %lld", cases[i].in,
				 (long long)ms, (long long)cases[i].ms);
	}
}

static void test_parse_errors(void **state)
{
	static const struct err_case cases[] = {
		{ "", "empty time" },
		{ "2026-11-24T10:15:03",
		  "time '2026-11-24T10:15:03' has no time zone, which is "
		  "ambiguous; append Z for UTC or an offset such as +01:00" },
		{ "2026-11-24",
		  "time '2026-11-24' is a date without a time of day; write "
		  "e.g. 2026-11-24T00:00:00Z" },
		{ "2026-11-24T10:15:03+25:00",
		  "time '2026-11-24T10:15:03+25:00': zone offset 25:00 is out "
		  "of range" },
		{ "2026-11-24T10:15:03+01:60",
		  "time '2026-11-24T10:15:03+01:60': zone offset 01:60 is out "
		  "of range" },
		{ "2026-11-24T10:15:03+1",
		  "time '2026-11-24T10:15:03+1': bad time zone; use Z, "
		  "+HH:MM, +HHMM or +HH" },
		{ "2026-11-24T10:15:03+01:",
		  "time '2026-11-24T10:15:03+01:': bad time zone; use Z, "
		  "+HH:MM, +HHMM or +HH" },
		{ "2026-11-24T10:15:03 UTC",
		  "time '2026-11-24T10:15:03 UTC': bad time zone; use Z, "
		  "+HH:MM, +HHMM or +HH" },
		{ "2026-11-24T10:15:03Zx",
		  "time '2026-11-24T10:15:03Zx': bad time zone; use Z, "
		  "+HH:MM, +HHMM or +HH" },
		{ "2026-13-01T00:00:00Z",
		  "time '2026-13-01T00:00:00Z': month 13 is out of range" },
		{ "2026-00-01T00:00:00Z",
		  "time '2026-00-01T00:00:00Z': month 0 is out of range" },
		{ "2026-02-29T00:00:00Z",
		  "time '2026-02-29T00:00:00Z': day 29 is out of range for "
		  "2026-02" },
		{ "2026-11-00T00:00:00Z",
		  "time '2026-11-00T00:00:00Z': day 0 is out of range for "
		  "2026-11" },
		{ "2026-11-24T24:00:00Z",
		  "time '2026-11-24T24:00:00Z': hour 24 is out of range" },
		{ "2026-11-24T10:60:00Z",
		  "time '2026-11-24T10:60:00Z': minute 60 is out of range" },
		{ "2026-11-24T10:15:60Z",
		  "time '2026-11-24T10:15:60Z': second 60 is out of range "
		  "(leap seconds cannot be represented)" },
		{ "1969-12-31T23:59:59Z",
		  "time '1969-12-31T23:59:59Z' is before 1970" },
		{ "1970-01-01T00:30:00+01:00",
		  "time '1970-01-01T00:30:00+01:00' is before 1970" },
		{ "9999-12-31T23:59:59-01:00",
		  "time '9999-12-31T23:59:59-01:00': after 9999-12-31" },
		{ "2026-11-24T10:15:03.Z",
		  "time '2026-11-24T10:15:03.Z': a fraction needs 1 to 9 "
		  "digits" },
		{ "2026-11-24T10:15:03.1234567890Z",
		  "time '2026-11-24T10:15:03.1234567890Z': a fraction needs 1 "
		  "to 9 digits" },
		{ "2026-11-24T1:15:03Z",
		  "time '2026-11-24T1:15:03Z': expected YYYY-MM-DDTHH:MM:SS "
		  "with a zone, e.g. 2026-11-24T10:15:03Z" },
		{ "2026-11-24X10:15:03Z",
		  "time '2026-11-24X10:15:03Z': expected YYYY-MM-DDTHH:MM:SS "
		  "with a zone, e.g. 2026-11-24T10:15:03Z" },
		{ "2026-1-24T10:15:03Z",
		  "time '2026-1-24T10:15:03Z': expected YYYY-MM-DDTHH:MM:SS "
		  "with a zone, e.g. 2026-11-24T10:15:03Z" },
		{ "2026-11-24T10:15:3Z",
		  "time '2026-11-24T10:15:3Z': expected YYYY-MM-DDTHH:MM:SS "
		  "with a zone, e.g. 2026-11-24T10:15:03Z" },
		{ "17955153031",
		  "time '17955153031': 11 digits is neither epoch seconds (up "
		  "to 10 digits) nor epoch milliseconds (13 digits); write "
		  "@SECONDS for seconds" },
		{ "179551530312",
		  "time '179551530312': 12 digits is neither epoch seconds (up "
		  "to 10 digits) nor epoch milliseconds (13 digits); write "
		  "@SECONDS for seconds" },
		{ "17955153031234",
		  "time '17955153031234': 14 digits is neither epoch seconds "
		  "(up to 10 digits) nor epoch milliseconds (13 digits); write "
		  "@SECONDS for seconds" },
		{ "1795515303123.5",
		  "time '1795515303123.5': epoch milliseconds take no "
		  "fraction" },
		{ "1795515303.",
		  "time '1795515303.': a fraction needs 1 to 9 digits" },
		{ "1795515303s",
		  "time '1795515303s' not understood; use "
		  "2026-11-24T10:15:03Z, an offset such as +01:00, epoch "
		  "seconds (1764000000), epoch milliseconds (1764000000123) or "
		  "@SECONDS" },
		{ "@", "time '@': expected seconds after @" },
		{ "@-5", "time '@-5': expected seconds after @" },
		{ "@1795515303x",
		  "time '@1795515303x': unexpected 'x' at position 12" },
		{ "@1795515303.5.5",
		  "time '@1795515303.5.5': unexpected '.' at position 14" },
		{ "@2534023008000", "time '@2534023008000': after 9999-12-31" },
		{ "@253402300800", "time '@253402300800': after 9999-12-31" },
		{ "yesterday",
		  "time 'yesterday' not understood; use 2026-11-24T10:15:03Z, "
		  "an offset such as +01:00, epoch seconds (1764000000), epoch "
		  "milliseconds (1764000000123) or @SECONDS" },
		{ "10:15:03Z",
		  "time '10:15:03Z' not understood; use 2026-11-24T10:15:03Z, "
		  "an offset such as +01:00, epoch seconds (1764000000), epoch "
		  "milliseconds (1764000000123) or @SECONDS" },
	};
	char err[TIMEFMT_ERR_LEN];
	int64_t ms = 7;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		if (timefmt_parse(cases[i].in, &ms, err, sizeof(err)) !=
		    -EINVAL)
			fail_msg("%s: accepted as %lld", cases[i].in,
				 (long long)ms);
		if (strcmp(err, cases[i].msg) != 0)
			fail_msg("%s:\n got  '%s'\n want '%s'", cases[i].in,
				 err, cases[i].msg);
	}
	assert_int_equal(ms, 7); /* never written on failure */
	assert_int_equal(timefmt_parse(NULL, &ms, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "empty time");
	/* No room for a message is fine. */
	assert_int_equal(timefmt_parse("x", &ms, NULL, 0), -EINVAL);
}

static void test_parse_long_input_is_cut(void **state)
{
	char in[300], err[TIMEFMT_ERR_LEN];
	int64_t ms;

	(void)state;
	memset(in, 'y', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	assert_int_equal(timefmt_parse(in, &ms, err, sizeof(err)), -EINVAL);
	assert_true(strlen(err) < TIMEFMT_ERR_LEN - 1);
	assert_non_null(strstr(err, "' not understood"));
}

static void test_format(void **state)
{
	char buf[TIMEFMT_LEN];

	(void)state;
	assert_int_equal(timefmt_format(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
	assert_int_equal(timefmt_format(T_REF + 123, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2026-11-24T10:15:03.123Z");
	assert_int_equal(timefmt_format(1709164800000LL + 43200007, buf,
					sizeof(buf)),
			 0);
	assert_string_equal(buf, "2024-02-29T12:00:00.007Z");
	assert_int_equal(timefmt_format(TIMEFMT_MAX_MS, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "9999-12-31T23:59:59.999Z");
	assert_int_equal(timefmt_format(-1, buf, sizeof(buf)), -EINVAL);
	assert_string_equal(buf, "-");
	assert_int_equal(timefmt_format(TIMEFMT_MAX_MS + 1, buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(timefmt_format(0, buf, TIMEFMT_LEN - 1), -ENOSPC);
	assert_string_equal(buf, "-");
}

/* Every printed time parses back to itself. */
static void test_round_trip(void **state)
{
	char buf[TIMEFMT_LEN], err[TIMEFMT_ERR_LEN];
	uint64_t x = 0x2545f4914f6cdd1dULL;
	int64_t ms, back;
	int i;

	(void)state;
	for (i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		ms = (int64_t)(x % (uint64_t)(TIMEFMT_MAX_MS + 1));
		assert_int_equal(timefmt_format(ms, buf, sizeof(buf)), 0);
		if (timefmt_parse(buf, &back, err, sizeof(err)) || back != ms)
			fail_msg("%lld -> %s -> %lld (%s)", (long long)ms, buf,
				 (long long)back, err);
	}
}

static void test_addr(void **state)
{
	static const struct err_case bad[] = {
		{ "", "empty address" },
		{ "203.0.113",
		  "address '203.0.113': expected a dotted-quad IPv4 address "
		  "such as 203.0.113.7" },
		{ "203.0.113.7.1",
		  "address '203.0.113.7.1': expected a dotted-quad IPv4 "
		  "address such as 203.0.113.7" },
		{ "203.0.113.7 ",
		  "address '203.0.113.7 ': expected a dotted-quad IPv4 address "
		  "such as 203.0.113.7" },
		{ "203..113.7",
		  "address '203..113.7': expected a dotted-quad IPv4 address "
		  "such as 203.0.113.7" },
		{ "2030.0.113.7",
		  "address '2030.0.113.7': expected a dotted-quad IPv4 address "
		  "such as 203.0.113.7" },
		{ "example.net",
		  "address 'example.net': expected a dotted-quad IPv4 address "
		  "such as 203.0.113.7" },
		{ "203.0.113.256",
		  "address '203.0.113.256': octet 256 is above 255" },
		{ "203.0.113.07",
		  "address '203.0.113.07': octet '07' has a leading zero" },
	};
	char err[TIMEFMT_ERR_LEN], buf[TIMEFMT_ADDR_LEN];
	uint32_t a = 1;
	size_t i;

	(void)state;
	assert_int_equal(
		timefmt_parse_addr("203.0.113.7", &a, err, sizeof(err)), 0);
	assert_int_equal(a, 0xcb007107U);
	assert_int_equal(timefmt_parse_addr("0.0.0.0", &a, err, sizeof(err)),
			 0);
	assert_int_equal(a, 0);
	assert_int_equal(
		timefmt_parse_addr("255.255.255.255", &a, err, sizeof(err)), 0);
	assert_int_equal(a, 0xffffffffU);
	timefmt_format_addr(0x6440000aU, buf, sizeof(buf));
	assert_string_equal(buf, "100.64.0.10");
	timefmt_format_addr(0xffffffffU, buf, sizeof(buf));
	assert_string_equal(buf, "255.255.255.255");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(timefmt_parse_addr(bad[i].in, &a, err,
						    sizeof(err)),
				 -EINVAL);
		if (strcmp(err, bad[i].msg) != 0)
			fail_msg("%s:\n got  '%s'\n want '%s'", bad[i].in, err,
				 bad[i].msg);
	}
}

static void test_endpoint(void **state)
{
	static const struct err_case bad[] = {
		{ "", "empty endpoint" },
		{ "203.0.113.7",
		  "endpoint '203.0.113.7': expected IP:PORT such as "
		  "203.0.113.7:40123" },
		{ "203.0.113.7:",
		  "endpoint '203.0.113.7:': port is not a number" },
		{ "203.0.113.7:http",
		  "endpoint '203.0.113.7:http': port is not a number" },
		{ "203.0.113.7:80x",
		  "endpoint '203.0.113.7:80x': port is not a number" },
		{ "203.0.113.7:0",
		  "endpoint '203.0.113.7:0': port must be 1 to 65535" },
		{ "203.0.113.7:65536",
		  "endpoint '203.0.113.7:65536': port must be 1 to 65535" },
		{ "203.0.113.7:99999999999999999999999",
		  "endpoint '203.0.113.7:99999999999999999999999': port must "
		  "be 1 to 65535" },
		{ "[2001:db8::1]:80",
		  "endpoint '[2001:db8::1]:80': IPv6 is not supported; "
		  "expected IPv4:PORT" },
		{ "2001:db8::1",
		  "endpoint '2001:db8::1': IPv6 is not supported; expected "
		  "IPv4:PORT" },
		{ "203.0.113.256:80",
		  "address '203.0.113.256': octet 256 is above 255" },
		{ ":80", "endpoint ':80': address is missing" },
		{ "cgnat.example.net:80",
		  "address 'cgnat.example.net': expected a dotted-quad IPv4 "
		  "address such as 203.0.113.7" },
	};
	char err[TIMEFMT_ERR_LEN];
	uint32_t a = 0;
	uint16_t p = 0;
	size_t i;

	(void)state;
	assert_int_equal(timefmt_parse_endpoint("203.0.113.7:40123", &a, &p,
						err, sizeof(err)),
			 0);
	assert_int_equal(a, 0xcb007107U);
	assert_int_equal(p, 40123);
	assert_int_equal(timefmt_parse_endpoint("203.0.113.7:65535", &a, &p,
						err, sizeof(err)),
			 0);
	assert_int_equal(p, 65535);
	assert_int_equal(timefmt_parse_endpoint("203.0.113.7:1", &a, &p, err,
						sizeof(err)),
			 0);
	assert_int_equal(p, 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(timefmt_parse_endpoint(bad[i].in, &a, &p, err,
							sizeof(err)),
				 -EINVAL);
		if (strcmp(err, bad[i].msg) != 0)
			fail_msg("%s:\n got  '%s'\n want '%s'", bad[i].in, err,
				 bad[i].msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_long_input_is_cut),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_endpoint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
