#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# pmtu.sh - ICMP errors, path MTU and fragments through cgnatd (issue 7):
# tracepath from a subscriber shows the cgnat hop (time exceeded made in
# XDP) and the path MTU, both when a router further on has the small link
# (its 3/4 translated back) and when cgnat's own egress link does (3/4 made
# in XDP); a UDP datagram larger than the MTU crosses both ways, also with
# its fragments in reverse order in either direction, run again by
# cgnatd's holder both ways it can (live frames where the kernel takes
# them, and the copy path); traffic keeps flowing during a flood of
# orphan fragments.
#
# Testbed of lib.sh, with the internet namespace turned into a router and
# the server behind a 1400-byte link in a fourth namespace:
#   sub --- nat (cgnatd) --- inet (router R 192.0.2.2) --- srv (S1)
#                                 rtr1 198.51.100.1/24 mtu 1400 srv0
set -u
. "$(dirname "$0")/lib.sh"
NS_SRV=${TB}srv
FRAG=$ROOT/tests/netns/frag.py
cleanup() {
	tb_cleanup
	ip netns del "$NS_SRV" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM
in_srv() { ip netns exec "$NS_SRV" "$@"; }

# reversed_cross LABEL PORT: 3000 bytes whose fragments come last first,
# sent by the subscriber (from PORT), then answered so by the server
# (from PORT + 1): early fragments held and run again in each direction.
reversed_cross() {
	local r
	r=$(in_sub $PY "$FRAG" send $H1 "$2" $S1 7 3000 reverse)
	check "${1}fragments sent last first cross outbound ($r)" \
		test "$r" = "ok 3000"
	r=$(in_sub $PY "$FRAG" send $H1 $(($2 + 1)) $S1 8 3000)
	check "${1}answer fragments arriving last first cross inbound ($r)" \
		test "$r" = "ok 3000"
}

srv_up() {
	ip netns add "$NS_SRV" || return 1
	ip link add rtr1 netns "$NS_INET" type veth peer name srv0 \
		netns "$NS_SRV" || return 1
	in_inet sh -e -c "
		ip addr del $S1/32 dev lo
		ip link set rtr1 up mtu 1400
		ip addr add 198.51.100.1/24 dev rtr1
		sysctl -qw net.ipv4.ip_forward=1
		ethtool -K rtr1 gro on tx off >/dev/null" || return 1
	in_srv sh -e -c "
		ip link set lo up; ip link set srv0 up mtu 1400
		ip addr add $S1/24 dev srv0
		ip route add default via 198.51.100.1
		ethtool -K srv0 gro on tx off >/dev/null"
}

if ! tb_up || ! srv_up; then
	fail "testbed setup"
	tb_summary
	exit 1
fi
tb_yaml "$TB_TMP/cgnat.yaml"
tb_cgnatd "$TB_TMP/cgnat.yaml" || fail "cgnatd started"
ip netns exec "$NS_SRV" $PY "$FRAG" echo $S1 7 &
TB_PIDS+=($!)
ip netns exec "$NS_SRV" $PY "$FRAG" echo $S1 8 reverse &
TB_PIDS+=($!)
tb_wait 50 tb_listens in_srv u 8 '

# 1. A router behind cgnat has the 1400-byte link: tracepath shows the
# cgnat hop (time exceeded from 100.64.0.1, made in XDP), the router's
# (translated back) and the path MTU from the router's translated 3/4.
tp=$(in_sub tracepath -n -m 6 $S1 2>&1)
echo "$tp" | sed 's/^/# /'
check "tracepath: hop 1 is cgnat's inside address" \
	grep -qE '^ 1: +100\.64\.0\.1 ' <<<"$tp"
check "tracepath: hop 2 is the router (its time exceeded translated)" \
	grep -qE '^ 2: +192\.0\.2\.2 ' <<<"$tp"
check "tracepath: path MTU 1400 from the router's 3/4, S1 reached" \
	grep -qE 'Resume: pmtu 1400 hops 3' <<<"$tp"
n=$(tb_dpstat ttl_expired)
check "time exceeded made in XDP ($n), not by the kernel" \
	test "${n:-0}" -ge 1
n=$(tb_dpstat icmp_error_translated)
check "router's errors translated ($n)" test "${n:-0}" -ge 2

# 2. cgnat's own egress link is the small one: the 3/4 is made in XDP
# from the inside address with the link's MTU, from the first packet
# after the change. A flow sends 1400 bytes with DF (they fit), out0
# shrinks to 1300, and the same flow's next datagram, sent as soon as
# cgnatd has bumped the next-hop generation (it reads the change from
# rtnetlink, a few ms later on a loaded machine), gets the 3/4: its
# cached next hop (egress MTU included) was dropped by the bump.
r=$(in_sub $PY - $H1 $S1 "$NS_NAT" "$PIN" $$ <<'PYEOF'
import json, socket, subprocess, sys, time
IP_MTU_DISCOVER, IP_PMTUDISC_DO, IP_MTU = 10, 2, 14

def gen():	# the pinned generation, read in the test's mount namespace
    out = subprocess.run(["nsenter", "--mount=/proc/%s/ns/mnt" % sys.argv[5],
                          "bpftool", "-j", "map", "lookup", "pinned",
                          sys.argv[4] + "/cgnat_nh_gen", "key", "0", "0", "0",
                          "0"], capture_output=True, text=True).stdout
    return json.loads(out)["value"] if out else None

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO)
s.bind((sys.argv[1], 5299))
s.connect((sys.argv[2], 7))
s.send(b"x" * 1372)	# 1400 bytes of IP
time.sleep(0.2)
g0 = gen()
if g0 is None:
    sys.exit("cannot read cgnat_nh_gen")
subprocess.run(["nsenter", "--net=/var/run/netns/" + sys.argv[3], "ip",
                "link", "set", "out0", "mtu", "1300"], check=True)
for _ in range(200):
    if gen() != g0:
        break
    time.sleep(0.01)
s.send(b"x" * 1372)	# the same flow, right after the bump
time.sleep(0.3)
print(s.getsockopt(socket.IPPROTO_IP, IP_MTU))
PYEOF
)
check "the flow's next datagram after out0 shrank gets 3/4 1300 ($r)" \
	test "$r" = 1300
tp=$(in_sub tracepath -n -m 6 $S1 2>&1)
echo "$tp" | sed 's/^/# /'
check "tracepath: path MTU 1300 from cgnat's own 3/4" \
	grep -qE 'Resume: pmtu 1300 hops 3' <<<"$tp"
n=$(tb_dpstat packet_too_big)
check "packet too big made in XDP ($n)" test "${n:-0}" -ge 1
in_nat ip link set out0 mtu 1500

# 3. Fragmented UDP both ways: 3000 bytes, fragmented by the sender's
# kernel, refragmented by the router; the echo comes back fragmented.
r=$(in_sub $PY "$FRAG" send $H1 5300 $S1 7 3000)
check "UDP 3000 B fragmented by the sender crosses both ways ($r)" \
	test "$r" = "ok 3000"
reversed_cross "UDP " 5301
n=$(tb_dpstat fragment_reinjected)
check "early fragments held and run again ($n)" test "${n:-0}" -ge 2
n=$(tb_dpstat fragment_reinject_failed)
check "none of them failed ($n; $(tb_dpstat fragment_reinject_copied) by the copy path)" \
	test "${n:-1}" = 0

# 3b. The copy path (daemon/fraghold.h: what a kernel without live frames
# gets), forced by CGNAT_FRAG_REINJECT=copy across a restart: the same
# two crossings, then inbound fragments larger than the subscriber link
# (in0 and sub0 at 900 bytes), which XDP passes to the kernel as their
# first went: sent on a raw socket, cut to the route's MTU.
tb_stop_cgnatd
export CGNAT_FRAG_REINJECT=copy
tb_cgnatd "$TB_TMP/cgnat.yaml" || fail "cgnatd restarted with the copy path"
unset CGNAT_FRAG_REINJECT
check "cgnatd says it copies" \
	grep -q "CGNAT_FRAG_REINJECT=copy" "$TB_TMP/cgnatd.log"
reversed_cross "copy path: " 5303
p0=$(tb_dpstat pass_fragment_needed)
in_nat ip link set in0 mtu 900
in_sub ip link set sub0 mtu 900
r=$(in_sub $PY "$FRAG" send $H1 5305 $S1 8 3000)
check "copy path: held fragments too big for in0 cross, cut to 900 ($r)" \
	test "$r" = "ok 3000"
in_nat ip link set in0 mtu 1500
in_sub ip link set sub0 mtu 1500
sleep 0.3	# a round of the holder to publish its counters
n=$(tb_dpstat fragment_reinject_copied)
check "copy path: at least 4 sent by it ($n)" test "${n:-0}" -ge 4
n=$(tb_dpstat fragment_reinject_failed)
check "copy path: none failed ($n)" test "${n:-1}" = 0
n=$(( $(tb_dpstat pass_fragment_needed) - ${p0:-0} ))
check "copy path: the too-big first fragments went to the kernel ($n)" \
	test "$n" -ge 1

# 4. A flood of orphan fragments at a pool address: bounded, counted,
# and an exchange of datagrams meanwhile loses nothing.
in_srv $PY "$FRAG" flood 203.0.113.1 4 >/dev/null &
fl=$!
TB_PIDS+=($fl)
ok=0
for i in $(seq 1 20); do
	r=$(in_sub $PY "$FRAG" send $H1 $((5400 + i)) $S1 7 200)
	[ "$r" = "ok 200" ] && ok=$((ok + 1))
done
wait "$fl"
check "20 of 20 exchanges answered during the flood ($ok)" test "$ok" = 20
held=$(tb_dpstat fragment_held)
bounded=$(( $(tb_dpstat fragment_hold_full) + $(tb_dpstat fragment_hold_refused) ))
check "orphans held ($held) and the rest refused by the bounds ($bounded)" \
	test "${held:-0}" -ge 1 -a "$bounded" -ge 1
sleep 3	# the hold, and a round of the holder to publish its counters
n=$(tb_dpstat fragment_expired)
check "orphans expire after the 2 s hold ($n)" test "${n:-0}" -ge 1
tb_summary
