#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs make demo's script as the suite's smoke test, so it cannot rot, and
# checks what it must show.
set -u
cd "$(dirname "$0")/../.."
out=$(timeout 180 bash daemon/demo.sh 2>&1)
rc=$?
p=0 f=0
expect() {
	if grep -qE "$2" <<<"$out"; then echo "PASS: demo $1"; p=$((p + 1))
	else echo "FAIL: demo $1"; f=$((f + 1)); fi
}
if [ $rc -eq 0 ]; then echo "PASS: demo exits 0"; p=1
else echo "FAIL: demo exits with status $rc"; f=1; fi
expect "cgnatd starts from config/demo.yaml" "cgnatd: started: XDP \(native\) on in0 and out0"
expect "ping crosses the NAT" "3 received"
expect "servers see pool addresses" "seen as 203\.0\.113\.[0-9]+:[0-9]+"
expect "TCP transfer intact" "sha256 match: yes"
expect "hairpin answer" "got pong from 203\.0\.113\."
expect "cgnatctl status: log consistent" "3 open holdings, 3 blocks held: consistent"
expect "cgnatctl status: per-address use" "demo +203\.0\.113\.1 +[0-9]+ +[0-9]+/252"
expect "SQLite block rows" "100\.64\.0\.10 +203\.0\.113\.[0-9] +[0-9]+ +[0-9]+ +20[0-9-]+T[0-9:.]+Z"
expect "lookup of a captured ip:port names H1" \
	"203\.0\.113\.[0-9]+:[0-9]+ at 20[0-9T:.-]+Z -> subscriber 100\.64\.0\.10 "
expect "IPFIX records decoded" "natEvent 16 20[0-9T:.-]+Z 100\.64\.0\.10 -> 203\.0\.113\.[0-9] ports"
expect "cgnatd stops, data plane left running" "stopped; the data plane keeps forwarding"
echo "$p passed, $f failed"
[ $f -eq 0 ]
