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

# Session events on a new flow, one core and two (the event rings).
$(BUILD)/tests/bench/bench_evring.o: $(BUILD)/bpf/cgnat.skel.h
$(BUILD)/bin/bench_evring: $(BUILD)/tests/bench/bench_evring.o $(HARNESS_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS) -lpthread
TEST_BINS += $(BUILD)/bin/bench_evring

# The live bench (live.sh): generator and sink XDP programs, the driver
# that runs them, and a TCP connections-per-second client/server.
LIVE_BPF := $(BUILD)/tests/bench/gen.bpf.o $(BUILD)/tests/bench/sink.bpf.o \
	$(BUILD)/tests/bench/fwd.bpf.o
BPF_OBJS += $(LIVE_BPF)
SKELS += $(LIVE_BPF:.bpf.o=.skel.h)
$(LIVE_BPF): tests/bench/live_common.h
$(BUILD)/tests/bench/bench_live.o: $(LIVE_BPF:.bpf.o=.skel.h) \
	$(BUILD)/bpf/cgnat.skel.h
$(BUILD)/bin/bench_live: $(BUILD)/tests/bench/bench_live.o \
		$(BUILD)/daemon/fraghold.o $(BUILD)/daemon/fragsend.o $(DP_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS) -lpthread
$(BUILD)/bin/bench_tcp_cps: $(BUILD)/tests/bench/tcp_cps.o
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@
TEST_BINS += $(BUILD)/bin/bench_live $(BUILD)/bin/bench_tcp_cps

# HA state sync: protocol, apply and bulk-sync rates.
$(BUILD)/bin/bench_ha: $(BUILD)/tests/bench/bench_ha.o $(BUILD)/daemon/hastate.o \
		$(BUILD)/daemon/hasync.o $(HARNESS_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS)
$(BUILD)/tests/bench/bench_ha.o: $(BUILD)/bpf/cgnat.skel.h
TEST_BINS += $(BUILD)/bin/bench_ha

# Deterministic NAT beside PBA: ns/packet and log bytes per subscriber-day.
$(BUILD)/tests/bench/bench_det.o: $(BUILD)/bpf/cgnat.skel.h
$(BUILD)/bin/bench_det: $(BUILD)/tests/bench/bench_det.o \
		$(BUILD)/daemon/detlog.o $(HARNESS_OBJS) $(STORE_OBJS) $(CFG_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS)
TEST_BINS += $(BUILD)/bin/bench_det

# The 10M-session stage: expiry at scale (docs/scale-expiry.md).
$(BUILD)/tests/bench/bench_scale.o: $(BUILD)/bpf/cgnat.skel.h
$(BUILD)/bin/bench_scale: $(BUILD)/tests/bench/bench_scale.o $(HARNESS_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS) -lpthread
TEST_BINS += $(BUILD)/bin/bench_scale

# The port-block allocator at ISP pool sizes: a loop turn, the lifecycle
# cycle, the refill (allocator alone, simulated shared arrays).
$(BUILD)/bin/bench_pb: $(BUILD)/tests/bench/bench_pb.o $(PB_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@
TEST_BINS += $(BUILD)/bin/bench_pb
