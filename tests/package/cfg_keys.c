// SPDX-License-Identifier: GPL-2.0
/*
 * cfg_keys - prints every key the configuration parser accepts, from its
 * own tables (config/cfg_schema.c), one dotted path a line ("pools[].mode",
 * "ipfix.collectors[].port"), then each enumerated value as
 * "PATH=VALUE". tests/package/man.sh checks that cgnat.yaml(5) names
 * them all, so a key added without documentation fails there.
 */
#include <stdio.h>

#include "config/cfg_internal.h"

static void walk(const struct cfg_key *keys, const char *prefix, int values)
{
	const struct cfg_key *k;
	const struct cfg_enum_name *e;
	char path[256];

	for (k = keys; k->name; k++) {
		snprintf(path, sizeof(path), "%s%s", prefix, k->name);
		if (!values)
			printf("%s\n", path);
		if (values && k->names) {
			for (e = k->names; e->name; e++)
				printf("%s=%s\n", path, e->name);
		}
		if (k->sub) {
			char sub[260];

			snprintf(sub, sizeof(sub), "%s.", path);
			walk(k->sub, sub, values);
		}
		if (k->items) {
			char sub[260];

			snprintf(sub, sizeof(sub), "%s[].", path);
			walk(k->items, sub, values);
		}
	}
}

int main(void)
{
	walk(cfg_root_keys, "", 0);
	walk(cfg_root_keys, "", 1);
	return 0;
}
