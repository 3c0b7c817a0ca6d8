#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench, fleet log shipping: a private PostgreSQL (lib_pg.bash, fsync
# on, default settings); ship_feed writes HOLDINGS holdings (default
# 500 000: ~1M queue rows) to a local log three ways, and the shipper
# thread ships each (its own node): rows/s. The ways (ship_feed.c):
#   mixed:    time order, durations 80% ~20 min, 17.5% 1-20 h, 2.5% > 1 day
#             (a box's backlog after an outage; the headline number);
#   long:     time order, every holding 4-12 h, so nearly none is assigned
#             and released within one batch (the worst case);
#   adjacent: each release right after its assign (the best case).
# Then central point lookups at random blocks and times: p50/p99; bytes
# per holding in PostgreSQL (tables and indexes).
# Usage: fleet.sh OUTDIR [HOLDINGS]
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/build/bin
OUT=${1:-$ROOT/build/bench}
N=${2:-500000}
. "$ROOT/tests/central/lib_pg.bash"
T=$(mktemp -d)
trap 'pg_cleanup; rm -rf "$T"' EXIT
pg_init && pg_start || exit 1
"$BIN/cgnatctl" --central "$PG_URL" central-migrate >/dev/null || exit 1
BASE=0xcb007100
json=
ship_one() {	# ship_one WAY: rows, ms, rows/s into the table and json
	local way=$1 rows out ms
	case $way in
	adjacent) "$BIN/ship_feed" "$T/$way.db" - - write "$N" 1 $BASE ;;
	*) "$BIN/ship_feed" "$T/$way.db" - - ordered "$N" 1 $BASE "$way" ;;
	esac || return 1
	rows=$(sqlite3 "$T/$way.db" "SELECT count(*) FROM ship_queue")
	out=$("$BIN/ship_feed" "$T/$way.db" "$PG_URL" "bench-$way" ship 1200 \
		2>/dev/null) || return 1
	ms=$(sed -n 's/.* in \([0-9]*\) ms.*/\1/p' <<<"$out")
	printf '%-36s %12s\n' "$way: queue rows shipped" "$rows" \
		"$way: ship time (ms)" "$ms" \
		"$way: rows shipped per second" "$((rows * 1000 / (ms ? ms : 1)))"
	json+="\"$way\":{\"rows\":$rows,\"ship_ms\":$ms,\"rows_per_s\":$((rows * 1000 / (ms ? ms : 1)))},"
	rm -f "$T/$way.db"
}
for way in mixed long adjacent; do
	ship_one $way || exit 1
done
lk=$("$BIN/ship_feed" - "$PG_URL" lookup 2000 $BASE) || exit 1
held=$(pg_sql "SELECT (SELECT count(*) FROM cgnat.holdings) + (SELECT count(*) FROM cgnat.long_holdings) + (SELECT count(*) FROM cgnat.open_holdings)")
bytes=$(pg_sql "SELECT (SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits WHERE inhparent = 'cgnat.holdings'::regclass) + pg_total_relation_size('cgnat.long_holdings') + pg_total_relation_size('cgnat.open_holdings')")
p50=$(awk '{ print $6 }' <<<"$lk")
p99=$(awk '{ print $8 }' <<<"$lk")
printf '%-36s %12s\n' "holdings in PostgreSQL" "$held" \
	"bytes per holding (with indexes)" "$((bytes / (held ? held : 1)))" \
	"central lookup p50 (us)" "$p50" "central lookup p99 (us)" "$p99"
printf '{%s"holdings":%s,"bytes_per_holding":%s,"lookup_p50_us":%s,"lookup_p99_us":%s}\n' \
	"$json" "$held" "$((bytes / (held ? held : 1)))" "$p50" "$p99" \
	>"$OUT/fleet.json"
