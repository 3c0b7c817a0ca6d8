# SPDX-License-Identifier: GPL-2.0
# daemon/: the data-plane runner and the programs built on it.
DPRUN_OBJS := $(BUILD)/daemon/dprun.o $(DP_OBJS) $(PB_OBJS)
$(BUILD)/daemon/dprun.o $(BUILD)/daemon/cgnat_dp.o: $(BUILD)/bpf/cgnat.skel.h

$(BUILD)/bin/cgnat-dp: $(BUILD)/daemon/cgnat_dp.o $(DPRUN_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS)
BINS += $(BUILD)/bin/cgnat-dp
