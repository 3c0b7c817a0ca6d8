# SPDX-License-Identifier: GPL-2.0
# lib.sh - the namespace testbed shared by the netns tests and the demo.
#
#   sub  (subscribers)  sub0  100.64.0.10 H1, 100.64.0.11 H2, 100.64.1.10 H3
#     |  veth
#   nat  (cgnat)        in0 100.64.0.1/10 | out0 192.0.2.1/24, XDP on both
#     |  veth
#   inet (internet)     inet0 192.0.2.2/24 (R); lo: S1 198.51.100.10,
#                       S2 198.51.100.20; routes 203.0.113.0/24 to nat
#
# The end hosts turn GRO on (a frame redirected into a veth is lost unless
# its peer has GRO or XDP) and TX checksum offload off: a local socket on
# veth leaves a partial checksum that XDP redirect cannot finish, which a
# real NIC never hands to XDP.
#
# Names carry the PID so runs never collide; tb_cleanup removes every
# namespace, pin and process the test started (by PID), also on failure.
# Nothing is ever routed from the root namespace.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${BIN:-$ROOT/build/bin}
PY=/usr/bin/python3
WHOAMI=$ROOT/tests/netns/whoami.py
TRAFFIC=$ROOT/tests/netns/traffic.py
LOGCHECK=$ROOT/tests/netns/logcheck.py
TB=cgt$$
NS_SUB=${TB}sub
NS_NAT=${TB}nat
NS_INET=${TB}inet
PIN=/sys/fs/bpf/cgnat-test-$$
H1=100.64.0.10
H2=100.64.0.11
H3=100.64.1.10
S1=198.51.100.10
S2=198.51.100.20
TB_PIDS=()
TB_TMP=$(mktemp -d)
PASSED=0
FAILED=0

in_sub() { ip netns exec "$NS_SUB" "$@"; }
in_inet() { ip netns exec "$NS_INET" "$@"; }
# The nat namespace keeps the host's mounts (bpffs) - see DEVELOPERS trap.
in_nat() { nsenter --net=/var/run/netns/"$NS_NAT" "$@"; }
# tb_listens IN t|u PORT: a socket listens on PORT in the namespace that
# IN (in_inet, in_nat, ...) enters. A predicate for tb_wait, which reruns
# one command: a pipe after tb_wait would test only its first run.
tb_listens() { "$1" ss -H "-l${2}n" "sport = :$3" | grep -q .; }

# quiet CMD...: CMD with its stdout dropped, for check: a redirect after
# check would drop check's own PASS or FAIL line with it.
quiet() { "$@" >/dev/null; }
pass() { echo "PASS: $*"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }
check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

tb_bg() {	# tb_bg NS cmd... : start in background, remember the PID
	local ns=$1
	shift
	if [ "$ns" = nat ]; then
		nsenter --net=/var/run/netns/"$NS_NAT" "$@" &
	else
		ip netns exec "${TB}$ns" "$@" &
	fi
	TB_PIDS+=($!)
}

tb_cleanup() {
	local p
	for p in "${TB_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${TB_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	[ -x "$BIN/cgnatd" ] &&
		"$BIN/cgnatd" --detach --pin-dir "$PIN" --run-dir "$RUN" 2>/dev/null
	rm -rf "$PIN" 2>/dev/null
	ip netns del "$NS_SUB" 2>/dev/null
	ip netns del "$NS_NAT" 2>/dev/null
	ip netns del "$NS_INET" 2>/dev/null
	rm -rf "$TB_TMP"
}

tb_summary() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

tb_up() {
	ip netns add "$NS_SUB" && ip netns add "$NS_NAT" && ip netns add "$NS_INET" || return 1
	in_sub ip link set lo up && in_inet ip link set lo up || return 1
	in_nat sh -e -c "
		ip link set lo up
		ip route add blackhole 203.0.113.0/24
		sysctl -qw net.ipv4.ip_forward=1
		sysctl -qw net.ipv4.conf.all.rp_filter=0" || return 1
	in_inet sh -e -c "ip addr add $S1/32 dev lo; ip addr add $S2/32 dev lo" ||
		return 1
	tb_links
}

# The two veth pairs with their addresses and routes; run again after
# tb_unlink it builds them anew (new ifindexes, new MACs), as a VLAN, bond
# or driver reload does on a real box.
tb_links() {
	ip link add sub0 netns "$NS_SUB" type veth peer name in0 netns "$NS_NAT" || return 1
	ip link add out0 netns "$NS_NAT" type veth peer name inet0 netns "$NS_INET" || return 1
	in_sub sh -e -c "
		ip link set sub0 up
		ip addr add $H1/10 dev sub0; ip addr add $H2/10 dev sub0
		ip addr add $H3/10 dev sub0
		ip route add default via 100.64.0.1
		ethtool -K sub0 gro on tx off >/dev/null" || return 1
	in_nat sh -e -c "
		ip link set in0 up; ip link set out0 up
		ip addr add 100.64.0.1/10 dev in0; ip addr add 192.0.2.1/24 dev out0
		ip route add default via 192.0.2.2
		sysctl -qw net.ipv4.conf.in0.rp_filter=0" || return 1
	in_inet sh -e -c "
		ip link set inet0 up
		ip addr add 192.0.2.2/24 dev inet0
		ip route add 203.0.113.0/24 via 192.0.2.1
		ethtool -K inet0 gro on tx off >/dev/null" || return 1
}

# Deletes both veth pairs (each end goes with its peer).
tb_unlink() {
	in_nat ip link del in0 && in_nat ip link del out0
}

# Waits until 'cmd' succeeds, at most $1 tenths of a second.
tb_wait() {
	local n=$1
	shift
	while [ "$n" -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# --- cgnatd in the testbed ---------------------------------------------------
# tb_yaml FILE [YAML lines...]: a configuration for the testbed (pool
# 203.0.113.1-4, database and IPFIX collector private to the test); extra
# lines are appended at top level (e.g. "timeouts: { udp: 5s }").
CGNATD_PID=
RUN=$TB_TMP/run
DB=$TB_TMP/cgnat.db
tb_yaml() {
	local f=$1
	shift
	{
		echo "interfaces: { inside: in0, outside: out0 }"
		echo "subscribers: [100.64.0.0/10]"
		echo "pools:"
		echo "  - name: test"
		echo "    addresses: [${TB_POOL:-203.0.113.1, 203.0.113.2, 203.0.113.3, 203.0.113.4}]"
		echo "log: { database: $DB${TB_LOG:+, $TB_LOG} }"
		printf '%s\n' "$@"
	} >"$f"
}

# tb_cgnatd CONFIG [ARGS...]: start cgnatd in the nat namespace (private
# pins and run dir), wait until it has attached; its log goes to
# $TB_TMP/cgnatd.log. CGNATD_PID is its PID.
tb_cgnatd() {
	local cfg=$1
	shift
	nsenter --net=/var/run/netns/"$NS_NAT" "$BIN/cgnatd" -c "$cfg" \
		--foreground --pin-dir "$PIN" --run-dir "$RUN" "$@" \
		>>"$TB_TMP/cgnatd.log" 2>&1 &
	CGNATD_PID=$!
	TB_PIDS+=($CGNATD_PID)
	tb_wait 100 tb_pid_is "$CGNATD_PID"
}
# tb_must WHAT CMD...: CMD must succeed, else the test ends here (with
# cgnatd's log, if any): for the setup the rest of a test stands on.
tb_must() {
	local what=$1
	shift
	"$@" && return 0
	fail "$what"
	[ -f "$TB_TMP/cgnatd.log" ] && cat "$TB_TMP/cgnatd.log"
	tb_summary
	exit 1
}
tb_pid_is() { [ "$(cat "$RUN/cgnatd.pid" 2>/dev/null)" = "$1" ]; }

# tb_sweep KEY: the "sweep" object's KEY in cgnatctl status --json
# (completed, last_sessions_seen, ...; from cgnatd's stats file).
tb_sweep() {
	ctl --json status | $PY -c '
import json, sys
print(json.load(sys.stdin)["cgnatd"]["sweep"][sys.argv[1]])' "$1"
}

# tb_stop_cgnatd [SIGNAL]: stop it (TERM by default) and wait for it.
tb_stop_cgnatd() {
	[ -n "$CGNATD_PID" ] || return 0
	kill -"${1:-TERM}" "$CGNATD_PID" 2>/dev/null
	wait "$CGNATD_PID" 2>/dev/null
	CGNATD_PID=
}

# ctl ARGS...: cgnatctl on the testbed's pins, run dir and database.
ctl() {
	nsenter --net=/var/run/netns/"$NS_NAT" "$BIN/cgnatctl" \
		--pin-dir "$PIN" --run-dir "$RUN" --db "$DB" "$@"
}

# tb_dpstat NAME: the data plane's counter NAME (cgnat_dataplane_total).
tb_dpstat() {
	ctl metrics | sed -n "s/^cgnat_dataplane_total{counter=\"$1\"} //p"
}
# tb_drops REASON: the data plane's drops for REASON (cgnat_drops_total).
tb_drops() {
	ctl metrics | sed -n "s/^cgnat_drops_total{reason=\"$1\"} //p"
}
# tb_dstat KEY: KEY of cgnatd's stats file (rewritten every 5 s).
tb_dstat() { awk -v k="$1" '$1 == k { print $2 }' "$RUN/cgnatd.stats"; }

# Run as a script (tests/run.sh runs every *.sh here), it only cleans up.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then rm -rf "$TB_TMP"; fi
