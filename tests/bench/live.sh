#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# live.sh - live throughput of cgnat beside a plain XDP forwarder, the same
# forwarder with one flow-table lookup, the kernel's forwarding and
# nftables SNAT with conntrack, all in one run, each on one core; the
# same on 1, 2 and all cores (multi-queue veths, one generator per core);
# new flows per second; then iperf3 TCP/UDP throughput and TCP
# connections per second through cgnat, nftables and iptables. Prints the tables and writes OUT/live.json and
# OUT/live.png (live_report.py); raw records in OUT/live.raw.jsonl.
#
#   sub (sub0) --veth-- nat (in0 | out0) --veth-- inet (inet0)
#
# Packet rates: the generator (gen.bpf.c, live frames) on CPU 0 injects
# 60-byte frames into sub0 (outbound) or inet0 (inbound); the box under
# test runs on in0/out0; a sink (sink.bpf.c) on inet0 or sub0 counts the
# frames that arrive translated as they should. Everything runs inline on
# CPU 0; CPU 1 samples counters (and runs cgnatd's refills and sweep).
# cgnatd runs as an operator runs it: a YAML configuration (cg_yaml), its
# own pins, run directory and SQLite log in the bench's temp directory.
#
# Multi-core stage: every veth has BENCH_CORES queues (created so, and
# set with ethtool -L before any XDP program is attached), XPS maps CPU k
# to queue k, and a timed run with k cores starts one generator on each
# of CPUs 0..k-1, each sending its own share of the flows: each core
# carries its own pipeline inline, the way RSS spreads flows over the
# queues of a NIC. Outbound, then inbound: there each core's generator
# sends its share of the flows to the external endpoints the outbound
# sink learned. Its new-flow half (BENCH_MC_CPS_FLOWS)
# sends never-seen flows once, split over the k generators, through
# cgnat, cgnat with session events (one ring-buffer event per new flow,
# one ring per CPU) and nftables (see stage_mc_newflows).
#
# Side by side: every configuration has its own testbed, all up at once
# for a stage (one protocol and flow count, state for exactly those
# flows), and the repetitions go round the configurations, so a slow
# minute on this shared VM hits them all alike.
#
# Everything the script creates (namespaces, pins, processes by PID, the
# two conntrack sysctls it raises in the root namespace for nftables at 1M
# flows) is removed or restored on exit, also on failure. No traffic
# leaves the namespaces.
#
# Knobs (environment): BENCH_SECS (per run, 1), BENCH_REPS (3),
# BENCH_CONFIGS ("fwd fwdst cgnat kernel nft"), BENCH_UDP_FLOWS,
# BENCH_TCP_FLOWS, BENCH_CPS_FLOWS (new flows per repetition; 0 skips),
# BENCH_CPS_FLOORS (floors measured by the new-flow stage only: "fwdst3"),
# BENCH_TOOLS ("cgnat nft iptables"; "" skips iperf3 and conn/s),
# BENCH_CORES (the machine's CPU count: the multi-core stage runs at 1, 2
# and this many cores), BENCH_MC_FLOWS ("10000 1000000"; "" skips the
# multi-core stage), BENCH_MC_CONFIGS ("fwd fwdst cgnat nft"),
# BENCH_MC_CPS_FLOWS (new flows per multi-core run, 200000; 0 or ""
# skips that stage), BENCH_MC_CPS_CONFIGS ("cgnat cgnatev nft"; cgnatev
# is cgnat with log.session_events on),
# BENCH_VARIANTS ("NAME=/path/to/cgnatd ...": each another cgnat build,
# measured side by side as configuration cgnat-NAME, for A/B of a data
# plane change).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/build/bin
OUT=${1:-$ROOT/build/bench}
PY=/usr/bin/python3
SECS=${BENCH_SECS:-1}
REPS=${BENCH_REPS:-3}
CONFIGS=${BENCH_CONFIGS-fwd fwdst cgnat kernel nft}
UDP_FLOWS=${BENCH_UDP_FLOWS-1 10000 100000 1000000}
TCP_FLOWS=${BENCH_TCP_FLOWS-10000 1000000}
CPS_FLOWS=${BENCH_CPS_FLOWS:-300000}
CPS_FLOORS=${BENCH_CPS_FLOORS-fwdst3}	# beside CONFIGS' fwdst, new flows only
TOOLS=${BENCH_TOOLS-cgnat nft iptables}
NCPU=$(nproc)
CORES=${BENCH_CORES:-$NCPU}
MC_FLOWS=${BENCH_MC_FLOWS-10000 1000000}
MC_CONFIGS=${BENCH_MC_CONFIGS-fwd fwdst cgnat nft}
MC_CPS_FLOWS=${BENCH_MC_CPS_FLOWS-200000}
MC_CPS_CONFIGS=${BENCH_MC_CPS_CONFIGS-cgnat cgnatev nft}
CG_RT=	# cgnatd's SCHED_FIFO priority in the next testbed; "" = none
CG_PORTS=	# more of cgnatd's ports: section in the next testbed
Q=1	# queues per veth of the next testbed (tb_up)
declare -A DPBIN=()
for v in ${BENCH_VARIANTS:-}; do
	DPBIN[cgnat-${v%%=*}]=${v#*=}
	CONFIGS+=" cgnat-${v%%=*}"
done

TB=cgb$$
PIN=/sys/fs/bpf/cgnat-bench-$$
TMPD=$(mktemp -d /tmp/cgnat-bench.XXXXXX)	# cgnatd's configs, logs, runs
MAC_SUB=02:cb:00:00:00:01
MAC_IN=02:cb:00:00:00:02
MAC_OUT=02:cb:00:00:00:03
MAC_INET=02:cb:00:00:00:04
NPOOL=64	# 203.0.113.1-64 (cgnat: .0/26): 16128 blocks of 256 ports
SESSIONS=1048576	# the default limits.sessions
S1=198.51.100.10
RAW=$OUT/live.raw.jsonl
LOG=$OUT/live.log
declare -A PIDS=()
UP=()
CT_RESTORE=()
GEN=0

lb() { "$BIN/bench_live" "$@"; }
say() { printf '%s\n' "$*" >&2; }
log() { printf '%s\n' "$*" >>"$LOG"; }

# use CFG: points the names below at that configuration's testbed.
use() {
	C=$1
	NS_SUB=$TB$C-sub
	NS_NAT=$TB$C-nat
	NS_INET=$TB$C-inet
	P=$PIN/$C
	D=$TMPD/$C
	GEN_OUT=(gen "$NS_SUB" sub0 "$MAC_IN" "$MAC_SUB" --sink "$P/sink_out")
	GEN_IN=(gen "$NS_INET" inet0 "$MAC_OUT" "$MAC_INET" --sink "$P/sink_in"
		--in --ext "$P/sink_out")
}

in_ns() {	# in_ns sub|nat|inet cmd... (in the current testbed)
	local ns=$TB$C-$1
	shift
	nsenter --net=/var/run/netns/"$ns" "$@"
}

bg() {	# bg sub|nat|inet cmd... : start in background, remember the PID
	local ns=$TB$C-$1
	shift
	nsenter --net=/var/run/netns/"$ns" "$@" >>"$LOG" 2>&1 &
	PIDS[$C]+=" $!"
}

tb_down() {	# the current testbed
	local d p
	for p in ${PIDS[$C]:-}; do kill "$p" 2>/dev/null; done
	for p in ${PIDS[$C]:-}; do wait "$p" 2>/dev/null; done
	unset "PIDS[$C]"
	[ -d "$P/cgnat" ] &&
		"$BIN/cgnatd" --detach --pin-dir "$P/cgnat" >/dev/null 2>&1
	for d in "$P"/*/; do
		[ -d "$d" ] && lb detach "${d%/}" 2>/dev/null
	done
	rm -rf "$P/cgnat" "$P/fwd_flows" 2>/dev/null
	rmdir "$P" 2>/dev/null
	ip netns del "$NS_SUB" 2>/dev/null
	ip netns del "$NS_NAT" 2>/dev/null
	ip netns del "$NS_INET" 2>/dev/null
}

all_down() {
	local c
	for c in "${UP[@]}"; do
		use "$c"
		tb_down
	done
	UP=()
}

cleanup() {
	local kv
	all_down
	rmdir "$PIN" 2>/dev/null
	rm -rf "$TMPD"
	for kv in "${CT_RESTORE[@]}"; do sysctl -qw "$kv"; done
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Fresh namespaces for the current configuration; static neighbours (the
# generator never answers ARP); IPv6 off (no router solicitations). $Q
# queues per veth; with more than one, XPS sends CPU k's packets on
# queue k (else the kernel paths pay for skb_tx_hash).
tb_up() {
	local ns i dev q=(numtxqueues $Q numrxqueues $Q)
	UP+=("$C")
	ip netns add "$NS_SUB" && ip netns add "$NS_NAT" &&
		ip netns add "$NS_INET" || return 1
	ip link add sub0 netns "$NS_SUB" address $MAC_SUB "${q[@]}" type veth \
		peer name in0 netns "$NS_NAT" address $MAC_IN "${q[@]}" ||
		return 1
	ip link add out0 netns "$NS_NAT" address $MAC_OUT "${q[@]}" type veth \
		peer name inet0 netns "$NS_INET" address $MAC_INET "${q[@]}" ||
		return 1
	if [ "$Q" -gt 1 ]; then
		for dev in sub:sub0 nat:in0 nat:out0 inet:inet0; do
			in_ns "${dev%%:*}" ethtool -L "${dev#*:}" rx $Q tx $Q \
				2>/dev/null	# set already where not supported
			ip netns exec "$TB$C-${dev%%:*}" sh -c "
				for i in \$(seq 0 $((Q - 1))); do
					printf '%x' \$((1 << i)) > /sys/class/net/${dev#*:}/queues/tx-\$i/xps_cpus
				done" || return 1
		done
	fi
	for ns in sub nat inet; do
		in_ns $ns sh -e -c "
			sysctl -qw net.ipv6.conf.all.disable_ipv6=1
			sysctl -qw net.ipv6.conf.default.disable_ipv6=1
			ip link set lo up" || return 1
	done
	{
		echo "addr add 100.64.0.2/30 dev sub0"
		for i in $(seq 10 73); do
			echo "addr add 100.64.0.$i/32 dev sub0"
		done
		echo "link set sub0 up"
		echo "route add default via 100.64.0.1"
	} | ip -n "$NS_SUB" -batch - || return 1
	in_ns nat sh -e -c "
		ip addr add 100.64.0.1/30 dev in0
		ip addr add 192.0.2.1/24 dev out0
		ip link set in0 up; ip link set out0 up
		ip route add 100.64.0.0/10 via 100.64.0.2
		ip route add default via 192.0.2.2
		ip route add blackhole 203.0.113.0/24
		ip neigh replace 100.64.0.2 lladdr $MAC_SUB dev in0 nud permanent
		ip neigh replace 192.0.2.2 lladdr $MAC_INET dev out0 nud permanent
		sysctl -qw net.ipv4.ip_forward=1
		sysctl -qw net.ipv4.conf.all.rp_filter=0
		sysctl -qw net.ipv4.conf.in0.rp_filter=0" || return 1
	in_ns inet sh -e -c "
		ip addr add 192.0.2.2/24 dev inet0
		ip addr add $S1/32 dev lo
		ip link set inet0 up
		ip route add 203.0.113.0/24 via 192.0.2.1
		ip route add 100.64.0.0/10 via 192.0.2.1
		ip neigh replace 192.0.2.1 lladdr $MAC_OUT dev inet0 nud permanent" ||
		return 1
	mkdir -p "$P"
}

# Room for 1M+ flows in conntrack: the per-netns limit follows the root
# namespace's, and the hash size is global. Restored on exit.
ct_raise() {
	local max buckets
	[ ${#CT_RESTORE[@]} -gt 0 ] && return 0
	modprobe nf_conntrack 2>/dev/null
	max=$(sysctl -n net.netfilter.nf_conntrack_max) || return 1
	buckets=$(sysctl -n net.netfilter.nf_conntrack_buckets) || return 1
	CT_RESTORE=("net.netfilter.nf_conntrack_max=$max"
		"net.netfilter.nf_conntrack_buckets=$buckets")
	# As many buckets as cgnat's session table (1M).
	sysctl -qw net.netfilter.nf_conntrack_max=4194304 &&
		sysctl -qw net.netfilter.nf_conntrack_buckets=1048576
}

# The box under test on in0/out0; 'xdp' gives in0/out0 NAPI for the
# generator's redirected frames on the kernel paths.
box_up() {	# box_up xdp|noxdp
	local prog n=0
	case $C in
	fwd | fwdst | fwdst3)
		prog=fwd
		[ "$C" = fwdst ] && prog=fwd_state
		[ "$C" = fwdst3 ] && prog=fwd_state3
		lb attach "$NS_NAT" in0 $prog "$P/fwd_in" out0 $MAC_INET \
			$MAC_OUT &&
			lb attach "$NS_NAT" out0 $prog "$P/fwd_out" in0 \
				$MAC_SUB $MAC_IN reverse
		;;
	cgnat | cgnat-* | cgnatev)
		# As an operator runs it, its refills kept off the bench core.
		mkdir -p "$D" && cg_yaml >"$D/cgnat.yaml" || return 1
		bg nat taskset -c $((NCPU - 1)) ${CG_RT:+chrt -f $CG_RT} \
			"${DPBIN[$C]:-$BIN/cgnatd}" \
			-c "$D/cgnat.yaml" --foreground --pin-dir "$P/cgnat" \
			--run-dir "$D/run"
		while [ ! -e "$P/cgnat/link_outside" ] ||
			[ ! -s "$D/run/cgnatd.pid" ]; do
			n=$((n + 1))
			[ $n -gt 300 ] && return 1
			sleep 0.1
		done
		;;
	kernel | nft | iptables)
		if [ "$1" = xdp ]; then
			lb attach "$NS_NAT" in0 pass "$P/pass_in" &&
				lb attach "$NS_NAT" out0 pass "$P/pass_out" ||
				return 1
		fi
		[ "$C" = kernel ] && return 0
		ct_raise || return 1
		in_ns nat sysctl -qw net.netfilter.nf_conntrack_tcp_be_liberal=1
		if [ "$C" = nft ]; then
			in_ns nat nft -f - <<-EOF
			table ip cgbench {
				chain post {
					type nat hook postrouting priority srcnat;
					oifname "out0" snat to 203.0.113.1-203.0.113.$NPOOL
				}
			}
			EOF
		else
			prog=iptables-legacy
			command -v $prog >/dev/null || prog=iptables
			in_ns nat $prog -t nat -A POSTROUTING -o out0 -j SNAT \
				--to-source 203.0.113.1-203.0.113.$NPOOL
		fi
		;;
	esac
}

# cgnatd's configuration: what the interim cgnat-dp had on its command
# line (64 pool addresses, 1M sessions, 16 blocks per subscriber), the
# rest the defaults an operator starts from; cgnatev also logs every
# session (the data plane writes an event per new flow).
cg_yaml() {
	local ev=
	[ "$C" = cgnatev ] && ev=", session_events: true"
	cat <<-EOF
	interfaces: { inside: in0, outside: out0 }
	subscribers: [100.64.0.0/10]
	pools:
	  - name: bench
	    addresses: [203.0.113.0/26]
	ports: { max_blocks: 16$CG_PORTS }
	limits: { sessions: $SESSIONS }
	log: { database: $D/cgnat.db$ev }
	EOF
}

expect_out() {
	case $C in cgnat | cgnat-* | cgnatev | nft) echo pool ;; *) echo src ;; esac
}

record() {	# record JSON-FIELDS RESULT
	[ -n "$2" ] || return 1
	printf '{%s, "r": %s}\n' "$1" "$2" >>"$RAW"
}

# --- packet rates -----------------------------------------------------------

# Share of a run the generators waited for their cores behind another
# task.
waited() {
	sed -n 's/.*"secs": \([0-9.]*\),.*"wait": \([0-9.]*\),.*"cores": \([0-9]*\),.*/\2 \1 \3/p' <<<"$1" |
		awk '{ exit !($2 > 0 && $1 / ($2 * $3) > 0.08) }'
}

# Creates the state of 'n' flows in the current testbed: the sink learns
# their external endpoints; for TCP the whole handshake (SYN out, SYN-ACK
# in, ACK out).
establish() {	# establish proto n
	local proto=$1 n=$2 r tcp=()
	[ "$proto" = tcp ] && tcp=(--tcp syn)
	lb sink "$P/sink_out" "$(expect_out)" $GEN || return 1
	r=$(lb "${GEN_OUT[@]}" --proto "$proto" "${tcp[@]}" --flows "$n" \
		--passes 40 --until-learned)
	record "\"kind\": \"setup\", \"config\": \"$C\", \"proto\": \"$proto\", \"flows\": $n" "$r"
	log "$C $proto $n setup: $r"
	if ! grep -q "\"learned\": $n," <<<"$r" ||
		! grep -q '"csum_bad": 0,' <<<"$r"; then
		say "  $C $proto $n flows: state not established: $r"
		return 1
	fi
	if [ "$proto" = tcp ]; then
		lb sink "$P/sink_in" dst 0 &&
			r=$(lb "${GEN_IN[@]}" --proto tcp --tcp synack \
				--flows "$n" --gen $GEN --passes 2) &&
			log "$C synack: $r" &&
			lb sink "$P/sink_out" "$(expect_out)" 0 &&
			r=$(lb "${GEN_OUT[@]}" --proto tcp --tcp ack \
				--flows "$n" --passes 2) &&
			log "$C ack: $r" || return 1
	else
		# A reply per flow before the inbound runs measure the
		# established path: cgnat writes a flow's reverse entry on its
		# first reply (bpf/rsess.h), and without this the first inbound
		# round did that for a million flows (0.66-0.70 Mpps against
		# 2.3-2.4 in the next). TCP gets its replies above (SYN-ACK).
		lb sink "$P/sink_in" dst 0 &&
			r=$(lb "${GEN_IN[@]}" --proto udp --flows "$n" \
				--gen $GEN --passes 1) &&
			log "$C reply: $r" &&
			lb sink "$P/sink_out" "$(expect_out)" 0 || return 1
		if ! grep -q "\"ok\": $n," <<<"$r"; then
			say "  $C $proto $n flows: replies not through: $r"
			return 1
		fi
	fi
}

# One repetition of one point; a run during which another task held CPU 0
# for more than 8% of the window is repeated (twice at most, all kept).
# The generator runs SCHED_FIFO, so RT throttling alone leaves others 5%.
run_point() {	# run_point proto n dir rep [cores]
	local proto=$1 n=$2 dir=$3 rep=$4 k=${5:-} try r kind=pps
	local cmd=("${GEN_OUT[@]}") extra=
	[ "$dir" = in ] && cmd=("${GEN_IN[@]}" --gen "$GEN")
	if [ -n "$k" ]; then
		cmd+=(--cores "$k")
		kind=mcpps
		extra=", \"cores\": $k"
	fi
	for try in 1 2 3; do
		r=$(lb "${cmd[@]}" --proto "$proto" --flows "$n" --secs "$SECS")
		record "\"kind\": \"$kind\", \"config\": \"$C\", \"proto\": \"$proto\", \"dir\": \"$dir\", \"flows\": $n, \"rep\": $rep, \"try\": $try$extra" "$r" ||
			return 1
		log "$C $proto $n $dir $rep.$try: $r"
		waited "$r" || break
	done
}

# Every named configuration's sink counts the frames of direction 'dir'
# from now on.
arm_sinks() {	# arm_sinks dir config...
	local dir=$1 c
	shift
	for c in "$@"; do
		use "$c"
		if [ "$dir" = out ]; then
			lb sink "$P/sink_out" "$(expect_out)" 0
		else
			lb sink "$P/sink_in" dst 0
		fi || return 1
	done
}

# One stage: every configuration's testbed up with the state of 'n'
# flows, then the repetitions round the configurations.
stage() {	# stage proto n
	local proto=$1 n=$2 c dir rep
	GEN=$((GEN + 1))
	for c in $CONFIGS; do
		use "$c"
		tb_up && box_up xdp &&
			lb attach "$NS_SUB" sub0 sink "$P/sink_in" &&
			lb attach "$NS_INET" inet0 sink "$P/sink_out" &&
			establish "$proto" "$n" || return 1
	done
	for dir in out in; do
		arm_sinks $dir $CONFIGS || return 1
		for rep in $(seq 1 "$REPS"); do
			for c in $CONFIGS; do
				use "$c"
				run_point "$proto" "$n" $dir "$rep" || return 1
			done
		done
	done
	for c in $CONFIGS; do
		[[ $c = cgnat* ]] || continue
		use "$c"
		record "\"kind\": \"cgstats\", \"config\": \"$c\", \"proto\": \"$proto\", \"flows\": \"$n\"" \
			"$(lb cgstats "$P/cgnat")"
	done
	all_down
}

# 1, 2 and $CORES, each once, none above $CORES.
core_counts() {
	printf '%s\n' 1 2 "$CORES" | awk -v m="$CORES" '$1 <= m' | sort -nu
}

# The multi-core stage: testbeds with $CORES queues per veth, the state
# of 'n' UDP flows, then outbound runs and then inbound runs at 1, 2 and
# $CORES cores, the repetitions going round the configurations and core
# counts.
stage_cores() {	# stage_cores n
	local n=$1 c k rep ks dir
	ks=$(core_counts)
	GEN=$((GEN + 1))
	Q=$CORES
	for c in $MC_CONFIGS; do
		use "$c"
		tb_up && box_up xdp &&
			lb attach "$NS_SUB" sub0 sink "$P/sink_in" &&
			lb attach "$NS_INET" inet0 sink "$P/sink_out" &&
			establish udp "$n" || { Q=1; return 1; }
	done
	Q=1
	for dir in out in; do
		arm_sinks $dir $MC_CONFIGS || return 1
		for rep in $(seq 1 "$REPS"); do
			for k in $ks; do
				for c in $MC_CONFIGS; do
					use "$c"
					run_point udp "$n" $dir "$rep" "$k" ||
						return 1
				done
			done
		done
	done
	all_down
}

# New flows per second, cgnat against nftables and the state floors
# (fwdst: one hash miss and insert per flow, in a table as large as
# cgnat's; fwdst3: and an EIM mapping pair, three inserts as cgnat's new
# mapping): passes of never-seen UDP flows (kernel-timed), the
# repetitions going round the configurations.
stage_newflows() {
	local c rep r base cfgs=()
	for c in $CONFIGS $CPS_FLOORS; do
		[[ $c = cgnat* || $c = nft || $c = fwdst* ]] &&
			[[ " ${cfgs[*]} " != *" $c "* ]] && cfgs+=("$c")
	done
	[ ${#cfgs[@]} -gt 0 ] || return 0
	for c in "${cfgs[@]}"; do
		use "$c"
		tb_up && box_up xdp &&
			lb attach "$NS_SUB" sub0 sink "$P/sink_in" &&
			lb attach "$NS_INET" inet0 sink "$P/sink_out" &&
			lb sink "$P/sink_out" "$(expect_out)" 0 || return 1
	done
	for rep in $(seq 1 "$REPS"); do
		base=$((4000000 + (rep - 1) * CPS_FLOWS))
		for c in "${cfgs[@]}"; do
			use "$c"
			r=$(lb "${GEN_OUT[@]}" --proto udp --flows "$CPS_FLOWS" \
				--base $base --passes 1)
			record "\"kind\": \"newflows\", \"config\": \"$c\", \"proto\": \"udp\", \"flows\": $CPS_FLOWS, \"rep\": $rep" "$r" ||
				return 1
			log "$c newflows $rep: $r"
		done
	done
	for c in "${cfgs[@]}"; do
		[[ $c = cgnat* ]] || continue
		use "$c"
		record "\"kind\": \"cgstats\", \"config\": \"$c\", \"proto\": \"udp\", \"flows\": \"newflows\"" \
			"$(lb cgstats "$P/cgnat")"
	done
	all_down
}

# New flows on 1, 2 and $CORES cores: testbeds with $CORES queues per
# veth; each run sends MC_CPS_FLOWS never-seen UDP flows (a fresh base
# per run) once, split over k generators, each subscriber's 1000 flows on
# one core. Every flow is a new UDP mapping and session, from a
# subscriber that already holds a block: a subscriber's first contact
# takes a first block from the grant slots (16 per pool then, up to 64
# now), which cgnatd
# refills once per turn of its loop, and two cores bringing 1000-2000
# new subscribers a second emptied them (most flows dropped as
# pool_empty). So mc_warm
# gives every subscriber of the stage its block beforehand, with one TCP
# SYN (another protocol: no UDP flow of a run is seen before), and
# blocks of 1024 ports hold a subscriber's 1000 flows: no grant is taken
# during a run. The session table holds every flow of
# the stage (UDP mappings outlive it). cgnatd runs SCHED_FIFO above the
# generators, so it reads the event rings during a run on every core;
# its time shows as the generators' wait, not in their kernel time.
stage_mc_newflows() {
	local c k rep ks run=0 saved=$SESSIONS total
	ks=$(core_counts)
	total=$((REPS * $(wc -w <<<"$ks") * MC_CPS_FLOWS))
	[ "$total" -gt "$SESSIONS" ] &&
		SESSIONS=$(((total + 1048575) / 1048576 * 1048576))
	Q=$CORES
	CG_RT=20
	CG_PORTS=", block_size: 1024"
	for c in $MC_CPS_CONFIGS; do
		use "$c"
		tb_up && box_up xdp &&
			lb attach "$NS_SUB" sub0 sink "$P/sink_in" &&
			lb attach "$NS_INET" inet0 sink "$P/sink_out" &&
			lb sink "$P/sink_out" pool 0 &&
			mc_warm $(((total + 999) / 1000)) && mc_cgstats 0 0 ||
			{ c=failed; break; }
	done
	Q=1
	CG_RT=
	CG_PORTS=
	SESSIONS=$saved
	[ "$c" != failed ] || return 1
	for rep in $(seq 1 "$REPS"); do
		# Every run leaves the tables fuller: odd rounds go up the
		# core counts, even ones down.
		[ $((rep % 2)) = 0 ] && ks=$(sort -rn <<<"$ks")
		[ $((rep % 2)) = 1 ] && ks=$(sort -n <<<"$ks")
		for k in $ks; do
			run=$((run + 1))
			for c in $MC_CPS_CONFIGS; do
				use "$c"
				mc_newflows_run "$k" "$rep" \
					$((4000000 + (run - 1) * MC_CPS_FLOWS)) ||
					return 1
			done
		done
	done
	all_down
}

# One TCP SYN from port 10000 of each of 'n' subscribers from flow 4000000
# on (flow index step 1000), repeated until all of them went through:
# each pass gets what cgnatd refilled since the last.
mc_warm() {	# mc_warm n
	local i r
	for i in $(seq 200); do
		r=$(lb "${GEN_OUT[@]}" --proto tcp --tcp syn --flows "$1" \
			--base 4000000 --step 1000 --passes 1) || return 1
		grep -q "\"ok\": $1," <<<"$r" && { log "$C warm: $i passes"; return 0; }
		sleep 0.05
	done
	say "  $C: $1 subscribers not warmed: $r"
	return 1
}

mc_newflows_run() {	# mc_newflows_run cores rep base
	local r f="\"config\": \"$C\", \"proto\": \"udp\", \"flows\": $MC_CPS_FLOWS, \"rep\": $2, \"cores\": $1"
	r=$(lb "${GEN_OUT[@]}" --proto udp --flows "$MC_CPS_FLOWS" --base "$3" \
		--passes 1 --cores "$1")
	record "\"kind\": \"mcnewflows\", $f" "$r" || return 1
	log "$C mcnewflows $2 $1 cores: $r"
	mc_cgstats "$2" "$1" && cg_settle
}

# Waits (20 s at most) until cgnatd's CPU time stops growing: what it
# still does for a run (logging its session events, at SCHED_FIFO) must
# not land in the next configuration's run.
cg_settle() {
	local pid t0 t1 i
	[[ $C = cgnat* ]] || return 0
	pid=$(cat "$D/run/cgnatd.pid" 2>/dev/null) || return 0
	t1=$(cpu_ticks "$pid")
	for i in $(seq 100); do
		sleep 0.2
		t0=$t1
		t1=$(cpu_ticks "$pid")
		[ -n "$t1" ] && [ $((t1 - t0)) -le 1 ] && return 0
	done
	log "$C: cgnatd still busy after 20 s"
}

cpu_ticks() {	# utime + stime of a PID, in clock ticks
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null
}

# cgnatd's counters after the warm-up (rep 0) and after each run: the
# report takes the differences.
mc_cgstats() {	# mc_cgstats rep cores
	[[ $C = cgnat* ]] || return 0
	record "\"kind\": \"mccgstats\", \"config\": \"$C\", \"rep\": $1, \"cores\": $2" \
		"$(lb cgstats "$P/cgnat")"
}

# --- iperf3 and TCP connections per second ----------------------------------

tools_up() {
	local i
	# End hosts as in tests/netns: GRO on (frames redirected into a
	# veth need NAPI on its peer), TX checksum offload off (XDP cannot
	# finish a partial checksum); the same for every configuration.
	tb_up &&
		in_ns sub ethtool -K sub0 gro on tx off >/dev/null &&
		in_ns inet ethtool -K inet0 gro on tx off >/dev/null &&
		box_up noxdp || return 1
	bg inet taskset -c 1 iperf3 -s -B $S1
	bg inet taskset -c 1 "$BIN/bench_tcp_cps" serve $S1 8000
	for i in $(seq 50); do
		in_ns inet ss -ltn | grep -q ":5201 " &&
			in_ns inet ss -ltn | grep -q ":8000 " && return 0
		sleep 0.1
	done
	return 1
}

# Connections per second from 62 subscriber addresses; the first run of
# each configuration is recorded apart ("first contact": every address is
# a new subscriber then).
tcp_cps() {	# tcp_cps kind rep
	local r
	r=$(in_ns sub taskset -c 0 "$BIN/bench_tcp_cps" run 100.64.0.12 62 \
		$S1 8000 "$SECS" 64) &&
		record "\"kind\": \"$1\", \"config\": \"$C\", \"rep\": $2" "$r"
}

tools_round() {	# tools_round rep: one repetition in the current testbed
	local r
	r=$(in_ns sub iperf3 -c $S1 -B 100.64.0.10 -t "$SECS" -A 0 -J) &&
		r=$($PY -c 'import json,sys; e=json.load(sys.stdin)["end"]
print(json.dumps({"bps": e["sum_received"]["bits_per_second"],
      "retransmits": e["sum_sent"].get("retransmits", 0)}))' <<<"$r") &&
		record "\"kind\": \"iperf_tcp\", \"config\": \"$C\", \"rep\": $1" "$r" ||
		return 1
	r=$(in_ns sub iperf3 -c $S1 -B 100.64.0.11 -u -b 0 -l 1400 \
		-t "$SECS" -A 0 -J) &&
		r=$($PY -c 'import json,sys; e=json.load(sys.stdin)["end"]["sum"]
print(json.dumps({"bps": e["bits_per_second"] * (1 - e["lost_percent"] / 100),
      "lost_percent": e["lost_percent"]}))' <<<"$r") &&
		record "\"kind\": \"iperf_udp\", \"config\": \"$C\", \"rep\": $1" "$r" ||
		return 1
	tcp_cps tcp_cps "$1"
}

stage_tools() {
	local c rep
	for c in $TOOLS; do
		use "$c"
		tools_up && tcp_cps tcp_cps_first 0 || return 1
	done
	for rep in $(seq 1 "$REPS"); do
		for c in $TOOLS; do
			use "$c"
			tools_round "$rep" || return 1
			log "$c tools $rep done"
		done
	done
	if [[ " $TOOLS " = *" cgnat "* ]]; then
		use cgnat
		record "\"kind\": \"cgstats_tools\", \"config\": \"cgnat\"" \
			"$(lb cgstats "$P/cgnat")"
	fi
	all_down
}

# --- main -------------------------------------------------------------------

mkdir -p "$OUT"
# Pins need bpffs, which a fresh machine may not have mounted yet (cgnatd
# and cgnatctl mount it too, and leave it, as this does).
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf || {
	echo "cannot mount bpffs on /sys/fs/bpf" >&2
	exit 1
}
: >"$RAW"
: >"$LOG"
for b in bench_live bench_tcp_cps cgnatd; do
	[ -x "$BIN/$b" ] || { say "missing $BIN/$b: run make"; exit 1; }
done
# The generator and sinks are XDP test runs with live frames: a kernel
# that refuses them (EPERM seen on a 6.18 VM) leaves nothing to measure.
if ! why=$(lb probe); then
	say "live bench skipped: this kernel refuses XDP live frames ($why)"
	printf '{"skipped": "XDP live frames refused: %s"}\n' "$why" \
		>"$OUT/live.json"
	exit 0
fi
rc=0
t0=$(date +%s)
say "packet rates, side by side: $CONFIGS"
for n in $UDP_FLOWS; do
	say "  udp, $n flows"
	stage udp "$n" || { say "  failed (see $LOG)"; rc=1; all_down; }
done
for n in $TCP_FLOWS; do
	say "  tcp, $n flows"
	stage tcp "$n" || { say "  failed (see $LOG)"; rc=1; all_down; }
done
for n in $MC_FLOWS; do
	say "  multi-core (1, 2, $CORES cores), udp out and in, $n flows: $MC_CONFIGS"
	stage_cores "$n" || { say "  failed (see $LOG)"; rc=1; all_down; }
done
if [ "$CPS_FLOWS" -gt 0 ]; then
	say "  new flows per second"
	stage_newflows || { say "  failed (see $LOG)"; rc=1; all_down; }
fi
if [ "${MC_CPS_FLOWS:-0}" -gt 0 ]; then
	say "  new flows per second, multi-core (1, 2, $CORES cores): $MC_CPS_CONFIGS"
	stage_mc_newflows || { say "  failed (see $LOG)"; rc=1; all_down; }
fi
if [ -n "$TOOLS" ]; then
	say "iperf3 and TCP connections per second: $TOOLS"
	stage_tools || { say "  failed (see $LOG)"; rc=1; all_down; }
fi
say "live bench took $(($(date +%s) - t0)) s"
$PY "$ROOT/tests/bench/live_report.py" "$RAW" "$OUT/live.json" \
	"$OUT/live.png" || rc=1
exit $rc
