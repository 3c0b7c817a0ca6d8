#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# sesslog.sh [OUT] - the per-session log (log.session_events) under a run
# of new sessions faster than it was written before (docs/compliance-log.md,
# Rate): each run a fresh testbed (tests/netns/lib.sh) and cgnatd with the
# key on; SESSLOG_SUBS x SESSLOG_PORTS new UDP sessions (default 1000 x
# 200) sent as fast as one Python raw socket goes (tests/bench/sessgen.py);
# then, once the log has caught up, the sessions the data plane made, the
# events lost in its rings, the rows their creates wrote in SQLite, the
# commits and the seconds the log took to catch up after the sender.
# SESSLOG_BINS="label=bindir ..." compares builds (default: this tree's
# build/bin); SESSLOG_RUNS runs each (default 3). Writes OUT/sesslog.json
# when given.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

one() {	# one BINDIR: prints "offered made lost rows commits secs"
	BIN=$1
	. "$ROOT/tests/netns/lib.sh"
	trap tb_cleanup EXIT
	local subs=${SESSLOG_SUBS:-1000} ports=${SESSLOG_PORTS:-200} r t0
	# Rows a create wrote: open, or ended since (UDP timers run out).
	rows() { sqlite3 "file:$DB?mode=ro" "SELECT (SELECT count(*) FROM
		open_sessions) + (SELECT count(*) FROM sessions WHERE start_ms
		IS NOT NULL)" 2>/dev/null; }
	made() { tb_dpstat new_session; }
	# Lost in the rings (data plane) or over the journal's cap (log);
	# a build before event_sess_lost counts every lost event as one.
	lost() {
		local l
		l=$(tb_dpstat event_sess_lost)
		[ -n "$l" ] || l=$(tb_dpstat event_lost)
		echo $((l + $(tb_dstat log_lost)))
	}
	# Caught up: every session made is a row, or was lost (counted).
	settled() { [ "$(rows)" -ge $(($(made) - $(lost))) ]; }
	tb_up || return 1
	TB_LOG="session_events: true" tb_yaml "$TB_TMP/c.yaml"
	tb_cgnatd "$TB_TMP/c.yaml" || return 1
	r=$(in_sub $PY "$ROOT/tests/bench/sessgen.py" "$subs" "$ports" $S1)
	t0=$SECONDS
	tb_wait 1200 settled
	t0=$((SECONDS - t0))
	sleep 6	# a stats round of cgnatd
	awk -v r="$r" -v m="$(made)" -v l="$(lost)" \
		-v n="$(rows)" -v c="$(tb_dstat log_commits)" -v s=$t0 \
		'BEGIN { split(r, f, " ");
		printf "%d %d %d %d %d %d\n", f[2] / f[4], m, l, n, c, s }'
}

if [ "${1:-}" = one ]; then
	one "$2"
	exit
fi
OUT=${1:-}
json=
printf '%-10s %4s %10s %8s %8s %8s %8s %5s\n' build run offered/s \
	sessions lost rows commits s
[ -n "$OUT" ] && mkdir -p "$OUT"
for lb in ${SESSLOG_BINS:-this=$ROOT/build/bin}; do
	for i in $(seq 1 "${SESSLOG_RUNS:-3}"); do
		read -r off made lost rows commits secs < <(bash "$0" one \
			"${lb#*=}" | tail -1)
		printf '%-10s %4s %10s %8s %8s %8s %8s %5s\n' "${lb%%=*}" \
			"$i" "$off" "$made" "$lost" "$rows" "$commits" "$secs"
		json+="${json:+,}{\"build\":\"${lb%%=*}\",\"run\":$i,\"offered\":$off,\"sessions\":$made,\"lost\":$lost,\"rows\":$rows,\"commits\":$commits,\"seconds\":$secs}"
	done
done
[ -n "$OUT" ] && echo "[$json]" >"$OUT/sesslog.json"
exit 0
