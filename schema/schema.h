/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shape of one embedded schema migration. schema/embed.sh turns every
 * schema/NNN_name.sql into an entry of schema_migrations[] in the generated
 * $(BUILD)/schema/migrations.h, in ascending NNN order with no gaps, so
 * version N of the database is what running entries 1..N in order builds.
 * Migrations only move forward; a released schema file is never edited,
 * a change is a new NNN file.
 */
#ifndef CGNAT_SCHEMA_H
#define CGNAT_SCHEMA_H

struct schema_migration {
	int version; /* NNN of the file, 1-based, contiguous */
	const char *name; /* file name without .sql, for error messages */
	const char *sql; /* statements run inside the migration transaction */
};

#endif /* CGNAT_SCHEMA_H */
