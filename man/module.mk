# SPDX-License-Identifier: GPL-2.0
# man/: the manual pages, written in scdoc and turned into roff here;
# `make install` and the Debian package install them.
# tests/package/man.sh checks that they name every configuration key and
# every cgnatctl command and option.
MANS := $(BUILD)/man/cgnatd.8 $(BUILD)/man/cgnatctl.8 \
	$(BUILD)/man/cgnat.yaml.5

$(BUILD)/man/%: man/%.scd
	$(call msg,SCDOC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)scdoc < $< > $@.tmp
	$(Q)mv $@.tmp $@

man: $(MANS)

.PHONY: man
