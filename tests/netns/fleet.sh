#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The fleet log end to end: cgnatd in the testbed ships to a PostgreSQL
# this test starts (tests/central/lib_pg.bash); every external ip:port
# the server saw resolves through `cgnatctl --central` to the true sender
# and the node; PostgreSQL stopped for 30 s under traffic, then started:
# the backlog shows in status and drains, no row lost or duplicated (row
# by row, SQLite against PostgreSQL); cgnatd SIGKILLed while shipping and
# restarted: the same.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/central/lib_pg.bash"
trap 'tb_cleanup; pg_cleanup' EXIT

pg_init && pg_start || { echo "FAIL: postgresql did not start"; exit 1; }
"$BIN/cgnatctl" --central "$PG_URL" central-migrate >/dev/null ||
	{ echo "FAIL: central-migrate"; exit 1; }
tb_up || { echo "FAIL: testbed"; exit 1; }
TB_LOG="central: { url: \"$PG_URL\", node: box-1 }"
CFG=$TB_TMP/cgnat.yaml
tb_yaml "$CFG"
tb_bg inet $PY "$WHOAMI" serve $S1 7
tb_wait 30 tb_listens in_inet u 7
tb_cgnatd "$CFG" || { fail "cgnatd starts"; cat "$TB_TMP/cgnatd.log"; exit 1; }
pass "cgnatd starts with log.central"

# traffic SPORT: one UDP exchange per subscriber; prints "SRC EXT MS"
# (and from the extra subscribers in $EXTRA: new ones get new blocks).
EXTRA=
traffic() {
	local h
	for h in $H1 $H2 $H3 $EXTRA; do
		echo "$h $(in_sub $PY "$WHOAMI" udp $h "$1" $S1 7) $(date +%s%3N)"
	done | tee -a "$TB_TMP/seen_last"
}
behind() { tb_dstat central_rows_behind; }
# drained: a stats round written after the last traffic says 0 behind.
drained() {
	[ "$(tb_dstat written_ms)" -gt "$(tail -1 "$TB_TMP/seen_last" | cut -d' ' -f3)" ] &&
		[ "$(behind)" = 0 ] && [ "$(tb_dstat central_connected)" = 1 ]
}
rows_local() {
	sqlite3 -separator ' ' "$DB" "SELECT id, sub_addr, ext_addr, port_first, assigned_ms, coalesce(released_ms, '') FROM blocks_all ORDER BY id"
}
rows_pg() {
	pg_sql "SELECT h.id || ' ' || h.sub_addr || ' ' || h.ext_addr || ' ' || h.port_first || ' ' || h.assigned_ms || ' ' || coalesce(h.released_ms::text, '') FROM (SELECT * FROM cgnat.holdings UNION ALL SELECT * FROM cgnat.long_holdings UNION ALL SELECT * FROM cgnat.open_holdings) h ORDER BY h.id"
}
resolves() {	# every "SRC EXT MS" of $1 -> subscriber SRC node box-1
	local src ext ms out ok=0
	while read -r src ext ms; do
		out=$("$BIN/cgnatctl" --central "$PG_URL" lookup "$ext" --at "$ms")
		grep -q "subscriber $src (.* node box-1\$" <<<"$out" || {
			echo "  $ext at $ms: $out (want $src)"
			ok=1
		}
	done <"$1"
	return $ok
}

traffic 6000 >"$TB_TMP/seen1"
tb_wait 150 drained
check "first holdings shipped (0 behind)" drained
check "every external ip:port resolves centrally to its sender and node" \
	resolves "$TB_TMP/seen1"

# PostgreSQL down for 30 s under traffic.
pg_stop
end=$((SECONDS + 30))
: >"$TB_TMP/seen2"
n=20
while [ $SECONDS -lt $end ]; do
	n=$((n + 1))
	in_sub ip addr add 100.64.2.$n/10 dev sub0
	EXTRA="$EXTRA 100.64.2.$n"
	traffic $((7000 + SECONDS % 1000)) >>"$TB_TMP/seen2"
	sleep 2
done
sleep 2 # a stats round
check "while PostgreSQL is down cgnatd translates and logs locally" \
	test "$(wc -l <"$TB_TMP/seen2")" -ge 40
check "the backlog is visible in status ($(behind) rows behind)" \
	sh -c "[ '$(behind)' -gt 0 ] && nsenter --net=/var/run/netns/$NS_NAT '$BIN/cgnatctl' --pin-dir '$PIN' --run-dir '$RUN' --db '$DB' status | grep -q 'central log:  NOT CONNECTED'"
check "metrics carry rows behind" \
	sh -c "ctl() { nsenter --net=/var/run/netns/$NS_NAT '$BIN/cgnatctl' --pin-dir '$PIN' --run-dir '$RUN' --db '$DB' \"\$@\"; }; ctl metrics | grep -q '^cgnatd_central_rows_behind [1-9]'"
check "cgnatd logged the outage once" \
	test "$(grep -c 'central log (node box-1).*rows stay queued' "$TB_TMP/cgnatd.log")" -le 2
pg_start
tb_wait 700 drained
check "PostgreSQL back: the backlog drained" drained
check "after the outage: SQLite and PostgreSQL equal row by row" \
	diff <(rows_local) <(rows_pg)
check "holdings made during the outage resolve centrally" \
	resolves "$TB_TMP/seen2"

# SIGKILL while shipping, then restart on the same pins.
traffic 9000 >"$TB_TMP/seen3"
tb_stop_cgnatd KILL
tb_cgnatd "$CFG" || { fail "cgnatd restarts"; cat "$TB_TMP/cgnatd.log"; }
traffic 9100 >>"$TB_TMP/seen3"
tb_wait 300 drained
check "after SIGKILL and restart: SQLite and PostgreSQL equal row by row" \
	diff <(rows_local) <(rows_pg)
check "no holding twice in PostgreSQL" \
	test "$(rows_pg | cut -d' ' -f1 | sort | uniq -d | wc -l)" = 0
check "holdings around the kill resolve centrally" resolves "$TB_TMP/seen3"
tb_summary
