// SPDX-License-Identifier: GPL-2.0
/*
 * test_config_all.c - a load reports every error it finds, as a compiler
 * does: the five independent errors of data/config/five_errors.yaml each
 * at its line:column and in file order, no follow-on errors from checks
 * across keys that read a failed key, the text before a YAML syntax error
 * still checked, the cap on kept messages, and cfg_load_file() still
 * naming the first error found.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/cfg.h"

#ifndef CFG_SRCDIR
#define CFG_SRCDIR "."
#endif
#define FIVE CFG_SRCDIR "/tests/unit/data/config/five_errors.yaml"

/* A valid file of four lines; test snippets start on line 5. */
#define BASE                                         \
	"interfaces: { inside: in0, outside: out0 }\n" \
	"subscribers: [100.64.0.0/10]\n"               \
	"pools:\n"                                     \
	"  - addresses: [203.0.113.1]\n"

static struct cgnat_config cfg;
static struct cfg_errors errs;

static void load(const char *yaml)
{
	int ret = cfg_load_string_all("c.yaml", yaml, strlen(yaml), &cfg,
				      &errs);

	assert_int_equal(ret, errs.n ? -EINVAL : 0);
}

static void expect_msgs(const char *const *want, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < errs.kept && i < n; i++)
		assert_string_equal(errs.v[i].msg, want[i]);
	assert_int_equal(errs.n, n);
	assert_int_equal(errs.kept, n);
}

static void test_five_errors_file(void **state)
{
	static const struct {
		uint32_t line, column;
		const char *msg;
	} want[] = {
		{ 10, 3, "nat: unknown key 'filtring' (did you mean 'filtering'?)" },
		{ 13, 10, "ports.range: 65535-1024 is out of order (write the lower port first, FIRST-LAST, e.g. 1024-65535)" },
		{ 17, 17, "pools[0].addresses[0]: '203.0.113.300' is not an IPv4 address or prefix (e.g. 203.0.113.0/28)" },
		{ 21, 8, "timeouts.udp: '5 minutes' is not a duration (N, Nms, Ns, Nm, Nh or Nd, e.g. 300s)" },
		{ 24, 13, "limits.sessions: 100 is out of range (1024..67108864)" },
	};
	char msg[CFG_ERR_LEN], err[CFG_ERR_LEN];
	unsigned int i;

	(void)state;
	assert_int_equal(cfg_load_file_all(FIVE, &cfg, &errs), -EINVAL);
	assert_int_equal(errs.n, 5);
	assert_int_equal(errs.kept, 5);
	for (i = 0; i < 5; i++) {
		snprintf(msg, sizeof(msg), "%s:%u:%u: %s", FIVE, want[i].line,
			 want[i].column, want[i].msg);
		assert_string_equal(errs.v[i].msg, msg);
		assert_int_equal(errs.v[i].mark.line, want[i].line);
		assert_int_equal(errs.v[i].mark.column, want[i].column);
	}
	/* The one-message API still names the first error found. */
	assert_int_equal(cfg_load_file(FIVE, &cfg, err, sizeof(err)), -EINVAL);
	snprintf(msg, sizeof(msg), "%s:10:3: %s", FIVE, want[0].msg);
	assert_string_equal(err, msg);
}

static void test_file_order(void **state)
{
	static const char *const want[] = {
		"c.yaml:1:1: missing required key 'subscribers' (e.g. subscribers: [100.64.0.0/10])",
		"c.yaml:1:1: missing required key 'pools' (e.g. pools: [ { name: default, addresses: [203.0.113.0/28] } ])",
		"c.yaml:1:13: interfaces: missing required key 'outside' (e.g. outside: eth0)",
		"c.yaml:1:23: interfaces.inside: 'eth0/1' is not an interface name (1 to 15 letters, digits, '_', '-' or '.', starting with a letter or digit)",
	};
	char err[CFG_ERR_LEN];
	const char *y = "interfaces: { inside: eth0/1 }\n";

	(void)state;
	load(y);
	/* Missing keys are found after the keys given, reported before. */
	expect_msgs(want, 4);
	assert_int_equal(cfg_load_string("c.yaml", y, strlen(y), &cfg, err,
					 sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, want[3]);
}

static void test_no_follow_on_errors(void **state)
{
	static const char *const typo[] = {
		"c.yaml:1:1: unknown key 'pool' (did you mean 'pools'?)",
	};
	static const char *const sess[] = {
		"c.yaml:5:21: limits.sessions: 100 is out of range (1024..67108864)",
		"c.yaml:6:18: timeouts.udp: 'x' is not a duration (N, Nms, Ns, Nm, Nh or Nd, e.g. 300s)",
		"c.yaml:7:40: thresholds.pool_low: pool_low 80 must be below pool_high 80",
	};
	static const char *const pool[] = {
		"c.yaml:5:17: pools[1].addresses[0]: '100.64.0.1/33' is not an IPv4 address or prefix (e.g. 203.0.113.0/28)",
		"c.yaml:6:22: ports.block_size: 8192 is out of range (64..4096)",
	};

	(void)state;
	/* A typo of a required key is not also reported missing. */
	load("pool: [ { addresses: [203.0.113.1] } ]\n"
	     "interfaces: { inside: in0, outside: out0 }\n"
	     "subscribers: [100.64.0.0/10]\n");
	expect_msgs(typo, 1);
	/* sessions_per_subscriber 8192 > sessions is not checked against a
	 * sessions that failed, nor the UDP floor against a bad udp; other
	 * checks across keys still run.
	 */
	load(BASE "limits: { sessions: 100 }\n"
	     "timeouts: { udp: x }\n"
	     "thresholds: { pool_high: 80, pool_low: 80 }\n");
	expect_msgs(sess, 3);
	/* A broken pool skips the pool plan (no second pool's subscribers,
	 * no coverage); a bad block size skips the port geometry.
	 */
	load(BASE "  - addresses: [100.64.0.1/33]\n"
	     "ports: { block_size: 8192, max_blocks: 32 }\n");
	expect_msgs(pool, 2);
}

static void test_before_syntax_error(void **state)
{
	static const char *const want[] = {
		"c.yaml:1:11: instance: 'x' is not an unsigned integer (0..4294967295)",
		"c.yaml:2:19: nat.filtering: 'full' is not valid (one of endpoint-independent, address-dependent, address-and-port-dependent, eif, adf, apdf)",
		"c.yaml:5:6: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at 4:14)",
	};
	static const char *const tab[] = {
		"c.yaml:1:11: instance: 'x' is not an unsigned integer (0..4294967295)",
		"c.yaml:3:1: YAML syntax error: found character that cannot start any token (indent with spaces, not tabs)",
	};
	static const char *const root[] = {
		"c.yaml:2:1: YAML syntax error: did not find expected <document start>",
	};
	char err[CFG_ERR_LEN];
	const char *y = "instance: x\n"
			"nat: { filtering: full }\n"
			"interfaces: { inside: in0 }\n"
			"subscribers: [100.64.0.0/10\n"
			"pools: []\n";

	(void)state;
	/* interfaces.outside, pools: maybe after the error, not reported. */
	load(y);
	expect_msgs(want, 3);
	assert_int_equal(cfg_load_string("c.yaml", y, strlen(y), &cfg, err,
					 sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, want[2]);
	/* "timeouts:" just before the broken lines is not an empty value,
	 * nor a lone scalar before a broken mapping a wrong root.
	 */
	load("instance: x\ntimeouts:\n\t- udp\n");
	expect_msgs(tab, 2);
	load("instance\n: x\n");
	expect_msgs(root, 1);
}

static void test_cap(void **state)
{
	char *y = malloc(8192), *out = NULL, last[CFG_ERR_LEN];
	size_t n = 0, outlen = 0;
	FILE *f;
	int i;

	(void)state;
	assert_non_null(y);
	n += (size_t)snprintf(y + n, 8192 - n, BASE "nat:\n");
	for (i = 0; i < 60; i++)
		n += (size_t)snprintf(y + n, 8192 - n, "  k%02d: 1\n", i);
	load(y);
	assert_int_equal(errs.n, 60);
	assert_int_equal(errs.kept, CFG_ERRORS_MAX);
	snprintf(last, sizeof(last), "c.yaml:%d:3: nat: unknown key 'k%02d'",
		 6 + CFG_ERRORS_MAX - 1, CFG_ERRORS_MAX - 1);
	assert_memory_equal(errs.v[CFG_ERRORS_MAX - 1].msg, last,
			    strlen(last));
	f = open_memstream(&out, &outlen);
	assert_non_null(f);
	cfg_errors_print(f, &errs);
	fclose(f);
	assert_non_null(strstr(out, "\n... and 10 more\n60 errors (50 shown)\n"));
	free(out);
	free(y);
	/* One error, and none. */
	load(BASE "instance: x\n");
	cfg_errors_summary(&errs, last, sizeof(last));
	assert_string_equal(last, "1 error");
	load(BASE);
	assert_int_equal(errs.n, 0);
	cfg_errors_summary(&errs, last, sizeof(last));
	assert_string_equal(last, "0 errors");
}

static void test_unreadable(void **state)
{
	(void)state;
	assert_int_equal(cfg_load_file_all(CFG_SRCDIR "/no/such.yaml", &cfg,
					   &errs),
			 -ENOENT);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.v[0].msg, CFG_SRCDIR "/no/such.yaml: cannot open: No such file or directory");
	assert_string_equal(errs.first, errs.v[0].msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_five_errors_file),
		cmocka_unit_test(test_file_order),
		cmocka_unit_test(test_no_follow_on_errors),
		cmocka_unit_test(test_before_syntax_error),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_unreadable),
	};

	return cmocka_run_group_tests_name("config_all", tests, NULL, NULL);
}
