#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench, fleet log: a private PostgreSQL (tests/central/lib_pg.bash);
# ship_feed writes HOLDINGS holdings (default 500 000: ~1M queue rows) to
# a local log, then the shipper thread ships them: rows/s; then central
# point lookups at random blocks and times: p50/p99; bytes per holding in
# PostgreSQL (table and indexes). Usage: fleet.sh OUTDIR [HOLDINGS]
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/build/bin
OUT=${1:-$ROOT/build/bench}
N=${2:-500000}
. "$ROOT/tests/central/lib_pg.bash"
T=$(mktemp -d)
trap 'pg_cleanup; rm -rf "$T"' EXIT
pg_init && pg_start || exit 1
"$BIN/cgnatctl" --central "$PG_URL" central-migrate >/dev/null || exit 1
"$BIN/ship_feed" "$T/a.db" "$PG_URL" bench write "$N" 1 0xcb007100 || exit 1
rows=$(sqlite3 "$T/a.db" "SELECT count(*) FROM ship_queue")
out=$("$BIN/ship_feed" "$T/a.db" "$PG_URL" bench ship 1200 2>/dev/null) || exit 1
ms=$(sed -n 's/.* in \([0-9]*\) ms.*/\1/p' <<<"$out")
lk=$("$BIN/ship_feed" - "$PG_URL" lookup 2000 0xcb007100) || exit 1
held=$(pg_sql "SELECT (SELECT count(*) FROM cgnat.holdings) + (SELECT count(*) FROM cgnat.long_holdings) + (SELECT count(*) FROM cgnat.open_holdings)")
bytes=$(pg_sql "SELECT (SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits WHERE inhparent = 'cgnat.holdings'::regclass) + pg_total_relation_size('cgnat.long_holdings') + pg_total_relation_size('cgnat.open_holdings')")
p50=$(awk '{ print $6 }' <<<"$lk")
p99=$(awk '{ print $8 }' <<<"$lk")
rate=$((rows * 1000 / (ms ? ms : 1)))
printf '%-36s %12s\n' "queue rows shipped" "$rows" \
	"ship time (ms)" "$ms" "rows shipped per second" "$rate" \
	"holdings in PostgreSQL" "$held" \
	"bytes per holding (with indexes)" "$((bytes / (held ? held : 1)))" \
	"central lookup p50 (us)" "$p50" "central lookup p99 (us)" "$p99"
printf '{"rows":%s,"ship_ms":%s,"rows_per_s":%s,"holdings":%s,"bytes_per_holding":%s,"lookup_p50_us":%s,"lookup_p99_us":%s}\n' \
	"$rows" "$ms" "$rate" "$held" "$((bytes / (held ? held : 1)))" \
	"$p50" "$p99" >"$OUT/fleet.json"
