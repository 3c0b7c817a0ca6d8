#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# sessions.sh - log.session_events end to end: with the key on, UDP, TCP
# and ping through cgnatd give one open_sessions row each whose internal,
# external (as the server saw it) and remote endpoints match the traffic;
# expiry moves them to sessions with end > start; cgnatctl sessions-log
# finds them (text and JSON); SIGHUP with the key off stops the logging
# and closes what is open as logging-off; a collector's capture holds the
# matching natEvent 4/5 records with destinations (our libfixbuf decoder,
# ipfixDump and tshark), and no BIB events (8/9).
set -u
. "$(dirname "$0")/lib.sh"
trap tb_cleanup EXIT
trap 'exit 1' INT TERM
CFG=$TB_TMP/cgnat.yaml
IPFIX="ipfix: { collectors: [ { address: 127.0.0.1, port: 4739 } ] }"
SHORT="testing: { unsafe_short_timers: true }"
TIMERS="timeouts: { udp: 3s, icmp: 3s, tcp_transitory: 3s }"

# The testbed's config with log.session_events set to $1.
config() {
	tb_yaml "$CFG" "$IPFIX" "$SHORT" "$TIMERS"
	sed -i "s|^log: { database: \(.*\) }$|log: { database: \1, session_events: $1 }|" "$CFG"
}
q() { sqlite3 "$DB" "$@"; }
now() { date +%s%3N; }

tb_must "testbed setup" tb_up
config true
tb_bg inet $PY "$WHOAMI" serve $S1 7
tb_bg nat tcpdump -i lo -n -U -w "$TB_TMP/ipfix.pcap" udp port 4739 2>/dev/null
tb_bg nat socat -u UDP-RECV:4739,bind=127.0.0.1 OPEN:"$TB_TMP/ipfix.bin",creat
COLL=${TB_PIDS[-1]}
tb_wait 30 tb_listens in_inet t 7
sleep 0.3 # tcpdump is capturing
tb_must "cgnatd starts with session_events on" tb_cgnatd "$CFG" --allow-unsafe-timers
check "no 'not yet acted on' warning for log.session_events" \
	test -z "$(grep session_events "$TB_TMP/cgnatd.log")"

# --- traffic, open rows ----------------------------------------------------------
eu=$(in_sub $PY "$WHOAMI" udp $H1 5000 $S1 7)
r=$(in_sub $PY "$WHOAMI" tcp $H2 40000 $S1 7 1000)
et=${r%% *}
in_sub ping -c 1 -W 2 -I $H1 $S1 -q >/dev/null
sleep 0.5
rows=$(q "SELECT proto, internal, external, remote FROM sessions_text
	  WHERE ended IS NULL ORDER BY proto")
echo "$rows"
check "UDP session row: $H1:5000 as $eu to $S1:7" \
	grep -qx "17|$H1:5000|$eu|$S1:7" <<<"$rows"
check "TCP session row: $H2:40000 as $et to $S1:7" \
	grep -qx "6|$H2:40000|$et|$S1:7" <<<"$rows"
check "ICMP session row from $H1 to $S1:0" \
	grep -qE "^1\|$H1:[0-9]+\|203\.0\.113\.[0-9]+:[0-9]+\|$S1:0$" <<<"$rows"
check "exactly three sessions, all open" test \
	"$(q "SELECT count(*) FROM open_sessions"):$(q "SELECT count(*) FROM sessions")" = "3:0"
m=$(ctl metrics)
check "the event-order counters are exported (event_parked, _forced)" test \
	-n "$(grep '^cgnat_dataplane_total{counter="event_parked"} [0-9]' <<<"$m")" -a \
	-n "$(grep '^cgnat_dataplane_total{counter="event_parked_forced"} [0-9]' <<<"$m")"
out=$(ctl sessions-log "$eu" --at "$(now)")
check "sessions-log $eu --at now names $H1:5000 ($out)" \
	grep -q "^udp $H1:5000 as $eu to $S1:7 from .* to - (open)$" <<<"$out"
js=$(ctl --json sessions-log $H2)
check "sessions-log --json $H2 gives the TCP session" test \
	"$($PY -c 'import json,sys; s=json.load(sys.stdin)["sessions"]; print(len(s), s[0]["remote"], s[0]["end"])' <<<"$js")" = "1 $S1:7 None"
ctl sessions-log 203.0.113.1:1 --at "$(now)" >/dev/null
check "sessions-log exits 1 when nothing matches" test $? = 1

# --- expiry ------------------------------------------------------------------------
ended() { test "$(q "SELECT count(*) FROM sessions WHERE end_reason = 1")" = 3; }
check "all three expire into sessions (udp/tcp/icmp 3s)" tb_wait 150 ended
check "ended rows keep their start, end after it" test \
	"$(q "SELECT count(*) FROM sessions WHERE start_ms > 0 AND end_ms > start_ms")" = 3
out=$(ctl sessions-log "$eu" --from 2000-01-01T00:00:00Z --to "$(now)")
check "sessions-log finds the expired UDP session ($out)" \
	grep -q "^udp $H1:5000 as $eu to $S1:7 from .*Z to .*Z (expired)$" <<<"$out"

# --- SIGHUP: off --------------------------------------------------------------------
in_sub $PY "$WHOAMI" udp $H1 5001 $S1 7 >/dev/null
sleep 0.3
config false
kill -HUP "$CGNATD_PID"
applied() { grep -q "reload: applied live: .*log.session_events" "$TB_TMP/cgnatd.log"; }
check "SIGHUP applies log.session_events live" tb_wait 30 applied
check "the session open at the reload is closed as logging-off" test \
	"$(q "SELECT count(*) FROM sessions_text WHERE internal = '$H1:5001' AND end_reason = 'logging-off'"):$(q "SELECT count(*) FROM open_sessions")" = "1:0"
in_sub $PY "$WHOAMI" udp $H1 5002 $S1 7 >/dev/null
sleep 0.5
check "with the key off a new flow writes no row" test \
	"$(q "SELECT count(*) FROM sessions_text WHERE internal = '$H1:5002'")" = 0
tb_stop_cgnatd TERM

# --- the collectors' view ------------------------------------------------------------
sleep 0.3
kill "$COLL" 2>/dev/null
kill "${TB_PIDS[1]}" 2>/dev/null
wait "${TB_PIDS[1]}" 2>/dev/null
"$BIN/ipfix_decode" "$TB_TMP/ipfix.bin" >"$TB_TMP/ipfix.txt" 2>/dev/null
ipu=${eu%:*}
ppu=${eu#*:}
check "IPFIX 4 for the UDP session, with its destination" grep -q \
	"event=4 .*src=$H1 post_src=$ipu .*proto=17 sport=5000 post_sport=$ppu .*dst=$S1 post_dst=$S1 dport=7 post_dport=7 " \
	"$TB_TMP/ipfix.txt"
check "IPFIX 5 for the UDP session" grep -q \
	"event=5 .*src=$H1 post_src=$ipu .*proto=17 sport=5000 post_sport=$ppu .*dst=$S1 .*dport=7 " \
	"$TB_TMP/ipfix.txt"
n4=$(grep -c "event=4 " "$TB_TMP/ipfix.txt")
n5=$(grep -c "event=5 " "$TB_TMP/ipfix.txt")
check "one record 4 per logged start, one 5 per expiry ($n4/$n5)" test \
	"$n4:$n5" = "$(q "SELECT count(*) FROM sessions WHERE start_ms IS NOT NULL"):$(q "SELECT count(*) FROM sessions WHERE end_reason = 1")"
check "no BIB events (natEvent 8/9) beside session events (8158-G7)" \
	test -z "$(grep -E "event=(8|9) " "$TB_TMP/ipfix.txt")"
check "port block records still sent (natEvent 16)" grep -q "event=16 " "$TB_TMP/ipfix.txt"
d=$(ipfixDump --in "$TB_TMP/ipfix.bin" 2>&1)
check "ipfixDump decodes natEvent 4 and 5 records" test \
	"$(grep -cE 'natEvent : [45]$' <<<"$d")" = $((n4 + n5))
check "ipfixDump shows the destination $S1 and port 7" test \
	-n "$(grep -E "destinationIPv4Address : $S1$" <<<"$d")" -a \
	-n "$(grep -E "postNAPTDestinationTransportPort : 7$" <<<"$d")"
# One line per record, "event proto src post sport post_sport dst
# dport", from tshark's full decode.
tshark -r "$TB_TMP/ipfix.pcap" -V >"$TB_TMP/v.txt" 2>/dev/null
t=$(awk '
function out() { if (ev != "") print ev, pr, src, post, sp, psp, dst, dp
	pr = src = post = sp = psp = dst = dp = "-"; ev = "" }
/^ +Flow [0-9]+$/ { out(); ev = "?" }
/^ +Nat Event:/ { ev = $NF; gsub(/[()]/, "", ev) }
/^ +Protocol:/ { pr = $NF; gsub(/[()]/, "", pr) }
/^ +SrcAddr:/ { src = $2 }
/^ +Post NAT Source IPv4 Address:/ { post = $NF }
/^ +SrcPort:/ { sp = $2 }
/^ +Post NAPT Source Transport Port:/ { psp = $NF }
/^ +DstAddr:/ { dst = $2 }
/^ +DstPort:/ { dp = $2 }
END { out() }' "$TB_TMP/v.txt")
n=$(grep -c "^[45] 17 $H1 $ipu 5000 $ppu $S1 7$" <<<"$t")
[ "$n" = 2 ] || grep -m 12 -E "Nat Event|SrcPort|DstAddr|DstPort|Protocol|Post N" "$TB_TMP/v.txt"
check "tshark decodes the UDP create and delete ($n of 2)" test "$n" = 2
tb_summary
