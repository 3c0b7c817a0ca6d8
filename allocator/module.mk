# SPDX-License-Identifier: GPL-2.0
# allocator/: the port-block allocator (pure core, driven by the daemon).
# The deterministic layout arithmetic (RFC 7422): also in CFG_OBJS, which
# validates with it (a link lists each object once: $^ drops repeats).
DET_OBJS := $(BUILD)/allocator/det.o $(BUILD)/allocator/det_dp.o
PB_OBJS := $(BUILD)/allocator/pb.o $(BUILD)/allocator/pb_life.o \
	$(BUILD)/allocator/pb_bits.o $(BUILD)/allocator/det_pb.o $(DET_OBJS)

$(BUILD)/tests/test_pb: $(BUILD)/tests/unit/test_pb.o $(PB_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(CMOCKA_LIBS)
UNIT_TESTS += $(BUILD)/tests/test_pb

$(BUILD)/tests/test_pb_life: $(BUILD)/tests/unit/test_pb_life.o $(PB_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(CMOCKA_LIBS)
UNIT_TESTS += $(BUILD)/tests/test_pb_life


$(BUILD)/tests/test_pb_bits: $(BUILD)/tests/unit/test_pb_bits.o \
		$(BUILD)/allocator/pb_bits.o
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(CMOCKA_LIBS)
UNIT_TESTS += $(BUILD)/tests/test_pb_bits
