#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# newsubs.sh [OUT] - new subscribers a second, and drops, while a busy
# loop shares cgnatd's CPU (issue 19). Each run is a fresh testbed
# (tests/netns/lib.sh): cgnatd's threads and a busy loop pinned to the
# last CPU, NEWSUBS_N new subscribers (default 3000) sent as fast as one
# Python sender on CPU 0 goes (tests/netns/burst.py), then the counters.
# NEWSUBS_BINS="label=bindir ..." compares builds (default: this tree's
# build/bin); NEWSUBS_RUNS runs each (default 3). The paced, asserting
# version is tests/netns/newsubs.sh. Writes OUT/newsubs.json when given.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

one() {	# one BINDIR: a run; prints "offered placed dropped bells"
	BIN=$1
	. "$ROOT/tests/netns/lib.sh"
	trap tb_cleanup EXIT
	local cpu=$(($(nproc) - 1)) n=${NEWSUBS_N:-3000} r d b
	all_in() { [ "$(tb_dpstat new_subscriber)" -ge "$n" ]; }
	tb_up || return 1
	tb_yaml "$TB_TMP/c.yaml" "ports: { block_size: 64, max_blocks: 1 }"
	tb_cgnatd "$TB_TMP/c.yaml" || return 1
	taskset -a -p -c "$cpu" "$CGNATD_PID" >/dev/null || return 1
	tb_bg nat taskset -c "$cpu" sh -c 'while :; do :; done'
	r=$(in_sub taskset -c 0 $PY "$ROOT/tests/netns/burst.py" "$n" $S1 9 1 0)
	tb_wait 100 all_in
	# Refused first packets: the pool seen empty, or the slots empty
	# with the pool not (a refill on its way).
	d=$(($(tb_drops pool_empty) + $(tb_drops grant_wait)))
	b=$(tb_dpstat grant_bell)
	# The refill thread's longest wait for pb_lock and longest wake
	# after a bell, from the stats file cgnatd rewrites every 5 s.
	sleep 5.5
	lw=$(tb_dstat refill_wait_max_us)
	ll=$(tb_dstat refill_late_max_us)
	# r: "sent N in S s, R per second"; offered and placed a second over S.
	awk -v r="$r" -v d="$d" -v b="${b:-0}" -v lw="${lw:--1}" -v ll="${ll:--1}" 'BEGIN {
		split(r, f, " "); printf "%d %d %d %d %d %d\n", f[2] / f[4], (f[2] - d) / f[4], d, b, lw, ll }'
}

if [ "${1:-}" = one ]; then
	one "$2"
	exit
fi
OUT=${1:-}
json=
printf '%-10s %4s %10s %10s %8s %6s %8s %8s\n' build run offered/s placed/s dropped \
	bells lock_us late_us
[ -n "$OUT" ] && mkdir -p "$OUT"
for lb in ${NEWSUBS_BINS:-refill=$ROOT/build/bin}; do
	for i in $(seq 1 "${NEWSUBS_RUNS:-3}"); do
		read -r off placed drop bells lw ll < <(bash "$0" one "${lb#*=}" | tail -1)
		printf '%-10s %4s %10s %10s %8s %6s %8s %8s\n' "${lb%%=*}" "$i" \
			"$off" "$placed" "$drop" "$bells" "$lw" "$ll"
		json+="${json:+,}{\"build\":\"${lb%%=*}\",\"run\":$i,\"offered\":$off,\"placed\":$placed,\"dropped\":$drop,\"refill_lock_wait_max_us\":$lw,\"refill_late_max_us\":$ll}"
	done
done
[ -n "$OUT" ] && echo "[$json]" >"$OUT/newsubs.json"
exit 0
