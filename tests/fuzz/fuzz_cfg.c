// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_cfg.c - the YAML configuration (config/): any text loads or is
 * refused with at least one error; a loaded one dumps, and the dump loads
 * again into a configuration that dumps the same text.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cfg_errors errs;
	struct cgnat_config cfg, again;
	char *dump = NULL, *dump2 = NULL, err[512];
	size_t dlen = 0, dlen2 = 0;
	FILE *f;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	memset(&errs, 0, sizeof(errs));
	rc = cfg_load_string_all("fuzz.yaml", (const char *)data, size, &cfg,
				 &errs);
	if (rc) {
		FUZZ_ASSERT(rc == -ENOMEM || errs.n > 0);
		cfg_free(&cfg);
		return 0;
	}
	FUZZ_ASSERT(errs.n == 0);
	f = open_memstream(&dump, &dlen);
	if (f) {
		FUZZ_ASSERT(cfg_dump(f, &cfg) == 0);
		fclose(f);
		memset(&again, 0, sizeof(again));
		rc = cfg_load_string("dump.yaml", dump, dlen, &again, err,
				     sizeof(err));
		if (rc)
			fprintf(stderr, "dump does not load: %s\n%s\n", err,
				dump);
		FUZZ_ASSERT(rc == 0);
		f = open_memstream(&dump2, &dlen2);
		FUZZ_ASSERT(f && cfg_dump(f, &again) == 0);
		fclose(f);
		if (dlen != dlen2 || memcmp(dump, dump2, dlen))
			fprintf(stderr, "dump changed:\n%s\n---\n%s\n", dump,
				dump2);
		FUZZ_ASSERT(dlen == dlen2 && !memcmp(dump, dump2, dlen));
		cfg_free(&again);
		free(dump);
		free(dump2);
	}
	cfg_free(&cfg);
	return 0;
}
