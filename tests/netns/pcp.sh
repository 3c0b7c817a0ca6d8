#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# pcp.sh - the PCP server (RFC 6887) and NAT-PMP (RFC 6886) end to end:
# a subscriber maps ports with the test's own PCP client and with
# Debian's natpmpc; a server on the internet reaches it through the
# granted ip:port (UDP and TCP) although filtering is address-and-port-
# dependent; the port lies in the subscriber's logged block and lookup
# names it; refusals carry their RFC result codes; a mapping ends at its
# lifetime and with lifetime 0; a restart keeps the mappings and
# announces a new epoch; a flood is bounded by pcp.rate.
set -u
. "$(dirname "$0")/lib.sh"
trap tb_cleanup EXIT
trap 'exit 1' INT TERM
CFG=$TB_TMP/pcp.yaml
PCPC=$ROOT/tests/netns/pcpc.py
GW=100.64.0.1
D5=100.64.3.5	# deterministic: 203.0.113.8, ports 5824-6783 (RFC 7422)

cat >"$CFG" <<YAML
interfaces: { inside: in0, outside: out0 }
subscribers: [100.64.0.0/24, 100.64.3.0/24]
pools:
  - name: test
    addresses: [203.0.113.1, 203.0.113.2]
    subscribers: [100.64.0.0/24]
  - name: det
    addresses: [203.0.113.8/30]
    subscribers: [100.64.3.0/24]
    mode: deterministic
    ports_per_subscriber: 960
nat: { filtering: address-and-port-dependent }
timeouts: { udp: 2s }
pcp: { enabled: true, min_lifetime: 1s, max_lifetime: 60s, per_subscriber: 4, rate: 10 }
testing: { unsafe_short_timers: true }
log: { database: $DB }
YAML

pcp() { in_sub $PY "$PCPC" "$@"; }
field() { sed -n "s/.*$1 \([^ ]*\).*/\1/p"; }
# reach PROTO SRC SPORT EXT: what the subscriber's reflector saw, from inet
reach() { in_inet timeout 3 $PY "$WHOAMI" "$1" "$2" "$3" "${4%:*}" "${4#*:}" 2>/dev/null; }

tb_must "testbed setup" tb_up
in_sub ip addr add $D5/10 dev sub0
tb_bg sub $PY "$WHOAMI" serve $D5 6000
tb_bg sub $PY "$WHOAMI" serve $H1 6000
tb_bg sub $PY "$WHOAMI" serve $H1 6100
tb_bg sub $PY "$WHOAMI" serve $H1 7000
tb_must "cgnatd starts with pcp enabled" tb_cgnatd "$CFG" --allow-unsafe-timers
tb_wait 30 tb_listens in_nat u 5351
pass "cgnatd serves PCP on UDP 5351"

# --- MAP grants and inbound reachability ---------------------------------------
r=$(pcp map $H1 $GW udp 6000 30)
check "MAP udp 6000: success with a lifetime ($r)" \
	grep -q "^result 0 lifetime 30 " <<<"$r"
EXT_U=$(field ext <<<"$r")
check "the external address is a pool address ($EXT_U)" \
	grep -q "^203\.0\.113\.[12]:" <<<"$EXT_U"
out=$(reach udp $S1 4444 "$EXT_U")
check "S1 reaches the subscriber over UDP through $EXT_U ($out)" \
	test "$out" = "$S1:4444"
r=$(pcp map $H1 $GW tcp 6000 30 --nonce 0a0b0c0d0e0f101112131415)
EXT_T=$(field ext <<<"$r")
check "MAP tcp 6000: success ($r)" grep -q "^result 0 lifetime 30 " <<<"$r"
out=$(reach tcp $S2 4445 "$EXT_T")
check "S2 reaches the subscriber over TCP through $EXT_T ($out)" \
	test "$out" = "$S2:4445"
out=$(reach udp $S2 4446 203.0.113.1:$((${EXT_U#*:} ^ 1)))
check "a port without a mapping stays closed ($out)" test -z "$out"
sleep 0.5
now=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
out=$(ctl lookup "$EXT_U" --at "$now")
check "lookup names the subscriber for the granted port ($out)" \
	grep -q "subscriber $H1" <<<"$out"
p=${EXT_U#*:}
rows=$(sqlite3 "$DB" "SELECT count(*) FROM blocks_all WHERE sub_addr = 1681915914 AND port_first <= $p AND port_last >= $p")
check "the granted port lies in a logged block of the subscriber ($rows)" \
	test "$rows" -ge 1
out=$(ctl pcp)
check "cgnatctl pcp lists both mappings" \
	test "$(grep -c "^udp \|^tcp " <<<"$out")" = 2
check "cgnatctl pcp --json parses" sh -c "$(printf '%q ' nsenter --net=/var/run/netns/"$NS_NAT" "$BIN/cgnatctl" --pin-dir "$PIN" --run-dir "$RUN" --json pcp) | $PY -c 'import json,sys; d=json.load(sys.stdin); assert len(d[\"mappings\"]) == 2 and d[\"counters\"][\"pcp_granted\"] == 2'"

r=$(pcp map $H1 $GW udp 6002 30)
p=$(field ext <<<"$r")
p=${p#*:}
check "an even internal port gets an even external port (ports.parity, RFC 7857 section 8) ($r)" \
	test -n "$p" -a $((p % 2)) = 0
r=$(pcp map $H1 $GW udp 6002 0)
check "and lifetime 0 ends it ($r)" grep -q "^result 0 lifetime 0 " <<<"$r"

# A deterministic subscriber's port comes from its own range.
r=$(pcp map $D5 $GW udp 6000 30)
EXT_D=$(field ext <<<"$r")
check "a deterministic subscriber's MAP lies in its range ($r)" test \
	"${EXT_D%:*}" = 203.0.113.8 -a "${EXT_D#*:}" -ge 5824 -a "${EXT_D#*:}" -le 6783
out=$(reach udp $S1 4460 "$EXT_D")
check "S1 reaches the deterministic subscriber through $EXT_D ($out)" \
	test "$out" = "$S1:4460"
out=$(ctl lookup "$EXT_D" --at "@$(date +%s)")
check "lookup names it from the layout ($out)" grep -q "subscriber $D5" <<<"$out"
sleep 1.1 # H1's pcp.rate

# Refresh with the same nonce keeps the port; another nonce is refused.
r=$(pcp map $H1 $GW udp 6000 30)
check "a refresh keeps the external port ($r)" test "$(field ext <<<"$r")" = "$EXT_U"
r=$(pcp map $H1 $GW udp 6000 30 --nonce ffffffffffffffffffffffff)
check "another nonce on the mapping: NOT_AUTHORIZED ($r)" grep -q "^result 2 " <<<"$r"

# --- refusals (RFC 6887 section 7.4) -------------------------------------------
r=$(pcp map $H1 $GW udp 6001 30 --version 1)
check "version 1: UNSUPP_VERSION, answered as version 2 ($r)" \
	grep -q "^result 1 .* version 2$" <<<"$r"
r=$(pcp map $H1 $GW udp 6001 30 --opcode 5)
check "opcode 5: UNSUPP_OPCODE ($r)" grep -q "^result 4 " <<<"$r"
r=$(pcp map $H1 $GW udp 6001 30 --truncate 40)
check "a truncated MAP: MALFORMED_REQUEST ($r)" grep -q "^result 3 " <<<"$r"
r=$(pcp map $H1 $GW udp 6001 30 --option 99:)
check "an unknown mandatory option: UNSUPP_OPTION ($r)" grep -q "^result 5 " <<<"$r"
r=$(pcp map $H1 $GW udp 6001 30 --option 2:00000000)
check "a malformed PREFER_FAILURE: MALFORMED_OPTION ($r)" grep -q "^result 6 " <<<"$r"
r=$(pcp map $H1 $GW 1 6001 30)
check "protocol ICMP: UNSUPP_PROTOCOL ($r)" grep -q "^result 9 " <<<"$r"
r=$(pcp map $H1 $GW udp 6001 30 --client-ip $H2)
check "client address not the source: ADDRESS_MISMATCH ($r)" grep -q "^result 12 " <<<"$r"
r=$(pcp map $H1 $GW udp 6001 30 --third-party $H2)
check "THIRD_PARTY, not configured: NOT_AUTHORIZED ($r)" grep -q "^result 2 " <<<"$r"
sleep 1.1 # H1 has spent its pcp.rate of 10 a second
r=$(pcp map $H1 $GW udp 6001 30 --suggest 80 --prefer-failure)
check "PREFER_FAILURE for a port outside its blocks: CANNOT_PROVIDE_EXTERNAL ($r)" \
	grep -q "^result 11 " <<<"$r"
r=$(pcp map $H3 $GW udp 6001 30)
check "a source outside the subscriber prefixes: NOT_AUTHORIZED ($r)" \
	grep -q "^result 2 " <<<"$r"
rows=$(sqlite3 "$DB" "SELECT count(*) FROM blocks_all WHERE sub_addr = 1681916170")
check "no block for the non-subscriber ($rows)" test "$rows" = 0
pcp map $H2 $GW udp 100 30 >/dev/null
pcp map $H2 $GW udp 101 30 >/dev/null
pcp map $H2 $GW udp 102 30 >/dev/null
r=$(pcp map $H2 $GW udp 103 30)
check "a 4th mapping is granted ($r)" grep -q "^result 0 " <<<"$r"
r=$(pcp map $H2 $GW udp 104 30)
check "a 5th (per_subscriber 4): USER_EX_QUOTA ($r)" grep -q "^result 10 " <<<"$r"
r=$(pcp announce $H1 $GW)
check "an ANNOUNCE request is answered ($r)" grep -q "^result 0 lifetime 0 " <<<"$r"

# --- NAT-PMP with Debian's natpmpc ------------------------------------------------
out=$(in_sub natpmpc -g $GW -a 0 7000 udp 30 2>&1)
np=$(sed -n 's/.*Mapped public port \([0-9]*\) protocol UDP to local port 7000.*/\1/p' <<<"$out")
pub=$(sed -n 's/.*Public IP address : \([0-9.]*\).*/\1/p' <<<"$out")
check "natpmpc maps UDP 7000 (port $np, address $pub)" test -n "$np" -a -n "$pub"
out=$(reach udp $S1 4447 "$pub:$np")
check "S1 reaches the natpmpc mapping ($out)" test "$out" = "$S1:4447"

# --- lifetime: expiry, and deletion by lifetime 0 ----------------------------------
r=$(pcp map $H1 $GW udp 6100 2 --nonce 111111111111111111111111)
EXT_S=$(field ext <<<"$r")
check "MAP udp 6100 for 2 s ($r)" grep -q "^result 0 lifetime 2 " <<<"$r"
out=$(reach udp $S1 4448 "$EXT_S")
check "reachable during its lifetime ($out)" test "$out" = "$S1:4448"
sleep 3.5
out=$(reach udp $S2 4449 "$EXT_S")
check "after its lifetime a new remote is filtered again ($out)" test -z "$out"
check "cgnatctl pcp no longer lists it" sh -c "! $(printf '%q ' nsenter --net=/var/run/netns/"$NS_NAT" "$BIN/cgnatctl" --pin-dir "$PIN" --run-dir "$RUN" pcp) | grep -q ':6100 '"
r=$(pcp map $H1 $GW tcp 6000 0 --nonce 0a0b0c0d0e0f101112131415)
check "lifetime 0 deletes the TCP mapping ($r)" grep -q "^result 0 lifetime 0 " <<<"$r"
out=$(reach tcp $S1 4450 "$EXT_T")
check "a deleted mapping admits nobody new ($out)" test -z "$out"

# --- restart: mappings kept, a new epoch announced -----------------------------------
e1=$(pcp announce $H1 $GW | field epoch)
sleep 2
tb_bg sub $PY "$PCPC" listen 6 >"$TB_TMP/announce.txt"
LISTEN=${TB_PIDS[-1]}
sleep 0.3
tb_stop_cgnatd TERM
tb_must "cgnatd restarts" tb_cgnatd "$CFG" --allow-unsafe-timers
wait "$LISTEN" 2>/dev/null
out=$(reach udp $S2 4451 "$EXT_U")
check "after the restart the UDP mapping still admits a new remote ($out)" \
	test "$out" = "$S2:4451"
ann=$(head -1 "$TB_TMP/announce.txt")
check "an unsolicited ANNOUNCE reached the subscribers' link ($ann)" \
	grep -q "^announce epoch [0-9]" <<<"$ann"
e2=$(pcp announce $H1 $GW | field epoch)
check "the epoch started again ($e1 before, $e2 after)" test "$e2" -lt "$e1"
check "cgnatctl pcp lists the kept mapping after the restart" \
	sh -c "$(printf '%q ' nsenter --net=/var/run/netns/"$NS_NAT" "$BIN/cgnatctl" --pin-dir "$PIN" --run-dir "$RUN" pcp) | grep -q ':6000 '"
r=$(pcp map $H1 $GW udp 6000 30)
check "the client's refresh after the restart keeps its port ($r)" \
	test "$(field ext <<<"$r")" = "$EXT_U"

# --- a flood is bounded ----------------------------------------------------------------
sleep 1.1
r=$(pcp flood $H2 $GW 500)
n=$(sed -n 's/.*answered \([0-9]*\)/\1/p' <<<"$r")
check "a flood of 500 requests gets at most 2 x rate answers ($r)" \
	test -n "$n" -a "$n" -le 20 -a "$n" -ge 1
sleep 1.1
r=$(pcp map $H2 $GW udp 100 30)
check "after the flood the subscriber is answered again ($r)" grep -q "^result 0 " <<<"$r"
out=$(ctl pcp)
check "the counters show the dropped requests" \
	grep -q "^pcp_dropped_rate [1-9]" <<<"$out"
tb_summary
