#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# soak.sh - cgnatd for SOAK_SECS (default 1800) in the netns testbed with
# short test timers and SOAK_SUBS subscribers (default 200) churning
# flows (churn.py, SOAK_RATE flows a second), so blocks idle out and are
# granted again all along; a reload (SIGHUP, the UDP timer changed)
# every SOAK_RELOAD seconds; the IPFIX collector stopped from 25 % to 35 %
# of the run and started again; the log's disk (a 256 MiB tmpfs of the
# test's own) filled up from 30 % to 40 % and freed again. RSS,
# descriptors, sessions, held blocks and the SQLite size are sampled
# every SOAK_SAMPLE seconds into soak.csv and plotted to soak.png in
# SOAK_OUT (default build/soak). At the end: cgnatd still the same
# process, RSS and descriptors flat after warm-up (the first fifth), the
# log consistent with the block table, the collector fed again after its
# outage, and every captured packet looked up (traffic.py lookups).
# Not in make test: make soak [SOAK_SECS=...].
set -u
. "$(dirname "$0")/../netns/lib.sh"
SOAK_SECS=${SOAK_SECS:-1800}
SOAK_SUBS=${SOAK_SUBS:-200}
SOAK_RATE=${SOAK_RATE:-100}
SOAK_RELOAD=${SOAK_RELOAD:-180}
SOAK_SAMPLE=${SOAK_SAMPLE:-5}
SOAK_OUT=${SOAK_OUT:-$ROOT/build/soak}
DISK=$TB_TMP/disk
DB=$DISK/cgnat.db
CFG=$TB_TMP/cgnat.yaml
CSV=$SOAK_OUT/soak.csv
soak_cleanup() {
	tb_stop_cgnatd
	umount -l "$DISK" 2>/dev/null
	tb_cleanup
}
trap soak_cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$SOAK_OUT" "$DISK"
# 256 MiB: the WAL alone grows to 64 MiB before its checkpoint
# (logger/store.c STORE_WAL_PAGES), and a checkpoint needs room in the
# database file: on a 64 MiB disk the log filled it by itself after
# about 12 minutes and could never commit again.
tb_must "a tmpfs of our own for the log's disk" \
	mount -t tmpfs -o size=256m soakdisk "$DISK"
tb_must "testbed setup" tb_up

# Subscribers 100.64.2.1 on, all on sub0.
SUBS=()
for i in $(seq 0 $((SOAK_SUBS - 1))); do
	SUBS+=("100.64.$((2 + i / 250)).$((1 + i % 250))")
done
in_sub sh -e -c "$(printf 'ip addr add %s/10 dev sub0\n' "${SUBS[@]}")" ||
	tb_must "subscriber addresses" false

yaml() {	# yaml UDP_TIMEOUT
	tb_yaml "$CFG" \
		"ipfix: { collectors: [ { address: 127.0.0.1, port: 4739 } ] }" \
		"testing: { unsafe_short_timers: true }" \
		"blocks: { idle_release: 1s, quarantine: 2s }" \
		"timeouts: { udp: $1, icmp: 3s, tcp_transitory: 3s, tcp_established: 10s }"
}
collector() {
	tb_bg nat socat -u UDP-RECV:4739,bind=127.0.0.1 \
		OPEN:"$TB_TMP/ipfix.bin",creat,append
	COLL_PID=${TB_PIDS[-1]}
}
yaml 3s
tb_bg inet $PY "$WHOAMI" serve $S1 7
tb_wait 30 tb_listens in_inet t 7
collector
tb_bg inet tcpdump --immediate-mode -i inet0 -n -w "$TB_TMP/inet.pcap" -U -s 200 ip 2>/dev/null
TCPDUMP_PID=${TB_PIDS[-1]}
tb_must "cgnatd starts" tb_cgnatd "$CFG" --allow-unsafe-timers
PID=$CGNATD_PID
sleep 0.5

sample() {	# one CSV row: t rss_kb fds sessions held db_kb rss_nolog_kb
	local t=$1 rss fds st db lg
	rss=$(awk '/^VmRSS/ { print $2 }' /proc/"$PID"/status 2>/dev/null)
	# SQLite's heap (its page caches fill as the log grows, up to
	# their bound): RSS less it is what the rest of cgnatd holds.
	lg=$(ctl metrics 2>/dev/null | awk '/^cgnatd_log_memory_bytes / { print int($2 / 1024) }')
	fds=$(ls /proc/"$PID"/fd 2>/dev/null | wc -l)
	st=$(ctl --json status 2>/dev/null | $PY -c '
import json, sys
s = json.load(sys.stdin)
print(s["sessions"], s["blocks"]["held"])' 2>/dev/null)
	db=$(du -sk "$DISK" --exclude=filler 2>/dev/null | cut -f1)
	echo "$t,${rss:-0},$fds,${st% *},${st#* },${db:-0},$((${rss:-0} - ${lg:-0}))" >>"$CSV"
}

echo "t,rss_kb,fds,sessions,held,db_kb,rss_nolog_kb" >"$CSV"
in_sub $PY "$ROOT/tests/soak/churn.py" "$((SOAK_SECS - 10))" "$SOAK_RATE" $S1 7 \
	"${SUBS[@]}" >"$TB_TMP/churn.out" 2>&1 &
CHURN=$!
TB_PIDS+=($CHURN)
t0=$(date +%s)
next_sample=0
next_reload=$SOAK_RELOAD
udp=3s
reloads=0
coll_bytes=0
disk_failed=0
while :; do
	t=$(($(date +%s) - t0))
	[ "$t" -ge "$SOAK_SECS" ] && break
	if [ "$t" -ge "$next_sample" ]; then
		sample "$t"
		next_sample=$((next_sample + SOAK_SAMPLE))
	fi
	if [ "$t" -ge "$next_reload" ]; then
		udp=$([ "$udp" = 3s ] && echo 4s || echo 3s)
		yaml "$udp"
		kill -HUP "$PID" && reloads=$((reloads + 1))
		next_reload=$((next_reload + SOAK_RELOAD))
	fi
	if [ "$t" -ge $((SOAK_SECS / 4)) ] && [ -n "${COLL_PID:-}" ] &&
		[ "$t" -lt $((SOAK_SECS * 35 / 100)) ]; then
		kill "$COLL_PID"
		wait "$COLL_PID" 2>/dev/null
		COLL_PID=
		echo "# $t s: IPFIX collector stopped"
	fi
	if [ "$t" -ge $((SOAK_SECS * 35 / 100)) ] && [ -z "${COLL_PID:-}" ]; then
		coll_bytes=$(stat -c %s "$TB_TMP/ipfix.bin")
		collector
		COLL_PID=${COLL_PID:-x}
		echo "# $t s: IPFIX collector started again at $coll_bytes bytes"
	fi
	# 30 % to 40 %: while the WAL still grows. Once it has reached its
	# 64 MiB and wrapped, a full disk no longer stops a commit (seen in a
	# 30-minute run with the outage at 50 %); the check below says so.
	if [ "$t" -ge $((SOAK_SECS * 3 / 10)) ] && [ "$disk_failed" = 0 ]; then
		dd if=/dev/zero of="$DISK/filler" bs=1M 2>/dev/null
		disk_failed=1
		echo "# $t s ($(date +%s%3N) ms): the log's disk is full ($(df -k --output=avail "$DISK" | tail -1) KiB free)"
	fi
	if [ "$t" -ge $((SOAK_SECS * 4 / 10)) ] && [ "$disk_failed" = 1 ]; then
		rm -f "$DISK/filler"
		disk_failed=2
		echo "# $t s ($(date +%s%3N) ms): the log's disk has room again"
	fi
	sleep 1
done
wait "$CHURN"
cat "$TB_TMP/churn.out"
sleep 5	# the last blocks idle out and are logged
sample "$(($(date +%s) - t0))"
kill "$TCPDUMP_PID"
wait "$TCPDUMP_PID" 2>/dev/null

read -r _ nf _ na <"$TB_TMP/churn.out"
check "flows answered through the NAT ($na of $nf)" \
	test "${na:-0}" -gt $((${nf:-1} * 9 / 10))
check "cgnatd is still the process it started as ($PID)" tb_pid_is "$PID"
check "$reloads reloads, each applied" test "$(grep -c 'reload: applied live' "$TB_TMP/cgnatd.log")" -ge "$reloads" -a "$reloads" -gt 0
check "the disk filled and recovered during the run" test "$disk_failed" = 2
nfail=$(grep -cE "log [a-z ]+: .*database or disk is full" "$TB_TMP/cgnatd.log")
late=$(grep -o "log commits again: .*" "$TB_TMP/cgnatd.log" | head -1)
check "the full disk stopped the log's commits, and they resumed (${late:-no recovery})" \
	test "$nfail" -ge 1 -a -n "$late"
c=$(stat -c %s "$TB_TMP/ipfix.bin")
check "the IPFIX collector got records again after its outage ($coll_bytes -> $c bytes)" \
	test "$c" -gt "$coll_bytes"
consistent() { ctl --json status | grep -q '"consistent":true'; }
tb_wait 100 consistent
check "the log agrees with the block table at the end" consistent
v=$($PY "$ROOT/tests/soak/plot.py" "$CSV" "$SOAK_OUT/soak.png" 0.2)
echo "# samples: $v (plot: $SOAK_OUT/soak.png)"
read -r _ rw _ re _ fw _ fe _ sm _ dbk _ nw _ ne <<<"$v"
check "RSS flat after warm-up (${rw} KiB -> ${re} KiB, at most +10 % + 2 MiB)" \
	test "${re:-1}" -le $((${rw:-0} * 110 / 100 + 2048))
check "RSS less SQLite's heap flat after warm-up (${nw} KiB -> ${ne} KiB, at most +1 MiB)" \
	test "${ne:-1}" -le $((${nw:-0} + 1024))
check "descriptors flat after warm-up ($fw -> $fe)" test "${fe:-1}" -le $((${fw:-0} + 2))
# What a failed lookup needs to be looked into, kept in SOAK_OUT.
cp "$TB_TMP/cgnatd.log" "$TB_TMP/inet.pcap" "$SOAK_OUT/"
rm -f "$SOAK_OUT/cgnat.db"*
sqlite3 "$DB" ".backup '$SOAK_OUT/cgnat.db'"
sed "s|database: [^,}]*|database: $SOAK_OUT/cgnat.db|" "$CFG" >"$SOAK_OUT/cgnat.yaml"
r=$($PY "$TRAFFIC" lookups "$TB_TMP/inet.pcap" "$BIN/cgnatctl" -c "$CFG")
echo "$r"
read -r _ n _ ck _ u _ w _ <<<"$r"
check "every captured packet looked up names its subscriber ($(head -1 <<<"$r"))" \
	test "${n:-0}" -gt 0 -a "$ck" = "$n" -a "$u" = 0 -a "$w" = 0
tb_summary
