#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# pmacct's nfacctd decodes our UDP export, port block included, through
# custom primitives whose len equals the on-wire length (pmacct leaves a
# value at 0 otherwise). The print plugin writes JSON; a timestamp is in
# the aggregation key so that distinct events do not merge. nfacctd only
# notices SIGTERM when a packet arrives, so it is stopped with a kill and
# one small datagram.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/interop/ipfix_common.bash
need "$BIN/ipfix_send" nfacctd ss /usr/bin/python3

PORT=47431
port_free $PORT || fail "port $PORT is busy"

printf '%s\n' \
	"name=pb_start	field_type=361	len=2	semantics=u_int" \
	"name=pb_end	field_type=362	len=2	semantics=u_int" \
	"name=nat_pool_id	field_type=283	len=4	semantics=u_int" \
	"name=nat_inst	field_type=463	len=4	semantics=u_int" \
	"name=nat_quota_ev	field_type=466	len=4	semantics=u_int" \
	"name=nat_thresh_ev	field_type=467	len=4	semantics=u_int" \
	"name=max_entries_user	field_type=473	len=4	semantics=u_int" \
	"name=max_sessions	field_type=471	len=4	semantics=u_int" \
	"name=pool_high	field_type=476	len=4	semantics=u_int" \
	"name=user_high	field_type=480	len=4	semantics=u_int" \
	"name=obs_time_ms	field_type=323	len=8	semantics=u_int" \
	>"$T/primitives.lst"
cat >"$T/nfacctd.conf" <<EOF
daemonize: false
nfacctd_ip: 127.0.0.1
nfacctd_port: $PORT
aggregate_primitives: $T/primitives.lst
plugins: print[nat]
aggregate[nat]: peer_src_ip, nat_event, src_host, post_nat_src_host, src_port, post_nat_src_port, proto, timestamp_start, pb_start, pb_end, nat_pool_id, nat_inst, nat_quota_ev, nat_thresh_ev, max_entries_user, max_sessions, pool_high, user_high, obs_time_ms
print_output[nat]: json
print_refresh_time[nat]: 1
print_output_file[nat]: $T/out-%s.json
EOF

bg_log "$T/nfacctd.log" nfacctd -f "$T/nfacctd.conf"
NFACCTD=$BG_PID
wait_until 10 udp_listening $PORT || fail "nfacctd did not listen"
"$BIN/ipfix_send" -C udp:127.0.0.1:$PORT -d 42 -i 7 -s -P >"$T/send.out"
check "sender: 11 records sent" grep -q 'c0_sent=11 c0_dropped=0' "$T/send.out"
sleep 1	# let the core hand the records to the print plugin
kill "$NFACCTD" 2>/dev/null
poke_udp $PORT
wait_until 5 bash -c "! kill -0 $NFACCTD 2>/dev/null" ||
	fail "nfacctd did not stop"
stop_pid "$NFACCTD"

# The print plugin writes its cache out on exit at the latest.
cat "$T"/out-*.json >"$T/all.json" 2>/dev/null
# q 'python condition on r (one record)': PASS when some record matches.
q() {
	/usr/bin/python3 - "$T/all.json" "$1" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
cond = "(" + sys.argv[2] + ")"
ok = any(eval(cond, {}, {"r": r, "s": str}) for r in recs)
sys.exit(0 if ok else 1)
EOF
}
check "nfacctd decoded 11 records" test "$(grep -c . "$T/all.json")" -eq 11
check "16: subscriber, external address, port block 1024-1279, pool, inst" \
	q 'r["nat_event"] == 16 and r["ip_src"] == "100.64.0.10" and
	   r["post_nat_ip_src"] == "203.0.113.1" and s(r["pb_start"]) == "1024"
	   and s(r["pb_end"]) == "1279" and s(r["nat_pool_id"]) == "1" and
	   s(r["nat_inst"]) == "7" and
	   r["timestamp_start"].startswith("2023-11-14 22:13:20.123")'
check "17: de-allocation of the same block" \
	q 'r["nat_event"] == 17 and r["ip_src"] == "100.64.0.10" and
	   s(r["pb_start"]) == "1024" and s(r["pb_end"]) == "1279"'
check "3: addresses exhausted with natPoolId" \
	q 'r["nat_event"] == 3 and s(r["nat_pool_id"]) == "1"'
check "12: ports exhausted with external address and protocol" \
	q 'r["nat_event"] == 12 and r["post_nat_ip_src"] == "203.0.113.2"
	   and r["ip_proto"] == "tcp"'
check "13/3: quota per user with maxEntriesPerUser 8192" \
	q 'r["nat_event"] == 13 and s(r["nat_quota_ev"]) == "3" and
	   s(r["max_entries_user"]) == "8192" and r["ip_src"] == "100.64.0.11"'
check "13/1: quota maxSessionEntries" \
	q 'r["nat_event"] == 13 and s(r["max_sessions"]) == "1048576"'
check "18/1: pool high threshold with its value" \
	q 'r["nat_event"] == 18 and s(r["nat_thresh_ev"]) == "1" and
	   s(r["pool_high"]) == "80"'
check "18/4: per-user threshold 480" \
	q 'r["nat_event"] == 18 and s(r["user_high"]) == "7" and
	   r["ip_src"] == "100.64.0.12"'
check "4: NAT44 session with inside and outside ports" \
	q 'r["nat_event"] == 4 and r["port_src"] == 5353 and
	   r["post_nat_port_src"] == 40123 and r["ip_proto"] == "udp"'
check "no Historic natEvent 1/2" \
	bash -c "! grep -Eq '\"nat_event\": (1|2),' '$T/all.json'"
finish
