#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Wireshark's IPFIX dissector decodes our export captured on lo. One sender
# exports to two collectors at once, a UDP one and a TCP one (socat sinks
# on 127.0.0.1, non-default ports decoded with -d ...,cflow). Checks the
# natEvent, quota and threshold names, portRangeStart/End, natInstanceID,
# the observation domain, sequence numbers (no "unexpected sequence"),
# no malformed packet or empty set, and that both collectors got the same
# records.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/interop/ipfix_common.bash
need "$BIN/ipfix_send" tshark socat ss

UDP_PORT=47421
TCP_PORT=47422
DEC="-d udp.port==$UDP_PORT,cflow -d tcp.port==$TCP_PORT,cflow"

for p in $UDP_PORT $TCP_PORT; do
	port_free $p || fail "port $p is busy"
done
bg socat -u UDP-RECV:$UDP_PORT,bind=127.0.0.1 OPEN:/dev/null
bg socat -u TCP-LISTEN:$TCP_PORT,bind=127.0.0.1,reuseaddr OPEN:/dev/null
bg tshark -i lo -f "udp port $UDP_PORT or tcp port $TCP_PORT" \
	-w "$T/cap.pcap" -a duration:60 2>"$T/tshark.err"
TSHARK=$BG_PID
wait_until 15 grep -q 'Capturing on' "$T/tshark.err" ||
	fail "tshark did not start capturing"
wait_until 5 tcp_ready $TCP_PORT
wait_until 5 udp_listening $UDP_PORT

printf 'mix\npba 150\nflush 5000\nstats\nquit\n' |
	"$BIN/ipfix_send" -S -C udp:127.0.0.1:$UDP_PORT \
	-C tcp:127.0.0.1:$TCP_PORT -d 42 -i 7 -s -P >"$T/send.out"
check "sender: both collectors took all 161 records" \
	grep -q 'c0_sent=161 c0_dropped=0 .* c1_sent=161 c1_dropped=0' \
	"$T/send.out"
# Under load the capture lags the sender: stop tshark only once the
# capture file has stopped growing (at most 15 s).
prev=-1
for _ in $(seq 1 30); do
	sleep 0.5
	size=$(stat -c %s "$T/cap.pcap" 2>/dev/null || echo 0)
	[ "$size" -gt 0 ] && [ "$size" = "$prev" ] && break
	prev=$size
done
kill -INT "$TSHARK" 2>/dev/null
wait "$TSHARK" 2>/dev/null

# shellcheck disable=SC2086
tshark -r "$T/cap.pcap" $DEC -V >"$T/v.txt" 2>/dev/null
fields() {	# fields FILTER FIELD...: one value per line, all occurrences
	local filter=$1 f args=()
	shift
	for f in "$@"; do args+=(-e "$f"); done
	# shellcheck disable=SC2086
	tshark -r "$T/cap.pcap" $DEC -Y "$filter" -T fields "${args[@]}" \
		-E occurrence=a -E aggregator=' ' 2>/dev/null
}
# One line per record, "transport event src post start end time", from -V.
rows() {
	awk '
	function out() { if (ev != "") print tr, ev, src, post, st, en, tm
		ev = src = post = st = en = tm = "-" ; ev = "" }
	/^User Datagram Protocol/ { out(); tr = "udp" }
	/^Transmission Control Protocol/ { out(); tr = "tcp" }
	/^ +Flow [0-9]+$/ { out(); ev = "?" }
	/^ +Nat Event:/ { ev = $NF; gsub(/[()]/, "", ev) }
	/^ +SrcAddr:/ { src = $2 }
	/^ +Post NAT Source IPv4 Address:/ { post = $NF }
	/^ +Port Range Start:/ { st = $NF }
	/^ +Port Range End:/ { en = $NF }
	/^ +Observation Time Milliseconds:/ { tm = $(NF - 1) }
	END { out() }' "$T/v.txt"
}

rows >"$T/all.rows"
grep '^udp ' "$T/all.rows" | cut -d' ' -f2- >"$T/udp.rows"
grep '^tcp ' "$T/all.rows" | cut -d' ' -f2- >"$T/tcp.rows"
check "udp: tshark decodes 161 records" test "$(wc -l <"$T/udp.rows")" -eq 161
check "tcp: tshark decodes 161 records" test "$(wc -l <"$T/tcp.rows")" -eq 161
check "both collectors received identical records" \
	cmp "$T/udp.rows" "$T/tcp.rows"
check "natEvent 16 shown as 'Port block allocation'" \
	test "$(grep -c 'Nat Event: Port block allocation (16)' "$T/v.txt")" \
	-eq $((2 * 152))
check "natEvent 17 shown as 'Port block de-allocation'" \
	test "$(grep -c 'Nat Event: Port block de-allocation (17)' "$T/v.txt")" \
	-eq 2
for n in 'NAT Addresses exhausted (3)' 'NAT ports exhausted (12)' \
	'NAT44 session create (4)' 'NAT44 session delete (5)' \
	'Quota Exceeded (13)' 'Threshold Reached (18)' \
	'NAT Quota Exceeded Event: Maximum entries per user (3)' \
	'NAT Quota Exceeded Event: Maximum session entries (1)' \
	'NAT Threshold Event: Address pool high threshold event (1)' \
	'Max Entries Per User: 8192'; do
	check "tshark names '$n'" grep -q "$n" "$T/v.txt"
done
check "no Historic natEvent 1/2" \
	bash -c "! grep -q '(Historic)' '$T/v.txt'"
check "first port block: 100.64.0.10 -> 203.0.113.1 ports 1024-1279" \
	grep -q '^16 100.64.0.10 203.0.113.1 1024 1279 22:13:20.123000000$' \
	"$T/udp.rows"
check "every 16/17 record has portRangeEnd = start + 255" \
	awk '$1 == 16 || $1 == 17 { n++; if ($5 != $4 + 255) exit 1 }
		END { exit n != 153 }' "$T/udp.rows"
check "natInstanceID 7 in every record" \
	test "$(fields cflow.nat_event cflow.nat_instanceid | tr ' ' '\n' |
		sort -u)" = 7
check "observation domain 42 in every message" \
	test "$(fields cflow cflow.od_id | tr ' ' '\n' | sort -u)" = 42
check "sequence numbers count data records (no unexpected sequence)" \
	bash -c "! grep -q 'Unexpected flow sequence' '$T/v.txt'"
check "no malformed packet, no empty set" \
	bash -c "! grep -Eqi 'malformed|No flow information' '$T/v.txt'"
check "templates on the wire: 14 per stream" \
	test "$(fields 'udp && cflow.template_id' cflow.template_id |
		tr ' ' '\n' | sort -u | wc -l)" -eq 14
finish
