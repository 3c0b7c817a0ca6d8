# SPDX-License-Identifier: GPL-2.0
# daemon/: the data-plane runner and the programs built on it: cgnatd (the
# daemon) and cgnatctl (operations).
DPRUN_OBJS := $(BUILD)/daemon/dprun.o $(BUILD)/daemon/evorder.o \
	$(BUILD)/daemon/refill.o \
	$(BUILD)/daemon/fraghold.o $(BUILD)/daemon/fragsend.o \
	$(BUILD)/daemon/nlwatch.o $(BUILD)/daemon/synpend.o \
	$(BUILD)/daemon/syn_icmp.o $(DP_OBJS) $(PB_OBJS)
$(BUILD)/daemon/dprun.o: $(BUILD)/bpf/cgnat.skel.h

# Shared by cgnatd and cgnatctl.
DAEMON_COMMON := $(addprefix $(BUILD)/daemon/, log.o dpconf.o pins.o detlog.o)
CGNATD_OBJS := $(addprefix $(BUILD)/daemon/, cgnatd.o start.o reload.o \
	evlog.o evlog_misc.o evlog_sess.o reconcile.o runtime.o pincheck.o \
	fleet.o ha.o ctlsock.o halink.o hasync.o hastate.o pcp.o pcp_dp.o \
	pcp_codec.o pcp_tab.o) $(DAEMON_COMMON) $(DPRUN_OBJS) $(STORE_OBJS) $(IPFIX_OBJS) $(CFG_OBJS) \
	$(CENTRAL_OBJS)
CGNATCTL_OBJS := $(addprefix $(BUILD)/daemon/, cgnatctl.o ctl_status.o \
	ctl_metrics.o ctl_log.o ctl_sesslog.o ctl_state.o ctl_out.o \
	ctl_central.o ctl_ha.o ctl_det.o ctl_pcp.o) \
	$(DAEMON_COMMON) $(DPRUN_OBJS) $(STORE_OBJS) $(CFG_OBJS) $(IPFIX_OBJS) \
	$(CENTRAL_QUERY_OBJS)

$(CGNATD_OBJS) $(CGNATCTL_OBJS): $(BUILD)/bpf/cgnat.skel.h \
	$(BUILD)/schema/migrations.h

# LDFLAGS: the package build's hardening flags (dpkg-buildflags).
$(BUILD)/bin/cgnatd: $(CGNATD_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(PKG_LIBS) -lpthread

$(BUILD)/bin/cgnatctl: $(CGNATCTL_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(PKG_LIBS) -lpthread

BINS += $(BUILD)/bin/cgnatd $(BUILD)/bin/cgnatctl

# make install [DESTDIR=...] [PREFIX=/usr/local] [UNITDIR=...]: the two
# programs, the man pages, the systemd units (their program paths made
# PREFIX's), the commented example configuration (never overwriting one
# that exists) and README.md with docs/. debian/rules installs with PREFIX=/usr.
PREFIX  ?= /usr/local
UNITDIR ?= /etc/systemd/system
MANDIR  ?= $(PREFIX)/share/man
UNITS   := daemon/cgnatd.service daemon/cgnat-metrics.service \
	daemon/cgnat-metrics.timer
progs: $(BUILD)/bin/cgnatd $(BUILD)/bin/cgnatctl
install: progs man
	install -D -m 0755 $(BUILD)/bin/cgnatd $(DESTDIR)$(PREFIX)/sbin/cgnatd
	install -D -m 0755 $(BUILD)/bin/cgnatctl $(DESTDIR)$(PREFIX)/bin/cgnatctl
	install -d $(DESTDIR)$(UNITDIR)
	for u in $(UNITS); do \
		sed -e 's|/usr/sbin/|$(PREFIX)/sbin/|g' \
		    -e 's|/usr/bin/cgnatctl|$(PREFIX)/bin/cgnatctl|g' $$u \
		    > $(DESTDIR)$(UNITDIR)/$$(basename $$u) || exit 1; \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$(basename $$u); \
	done
	for m in $(MANS); do \
		s=$${m##*.}; \
		install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/$$(basename $$m) \
			|| exit 1; \
	done
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/cgnat/README.md
	install -D -m 0644 -t $(DESTDIR)$(PREFIX)/share/doc/cgnat/docs docs/*.md
	[ -e $(DESTDIR)/etc/cgnat/cgnat.yaml ] || \
		install -D -m 0640 config/cgnat.yaml $(DESTDIR)/etc/cgnat/cgnat.yaml

.PHONY: install progs

# cmocka: the configuration -> data plane mapping (pure).
$(BUILD)/tests/test_dpconf: $(BUILD)/tests/unit/test_dpconf.o \
		$(BUILD)/daemon/dpconf.o $(DP_OBJS) $(IPFIX_OBJS) $(CFG_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS) -lpthread $(CMOCKA_LIBS)
$(BUILD)/tests/unit/test_dpconf.o: $(BUILD)/bpf/cgnat.skel.h
UNIT_TESTS += $(BUILD)/tests/test_dpconf

# cmocka: events to the log, the release handshake, reconciliation
# (real SQLite file, block table in memory).
TEST_EVLOG_OBJS := $(addprefix $(BUILD)/daemon/, evlog.o evlog_misc.o \
	evlog_sess.o \
	reconcile.o runtime.o log.o dpconf.o) $(DPRUN_OBJS) $(STORE_OBJS) \
	$(CENTRAL_OBJS) \
	$(IPFIX_OBJS) $(CFG_OBJS)
$(BUILD)/tests/test_evlog: $(BUILD)/tests/unit/test_evlog.o $(TEST_EVLOG_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS) -lpthread $(CMOCKA_LIBS)
$(BUILD)/tests/unit/test_evlog.o: $(BUILD)/bpf/cgnat.skel.h \
	$(BUILD)/schema/migrations.h
UNIT_TESTS += $(BUILD)/tests/test_evlog

# cmocka: the log's disk fails (a store whose commits fail): nothing lost,
# nothing re-granted before its release commits, new grants held.
$(BUILD)/tests/test_evlog_outage: $(BUILD)/tests/unit/test_evlog_outage.o \
		$(TEST_EVLOG_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS) -lpthread $(CMOCKA_LIBS)
$(BUILD)/tests/unit/test_evlog_outage.o: $(BUILD)/bpf/cgnat.skel.h \
	$(BUILD)/schema/migrations.h
UNIT_TESTS += $(BUILD)/tests/test_evlog_outage

# cmocka: which rtnetlink messages invalidate the cached next hops.
$(BUILD)/tests/test_nlwatch: $(BUILD)/tests/unit/test_nlwatch.o \
		$(BUILD)/daemon/nlwatch.o
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(CMOCKA_LIBS)
UNIT_TESTS += $(BUILD)/tests/test_nlwatch

# cmocka: the early-fragment holder's bounds and timing.
$(BUILD)/tests/test_fraghold: $(BUILD)/tests/unit/test_fraghold.o \
		$(BUILD)/daemon/fraghold.o $(BUILD)/daemon/fragsend.o
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS) $(CMOCKA_LIBS)
UNIT_TESTS += $(BUILD)/tests/test_fraghold

# cmocka: when a held unsolicited SYN is answered, and the ICMP 3/3 bytes.
$(BUILD)/tests/test_synicmp: $(BUILD)/tests/unit/test_synicmp.o \
		$(BUILD)/daemon/syn_icmp.o
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(CMOCKA_LIBS)
UNIT_TESTS += $(BUILD)/tests/test_synicmp

# cmocka: the HA sync protocol core (pure: no sockets, no maps).
$(BUILD)/tests/test_hasync: $(BUILD)/tests/unit/test_hasync.o \
		$(BUILD)/daemon/hasync.o
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(CMOCKA_LIBS)
UNIT_TESTS += $(BUILD)/tests/test_hasync

# cmocka: the sync channel over TCP on 127.0.0.1.
$(BUILD)/tests/test_halink: $(BUILD)/tests/unit/test_halink.o \
		$(BUILD)/daemon/halink.o $(BUILD)/daemon/hasync.o
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(CMOCKA_LIBS)
UNIT_TESTS += $(BUILD)/tests/test_halink

# cmocka: the deterministic layouts' log on a real SQLite file.
$(BUILD)/tests/test_detlog: $(BUILD)/tests/unit/test_detlog.o \
		$(BUILD)/daemon/detlog.o $(STORE_OBJS) $(CFG_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(PKG_LIBS) $(CMOCKA_LIBS)
UNIT_TESTS += $(BUILD)/tests/test_detlog

# cmocka: PCP and NAT-PMP messages against the RFC layouts (pure).
$(BUILD)/tests/test_pcp_codec: $(BUILD)/tests/unit/test_pcp_codec.o \
		$(BUILD)/daemon/pcp_codec.o
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(CMOCKA_LIBS)
UNIT_TESTS += $(BUILD)/tests/test_pcp_codec

# cmocka: the PCP server's mapping index against a plain model.
$(BUILD)/tests/test_pcp_tab: $(BUILD)/tests/unit/test_pcp_tab.o \
		$(BUILD)/daemon/pcp_tab.o
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(CMOCKA_LIBS)
UNIT_TESTS += $(BUILD)/tests/test_pcp_tab

# cmocka: the events' order across the per-CPU rings (pure).
$(BUILD)/tests/test_evorder: $(BUILD)/tests/unit/test_evorder.o \
		$(BUILD)/daemon/evorder.o
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(CMOCKA_LIBS)
UNIT_TESTS += $(BUILD)/tests/test_evorder
