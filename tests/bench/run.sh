#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: every benchmark in one run, each printing a readable table
# and writing its numbers to build/bench/*.json.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
OUT=$BUILD/bench
mkdir -p "$OUT"
rc=0

run() {
	local name=$1
	shift
	echo "=== $name"
	if ! "$@"; then
		echo "bench $name failed"
		rc=1
	fi
	echo
}

run "data plane ns/packet (BPF_PROG_TEST_RUN)" \
	"$BUILD/bin/bench_dp" "$OUT/dataplane.json"
# SCALE_SESSIONS: the 10M stage's table (fewer when memory is short).
# One session per mapping (most flows), then every mapping shared.
run "10M sessions: memory, sweep cost, new flows during sweeps and restart" \
	"$BUILD/bin/bench_scale" "$OUT/scale.json" \
	"${SCALE_SESSIONS:-10000000}" one
run "10M sessions, 66 per mapping (all shared): the same" \
	"$BUILD/bin/bench_scale" "$OUT/scale_shared.json" \
	"${SCALE_SESSIONS:-10000000}" shared
run "session events: one core and two, one ring per CPU (ns per new session)" \
	"$BUILD/bin/bench_evring" "$OUT/evring.json"
run "the port-block allocator at ISP pool sizes (a loop turn, the lifecycle cycle)" \
	"$BUILD/bin/bench_pb" "$OUT/allocator.json"
run "new subscribers beside a busy process on cgnatd's CPU (netns)" \
	tests/bench/newsubs.sh "$OUT"
run "deterministic NAT beside PBA (ns/packet, log bytes)" \
	"$BUILD/bin/bench_det" "$OUT/det.json"
[ -x "$BUILD/bin/bench_store" ] &&
	run "compliance log (SQLite)" "$BUILD/bin/bench_store" "$OUT/store.json"
run "per-session log under a burst of new sessions (netns)" \
	tests/bench/sesslog.sh "$OUT"
[ -x "$BUILD/bin/bench_ipfix" ] &&
	run "IPFIX export" "$BUILD/bin/bench_ipfix" "$OUT/ipfix.json"
[ -x "$BUILD/bin/ship_feed" ] &&
	run "fleet log (PostgreSQL): shipping, central lookup, bytes" \
		tests/bench/fleet.sh "$OUT"
[ -x "$BUILD/bin/bench_central" ] &&
	run "fleet log (PostgreSQL): central lookup on 10M generated rows" \
		tests/bench/fleet_lookup.sh "$OUT"
[ -x "$BUILD/bin/bench_ha" ] &&
	run "HA state sync (protocol, standby apply, bulk of 1M sessions)" \
		"$BUILD/bin/bench_ha" "$OUT/ha.json"
run "live throughput: cgnat beside XDP, kernel and nftables (netns; one core, then 1, 2 and all cores)" \
	tests/bench/live.sh "$OUT"
echo "numbers written to $OUT/"
exit $rc
