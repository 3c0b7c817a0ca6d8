# SPDX-License-Identifier: GPL-2.0
# tests/bench/: make bench programs.
BPF_OBJS += $(BUILD)/tests/bench/bench_xdp.bpf.o
SKELS += $(BUILD)/tests/bench/bench_xdp.skel.h
$(BUILD)/tests/bench/bench_xdp.bpf.o: bpf/cgnat.bpf.c
$(BUILD)/tests/bench/bench_dp.o: $(BUILD)/bpf/xdp_fwd.skel.h $(BUILD)/bpf/cgnat.skel.h \
	$(BUILD)/tests/bench/bench_xdp.skel.h
$(BUILD)/bin/bench_dp: $(BUILD)/tests/bench/bench_dp.o $(HARNESS_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS)
TEST_BINS += $(BUILD)/bin/bench_dp
