#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# demo.sh - make demo: builds the namespace testbed (three subscribers,
# two servers), starts cgnatd with config/demo.yaml, sends real ping, UDP,
# TCP and hairpin traffic, then shows cgnatctl status, the port blocks in
# the SQLite log, a lookup of an external ip:port captured on the wire,
# and the IPFIX records as a collector decoded them. Removes everything
# again (namespaces, pins, processes), also on failure.
set -u
. "$(dirname "$0")/../tests/netns/lib.sh"
trap tb_cleanup EXIT
trap 'exit 1' INT TERM
DB=$TB_TMP/demo.db
CFG=$TB_TMP/demo.yaml

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
indent() { sed 's/^/   /'; }

say "testbed: sub (100.64.0.0/10) -- nat (XDP cgnat) -- inet (198.51.100.0/24)"
tb_up || { echo "testbed setup failed"; exit 1; }
tb_bg inet $PY "$WHOAMI" serve $S1 7
tb_bg inet $PY "$WHOAMI" serve $S2 7
tb_bg inet tcpdump --immediate-mode -i inet0 -n -w "$TB_TMP/wire.pcap" \
	-U -s 128 ip 2>/dev/null
CAP=${TB_PIDS[-1]}
tb_bg nat socat -u UDP-RECV:4739,bind=127.0.0.1 OPEN:"$TB_TMP/ipfix.bin",creat
COLL=${TB_PIDS[-1]}
echo "   subscribers H1 $H1, H2 $H2, H3 $H3; servers S1 $S1, S2 $S2"
echo "   IPFIX collector on 127.0.0.1:4739 in the nat namespace"

say "cgnatd -c config/demo.yaml (log.database moved to $DB)"
sed "s|database: [^ }]*|database: $DB|" "$ROOT/config/demo.yaml" >"$CFG"
grep -v '^#' "$CFG" | indent
tb_cgnatd "$CFG" || { cat "$TB_TMP/cgnatd.log"; exit 1; }
indent <"$TB_TMP/cgnatd.log"
tb_wait 30 in_inet ss -ltn "sport = :7" | grep -q LISTEN
in_nat ip link show in0 | grep -o 'prog/xdp id [0-9]*' | sed 's/^/   in0  /'
in_nat ip link show out0 | grep -o 'prog/xdp id [0-9]*' | sed 's/^/   out0 /'

say "ping from H1 to S1"
in_sub ping -c 3 -i 0.2 -I $H1 $S1 | indent

say "UDP: what the servers saw (endpoint-independent mapping)"
for dst in $S1 $S2; do
	echo "   H1:5000 -> $dst:7 seen as $(in_sub $PY "$WHOAMI" udp $H1 5000 $dst 7)"
done
echo "   H2:5000 -> $S1:7 seen as $(in_sub $PY "$WHOAMI" udp $H2 5000 $S1 7)"
echo "   H3:5000 -> $S1:7 seen as $(in_sub $PY "$WHOAMI" udp $H3 5000 $S1 7)"

say "TCP: a 2 MB transfer from H1 to S1"
read -r peer n sum lsum <<<"$(in_sub $PY "$WHOAMI" tcp $H1 40000 $S1 7 2000000)"
echo "   S1 saw $peer, received $n bytes, sha256 match: $([ "$sum" = "$lsum" ] && echo yes || echo NO)"

say "hairpin: H1 reaches H2 through H2's external address"
e2=$(in_sub $PY "$WHOAMI" udp $H2 6000 $S1 7)
in_sub $PY -c "
import socket
s = socket.socket(2, 2); s.setsockopt(1, 2, 1); s.bind(('$H2', 6000)); s.settimeout(5)
d, p = s.recvfrom(99); s.sendto(b'pong', p); print('   H2 got %s from %s:%d' % (d.decode(), *p))" &
hp=$!
sleep 0.3
in_sub $PY -c "
import socket
s = socket.socket(2, 2); s.bind(('$H1', 5001)); s.settimeout(5)
s.sendto(b'ping', ('${e2%:*}', ${e2#*:})); d, p = s.recvfrom(99)
print('   H1 sent to $e2, got %s from %s:%d' % (d.decode(), *p))"
wait $hp
sleep 0.5

say "cgnatctl status"
ctl -c "$CFG" status | indent

say "the compliance log: port blocks in SQLite ($DB)"
sqlite3 -header -column "$DB" "SELECT subscriber, external, port_first,
	port_last, assigned, released, pool FROM blocks_text" | indent

say "lookup: who was an external ip:port seen on the wire?"
kill "$CAP" 2>/dev/null
wait "$CAP" 2>/dev/null
read -r ts src _ <<<"$(tcpdump -r "$TB_TMP/wire.pcap" -tt -n \
	'udp and src net 203.0.113.0/24' 2>/dev/null | awk 'NR == 1 { print $1, $3 }')"
ep="${src%.*}:${src##*.}"
echo "   captured on the internet side at @$ts: UDP from $ep"
echo "   \$ cgnatctl lookup $ep --at @$ts"
ctl -c "$CFG" lookup "$ep" --at "@$ts" | indent

say "IPFIX: the records the collector received (natEvent 16 = port block allocated)"
tb_stop_cgnatd TERM
sleep 0.3
kill "$COLL" 2>/dev/null
"$BIN/ipfix_decode" "$TB_TMP/ipfix.bin" 2>/dev/null | $PY -c '
import datetime, sys
for line in sys.stdin:
    r = dict(kv.split("=", 1) for kv in line.split())
    t = datetime.datetime.fromtimestamp(int(r["time_ms"]) / 1000,
                                        datetime.timezone.utc)
    print("   natEvent %s %sZ %s -> %s ports %s-%s natPoolId %s natInstanceID %s"
          % (r["event"], t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3], r["src"],
             r["post_src"], r["start"], r["end"], r["pool"], r["inst"]))'
echo "   (ipfixDump --in FILE, tshark or nfdump decode the same stream)"
sed -n '$p' "$TB_TMP/cgnatd.log" | indent

say "cleaning up: namespaces, pins and processes removed"
