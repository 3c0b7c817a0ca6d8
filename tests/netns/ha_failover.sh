#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# ha_failover.sh - an active/standby pair under keepalived (VRRPv3,
# advert 0.1 s), both boxes bridged to the subscriber and internet sides:
#
#   sub --- [brin] --- in0 natA out0 --- [brout] --- inet (S1, S2)
#             \------- in0 natB out0 -------/
#                      natA ha0 === ha0 natB   (sync link, VRRP)
#
# The virtual addresses 100.64.0.1 (inside gateway) and 192.0.2.1 (the
# pool's next hop) move with keepalived; its notify scripts call
# `cgnatctl ha active|standby` and its track script `cgnatctl ha ready`.
# Shown: the first election and bulk sync; an unplanned failover (A's
# traffic links go down) keeps a TCP transfer intact, a UDP stream's gap
# under 1 s and H1's external endpoint; A rejoins as standby and gets a
# bulk sync; a planned handover back to A loses no packet; the takeover
# row is in the log; every captured external ip:port:time resolves on
# both boxes to its true sender, and no port was seen from two
# subscribers.
# HA_BIN_A=DIR runs box A's cgnatd and cgnatctl from DIR (another build):
# a pair of two builds, as during an upgrade (docs/operations.md).
set -u
. "$(dirname "$0")/lib.sh"
NS_NATB=${TB}natb
NS_SW=${TB}sw
PIN_B=${PIN}b
A_TMP=$TB_TMP/a
B_TMP=$TB_TMP/b
mkdir -p "$A_TMP/run" "$B_TMP/run"
command -v keepalived >/dev/null || {
	echo "FAIL: keepalived is not installed (make deps)"
	exit 1
}
cleanup() {
	local p
	for p in "${TB_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${TB_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	"$BIN/cgnatd" --detach --pin-dir "$PIN_B" --run-dir "$B_TMP/run" 2>/dev/null
	rm -rf "$PIN_B" 2>/dev/null
	ip netns del "$NS_NATB" 2>/dev/null
	ip netns del "$NS_SW" 2>/dev/null
	tb_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM
in_natb() { nsenter --net=/var/run/netns/"$NS_NATB" "$@"; }
bin_of() { if [ "$1" = a ]; then echo "${HA_BIN_A:-$BIN}"; else echo "$BIN"; fi; }
in_sw() { nsenter --net=/var/run/netns/"$NS_SW" "$@"; }
bail() {
	fail "$1"
	tail -n 30 "$A_TMP"/*.log "$B_TMP"/*.log
	tb_summary
	exit 1
}
SECS=8

setup() {
	local n ns me
	ip netns add "$NS_SUB" && ip netns add "$NS_NAT" &&
		ip netns add "$NS_NATB" && ip netns add "$NS_INET" &&
		ip netns add "$NS_SW" || return 1
	in_sw sh -e -c "ip link set lo up
		ip link add brin type bridge forward_delay 0 stp_state 0
		ip link add brout type bridge forward_delay 0 stp_state 0
		ip link set brin up; ip link set brout up" || return 1
	ip link add sub0 netns "$NS_SUB" type veth peer name p_sub \
		netns "$NS_SW" || return 1
	ip link add inet0 netns "$NS_INET" type veth peer name p_inet \
		netns "$NS_SW" || return 1
	for n in a b; do
		ns=$NS_NAT me=3
		[ $n = b ] && ns=$NS_NATB me=4
		ip link add in0 netns "$ns" type veth peer name p_in$n \
			netns "$NS_SW" || return 1
		ip link add out0 netns "$ns" type veth peer name p_out$n \
			netns "$NS_SW" || return 1
		# The boxes' own addresses sit outside the subscriber prefix:
		# the virtual ones come and go with keepalived.
		nsenter --net=/var/run/netns/"$ns" sh -e -c "
			ip link set lo up; ip link set in0 up; ip link set out0 up
			ip addr add 192.0.2.12$me/32 dev in0
			ip route add 100.64.0.0/10 dev in0
			ip addr add 192.0.2.$me/24 dev out0
			ip route add default via 192.0.2.2
			ip route add blackhole 203.0.113.0/24
			sysctl -qw net.ipv4.ip_forward=1
			sysctl -qw net.ipv4.conf.all.rp_filter=0
			sysctl -qw net.ipv4.conf.in0.rp_filter=0" || return 1
	done
	in_sw sh -e -c "
		for p in p_sub p_ina p_inb; do ip link set \$p master brin up; done
		for p in p_inet p_outa p_outb; do ip link set \$p master brout up; done
		for p in p_sub p_ina p_inb p_inet p_outa p_outb; do
			ethtool -K \$p gro on tx off >/dev/null; done" || return 1
	ip link add ha0 netns "$NS_NAT" type veth peer name ha0 netns "$NS_NATB"
	in_nat sh -e -c "ip link set ha0 up; ip addr add 192.0.2.253/30 dev ha0"
	in_natb sh -e -c "ip link set ha0 up; ip addr add 192.0.2.254/30 dev ha0"
	in_sub sh -e -c "
		ip link set lo up; ip link set sub0 up
		ip addr add $H1/32 dev lo; ip addr add $H2/32 dev lo
		ip addr add $H3/32 dev lo
		sysctl -qw net.ipv4.conf.all.rp_filter=0
		ip route add default via 100.64.0.1 dev sub0 onlink src $H1
		ethtool -K sub0 gro on tx off >/dev/null" || return 1
	in_inet sh -e -c "
		ip link set lo up; ip link set inet0 up
		ip addr add 192.0.2.2/24 dev inet0
		ip addr add $S1/32 dev lo; ip addr add $S2/32 dev lo
		sysctl -qw net.ipv4.conf.all.rp_filter=0
		ip route add 203.0.113.0/24 via 192.0.2.1 dev inet0
		ethtool -K inet0 gro on tx off >/dev/null" || return 1
}

# keepalived.conf for box $1 (a|b): VRRP on the sync link, the traffic
# links tracked, the role and eligibility through cgnatctl.
ka_conf() {
	local n=$1 prio=150 run=$A_TMP/run bin
	[ "$n" = b ] && prio=100 run=$B_TMP/run
	bin=$(bin_of "$n")
	cat <<EOF
global_defs {
	vrrp_version 3
	script_user root
	enable_script_security
	vrrp_garp_master_repeat 3
	vrrp_garp_master_refresh 0
}
vrrp_script cgnat_ready {
	script "$bin/cgnatctl --run-dir $run ha ready"
	interval 1
	fall 1
	rise 1
}
vrrp_instance cgnat {
	state BACKUP
	nopreempt
	interface ha0
	virtual_router_id 51
	priority $prio
	advert_int 0.1
	track_interface {
		in0
		out0
	}
	track_script {
		cgnat_ready
	}
	virtual_ipaddress {
		100.64.0.1/10 dev in0
		192.0.2.1/24 dev out0
	}
	notify_master "$bin/cgnatctl --run-dir $run ha active"
	notify_backup "$bin/cgnatctl --run-dir $run ha standby"
	notify_fault "$bin/cgnatctl --run-dir $run ha standby"
}
EOF
}

start_ka() {	# start_ka a|b
	local n=$1 dir=$A_TMP ns=$NS_NAT
	[ "$n" = b ] && dir=$B_TMP ns=$NS_NATB
	ka_conf "$n" >"$dir/keepalived.conf"
	nsenter --net=/var/run/netns/"$ns" keepalived -n -l -D --vrrp \
		-f "$dir/keepalived.conf" -p "$dir/ka.pid" -r "$dir/ka-vrrp.pid" \
		>>"$dir/keepalived.log" 2>&1 &
	TB_PIDS+=($!)
}

start_cgnatd() {	# start_cgnatd a|b
	local n=$1 dir=$A_TMP ns=$NS_NAT pin=$PIN pid
	[ "$n" = b ] && dir=$B_TMP ns=$NS_NATB pin=$PIN_B
	nsenter --net=/var/run/netns/"$ns" "$(bin_of "$n")/cgnatd" -c "$dir/cgnat.yaml" \
		--foreground --pin-dir "$pin" --run-dir "$dir/run" \
		>>"$dir/cgnatd.log" 2>&1 &
	pid=$!
	TB_PIDS+=($pid)
	tb_wait 100 grep -qx "$pid" "$dir/run/cgnatd.pid"
}

ha() {	# ha a|b ARGS...: cgnatctl on that box
	local n=$1 dir=$A_TMP pin=$PIN
	shift
	[ "$n" = b ] && dir=$B_TMP pin=$PIN_B
	"$(bin_of "$n")/cgnatctl" -c "$dir/cgnat.yaml" --pin-dir "$pin" \
		--run-dir "$dir/run" "$@"
}
role_is() { ha "$1" ha status | grep -qx "ha_role $2"; }
synced() { ha "$1" ha ready | grep -q "complete sync"; }

[ -n "${HA_BIN_A:-}" ] && echo "box A runs $HA_BIN_A, box B $BIN"
setup || bail "testbed setup"
for n in a b; do
	me=253 peer=254
	[ $n = b ] && me=254 peer=253
	dir=$A_TMP
	[ $n = b ] && dir=$B_TMP
	# H1 and H2 in a PBA pool, H3 in a deterministic one (RFC 7422):
	# both kinds of state go through the sync and the takeover.
	cat >"$dir/cgnat.yaml" <<YAML
interfaces: { inside: in0, outside: out0 }
subscribers: [100.64.0.0/23]
pools:
  - name: pba
    addresses: [203.0.113.1, 203.0.113.2, 203.0.113.3, 203.0.113.4]
    subscribers: [100.64.0.0/24]
  - name: det
    addresses: [203.0.113.8/30]
    subscribers: [100.64.1.0/24]
    mode: deterministic
    ports_per_subscriber: 960
log: { database: $dir/cgnat.db }
ha: { address: 192.0.2.$me, peer: 192.0.2.$peer, port: 7400, refresh: 2s, alone_after: 2s }
ipfix: { collectors: [ { address: 127.0.0.1, port: 4739 } ] }
YAML
done
collect_b() {	# collect_b FILE: B's IPFIX into FILE (a collector on B's lo)
	nsenter --net=/var/run/netns/"$NS_NATB" \
		socat -u UDP-RECV:4739,bind=127.0.0.1 OPEN:"$1",creat &
	COL_B=$!
	TB_PIDS+=($COL_B)
}
events_in() {	# events_in FILE EVENT: records of that natEvent
	"$BIN/ipfix_decode" "$1" 2>/dev/null | grep -c " event=$2 "
}
tb_bg inet $PY "$WHOAMI" serve $S1 7
tb_bg inet $PY "$WHOAMI" serve $S2 7
tb_wait 30 tb_listens in_inet t 7
tb_bg inet tcpdump --immediate-mode -i inet0 -n -w "$TB_TMP/all.pcap" -U \
	-s 200 ip 2>/dev/null
in_natb ip link set lo up
collect_b "$B_TMP/ipfix1.bin"
start_cgnatd a || bail "cgnatd A starts"
start_cgnatd b || bail "cgnatd B starts"
check "both start as standby" role_is a standby
start_ka a
start_ka b

# --- election and bulk sync ----------------------------------------------------
check "keepalived elects A (priority 150): A active" tb_wait 150 role_is a active
check "B connects and completes a bulk sync" tb_wait 150 synced b
check "B stays standby" role_is b standby
r1=$(in_sub $PY "$WHOAMI" udp $H1 5000 $S1 7)
check "A translates H1:5000 ($r1)" grep -q '^203\.0\.113\.' <<<"$r1"
r3=$(in_sub $PY "$WHOAMI" udp $H3 5000 $S1 7)
check "A translates H3:5000 in the deterministic pool ($r3)" \
	grep -q '^203\.0\.113\.\(8\|9\|10\|11\):' <<<"$r3"
in_sub $PY "$TRAFFIC" tagged $S1 7 2 $H1 $H2 $H3 >/dev/null
sleep 1.5	# B's log follows within a second
l=$(ha b lookup "$r1" --at "$(date +%s)" 2>&1)
check "standby B's own log names H1 for $r1 before any takeover ($l)" \
	grep -q "$H1" <<<"$l"
ha a ha status >"$A_TMP/status"
check "A's status: connected standby, nothing unacknowledged" \
	grep -qx "ha_connected 1" "$A_TMP/status"
st=$(ha b status 2>&1)
check "cgnatctl status on B shows the HA line ($(grep '^ha:' <<<"$st"))" \
	grep -q "^ha: .*standby, peer 192.0.2.253:7400 connected" <<<"$st"
check "metrics on A: cgnatd_ha_active 1" \
	grep -qx "cgnatd_ha_active 1" <<<"$(ha a metrics)"

cp "$B_TMP/ipfix1.bin" "$B_TMP/ipfix0.bin"
check "standby B exported no block record ($(events_in "$B_TMP/ipfix0.bin" 16) allocations)" \
	test "$(events_in "$B_TMP/ipfix0.bin" 16)" = 0 -a \
	"$(events_in "$B_TMP/ipfix0.bin" 17)" = 0

# --- unplanned failover: A's traffic links go down -----------------------------
in_sub $PY "$TRAFFIC" tcpstream $H3 $S2 7 $SECS >"$TB_TMP/tcp" 2>&1 &
P1=$!
in_sub $PY "$TRAFFIC" stream $H2 $S1 7 $SECS 200 >"$TB_TMP/udp" 2>&1 &
P2=$!
TB_PIDS+=($P1 $P2)
sleep 2
f_ms=$(date +%s%3N)
in_nat ip link set in0 down
in_nat ip link set out0 down
check "B takes over (keepalived master, cgnatd active)" tb_wait 50 role_is b active
check "A gives up the role (fault: standby)" tb_wait 50 role_is a standby
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
b3=$(in_sub $PY "$WHOAMI" udp $H3 5000 $S1 7)
check "H3:5000 (deterministic) keeps its external endpoint on B ($r3 = $b3)" \
	test "$b3" = "$r3"
rB=$(in_sub $PY "$WHOAMI" udp $H1 5002 $S1 7)
check "B maps a new flow H1:5002 ($rB)" grep -q '^203\.0\.113\.' <<<"$rB"
in_sub $PY "$TRAFFIC" tagged $S1 7 2 $H1 $H2 $H3 >/dev/null
ev=$(ha b --json history $H1 2>/dev/null; sqlite3 "$B_TMP/cgnat.db" \
	"SELECT detail FROM events WHERE type = 8" 2>&1)
check "B's log has the takeover row ($(tail -1 <<<"$ev"))" \
	grep -q "takeover (cgnatctl): synced up to 20" <<<"$ev"

read -r synced_to took <<<"$(sqlite3 -separator ' ' "$B_TMP/cgnat.db" \
	"SELECT value, time_ms FROM events WHERE type = 8 LIMIT 1")"
echo "unplanned failover: takeover $((took - f_ms)) ms after the links went down;" \
	"synced up to $((synced_to - f_ms)) ms after it (flows made on A in" \
	"the last $((f_ms > synced_to ? f_ms - synced_to : 0)) ms before it were not synced)"
held=$(sqlite3 "$B_TMP/cgnat.db" "SELECT detail FROM events WHERE type = 8 LIMIT 1" |
	sed -n 's/.*; \([0-9]*\) blocks held.*/\1/p')
sleep 0.5
n16=$(events_in "$B_TMP/ipfix1.bin" 16)
check "takeover: B sent every held block to IPFIX again ($n16 records, ${held:-?} held)" \
	test "${held:-0}" -gt 0 -a "$n16" -ge "${held:-1}"
w=$(sqlite3 "$B_TMP/cgnat.db" "SELECT (value + time_ms) / 2 FROM events WHERE type = 8 LIMIT 1")
l=$(ha b lookup "$r1" --at "@$((w / 1000)).$(printf %03d $((w % 1000)))" 2>&1)
check "a lookup inside B's unsynchronised window says so ($(tail -1 <<<"$l"))" \
	grep -q "^note: that time falls in an HA unsynchronised window" <<<"$l"
l=$(ha b --json lookup "$r1" --at "@$((w / 1000)).$(printf %03d $((w % 1000)))" 2>&1)
check "... and in JSON" grep -q '"ha_unsynced_window":{"synced_to":"20' <<<"$l"

# --- failback: A rejoins as the standby ----------------------------------------
in_nat ip link set in0 up
in_nat ip link set out0 up
in_nat ip route replace default via 192.0.2.2
check "A rejoins and completes a bulk sync from B" tb_wait 150 synced a
check "A stays standby (nopreempt)" role_is a standby
sleep 1.5

# --- planned handover back to A: nothing lost -----------------------------------
in_sub $PY "$TRAFFIC" tcpstream $H3 $S2 7 $SECS >"$TB_TMP/tcp2" 2>&1 &
P1=$!
in_sub $PY "$TRAFFIC" stream $H2 $S1 7 $SECS 200 >"$TB_TMP/udp2" 2>&1 &
P2=$!
TB_PIDS+=($P1 $P2)
sleep 2
h=$(ha b ha handover 2>&1)
check "handover on B drains the queue ($h)" grep -q "^ok: drained" <<<"$h"
check "A takes over" tb_wait 50 role_is a active
check "B is standby again" tb_wait 50 role_is b standby
wait $P1 $P2
check "TCP transfer across the handover intact ($(cat "$TB_TMP/tcp2"))" \
	grep -q "^ok " "$TB_TMP/tcp2"
read -r _ sent _ got <<<"$(cat "$TB_TMP/udp2")"
lost=$((${sent:-0} - ${got:-0}))
echo "handover: $lost UDP packets lost of $sent at 200/s"
check "UDP stream across the handover: no packet lost ($lost of $sent)" \
	test "${sent:-0}" -gt 0 -a "$lost" -eq 0
a1=$(in_sub $PY "$WHOAMI" udp $H1 5000 $S1 7)
check "after the handover H1:5000 still has $r1 ($a1)" test "$a1" = "$r1"
a2=$(in_sub $PY "$WHOAMI" udp $H1 5002 $S1 7)
check "after the handover H1:5002 (made on B) still has $rB ($a2)" \
	test "$a2" = "$rB"
in_sub $PY "$TRAFFIC" tagged $S1 7 2 $H1 $H2 $H3 >/dev/null
check "B is eligible again after its bulk sync" tb_wait 150 synced b
sleep 1.5

# --- a crash: A's cgnatd killed and its links down while new flows come ---
# Flows made on A after the last MARK B received are the ones a crash can
# lose: each flow is asked again after the takeover; a changed external
# endpoint is a flow the standby never heard of.
in_sub $PY "$TRAFFIC" flowmap $H2 $S1 7 20000 100 50 >"$TB_TMP/flows1" &
P1=$!
TB_PIDS+=($P1)
sleep 1
f_ms=$(date +%s%3N)
kill -KILL "$(cat "$A_TMP/run/cgnatd.pid")"
in_nat ip link set in0 down
in_nat ip link set out0 down
check "B takes over after A's crash" tb_wait 50 role_is b active
wait $P1
in_sub $PY "$TRAFFIC" flowmap $H2 $S1 7 20000 100 1000 >"$TB_TMP/flows2"
made=$(awk '$2 != "-"' "$TB_TMP/flows1" | wc -l)
lost=$(join "$TB_TMP/flows1" "$TB_TMP/flows2" | awk '$2 != "-" && $2 != $3' | wc -l)
read -r synced_to took <<<"$(sqlite3 -separator ' ' "$B_TMP/cgnat.db" \
	"SELECT value, time_ms FROM events WHERE type = 8 ORDER BY id DESC LIMIT 1")"
echo "crash: takeover $((took - f_ms)) ms after it, synced up to" \
	"$((f_ms - synced_to)) ms before it; $lost of $made new flows (50/s)" \
	"made on A lost their external endpoint"
check "crash: at most the last 0.5 s of new flows lost ($lost of $made)" \
	test "$made" -ge 40 -a "$lost" -le 25

# --- every captured packet, on both boxes --------------------------------------
sleep 0.5
for n in a b; do
	dir=$A_TMP pin=$PIN
	[ $n = b ] && dir=$B_TMP pin=$PIN_B
	r=$($PY "$TRAFFIC" lookups "$TB_TMP/all.pcap" "$(bin_of $n)/cgnatctl" \
		-c "$dir/cgnat.yaml" --pin-dir "$pin" --run-dir "$dir/run")
	echo "$r"
	read -r _ np _ nc _ nu _ nw _ ns <<<"$r"
	check "lookup on $n of every tagged captured packet names its sender ($(head -1 <<<"$r"))" \
		test "${nc:-0}" -ge 30 -a "$nw" = 0
	check "no external port was seen from two subscribers (box $n: ${ns:-?})" \
		test "${ns:-1}" = 0
done
tb_summary
