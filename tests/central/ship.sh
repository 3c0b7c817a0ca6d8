#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The fleet log against a real PostgreSQL started here (lib_pg.bash):
# schema errors are clear, central-migrate creates the schema, two nodes
# ship their local logs, and every holding's lookup from PostgreSQL
# (cgnatctl --central) gives the local answer (cgnatctl --db) plus the
# node; the row counts of SQLite and PostgreSQL agree; a resend after a
# lost ack adds nothing; PostgreSQL down: nothing ships, nothing lost;
# marks lowered by hand (the careful and the fallback path of ship_apply,
# a holding closed within a batch whose assign was applied): no holding
# twice, none left open.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/build/bin
. "$ROOT/tests/central/lib_pg.bash"
T=$(mktemp -d)
trap 'pg_cleanup; rm -rf "$T"' EXIT
PASSED=0
FAILED=0
pass() { echo "PASS: $*"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }
check() { local w=$1; shift; if "$@"; then pass "$w"; else fail "$w"; fi; }

pg_init && pg_start || { echo "FAIL: postgresql did not start"; exit 1; }
EXT_A=$((0xcb007100)) # 203.0.113.0/28: node a
EXT_B=$((0xcb007110)) # 203.0.113.16/28: node b

# No schema yet: a clear error naming the fix, from both programs.
"$BIN/ship_feed" "$T/a.db" "$PG_URL" a write 10 1 $EXT_A >/dev/null
"$BIN/ship_feed" "$T/a.db" "$PG_URL" a ship 2 >"$T/noschema" 2>&1
check "shipper without schema: says to run central-migrate" \
	grep -q "run \`cgnatctl central-migrate" "$T/noschema"
"$BIN/cgnatctl" --central "$PG_URL" lookup 203.0.113.1:1024 --at @1764000000 \
	>/dev/null 2>"$T/err"
check "lookup without schema: exit 2 and the fix" \
	grep -q "central-migrate" "$T/err"
BAD="postgresql://cgnat:wrong@/postgres?host=$PG_DIR"
"$BIN/ship_feed" "$T/a.db" "$BAD" a ship 2 >"$T/badpw" 2>&1
check "bad password: one clear message, not a crash loop" \
	test "$(grep -c 'password authentication failed.*rows stay queued' "$T/badpw")" = 1

check "central-migrate creates the schema" \
	"$BIN/cgnatctl" --central "$PG_URL" central-migrate
check "central-migrate again: nothing to do" \
	sh -c "'$BIN/cgnatctl' --central '$PG_URL' central-migrate | grep -q 'nothing to do'"

# Two nodes, disjoint pools.
check "node a ships" "$BIN/ship_feed" "$T/a.db" "$PG_URL" a both 3000 1 $EXT_A 60
check "node b ships" "$BIN/ship_feed" "$T/b.db" "$PG_URL" b both 3000 2 $EXT_B 60

local_count() {
	sqlite3 "$1" "SELECT (SELECT count(*) FROM blocks) + (SELECT count(*) FROM open_blocks)"
}
pg_count() {
	pg_sql "SELECT count(*) FROM cgnat.holdings_text WHERE node = '$1'"
}
check "node a: PostgreSQL holds every SQLite holding" \
	test "$(local_count "$T/a.db")" = "$(pg_count a)"
check "node b: PostgreSQL holds every SQLite holding" \
	test "$(local_count "$T/b.db")" = "$(pg_count b)"
# Row by row: (id, ext, port, assigned, released) equal.
rows_local() {
	sqlite3 -separator ' ' "$1" "SELECT id, ext_addr, port_first, assigned_ms, coalesce(released_ms, '') FROM blocks_all ORDER BY id"
}
rows_pg() {
	pg_sql "SELECT h.id || ' ' || h.ext_addr || ' ' || h.port_first || ' ' || h.assigned_ms || ' ' || coalesce(h.released_ms::text, '') FROM (SELECT * FROM cgnat.holdings UNION ALL SELECT * FROM cgnat.long_holdings UNION ALL SELECT * FROM cgnat.open_holdings) h JOIN cgnat.nodes n ON n.id = h.node WHERE n.name = '$1' ORDER BY h.id"
}
check "node a: row by row equal" diff <(rows_local "$T/a.db") <(rows_pg a)
check "node b: row by row equal" diff <(rows_local "$T/b.db") <(rows_pg b)
check "long holdings went to long_holdings" \
	test "$(pg_sql 'SELECT count(*) FROM cgnat.long_holdings')" -gt 0
check "interim and config rows shipped" \
	test "$(pg_sql 'SELECT (SELECT count(*) FROM cgnat.interim) > 0 AND (SELECT count(*) FROM cgnat.config_log) = 3')" = t
check "daily partitions exist" \
	test "$(pg_sql "SELECT count(*) FROM pg_inherits WHERE inhparent = 'cgnat.holdings'::regclass")" -ge 3

# Lookups: at the assign instant, in the middle, just before the
# release (held) and at the release (free), for a sample of holdings of
# both nodes; same answer locally and centrally, plus the node.
q=$T/queries
for db in a b; do
	sqlite3 -separator ' ' "$T/$db.db" "SELECT ext_addr, port_first + 17, assigned_ms, coalesce(released_ms, assigned_ms + 5000) FROM blocks_all WHERE id % 7 = 0" |
	while read -r ext port as rel; do
		ip=$((ext >> 24)).$(((ext >> 16) & 255)).$(((ext >> 8) & 255)).$((ext & 255))
		for t in $as $(((as + rel) / 2)) $((rel - 1)) $rel; do
			echo "$ip:$port @$((t / 1000)).$(printf %03d $((t % 1000)))"
		done
	done
done >"$q"
"$BIN/cgnatctl" --db "$T/a.db" lookup - <"$q" >"$T/la" 2>/dev/null
"$BIN/cgnatctl" --db "$T/b.db" lookup - <"$q" >"$T/lb" 2>/dev/null
"$BIN/cgnatctl" --central "$PG_URL" lookup - <"$q" >"$T/lc" 2>"$T/lc.err"
# The local answer is the one of the node owning the address.
paste -d '\n' "$T/la" "$T/lb" | awk 'NR % 2 == 1 { a = $0; next }
	{ if (a ~ /no subscriber/) print $0; else print a }' >"$T/lab"
sed -E 's/ node [ab]$//' "$T/lc" >"$T/lc.strip"
check "central lookups ($(wc -l <"$q") queries) = local lookups" \
	diff "$T/lab" "$T/lc.strip"
check "central answers name the node" \
	test "$(grep -c ' node [ab]$' "$T/lc")" -eq "$(grep -vc 'no subscriber' "$T/lc")"
check "some answers found, some free at the release instant" \
	sh -c "grep -q 'subscriber 100' '$T/lc' && grep -q 'no subscriber' '$T/lc'"
check "central lookup --json carries the node" \
	sh -c "head -1 '$q' | '$BIN/cgnatctl' --central '$PG_URL' --json lookup - | grep -q '\"node\":\"[ab]\"'"
sub=$(sqlite3 "$T/a.db" "SELECT sub_addr FROM blocks LIMIT 1")
subip=$((sub >> 24)).$(((sub >> 16) & 255)).$(((sub >> 8) & 255)).$((sub & 255))
"$BIN/cgnatctl" --db "$T/a.db" history "$subip" >"$T/ha"
"$BIN/cgnatctl" --db "$T/b.db" history "$subip" >"$T/hb"
"$BIN/cgnatctl" --central "$PG_URL" history "$subip" | sed -E 's/ node ([ab])$/ \1/' >"$T/hc"
{ sed 's/$/ a/' "$T/ha"; sed 's/$/ b/' "$T/hb"; } | grep -v '^no holdings' | sort >"$T/hab"
check "central history = both nodes' local histories" \
	diff "$T/hab" <(sort "$T/hc")

# Deterministic pools: the layout rows ship, and the central lookup runs
# the local arithmetic on them. Node a logs version 1 (a /24 onto a /29,
# 1984 ports each), its daily repeat, and version 2 an hour later (1920
# ports: ranges move, both owners inside the 2 min quarantine).
T0=1764000000000
det_row() { # kind logged version switched pps
	echo "INSERT INTO det_layouts (kind, logged_ms, instance, pool_id, pool, version, switched_ms, quarantine_ms, inside, outside, exclude_boundary, ports_per_subscriber, port_first, port_last, subs_per_addr, overflow_blocks, block_size, algorithm, reserved) VALUES ($1, $2, 1, 7, 'det', $3, $4, 120000, '100.64.1.0/24', '203.0.113.64/29', 0, $5, 1024, 65535, 32, 0, 64, 0, '0-1023');"
}
sqlite3 "$T/a.db" "$(det_row 1 $T0 1 $T0 1984) $(det_row 1 $((T0 + 3600000)) 2 $((T0 + 3600000)) 1920) $(det_row 2 $((T0 + 86400000)) 2 $((T0 + 3600000)) 1920)"
"$BIN/ship_feed" "$T/a.db" "$PG_URL" a ship 30 >/dev/null
check "layout rows shipped (all three kinds), once" \
	test "$(pg_sql "SELECT count(*) FROM cgnat.det_layouts WHERE node = (SELECT id FROM cgnat.nodes WHERE name = 'a')")" = 3
"$BIN/ship_feed" "$T/a.db" "$PG_URL" a ship 30 >/dev/null
check "layout rows: a second shipper run adds nothing" \
	test "$(pg_sql "SELECT count(*) FROM cgnat.det_layouts")" = 3
dq=$T/detq
for a in 64 65 71; do
	for p in 1024 1500 3007 40000 65000; do
		for t in $((T0 - 1000)) $((T0 + 1000)) $((T0 + 3600000 + 1000)) $((T0 + 3600000 + 200000)); do
			echo "203.0.113.$a:$p @$((t / 1000)).$(printf %03d $((t % 1000)))"
		done
	done
done >"$dq"
"$BIN/cgnatctl" --db "$T/a.db" lookup - <"$dq" >"$T/dla" 2>/dev/null
"$BIN/cgnatctl" --central "$PG_URL" lookup - <"$dq" >"$T/dlc" 2>"$T/dlc.err"
check "deterministic lookups ($(wc -l <"$dq") queries): central = local" \
	diff "$T/dla" <(sed -E 's/ node a$//' "$T/dlc")
check "... answers from the layout, named by node, and unknown before version 1" \
	sh -c "grep -q 'deterministic layout v1.* node a\$' '$T/dlc' && grep -q 'deterministic layout v2.* node a\$' '$T/dlc' && grep -qi 'unknown' '$T/dlc'"
"$BIN/cgnatctl" --db "$T/a.db" history 100.64.1.5 --from @$((T0 / 1000 - 10)) --to @$((T0 / 1000 + 7200)) >"$T/dha"
"$BIN/cgnatctl" --central "$PG_URL" history 100.64.1.5 --from @$((T0 / 1000 - 10)) --to @$((T0 / 1000 + 7200)) >"$T/dhc"
check "deterministic history: central = local (both versions)" \
	bash -c "diff '$T/dha' <(sed -E 's/ node a\$//' '$T/dhc') && test \$(grep -c 'deterministic' '$T/dhc') -ge 2"

# Central retention: v1 goes once v2's quarantine ended before the
# cut-off, the daily repeat once older; v2 (the newest) stays.
pg_sql "SELECT cgnat.drop_before($((T0 + 3600000 + 120000 - 1)))" >/dev/null
check "central retention keeps a version while its successor's quarantine is after the cut-off" \
	test "$(pg_sql "SELECT count(*) FROM cgnat.det_layouts")" = 3
pg_sql "SELECT cgnat.drop_before($((T0 + 86400000 + 1)))" >/dev/null
check "central retention: v1 and the daily repeat dropped, v2 kept" \
	test "$(pg_sql "SELECT string_agg(kind || ':' || version, ',') FROM cgnat.det_layouts")" = "1:2"

# Exactly once: a lost ack (the mark says the rows are in) resends
# nothing; rows written while PostgreSQL is down ship when it returns.
before=$(pg_count a)
pg_stop
"$BIN/ship_feed" "$T/a.db" "$PG_URL" a write 600 3 $EXT_A >/dev/null
"$BIN/ship_feed" "$T/a.db" "$PG_URL" a ship 2 >/dev/null 2>&1
check "PostgreSQL down: the shipper gives up cleanly, rows stay queued" \
	test "$(sqlite3 "$T/a.db" 'SELECT count(*) FROM ship_queue WHERE seq > '"$(sqlite3 "$T/a.db" "SELECT 0")")" -gt 0
pg_start
check "PostgreSQL back: the backlog ships" \
	"$BIN/ship_feed" "$T/a.db" "$PG_URL" a ship 60
check "node a after the outage: row by row equal" \
	diff <(rows_local "$T/a.db") <(rows_pg a)
pg_sql "UPDATE cgnat.nodes SET hwm = hwm - 300 WHERE name = 'a'" >/dev/null
"$BIN/ship_feed" "$T/a.db" "$PG_URL" a ship 30 >/dev/null
check "a resend after a lost mark duplicates nothing (unique keys)" \
	diff <(rows_local "$T/a.db") <(rows_pg a)
# Both marks lowered: the batch takes the fast path (plain INSERTs), hits
# the unique keys, and is applied again with ON CONFLICT DO NOTHING.
pg_sql "UPDATE cgnat.nodes SET hwm = hwm - 300, applied_top = hwm - 300 WHERE name = 'a'" >/dev/null
check "fast path meeting applied rows: falls back, ships to the end" \
	"$BIN/ship_feed" "$T/a.db" "$PG_URL" a ship 30
check "... and duplicates nothing" \
	diff <(rows_local "$T/a.db") <(rows_pg a)
# A mark lowered by hand to just before an assign that PostgreSQL has
# while its release is not there yet: the batch then holds both, and the
# shipper sends the holding closed (op 5) without its assign. Rebuild that
# state for node a's last holding H (its release and the final config
# record not applied), lower the mark by one: H must end up closed, not
# also left open (the careful path, chosen by applied_top).
last=$(sqlite3 "$T/a.db" "SELECT max(seq) FROM ship_queue WHERE op = 2")
read -r hid asg <<<"$(sqlite3 -separator ' ' "$T/a.db" "SELECT block_id, assigned_ms FROM ship_queue WHERE seq = $last")"
aseq=$(sqlite3 "$T/a.db" "SELECT seq FROM ship_queue WHERE op = 1 AND block_id = $hid AND assigned_ms = $asg")
pg_sql "BEGIN;
INSERT INTO cgnat.open_holdings SELECT * FROM cgnat.holdings h WHERE h.node = (SELECT id FROM cgnat.nodes WHERE name = 'a') AND h.id = $hid AND h.assigned_ms = $asg;
UPDATE cgnat.open_holdings SET released_ms = NULL, release_reason = NULL WHERE id = $hid AND assigned_ms = $asg;
DELETE FROM cgnat.holdings WHERE node = (SELECT id FROM cgnat.nodes WHERE name = 'a') AND id = $hid AND assigned_ms = $asg;
DELETE FROM cgnat.config_log WHERE node = (SELECT id FROM cgnat.nodes WHERE name = 'a') AND seq > $aseq;
UPDATE cgnat.nodes SET hwm = $aseq - 1, applied_top = $aseq WHERE name = 'a';
COMMIT" >/dev/null
check "rebuilt state: H open in PostgreSQL, the batch after the mark holds its assign and release" \
	test "$(pg_sql "SELECT count(*) FROM cgnat.open_holdings WHERE id = $hid AND assigned_ms = $asg")" = 1
"$BIN/ship_feed" "$T/a.db" "$PG_URL" a ship 30 >/dev/null

check "lowered mark, holding closed within the batch: closed once, not left open" \
	diff <(rows_local "$T/a.db") <(rows_pg a)
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
