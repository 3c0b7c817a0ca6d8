#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# logdisk.sh - the log's disk fills up (a 4 MiB tmpfs of the test's own
# holds the SQLite file) while subscribers take and release port blocks.
# The pool has two blocks, one of them kept in a growth slot, so whether
# a released block is granted again to a new subscriber
# is plain to see. Phase 1: H1 takes the block and releases it while no
# commit goes through; H2 gets nothing (the release is not logged, so the
# block is neither quarantined nor granted), cgnatctl status shows the
# backlog; once the disk has room the holding is written with H1's own
# times and H2 gets the block after the quarantine. Phase 2: the same,
# but cgnatd is killed (SIGKILL) in the outage and started again while
# the disk is still full: no grant until its reconciliation has written
# the released holding from the block table, which it does once the
# disk has room (and the configuration record of that start, retried).
# Every holding is then looked up at its packet's time. Phase 3: a
# backlog over log.max_backlog holds new grants until the log commits.
set -u
. "$(dirname "$0")/lib.sh"
DISK=$TB_TMP/disk
DB=$DISK/cgnat.db
CFG=$TB_TMP/cgnat.yaml
ld_cleanup() {
	tb_stop_cgnatd KILL
	umount -l "$DISK" 2>/dev/null
	tb_cleanup
}
trap ld_cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$DISK"
tb_must "a tmpfs of our own for the log's disk" \
	mount -t tmpfs -o size=4m logdisk "$DISK"
tb_must "testbed setup" tb_up
tb_bg inet $PY "$WHOAMI" serve $S1 7
tb_wait 30 tb_listens in_inet u 7

TB_POOL=203.0.113.1 tb_yaml "$CFG" \
	"ports: { range: 1024-1151, block_size: 64, max_blocks: 1 }" \
	"testing: { unsafe_short_timers: true }" \
	"blocks: { idle_release: 1s, quarantine: 2s }" \
	"timeouts: { udp: 2s, icmp: 2s, tcp_transitory: 2s, tcp_established: 10s }"

# udp_from SRC: one datagram to S1:7 from a fresh port; prints the
# external ip:port S1 saw (or "none") and the time (ms) after it.
udp_from() {
	in_sub $PY - "$1" "$S1" <<'PYEOF'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0)); s.settimeout(1.5)
s.sendto(b"sub=" + sys.argv[1].encode(), (sys.argv[2], 7))
try:
    r = s.recv(100).decode().strip()
except OSError:
    r = "none"
print(r, int(time.time() * 1000))  # after the reply: the block is held
PYEOF
}

st() {	# st KEY...: a value from cgnatctl status --json
	ctl --json status 2>/dev/null | $PY -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1:]:
    v = v[k]
print(str(v).lower())' "$@"
}
held_is() { [ "$(st blocks held)" = "$1" ]; }
backlog_over() { [ "$(st log backlog)" -gt "$1" ] 2>/dev/null; }
consistent() { [ "$(st log consistent)" = true ]; }
fill() { dd if=/dev/zero of="$DISK/filler" bs=64k 2>/dev/null; sync; }
# lookup_is EP MS SUB: the log names SUB for EP at MS
lookup_is() {
	ctl lookup "$1" --at "@$(($2 / 1000)).$(printf %03d $(($2 % 1000)))" \
		--json 2>/dev/null | grep -q "\"subscriber\":\"$3\""
}
# granted SRC: SRC's datagram gets through within 8 s (sets GOT, GOT_MS)
granted() {
	local i r
	for i in $(seq 16); do
		r=$(udp_from "$1")
		GOT=${r% *}
		GOT_MS=${r#* }
		[ "$GOT" != none ] && return 0
		sleep 0.5
	done
	return 1
}

tb_must "cgnatd starts" tb_cgnatd "$CFG" --allow-unsafe-timers
PID=$CGNATD_PID

# --- phase 1: outage and recovery, cgnatd running all along ----------------
fill
granted $H1
A=$GOT
A_MS=$GOT_MS
check "H1 gets the pool's first block while the disk is full ($A)" \
	test "$A" != none
tb_wait 150 held_is 0
check "H1's block is released (idle) in the outage" held_is 0
tb_wait 80 backlog_over 1
check "status: the log's backlog is shown ($(st log backlog) events)" \
	backlog_over 1
ctl status | grep -q "log backlog: .*NOT COMMITTED"
check "status text: the backlog is named" test $? = 0
sleep 2.5	# longer than the quarantine
r=$(udp_from $H2)
check "H2 gets no block: H1's release is not logged yet ($r)" \
	test "${r% *}" = none
rm -f "$DISK/filler"
check "H2 gets the block once the disk has room" granted $H2
B=$GOT
B_MS=$GOT_MS
tb_wait 100 consistent
check "the log agrees with the block table again" consistent
check "H1's holding logged with its own time ($A at $A_MS)" \
	lookup_is "$A" "$A_MS" $H1
check "H2's holding logged ($B at $B_MS)" lookup_is "$B" "$B_MS" $H2
n=$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE type = 10")
check "a log-backlog event row records the outage ($n)" test "$n" = 1
grep -q "log commits again" "$TB_TMP/cgnatd.log"
check "cgnatd says the log commits again" test $? = 0

# --- phase 2: killed in the outage, restarted with the disk still full -----
tb_wait 150 held_is 0
fill
granted $H1
C=$GOT
C_MS=$GOT_MS
check "H1 gets the block again in a second outage ($C)" test "$C" != none
tb_wait 150 held_is 0
check "and releases it" held_is 0
tb_stop_cgnatd KILL
tb_cgnatd "$CFG" --allow-unsafe-timers
check "cgnatd starts again (killed in the outage)" test -n "$CGNATD_PID"
sleep 3
r=$(udp_from $H2)
check "no grant before the start's reconciliation ran ($r)" \
	test "${r% *}" = none
rm -f "$DISK/filler"
check "H2 gets the block once the disk has room" granted $H2
D=$GOT
D_MS=$GOT_MS
tb_wait 100 consistent
check "H1's holding of the killed run is in the log ($C at $C_MS)" \
	lookup_is "$C" "$C_MS" $H1
check "H2's new holding is logged ($D at $D_MS)" lookup_is "$D" "$D_MS" $H2
grep -q "1 released holdings written from the table" "$TB_TMP/cgnatd.log"
check "reconciliation wrote it from the block table" test $? = 0
starts() { [ "$(sqlite3 "$DB" "SELECT count(*) FROM config_log WHERE config LIKE '# start%'")" = 2 ]; }
tb_wait 150 starts
check "the second start's configuration record is written once the disk has room" starts

# --- phase 3: a backlog over log.max_backlog holds new grants ---------------
# New maps, three blocks (two for first blocks), max_backlog 1: in the
# outage H1's assign fills the backlog, the spare first block is taken
# back from the data plane and H2 gets none until the log commits.
tb_stop_cgnatd
out=$("$BIN/cgnatd" -c "$CFG" --allow-unsafe-timers --detach --pin-dir "$PIN" \
	--run-dir "$RUN" 2>&1)
check "cold start: --detach removes the maps ($out)" test ! -e "$PIN/cgnat_blocks"
TB_POOL=203.0.113.1 TB_LOG="max_backlog: 1" tb_yaml "$CFG" \
	"ports: { range: 1024-1215, block_size: 64, max_blocks: 1 }" \
	"testing: { unsafe_short_timers: true }" \
	"blocks: { idle_release: 1s, quarantine: 2s }" \
	"timeouts: { udp: 2s, icmp: 2s, tcp_transitory: 2s, tcp_established: 10s }"
tb_cgnatd "$CFG" --allow-unsafe-timers
check "cgnatd starts on new maps with max_backlog 1" test -n "$CGNATD_PID"
fill
check "H1 gets a block in the outage" granted $H1
holding() { [ "$(st log grants_held)" = true ]; }
tb_wait 80 holding
check "status --json: new grants held" holding
ctl status | grep -q "NEW PORT BLOCKS HELD"
check "status text: new grants held" test $? = 0
r=$(udp_from $H2)
check "H2 gets no block although one is free ($r)" test "${r% *}" = none
grep -q "no new port blocks are granted" "$TB_TMP/cgnatd.log"
check "cgnatd says it holds new grants" test $? = 0
rm -f "$DISK/filler"
check "H2 gets a block once the log commits" granted $H2
E=$GOT
E_MS=$GOT_MS
released() { [ "$(st log grants_held)" = false ]; }
tb_wait 80 released
check "status --json: grants no longer held" released
check "H2's holding is logged ($E at $E_MS)" lookup_is "$E" "$E_MS" $H2
n=$(ctl metrics 2>/dev/null | grep -c 'counter="log_holds"} 1')
check "metrics: log_holds counted" test "$n" = 1
[ "$FAILED" -eq 0 ] || { cat "$TB_TMP/cgnatd.log"; ctl status; for m in cgnat_grant_new cgnat_grant_addr cgnat_blocks; do bpftool map dump pinned "$PIN/$m" | grep -v "00 00 00 00 00 00 00 00$" | head; done; sqlite3 "$DB" "SELECT * FROM blocks_text; SELECT * FROM open_blocks;"; }
tb_summary
