// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_central.c - cgnatctl and the fleet log in PostgreSQL: the
 * connection for lookup/history --central, and central-migrate, which
 * creates or upgrades the schema (cgnatd never does: it says to run
 * this).
 */
#include <stdio.h>
#include <stdlib.h>

#include "central/central.h"
#include "daemon/ctl.h"

struct pgc *ctl_central(struct ctl *c)
{
	struct pgc *p = calloc(1, sizeof(*p));

	if (!p) {
		ctl_err("out of memory");
		return NULL;
	}
	p->stop_fd = -1;
	p->timeout_ms = 60000;
	if (pgc_connect(p, c->central) || central_schema_check(p)) {
		ctl_err("central log: %s", p->err);
		ctl_central_close(p);
		return NULL;
	}
	return p;
}

void ctl_central_close(struct pgc *p)
{
	if (!p)
		return;
	pgc_close(p);
	free(p);
}

int cmd_central_migrate(struct ctl *c)
{
	struct pgc p = {.stop_fd = -1, .timeout_ms = 600000};
	int from, to;

	if (!c->central) {
		ctl_err("central-migrate: give --central URL (or --fleet)");
		return 2;
	}
	if (pgc_connect(&p, c->central) || central_migrate(&p, &from, &to)) {
		ctl_err("central-migrate: %s", p.err);
		pgc_close(&p);
		return 2;
	}
	pgc_close(&p);
	if (from == to)
		printf("central schema is at version %d; nothing to do\n", to);
	else
		printf("central schema migrated from version %d to %d\n", from,
		       to);
	return 0;
}
