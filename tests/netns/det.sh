#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# det.sh - deterministic NAT (RFC 7422) end to end: a deterministic pool
# (203.0.113.8/30 for 100.64.3.0/24) beside a PBA pool in one cgnatd.
# Every packet a capture on the internet side saw resolves, at its capture
# time, to the subscriber that sent it - deterministic ones from the
# layout log; the log holds no block row for deterministic subscribers,
# only layout rows; det-table prints the mapping; then a layout change
# under traffic (a restart with another ports_per_subscriber): moved
# subscribers are flushed and rest in quarantine (taking overflow blocks
# meanwhile, logged like PBA blocks), lookups inside the quarantine name
# both owners, and every packet before and after the change still
# resolves to its sender.
set -u
. "$(dirname "$0")/lib.sh"
trap tb_cleanup EXIT
trap 'exit 1' INT TERM
CFG=$TB_TMP/det.yaml
DSUBS=()
for i in 1 2 3 5 8 13 21 34 55 64 66 89 130 200 255; do DSUBS+=("100.64.3.$i"); done
PSUBS=(100.64.2.1 100.64.2.2 100.64.2.3)

det_yaml() {	# det_yaml PPS
	cat >"$CFG" <<YAML
interfaces: { inside: in0, outside: out0 }
subscribers: [100.64.0.0/22]
pools:
  - name: pba
    addresses: [203.0.113.1, 203.0.113.2]
    subscribers: [100.64.0.0/23, 100.64.2.0/24]
  - name: det
    addresses: [203.0.113.8/30]
    subscribers: [100.64.3.0/24]
    mode: deterministic
    ports_per_subscriber: $1
    overflow_blocks: 2
blocks: { quarantine: 3s }
testing: { unsafe_short_timers: true }
log: { database: $DB }
ipfix: { collectors: [ { address: 127.0.0.1, port: 4739 } ] }
YAML
}

in_det() {	# in_det EXT PORT: is EXT:PORT inside the deterministic region?
	[ "${1%.*}" = 203.0.113 ] && [ "${1##*.}" -ge 8 ] && [ "${1##*.}" -le 11 ]
}

tb_must "testbed setup" tb_up
printf 'addr add %s/10 dev sub0\n' "${DSUBS[@]}" "${PSUBS[@]}" | in_sub ip -batch -
tb_bg inet $PY "$WHOAMI" serve $S1 7
tb_bg inet tcpdump --immediate-mode -i inet0 -n -w "$TB_TMP/inet.pcap" -U -s 200 ip 2>/dev/null
CAP=${TB_PIDS[-1]}
tb_bg nat socat -u UDP-RECV:4739,bind=127.0.0.1 OPEN:"$TB_TMP/ipfix.bin",creat
COL=${TB_PIDS[-1]}
tb_wait 30 tb_listens in_inet t 7
det_yaml 960
out=$("$BIN/cgnatd" -c "$CFG" --check --allow-unsafe-timers 2>&1)
check "--check prints the deterministic pool" \
	grep -q "mode: deterministic" <<<"$out"
sed 's/ports_per_subscriber: 960/ports_per_subscriber: 1024/' "$CFG" >"$TB_TMP/bad.yaml"
out=$("$BIN/cgnatd" -c "$TB_TMP/bad.yaml" --check --allow-unsafe-timers 2>&1)
check "a layout that does not fit is refused with the ratio that does ($out)" \
	grep -q "bad.yaml:11:27: pools\[1\].ports_per_subscriber: .*ports_per_subscriber: 960 fits" <<<"$out"
t_before=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
sleep 0.05
tb_must "cgnatd starts with a deterministic pool" tb_cgnatd "$CFG" --allow-unsafe-timers
pass "cgnatd starts with a deterministic pool (pid $CGNATD_PID)"
check "cgnatd logs the layout it switched to" \
	grep -q "pool det: deterministic layout v1, 64 subscribers per address, 960 ports each" "$TB_TMP/cgnatd.log"

# --- traffic, lookups, the log ---------------------------------------------------
sleep 0.3
r=$(in_sub $PY "$TRAFFIC" tagged $S1 7 2 "${DSUBS[@]}" "${PSUBS[@]}")
n=$(( (${#DSUBS[@]} + ${#PSUBS[@]}) * 6 ))
check "tagged UDP, TCP and ping from both pools ($r)" test "$r" = "sent $n answered $n"
e=$(in_sub $PY "$WHOAMI" udp 100.64.3.5 5000 $S1 7)
# 100.64.3.5: offset 5, address .8, ports 1024 + 5 * 960 = 5824-6783.
check "100.64.3.5's mapping is in its computed range ($e)" \
	test "${e%:*}" = 203.0.113.8 -a "${e#*:}" -ge 5824 -a "${e#*:}" -le 6783
pba_rows() {
	sqlite3 "$DB" "SELECT count(*) FROM blocks_all WHERE sub_addr BETWEEN 1681916416 AND 1681916671"
}
pba_logged() { test "$(pba_rows)" = "${#PSUBS[@]}"; }
tb_wait 50 pba_logged # the rows come once cgnatd's loop has committed
detrows=$(sqlite3 "$DB" "SELECT count(*) FROM blocks_all WHERE sub_addr BETWEEN 1681916672 AND 1681916927")
pbarows=$(pba_rows)
check "no block row for deterministic subscribers ($detrows), one per PBA subscriber ($pbarows)" \
	test "$detrows" = 0 -a "$pbarows" = "${#PSUBS[@]}"
check "one layout row, version 1, with the RFC 7422 fields" test \
	"$(sqlite3 "$DB" "SELECT kind, version, inside, outside, ports_per_subscriber, subs_per_addr, reserved, algorithm FROM det_layouts")" = \
	"1|1|100.64.3.0/24|203.0.113.8/30|960|64|0-1023|0"
csv=$(ctl det-table)
check "det-table: header and 256 subscribers" test "$(wc -l <<<"$csv")" = 257
check "det-table: 100.64.3.5's row" grep -q "^det,1,.*,-,100\.64\.3\.5,203\.0\.113\.8,5824,6783$" <<<"$csv"
n=$(ctl --json det-table | $PY -c 'import json,sys; d=json.load(sys.stdin); print(len(d["pools"][0]["mapping"]), d["pools"][0]["version"])')
check "det-table --json: 256 mappings of version 1 ($n)" test "$n" = "256 1"
ctl det-table --at 2000-01-01T00:00:00Z >/dev/null 2>&1
check "det-table exits 1 for a time no layout covers" test $? = 1
out=$(ctl lookup "$e" --at "$t_before")
check "lookup before the first layout says unknown ($out)" grep -q "unknown" <<<"$out"
out=$(ctl lookup "$e" --at "@$(date +%s)")
check "lookup names 100.64.3.5 from layout v1 ($out)" \
	grep -q "subscriber 100\.64\.3\.5 (deterministic layout v1 of pool det 203\.0\.113\.8:5824-6783" <<<"$out"

# --- a layout change under traffic -------------------------------------------------
# A stream from an unmoved subscriber (offset 0 keeps 1024-...) runs
# across the restart; 100.64.3.5 moves (5824 -> 3264 with 448 ports).
tb_bg sub $PY "$TRAFFIC" stream 100.64.3.64 $S1 7 4 20
STREAM=${TB_PIDS[-1]}
sleep 0.5
tb_stop_cgnatd TERM
det_yaml 448
tb_must "cgnatd restarts with the new layout" tb_cgnatd "$CFG" --allow-unsafe-timers
t_switch=$(sqlite3 "$DB" "SELECT switched_ms FROM det_layouts WHERE version = 2")
check "the change is logged as version 2" test -n "$t_switch"
check "cgnatd flushed the moved subscribers" \
	grep -q "deterministic layout change moved 256 subscribers" "$TB_TMP/cgnatd.log"
# Inside the quarantine a moved subscriber takes an overflow block of its
# address, logged like a PBA block.
e2=$(in_sub $PY "$WHOAMI" udp 100.64.3.5 5001 $S1 7)
# Blocks of the old, larger region (up to 1024 + 64 * 960) are held back
# for the quarantine as well.
check "in quarantine, a moved subscriber gets an overflow port above the old region ($e2)" \
	test "${e2%:*}" = 203.0.113.8 -a "${e2#*:}" -ge $((1024 + 64 * 960))
# The row comes when cgnatd's loop has read the event and committed.
overflow_logged() {
	test "$(sqlite3 "$DB" "SELECT count(*) FROM blocks_all WHERE sub_addr = 1681916677 AND port_first >= $((1024 + 64 * 448))")" -ge 1
}
check "its overflow block is logged" tb_wait 50 overflow_logged
q=$(date -u -d "@$(( t_switch / 1000 + 1 ))" +%Y-%m-%dT%H:%M:%SZ)
out=$(ctl --json lookup 203.0.113.8:3300 --at "$q")
n=$($PY -c 'import json,sys; d=json.load(sys.stdin); print(len(d["matches"]), " ".join(m["subscriber"] for m in d["matches"]), "note" in d)' <<<"$out")
check "a moved port inside the quarantine names both owners ($n)" \
	test "$n" = "2 100.64.3.2 100.64.3.5 True"
sleep 3
check "after the quarantine the old region's blocks are free for overflow again" \
	tb_wait 20 grep -q "quarantine over, blocks of the old region free" "$TB_TMP/cgnatd.log"
e3=$(in_sub $PY "$WHOAMI" udp 100.64.3.5 5002 $S1 7)
check "after the quarantine its new flows land in the new range ($e3)" \
	test "${e3%:*}" = 203.0.113.8 -a "${e3#*:}" -ge 3264 -a "${e3#*:}" -le 3711
r=$(in_sub $PY "$TRAFFIC" tagged $S1 7 1 "${DSUBS[@]}" "${PSUBS[@]}")
n=$(( (${#DSUBS[@]} + ${#PSUBS[@]}) * 3 ))
check "tagged traffic after the change ($r)" test "$r" = "sent $n answered $n"
wait "$STREAM" 2>/dev/null
sleep 0.3
kill "$CAP" 2>/dev/null
wait "$CAP" 2>/dev/null
r=$($PY "$TRAFFIC" lookups "$TB_TMP/inet.pcap" "$BIN/cgnatctl" --db "$DB")
echo "$r"
read -r _ n _ c _ u _ w _ <<<"$r"
check "every captured packet, before and after the change, resolves to its sender ($(head -1 <<<"$r"))" \
	test "${n:-0}" -ge 100 -a "$c" -ge 100 -a "$w" = 0
# Halfway through v1's time in force (under 2 s on a fast machine).
t_v1=$(sqlite3 "$DB" "SELECT switched_ms FROM det_layouts WHERE version = 1 LIMIT 1")
t_mid=$(( (t_v1 + t_switch) / 2 ))
out=$(ctl lookup 203.0.113.8:5900 --at "@$((t_mid / 1000)).$(printf %03d $((t_mid % 1000)))")
check "before the change 203.0.113.8:5900 was 100.64.3.5's (v1) ($out)" \
	grep -q "subscriber 100\.64\.3\.5 (deterministic layout v1" <<<"$out"
out=$(ctl lookup 203.0.113.8:3300 --at "@$(date +%s)")
check "after it 203.0.113.8:3300 is 100.64.3.5's (v2)" \
	grep -q "subscriber 100\.64\.3\.5 (deterministic layout v2" <<<"$out"
h=$(ctl history 100.64.3.5)
check "history of 100.64.3.5: its v1 and v2 ranges and its overflow block" \
	test "$(grep -c "203\.0\.113\.8:5824-6783 pool det released layout-change deterministic layout v1$" <<<"$h")" = 1 -a \
	"$(grep -c "203\.0\.113\.8:3264-3711 pool det released - deterministic layout v2$" <<<"$h")" = 1 -a \
	"$(grep -cE "203\.0\.113\.8:6[0-9]{4}-" <<<"$h")" -ge 1
tb_stop_cgnatd TERM

# --- IPFIX: ranges as port block records (natEvent 16/17) --------------------------
sleep 0.3
kill "$COL" 2>/dev/null
"$BIN/ipfix_decode" "$TB_TMP/ipfix.bin" >"$TB_TMP/ipfix.txt" 2>/dev/null
n16=$(grep -c "event=16 .*post_src=203\.0\.113\.\(8\|9\|10\|11\) " "$TB_TMP/ipfix.txt")
n17=$(grep -c "event=17 .*post_src=203\.0\.113\.\(8\|9\|10\|11\) " "$TB_TMP/ipfix.txt")
check "IPFIX: every range of v1 and of v2 as natEvent 16 ($n16), v1's as 17 at the change ($n17)" \
	test "$n16" -ge 512 -a "$n17" = 256
check "IPFIX: 100.64.3.5's v1 range from the switch" grep -q \
	"event=16 .*src=100\.64\.3\.5 post_src=203\.0\.113\.8 start=5824 end=6783" "$TB_TMP/ipfix.txt"
check "IPFIX: its v1 range released at the change ($t_switch)" grep -q \
	"event=17 time_ms=$t_switch src=100\.64\.3\.5 post_src=203\.0\.113\.8 start=5824 end=6783 " "$TB_TMP/ipfix.txt"
tb_summary
