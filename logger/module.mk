# SPDX-License-Identifier: GPL-2.0
# logger/: the SQLite compliance log store, time/address parsing and the
# lookup formatter, with their unit tests and benchmark. STORE_OBJS is what
# cgnatd and cgnatctl link (with $(PKG_LIBS) for -lsqlite3); the pure
# modules also exist on their own for programs that need no SQLite.

TIMEFMT_OBJS := $(BUILD)/logger/timefmt.o
LOOKUP_FMT_OBJS := $(BUILD)/logger/lookup_fmt.o $(BUILD)/logger/store_names.o \
	$(TIMEFMT_OBJS)
STORE_OBJS := $(BUILD)/logger/store.o $(BUILD)/logger/store_write.o \
	$(BUILD)/logger/store_sql.o $(BUILD)/logger/store_sync.o \
	$(BUILD)/logger/store_held.o $(BUILD)/logger/store_sess.o \
	$(BUILD)/logger/store_query.o $(BUILD)/logger/store_migrate.o \
	$(BUILD)/logger/store_ship.o $(BUILD)/logger/store_det.o \
	$(LOOKUP_FMT_OBJS)

# The migrations are compiled in; the literal path because schema/module.mk
# is included after this file.
$(BUILD)/logger/store.o $(BUILD)/tests/unit/test_store_migrate.o \
	$(BUILD)/tests/unit/test_store_time.o: \
	$(BUILD)/schema/migrations.h

$(BUILD)/tests/test_store: $(BUILD)/tests/unit/test_store.o $(STORE_OBJS)
$(BUILD)/tests/test_store_migrate: $(BUILD)/tests/unit/test_store_migrate.o \
	$(STORE_OBJS)
$(BUILD)/tests/test_store_direct: $(BUILD)/tests/unit/test_store_direct.o \
	$(STORE_OBJS)
$(BUILD)/tests/test_store_sess: $(BUILD)/tests/unit/test_store_sess.o \
	$(STORE_OBJS)
$(BUILD)/tests/test_store_time: $(BUILD)/tests/unit/test_store_time.o \
	$(STORE_OBJS)
$(BUILD)/tests/test_store_ship: $(BUILD)/tests/unit/test_store_ship.o \
	$(STORE_OBJS)
$(BUILD)/tests/test_store_fmt: $(BUILD)/tests/unit/test_store_fmt.o \
	$(LOOKUP_FMT_OBJS)
$(BUILD)/tests/test_timefmt: $(BUILD)/tests/unit/test_timefmt.o $(TIMEFMT_OBJS)

STORE_TESTS := $(BUILD)/tests/test_store $(BUILD)/tests/test_store_migrate \
	$(BUILD)/tests/test_store_sess $(BUILD)/tests/test_store_ship \
	$(BUILD)/tests/test_store_direct $(BUILD)/tests/test_store_time \
	$(BUILD)/tests/test_store_fmt $(BUILD)/tests/test_timefmt

$(STORE_TESTS):
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS) $(CMOCKA_LIBS)

UNIT_TESTS += $(STORE_TESTS)

$(BUILD)/bin/bench_store: $(BUILD)/tests/bench/bench_store.o $(STORE_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS)

TEST_BINS += $(BUILD)/bin/bench_store
