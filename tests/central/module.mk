# SPDX-License-Identifier: GPL-2.0
# tests/central/: the fleet log against a real PostgreSQL the test starts
# (lib_pg.bash). ship_feed writes a local log and runs the shipper thread.
$(BUILD)/bin/ship_feed: $(BUILD)/tests/central/ship_feed.o $(CENTRAL_OBJS) \
		$(STORE_OBJS) $(BUILD)/daemon/log.o
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS) -lpthread -lm
TEST_BINS += $(BUILD)/bin/ship_feed

# make bench: central lookup latency on a generated log (fleet_lookup.sh).
$(BUILD)/bin/bench_central: $(BUILD)/tests/bench/bench_central.o \
		$(CENTRAL_QUERY_OBJS) $(STORE_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS)
TEST_BINS += $(BUILD)/bin/bench_central
