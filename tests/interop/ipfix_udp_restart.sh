#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A UDP collector (nfcapd) restarted mid-stream decodes again once the
# exporter resends its templates (template_refresh 1 s here), and from then
# on misses nothing. Control run: with a 10 min refresh the restarted
# nfcapd decodes nothing in the same time, so it is the refresh that heals.
# The sender keeps exporting 50 port blocks a second across the restart.
# While nfcapd is down its port answers ICMP port unreachable: no message
# is dropped for that stale error (c0_dropped=0), the reports are counted
# (c0_refused), and the sender counts every record as sent.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/interop/ipfix_common.bash
need "$BIN/ipfix_send" nfcapd nfdump ss

PORT=47451
RATE=50

start_nfcapd() {	# start_nfcapd DIR
	mkdir -p "$1"
	bg_log "$1.log" nfcapd -b 127.0.0.1 -p $PORT -w "$1" -t 60
	NFCAPD=$BG_PID
	wait_until 10 udp_listening $PORT || fail "nfcapd did not listen"
}

# Indexes k of the port blocks in an nfcapd dir (subscriber 100.64.k/256.k%256).
indexes() {
	nfdump_all "$1" | awk -F'"' '/"src4_addr"/ { split($4, a, ".")
			print a[3] * 256 + a[4] }' | sort -n
}

contiguous() {	# contiguous FILE: the indexes have no hole
	awk 'NR > 1 && $1 != prev + 1 { exit 1 } { prev = $1 }' "$1"
}

# run NAME REFRESH_MS: 1 s of traffic, nfcapd down 0.5 s, 2 more seconds.
run() {
	local name=$1 refresh=$2
	port_free $PORT || fail "port $PORT is busy"
	start_nfcapd "$T/$name.1"
	sender_start -C udp:127.0.0.1:$PORT -r "$refresh" -f 20
	send_async "rate $((3 * RATE)) $RATE"
	sleep 1
	stop_pid "$NFCAPD"
	sleep 0.5	# down: its port answers ICMP port unreachable
	start_nfcapd "$T/$name.2"
	wait_answer "done rate" 20 || fail "$name: sender did not finish"
	send_cmd "flush 3000" "flush ok"
	send_cmd stats stats
	cp "$T/send.out" "$T/$name.send"
	sender_stop
	sleep 0.3
	stop_pid "$NFCAPD"
	indexes "$T/$name.1" >"$T/$name.idx1"
	indexes "$T/$name.2" >"$T/$name.idx2"
}

run refresh 1000
before_ok() {	# nfcapd 1 got 0, 1, 2, ... without a hole
	[ "$(head -n 1 "$T/refresh.idx1")" = 0 ] &&
		contiguous "$T/refresh.idx1"
}
after_ok() {	# nfcapd 2 got k, k+1, ... up to the last record
	[ "$(tail -n 1 "$T/refresh.idx2")" = $((3 * RATE - 1)) ] &&
		contiguous "$T/refresh.idx2"
}
check "before the restart: records 0.. arrive without a hole" before_ok
check "restarted nfcapd decodes again (refresh 1 s)" \
	test -s "$T/refresh.idx2"
check "after the first refresh nothing is missed, up to the last record" \
	after_ok
last1=$(tail -n 1 "$T/refresh.idx1")
first2=$(head -n 1 "$T/refresh.idx2")
gap=$(( ${first2:-99999} - ${last1:-0} - 1 ))
echo "records lost around the restart: $gap (at $RATE/s, refresh 1 s)"
check "loss limited to the downtime plus one refresh (<= $((2 * RATE)))" \
	test "$gap" -le $((2 * RATE))
stats=$(grep '^stats ' "$T/refresh.send" | tail -n 1)
echo "sender: $stats"
check "no record dropped for a stale ICMP error" \
	grep -q " c0_sent=$((3 * RATE)) c0_dropped=0 " "$T/refresh.send"
refused=$(sed -n 's/.* c0_refused=\([0-9]*\).*/\1/p' <<<"$stats")
echo "messages reported refused while nfcapd was down: ${refused:-?}"
check "refused messages counted, no more than the records lost" \
	test "${refused:-0}" -ge 1 -a "${refused:-99999}" -le "$gap"

run norefresh 600000
check "control: without a refresh the restarted nfcapd decodes nothing" \
	test ! -s "$T/norefresh.idx2"
check "control: the first nfcapd decoded the first second" \
	test -s "$T/norefresh.idx1"
finish
