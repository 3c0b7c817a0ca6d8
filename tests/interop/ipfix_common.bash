# SPDX-License-Identifier: GPL-2.0
# Sourced by the tests/interop/ipfix_*.sh scripts (not run by itself: the
# suite runs *.sh only). Gives each script its own temp dir, PASS/FAIL
# counting, background processes killed by PID on any exit, and helpers to
# wait for a condition and to drive ipfix_send through a FIFO. Everything
# stays on 127.0.0.1.

BIN=${BUILD:-build}/bin
T=$(mktemp -d /tmp/ipfix_interop.XXXXXX)
PIDS=()
npass=0
nfail=0

cleanup() {
	local p
	{ exec 3>&-; } 2>/dev/null
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass() { echo "PASS: $*"; npass=$((npass + 1)); }
fail() { echo "FAIL: $*"; nfail=$((nfail + 1)); }

# check "what" command...: PASS if the command succeeds.
check() {
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then pass "$what"; else fail "$what"; fi
}

finish() {
	echo "$npass passed, $nfail failed"
	[ "$nfail" -eq 0 ]
	exit
}

need() {
	local t
	for t in "$@"; do
		if ! command -v "$t" >/dev/null && [ ! -x "$t" ]; then
			fail "missing tool $t"
			finish
		fi
	done
}

# wait_until SECONDS command...: poll every 0.1 s.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

port_free() { ! ss -Hlnu "sport = :$1" | grep -q . && \
	! ss -Hlnt "sport = :$1" | grep -q .; }
udp_listening() { ss -Hlnu "sport = :$1" | grep -q .; }
tcp_listening() { ss -Hlnt "sport = :$1" | grep -q .; }
# socat without fork stops listening once it accepted: listening or taken.
tcp_ready() { tcp_listening "$1" ||
	ss -Htn state established "sport = :$1" | grep -q .; }

# Start ipfix_send in script mode reading commands from a FIFO on fd 3.
# Its answers go to $T/send.out. Usage: sender_start ARGS...
sender_start() {
	rm -f "$T/cmd"
	mkfifo "$T/cmd"
	# Made here: the child opens it only once the FIFO has a writer.
	: >"$T/send.out"
	"$BIN/ipfix_send" -S "$@" <"$T/cmd" >>"$T/send.out" 2>"$T/send.err" &
	PIDS+=($!)
	SENDER_PID=$!
	exec 3>"$T/cmd"
}

# send_cmd "flush 5000" [expected answer prefix] [timeout s]
send_cmd() {
	send_async "$1"
	wait_answer "${2:-}" "${3:-20}"
}

# Send a command without waiting; wait_answer PREFIX [TIMEOUT] waits for
# its answer line and checks that it starts with PREFIX.
send_async() {
	ANSWERS=$(wc -l <"$T/send.out")
	echo "$1" >&3
}
answered() { [ "$(wc -l <"$T/send.out")" -gt "$ANSWERS" ]; }
wait_answer() {
	wait_until "${2:-20}" answered || return 1
	tail -n 1 "$T/send.out" | grep -q "^${1:-}"
}

sender_stop() {
	local rc
	echo quit >&3
	exec 3>&-
	wait "$SENDER_PID"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "ipfix_send exited with status $rc"
		cat "$T/send.err"
	fi
}

# A collector started in the background, remembered for cleanup.
bg() {
	"$@" &
	PIDS+=($!)
	BG_PID=$!
}

# Same, with stdout and stderr to a log file: bg_log LOG command...
bg_log() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 &
	PIDS+=($!)
	BG_PID=$!
}

# Stop one background process by PID and wait for it.
# nfdump_all DIR [FILTER]: nfdump -o json of every file nfcapd wrote in
# DIR (nfcapd -t 60 starts a new one on each wall-clock minute, so a run
# across one leaves two).
nfdump_all() {
	local f
	for f in "$1"/nfcapd.2*; do
		[ -e "$f" ] || continue
		nfdump -q -r "$f" ${2:+"$2"} -o json 2>/dev/null
	done
}

stop_pid() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# Send one small UDP packet to 127.0.0.1:$1 (wakes a blocked nfacctd).
poke_udp() {
	printf '\0\012\0\020\0\0\0\0\0\0\0\0\0\0\0\0' >/dev/udp/127.0.0.1/"$1"
}
