# SPDX-License-Identifier: GPL-2.0
# config/: YAML configuration of cgnatd (libyaml), validation, cmocka tests.
# A program using the module links $(CFG_OBJS) with $(PKG_LIBS).

CFG_OBJS := $(addprefix $(BUILD)/config/, cfg.o cfg_diff.o cfg_dump.o \
	cfg_err.o cfg_lists.o cfg_schema.o cfg_validate.o cfg_values.o \
	cfg_yaml.o cfg_det.o) $(DET_OBJS)

CFG_TESTS := $(addprefix $(BUILD)/tests/, test_config test_config_all \
	test_config_diff \
	test_config_errors test_config_pools test_config_values)

# The tests open config/*.yaml and tests/unit/data/config/*.yaml by
# absolute path, so they run from any directory.
$(patsubst $(BUILD)/tests/%,$(BUILD)/tests/unit/%.o,$(CFG_TESTS)): \
	CFLAGS += -DCFG_SRCDIR='"$(CURDIR)"'

$(CFG_TESTS): $(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(CFG_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS) $(CMOCKA_LIBS)

UNIT_TESTS += $(CFG_TESTS)

# allocator/det.c's arithmetic with the deterministic pool keys.
$(BUILD)/tests/test_det: $(BUILD)/tests/unit/test_det.o $(CFG_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS) $(CMOCKA_LIBS)
UNIT_TESTS += $(BUILD)/tests/test_det
