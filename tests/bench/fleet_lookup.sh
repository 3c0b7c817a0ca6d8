#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench, fleet log at size: a private PostgreSQL (lib_pg.bash) with
# ROWS short holdings generated server-side over DAYS daily partitions
# (fleet_gen.sql: the layout of a real fleet, 8 nodes), then LOOKUPS
# central point lookups through central_lookup() (bench_central: hits,
# uniform random, misses; wrong answers fail), and bytes per row of
# cgnat.holdings with its indexes. The server is tuned for the bulk
# build only (fsync off, wal_level minimal: it is thrown away after);
# the lookups are what is measured. Everything is removed on exit.
# Usage: fleet_lookup.sh OUTDIR [ROWS [DAYS [LOOKUPS]]]
# (default 10M rows over 30 days; the 100M run in docs/performance.md: 100000000 90)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/build/bin
OUT=${1:-$ROOT/build/bench}
ROWS=${2:-10000000}
DAYS=${3:-30}
LOOKUPS=${4:-3000}
. "$ROOT/tests/central/lib_pg.bash"
trap 'pg_cleanup' EXIT
PG_OPTS="-c fsync=off -c full_page_writes=off -c wal_level=minimal \
-c max_wal_senders=0 -c max_wal_size=16GB -c checkpoint_timeout=1h \
-c shared_buffers=1GB -c max_parallel_maintenance_workers=1"
pg_init && pg_start || exit 1
"$BIN/cgnatctl" --central "$PG_URL" central-migrate >/dev/null || exit 1
t0=$(date +%s)
PGPASSWORD=$PG_PASS "$PG_BIN/psql" -qAtX -h "$PG_DIR" -U cgnat -d postgres \
	-v rows="$ROWS" -v days="$DAYS" -v nodes=8 \
	-f "$ROOT/tests/bench/fleet_gen.sql" >/dev/null || exit 1
gen_s=$(($(date +%s) - t0))
# the pool and days the generator used (its formulas)
addrs=$(((ROWS / DAYS + 1007) / 1008))
base=$((198 << 24 | 18 << 16))
first=$(pg_sql "SELECT (extract(epoch FROM current_date) * 1000)::bigint - $DAYS::bigint * 86400000")
last=$((first + DAYS * 86400000))
rows=$(pg_sql "SELECT count(*) FROM cgnat.holdings")
bytes=$(pg_sql "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'cgnat.holdings'::regclass")
heap=$(pg_sql "SELECT sum(pg_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'cgnat.holdings'::regclass")
# Lookups on a cold start, as an operator's first query after a restart
# would be, then the OS cache is what it is (not dropped: shared box).
pg_stop && pg_start || exit 1
"$BIN/bench_central" "$PG_URL" "$LOOKUPS" $base $((base + addrs - 1)) \
	"$first" "$last" "$OUT/fleet_lookup_raw.json" || exit 1
printf '%-36s %12s\n' "short holdings (rows)" "$rows" \
	"days (daily partitions)" "$DAYS" "rows per partition" "$((rows / DAYS))" \
	"generation time (s)" "$gen_s" \
	"bytes per row (heap)" "$((heap / rows))" \
	"bytes per row (heap + indexes)" "$((bytes / rows))"
printf '{"rows":%s,"days":%s,"bytes_per_row":%s,"heap_bytes_per_row":%s,"lookups":%s}\n' \
	"$rows" "$DAYS" "$((bytes / rows))" "$((heap / rows))" \
	"$(cat "$OUT/fleet_lookup_raw.json")" >"$OUT/fleet_lookup.json"
rm -f "$OUT/fleet_lookup_raw.json"
