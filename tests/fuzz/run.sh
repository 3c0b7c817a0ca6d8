#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs every libFuzzer target of BUILD/fuzz for SECONDS each, from a copy
# of its seed corpus (the tree's corpus is never written), and prints one
# line per target: executions, coverage, corpus size, and PASS or FAIL.
# A crash leaves its input in BUILD/fuzz/crash/NAME-* : copy it into
# tests/fuzz/crashes/NAME/ with the fix, and make test replays it.
# Usage: tests/fuzz/run.sh BUILD SECONDS
set -u
cd "$(dirname "$0")/../.."
build=${1:-build-fuzz}
secs=${2:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/fuzz/crash"
failed=0
for bin in "$build"/fuzz/fuzz_*; do
	name=${bin##*/fuzz_}
	mkdir -p "$work/$name"
	cp tests/fuzz/corpus/"$name"/* "$work/$name/"
	[ -d tests/fuzz/crashes/"$name" ] &&
		cp tests/fuzz/crashes/"$name"/* "$work/$name/"
	log=$build/fuzz/$name.log
	ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$secs" \
		-max_len=4096 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$build/fuzz/crash/$name-" "$work/$name" \
		>"$log" 2>&1
	rc=$?
	execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" |
		grep -o '[0-9]*$')
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
	corp=$(ls "$work/$name" | wc -l)
	if [ "$rc" -eq 0 ]; then
		echo "PASS: fuzz_$name: ${execs:-?} inputs in ${secs}s, $cov, corpus $corp"
	else
		echo "FAIL: fuzz_$name: exit $rc after ${execs:-?} inputs, see $log"
		grep -m3 -E 'ERROR|fuzz check failed|runtime error' "$log"
		failed=$((failed + 1))
	fi
done
[ "$failed" -eq 0 ]
