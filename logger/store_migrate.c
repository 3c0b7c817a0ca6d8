// SPDX-License-Identifier: GPL-2.0
/*
 * Forward-only schema migrations. The database records its version in
 * meta.schema_version (no meta table means version 0: a new, empty file).
 * Opening read-write applies the embedded schema/NNN_*.sql files above that
 * version in order, all inside one BEGIN IMMEDIATE transaction together
 * with the new version number, so a crash or a failing file leaves the
 * database exactly as it was, and two daemons cannot migrate at once.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "logger/store_internal.h"

int store_read_version(sqlite3 *db, int *version)
{
	sqlite3_stmt *s;
	int rc;

	*version = 0;
	rc = sqlite3_prepare_v2(db,
				"SELECT count(*) FROM sqlite_master WHERE "
				"type = 'table' AND name = 'meta'",
				-1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_int(s, 0) == 0)
		rc = SQLITE_DONE; /* no meta table: version 0 */
	else if (rc == SQLITE_ROW)
		rc = SQLITE_OK;
	sqlite3_finalize(s);
	if (rc != SQLITE_OK)
		return rc == SQLITE_DONE ? SQLITE_OK : rc;

	rc = sqlite3_prepare_v2(db,
				"SELECT value FROM meta WHERE key = "
				"'schema_version'",
				-1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Format the reason, roll back, and return @ret. */
static int migrate_fail(sqlite3 *db, int ret, char *err, size_t len,
			const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int migrate_fail(sqlite3 *db, int ret, char *err, size_t len,
			const char *fmt, ...)
{
	va_list ap;

	if (len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

static int migrate_check_list(const struct schema_migration *m, size_t n,
			      char *err, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (m[i].version == (int)i + 1 && m[i].sql)
			continue;
		if (len)
			snprintf(err, len,
				 "migration %s is numbered %d, expected %zu",
				 m[i].name, m[i].version, i + 1);
		return -EINVAL;
	}
	return 0;
}

static int migrate_set_version(sqlite3 *db, int version)
{
	sqlite3_stmt *s;
	int rc;

	rc = sqlite3_prepare_v2(db,
				"INSERT INTO meta (key, value) VALUES "
				"('schema_version', ?1) ON CONFLICT (key) "
				"DO UPDATE SET value = excluded.value",
				-1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int(s, 1, version);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int store_migrate(sqlite3 *db, const struct schema_migration *migrations,
		  size_t n, int *version, char *err, size_t len)
{
	int have, rc, ret;
	size_t i;

	ret = migrate_check_list(migrations, n, err, len);
	if (ret < 0)
		return ret;
	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = store_read_version(db, &have);
	if (rc != SQLITE_OK)
		return migrate_fail(db, store_sqlite_errno(db, rc), err, len,
				    "read schema version: %s",
				    sqlite3_errmsg(db));
	if (have < 0 || (size_t)have > n)
		return migrate_fail(db, -EPROTO, err, len,
				    "schema version %d is newer than this "
				    "build's %zu; refusing to use it",
				    have, n);
	for (i = (size_t)have; i < n; i++) {
		rc = sqlite3_exec(db, migrations[i].sql, NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			return migrate_fail(db, store_sqlite_errno(db, rc), err,
					    len, "migration %s: %s",
					    migrations[i].name,
					    sqlite3_errmsg(db));
	}
	rc = (size_t)have < n ? migrate_set_version(db, (int)n) : SQLITE_OK;
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return migrate_fail(db, store_sqlite_errno(db, rc), err, len,
				    "record schema version %zu: %s", n,
				    sqlite3_errmsg(db));
	*version = (int)n;
	return 0;
}
