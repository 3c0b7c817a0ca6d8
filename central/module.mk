# SPDX-License-Identifier: GPL-2.0
# central/: the fleet log in PostgreSQL (log.central): libpq helpers, the
# schema/pg migrations, the central lookups (cgnatctl) and the shipper
# thread (cgnatd). Linked with $(PKG_LIBS) (-lpq).

CENTRAL_QUERY_OBJS := $(addprefix $(BUILD)/central/, pgc.o central_schema.o \
	central_query.o central_det.o)
SHIP_BATCH_OBJS := $(BUILD)/central/ship_batch.o
CENTRAL_OBJS := $(CENTRAL_QUERY_OBJS) $(SHIP_BATCH_OBJS) \
	$(BUILD)/central/ship.o

$(BUILD)/central/central_schema.o: $(BUILD)/schema/pg_migrations.h

# cmocka: COPY text of a batch, where to read next, the backoff (pure).
$(BUILD)/tests/test_ship: $(BUILD)/tests/unit/test_ship.o $(SHIP_BATCH_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(CMOCKA_LIBS)
UNIT_TESTS += $(BUILD)/tests/test_ship
