#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# daemon.sh - cgnatd and cgnatctl end to end on the namespace testbed:
# the checks before start (--check, unsafe timers, a second daemon), real
# TCP, UDP and ICMP from 30 subscribers, status/blocks/sessions/metrics
# (text and JSON), every packet a capture on the internet side saw looked
# up in the log at its capture time (issue 4), and every IPFIX port-block
# record a collector decoded matched against the log and back (issue 5).
set -u
. "$(dirname "$0")/lib.sh"
trap tb_cleanup EXIT
trap 'exit 1' INT TERM
CFG=$TB_TMP/cgnat.yaml
NSUBS=30
SUBS=()
for i in $(seq 1 $NSUBS); do SUBS+=("100.64.2.$i"); done

tb_must "testbed setup" tb_up
printf 'addr add %s/10 dev sub0\n' "${SUBS[@]}" | in_sub ip -batch -
IPFIX="ipfix: { collectors: [ { address: 127.0.0.1, port: 4739 } ] }"
tb_yaml "$CFG" "$IPFIX"

# --- before start -------------------------------------------------------------
out=$("$BIN/cgnatd" -c "$CFG" --check 2>&1)
check "--check prints the effective configuration" \
	grep -q "idle_release: 60s" <<<"$out"
tb_yaml "$TB_TMP/unsafe.yaml" "testing: { unsafe_short_timers: true }"
out=$("$BIN/cgnatd" -c "$TB_TMP/unsafe.yaml" --check 2>&1)
rc=$?
check "unsafe_short_timers refused without --allow-unsafe-timers" \
	test $rc = 1 -a -n "$(grep -- --allow-unsafe-timers <<<"$out")"
check "unsafe_short_timers accepted with the flag" quiet "$BIN/cgnatd" -c \
	"$TB_TMP/unsafe.yaml" --check --allow-unsafe-timers -f
printf 'pools: [\n' >"$TB_TMP/bad.yaml"
out=$("$BIN/cgnatd" -c "$TB_TMP/bad.yaml" --check 2>&1)
check "a broken file is refused with file:line:column ($out)" \
	grep -qE "bad.yaml:[0-9]+:[0-9]+: " <<<"$out"

# --- start, traffic --------------------------------------------------------------
tb_bg inet $PY "$WHOAMI" serve $S1 7
tb_bg inet $PY "$WHOAMI" serve $S1 53
tb_bg inet tcpdump --immediate-mode -i inet0 -n -w "$TB_TMP/inet.pcap" -U -s 200 ip 2>/dev/null
CAP=${TB_PIDS[-1]}
tb_bg nat socat -u UDP-RECV:4739,bind=127.0.0.1 OPEN:"$TB_TMP/ipfix.bin",creat
COL=${TB_PIDS[-1]}
tb_wait 30 tb_listens in_inet t 7
tb_must "cgnatd starts and attaches" tb_cgnatd "$CFG"
pass "cgnatd starts and attaches (pid $CGNATD_PID)"
out=$(in_nat "$BIN/cgnatd" -c "$CFG" --foreground --pin-dir "$PIN" \
	--run-dir "$TB_TMP/run2" 2>&1)
check "a second cgnatd on the same pins is refused" \
	grep -q "another cgnatd runs" <<<"$out"

sleep 0.3 # tcpdump is capturing
r=$(in_sub $PY "$TRAFFIC" tagged $S1 7 2 "${SUBS[@]}")
check "tagged UDP, TCP and ping from $NSUBS subscribers ($r)" \
	test "$r" = "sent $((NSUBS * 6)) answered $((NSUBS * 6))"
sleep 0.3
kill "$CAP" 2>/dev/null # the capture holds only tagged flows
wait "$CAP" 2>/dev/null
e1=$(in_sub $PY "$WHOAMI" udp $H1 5000 $S1 7)
r=$(in_sub $PY "$WHOAMI" tcp $H1 40000 $S1 7 1000000)
read -r _ tlen tsum lsum <<<"$r"
check "TCP 1 MB through cgnatd intact" test "$tlen" = 1000000 -a "$tsum" = "$lsum"
sleep 0.5

# --- cgnatctl ------------------------------------------------------------------
st=$(ctl -c "$CFG" status)
check "status: cgnatd running, data plane attached" \
	grep -q "data plane:   attached" <<<"$st"
check "status: $((NSUBS + 1)) subscribers" \
	grep -q "subscribers:  $((NSUBS + 1)) " <<<"$st"
check "status: log consistent with the blocks held" \
	grep -q "consistent" <<<"$st"
check "status: per-address table names the pool" \
	grep -qE "^test +203\.0\.113\.1 " <<<"$st"
js=$(ctl -c "$CFG" --json status)
check "status --json parses, $((NSUBS + 1)) subscribers" test \
	"$($PY -c 'import json,sys; print(json.load(sys.stdin)["subscribers"])' <<<"$js")" = $((NSUBS + 1))
ctl -c "$CFG" --json blocks >"$TB_TMP/blocks.json"
check "blocks --json lists one block per subscriber" test \
	"$($PY -c 'import json,sys; print(len(json.load(sys.stdin)["blocks"]))' <"$TB_TMP/blocks.json")" = $((NSUBS + 1))
r=$($PY "$LOGCHECK" held "$DB" "$TB_TMP/blocks.json")
check "every held block has its open row and back ($r)" \
	grep -q "missing_rows 0 orphan_rows 0" <<<"$r"
check "blocks SUBSCRIBER shows H1's block" grep -q " $H1 " <<<"$(ctl blocks $H1)"
ss=$(ctl --json sessions $H1)
check "sessions --json shows H1's UDP session as $e1" \
	grep -q "\"external\":\"$e1\"" <<<"$ss"
# timeouts.udp_ports, default { 53: 30s } (RFC 4787 REQ-5a): DNS gets
# 30 s, port 7 the general 300 s.
udp_left() {	# udp_left REMOTE: seconds left on H1's UDP session to it
	ctl --json sessions $H1 | $PY -c '
import json, sys
for s in json.load(sys.stdin)["sessions"]:
    if s["proto"] == "udp" and s["remote"] == sys.argv[1]:
        print(round(s["expires_in_ms"] / 1000))' "$1"
}
e53=$(in_sub $PY "$WHOAMI" udp $H1 5053 $S1 53)
check "H1 reaches the DNS port through its mapping ($e53)" \
	test "${e53%:*}" = "${e1%:*}"
left=$(udp_left $S1:53)
check "a UDP session to port 53 runs on the 30 s port timer (${left}s)" \
	test "${left:-0}" -ge 28 -a "${left:-99}" -le 31
left=$(udp_left $S1:7)
check "a UDP session to port 7 on the general 300 s one (${left}s)" \
	test "${left:-0}" -ge 280 -a "${left:-999}" -le 301
# The expiry sweep as status and metrics show it: its first pass on new
# maps comes 5 s after the start; the next one waits the interval, since
# the default tables, nearly empty, are costly to walk (sweep_pace.c).
swept() {
	[ "$(tb_sweep completed)" -ge 1 ] &&
		[ "$(tb_sweep last_sessions_seen)" -ge 1 ]
}
check "status --json: a sweep completed, having seen the sessions" \
	tb_wait 200 swept
sw=$(ctl status)
check "status: the last expiry sweep's time and counts" grep -qE \
	"^expiry sweep: every [0-9]+\.[0-9] s, [0-9]+ done; the last took [0-9.]+ ms: [1-9][0-9]* sessions seen" <<<"$sw"
m=$(ctl -c "$CFG" metrics)
check "metrics: sweeps counted" \
	grep -qE '^cgnatd_total\{counter="sweeps"\} [1-9]' <<<"$m"
check "metrics: the last sweep's entries by table" grep -qE \
	'^cgnatd_sweep_last_entries\{table="sessions",result="seen"\} [1-9]' <<<"$m"
# The sessions made so far reached the due index through the data
# plane's due log (docs/scale-expiry.md), none lost.
check "metrics: the due log drained" grep -qE \
	'^cgnatd_total\{counter="sweep_due_logged"\} [1-9]' <<<"$m"
check "metrics: no due log record lost" \
	grep -q '^cgnatd_total{counter="sweep_due_lost"} 0$' <<<"$m"
check "metrics: subscribers gauge" grep -q "^cgnat_subscribers $((NSUBS + 1))$" <<<"$m"
check "metrics: drops by reason" grep -q '^cgnat_drops_total{reason="spoof"} ' <<<"$m"
lm=$(awk '/^cgnatd_log_memory_bytes / { print $2 }' <<<"$m")
check "metrics: SQLite's heap in cgnatd, above 0 and within its cache bound (${lm:-none} bytes)" \
	test "${lm:-0}" -gt 0 -a "${lm:-0}" -lt $((80 << 20))
# The pool keeps one first-block slot stocked per 32 of its blocks, 16
# to 64 (bpf/cgnat_abi.h); some hold a grant now, never more than kept.
nb=$(awk '/^cgnat_blocks / { print $2 }' <<<"$m")
want=$((nb / 32 < 16 ? 16 : nb / 32 > 64 ? 64 : nb / 32))
kept=$(sed -n 's/^cgnat_pool_grant_slots_kept{pool="test"} //p' <<<"$m")
st=$(sed -n 's/^cgnat_pool_grant_slots_stocked{pool="test"} //p' <<<"$m")
check "metrics: first-block slots kept ($kept of a pool of $nb blocks: $want) and stocked (${st:-none})" \
	test "${kept:-x}" = "$want" -a "${st:-0}" -ge 1 -a "${st:-0}" -le "$want"
check "metrics: UDP collector listening, no message reported refused" \
	grep -q '^cgnatd_ipfix_collector_messages_refused_total{collector="0"} 0$' <<<"$m"
check "metrics: counters typed for Prometheus" \
	grep -q '^# TYPE cgnat_dataplane_total counter' <<<"$m"
check "metrics --json: the same samples as JSON" test "$(ctl -c "$CFG" --json metrics |
	$PY -c 'import json,sys; print([m["value"] for m in json.load(sys.stdin) if m["name"] == "cgnat_subscribers"])')" = "[$((NSUBS + 1))]"
h=$(ctl history $H1)
check "history lists H1's holding" grep -q " $H1 203\.0\.113\." <<<"$h"
ctl lookup 203.0.113.1:1 --at 2000-01-01T00:00:00Z >/dev/null 2>&1
check "lookup exits 1 when nothing held the port" test $? = 1
ctl lookup 203.0.113.1:99999 --at now >/dev/null 2>&1
check "lookup exits 2 on a bad query" test $? = 2

# --- every captured packet looked up --------------------------------------------
r=$($PY "$TRAFFIC" lookups "$TB_TMP/inet.pcap" "$BIN/cgnatctl" -c "$CFG")
echo "$r"
read -r _ n _ c _ u _ w _ <<<"$r"
check "lookup of every captured packet names its subscriber ($(head -1 <<<"$r"))" \
	test "${n:-0}" -ge $((NSUBS * 12)) -a "$c" = "$n" -a "$u" = 0 -a "$w" = 0

# --- IPFIX against the log --------------------------------------------------------
tb_stop_cgnatd TERM
check "SIGTERM: cgnatd stops and says the data plane keeps forwarding" \
	grep -q "stopped; the data plane keeps forwarding" "$TB_TMP/cgnatd.log"
check "after stop, traffic still flows (ping H1 -> S1)" \
	in_sub ping -c 2 -i 0.2 -W 2 -I $H1 $S1 -q
sleep 0.3
kill "$COL" 2>/dev/null
"$BIN/ipfix_decode" "$TB_TMP/ipfix.bin" >"$TB_TMP/ipfix.txt" 2>/dev/null
r=$($PY "$LOGCHECK" ipfix "$DB" "$TB_TMP/ipfix.txt")
echo "$r"
read -r _ rows _ recs _ ur _ uc <<<"$(head -1 <<<"$r")"
check "IPFIX: every 16/17 record matches a row and back ($(head -1 <<<"$r"))" \
	test "${rows:-0}" -gt $NSUBS -a "$recs" = "$rows" -a "$ur" = 0 -a "$uc" = 0

# --- cold start into a tiny pool: quota, exhaustion, thresholds -------------------
nopen=$(sqlite3 "$DB" "SELECT count(*) FROM open_blocks")
out=$("$BIN/cgnatd" -c "$CFG" --detach --pin-dir "$PIN" --run-dir "$RUN" 2>&1)
check "--detach removes links and maps" test ! -e "$PIN/link_inside" -a ! -e "$PIN/cgnat_blocks"
check "--detach closes the $nopen open rows as shutdown" test \
	"$(sqlite3 "$DB" "SELECT count(*) FROM blocks WHERE release_reason = 5")" = "$nopen" -a \
	"$(sqlite3 "$DB" "SELECT count(*) FROM blocks_all WHERE released_ms IS NULL")" = 0
TB_POOL=203.0.113.9 tb_yaml "$TB_TMP/tiny.yaml" "$IPFIX" \
	"ports: { range: 1024-2047, block_size: 64, max_blocks: 1 }" \
	"thresholds: { pool_high: 50, pool_low: 25 }" \
	"nat: { unreachable: { rate: 0 } }"
tb_bg nat socat -u UDP-RECV:4739,bind=127.0.0.1 OPEN:"$TB_TMP/ipfix2.bin",creat
COLL2=${TB_PIDS[-1]}
sleep 0.2
check "cgnatd starts on new maps after the cold start" tb_cgnatd "$TB_TMP/tiny.yaml"
# H1: 80 mappings for one block of 64 ports; then 30 new subscribers
# for the 15 blocks left.
in_sub $PY - $H1 "${SUBS[@]}" <<'PYEOF'
import socket, sys, time
def send(src, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, port))
    s.sendto(b"x", ("198.51.100.10", 7))
    s.close()
for p in range(20000, 20080):
    send(sys.argv[1], p)
for sub in sys.argv[2:]:
    send(sub, 0)
    time.sleep(0.01)
PYEOF
sleep 1.5
ev=$(sqlite3 "$DB" "SELECT type, coalesce(subscriber, '-') FROM events_text")
check "quota event logged for H1" grep -q "^quota-exceeded|$H1$" <<<"$ev"
check "empty pool logged (addresses exhausted)" grep -q "^addresses-exhausted|" <<<"$ev"
check "pool threshold logged" grep -q "^threshold|" <<<"$ev"
held=$(ctl --json status | $PY -c 'import json,sys; print(json.load(sys.stdin)["blocks"]["held"])')
check "the pool is exhausted ($held of 16 blocks held; a growth slot keeps one)" test "${held:-0}" -ge 15
tb_stop_cgnatd TERM
sleep 0.3
kill "$COLL2" 2>/dev/null
"$BIN/ipfix_decode" "$TB_TMP/ipfix2.bin" >"$TB_TMP/ipfix2.txt" 2>/dev/null
check "IPFIX natEvent 13 (quota, per user) for H1" \
	grep -q "event=13 .*src=$H1 .*quota=3 " "$TB_TMP/ipfix2.txt"
check "IPFIX natEvent 3 (addresses exhausted)" grep -q "event=3 " "$TB_TMP/ipfix2.txt"
check "IPFIX natEvent 18 (pool high threshold 50)" \
	grep -q "event=18 .*thresh=1 .*pool_high=50 " "$TB_TMP/ipfix2.txt"

tb_summary
