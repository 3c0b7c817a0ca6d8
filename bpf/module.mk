# SPDX-License-Identifier: GPL-2.0
# bpf/: the XDP programs, their skeletons and the loader.
BPF_OBJS += $(BUILD)/bpf/cgnat.bpf.o $(BUILD)/bpf/xdp_fwd.bpf.o
SKELS += $(BUILD)/bpf/cgnat.skel.h $(BUILD)/bpf/xdp_fwd.skel.h

DP_OBJS := $(BUILD)/bpf/loader.o $(BUILD)/bpf/sweep_run.o \
	$(BUILD)/bpf/sweep_due.o \
	$(BUILD)/bpf/sweep_pace.o $(BUILD)/bpf/det_flush.o \
	$(BUILD)/bpf/evring.o
$(DP_OBJS): $(BUILD)/bpf/cgnat.skel.h

# The packet-test harness, shared by tests/bpf and tests/bench.
HARNESS_OBJS = $(BUILD)/tests/bpf/harness.o $(BUILD)/tests/bpf/pkt.o \
	$(DP_OBJS) $(PB_OBJS)

# The sweep's pace (bpf/sweep_pace.c): pure arithmetic, no BPF.
$(BUILD)/tests/test_sweep_pace: $(BUILD)/tests/unit/test_sweep_pace.o \
		$(BUILD)/bpf/sweep_pace.o
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(CMOCKA_LIBS)
UNIT_TESTS += $(BUILD)/tests/test_sweep_pace
