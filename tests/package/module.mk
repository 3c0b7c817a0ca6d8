# SPDX-License-Identifier: GPL-2.0
# tests/package: the man pages against the code, and the Debian package.
$(BUILD)/tests/cfg_keys: $(BUILD)/tests/package/cfg_keys.o $(CFG_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS)
TEST_BINS += $(BUILD)/tests/cfg_keys
