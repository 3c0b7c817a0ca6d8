#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# lifecycle.sh - port-block lifecycle end to end through cgnatd with short
# timers (the RFC floors lowered by the explicit test-only switch, in the
# YAML file and on the command line), read back from its log: a UDP flow
# expires and its block is released; an established TCP connection
# outlives the transitory timer while idle and a RST moves it to the
# transitory timer; the sender gets ICMP 3/1 at its quota and when the
# pool is empty; a released block reaches another subscriber only after
# the quarantine; 200 subscribers churning flows never hold an
# (address, port) twice and every reply's external ip:port belongs to a
# block its subscriber held at that moment.
set -u
. "$(dirname "$0")/lib.sh"
trap tb_cleanup EXIT
trap 'exit 1' INT TERM

DP_CFG=$TB_TMP/cgnat.yaml
PHASE=0

# dp_start POOL RANGE MAX_BLOCKS QUARANTINE: cgnatd afresh, as an operator
# runs it (a YAML file), with short test timers and a database of its own
# per phase; every event the test waits for is read back from that log.
dp_start() {
	dp_stop
	PHASE=$((PHASE + 1))
	DB=$TB_TMP/phase$PHASE.db
	TB_POOL=$1 tb_yaml "$DP_CFG" \
		"ports: { range: $2, block_size: 64, max_blocks: $3 }" \
		"blocks: { idle_release: 1s, quarantine: $4 }" \
		"timeouts: { udp: 2s, udp_ports: {}, tcp_established: 6s, tcp_transitory: 2s, icmp: 2s }" \
		"limits: { sessions: 16384, subscribers: 4096 }" \
		"testing: { unsafe_short_timers: true }"
	tb_cgnatd "$DP_CFG" --allow-unsafe-timers
}

# dp_stop: stop cgnatd and detach (a cold start for the next phase's pool).
dp_stop() {
	[ -n "$CGNATD_PID" ] || return 0
	tb_stop_cgnatd TERM
	in_nat "$BIN/cgnatd" -c "$DP_CFG" --allow-unsafe-timers --detach \
		--pin-dir "$PIN" \
		--run-dir "$RUN" >>"$TB_TMP/cgnatd.log" 2>&1
}

q() { sqlite3 -separator ' ' "$DB" "$@" 2>/dev/null; }
ipnum() { local IFS=.; set -- $1; echo $((($1 << 24) + ($2 << 16) + ($3 << 8) + $4)); }
ipsql() { echo "(($1 >> 24) || '.' || (($1 >> 16) & 255) || '.' || (($1 >> 8) & 255) || '.' || ($1 & 255))"; }
# released SUB: idle releases of SUB's blocks in the log.
released() { test "$(q "SELECT count(*) FROM blocks_text WHERE subscriber = '$1' AND release_reason = 'idle'")" -gt 0; }
# logged TYPE SUB: an event of that type about SUB in the log.
logged() { test "$(q "SELECT count(*) FROM events_text WHERE type = '$1' AND subscriber = '$2'")" -gt 0; }

# udp_try SRC SPORT: one datagram to S1:7 on a connected socket; prints
# the ip:port S1 saw, or the errno name when ICMP came back instead.
udp_try() {
	in_sub $PY - "$1" "$2" "$S1" <<'PYEOF'
import errno, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.settimeout(2)
s.setsockopt(socket.IPPROTO_IP, 11, 1)  # IP_RECVERR: host unreach is soft
s.connect((sys.argv[3], 7))
try:
    s.send(b"x"); print(s.recv(100).decode())
except OSError as e:
    print(errno.errorcode.get(e.errno, "timeout"))
PYEOF
}

sessions_on_port() {	# number of sessions whose internal port is $1
	bpftool -j map dump pinned "$PIN/cgnat_sessions" 2>/dev/null |
		$PY -c "
import json, sys
n = 0
for e in json.load(sys.stdin):
    k = e['key']
    if int(k[8], 16) * 256 + int(k[9], 16) == $1: n += 1
print(n)"
}

port_sessions_are() { test "$(sessions_on_port "$1")" = "$2"; }
matches() { [[ $1 =~ $2 ]]; }

tb_up || { fail "testbed setup"; tb_summary; exit 1; }
tb_bg inet $PY "$WHOAMI" serve $S1 7
tb_bg inet $PY "$WHOAMI" echo $S1 9
tb_wait 30 tb_listens in_inet t 9

# --- phase 1: expiry, release, TCP timers, quota ----------------------
tb_must "cgnatd starts (phase 1)" dp_start 203.0.113.1 1024-2047 1 4s
r=$(udp_try $H1 5000)
check "UDP through the NAT ($r)" matches "$r" '^203\.0\.113\.1:[0-9]+$'
# The mapping outlives its session by up to one bound slot (~4.3 s,
# CGNAT_MAP_BOUND), then a sweep (within 4 s here) frees the port.
tb_wait 200 released $H1
check "idle UDP flow expires and H1's block is released (logged, reason idle)" \
	released $H1

# TCP: idle for twice the transitory timer, still established.
in_sub $PY - "$H2" "$S1" >"$TB_TMP/tcp" 2>&1 <<'PYEOF' &
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind((sys.argv[1], 41000)); s.settimeout(3)
s.connect((sys.argv[2], 9)); f = s.makefile("rb")
s.sendall(b"one\n"); a = f.readline().split()[0]
time.sleep(4.5)
s.sendall(b"two\n"); b = f.readline().split()[0]
print("same" if a == b else "changed", a.decode(), b.decode(), flush=True)
time.sleep(0.5)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()   # RST
PYEOF
tcp=$!
sleep 3
n=$(sessions_on_port 41000)
check "idle established TCP session still present after 3 s > transitory ($n)" test "$n" = 1
wait $tcp
read -r same a b <"$TB_TMP/tcp"
check "idle TCP connection survives 4.5 s idle with the same mapping ($a)" test "$same" = same
sleep 1
n=$(sessions_on_port 41000)
check "after RST the session is still held (transitory, RFC 7857 2.2) ($n)" test "$n" = 1
tb_wait 60 port_sessions_are 41000 0
n=$(sessions_on_port 41000)
check "RST session expires on the transitory timer ($n left)" test "$n" = 0

# Quota: one 64-port block; the 65th flow gets ICMP host unreachable.
in_sub $PY - "$H3" "$S1" >"$TB_TMP/quota" 2>&1 <<'PYEOF'
import errno, socket, sys
socks, res = [], []
for p in range(20000, 20065):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((sys.argv[1], p)); s.settimeout(2); s.connect((sys.argv[2], 7))
    s.setsockopt(socket.IPPROTO_IP, 11, 1)  # IP_RECVERR
    try:
        s.send(b"x"); s.recv(100); res.append("ok")
    except OSError as e:
        res.append(errno.errorcode.get(e.errno, "timeout"))
    socks.append(s)
print(res.count("ok"), res[-1])
PYEOF
read -r ok last <"$TB_TMP/quota"
check "quota: 64 flows fit one block ($ok ok)" test "$ok" = 64
check "quota: the 65th flow gets ICMP host unreachable ($last)" test "$last" = EHOSTUNREACH
tb_wait 20 logged quota-exceeded $H3
check "quota event logged" logged quota-exceeded $H3

# --- phase 2: quarantine with a two-block pool ------------------------
tb_must "cgnatd starts (phase 2)" dp_start 203.0.113.2 1024-1151 1 4s
r1=$(udp_try $H1 5000)
check "H1 gets the pool's only first block ($r1)" matches "$r1" '^203\.0\.113\.2:'
r2=$(udp_try $H2 5000)
check "H2 finds the pool empty: ICMP host unreachable ($r2)" test "$r2" = EHOSTUNREACH
tb_wait 20 logged addresses-exhausted $H2
check "pool-empty event logged (addresses exhausted)" logged addresses-exhausted $H2
tb_wait 100 released $H1
# "released_ms port_first-port_last" of H1's block, of H2's
rel=$(q "SELECT released_ms, port_first || '-' || port_last FROM blocks_all WHERE sub_addr = $(ipnum $H1) AND released_ms IS NOT NULL LIMIT 1")
r2=$(udp_try $H2 5001)
check "H2 still refused while H1's block rests in quarantine ($r2)" test "$r2" = EHOSTUNREACH
for i in $(seq 1 20); do
	r2=$(udp_try $H2 5002)
	[[ "$r2" =~ ^203 ]] && break
	sleep 0.5
done
h2_held() { test -n "$(q "SELECT 1 FROM blocks_text WHERE subscriber = '$H2'")"; }
tb_wait 20 h2_held
asg=$(q "SELECT assigned_ms, port_first || '-' || port_last FROM blocks_all WHERE sub_addr = $(ipnum $H2) LIMIT 1")
check "after the quarantine H2 gets the block ($r2)" matches "$r2" '^203\.0\.113\.2:'
a_ms=${asg%% *}
r_ms=${rel%% *}
gap=$(( ${a_ms:-0} - ${r_ms:-0} ))
prel=${rel#* }
pasg=${asg#* }
check "same ports=$pasg, reassigned $gap ms after release (>= 4000)" \
	test -n "$pasg" -a "$prel" = "$pasg" -a "$gap" -ge 4000

# --- phase 3: 200 subscribers churning --------------------------------
in_sub sh -c 'for i in $(seq 1 200); do ip addr add 100.64.2.$i/10 dev sub0; done'
tb_must "cgnatd starts (phase 3)" \
	dp_start "203.0.113.1, 203.0.113.2, 203.0.113.3, 203.0.113.4" 1024-8191 2 3s
in_sub $PY - "$S1" >"$TB_TMP/churn" 2>"$TB_TMP/churn.err" <<'PYEOF'
import random, socket, sys, time
random.seed(7)
end = time.time() + 30
s = {}
out = []
while time.time() < end:
    # each subscriber talks for 2 s out of 6, so blocks go idle and churn
    now = time.time()
    i = random.randint(1, 200)
    if (now + i * 0.03) % 6 >= 2:
        continue
    p = random.randint(30000, 30040)
    k = (i, p)
    if k not in s:
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        c.bind(("100.64.2.%d" % i, p)); c.settimeout(0.2)
        s[k] = c
    c = s[k]
    try:
        c.sendto(b"x", (sys.argv[1], 7))
        seen = c.recvfrom(100)[0].decode()
        out.append("%d 100.64.2.%d %s" % (time.time() * 1000, i, seen))
    except OSError:
        pass
    time.sleep(0.002)
print("\n".join(out))
PYEOF
sleep 0.5
# The churn's sessions (over a thousand at a time, 2 s timers) are enough
# for passes without a walk to read the due index rather than the
# sessions (SWEEP_DUE_MIN: 16384 sessions make 10923 buckets), so the
# checks below hold for passes of both kinds.
due_passes=$(tb_sweep due_passes)
tb_stop_cgnatd TERM	# commits its last batch; open holdings stay open
# The log as block events in time order: "MS block-assigned|released
# sub=SUB ext=EXT ports=LO-HI" (a release sorts before an assignment in
# the same millisecond); shutdown closes are not releases.
q "SELECT t, kind, sub, ext, ports FROM (
	SELECT assigned_ms AS t, 1 AS o, 'block-assigned' AS kind,
	       'sub=' || $(ipsql sub_addr) AS sub, 'ext=' || $(ipsql ext_addr) AS ext,
	       'ports=' || port_first || '-' || port_last AS ports
	  FROM blocks_all
	UNION ALL
	SELECT released_ms, 0, 'block-released', 'sub=' || $(ipsql sub_addr),
	       'ext=' || $(ipsql ext_addr), 'ports=' || port_first || '-' || port_last
	  FROM blocks_all WHERE released_ms IS NOT NULL AND release_reason = 1)
	ORDER BY t, o" >"$TB_TMP/events"
n=$(wc -l <"$TB_TMP/churn")
check "churn: $n replies from 200 subscribers" test "$n" -gt 2000
check "churn: passes read the due index ($due_passes)" \
	test "${due_passes:-0}" -ge 1
$PY - "$TB_TMP/events" "$TB_TMP/churn" >"$TB_TMP/verdict" <<'PYEOF'
import sys
def ms(t):
    return int(t)
held, hist, bad, reuse = {}, {}, [], []
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 5 or f[1] not in ("block-assigned", "block-released"):
        continue
    t, sub, ext, ports = ms(f[0]), f[2][4:], f[3][4:], f[4][6:]
    key = (ext, ports)
    if f[1] == "block-assigned":
        if key in held:
            bad.append("assigned twice: %s %s" % (key, line.strip()))
        last = hist.get(key, [])
        if last and last[-1][2] is not None and t - last[-1][2] < 3000:
            reuse.append("reused %d ms after release: %s" % (t - last[-1][2], key))
        held[key] = sub
        hist.setdefault(key, []).append([sub, t, None])
    else:
        if held.get(key) != sub:
            bad.append("released by non-holder: " + line.strip())
        held.pop(key, None)
        hist[key][-1][2] = t
wrong = 0
for line in open(sys.argv[2]):
    t, sub, seen = line.split()
    t = int(t)
    ext, port = seen.split(":")
    port = int(port)
    ok = False
    for (e, pr), hs in hist.items():
        lo, hi = map(int, pr.split("-"))
        if e != ext or not lo <= port <= hi:
            continue
        for s, a, r in hs:
            # the reply arrived after the packet left: allow 1 s skew
            if s == sub and a <= t + 1 and (r is None or t - 1000 <= r):
                ok = True
    wrong += not ok
print(len(bad), len(reuse), wrong, sum(len(h) for h in hist.values()))
for b in (bad + reuse)[:5]:
    print(b, file=sys.stderr)
PYEOF
read -r nbad nreuse nwrong nasg <"$TB_TMP/verdict"
check "churn: $nasg block assignments, none while held ($nbad)" test "$nbad" = 0 -a "$nasg" -gt 50
check "churn: no block reused before its quarantine ($nreuse)" test "$nreuse" = 0
check "churn: every reply's ip:port was a block of its subscriber ($nwrong wrong)" test "$nwrong" = 0
rel=$(grep -c block-released "$TB_TMP/events")
check "churn: blocks were released and reused ($rel releases)" test "$rel" -gt 20

tb_summary
