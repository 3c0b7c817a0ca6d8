# SPDX-License-Identifier: GPL-2.0
# Top-level build for cgnat. Each folder contributes a small module.mk
# fragment that appends to the variables below; this file holds the shared
# rules. Output goes to build/, quiet unless V=1.

# SANITIZE=1: all userspace under AddressSanitizer and UBSan, in a build
# folder of its own (the BPF objects are the same).
ifeq ($(SANITIZE),1)
BUILD    ?= build-san
endif
# FUZZ=1: clang with libFuzzer's instrumentation, for the fuzz targets
# (tests/fuzz, make fuzz).
ifeq ($(FUZZ),1)
BUILD    ?= build-fuzz
CC       := clang
endif
BUILD    ?= build
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
PYTHON   ?= /usr/bin/python3

PKGS       := libbpf libfixbuf yaml-0.1 sqlite3 libpq
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lelf -lz
CMOCKA_LIBS := -lcmocka

CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	    -I. -I$(BUILD) $(PKG_CFLAGS)
ifeq ($(FUZZ),1)
# -Wno-error: clang warns in the kernel's netlink macros; the gcc build
# is where warnings are held to -Werror.
CFLAGS   += -fsanitize=fuzzer-no-link,address,undefined \
	    -fno-sanitize-recover=all -fno-omit-frame-pointer -Wno-error
endif
ifeq ($(SANITIZE),1)
# UBSan's runtime linked in: with both runtimes shared, GCC 12's libubsan
# ignores log_path and its reports reach only stderr (for a daemon a test
# started, a log removed with the test), so the gate in `test` missed them.
CFLAGS   += -fsanitize=address,undefined -fno-sanitize-recover=all \
	    -fno-omit-frame-pointer -static-libubsan
endif
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 \
	      -Wall -Wno-unused-function -Werror -I$(BUILD) -I.

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SUFFIXES:

# Filled by the module.mk fragments.
BPF_OBJS   :=	# $(BUILD)/x.bpf.o built from x.bpf.c
SKELS      :=	# $(BUILD)/x.skel.h
BINS       :=	# programs in $(BUILD)/bin
UNIT_TESTS :=	# cmocka binaries in $(BUILD)/tests
TEST_BINS  :=	# other test helpers

all: build-all

include bpf/module.mk
include $(wildcard allocator/module.mk logger/module.mk exporter/module.mk \
	config/module.mk schema/module.mk central/module.mk daemon/module.mk \
	man/module.mk \
	tests/*/module.mk)

build-all: $(BPF_OBJS) $(SKELS) $(BINS) $(UNIT_TESTS) $(TEST_BINS) $(MANS)

$(BUILD)/vmlinux.h:
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(BUILD)/%.bpf.o: %.bpf.c $(BUILD)/vmlinux.h $(wildcard bpf/*.h)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# A skeleton names the ABI structs of the object's globals (.bss), so it
# includes their header itself.
$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)printf '#include <linux/types.h>\n#include "bpf/cgnat_abi.h"\n' > $@.tmp
	$(Q)$(BPFTOOL) gen skeleton $< name $(notdir $(basename $(basename $<)))_bpf >> $@.tmp
	$(Q)mv $@.tmp $@

# Skeletons first: any C file may include one (order-only).
$(BUILD)/%.o: %.c | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# --- operator targets -------------------------------------------------------

DEPS_PKGS := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev \
	libfixbuf-dev libfixbuf-tools libyaml-dev libsqlite3-dev sqlite3 \
	libcmocka-dev pkg-config iproute2 ethtool tcpdump tshark nfdump \
	pmacct python3-scapy socat iperf3 nftables iptables make gcc \
	python3-matplotlib iputils-ping iputils-tracepath procps \
	libpq-dev postgresql keepalived natpmpc libclang-rt-14-dev \
	debhelper dpkg-dev fakeroot lintian scdoc man-db

deps:
	@missing=; for p in $(DEPS_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
			grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all packages present"; \
	else \
		echo "deps: installing$$missing"; \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $$missing >/dev/null || exit 1; \
	fi

# The targets that install packages first build in a second make: this
# file's pkg-config flags are computed when it is parsed, so on a machine
# where `make deps` has just installed libbpf and the rest only a make
# started after it sees them (the first-run test, tests/demo/firstrun.sh).
build-after-deps: deps
	$(Q)$(MAKE) --no-print-directory build-all

# Under SANITIZE=1 every report (also of a daemon a test started in the
# background) lands in $(BUILD)/san/: any file there fails the run.
SAN_DIR = $(abspath $(BUILD))/san
TEST_ENV = BUILD=$(BUILD) BIN=$(abspath $(BUILD))/bin
ifeq ($(SANITIZE),1)
TEST_ENV += ASAN_OPTIONS=log_path=$(SAN_DIR)/asan:detect_leaks=1 \
	UBSAN_OPTIONS=log_path=$(SAN_DIR)/ubsan:print_stacktrace=1
endif
san_check = $(if $(filter 1,$(SANITIZE)),; rc=$$?; \
	if ls $(SAN_DIR)/* >/dev/null 2>&1; then \
		cat $(SAN_DIR)/*; echo "FAIL: sanitizer reports in $(SAN_DIR)"; \
		exit 1; fi; exit $$rc)

test: build-after-deps
	$(Q)rm -rf $(SAN_DIR); mkdir -p $(SAN_DIR)
	$(Q)$(TEST_ENV) tests/run.sh all $(san_check)

test-unit test-bpf test-netns test-central test-interop test-package: all
	$(Q)rm -rf $(SAN_DIR); mkdir -p $(SAN_DIR)
	$(Q)$(TEST_ENV) tests/run.sh $(patsubst test-%,%,$@) $(san_check)

# The documentation: README.md a front page, every link and anchor in it
# and docs/*.md resolves, every docs/*.md linked (tests/docs). Builds nothing.
test-docs:
	$(Q)tests/run.sh docs

# Hostile input at length (docs/hostile-input.md): libFuzzer on every userspace
# parser for FUZZ_TIME seconds each, then the data-plane fuzzer for
# FUZZ_ITERS inputs from FUZZ_SEED.
FUZZ_TIME  ?= 60
FUZZ_ITERS ?= 2000000
FUZZ_SEED  ?= 1
fuzz: build-after-deps
	$(Q)$(MAKE) --no-print-directory FUZZ=1 fuzz-bins
	$(Q)tests/fuzz/run.sh build-fuzz $(FUZZ_TIME)
	$(Q)FUZZ_ITERS=$(FUZZ_ITERS) FUZZ_SEED=$(FUZZ_SEED) $(BUILD)/tests/bpf_fuzz

# cgnatd for SOAK_SECS (default 1800) under churn and failures; the plot
# and samples land in build/soak (tests/soak/soak.sh).
soak: build-after-deps
	$(Q)BIN=$(abspath $(BUILD))/bin tests/soak/soak.sh

bench: build-after-deps
	$(Q)tests/bench/run.sh

demo: build-after-deps
	$(Q)daemon/demo.sh

# The Debian package (debian/, docs/install.md): built by Debian's tools
# from a copy of the tracked and untracked-but-not-ignored files in
# $(DEB_DIR)/src, so nothing lands in the tree or its parent directory;
# the copy's build/ is kept, so a second `make deb` recompiles only what
# changed (all of it when a Makefile, a module.mk or debian/rules did,
# since flags are not dependencies). The .deb, .buildinfo and .changes land in $(DEB_DIR). The
# package is built as Debian builds it: none of this make's variables
# (BUILD, SANITIZE, CFLAGS, ...) reach the inner build.
DEB_DIR := $(BUILD)/deb
deb:
	$(Q)mkdir -p $(DEB_DIR)/src
	$(Q)rm -f $(DEB_DIR)/*.deb $(DEB_DIR)/*.ddeb $(DEB_DIR)/*.buildinfo \
		$(DEB_DIR)/*.changes
	$(Q)find $(DEB_DIR)/src -mindepth 1 -maxdepth 1 ! -name build \
		-exec rm -rf {} +
	$(Q)sum=$$(cat Makefile $$(git ls-files '*.mk') debian/rules | md5sum); \
		[ "$$(cat $(DEB_DIR)/build.sum 2>/dev/null)" = "$$sum" ] || \
		rm -rf $(DEB_DIR)/src/build; echo "$$sum" > $(DEB_DIR)/build.sum
	$(Q)git ls-files -z -co --exclude-standard | \
		xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
		tar --null -T - -cf - | tar -xf - -C $(DEB_DIR)/src
	$(Q)cd $(DEB_DIR)/src && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		-u BUILD -u SANITIZE -u FUZZ -u CFLAGS -u LDFLAGS -u CPPFLAGS \
		DEB_BUILD_OPTIONS="parallel=2 $$DEB_BUILD_OPTIONS" \
		dpkg-buildpackage -us -uc -b -nc
	$(Q)ls $(DEB_DIR)/*.deb

FORMAT_SRCS = $(shell git ls-files '*.c' '*.h')
check-format:
	$(Q)clang-format --dry-run --Werror $(FORMAT_SRCS)

format:
	$(Q)clang-format -i $(FORMAT_SRCS)

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)

.PHONY: all build-all build-after-deps deps deb test fuzz fuzz-bins soak test-unit test-bpf test-netns test-interop test-docs test-package \
	bench demo check-format format clean
