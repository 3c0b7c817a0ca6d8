#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# ha_failover.sh - an unplanned failover between two cgnat boxes that
# share the subscriber and internet sides:
#
#   sub --subA0-- natA --out0-- inetA0 \
#       \                               inet (S1, S2)
#        -subB0-- natB --out0-- inetB0 /
#
# Both nat namespaces carry the same addresses (100.64.0.1 inside,
# 192.0.2.1 outside), as a VRRP pair's virtual addresses would; the test
# moves the subscribers' default route and the internet's pool route from
# A to B (what keepalived's address move does; keepalived itself is not
# here yet). A runs cgnatd and cgnat-hasync syncs it to B's bare data
# plane. Mid-transfer A's links go down and traffic moves to B; cgnatd then
# takes over on B's pins. A TCP transfer must finish with its sha256
# intact, a UDP stream loses at most 1 s of packets (the gap is printed),
# H1's UDP mapping keeps its external address:port, and lookup on B names
# H1 for it. Then failback: A rejoins as the standby, gets a bulk sync
# (its stale state replaced), and a second failover back to A keeps a new
# TCP transfer and UDP stream, H1's endpoint and one B made; lookup on A
# names H1 for both.
set -u
. "$(dirname "$0")/lib.sh"
NS_NATB=${TB}natb
PIN_B=${PIN}b
B_TMP=$TB_TMP/b
mkdir -p "$B_TMP"
cleanup() {
	local p
	for p in "${TB_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${TB_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	"$BIN/cgnatd" --detach --pin-dir "$PIN_B" --run-dir "$B_TMP/run" 2>/dev/null
	rm -rf "$PIN_B" 2>/dev/null
	ip netns del "$NS_NATB" 2>/dev/null
	tb_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM
b_pid_is() { [ "$(cat "$B_TMP/run/cgnatd.pid" 2>/dev/null)" = "$1" ]; }
in_natb() { nsenter --net=/var/run/netns/"$NS_NATB" "$@"; }
bail() {
	fail "$1"
	tail -n 20 "$TB_TMP"/*.log "$B_TMP"/*.log
	tb_summary
	exit 1
}
SECS=6

setup() {
	local n
	ip netns add "$NS_SUB" && ip netns add "$NS_NAT" &&
		ip netns add "$NS_NATB" && ip netns add "$NS_INET" || return 1
	for n in A B; do
		local ns=$NS_NAT
		[ $n = B ] && ns=$NS_NATB
		ip link add sub${n}0 netns "$NS_SUB" type veth peer name in0 \
			netns "$ns" || return 1
		ip link add out0 netns "$ns" type veth peer name inet${n}0 \
			netns "$NS_INET" || return 1
		nsenter --net=/var/run/netns/"$ns" sh -e -c "
			ip link set lo up; ip link set in0 up; ip link set out0 up
			ip addr add 100.64.0.1/10 dev in0
			ip addr add 192.0.2.1/24 dev out0
			ip route add default via 192.0.2.2
			ip route add blackhole 203.0.113.0/24
			sysctl -qw net.ipv4.ip_forward=1
			sysctl -qw net.ipv4.conf.all.rp_filter=0
			sysctl -qw net.ipv4.conf.in0.rp_filter=0" || return 1
	done
	ip link add ha0 netns "$NS_NAT" type veth peer name ha0 netns "$NS_NATB"
	in_nat sh -e -c "ip link set ha0 up; ip addr add 192.0.2.253/30 dev ha0"
	in_natb sh -e -c "ip link set ha0 up; ip addr add 192.0.2.254/30 dev ha0"
	in_sub sh -e -c "
		ip link set lo up; ip link set subA0 up; ip link set subB0 up
		ip addr add $H1/32 dev lo; ip addr add $H2/32 dev lo
		ip addr add $H3/32 dev lo
		sysctl -qw net.ipv4.conf.all.rp_filter=0
		ip route add default via 100.64.0.1 dev subA0 onlink
		ethtool -K subA0 gro on tx off >/dev/null
		ethtool -K subB0 gro on tx off >/dev/null" || return 1
	in_inet sh -e -c "
		ip link set lo up; ip link set inetA0 up; ip link set inetB0 up
		ip addr add 192.0.2.2/24 dev inetA0
		ip addr add 192.0.2.2/24 dev inetB0 noprefixroute
		ip addr add $S1/32 dev lo; ip addr add $S2/32 dev lo
		sysctl -qw net.ipv4.conf.all.rp_filter=0
		ip route add 203.0.113.0/24 via 192.0.2.1 dev inetA0
		ethtool -K inetA0 gro on tx off >/dev/null
		ethtool -K inetB0 gro on tx off >/dev/null" || return 1
}

setup || bail "testbed setup"
CFG=$TB_TMP/a.yaml
tb_yaml "$CFG"
DB_B=$B_TMP/cgnat.db
CFG_B=$B_TMP/b.yaml
DB=$DB_B tb_yaml "$CFG_B"
tb_bg inet $PY "$WHOAMI" serve $S1 7
tb_bg inet $PY "$WHOAMI" serve $S2 7
tb_wait 30 in_inet ss -ltn "sport = :7" | grep -q LISTEN

# B: attached, empty, no cgnatd.
nsenter --net=/var/run/netns/"$NS_NATB" "$BIN/cgnatd" -c "$CFG_B" --foreground --pin-dir "$PIN_B" \
	--run-dir "$B_TMP/run" >>"$B_TMP/cgnatd.log" 2>&1 &
BPID=$!
TB_PIDS+=($BPID)
tb_wait 100 b_pid_is "$BPID" ||
	bail "cgnatd B starts"
kill "$BPID"
wait "$BPID" 2>/dev/null
tb_cgnatd "$CFG" || bail "cgnatd A starts"

r1=$(in_sub $PY "$WHOAMI" udp $H1 5000 $S1 7)
check "A translates H1:5000 ($r1)" grep -q '^203\.0\.113\.' <<<"$r1"
nsenter --net=/var/run/netns/"$NS_NAT" "$BIN/cgnat-hasync" -c "$CFG" --pin-dir "$PIN" active 192.0.2.253 \
	7400 200 >"$TB_TMP/hasync.log" 2>&1 &
TB_PIDS+=($!)
nsenter --net=/var/run/netns/"$NS_NATB" "$BIN/cgnat-hasync" -c "$CFG_B" \
	--pin-dir "$PIN_B" --state "$B_TMP/ha.state" standby \
	192.0.2.253 7400 >"$B_TMP/hasync.out" 2>"$B_TMP/hasync.log" &
SB=$!
TB_PIDS+=($SB)
check "standby B is ready" tb_wait 100 grep -q '^ready' "$B_TMP/hasync.out"
check "B's state file says ready (for a keepalived track script)" \
	grep -qx ready "$B_TMP/ha.state"

in_sub $PY "$TRAFFIC" tcpstream $H3 $S2 7 $SECS >"$TB_TMP/tcp" 2>&1 &
P1=$!
in_sub $PY "$TRAFFIC" stream $H2 $S1 7 $SECS 200 >"$TB_TMP/udp" 2>&1 &
P2=$!
TB_PIDS+=($P1 $P2)
sleep 2

# Unplanned: A's links go down, the routes move to B.
in_nat ip link set in0 down
in_nat ip link set out0 down
in_sub ip route replace default via 100.64.0.1 dev subB0 onlink ||
	fail "subscriber route to B"
in_inet ip route replace 203.0.113.0/24 via 192.0.2.1 dev inetB0 onlink ||
	fail "internet route to B"
sleep 1
# Takeover: B's sync stops, cgnatd starts on its pins.
kill "$SB"
wait "$SB" 2>/dev/null
nsenter --net=/var/run/netns/"$NS_NATB" "$BIN/cgnatd" -c "$CFG_B" --foreground --pin-dir "$PIN_B" \
	--run-dir "$B_TMP/run" >>"$B_TMP/cgnatd.log" 2>&1 &
BPID=$!
TB_PIDS+=($BPID)
check "cgnatd B takes over" tb_wait 100 b_pid_is "$BPID"

wait $P1 $P2
check "TCP transfer across the failover intact ($(cat "$TB_TMP/tcp"))" \
	grep -q "^ok " "$TB_TMP/tcp"
read -r _ sent _ got <<<"$(cat "$TB_TMP/udp")"
lost=$((${sent:-0} - ${got:-0}))
echo "failover gap: $lost UDP packets at 200/s = $((lost * 5)) ms"
check "UDP stream across the failover: gap at most 1 s ($lost lost of $sent)" \
	test "${sent:-0}" -gt 0 -a "$lost" -le 200
b1=$(in_sub $PY "$WHOAMI" udp $H1 5000 $S1 7)
check "H1:5000 keeps its external endpoint on B ($r1 = $b1)" test "$b1" = "$r1"
rB=$(in_sub $PY "$WHOAMI" udp $H1 5002 $S1 7)
check "B maps a new flow H1:5002 ($rB)" grep -q '^203\.0\.113\.' <<<"$rB"
sleep 0.5
l=$(nsenter --net=/var/run/netns/"$NS_NATB" "$BIN/cgnatctl" --pin-dir "$PIN_B" \
	--run-dir "$B_TMP/run" --db "$DB_B" lookup "$r1" --at "$(date +%s)" 2>&1)
check "lookup $r1 on B names H1 ($l)" grep -q "$H1" <<<"$l"

# --- failback ------------------------------------------------------------------
# A comes back as the standby: its cgnatd stops, its links come up (no
# traffic: the routes point at B), it rejoins and gets a bulk sync that
# replaces its stale state with B's.
tb_stop_cgnatd TERM
in_nat ip link set in0 up
in_nat ip link set out0 up
# A link down took A's default route with it; its network config puts
# it back, as a box's boot would.
in_nat ip route replace default via 192.0.2.2
nsenter --net=/var/run/netns/"$NS_NATB" "$BIN/cgnat-hasync" -c "$CFG_B" \
	--pin-dir "$PIN_B" active 192.0.2.254 7400 200 >"$B_TMP/hasync-a.log" 2>&1 &
TB_PIDS+=($!)
nsenter --net=/var/run/netns/"$NS_NAT" "$BIN/cgnat-hasync" -c "$CFG" \
	--pin-dir "$PIN" standby 192.0.2.254 7400 >"$TB_TMP/hasync-sb.out" \
	2>"$TB_TMP/hasync-sb.log" &
SA=$!
TB_PIDS+=($SA)
check "A rejoins and is ready after a bulk sync" \
	tb_wait 100 grep -q '^ready' "$TB_TMP/hasync-sb.out"
check "B's sync process sent A a bulk sync" grep -q "bulk sync" "$B_TMP/hasync-a.log"

in_sub $PY "$TRAFFIC" tcpstream $H3 $S2 7 $SECS >"$TB_TMP/tcp2" 2>&1 &
P1=$!
in_sub $PY "$TRAFFIC" stream $H2 $S1 7 $SECS 200 >"$TB_TMP/udp2" 2>&1 &
P2=$!
TB_PIDS+=($P1 $P2)
sleep 2
in_natb ip link set in0 down
in_natb ip link set out0 down
in_sub ip route replace default via 100.64.0.1 dev subA0 onlink ||
	fail "subscriber route back to A"
in_inet ip route replace 203.0.113.0/24 via 192.0.2.1 dev inetA0 onlink ||
	fail "internet route back to A"
sleep 1
kill "$SA"
wait "$SA" 2>/dev/null
check "cgnatd A takes over again" tb_cgnatd "$CFG"
wait $P1 $P2
check "TCP transfer across the failback intact ($(cat "$TB_TMP/tcp2"))" \
	grep -q "^ok " "$TB_TMP/tcp2"
read -r _ sent _ got <<<"$(cat "$TB_TMP/udp2")"
lost=$((${sent:-0} - ${got:-0}))
echo "failback gap: $lost UDP packets at 200/s = $((lost * 5)) ms"
check "UDP stream across the failback: gap at most 1 s ($lost lost of $sent)" \
	test "${sent:-0}" -gt 0 -a "$lost" -le 200
a1=$(in_sub $PY "$WHOAMI" udp $H1 5000 $S1 7)
check "after failback H1:5000 still has $r1 ($a1)" test "$a1" = "$r1"
a2=$(in_sub $PY "$WHOAMI" udp $H1 5002 $S1 7)
check "after failback H1:5002 (made on B) still has $rB ($a2)" test "$a2" = "$rB"
sleep 0.5
for e in "$r1" "$rB"; do
	l=$(ctl lookup "$e" --at "$(date +%s)" 2>&1)
	check "lookup $e on A names H1 ($l)" grep -q "$H1" <<<"$l"
done
tb_summary
