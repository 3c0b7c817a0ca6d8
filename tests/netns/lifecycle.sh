#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# lifecycle.sh - port-block lifecycle end to end with short timers (the
# RFC floors lowered by the explicit test-only switch): a UDP flow
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

EV=$TB_TMP/events
DP_PID=

dp_start() {	# dp_start ARGS...: a fresh data plane with these options
	dp_stop
	tb_bg nat "$BIN/cgnat-dp" --inside in0 --outside out0 \
		--subscribers 100.64.0.0/10 --pin-dir "$PIN" \
		--block-size 64 --timeouts 2,6,2,2 --idle-release 1 \
		--unreachable --unsafe-short-timers "$@" >>"$EV" 2>>"$TB_TMP/dp.err"
	DP_PID=${TB_PIDS[-1]}
	tb_wait 50 test -e "$PIN/link_outside"
}

dp_stop() {
	[ -n "$DP_PID" ] || return 0
	kill "$DP_PID" 2>/dev/null
	wait "$DP_PID" 2>/dev/null
	"$BIN/cgnat-dp" --detach --pin-dir "$PIN" 2>/dev/null
	DP_PID=
}

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

ms_of() { date -d "$1" +%s%3N; }
matches() { [[ $1 =~ $2 ]]; }

tb_up || { fail "testbed setup"; tb_summary; exit 1; }
tb_bg inet $PY "$WHOAMI" serve $S1 7
tb_bg inet $PY "$WHOAMI" echo $S1 9
tb_wait 30 in_inet ss -ltn "sport = :9" | grep -q LISTEN

# --- phase 1: expiry, release, TCP timers, quota ----------------------
dp_start --pool 203.0.113.1 --ports 1024-2047 --max-blocks 1 --quarantine 4
r=$(udp_try $H1 5000)
check "UDP through the NAT ($r)" matches "$r" '^203\.0\.113\.1:[0-9]+$'
# The mapping outlives its session by up to one bound slot (~4.3 s,
# CGNAT_MAP_BOUND), then a sweep (within 4 s here) frees the port.
tb_wait 200 grep -q "block-released sub=$H1" "$EV"
check "idle UDP flow expires and H1's block is released" \
	grep -q "block-released sub=$H1" "$EV"

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
tb_wait 60 test "$(sessions_on_port 41000)" = 0
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
check "quota event raised" grep -q "quota-blocks sub=$H3" "$EV"

# --- phase 2: quarantine with a two-block pool ------------------------
: >"$EV"
dp_start --pool 203.0.113.2 --ports 1024-1151 --max-blocks 1 --quarantine 4
r1=$(udp_try $H1 5000)
check "H1 gets the pool's only first block ($r1)" matches "$r1" '^203\.0\.113\.2:'
r2=$(udp_try $H2 5000)
check "H2 finds the pool empty: ICMP host unreachable ($r2)" test "$r2" = EHOSTUNREACH
check "pool-empty event raised" grep -q "pool-empty sub=$H2" "$EV"
tb_wait 100 grep -q "block-released sub=$H1" "$EV"
rel=$(grep "block-released sub=$H1" "$EV" | head -1)
r2=$(udp_try $H2 5001)
check "H2 still refused while H1's block rests in quarantine ($r2)" test "$r2" = EHOSTUNREACH
for i in $(seq 1 20); do
	r2=$(udp_try $H2 5002)
	[[ "$r2" =~ ^203 ]] && break
	sleep 0.5
done
asg=$(grep "block-assigned sub=$H2" "$EV" | head -1)
check "after the quarantine H2 gets the block ($r2)" matches "$r2" '^203\.0\.113\.2:'
gap=$(( $(ms_of "${asg%% *}") - $(ms_of "${rel%% *}") ))
prel=$(grep -o 'ports=[0-9-]*' <<<"$rel")
pasg=$(grep -o 'ports=[0-9-]*' <<<"$asg")
check "same $pasg, reassigned $gap ms after release (>= 4000)" \
	test "$prel" = "$pasg" -a "$gap" -ge 4000

# --- phase 3: 200 subscribers churning --------------------------------
: >"$EV"
in_sub sh -c 'for i in $(seq 1 200); do ip addr add 100.64.2.$i/10 dev sub0; done'
dp_start --pool 203.0.113.1,203.0.113.2,203.0.113.3,203.0.113.4 \
	--ports 1024-8191 --max-blocks 2 --quarantine 3
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
kill "$DP_PID"
wait "$DP_PID" 2>/dev/null
DP_PID=
n=$(wc -l <"$TB_TMP/churn")
check "churn: $n replies from 200 subscribers" test "$n" -gt 2000
$PY - "$EV" "$TB_TMP/churn" >"$TB_TMP/verdict" <<'PYEOF'
import datetime, sys
def ms(t):
    return int(datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ")
               .replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
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
rel=$(grep -c block-released "$EV")
check "churn: blocks were released and reused ($rel releases)" test "$rel" -gt 20

tb_summary
