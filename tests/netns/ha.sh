#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# ha.sh - state sync between two cgnat boxes, each a testbed of its own
# (lib.sh: sub / nat / inet), joined by a sync link between the two nat
# namespaces (192.0.2.252/30). Box A runs cgnatd; box B's cgnatd is
# started and stopped, leaving its XDP attached on its pins with no state.
# cgnat-hasync syncs A to B (bulk, then the periodic refresh). Then B's
# data plane, with no cgnatd, translates the same subscribers' UDP flows
# to the same external address:port as A did (what a server sees), for a
# flow made before the bulk and one made after it; cgnatd started on B's
# pins (the takeover) keeps them, and `cgnatctl lookup` on either box
# names the true sender of each external address:port now, with the same
# holding (block and assigned time) on both.
# Not here yet: keepalived, address moves, TCP, failback (README).
set -u
. "$(dirname "$0")/lib.sh"
A_TB=$TB
A_PIN=$PIN
A_TMP=$TB_TMP
B_TMP=$TB_TMP/b
mkdir -p "$B_TMP"
use() {	# use a|b: the testbed the lib.sh helpers act on
	if [ "$1" = a ]; then
		TB=$A_TB PIN=$A_PIN TB_TMP=$A_TMP
	else
		TB=${A_TB}b PIN=${A_PIN}b TB_TMP=$B_TMP
	fi
	RUN=$TB_TMP/run DB=$TB_TMP/cgnat.db
	NS_SUB=${TB}sub NS_NAT=${TB}nat NS_INET=${TB}inet
}
cleanup() {
	local p
	for p in "${TB_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${TB_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	use b
	"$BIN/cgnatd" --detach --pin-dir "$PIN" --run-dir "$RUN" 2>/dev/null
	rm -rf "$PIN" 2>/dev/null
	ip netns del "$NS_SUB" 2>/dev/null
	ip netns del "$NS_NAT" 2>/dev/null
	ip netns del "$NS_INET" 2>/dev/null
	use a
	tb_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM
CFG_A=$A_TMP/a.yaml
CFG_B=$B_TMP/b.yaml

bail() {
	fail "$1"
	tail -20 "$A_TMP"/*.log "$B_TMP"/*.log 2>/dev/null
	tb_summary
	exit 1
}

use a
tb_up || bail "testbed A setup"
tb_yaml "$CFG_A"
tb_bg inet $PY "$WHOAMI" serve $S1 7
use b
tb_up || bail "testbed B setup"
tb_yaml "$CFG_B"
tb_bg inet $PY "$WHOAMI" serve $S1 7
ip link add ha0 netns ${A_TB}nat type veth peer name ha0 netns ${A_TB}bnat ||
	bail "sync link"
nsenter --net=/var/run/netns/${A_TB}nat sh -e -c "
	ip link set ha0 up; ip addr add 192.0.2.253/30 dev ha0" || bail "sync link A"
nsenter --net=/var/run/netns/${A_TB}bnat sh -e -c "
	ip link set ha0 up; ip addr add 192.0.2.254/30 dev ha0" || bail "sync link B"
for b in a b; do
	use $b
	tb_wait 30 in_inet ss -lun "sport = :7" | grep -q 7 || true
done

# B: a data plane with nothing in it, attached, no cgnatd.
use b
tb_cgnatd "$CFG_B" || bail "cgnatd B starts"
tb_stop_cgnatd TERM
# A: the active.
use a
tb_cgnatd "$CFG_A" || bail "cgnatd A starts"
A_PID=$CGNATD_PID

r1=$(in_sub $PY "$WHOAMI" udp $H1 5000 $S1 7)
check "A translates H1:5000 ($r1)" grep -q '^203\.0\.113\.' <<<"$r1"

nsenter --net=/var/run/netns/${A_TB}nat "$BIN/cgnat-hasync" -c "$CFG_A" \
	--pin-dir "$A_PIN" active 192.0.2.253 7400 200 >"$A_TMP/hasync.log" 2>&1 &
TB_PIDS+=($!)
nsenter --net=/var/run/netns/${A_TB}bnat "$BIN/cgnat-hasync" -c "$CFG_B" \
	--pin-dir "${A_PIN}b" standby 192.0.2.253 7400 >"$B_TMP/hasync.out" \
	2>"$B_TMP/hasync.log" &
SB_PID=$!
TB_PIDS+=($SB_PID)
check "standby B is ready after the bulk sync" \
	tb_wait 100 grep -q '^ready' "$B_TMP/hasync.out"
check "A's sync process saw a bulk sync" grep -q "bulk sync" "$A_TMP/hasync.log"

# A flow made after the bulk: it reaches B through the refresh cycle.
r2=$(in_sub $PY "$WHOAMI" udp $H2 5001 $S1 7)
check "A translates H2:5001 ($r2)" grep -q '^203\.0\.113\.' <<<"$r2"
sleep 0.8

# B serves both with the same external address:port, without cgnatd.
use b
b1=$(in_sub $PY "$WHOAMI" udp $H1 5000 $S1 7)
check "B keeps H1:5000's external endpoint ($r1 = $b1)" test "$b1" = "$r1"
b2=$(in_sub $PY "$WHOAMI" udp $H2 5001 $S1 7)
check "B keeps H2:5001's external endpoint ($r2 = $b2)" test "$b2" = "$r2"

# Takeover: the standby's sync stops, cgnatd starts on B's pins.
kill "$SB_PID"
wait "$SB_PID" 2>/dev/null
check "cgnatd B takes over on the synced pins" tb_cgnatd "$CFG_B"
check "B's start reused the pins" \
	test "$(grep -c "reused maps" "$B_TMP/cgnatd.log")" = 1
b1=$(in_sub $PY "$WHOAMI" udp $H1 5000 $S1 7)
check "after the takeover H1:5000 keeps its endpoint ($b1)" test "$b1" = "$r1"
b3=$(in_sub $PY "$WHOAMI" udp $H1 5002 $S1 7)
check "a new flow on B gets an endpoint ($b3)" grep -q '^203\.0\.113\.' <<<"$b3"
check "and not one A gave to another flow" test "$b3" != "$r1" -a "$b3" != "$r2"
sleep 0.5

# Lookup on either box names the true sender.
now=$(date +%s)
for box in a b; do
	use $box
	l1=$(ctl lookup "$r1" --at "$now" 2>&1)
	check "lookup $r1 on box $box names H1 ($l1)" grep -q "$H1" <<<"$l1"
	l2=$(ctl lookup "$r2" --at "$now" 2>&1)
	check "lookup $r2 on box $box names H2 ($l2)" grep -q "$H2" <<<"$l2"
	eval "L1_$box=\$l1 L2_$box=\$l2"
done
# The same holding on both (block, assigned time), not a new one on B.
check "both boxes answer with the same holding" \
	test "$L1_a" = "$L1_b" -a "$L2_a" = "$L2_b"
use a
tb_summary
