#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# restart.sh - cgnatd restarted cleanly (SIGTERM) and killed with SIGKILL
# under steady ping, UDP and TCP traffic, with new subscribers arriving
# while it is down. No packet may be lost, the XDP program is swapped in
# place (what an upgrade does), and once cgnatd is back every block the
# data plane holds has its open row in the log with the kernel's assign
# time, and no open row lacks its block. The IPFIX a collector received
# across both restarts matches the log record for record.
set -u
. "$(dirname "$0")/lib.sh"
trap tb_cleanup EXIT
trap 'exit 1' INT TERM
CFG=$TB_TMP/cgnat.yaml
SECS=9

tb_must "testbed setup" tb_up
seq -f 'addr add 100.64.3.%g/10 dev sub0' 1 16 | in_sub ip -batch -
tb_yaml "$CFG" "ipfix: { collectors: [ { address: 127.0.0.1, port: 4739 } ] }"
tb_bg inet $PY "$WHOAMI" serve $S1 7
tb_bg inet $PY "$WHOAMI" serve $S2 7
tb_bg nat socat -u UDP-RECV:4739,bind=127.0.0.1 OPEN:"$TB_TMP/ipfix.bin",creat
tb_wait 30 tb_listens in_inet t 7
tb_must "cgnatd starts" tb_cgnatd "$CFG"

prog_id() { in_nat ip link show in0 | grep -o 'prog/xdp id [0-9]*'; }
invariant() {	# invariant WHAT: held blocks and open rows agree
	local r
	ctl --json blocks >"$TB_TMP/blocks.json"
	r=$($PY "$LOGCHECK" held "$DB" "$TB_TMP/blocks.json")
	echo "$r" | sed 1d
	check "$1: every held block has its open row and back ($(head -1 <<<"$r"))" \
		grep -q "missing_rows 0 orphan_rows 0" <<<"$r"
}
newsubs() {	# newsubs WHAT SUB...: tagged traffic from new subscribers
	local r n=$(($# - 1))
	r=$(in_sub $PY "$TRAFFIC" tagged $S1 7 1 "${@:2}")
	check "$1: $n new subscribers get through ($r)" \
		test "$r" = "sent $((n * 3)) answered $((n * 3))"
}

in_sub $PY "$WHOAMI" udp $H1 5000 $S1 7 >/dev/null
in_sub $PY "$WHOAMI" udp $H2 5000 $S1 7 >/dev/null
in_sub $PY "$WHOAMI" udp $H3 5000 $S2 7 >/dev/null
# Steady traffic on established mappings for $SECS seconds.
in_sub ping -i 0.01 -c $((SECS * 100)) -W 2 -q -I $H1 $S1 >"$TB_TMP/ping" 2>&1 &
P1=$!
in_sub $PY "$TRAFFIC" stream $H2 $S1 7 $SECS 200 >"$TB_TMP/udp" 2>&1 &
P2=$!
in_sub $PY "$TRAFFIC" tcpstream $H3 $S2 7 $SECS >"$TB_TMP/tcp" 2>&1 &
P3=$!
TB_PIDS+=($P1 $P2 $P3)
sleep 1

# --- a clean restart ---------------------------------------------------------------
id0=$(prog_id)
tb_stop_cgnatd TERM
st=$(ctl status 2>&1)
check "while cgnatd is down, status says it is not running" \
	grep -q "cgnatd:       not running" <<<"$st"
check "while cgnatd is down, the data plane stays attached" \
	grep -q "data plane:   attached" <<<"$st"
newsubs "cgnatd stopped" 100.64.3.1 100.64.3.2 100.64.3.3
sleep 0.5
check "cgnatd restarts on the pinned maps" tb_cgnatd "$CFG"
check "restart reuses the pins" grep -q "reused maps" "$TB_TMP/cgnatd.log"
id1=$(prog_id)
check "restart swaps the XDP program in place ($id0 -> $id1)" \
	test -n "$id1" -a "$id0" != "$id1"
sleep 0.5
invariant "after a clean restart"

# --- kill -9 ------------------------------------------------------------------------
# Killed while ten new subscribers are taking blocks, three more arrive
# while it is down.
sleep 0.5
in_sub $PY "$TRAFFIC" tagged $S1 7 1 $(seq -f 100.64.3.%g 4 13) >"$TB_TMP/burst" &
P4=$!
TB_PIDS+=($P4)
sleep 0.1
tb_stop_cgnatd KILL
newsubs "cgnatd killed" 100.64.3.14 100.64.3.15 100.64.3.16
wait $P4
check "10 subscribers arriving across the kill get through ($(cat "$TB_TMP/burst"))" \
	test "$(cat "$TB_TMP/burst")" = "sent 30 answered 30"
sleep 0.5
check "cgnatd starts again after SIGKILL" tb_cgnatd "$CFG"
sleep 0.5
invariant "after kill -9"
check "the start reconciled the log with the block table" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE type = 6")" -ge 3

# --- the traffic -------------------------------------------------------------------
wait $P1 $P2 $P3
r=$(grep -o '[0-9]* packets transmitted, [0-9]* received' "$TB_TMP/ping")
check "ping across both restarts: no loss ($r)" \
	grep -q " 0% packet loss" "$TB_TMP/ping"
r=$(cat "$TB_TMP/udp")
check "UDP stream across both restarts: no loss ($r)" \
	test "$r" = "sent $((SECS * 200)) answered $((SECS * 200))"
check "TCP stream across both restarts intact ($(cat "$TB_TMP/tcp"))" \
	grep -q "^ok " "$TB_TMP/tcp"
st=$(ctl --json status)
check "no packet dropped by the data plane" \
	$PY -c 'import json,sys; d=json.load(sys.stdin)["drops"]; sys.exit(any(v for k, v in d.items() if k not in ("unsolicited",)))' <<<"$st"

# --- IPFIX across the restarts ----------------------------------------------------
tb_stop_cgnatd TERM
sleep 0.3
kill "${TB_PIDS[2]}" 2>/dev/null
"$BIN/ipfix_decode" "$TB_TMP/ipfix.bin" >"$TB_TMP/ipfix.txt" 2>/dev/null
r=$($PY "$LOGCHECK" ipfix "$DB" "$TB_TMP/ipfix.txt")
echo "$r" | sed 1d
read -r _ rows _ recs _ ur _ uc <<<"$(head -1 <<<"$r")"
check "IPFIX across restarts matches the log ($(head -1 <<<"$r"))" \
	test "${rows:-0}" -ge 19 -a "$recs" -ge "$rows" -a "$ur" = 0 -a "$uc" = 0

# --- an upgrade from pins that mean something else --------------------------------
# Pins as a build before the state version left them (no cgnat_state):
# cgnatd refuses them before it loads anything, names the cold start, and
# leaves the data plane as it was; the cold start then starts afresh.
id0=$(prog_id)
rm -f "$PIN/cgnat_state"
timeout 30 nsenter --net=/var/run/netns/"$NS_NAT" "$BIN/cgnatd" -c "$CFG" \
	--foreground --pin-dir "$PIN" --run-dir "$RUN" >"$TB_TMP/refused.log" 2>&1
rc=$?
check "pins without a state version are refused (exit $rc)" \
	test "$rc" != 0 -a "$rc" != 124
check "the refusal names the cold start ($(grep -o 'incompatible version[^:]*' "$TB_TMP/refused.log" | head -1))" \
	grep -q "incompatible version (state version 0, .*cgnatd --detach --pin-dir $PIN" "$TB_TMP/refused.log"
check "the refusal leaves the data plane attached ($id0)" \
	test "$(prog_id)" = "$id0" -a -e "$PIN/cgnat_sessions" -a ! -e "$PIN/cgnat_state"
nsenter --net=/var/run/netns/"$NS_NAT" "$BIN/cgnatd" -c "$CFG" --detach \
	--pin-dir "$PIN" --run-dir "$RUN" >>"$TB_TMP/cgnatd.log" 2>&1
check "after the cold start cgnatd starts on new maps" tb_cgnatd "$CFG"
check "  and says so" grep -q "new maps in $PIN" "$TB_TMP/cgnatd.log"
check "  with its state version pinned" test -e "$PIN/cgnat_state"
r=$(in_sub $PY "$WHOAMI" udp 100.64.3.1 5999 $S1 7 2>&1)
check "traffic flows after the cold start ($r)" grep -q "^203\.0\.113\." <<<"$r"

tb_summary
