#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# relink.sh - the interfaces change under a stopped cgnatd. cgnatd is
# stopped (data plane left pinned), both veth pairs are deleted and created
# again (new ifindexes and MACs: a netns rebuilt here, a VLAN, bond or
# driver reload on a real box), and cgnatd started again must replace the
# severed pinned links with fresh ones (saying so, once per link), keep the
# pinned maps (blocks held before are still held, the same subscriber keeps
# its external ip:port) and forward both ways. Every packet captured on the
# internet side before and after is looked up and must name its sender.
# Then the other case: a pinned link on a live interface whose name now
# belongs to another ifindex (in0 renamed away, a new in0 created).
set -u
. "$(dirname "$0")/lib.sh"
trap '[ "$FAILED" = 0 ] || cat "$TB_TMP/cgnatd.log"; tb_cleanup' EXIT
trap 'exit 1' INT TERM
CFG=$TB_TMP/cgnat.yaml
SUBS=(100.64.4.1 100.64.4.2 100.64.4.3)

tb_must "testbed setup" tb_up
add_subs() { printf 'addr add %s/10 dev sub0\n' "${SUBS[@]}" | in_sub ip -batch -; }
add_subs
tb_yaml "$CFG"
tb_bg inet $PY "$WHOAMI" serve $S1 7
tb_wait 30 tb_listens in_inet t 7
tb_must "cgnatd starts" tb_cgnatd "$CFG"

capture() {	# capture FILE: tcpdump on inet0 until the link goes
	tb_bg inet tcpdump --immediate-mode -i inet0 -n -w "$1" -U -s 200 ip 2>/dev/null
	CAP=$!
	sleep 0.5
}
lookups() {	# lookups WHAT PCAP: every captured packet names its sender
	local r n c u w
	r=$($PY "$TRAFFIC" lookups "$2" "$BIN/cgnatctl" -c "$CFG" \
		--pin-dir "$PIN" --run-dir "$RUN")
	echo "$r"
	read -r _ n _ c _ u _ w _ <<<"$r"
	check "$1: lookup of every captured packet names its sender ($(head -1 <<<"$r"))" \
		test "${n:-0}" -ge 18 -a "$c" = "$n" -a "$u" = 0 -a "$w" = 0
}
held() { ctl --json blocks | $PY -c 'import json,sys; print(len(json.load(sys.stdin)["blocks"]))'; }

# --- before -------------------------------------------------------------------------
e1=$(in_sub $PY "$WHOAMI" udp $H1 5000 $S1 7)
capture "$TB_TMP/before.pcap"	# tagged flows only
r=$(in_sub $PY "$TRAFFIC" tagged $S1 7 2 "${SUBS[@]}")
check "before: tagged UDP, TCP and ping from 3 subscribers ($r)" test "$r" = "sent 18 answered 18"
check "before: H1 is seen as a pool address ($e1)" grep -q '^203\.0\.113\.' <<<"$e1"
n0=$(held)
tb_stop_cgnatd TERM
ifindex() { in_nat ip -o link show "$1" | cut -d: -f1; }
if0=$(ifindex in0)

# --- the interfaces go and come back ------------------------------------------------
tb_unlink
kill "$CAP" 2>/dev/null
li=$(bpftool -j link show pinned "$PIN/link_inside" 2>&1)
check "the pinned inside link is severed with its interface ($li)" \
	$PY -c 'import json,sys; d=json.load(sys.stdin); sys.exit(d.get("prog_id", 0) == 0 or d.get("ifindex", 0) != 0)' <<<"$li"
tb_links && add_subs
if1=$(ifindex in0)
check "in0 is a new interface (ifindex $if0 -> $if1)" test "$if0" != "$if1"
check "cgnatd starts on the pinned maps with new interfaces" tb_cgnatd "$CFG"
n=$(grep -c "was severed (its interface was deleted; .* is now ifindex [0-9]*): replaced by a new link, pinned maps kept" "$TB_TMP/cgnatd.log")
check "the log says once per link that the severed link was replaced ($n lines)" \
	test "$n" = 1 -a "$(grep -c 'link_inside was severed' "$TB_TMP/cgnatd.log")" = 1
check "cgnatd reused the pinned maps" grep -q "reused maps" "$TB_TMP/cgnatd.log"
check "XDP is attached to the new in0 and out0" \
	bash -c "nsenter --net=/var/run/netns/$NS_NAT ip link show in0 | grep -q 'prog/xdp' &&
		nsenter --net=/var/run/netns/$NS_NAT ip link show out0 | grep -q 'prog/xdp'"
n1=$(held)
check "status still shows the $n0 blocks held before ($n1)" test "$n1" = "$n0" -a "$n0" -ge 4
st=$(ctl status)
check "status: the log and the block table agree" \
	grep -q "$n0 open holdings, $n0 blocks held: consistent" <<<"$st"

# --- after --------------------------------------------------------------------------
e2=$(in_sub $PY "$WHOAMI" udp $H1 5000 $S1 7)
check "after: H1 keeps its external ip:port ($e1 -> $e2)" test -n "$e2" -a "$e2" = "$e1"
capture "$TB_TMP/after.pcap"
r=$(in_sub $PY "$TRAFFIC" tagged $S1 7 2 "${SUBS[@]}")
check "after: tagged UDP, TCP and ping from the same subscribers ($r)" test "$r" = "sent 18 answered 18"
sleep 0.3
kill "$CAP" 2>/dev/null
check "after: a new subscriber gets through" in_sub ping -c 1 -W 2 -I $H3 $S1 -q
lookups "before" "$TB_TMP/before.pcap"
lookups "after" "$TB_TMP/after.pcap"

# --- a pinned link on a live interface that lost its name ---------------------------
n0=$(held)
tb_stop_cgnatd TERM
old=$(ifindex in0)
in_nat ip link set in0 down
in_nat ip link set in0 name in0old
in_nat ip link add in0 type veth peer name in0p
in_nat ip link set in0 up
in_nat ip link set in0p up
new=$(ifindex in0)
check "cgnatd starts when in0 is another interface ($old -> $new)" tb_cgnatd "$CFG"
check "the log says the link on ifindex $old was replaced" \
	grep -q "link_inside was on ifindex $old but in0 is now ifindex $new: replaced by a new link" "$TB_TMP/cgnatd.log"
check "XDP left the renamed interface" \
	bash -c "! nsenter --net=/var/run/netns/$NS_NAT ip link show in0old | grep -q 'prog/xdp'"
check "XDP is on the new in0" bash -c "nsenter --net=/var/run/netns/$NS_NAT ip link show in0 | grep -q 'prog/xdp'"
check "the blocks are still held ($(held))" test "$(held)" = "$n0"

tb_summary
