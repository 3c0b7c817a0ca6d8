#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# synicmp.sh - unsolicited inbound SYNs (RFC 5382 REQ-4) on veth, with
# filtering apdf and nat.unsolicited_syn: icmp. S1's SYN to an unmapped
# external port gets nothing at all for 6 s, then one ICMP 3/3 from the
# address it was sent to, quoting the SYN byte for byte, both checksums
# good. S1's SYN to H1's mapping, which filtering refuses, followed within
# the window by H1's SYN to S1 (a simultaneous open) makes a connection and
# never draws an ICMP. Both run at once. After a SIGHUP to
# unsolicited_syn: drop a SYN gets nothing. The counters say so.
set -u
. "$(dirname "$0")/lib.sh"
trap tb_cleanup EXIT
trap 'exit 1' INT TERM
CFG=$TB_TMP/cgnat.yaml
SYN=$ROOT/tests/netns/syn.py
export TB_POOL="203.0.113.1, 203.0.113.2"

tb_must "testbed setup" tb_up
tb_yaml "$CFG" "nat: { filtering: apdf, unsolicited_syn: icmp }"
tb_bg inet $PY "$WHOAMI" serve $S2 7
tb_wait 30 tb_listens in_inet t 7
tb_must "cgnatd starts" tb_cgnatd "$CFG"
check "cgnatd warns nothing about unsolicited_syn at start" \
	bash -c "! grep -q 'unsolicited_syn' '$TB_TMP/cgnatd.log'"

# j FILE EXPR: a Python expression over the JSON object d in FILE.
j() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# H1's TCP mapping E:P, made by a connection to S2.
e=$(in_sub $PY "$WHOAMI" tcp $H1 5001 $S2 7)
ext=${e%:*}
eport=${e#*:}
check "H1 has a TCP mapping ($e)" test -n "$ext" -a -n "$eport"
# The other pool address: no mapping at all there.
other=203.0.113.1
[ "$ext" = "$other" ] && other=203.0.113.2

# --- both at once: unmapped probe, and a simultaneous open at E:P -----------
in_inet $PY "$SYN" probe $S1 4445 $other 40000 8 >"$TB_TMP/probe.json" &
probe=$!
in_inet $PY "$SYN" simopen $S1 4444 "$ext" "$eport" 8 >"$TB_TMP/simopen.json" &
simopen=$!
TB_PIDS+=($probe $simopen)
sleep 1
r=$(in_sub $PY "$SYN" connect $H1 5001 $S1 4444 2>&1)
check "H1's SYN to S1 within the window opens the connection ($r)" \
	test "$r" = ok
wait $probe
wait $simopen

p=$TB_TMP/probe.json
check "unmapped SYN: exactly one ICMP ($(j "$p" 'len(d["icmp"])'))" \
	test "$(j "$p" 'len(d["icmp"])')" = 1
check "unmapped SYN: no TCP answer" test "$(j "$p" 'd["tcp_segments"]')" = 0
t=$(j "$p" 'd["icmp"][0]["t"] if d["icmp"] else -1')
check "unmapped SYN: nothing for 6 s, ICMP at ${t}s (6..7.5)" \
	$PY -c "import sys; sys.exit(not 6.0 <= $t <= 7.5)"
check "unmapped SYN: ICMP type 3 code 3" \
	test "$(j "$p" '[(i["type"], i["code"]) for i in d["icmp"]]')" = "[(3, 3)]"
check "unmapped SYN: ICMP from the address the SYN was sent to" \
	test "$(j "$p" '[i["src"] for i in d["icmp"]]')" = "['$other']"
check "unmapped SYN: IP and ICMP checksums verify" \
	test "$(j "$p" 'all(i["ip_csum_ok"] and i["icmp_csum_ok"] for i in d["icmp"])')" = True
check "unmapped SYN: the quote is the SYN, byte for byte" \
	test "$(j "$p" 'd["icmp"] != [] and d["icmp"][0]["quote"] == d["syn"]')" = True

s=$TB_TMP/simopen.json
check "simultaneous open: S1's socket connected ($(j "$s" 'd["connected"]'))" \
	test "$(j "$s" 'd["connected"]')" = ok
check "simultaneous open: no ICMP in 8 s ($(j "$s" 'len(d["icmp"])'))" \
	test "$(j "$s" 'len(d["icmp"])')" = 0
check "counters: syn_icmp_sent 1 ($(tb_dpstat syn_icmp_sent))" \
	test "$(tb_dpstat syn_icmp_sent)" = 1
check "counters: syn_simultaneous_open 1 ($(tb_dpstat syn_simultaneous_open))" \
	test "$(tb_dpstat syn_simultaneous_open)" = 1
check "counters: syn_pending 2 ($(tb_dpstat syn_pending))" \
	test "$(tb_dpstat syn_pending)" = 2

# --- SIGHUP to drop: live, nothing answered ---------------------------------
sed -i 's/unsolicited_syn: icmp/unsolicited_syn: drop/' "$CFG"
kill -HUP "$CGNATD_PID"
check "reload applies nat.unsolicited_syn live" tb_wait 50 \
	grep -q "applied live: .*nat.unsolicited_syn" "$TB_TMP/cgnatd.log"
d0=$(tb_drops unsolicited)
in_inet $PY "$SYN" probe $S1 4446 $other 40001 7.5 >"$TB_TMP/drop.json"
check "drop: no ICMP in 7.5 s ($(j "$TB_TMP/drop.json" 'len(d["icmp"])'))" \
	test "$(j "$TB_TMP/drop.json" 'len(d["icmp"])')" = 0
check "drop: no TCP answer" test "$(j "$TB_TMP/drop.json" 'd["tcp_segments"]')" = 0
check "drop: counted as unsolicited ($d0 -> $(tb_drops unsolicited))" \
	test "$(tb_drops unsolicited)" = $((d0 + 1))
check "drop: not held ($(tb_dpstat syn_pending))" test "$(tb_dpstat syn_pending)" = 2

tb_stop_cgnatd
tb_summary
