/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_config_util.h - shared by the configuration tests: load a YAML
 * snippet and expect either the exact error message or success.
 */
#ifndef CGNAT_TEST_CONFIG_UTIL_H
#define CGNAT_TEST_CONFIG_UTIL_H

#include "config/cfg.h"

static struct cgnat_config cfg;

static void expect_err(const char *yaml, const char *want)
{
	char err[512] = "";

	assert_int_equal(cfg_load_string("cgnat.yaml", yaml, strlen(yaml),
					 &cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, want);
}

static void expect_ok(const char *yaml)
{
	char err[512] = "";
	int ret;

	ret = cfg_load_string("cgnat.yaml", yaml, strlen(yaml), &cfg, err,
			      sizeof(err));
	if (ret)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(ret, 0);
	assert_string_equal(err, "");
}

#endif /* CGNAT_TEST_CONFIG_UTIL_H */
