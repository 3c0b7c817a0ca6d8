#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs the test suites and prints one closing "N passed, N failed" line.
# Usage: tests/run.sh all|unit|bpf|netns|central|interop|demo|docs|package
# Counting: cmocka's "[       OK ]"/"[  FAILED  ]" lines and our scripts'
# "PASS:"/"FAIL:" lines; a program that exits non-zero without printing a
# FAIL line counts as one failure, so a crash never passes silently.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
suite=${1:-all}
passed=0
failed=0
failed_names=()
OUT=$(mktemp)	# one suite's output at a time
trap 'rm -f "$OUT"' EXIT

run_one() {
	local name=$1
	shift
	local out=$OUT rc p f t0=$SECONDS
	echo "=== $name"
	"$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	echo "=== $name: $((SECONDS - t0)) s"
	p=$(grep -cE '^\[       OK \]|^PASS:' "$out")
	f=$(grep -cE '^\[  FAILED  \] [^0-9]|^FAIL:' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $name exited with status $rc"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" -eq 0 ] || failed_names+=("$name")
}

want() { [ "$suite" = all ] || [ "$suite" = "$1" ]; }

if want unit; then
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] && run_one "unit/$(basename "$t")" "$t"
	done
fi
if want bpf; then
	for t in "$BUILD"/tests/bpf_*; do
		[ -x "$t" ] && run_one "bpf/$(basename "$t")" "$t"
	done
fi
for s in netns central interop demo docs package; do
	want "$s" || continue
	for t in tests/$s/*.sh; do
		[ "${t##*/}" = lib.sh ] && continue	# sourced, not a suite
		[ -f "$t" ] && run_one "$s/$(basename "$t" .sh)" bash "$t"
	done
done

if [ ${#failed_names[@]} -gt 0 ]; then
	echo "failed suites: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
