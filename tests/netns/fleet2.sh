#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Two boxes, one fleet log: two testbeds (each its own bash process, see
# tests/central/fleet_node.bash) with disjoint pools run cgnatd shipping
# to one PostgreSQL started here; every external ip:port:time their
# servers saw resolves through `cgnatctl --central` to the true sender and
# its node, and no ip:port:time resolves to two holdings.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BIN:-$ROOT/build/bin}
. "$ROOT/tests/central/lib_pg.bash"
D=$(mktemp -d)
PIDS=()
cleanup() {
	touch "$D/done"
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	pg_cleanup
	rm -rf "$D"
}
trap cleanup EXIT
PASSED=0
FAILED=0
pass() { echo "PASS: $*"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }
check() { local w=$1; shift; if "$@"; then pass "$w"; else fail "$w"; fi; }

pg_init && pg_start || { echo "FAIL: postgresql did not start"; exit 1; }
"$BIN/cgnatctl" --central "$PG_URL" central-migrate >/dev/null ||
	{ echo "FAIL: central-migrate"; exit 1; }
bash "$ROOT/tests/central/fleet_node.bash" box-a "203.0.113.1, 203.0.113.2" "$PG_URL" "$D" >"$D/a.log" 2>&1 &
PIDS+=($!)
bash "$ROOT/tests/central/fleet_node.bash" box-b "203.0.113.9, 203.0.113.10" "$PG_URL" "$D" >"$D/b.log" 2>&1 &
PIDS+=($!)
n=0
while [ ! -e "$D/box-a.ready" ] || [ ! -e "$D/box-b.ready" ]; do
	sleep 1
	n=$((n + 1))
	[ $n -lt 240 ] || break
done
check "both boxes ran and drained" test -e "$D/box-a.ready" -a -e "$D/box-b.ready"
grep -h "FAIL" "$D/a.log" "$D/b.log"

resolve() {	# NODE: every seen line resolves to its sender on NODE
	local src ext ms out bad=0
	while read -r src ext ms; do
		out=$("$BIN/cgnatctl" --central "$PG_URL" lookup "$ext" --at "$ms")
		if [ "$(grep -c . <<<"$out")" != 1 ] ||
			! grep -q "subscriber $src (.* node $1\$" <<<"$out"; then
			echo "  $ext at $ms: $out (want $src on $1)"
			bad=1
		fi
	done <"$D/$1.seen"
	return $bad
}
check "box-a: $(wc -l <"$D/box-a.seen") external ip:port:time resolve to sender and node" \
	resolve box-a
check "box-b: $(wc -l <"$D/box-b.seen") external ip:port:time resolve to sender and node" \
	resolve box-b
check "the pools are disjoint (what each server saw)" \
	sh -c "! grep -q ' 203.0.113.9:\| 203.0.113.10:' '$D/box-a.seen' && ! grep -q ' 203.0.113.1:\| 203.0.113.2:' '$D/box-b.seen'"
check "both nodes in the fleet log" \
	test "$(pg_sql 'SELECT count(*) FROM cgnat.nodes WHERE hwm > 0')" = 2
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
