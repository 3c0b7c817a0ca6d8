#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# libfixbuf's ipfixDump decodes our export: once written to a file by the
# exporter's file mode, once received over TCP by socat on 127.0.0.1 and
# saved (a TCP IPFIX stream is a valid IPFIX file). Checks every template's
# IE list against RFC 8158, the observation domain, the natEvent values
# (never the Historic 1/2) and the fields of the port block, quota and
# threshold records.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/interop/ipfix_common.bash
need "$BIN/ipfix_send" ipfixDump socat ss

TCP_PORT=47411

# ipfixDump data records, one line each: "tid=N id=value id=value ...".
records() {
	ipfixDump --in "$1" -d | awk '
	function out() { if (rec != "") print rec; rec = "" }
	/^--- (data record|Message Header)/ { out(); next }
	/tid:/ && rec == "" { for (i = 1; i < NF; i++)
		if ($i == "tid:") rec = "tid=" $(i + 1); next }
	/^\t\([0-9]+\)/ { match($0, /\([0-9]+\)/)
		id = substr($0, RSTART + 1, RLENGTH - 2); v = $0
		sub(/^[^:]*: /, "", v); gsub(/ /, "_", v)
		rec = rec " " id "=" v }
	END { out() }'
}

# Template IE lists, one line each: "TID: id id id".
templates() {
	ipfixDump --in "$1" -t | awk '
	/tid:/ { if (t != "") print t; t = $2 ":" }
	/ent:/ { t = t " " $4 }
	END { if (t != "") print t }' | sort -u
}

cat >"$T/expected_templates" <<'EOF'
258: 323 230 8 225 361 362 283 463
260: 323 230 8 225 4 7 227 12 226 11 228 463
264: 323 230 283 463
268: 323 230 225 4 463
272: 323 230 466 471 463
276: 323 230 466 472 463
280: 323 230 466 473 8 463
284: 323 230 466 474 463
288: 323 230 466 475 8 463
292: 323 230 467 283 476 463
296: 323 230 467 283 477 463
300: 323 230 467 478 463
304: 323 230 467 480 8 463
308: 323 230 467 481 463
EOF

check_stream() {
	local f=$1 how=$2 r
	records "$f" >"$T/rec.$how"
	templates "$f" >"$T/tmpl.$how"
	check "$how: ipfixDump reads 11 data records" \
		test "$(wc -l <"$T/rec.$how")" -eq 11
	check "$how: templates are RFC 8158 T21/T5/T9-T19 with our IDs" \
		diff "$T/expected_templates" "$T/tmpl.$how"
	# ipfix_send -s turns session events on: only their T5 (260) may
	# carry destinations (RFC 6888 REQ-12, 8158-G4).
	check "$how: destination IEs (12/226/11/228) only in the session template" \
		bash -c "! grep -v '^260:' '$T/tmpl.$how' |
			grep -Eq ' (12|226|11|228)( |\$)'"
	check "$how: observation domain 42 in every message header" \
		bash -c "ipfixDump --in '$f' | grep 'observation domain id' |
			grep -vq 'domain id: 42\$' && exit 1 || exit 0"
	check "$how: the session record carries its destination" \
		grep -Eq ' 230=4 .* 12=198\.51\.100\.7 226=198\.51\.100\.7 11=53 228=53 ' "$T/rec.$how"
	check "$how: natEvent never the Historic 1 or 2" \
		bash -c "! grep -Eq ' 230=(1|2) ' '$T/rec.$how'"
	r=$(grep -m1 ' 230=16 ' "$T/rec.$how")
	check "$how: port block allocation 16 with both ends of the range" \
		grep -q ' 8=100.64.0.10 225=203.0.113.1 361=1024 362=1279 283=1 463=7' \
		<<<"$r"
	check "$how: interim allocation and de-allocation 17 follow" \
		test "$(grep -c ' 361=1024 362=1279 ' "$T/rec.$how")" -eq 3 -a \
		"$(grep -c ' 230=17 ' "$T/rec.$how")" -eq 1
	check "$how: observationTimeMilliseconds kept to the ms" \
		grep -q '323=2023-11-14_22:13:20.123 230=16' "$T/rec.$how"
	check "$how: addresses exhausted 3 carries natPoolId" \
		grep -q 'tid=264 .* 230=3 283=1 463=7' "$T/rec.$how"
	check "$how: ports exhausted 12 carries address and protocol" \
		grep -q 'tid=268 .* 230=12 225=203.0.113.2 4=6 463=7' "$T/rec.$how"
	check "$how: quota 13/3 carries maxEntriesPerUser and subscriber" \
		grep -q 'tid=280 .* 230=13 466=3 473=8192 8=100.64.0.11' \
		"$T/rec.$how"
	check "$how: quota 13/1 carries maxSessionEntries" \
		grep -q 'tid=272 .* 466=1 471=1048576' "$T/rec.$how"
	check "$how: threshold 18/1 carries pool and addressPoolHighThreshold" \
		grep -q 'tid=292 .* 230=18 467=1 283=1 476=80' "$T/rec.$how"
	check "$how: threshold 18/4 carries the per-user threshold 480" \
		grep -q 'tid=304 .* 467=4 480=7 8=100.64.0.12' "$T/rec.$how"
	check "$how: NAT44 session create 4 and delete 5" \
		grep -q 'tid=260 .* 230=5 8=100.64.0.30 225=203.0.113.3 4=17 7=5353 227=40123' \
		"$T/rec.$how"
}

# 1. File mode.
"$BIN/ipfix_send" -C "file:$T/file.ipfix" -d 42 -i 7 -s -P \
	-x 1700000000 >"$T/send1.out"
check "file: ipfix_send exports the mix" grep -q 'c0_sent=11 ' "$T/send1.out"
check_stream "$T/file.ipfix" file
check "file: ipfixDump counts 2 messages and 14 templates" \
	grep -q '2 Messages, 11 Data Records, 14 Template Records' \
	<(ipfixDump --in "$T/file.ipfix" -s)

# 2. TCP to socat, saved as a file.
port_free $TCP_PORT || fail "port $TCP_PORT is busy"
bg socat -u TCP-LISTEN:$TCP_PORT,bind=127.0.0.1,reuseaddr \
	"OPEN:$T/tcp.ipfix,creat,trunc"
SOCAT=$BG_PID
wait_until 5 tcp_ready $TCP_PORT || fail "socat did not listen"
"$BIN/ipfix_send" -C "tcp:127.0.0.1:$TCP_PORT" -d 42 -i 7 -s -P \
	>"$T/send2.out"
check "tcp: every record written to the socket" \
	grep -q 'c0_sent=11 c0_dropped=0' "$T/send2.out"
# The sender closed the connection: socat writes the rest and exits.
wait_until 5 bash -c "! kill -0 $SOCAT 2>/dev/null"
stop_pid "$SOCAT"
check_stream "$T/tcp.ipfix" tcp
finish
