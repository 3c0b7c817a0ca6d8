#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# dataplane.sh - the XDP data plane end to end on veth in native mode,
# run by cgnatd from a YAML file as an operator runs it:
# ping, a real TCP transfer (its ACKs by the reverse session) and UDP
# through the NAT; EIM seen from two servers; hairpin between two
# subscribers for UDP and TCP; a route or neighbour change in the nat
# namespace applies to an established flow's very next packet; servers see
# only pool addresses; a capture on the internet side proves that no
# 100.64.0.0/10 address ever leaves.
set -u
. "$(dirname "$0")/lib.sh"
trap tb_cleanup EXIT
trap 'exit 1' INT TERM

CFG=$TB_TMP/cgnat.yaml
in_pool() { [[ $1 =~ ^203\.0\.113\.[1-4]:[0-9]+$ ]] && [ "${1#*:}" -ge 1024 ]; }

tb_must "testbed setup" tb_up
tb_bg inet $PY "$WHOAMI" serve $S1 7
tb_bg inet $PY "$WHOAMI" serve $S2 7
tb_bg inet tcpdump -i inet0 -n -w "$TB_TMP/inet.pcap" -U -s 96 ip 2>/dev/null
tb_yaml "$CFG" "limits: { sessions: 65536, subscribers: 4096 }"
tb_must "cgnatd starts and attaches" tb_cgnatd "$CFG"
check "XDP attached in native mode on in0 and out0" \
	sh -c "in_nat() { nsenter --net=/var/run/netns/$NS_NAT \"\$@\"; };
	       in_nat ip -d link show in0 | grep -q 'xdp ' &&
	       in_nat ip -d link show out0 | grep -q 'xdp '"
tb_wait 30 tb_listens in_inet t 7

check "ping H1 -> S1 through the NAT" in_sub ping -c 3 -i 0.2 -W 2 -I $H1 $S1 -q
check "ping H3 -> S2 through the NAT" in_sub ping -c 2 -i 0.2 -W 2 -I $H3 $S2 -q

u1=$(in_sub $PY "$WHOAMI" udp $H1 5000 $S1 7)
u2=$(in_sub $PY "$WHOAMI" udp $H1 5000 $S2 7)
check "UDP: S1 sees a pool address ($u1)" in_pool "$u1"
check "UDP EIM: S1 and S2 see the same ip:port ($u1, $u2)" \
	test -n "$u1" -a "$u1" = "$u2"
# The operator's question about what S1 saw: the log names H1.
tb_wait 20 ctl lookup "$u1" --at "@$(date +%s)" >/dev/null
out=$(ctl lookup "$u1" --at "@$(date +%s)" 2>&1)
check "lookup of $u1 now names $H1 ($out)" grep -qw "$H1" <<<"$out"

t=$(in_sub $PY "$WHOAMI" tcp $H1 40000 $S1 7 4000000)
read -r tpeer tlen tsum lsum <<<"$t"
check "TCP: 4 MB transfer arrives intact ($tlen bytes)" \
	test "$tlen" = 4000000 -a "$tsum" = "$lsum"
check "TCP: S1 sees a pool address ($tpeer)" in_pool "$tpeer"
# S1's ACKs of an established flow take the one-lookup inbound path.
fast=$(ctl metrics 2>/dev/null |
	sed -n 's/^cgnat_dataplane_total{counter="xlate_in_fast"} //p')
check "TCP: inbound by the reverse session ($fast packets)" \
	test "${fast:-0}" -gt 10
t2=$(in_sub $PY "$WHOAMI" tcp $H1 40000 $S2 7)
check "TCP EIM: same ip:port towards S2 ($t2)" \
	test -n "$t2" -a "$t2" = "$tpeer"

# A server's port unreachable comes back translated (RFC 5508): the
# subscriber's connected socket sees ECONNREFUSED.
r=$(in_sub $PY - "$H1" "$S1" <<'PYEOF'
import errno, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5100)); s.settimeout(3); s.connect((sys.argv[2], 9999))
try:
    s.send(b"x"); s.recv(10); print("answer")
except OSError as e:
    print(errno.errorcode.get(e.errno, "timeout"))
PYEOF
)
check "ICMP port unreachable from S1 reaches H1 translated ($r)" test "$r" = ECONNREFUSED

# Paired pooling: every flow of H2 uses one external address.
addrs=$(for p in 6101 6102 6103 6104 6105; do
	in_sub $PY "$WHOAMI" udp $H2 $p $S1 7
done | cut -d: -f1 | sort -u | wc -l)
check "paired pooling: 5 flows of H2 share one address" test "$addrs" = 1

# Hairpin UDP: H2:6000 learns E(H2); H1 sends to it; H2 must see E(H1).
e2=$(in_sub $PY "$WHOAMI" udp $H2 6000 $S1 7)
e1=$(in_sub $PY "$WHOAMI" udp $H1 5001 $S1 7)
in_sub $PY - "$H2" "$e1" >"$TB_TMP/hp_udp" 2>&1 <<'PYEOF' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 6000)); s.settimeout(5)
data, peer = s.recvfrom(100)
s.sendto(b"pong", peer)
print("%s:%d" % peer)
PYEOF
hp=$!
sleep 0.3
r=$(in_sub $PY - "$H1" "$e2" <<'PYEOF'
import socket, sys
ip, port = sys.argv[2].split(":")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5001)); s.settimeout(5)
s.sendto(b"ping", (ip, int(port)))
data, peer = s.recvfrom(100)
print("%s %s:%d" % (data.decode(), peer[0], peer[1]))
PYEOF
)
wait $hp
seen=$(cat "$TB_TMP/hp_udp")
check "hairpin UDP: H2 sees H1's external endpoint ($seen = $e1)" test "$seen" = "$e1"
check "hairpin UDP: H1 gets the answer from E(H2) ($r)" test "$r" = "pong $e2"

# Hairpin TCP: H2's mapping for port 8080, then H1 connects to it.
e2t=$(in_sub $PY "$WHOAMI" tcp $H2 8080 $S1 7)
in_sub $PY - "$H2" >"$TB_TMP/hp_tcp" 2>&1 <<'PYEOF' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 8080)); s.listen(1); s.settimeout(5)
c, peer = s.accept()
c.sendall(b"hello")
print("%s:%d" % peer)
PYEOF
hp=$!
sleep 0.3
r=$(in_sub $PY - "$H1" "$e2t" <<'PYEOF'
import socket, sys
ip, port = sys.argv[2].split(":")
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(5)
s.bind((sys.argv[1], 0))
s.connect((ip, int(port)))
print(s.recv(100).decode())
PYEOF
)
wait $hp
seen=$(cat "$TB_TMP/hp_tcp")
check "hairpin TCP: connection to E(H2) completes ($r)" test "$r" = hello
check "hairpin TCP: H2 sees a pool address as peer ($seen)" in_pool "$seen"

# Next hops are cached per session but follow changes at once: cgnatd
# hears the route or neighbour change on rtnetlink and bumps the
# next-hop generation before the flow's next packet (sent well within
# the 1 s an older cache trusted a next hop for).
udp1() {	# udp1 SRC SPORT DST: the reflector's answer within 1 s, or timeout
	in_sub $PY - "$@" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.settimeout(1)
s.sendto(b"who", (sys.argv[3], 7))
try:
    print(s.recvfrom(1024)[0].decode().split()[0])
except socket.timeout:
    print("timeout")
PYEOF
}
e=$(udp1 $H1 5002 $S1)
in_nat ip route add unreachable $S1/32
r=$(udp1 $H1 5002 $S1)
check "route to S1 made unreachable: the flow's next packet stops ($r)" \
	test "$r" = timeout
in_nat ip route del unreachable $S1/32
r=$(udp1 $H1 5002 $S1)
check "route back: the next packet is answered ($r = $e)" test "$r" = "$e"
in_nat ip neigh replace 192.0.2.2 lladdr 02:00:00:00:00:99 nud permanent \
	dev out0
r=$(udp1 $H1 5002 $S1)
check "gateway MAC changed: the next packet goes to the new MAC ($r)" \
	test "$r" = timeout
in_nat ip neigh del 192.0.2.2 dev out0
r=$(udp1 $H1 5002 $S1)
check "neighbour deleted: resolved again, answered ($r = $e)" \
	test "$r" = "$e"

# What left towards the internet: only pool addresses as sources.
sleep 0.5
kill "${TB_PIDS[2]}" 2>/dev/null
wait "${TB_PIDS[2]}" 2>/dev/null
total=$(tcpdump -r "$TB_TMP/inet.pcap" -n 'src net 203.0.113.0/24' 2>/dev/null | wc -l)
leak=$(tcpdump -r "$TB_TMP/inet.pcap" -n 'net 100.64.0.0/10' 2>/dev/null | wc -l)
check "capture: $total translated packets on the internet side" test "$total" -gt 20
check "capture: no 100.64.0.0/10 address ever left ($leak found)" test "$leak" = 0

tb_summary
