#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# sessflood.sh - the per-session log (log.session_events) under a flood
# of new sessions faster than its writer: 800k new UDP sessions from 1000
# subscribers, sent as fast as one raw socket goes (tests/bench/sessgen.py;
# 200-300k a second here, the writer about 70k events a second). Whatever
# the rate, the log accounts for every session: each one the data plane
# made is a row of open_sessions, or its event was lost in a ring and
# counted (event_sess_lost, a ringbuf-overrun row in events). Nothing is lost
# over the journal's cap (log_lost): a poll round reads at most
# DPRUN_ROUND_EVENTS from the rings and commits them before reading more
# (before, one read grew a batch past the cap and dropped the rest:
# 35-37k events in runs here). The rate the log keeps up with is
# measured by tests/bench/sesslog.sh.
set -u
. "$(dirname "$0")/lib.sh"
trap tb_cleanup EXIT
trap 'exit 1' INT TERM
CFG=$TB_TMP/cgnat.yaml
SUBS=1000
PORTS=${SESSFLOOD_PORTS:-800}

rows() { sqlite3 "file:$DB?mode=ro" "SELECT count(*) FROM open_sessions"; }
# Caught up: every session made is a row or a counted loss.
settled() {
	[ "$(rows)" -ge $(($(tb_dpstat new_session) - \
		$(tb_dpstat event_sess_lost))) ]
}

tb_must "testbed up" tb_up
TB_LOG="session_events: true" tb_yaml "$CFG"
tb_must "cgnatd starts with log.session_events" tb_cgnatd "$CFG"
in_sub $PY "$ROOT/tests/bench/sessgen.py" $SUBS $PORTS $S1 >"$TB_TMP/sent"
echo "  $(cat "$TB_TMP/sent")"
tb_wait 600 settled
made=$(tb_dpstat new_session)
lost=$(tb_dpstat event_sess_lost)
n=$(rows)
check "every session is a row or a counted loss: $made made = $n rows + $lost lost" \
	test "$made" = $((n + lost))
sleep 6	# cgnatd's stats round
check "nothing dropped over the journal's cap (log_lost $(tb_dstat log_lost))" \
	test "$(tb_dstat log_lost)" = 0
if [ "$lost" -gt 0 ]; then
	ov=$(sqlite3 "file:$DB?mode=ro" "SELECT count(*) FROM events_text WHERE type = 'ringbuf-overrun'")
	check "the ring losses are in the log ($ov ringbuf-overrun rows)" \
		test "$ov" -ge 1
fi
tb_summary
