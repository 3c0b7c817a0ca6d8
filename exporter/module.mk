# SPDX-License-Identifier: GPL-2.0
# exporter/: RFC 8158 IPFIX export (libfixbuf), its cmocka tests, the
# interop tools and the benchmark. Appends to UNIT_TESTS and TEST_BINS.

IPFIX_OBJS := $(addprefix $(BUILD)/exporter/, ipfix.o ipfix_thread.o \
	ipfix_conn.o ipfix_enc.o ipfix_model.o ipfix_queue.o)
IPFIX_LIBS := $(PKG_LIBS) -lpthread

$(BUILD)/tests/test_ipfix: $(BUILD)/tests/unit/test_ipfix.o $(IPFIX_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(IPFIX_LIBS) $(CMOCKA_LIBS)

$(BUILD)/tests/test_ipfix_%: $(BUILD)/tests/unit/test_ipfix_%.o \
		$(BUILD)/tests/interop/ipfix_decode.o $(IPFIX_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(IPFIX_LIBS) $(CMOCKA_LIBS)

$(BUILD)/bin/ipfix_send: $(BUILD)/tests/interop/ipfix_send.o $(IPFIX_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(IPFIX_LIBS)

$(BUILD)/bin/ipfix_decode: $(BUILD)/tests/interop/ipfix_decode_tool.o \
		$(BUILD)/tests/interop/ipfix_decode.o
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(IPFIX_LIBS)

$(BUILD)/bin/bench_ipfix: $(BUILD)/tests/bench/bench_ipfix.o $(IPFIX_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(IPFIX_LIBS)

IPFIX_TESTS := $(BUILD)/tests/test_ipfix $(BUILD)/tests/test_ipfix_export \
	$(BUILD)/tests/test_ipfix_net
IPFIX_BINS := $(BUILD)/bin/ipfix_send $(BUILD)/bin/ipfix_decode \
	$(BUILD)/bin/bench_ipfix
UNIT_TESTS += $(IPFIX_TESTS)
TEST_BINS += $(IPFIX_BINS)

# Everything of this module, for building it alone: make ipfix
ipfix: $(IPFIX_TESTS) $(IPFIX_BINS)

.PHONY: ipfix
