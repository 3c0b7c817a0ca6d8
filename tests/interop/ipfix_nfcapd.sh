#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# nfdump's nfcapd collects our UDP export. nfdump 1.7.1 maps the NAT event,
# observationTimeMilliseconds and the inside/outside IPv4 addresses from
# IPFIX but not portRangeStart/End, natPoolId or natInstanceID (added in
# nfdump 1.7.4), so this asserts what it can: event ids and names, times,
# addresses, protocol and ports of session records, no sequence error, and
# two exporters with observation domains 42 and 43 kept apart.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/interop/ipfix_common.bash
need "$BIN/ipfix_send" nfcapd nfdump ss

PORT=47441
port_free $PORT || fail "port $PORT is busy"
mkdir -p "$T/nf"
bg_log "$T/nfcapd.log" nfcapd -b 127.0.0.1 -p $PORT -w "$T/nf" -t 60
NFCAPD=$BG_PID
wait_until 10 udp_listening $PORT || fail "nfcapd did not listen"

"$BIN/ipfix_send" -C udp:127.0.0.1:$PORT -d 42 -i 7 -s -P >"$T/send42.out"
"$BIN/ipfix_send" -C udp:127.0.0.1:$PORT -d 43 -i 8 >"$T/send43.out"
check "sender 42: 11 records sent" grep -q 'c0_sent=11 c0_dropped=0' \
	"$T/send42.out"
check "sender 43: 9 records sent" grep -q 'c0_sent=9 c0_dropped=0' \
	"$T/send43.out"
sleep 0.5
stop_pid "$NFCAPD"	# SIGTERM: nfcapd writes its file and exits

# Every record nfcapd wrote in DIR, one per line: key=value ...
json_lines() {
	nfdump_all "$1" | awk '
	/^\{/ { rec = "" }
	/" : / { k = $1; v = $0; sub(/^[^:]*: /, "", v); gsub(/[",]/, "", k)
		gsub(/^"|",?$|,$/, "", v); gsub(/ /, "_", v)
		rec = rec " " k "=" v }
	/^\}/ { print rec }'
}
F=$(ls "$T"/nf/nfcapd.2* 2>/dev/null | head -n 1)
check "nfcapd wrote a file" test -n "$F"
json_lines "$T/nf" >"$T/recs"
check "nfdump reads 20 records" test "$(grep -c . "$T/recs")" -eq 20
check "two exporters (domains 42 and 43) kept apart" \
	grep -q 'Observation domain 43' "$T/nfcapd.log"
check "domain 42: 11 records, domain 43: 9 records" \
	test "$(grep -c 'export_sysid=1 ' "$T/recs")" -eq 11 -a \
	"$(grep -c 'export_sysid=2 ' "$T/recs")" -eq 9
check "no sequence error" grep -q 'Sequence Errors: 0' "$T/nfcapd.log"
check "16 'Port block allocation' with inside/outside address and time" \
	grep -q 'src4_addr=100.64.0.10 .* src4_xlt_ip=203.0.113.1 .* nat_event_id=16 nat_event=Port_block_allocation .* t_event=2023-11-14T22:13:20.123' \
	"$T/recs"
check "17 'Port block de-allocation' one hour later" \
	grep -q 'nat_event_id=17 nat_event=Port_block_de-allocation .* t_event=2023-11-15T00:13:20.123' \
	"$T/recs"
check "3 'NAT Addresses exhausted'" \
	grep -q 'nat_event_id=3 nat_event=NAT_Addresses_exhausted' "$T/recs"
check "12 'NAT ports exhausted' with protocol and address" \
	grep -q 'proto=6 .* src4_xlt_ip=203.0.113.2 .* nat_event_id=12 ' \
	"$T/recs"
check "13 'Quota Exceeded' and 18 'Threshold Reached'" \
	test "$(grep -c 'nat_event=Quota_Exceeded' "$T/recs")" -eq 4 -a \
	"$(grep -c 'nat_event=Threshold_Reached' "$T/recs")" -eq 4
check "4/5 NAT44 session with inside and outside ports" \
	grep -q 'proto=17 .*src_port=5353 .*src4_addr=100.64.0.30 .*src4_xlt_ip=203.0.113.3 .*src_xlt_port=40123 .*nat_event_id=5 ' \
	"$T/recs"
check "nfdump filter 'nat event 16' finds the 4 allocations" \
	test "$(nfdump_all "$T/nf" 'nat event 16' | grep -c FLOW)" -eq 4
check "no Historic natEvent 1/2" \
	bash -c "! grep -Eq 'nat_event_id=(1|2) ' '$T/recs'"
finish
