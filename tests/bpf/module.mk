# SPDX-License-Identifier: GPL-2.0
# tests/bpf/: packet tests through BPF_PROG_TEST_RUN.
$(BUILD)/tests/bpf/harness.o: $(BUILD)/bpf/cgnat.skel.h

$(BUILD)/tests/bpf_nat: $(BUILD)/tests/bpf/bpf_nat.o $(HARNESS_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS) $(CMOCKA_LIBS)
TEST_BINS += $(BUILD)/tests/bpf_nat

# The next-hop cache and the netlink watcher that invalidates it.
$(BUILD)/tests/bpf_nh: $(BUILD)/tests/bpf/bpf_nh.o $(BUILD)/daemon/nlwatch.o \
		$(HARNESS_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS) $(CMOCKA_LIBS)
TEST_BINS += $(BUILD)/tests/bpf_nh
