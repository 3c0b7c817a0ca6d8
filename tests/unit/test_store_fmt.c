// SPDX-License-Identifier: GPL-2.0
/*
 * cmocka tests of logger/lookup_fmt.c, the text and JSON that cgnatctl
 * prints for lookups and history: found, not found, windows, held and
 * released blocks, an inconsistent double match, JSON escaping, and
 * truncation reported as -ENOSPC. Pure: no database involved.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "logger/lookup_fmt.h"

#define T_AT 1795515303000LL /* 2026-11-24T10:15:03Z */
#define T_ASSIGN 1795510800000LL /* 2026-11-24T09:00:00Z */

static struct store_block held(void)
{
	struct store_block b = {
		.id = 42,
		.instance = 1,
		.pool_id = 3,
		.pool = "default",
		.sub_addr = 0x6440000aU,
		.ext_addr = 0xcb007107U,
		.port_first = 40192,
		.port_last = 40447,
		.assigned_ms = T_ASSIGN,
		.released_ms = STORE_MS_NONE,
	};
	return b;
}

static const struct lookup_query q_at = { .ext_addr = 0xcb007107U,
					  .port = 40123,
					  .from_ms = T_AT,
					  .to_ms = T_AT };

static void test_text(void **state)
{
	struct store_block b = held();
	struct lookup_query q = q_at;
	char buf[LOOKUP_FMT_LINE_LEN];

	(void)state;
	assert_int_equal(lookup_fmt_text(&q, &b, buf, sizeof(buf)), 0);
	assert_string_equal(buf,
			    "203.0.113.7:40123 at 2026-11-24T10:15:03.000Z -> "
			    "subscriber 100.64.0.10 (block "
			    "203.0.113.7:40192-40447, assigned "
			    "2026-11-24T09:00:00.000Z, released -)");
	b.released_ms = T_AT + 1;
	b.release_reason = STORE_REL_IDLE;
	assert_int_equal(lookup_fmt_text(&q, &b, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "released 2026-11-24T10:15:03.001Z)"));

	assert_int_equal(lookup_fmt_text(&q, NULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf,
			    "203.0.113.7:40123 at 2026-11-24T10:15:03.000Z -> "
			    "no subscriber held this port");
	q.to_ms = T_AT + 3600000;
	assert_int_equal(lookup_fmt_text(&q, NULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf,
			    "203.0.113.7:40123 from 2026-11-24T10:15:03.000Z "
			    "to 2026-11-24T11:15:03.000Z -> no subscriber held "
			    "this port");
}

static void test_json_one(void **state)
{
	struct store_block b = held();
	char buf[2 * LOOKUP_FMT_JSON_LEN];

	(void)state;
	assert_int_equal(lookup_fmt_json(&q_at, &b, 1, buf, sizeof(buf)), 0);
	assert_string_equal(
		buf,
		"{\"query\":{\"address\":\"203.0.113.7\",\"port\":40123,"
		"\"at\":\"2026-11-24T10:15:03.000Z\",\"at_ms\":1795515303000},"
		"\"found\":true,\"matches\":[{\"id\":42,"
		"\"subscriber\":\"100.64.0.10\",\"external\":\"203.0.113.7\","
		"\"port_first\":40192,\"port_last\":40447,"
		"\"assigned\":\"2026-11-24T09:00:00.000Z\","
		"\"assigned_ms\":1795510800000,\"released\":null,"
		"\"released_ms\":null,\"release_reason\":null,\"instance\":1,"
		"\"pool_id\":3,\"pool\":\"default\"}]}");
}

static void test_json_none_and_window(void **state)
{
	struct lookup_query q = q_at;
	char buf[LOOKUP_FMT_JSON_LEN];

	(void)state;
	assert_int_equal(lookup_fmt_json(&q, NULL, 0, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "\"found\":false,\"matches\":[]}"));
	q.to_ms = T_AT + 1000;
	assert_int_equal(lookup_fmt_json(&q, NULL, 0, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "\"from\":\"2026-11-24T10:15:03.000Z\","
				    "\"from_ms\":1795515303000,"
				    "\"to\":\"2026-11-24T10:15:04.000Z\","
				    "\"to_ms\":1795515304000}"));
	assert_null(strstr(buf, "\"at\""));
}

/* Two holdings at one instant: both listed and flagged; a window with
 * two holdings is normal and not flagged. */
static void test_json_two_matches(void **state)
{
	struct store_block b[2] = { held(), held() };
	struct lookup_query q = q_at;
	char buf[3 * LOOKUP_FMT_JSON_LEN];

	(void)state;
	b[1].id = 43;
	b[1].sub_addr = 0x6440000bU;
	b[0].released_ms = T_AT + 5;
	b[0].release_reason = STORE_REL_RECONCILE;
	assert_int_equal(lookup_fmt_json(&q, b, 2, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "\"release_reason\":\"reconcile\""));
	assert_non_null(strstr(buf, "\"subscriber\":\"100.64.0.11\""));
	assert_non_null(strstr(buf,
			       "],\"error\":\"2 holdings match one instant; "
			       "the log is inconsistent\"}"));
	q.to_ms = T_AT + 10;
	assert_int_equal(lookup_fmt_json(&q, b, 2, buf, sizeof(buf)), 0);
	assert_null(strstr(buf, "\"error\""));
}

/* Deterministic answers: the layout named instead of a block, the
 * quarantine after a change, both owners without the inconsistency
 * error, and "unknown" when no layout covers the time.
 */
static void test_deterministic(void **state)
{
	struct store_block b[2] = { held(), held() };
	struct lookup_query q = q_at;
	char buf[3 * LOOKUP_FMT_JSON_LEN];

	(void)state;
	b[0].id = b[1].id = 0;
	b[0].det_version = 1;
	b[0].released_ms = T_AT - 1000;
	b[0].det_until_ms = T_AT + 119000;
	b[0].release_reason = STORE_REL_LAYOUT;
	b[1].det_version = 2;
	b[1].sub_addr = 0x6440000bU;
	b[1].assigned_ms = T_AT - 1000;
	b[1].det_until_ms = STORE_MS_NONE;
	assert_int_equal(lookup_fmt_text(&q, &b[0], buf, LOOKUP_FMT_LINE_LEN),
			 0);
	assert_string_equal(buf,
			    "203.0.113.7:40123 at 2026-11-24T10:15:03.000Z -> "
			    "subscriber 100.64.0.10 (deterministic layout v1 "
			    "of pool default 203.0.113.7:40192-40447, in force "
			    "from 2026-11-24T09:00:00.000Z until "
			    "2026-11-24T10:15:02.000Z, then in quarantine "
			    "until 2026-11-24T10:17:02.000Z)");
	assert_int_equal(lookup_fmt_text(&q, &b[1], buf, LOOKUP_FMT_LINE_LEN),
			 0);
	assert_non_null(strstr(buf, "(deterministic layout v2 of pool "
				    "default 203.0.113.7:40192-40447, in "
				    "force from 2026-11-24T10:15:02.000Z "
				    "until -)"));
	assert_int_equal(lookup_fmt_json(&q, b, 2, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "\"release_reason\":\"layout-change\","));
	assert_non_null(strstr(buf, "\"source\":\"deterministic\","
				    "\"layout_version\":2,"
				    "\"quarantine_until\":null"));
	assert_non_null(strstr(buf, "\"note\":"));
	assert_null(strstr(buf, "\"error\""));
	q.unknown = 1;
	assert_int_equal(lookup_fmt_text(&q, NULL, buf, LOOKUP_FMT_LINE_LEN),
			 0);
	assert_non_null(strstr(buf, "-> unknown: no deterministic layout"));
	assert_int_equal(lookup_fmt_json(&q, NULL, 0, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "\"found\":false,\"unknown\":true,"
				    "\"matches\":[]"));
}

static void test_json_escape(void **state)
{
	struct store_block b = held();
	char buf[LOOKUP_FMT_JSON_LEN];

	(void)state;
	strcpy(b.pool, "a\"b\\c\nd");
	assert_int_equal(lookup_fmt_block_json(&b, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "\"pool\":\"a\\\"b\\\\c\\u000ad\"}"));
}

static void test_history_text(void **state)
{
	struct store_block b = held();
	char buf[LOOKUP_FMT_LINE_LEN];

	(void)state;
	assert_int_equal(lookup_fmt_history_text(&b, buf, sizeof(buf)), 0);
	assert_string_equal(buf,
			    "2026-11-24T09:00:00.000Z - 100.64.0.10 "
			    "203.0.113.7:40192-40447 pool default released -");
	b.released_ms = T_AT;
	b.release_reason = STORE_REL_LIFETIME;
	b.pool[0] = '\0';
	assert_int_equal(lookup_fmt_history_text(&b, buf, sizeof(buf)), 0);
	assert_string_equal(buf,
			    "2026-11-24T09:00:00.000Z 2026-11-24T10:15:03.000Z "
			    "100.64.0.10 203.0.113.7:40192-40447 pool - "
			    "released lifetime");
}

static void test_truncation(void **state)
{
	struct store_block b = held();
	char buf[40];

	(void)state;
	assert_int_equal(lookup_fmt_text(&q_at, &b, buf, sizeof(buf)), -ENOSPC);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_int_equal(lookup_fmt_json(&q_at, &b, 1, buf, sizeof(buf)),
			 -ENOSPC);
	assert_int_equal(lookup_fmt_block_json(&b, buf, sizeof(buf)), -ENOSPC);
	assert_int_equal(lookup_fmt_history_text(&b, buf, sizeof(buf)),
			 -ENOSPC);
	assert_int_equal(lookup_fmt_text(&q_at, &b, buf, 0), -ENOSPC);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(store_reason_name(STORE_REL_IDLE), "idle");
	assert_string_equal(store_reason_name(STORE_REL_SHUTDOWN), "shutdown");
	assert_string_equal(store_reason_name(STORE_REL_NONE), "-");
	assert_string_equal(store_reason_name(99), "unknown");
	assert_string_equal(store_reason_name(-1), "unknown");
	assert_string_equal(store_event_name(STORE_EVT_QUOTA),
			    "quota-exceeded");
	assert_string_equal(store_event_name(STORE_EVT_INTERIM), "interim");
	assert_string_equal(store_event_name(0), "unknown");
	assert_string_equal(store_event_name(STORE_EVT_HA_TAKEOVER),
			    "ha-takeover");
	assert_string_equal(store_event_name(99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json_one),
		cmocka_unit_test(test_json_none_and_window),
		cmocka_unit_test(test_json_two_matches),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_history_text),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
