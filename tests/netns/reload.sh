#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# reload.sh - SIGHUP with a changed timeout and a changed pool: the
# timeout is live at once (new and refreshed sessions get it, and so do
# per-port UDP timers on a second reload), the pool
# change is named as needing a cold start and not applied, existing
# mappings and connections are untouched, nothing in the log changes but
# a config_log row; a broken file is refused and the running
# configuration kept. With short timers (test-only flag) a block idles
# out: its release is logged (idle) and exported (natEvent 17) and the
# IPFIX a collector decoded matches the log both ways.
set -u
. "$(dirname "$0")/lib.sh"
trap tb_cleanup EXIT
trap 'exit 1' INT TERM
CFG=$TB_TMP/cgnat.yaml
IPFIX="ipfix: { collectors: [ { address: 127.0.0.1, port: 4739 } ] }"
SHORT="testing: { unsafe_short_timers: true }"
BLOCKS="blocks: { idle_release: 1s, quarantine: 2s }"
export TB_POOL="203.0.113.1, 203.0.113.2"

tb_must "testbed setup" tb_up
tb_yaml "$CFG" "$IPFIX" "$SHORT" "$BLOCKS" \
	"timeouts: { udp: 3s, icmp: 3s, tcp_transitory: 3s }"
tb_bg inet $PY "$WHOAMI" serve $S1 7
tb_bg nat socat -u UDP-RECV:4739,bind=127.0.0.1 OPEN:"$TB_TMP/ipfix.bin",creat
tb_wait 30 tb_listens in_inet t 7
tb_must "cgnatd starts with --allow-unsafe-timers" tb_cgnatd "$CFG" --allow-unsafe-timers

# expires SUB EXT: seconds left on SUB's UDP session mapped to EXT.
expires() {
	ctl --json sessions "$1" | $PY -c '
import json, sys
for s in json.load(sys.stdin)["sessions"]:
    if s["proto"] == "udp" and s["external"] == sys.argv[1]:
        print(round(s["expires_in_ms"] / 1000))' "$2"
}
rows() { sqlite3 "$DB" "SELECT count(*) FROM blocks_all $1"; }
# Predicates for tb_wait: it reruns its command, so the count is taken
# inside, not once in its arguments.
released_rows_are() { test "$(rows "WHERE released_ms IS NOT NULL")" = "$1"; }
reloads_over() { test "$(grep -c "reload: applied live" "$TB_TMP/cgnatd.log")" -gt "$1"; }

# --- a block idles out, its release is logged and exported -----------------------
e3=$(in_sub $PY "$WHOAMI" udp $H3 5003 $S1 7)
check "H3 mapped ($e3)" test -n "$e3"
t0=$SECONDS
tb_wait 300 released_rows_are 1
r=$(sqlite3 "$DB" "SELECT subscriber, release_reason FROM blocks_text WHERE released IS NOT NULL")
check "idle block released and logged ($r after $((SECONDS - t0)) s)" test "$r" = "$H3|idle"
check "the released block is no longer held" test "$(ctl --json status |
	$PY -c 'import json,sys; print(json.load(sys.stdin)["blocks"]["held"])')" = 0

# --- SIGHUP: a changed timeout and a changed pool ---------------------------------
e1=$(in_sub $PY "$WHOAMI" udp $H1 5001 $S1 7)
left=$(expires $H1 "$e1")
check "before the reload H1's session has the 3 s UDP timer (${left}s)" \
	test "${left:-99}" -le 4
in_sub $PY "$TRAFFIC" tcpstream $H2 $S1 7 2.5 >"$TB_TMP/tcp" 2>&1 &
P1=$!
TB_PIDS+=($P1)
sleep 0.5
nrows=$(rows "")
export TB_POOL="203.0.113.1, 203.0.113.2, 203.0.113.3"
tb_yaml "$CFG" "$IPFIX" "$SHORT" "$BLOCKS" \
	"timeouts: { udp: 30s, icmp: 3s, tcp_transitory: 3s }"
kill -HUP "$CGNATD_PID"
tb_wait 30 grep -q "reload: applied live" "$TB_TMP/cgnatd.log"
# The cold-start verdict is logged right after the live one.
tb_wait 30 grep -q "reload: not applied" "$TB_TMP/cgnatd.log"
check "reload names the live change" \
	grep -q "reload: applied live: timeouts.udp$" "$TB_TMP/cgnatd.log"
check "reload says the pool change needs a cold start" grep -q \
	"reload: not applied, needs a cold start.*: pools\[0\]\.addresses" \
	"$TB_TMP/cgnatd.log"
check "the pool in the data plane is unchanged (2 addresses)" test \
	"$(ctl --json status | $PY -c 'import json,sys; print(len(json.load(sys.stdin)["addresses"]))')" = 2
check "a config_log row for start and one for the reload" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM config_log")" = 2
e1b=$(in_sub $PY "$WHOAMI" udp $H1 5001 $S1 7)
check "H1's existing mapping is untouched ($e1 -> $e1b)" test "$e1" = "$e1b"
left=$(expires $H1 "$e1")
check "refreshed, H1's session runs on the new 30 s timer (${left}s)" \
	test "${left:-0}" -ge 25
e2=$(in_sub $PY "$WHOAMI" udp $H2 5002 $S1 7)
left=$(expires $H2 "$e2")
check "a new session gets the new 30 s timer (${left}s)" \
	test "${left:-0}" -ge 25
wait $P1
check "a TCP connection across the reload is intact ($(cat "$TB_TMP/tcp"))" \
	grep -q "^ok " "$TB_TMP/tcp"
check "the reload changed no block row" \
	test "$(rows "WHERE released_ms IS NOT NULL")" = 1 -a \
	"$(rows "")" -ge "$nrows"

# --- per-port UDP timers are live too ------------------------------------------
tb_yaml "$CFG" "$IPFIX" "$SHORT" "$BLOCKS" \
	"timeouts: { udp: 30s, icmp: 3s, tcp_transitory: 3s, udp_ports: { 7: 10s } }"
n=$(grep -c "reload: applied live" "$TB_TMP/cgnatd.log")
kill -HUP "$CGNATD_PID"
tb_wait 30 reloads_over "$n"
check "reload names the per-port UDP timers as applied live" \
	grep -q "reload: applied live: timeouts.udp_ports$" "$TB_TMP/cgnatd.log"
e4=$(in_sub $PY "$WHOAMI" udp $H2 5004 $S1 7)
left=$(expires $H2 "$e4")
check "a new session to port 7 gets the port's 10 s timer (${left}s)" \
	test "${left:-99}" -ge 8 -a "${left:-99}" -le 11

# --- a broken file is refused --------------------------------------------------
echo "timeouts: { udp: 1x }" >>"$CFG"
kill -HUP "$CGNATD_PID"
tb_wait 30 grep -q "reload refused" "$TB_TMP/cgnatd.log"
check "a broken file is refused, naming file:line:column" grep -qE \
	"reload refused, running configuration kept: .*cgnat.yaml:[0-9]+:[0-9]+:" \
	"$TB_TMP/cgnatd.log"
# Two errors: both logged, each at its line, then the refusal.
echo "nat: { filtring: eif }" >>"$CFG"
n=$(wc -l <"$CFG")
kill -HUP "$CGNATD_PID"
tb_wait 30 grep -q "(2 errors, all above)" "$TB_TMP/cgnatd.log"
check "with two errors, the second is logged too (line $n)" grep -qE \
	"reload: .*cgnat.yaml:$n:8: nat: unknown key 'filtring'" \
	"$TB_TMP/cgnatd.log"
check "and the first" grep -qE \
	"reload: .*cgnat.yaml:$((n - 1)):[0-9]+: timeouts" "$TB_TMP/cgnatd.log"
check "then the refusal with the count" grep -q \
	"reload refused, running configuration kept: .*(2 errors, all above)" \
	"$TB_TMP/cgnatd.log"
sed -i '$d' "$CFG"
check "cgnatd still runs" kill -0 "$CGNATD_PID"
e1c=$(in_sub $PY "$WHOAMI" udp $H1 5001 $S1 7)
check "and still translates with the same mapping ($e1c)" test "$e1c" = "$e1"

# --- the changed pool needs a cold start --------------------------------------
tb_stop_cgnatd TERM
sed -i '$d' "$CFG"
out=$(in_nat "$BIN/cgnatd" -c "$CFG" --foreground --allow-unsafe-timers \
	--pin-dir "$PIN" --run-dir "$RUN" 2>&1)
check "a restart with the grown pool is refused: cold start needed" \
	grep -q "another configuration (pools\[\]\.addresses); this change needs a cold start" <<<"$out"
e1d=$(in_sub $PY "$WHOAMI" udp $H1 5001 $S1 7)
check "the data plane kept forwarding meanwhile ($e1d)" test "$e1d" = "$e1"

# --- IPFIX with releases ---------------------------------------------------------
sleep 0.3
kill "${TB_PIDS[1]}" 2>/dev/null
"$BIN/ipfix_decode" "$TB_TMP/ipfix.bin" >"$TB_TMP/ipfix.txt" 2>/dev/null
r=$($PY "$LOGCHECK" ipfix "$DB" "$TB_TMP/ipfix.txt")
echo "$r" | sed 1d
read -r _ n _ recs _ ur _ uc <<<"$(head -1 <<<"$r")"
check "IPFIX 16 and 17 match the log both ways ($(head -1 <<<"$r"))" \
	test "${n:-0}" -ge 4 -a "$recs" = "$n" -a "$ur" = 0 -a "$uc" = 0
check "the release was exported as natEvent 17" \
	grep -q "event=17 .*src=$H3 " "$TB_TMP/ipfix.txt"

tb_summary
