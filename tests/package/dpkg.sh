#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The package under dpkg itself, maintainer scripts and all, as an operator
# installs, runs, removes and purges it. The machine is never touched: the
# test runs in a mount namespace of its own (unshare -m) where an overlay
# of / with a tmpfs upper layer is the root dpkg works in (its database
# too), and a bpffs of its own hides the host's pins. Everything written
# goes when the namespace does, also on failure.
#
#   dpkg -i: installed, the configuration registered as a conffile, modes
#            as docs/install.md says, the unit installed but not enabled,
#            cgnatd --check accepts the packaged configuration;
#   run:     the operator names the interfaces in /etc/cgnat/cgnat.yaml;
#            the installed cgnatd (in the root, on the netns testbed with
#            the package's default pin dir, run dir and database)
#            translates a ping and logs the block; stopped, its XDP keeps
#            translating from the pins, as after `systemctl stop`;
#   again:  dpkg -i over it, an upgrade's path (prerm upgrade): the pins
#            and the traffic stay, the edited conffile is kept;
#   dpkg -r: prerm takes the data plane out (pins and XDP gone, traffic
#            stops) and closes the open log rows (reason shutdown); the
#            edited conffile stays;
#   dpkg -P: the conffile goes; the compliance log stays.
set -u
if [ "${CGNAT_DPKG_NS:-}" != 1 ]; then
	CGNAT_DPKG_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/../netns/lib.sh"
. "$ROOT/tests/package/fresh.bash"
cd "$ROOT"
BUILD=${BUILD:-build}
R=$TB_TMP/root
DPID=
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	# Only this namespace sees these mounts; unmounted here so that
	# tb_cleanup can remove the directory they sit in.
	umount -R "$R" 2>/dev/null
	umount "$TB_TMP/ovl" 2>/dev/null
	tb_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM
in_root() { chroot "$R" "$@"; }
pings() { in_sub ping -c 2 -W 2 -q "$S1" >/dev/null; }
no_ping() { ! in_sub ping -c 1 -W 1 -q "$S1" >/dev/null; }
# dpkg_run ARGS...: dpkg in the root, its status in rc, its last lines shown.
dpkg_run() {
	local out

	out=$(in_root dpkg "$@" 2>&1)
	rc=$?
	[ -z "$out" ] || sed 's/^/  dpkg: /' <<<"$out" | tail -5
}

deb=$(fresh_deb)
tb_must "make deb" test -n "$deb"
PIN=/sys/fs/bpf/cgnat	# the package's default, in this namespace's bpffs
RUN=$R/run/cgnat
DB=$R/var/lib/cgnat/cgnat.db
mkdir -p "$TB_TMP/ovl" "$R"
tb_must "a bpffs of this namespace's own" mount -t bpf bpf /sys/fs/bpf
tb_must "a tmpfs for the overlay" mount -t tmpfs tmpfs "$TB_TMP/ovl"
mkdir "$TB_TMP/ovl/upper" "$TB_TMP/ovl/work"
tb_must "an overlay of / as the root dpkg works in" mount -t overlay overlay \
	-o "lowerdir=/,upperdir=$TB_TMP/ovl/upper,workdir=$TB_TMP/ovl/work" "$R"
mount --rbind /dev "$R/dev" && mount -t proc proc "$R/proc" &&
	mount --rbind /sys "$R/sys" && mount -t tmpfs tmpfs "$R/run" &&
	mount -t tmpfs tmpfs "$R/tmp" || tb_must "mounts in the root" false
cp "$deb" "$R/tmp/cgnat.deb"
tb_must "cgnat is not installed before" \
	test -z "$(in_root dpkg-query -W -f '${Status}' cgnat 2>/dev/null)"

# --- dpkg -i ------------------------------------------------------------------
dpkg_run -i /tmp/cgnat.deb
check "dpkg -i installs the package (rc $rc)" \
	test "$(in_root dpkg-query -W -f '${Status}' cgnat)" = "install ok installed"
check "dpkg registers /etc/cgnat/cgnat.yaml as a conffile" \
	grep -q "^ /etc/cgnat/cgnat.yaml [0-9a-f]\{32\}" \
	<<<"$(in_root dpkg-query -W -f '${Conffiles}\n' cgnat)"
check "/etc/cgnat/cgnat.yaml root:root 0640 ($(stat -c '%U:%G %a' "$R/etc/cgnat/cgnat.yaml"))" \
	test "$(stat -c '%U:%G %a' "$R/etc/cgnat/cgnat.yaml")" = "root:root 640"
check "/var/lib/cgnat root:root 0750 ($(stat -c '%U:%G %a' "$R/var/lib/cgnat"))" \
	test "$(stat -c '%U:%G %a' "$R/var/lib/cgnat")" = "root:root 750"
check "the unit is installed" test -f "$R/lib/systemd/system/cgnatd.service"
check "the unit is not enabled (no wants link)" \
	test -z "$(find "$R/etc/systemd/system" -name cgnatd.service 2>/dev/null)"
check "the installed cgnatd --check accepts the packaged configuration" \
	quiet in_root /usr/sbin/cgnatd -c /etc/cgnat/cgnat.yaml --check

# --- the operator names the interfaces; the installed cgnatd runs ------------
sed -i -e 's/^\(  inside:\) eth1 /\1 in0  /' -e 's/^\(  outside:\) eth0 /\1 out0 /' \
	"$R/etc/cgnat/cgnat.yaml"
check "the conffile now names in0 and out0" \
	grep -q "^  outside: out0" "$R/etc/cgnat/cgnat.yaml"
tb_must "testbed setup" tb_up
nsenter --net=/var/run/netns/"$NS_NAT" chroot "$R" /usr/sbin/cgnatd \
	-c /etc/cgnat/cgnat.yaml --foreground >>"$TB_TMP/cgnatd.log" 2>&1 &
DPID=$!
tb_must "the installed cgnatd starts with its defaults" tb_wait 100 tb_pid_is "$DPID"
check "a subscriber pings a server through it" pings
check "its pins are in the default pin dir" test -e "$PIN/cgnat_sessions"
sleep 0.5	# the holding is committed in the next round
check "its log, /var/lib/cgnat/cgnat.db, holds the subscriber's block" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM open_blocks")" -ge 1
kill "$DPID" && wait "$DPID" 2>/dev/null
DPID=
check "cgnatd stopped, its XDP keeps translating from the pins" pings

# --- dpkg -i again (an upgrade's path): the data plane stays -------------------
dpkg_run -i /tmp/cgnat.deb
check "dpkg -i over the installed package (rc $rc)" test "$rc" = 0
check "prerm upgrade left the pins" test -e "$PIN/cgnat_sessions"
check "... and traffic goes on" pings
check "the edited conffile is kept, without a question" \
	grep -q "^  outside: out0" "$R/etc/cgnat/cgnat.yaml"

# --- dpkg -r: the data plane goes with the package -----------------------------
dpkg_run -r cgnat
check "dpkg -r removes the package (rc $rc)" test "$rc" = 0
check "status: config-files left" \
	test "$(in_root dpkg-query -W -f '${Status}' cgnat)" = "deinstall ok config-files"
check "prerm removed the pins" test ! -e "$PIN"
check "prerm detached XDP from in0 and out0" \
	test -z "$(in_nat ip -o link show | grep -E ' (in0|out0)[:@].*xdp')"
check "traffic through the box stops" no_ping
check "prerm closed the open log rows" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM open_blocks")" = 0
check "... with reason shutdown" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM blocks_text WHERE release_reason = 'shutdown'")" -ge 1
check "the programs are gone" test ! -e "$R/usr/sbin/cgnatd" -a ! -e "$R/usr/bin/cgnatctl"
check "the edited conffile stays" grep -q "^  outside: out0" "$R/etc/cgnat/cgnat.yaml"

# --- dpkg -P: the configuration goes, the compliance log stays ----------------
dpkg_run -P cgnat
check "dpkg -P purges the package (rc $rc)" test "$rc" = 0
check "dpkg no longer knows cgnat" \
	test -z "$(in_root dpkg-query -W -f '${Status}' cgnat 2>/dev/null)"
check "the conffile is gone" test ! -e "$R/etc/cgnat/cgnat.yaml"
check "the compliance log stays ($(sqlite3 "$DB" "SELECT count(*) FROM blocks") closed blocks)" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM blocks")" -ge 1
tb_summary
