# SPDX-License-Identifier: GPL-2.0
# tests/bpf/: packet tests through BPF_PROG_TEST_RUN.
$(BUILD)/tests/bpf/harness.o: $(BUILD)/bpf/cgnat.skel.h

# One program per concern, sharing the translation checks of nat_util.c.
NAT_TESTS := bpf_nat bpf_icmp bpf_frag bpf_mss bpf_rsess bpf_sweep bpf_syn bpf_sess \
	bpf_expiry \
	bpf_det
$(foreach t,$(NAT_TESTS),$(eval $(BUILD)/tests/$(t): \
	$(BUILD)/tests/bpf/$(t).o $(BUILD)/tests/bpf/nat_util.o $(HARNESS_OBJS)))
$(addprefix $(BUILD)/tests/,$(NAT_TESTS)):
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS) $(CMOCKA_LIBS)
TEST_BINS += $(addprefix $(BUILD)/tests/,$(NAT_TESTS))

# The grant doorbell and the refill thread it wakes.
$(BUILD)/tests/bpf_bell: $(BUILD)/tests/bpf/bpf_bell.o \
		$(BUILD)/tests/bpf/nat_util.o $(BUILD)/daemon/refill.o \
		$(HARNESS_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS) -lpthread $(CMOCKA_LIBS)
$(BUILD)/tests/bpf/bpf_bell.o: $(BUILD)/bpf/cgnat.skel.h
TEST_BINS += $(BUILD)/tests/bpf_bell

# The next-hop cache and the netlink watcher that invalidates it.
$(BUILD)/tests/bpf_nh: $(BUILD)/tests/bpf/bpf_nh.o $(BUILD)/daemon/nlwatch.o \
		$(HARNESS_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS) $(CMOCKA_LIBS)
TEST_BINS += $(BUILD)/tests/bpf_nh

# HA state sync: records out of one load, through the protocol, into another.
$(BUILD)/tests/bpf_ha: $(BUILD)/tests/bpf/bpf_ha.o $(BUILD)/tests/bpf/nat_util.o \
		$(BUILD)/daemon/hastate.o $(BUILD)/daemon/hasync.o $(HARNESS_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS) $(CMOCKA_LIBS)
$(BUILD)/daemon/hastate.o: $(BUILD)/bpf/cgnat.skel.h
TEST_BINS += $(BUILD)/tests/bpf_ha

# The data-plane fuzzer and its oracle (FUZZ_ITERS, FUZZ_SEED).
$(BUILD)/tests/bpf_fuzz: $(BUILD)/tests/bpf/bpf_fuzz.o \
		$(BUILD)/tests/bpf/fuzz_oracle.o $(BUILD)/tests/bpf/nat_util.o \
		$(HARNESS_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS) $(CMOCKA_LIBS)
TEST_BINS += $(BUILD)/tests/bpf_fuzz

# The per-CPU event rings, and their order restored across rings.
$(BUILD)/tests/bpf_ring: $(BUILD)/tests/bpf/bpf_ring.o \
		$(BUILD)/tests/bpf/nat_util.o $(BUILD)/daemon/evorder.o \
		$(HARNESS_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS) $(CMOCKA_LIBS)
$(BUILD)/tests/bpf/bpf_ring.o: $(BUILD)/bpf/cgnat.skel.h
TEST_BINS += $(BUILD)/tests/bpf_ring

# PCP's userspace grant (daemon/pcp_dp.c) on the real maps.
$(BUILD)/tests/bpf_pcp: $(BUILD)/tests/bpf/bpf_pcp.o \
		$(BUILD)/tests/bpf/nat_util.o $(BUILD)/daemon/pcp_dp.o \
		$(BUILD)/daemon/hastate.o $(BUILD)/daemon/hasync.o $(DPRUN_OBJS) \
		$(HARNESS_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS) -lpthread $(CMOCKA_LIBS)
$(BUILD)/tests/bpf/bpf_pcp.o: $(BUILD)/bpf/cgnat.skel.h
TEST_BINS += $(BUILD)/tests/bpf_pcp
