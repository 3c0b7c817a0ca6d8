#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# flowrate.sh - limits.new_flows_per_subscriber (RFC 6888 REQ-4c and 5b)
# on the namespace testbed: H1 opens new UDP flows at 5000 a second
# against a limit of 1000 a second (burst 200) while H2 opens 200 a
# second; a receiver on the internet side counts what arrives from each.
# About the rate (plus the burst) of H1's get through, the rest are
# dropped and counted as flow_rate, event rows (one a second) name H1,
# and every one of H2's arrives. A reload that removes the limit lets
# H1's next burst through whole.
set -u
. "$(dirname "$0")/lib.sh"
trap tb_cleanup EXIT
trap 'exit 1' INT TERM
CFG=$TB_TMP/cgnat.yaml
RATE=1000
BURST=200
SECS=2

# recv.py PORT... : counts datagrams per destination port until it has
# heard nothing for a second after the first; prints "PORT COUNT" lines.
cat >"$TB_TMP/recv.py" <<'PYEOF'
import select, socket, sys
socks = {}
for p in sys.argv[2:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 24)
    s.bind((sys.argv[1], int(p)))
    socks[s] = p
n = {p: 0 for p in socks.values()}
print("ready", flush=True)
quiet = 30.0			# until the first datagram
while True:
    r, _, _ = select.select(list(socks), [], [], quiet)
    if not r:
        break
    quiet = 1.0
    for s in r:
        while True:
            try:
                s.recv(64, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            n[socks[s]] += 1
for p, c in n.items():
    print(p, c, flush=True)
PYEOF
# send.py SRC DPORT RATE SECS FIRST: one datagram from each of RATE*SECS
# new source ports (FIRST...), paced at RATE a second; a raw socket, so
# that the pace, not a socket per port, is the cost.
cat >"$TB_TMP/send.py" <<'PYEOF'
import socket, struct, sys, time
src, dst = sys.argv[1], "198.51.100.10"
dport, rate, secs, first = (int(a) for a in sys.argv[2:6])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
n = rate * secs
t0 = time.monotonic()
for i in range(n):
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 0, 0, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    s.sendto(ip + struct.pack('!HHHH', first + i, dport, 12, 0) + b'new!',
             (dst, 0))
    while time.monotonic() < t0 + (i + 1) / rate:
        pass
print("sent %d in %.2f s" % (n, time.monotonic() - t0), flush=True)
PYEOF

tb_must "testbed setup" tb_up
# Ports enough for every flow of the test (16 blocks of 512): only the
# rate refuses.
PORTS="ports: { block_size: 512, max_blocks: 16 }"
tb_yaml "$CFG" "$PORTS" \
	"limits: { new_flows_per_subscriber: $RATE, new_flows_burst: $BURST }"
tb_must "cgnatd starts with the limit" tb_cgnatd "$CFG"

# --- H1 above the rate, H2 below it, at the same time ---------------------------
in_inet $PY "$TB_TMP/recv.py" $S1 7001 7002 >"$TB_TMP/recv.txt" &
RECV=$!
TB_PIDS+=($RECV)
tb_wait 50 grep -q ready "$TB_TMP/recv.txt"
in_sub $PY "$TB_TMP/send.py" $H1 7001 5000 $SECS 10000 >"$TB_TMP/h1.txt" &
S1PID=$!
TB_PIDS+=($S1PID)
in_sub $PY "$TB_TMP/send.py" $H2 7002 200 $SECS 10000 >"$TB_TMP/h2.txt"
wait "$S1PID"
wait "$RECV"
cat "$TB_TMP/h1.txt" "$TB_TMP/h2.txt" "$TB_TMP/recv.txt"
read -r _ sent1 _ t1 _ <"$TB_TMP/h1.txt"
got1=$(awk '$1 == 7001 { print $2 }' "$TB_TMP/recv.txt")
got2=$(awk '$1 == 7002 { print $2 }' "$TB_TMP/recv.txt")
# What the limit admits over the sender's t1 seconds: the burst plus the
# rate; the coarse clock and the sender's pace give or take 10 %.
want=$(awk -v t="$t1" -v r=$RATE -v b=$BURST 'BEGIN { printf "%d", b + r * t }')
lo=$((want * 9 / 10))
hi=$((want * 11 / 10))
check "H1 at 5000/s: $got1 of $sent1 through, about $want (the rate and the burst)" \
	test "${got1:-0}" -ge $lo -a "${got1:-0}" -le $hi
check "H2 at 200/s: all $((200 * SECS)) through ($got2)" test "${got2:-0}" = $((200 * SECS))
drops=$(tb_drops flow_rate)
check "H1's refused flows counted as flow_rate ($drops = $sent1 - $got1)" \
	test "${drops:-0}" = $((sent1 - ${got1:-0}))
check "no other drop reason grew (quota, session limit)" \
	test "$(tb_drops quota)" = 0 -a "$(tb_drops session_limit)" = 0
sleep 1.5	# the event's round commits
ev=$(sqlite3 "$DB" "SELECT subscriber, limit_value, detail FROM events_text
		   WHERE type = 'quota-exceeded'")
nev=$(grep -c . <<<"$ev")
check "quota events name H1, the rate and the key, at most one a second ($nev)" \
	test "$(grep -c "^$H1|$RATE|new flows a second per subscriber (limits.new_flows_per_subscriber)$" <<<"$ev")" = "$nev" \
	-a "$nev" -ge 1 -a "$nev" -le $((SECS + 1))

# --- reload without the limit: H1's next burst goes through whole --------------
tb_yaml "$CFG" "$PORTS"
kill -HUP "$CGNATD_PID"
tb_wait 50 grep -q "reload: applied live" "$TB_TMP/cgnatd.log"
check "the reload names the limit" grep -q \
	"reload: applied live: limits.new_flows_per_subscriber, limits.new_flows_burst$" \
	"$TB_TMP/cgnatd.log"
in_inet $PY "$TB_TMP/recv.py" $S1 7001 >"$TB_TMP/recv2.txt" &
RECV=$!
TB_PIDS+=($RECV)
tb_wait 50 grep -q ready "$TB_TMP/recv2.txt"
in_sub $PY "$TB_TMP/send.py" $H1 7001 2000 1 20000 >/dev/null
wait "$RECV"
got=$(awk '$1 == 7001 { print $2 }' "$TB_TMP/recv2.txt")
check "without the limit all 2000 of H1's new flows get through ($got)" test "${got:-0}" = 2000
check "flow_rate did not grow after the reload" test "$(tb_drops flow_rate)" = "$drops"

tb_summary
