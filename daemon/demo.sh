#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# demo.sh - make demo: builds the namespace testbed (three subscribers,
# two servers), runs the cgnat data plane, sends real ping, UDP, TCP and
# hairpin traffic, shows what the servers saw, the port blocks the
# subscribers took (ring-buffer events) and the counters, and removes
# everything again, also on failure.
set -u
. "$(dirname "$0")/../tests/netns/lib.sh"
trap tb_cleanup EXIT
trap 'exit 1' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "testbed: sub (100.64.0.0/10) -- nat (XDP cgnat) -- inet (198.51.100.0/24)"
tb_up || { echo "testbed setup failed"; exit 1; }
tb_bg inet $PY "$WHOAMI" serve $S1 7
tb_bg inet $PY "$WHOAMI" serve $S2 7
EVENTS=$TB_TMP/events
tb_bg nat "$BIN/cgnat-dp" --inside in0 --outside out0 \
	--pool 203.0.113.1,203.0.113.2 --subscribers 100.64.0.0/10 \
	--pin-dir "$PIN" --stats >"$EVENTS" 2>"$TB_TMP/dp.err"
tb_wait 50 test -e "$PIN/link_outside" || { cat "$TB_TMP/dp.err"; exit 1; }
tb_wait 30 in_inet ss -ltn "sport = :7" | grep -q LISTEN
in_nat ip -br link show | sed 's/^/   /'
in_nat ip link show in0 | grep -o 'prog/xdp id [0-9]*' | sed 's/^/   in0  /'
in_nat ip link show out0 | grep -o 'prog/xdp id [0-9]*' | sed 's/^/   out0 /'

say "ping from H1 ($H1) to S1 ($S1)"
in_sub ping -c 3 -i 0.2 -I $H1 $S1 | sed 's/^/   /'

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
r=$(in_sub $PY -c "
import socket
s = socket.socket(2, 2); s.bind(('$H1', 5001)); s.settimeout(5)
s.sendto(b'ping', ('${e2%:*}', ${e2#*:})); d, p = s.recvfrom(99)
print('   H1 sent to $e2, got %s from %s:%d' % (d.decode(), *p))")
wait $hp
echo "$r"

say "port blocks taken (ring-buffer events, times in UTC)"
sleep 0.3
sed 's/^/   /' "$EVENTS"

say "data-plane counters"
kill "${TB_PIDS[2]}" && wait "${TB_PIDS[2]}" 2>/dev/null
sed 's/^/   /' "$TB_TMP/dp.err" | grep -v attached
say "cleaning up: namespaces, pins and processes removed"
