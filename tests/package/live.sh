#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The packaged programs at work: the package (build/deb, made by deb.sh, or
# here when missing or older than a source file) is unpacked with dpkg -x into the test's temporary directory, and
# its cgnatd runs the packaged /etc/cgnat/cgnat.yaml with only the
# interface names and the database path changed, on the namespace testbed
# of tests/netns/lib.sh (private pins and run dir; removed on exit). A
# subscriber pings through it; the packaged cgnatctl shows the block and
# finds the subscriber in the compliance log by the block's external
# address and port.
set -u
PKG_TMP=$(mktemp -d)
BIN=$PKG_TMP/bin # lib.sh's cgnatd and cgnatctl: the unpacked ones
. "$(dirname "$0")/../netns/lib.sh"
trap 'tb_cleanup; rm -rf "$PKG_TMP"' EXIT
trap 'exit 1' INT TERM
cd "$ROOT"
BUILD=${BUILD:-build}

# The package deb.sh built, unless a source file is newer (then build it).
. "$ROOT/tests/package/fresh.bash"
deb=$(fresh_deb)
tb_must "make deb" test -n "$deb"
R=$PKG_TMP/root
dpkg -x "$deb" "$R"
mkdir -p "$BIN"
ln -s "$R/usr/sbin/cgnatd" "$BIN/cgnatd"
ln -s "$R/usr/bin/cgnatctl" "$BIN/cgnatctl"

CFG=$TB_TMP/cgnat.yaml
sed -e 's/^\(  inside:\) eth1 /\1 in0  /' -e 's/^\(  outside:\) eth0 /\1 out0 /' \
	-e "s|^\(  database:\) /var/lib/cgnat/cgnat.db|\1 $DB|" \
	"$R/etc/cgnat/cgnat.yaml" >"$CFG"
changed=$(diff "$R/etc/cgnat/cgnat.yaml" "$CFG" | grep -c '^>')
check "the packaged configuration with 3 lines changed ($changed)" test "$changed" = 3

tb_must "testbed setup" tb_up
tb_must "the packaged cgnatd starts and attaches" tb_cgnatd "$CFG"
pass "the packaged cgnatd runs the packaged configuration (pid $CGNATD_PID)"
check "a subscriber pings a server through it" \
	quiet in_sub ping -c 2 -W 2 -q "$S1"
out=$(ctl status)
check "packaged cgnatctl status: cgnatd running" \
	grep -qE '^cgnatd: +running' <<<"$out"
check "packaged cgnatctl status: the log agrees with the block table" \
	grep -qE '^log: .*: consistent' <<<"$out"
line=$(ctl blocks "$H1" | awk -v h="$H1" '$4 == h')
ext=$(awk '{ print $2 }' <<<"$line")
port=$(awk '{ split($3, p, "-"); print p[1] }' <<<"$line")
check "packaged cgnatctl blocks: $H1 holds a block ($ext $port)" test -n "$ext"
sleep 0.5 # the holding is committed in the next round
out=$(ctl lookup "$ext:$port" --at "@$(date +%s.%N | cut -c1-14)" 2>&1)
check "packaged cgnatctl lookup $ext:$port now names $H1 ($out)" \
	grep -q "subscriber $H1" <<<"$out"
tb_stop_cgnatd
check "cgnatd stops on SIGTERM" grep -q 'stopped' "$TB_TMP/cgnatd.log"
tb_summary
