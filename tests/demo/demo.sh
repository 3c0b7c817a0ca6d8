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
expect "ping crosses the NAT" "3 received"
expect "servers see pool addresses" "seen as 203\.0\.113\.[0-9]+:[0-9]+"
expect "TCP transfer intact" "sha256 match: yes"
expect "hairpin answer" "got pong from 203\.0\.113\."
expect "block events with UTC time" "Z block-assigned sub=100\.64\."
echo "$p passed, $f failed"
[ $f -eq 0 ]
