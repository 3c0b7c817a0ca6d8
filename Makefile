# SPDX-License-Identifier: GPL-2.0
# Top-level build for cgnat. Each folder contributes a small module.mk
# fragment that appends to the variables below; this file holds the shared
# rules. Output goes to build/, quiet unless V=1.

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
	tests/*/module.mk)

build-all: $(BPF_OBJS) $(SKELS) $(BINS) $(UNIT_TESTS) $(TEST_BINS)

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
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# --- operator targets -------------------------------------------------------

DEPS_PKGS := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev \
	libfixbuf-dev libfixbuf-tools libyaml-dev libsqlite3-dev sqlite3 \
	libcmocka-dev pkg-config iproute2 ethtool tcpdump tshark nfdump \
	pmacct python3-scapy socat iperf3 nftables iptables make gcc \
	python3-matplotlib iputils-ping iputils-tracepath procps \
	libpq-dev postgresql keepalived natpmpc

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

test: build-after-deps
	$(Q)tests/run.sh all

test-unit test-bpf test-netns test-central test-interop: all
	$(Q)tests/run.sh $(patsubst test-%,%,$@)

bench: build-after-deps
	$(Q)tests/bench/run.sh

demo: build-after-deps
	$(Q)daemon/demo.sh

FORMAT_SRCS = $(shell git ls-files '*.c' '*.h')
check-format:
	$(Q)clang-format --dry-run --Werror $(FORMAT_SRCS)

format:
	$(Q)clang-format -i $(FORMAT_SRCS)

clean:
	$(call msg,CLEAN,$(BUILD))
	$(Q)rm -rf $(BUILD)

.PHONY: all build-all build-after-deps deps test test-unit test-bpf test-netns test-interop \
	bench demo check-format format clean
