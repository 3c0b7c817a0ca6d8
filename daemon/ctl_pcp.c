// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_pcp.c - `cgnatctl pcp`: the PCP server's counters and active
 * mappings, asked of the running cgnatd over its control socket ("pcp
 * list"): the nonces and the counters live only there.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ctl.h"

#define CTL_PCP_REPLY (4 << 20)

static void pcp_json(const char *text)
{
	char proto[8], in[64], ex[64], kind[16];
	const char *l;
	unsigned long long v;
	unsigned int left;
	char key[64];
	int first = 1;

	printf("{\"counters\": {");
	for (l = text; l && *l;
	     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (sscanf(l, "%63s %llu", key, &v) == 2 &&
		    strcmp(key, "map")) {
			printf("%s\"%s\": %llu", first ? "" : ", ", key, v);
			first = 0;
		}
	printf("}, \"mappings\": [");
	first = 1;
	for (l = text; l && *l;
	     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (sscanf(l, "map %7s %63s %63s %u %15s", proto, in, ex, &left,
			   kind) == 5) {
			printf("%s{\"proto\": \"%s\", \"internal\": \"%s\", "
			       "\"external\": \"%s\", \"lifetime_left\": %u, "
			       "\"kind\": \"%s\"}",
			       first ? "" : ", ", proto, in, ex, left, kind);
			first = 0;
		}
	printf("]}\n");
}

static void pcp_text(const char *text)
{
	char proto[8], in[64], ex[64], kind[16];
	const char *l;
	unsigned int left, n = 0;

	for (l = text; l && *l;
	     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, "map ", 4) &&
		    sscanf(l, "map %7s %63s %63s %u %15s", proto, in, ex, &left,
			   kind) == 5) {
			if (!n++)
				printf("%-5s %-21s %-21s %9s %s\n", "proto",
				       "internal", "external", "left(s)",
				       "kind");
			printf("%-5s %-21s %-21s %9u %s\n", proto, in, ex, left,
			       kind);
		}
	if (!n)
		printf("no PCP mappings\n");
	for (l = text; l && *l;
	     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, "pcp_", 4) || !strncmp(l, "more ", 5))
			printf("%.*s\n", (int)(strcspn(l, "\n")), l);
}

int cmd_pcp(struct ctl *c)
{
	char *buf = malloc(CTL_PCP_REPLY);
	int rc;

	if (!buf) {
		ctl_err("out of memory");
		return 2;
	}
	rc = ctl_ha_request(c->run_dir, "pcp list", buf, CTL_PCP_REPLY, 5000);
	if (rc) {
		ctl_err("cgnatd does not answer on %s/cgnatd.sock: %s",
			c->run_dir, strerror(-rc));
		free(buf);
		return 2;
	}
	if (!strncmp(buf, "pcp disabled", 12)) {
		ctl_err("the PCP server is off (pcp.enabled: false)");
		free(buf);
		return 1;
	}
	if (c->json)
		pcp_json(buf);
	else
		pcp_text(buf);
	free(buf);
	return 0;
}
