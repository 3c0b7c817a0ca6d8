// SPDX-License-Identifier: GPL-2.0
/*
 * central_schema.c - versioned migrations of the PostgreSQL fleet log,
 * like the SQLite ones (logger/store_migrate.c): the files of schema/pg/
 * are embedded, cgnat.schema_migrations records what ran, and a
 * migration runs in one transaction under an advisory lock, so two
 * operators cannot migrate at once and a failing file changes nothing.
 * cgnatd never migrates: a database without this build's schema is a
 * clear error naming the command that fixes it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "central/central.h"
#include "schema/pg_migrations.h"

int central_schema_version(struct pgc *p, int *version)
{
	PGresult *r;

	*version = 0;
	r = pgc_exec(p,
		     "SELECT CASE WHEN to_regclass('cgnat.schema_migrations') "
		     "IS NULL THEN -1 END",
		     0, NULL, PGRES_TUPLES_OK);
	if (!r)
		return -1;
	if (PQgetisnull(r, 0, 0)) {
		PQclear(r);
		r = pgc_exec(p,
			     "SELECT coalesce(max(version), 0) FROM "
			     "cgnat.schema_migrations",
			     0, NULL, PGRES_TUPLES_OK);
		if (!r)
			return -1;
		*version = atoi(PQgetvalue(r, 0, 0));
	}
	PQclear(r);
	return 0;
}

int central_schema_check(struct pgc *p)
{
	int v;

	if (central_schema_version(p, &v))
		return -1;
	if (v == PG_SCHEMA_VERSION)
		return 0;
	if (v > PG_SCHEMA_VERSION)
		snprintf(p->err, sizeof(p->err),
			 "central schema is version %d, newer than this "
			 "build's %d: upgrade cgnat on this node",
			 v, PG_SCHEMA_VERSION);
	else
		snprintf(p->err, sizeof(p->err),
			 "central database %s schema (version %d, this build "
			 "needs %d): run `cgnatctl central-migrate --central "
			 "URL` once",
			 v ? "has an old" : "has no cgnat", v,
			 PG_SCHEMA_VERSION);
	return -1;
}

int central_migrate(struct pgc *p, int *from, int *to)
{
	const struct schema_migration *m = pg_schema_migrations;
	char ver[16], err[256];
	const char *vals[2];
	PGresult *r;
	int v, i;

	*from = *to = 0;
	if (pgc_cmd(p,
		    "SET client_min_messages = warning; BEGIN; "
		    "SELECT pg_advisory_xact_lock(hashtext("
		    "'cgnat.migrate')); CREATE SCHEMA IF NOT EXISTS cgnat; "
		    "CREATE TABLE IF NOT EXISTS cgnat.schema_migrations ("
		    "version integer PRIMARY KEY, name text NOT NULL, "
		    "applied_at timestamptz NOT NULL DEFAULT now())",
		    -1, NULL))
		return -1;
	r = pgc_exec(p,
		     "SELECT coalesce(max(version), 0) FROM "
		     "cgnat.schema_migrations",
		     0, NULL, PGRES_TUPLES_OK);
	if (!r)
		goto fail;
	v = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	*from = *to = v;
	if (v > PG_SCHEMA_VERSION) {
		snprintf(p->err, sizeof(p->err),
			 "central schema is version %d, newer than this "
			 "build's %d: refusing to touch it",
			 v, PG_SCHEMA_VERSION);
		goto fail;
	}
	for (i = v; i < PG_SCHEMA_VERSION; i++) {
		if (pgc_cmd(p, m[i].sql, -1, NULL)) {
			snprintf(err, sizeof(err), "%s", p->err);
			snprintf(p->err, sizeof(p->err),
				 "migration %.30s: %.200s", m[i].name, err);
			goto fail;
		}
		snprintf(ver, sizeof(ver), "%d", m[i].version);
		vals[0] = ver;
		vals[1] = m[i].name;
		if (pgc_cmd(p,
			    "INSERT INTO cgnat.schema_migrations (version, "
			    "name) VALUES ($1, $2)",
			    2, vals))
			goto fail;
	}
	if (pgc_cmd(p, "COMMIT", -1, NULL))
		return -1;
	*to = PG_SCHEMA_VERSION;
	return 0;
fail:
	snprintf(err, sizeof(err), "%s", p->err);
	if (p->conn)
		pgc_cmd(p, "ROLLBACK", -1, NULL);
	snprintf(p->err, sizeof(p->err), "%s", err);
	return -1;
}
