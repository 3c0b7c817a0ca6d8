# SPDX-License-Identifier: GPL-2.0
# schema/: the SQL files are embedded at build time into
# $(BUILD)/schema/migrations.h (see schema/schema.h); nothing generated is
# committed. logger/ depends on the header by its literal path because this
# fragment is included after logger/module.mk.

SCHEMA_SQL := $(sort $(wildcard schema/[0-9][0-9][0-9]_*.sql))
SCHEMA_HDR := $(BUILD)/schema/migrations.h

$(SCHEMA_HDR): $(SCHEMA_SQL) schema/embed.sh
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)sh schema/embed.sh $@ $(SCHEMA_SQL)

# schema/pg/: the PostgreSQL fleet log (central/), the same way.
PG_SCHEMA_SQL := $(sort $(wildcard schema/pg/[0-9][0-9][0-9]_*.sql))
PG_SCHEMA_HDR := $(BUILD)/schema/pg_migrations.h

$(PG_SCHEMA_HDR): $(PG_SCHEMA_SQL) schema/embed.sh
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)sh schema/embed.sh -n pg_schema $@ $(PG_SCHEMA_SQL)
