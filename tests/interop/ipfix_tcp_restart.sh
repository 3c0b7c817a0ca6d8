#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A TCP collector that is stopped and started again loses nothing: the
# sender keeps submitting while it is down, the exporter queues, reconnects
# with backoff and sends the templates before the queued records. The
# collector is socat saving the stream to a file (a TCP IPFIX stream is an
# IPFIX file); each file is decoded on its own by libfixbuf (ipfix_decode)
# and by ipfixDump, which only works if the second stream starts with the
# templates. Every one of the 300 records must arrive exactly once.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/interop/ipfix_common.bash
need "$BIN/ipfix_send" "$BIN/ipfix_decode" ipfixDump socat ss

PORT=47461

start_socat() {	# start_socat FILE
	bg socat -u TCP-LISTEN:$PORT,bind=127.0.0.1,reuseaddr \
		"OPEN:$1,creat,trunc"
	SOCAT=$BG_PID
	wait_until 5 tcp_ready $PORT || fail "socat did not listen"
}

port_free $PORT || fail "port $PORT is busy"
start_socat "$T/first.ipfix"
sender_start -C tcp:127.0.0.1:$PORT -b 400 -f 20
check "100 records exported while the collector is up" \
	send_cmd "pba 100" "done pba"
check "flushed to the first collector" send_cmd "flush 5000" "flush ok"
sleep 0.3
stop_pid "$SOCAT"	# the collector goes away

check "100 more submitted while it is down (2 s)" \
	send_cmd "rate 100 50" "done rate"
check "flush times out: records are queued, not lost" \
	send_cmd "flush 300" "flush timeout"
send_cmd stats stats
check "nothing dropped while down" grep -q 'c0_sent=100 c0_dropped=0 ' \
	<(tail -n 1 "$T/send.out")

start_socat "$T/second.ipfix"
check "100 more while it reconnects" send_cmd "pba 100" "done pba"
check "after the restart the queue drains" send_cmd "flush 10000" "flush ok"
send_cmd stats stats
tail -n 1 "$T/send.out"
check "exporter: 300 sent, 0 dropped, 1 reconnect" \
	grep -q 'c0_sent=300 c0_dropped=0 c0_reconnects=1 ' \
	<(tail -n 1 "$T/send.out")
sender_stop
# The sender closed the connection: socat saves the rest and exits.
wait_until 5 bash -c "! kill -0 $SOCAT 2>/dev/null"
stop_pid "$SOCAT"

idx() {	# idx FILE: index k of each record (subscriber 100.64.k/256.k%256)
	"$BIN/ipfix_decode" "$1" | sed -n 's/.* src=100\.64\.\([0-9]*\)\.\([0-9]*\) .*/\1 \2/p' |
		awk '{ print $1 * 256 + $2 }'
}
check "first stream decodes on its own (libfixbuf)" \
	"$BIN/ipfix_decode" "$T/first.ipfix"
check "second stream decodes on its own (libfixbuf)" \
	"$BIN/ipfix_decode" "$T/second.ipfix"
idx "$T/first.ipfix" >"$T/idx1"
idx "$T/second.ipfix" >"$T/idx2"
check "first collector got records 0-99" \
	test "$(wc -l <"$T/idx1")" -eq 100 -a "$(tail -n 1 "$T/idx1")" = 99
check "second collector got records 100-299, in order" \
	bash -c "seq 100 299 | cmp -s - '$T/idx2'"
check "every record exactly once across the restart" \
	bash -c "sort -n '$T/idx1' '$T/idx2' | uniq | wc -l | grep -qx 300 &&
		test \$(cat '$T/idx1' '$T/idx2' | wc -l) -eq 300"
check "second stream starts with the template set (ipfixDump)" \
	bash -c "ipfixDump --in '$T/second.ipfix' |
		grep -m1 -E '^--- (template|data) record' | grep -q template"
check "ipfixDump reads all 200 records of the second stream" \
	grep -q '200 Data Records' <(ipfixDump --in "$T/second.ipfix" -s)
finish
