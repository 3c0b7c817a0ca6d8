# SPDX-License-Identifier: GPL-2.0
# tests/fuzz/: libFuzzer targets for every parser of untrusted input in
# userspace. The normal build links each with seed_main.c as
# build/tests/test_fuzzseed_NAME, which make test runs over the seed
# corpus tests/fuzz/corpus/NAME (and tests/fuzz/crashes/NAME, the inputs
# that once failed); FUZZ=1 (make fuzz) links them with libFuzzer.
FUZZ_NAMES := cfg timefmt hasync ipfix evlog pcp
FUZZ_DEPS_cfg := $(CFG_OBJS)
FUZZ_DEPS_timefmt := $(TIMEFMT_OBJS)
FUZZ_DEPS_hasync := $(BUILD)/daemon/hasync.o
FUZZ_DEPS_ipfix := $(IPFIX_OBJS)
FUZZ_DEPS_evlog := $(TEST_EVLOG_OBJS)
FUZZ_DEPS_pcp := $(BUILD)/daemon/pcp_codec.o
$(BUILD)/tests/fuzz/fuzz_evlog.o: $(BUILD)/bpf/cgnat.skel.h \
	$(BUILD)/schema/migrations.h
$(BUILD)/tests/fuzz/seed_main.o: CFLAGS += -DFUZZ_SRCDIR='"$(CURDIR)"'

ifeq ($(FUZZ),1)
FUZZ_BINS := $(addprefix $(BUILD)/fuzz/fuzz_,$(FUZZ_NAMES))
$(foreach n,$(FUZZ_NAMES),$(eval $(BUILD)/fuzz/fuzz_$(n): \
	$(BUILD)/tests/fuzz/fuzz_$(n).o $(BUILD)/tests/fuzz/fuzz_util.o \
	$(FUZZ_DEPS_$(n))))
$(FUZZ_BINS):
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -fsanitize=fuzzer $^ -o $@ $(PKG_LIBS) -lpthread
fuzz-bins: $(FUZZ_BINS)
else
FUZZ_SEEDS := $(addprefix $(BUILD)/tests/test_fuzzseed_,$(FUZZ_NAMES))
$(foreach n,$(FUZZ_NAMES),$(eval $(BUILD)/tests/test_fuzzseed_$(n): \
	$(BUILD)/tests/fuzz/fuzz_$(n).o $(BUILD)/tests/fuzz/fuzz_util.o \
	$(BUILD)/tests/fuzz/seed_main.o $(FUZZ_DEPS_$(n))))
$(FUZZ_SEEDS):
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS) -lpthread
UNIT_TESTS += $(FUZZ_SEEDS)
endif
