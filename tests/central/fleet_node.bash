# SPDX-License-Identifier: GPL-2.0
# fleet_node.bash NODE POOL URL DIR: one box of tests/netns/fleet2.sh, run
# as its own bash process so that it has its own testbed (lib.sh names
# carry the PID): cgnatd with pool POOL ships to URL as NODE; subscribers
# send UDP to the whoami server, and every "SRC EXT MS" the server saw
# goes to DIR/NODE.seen. Then DIR/NODE.ready, and it waits for DIR/done
# (at most 180 s) before cleaning up.
NODE=$1
export TB_POOL=$2
URL=$3
DIR=$4
. "$(dirname "$0")/../netns/lib.sh"
trap tb_cleanup EXIT
tb_up || { echo "FAIL: $NODE testbed"; exit 1; }
TB_LOG="central: { url: \"$URL\", node: $NODE }"
tb_yaml "$TB_TMP/cgnat.yaml"
tb_bg inet $PY "$WHOAMI" serve $S1 7
tb_wait 30 in_inet ss -lun "sport = :7" | grep -q 7
tb_cgnatd "$TB_TMP/cgnat.yaml" || { echo "FAIL: $NODE cgnatd"; cat "$TB_TMP/cgnatd.log"; exit 1; }
subs="$H1 $H2 $H3"
for i in $(seq 20 29); do
	in_sub ip addr add 100.64.3.$i/10 dev sub0
	subs="$subs 100.64.3.$i"
done
for port in 5001 5002 5003; do
	for h in $subs; do
		echo "$h $(in_sub $PY "$WHOAMI" udp $h $port $S1 7) $(date +%s%3N)"
	done
done >"$DIR/$NODE.seen"
last=$(date +%s%3N)
drained() {
	awk -v t="$last" '$1 == "written_ms" && $2 > t { w = 1 }
		$1 == "central_rows_behind" && $2 == 0 { b = 1 }
		$1 == "central_connected" && $2 == 1 { c = 1 }
		END { exit !(w && b && c) }' "$RUN/cgnatd.stats"
}
tb_wait 300 drained || echo "FAIL: $NODE did not drain"
touch "$DIR/$NODE.ready"
tb_wait 1800 test -e "$DIR/done"
