#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bpffs.sh - a machine with no bpffs mounted (Debian mounts none unless
# something asks). In a private mount namespace with /sys/fs/bpf
# unmounted, cgnatctl and cgnatd mount one themselves before they touch
# the pin directory; cgnatd takes its lock, attaches and forwards.
set -u
if [ -z "${CGNAT_BPFFS_PRIVATE:-}" ]; then
	CGNAT_BPFFS_PRIVATE=1 exec unshare --mount --propagation private \
		bash "$0" "$@"
fi
# Stacked mounts go one at a time; none of this leaves the namespace.
while mountpoint -q /sys/fs/bpf; do umount /sys/fs/bpf || exit 1; done
. "$(dirname "$0")/lib.sh"
trap '[ "$FAILED" = 0 ] || cat "$TB_TMP/cgnatd.log"; tb_cleanup' EXIT
trap 'exit 1' INT TERM
CFG=$TB_TMP/cgnat.yaml
fstype() { stat -f -c %T /sys/fs/bpf; }

check "no bpffs on /sys/fs/bpf at the start ($(fstype))" test "$(fstype)" != bpf_fs
tb_must "testbed setup" tb_up
tb_yaml "$CFG"
tb_bg inet $PY "$WHOAMI" serve $S1 7
tb_wait 30 tb_listens in_inet t 7

out=$(ctl status 2>&1)
check "cgnatctl mounts bpffs and finds nothing pinned ($(fstype): $out)" \
	bash -c '[ "$(stat -f -c %T /sys/fs/bpf)" = bpf_fs ] && grep -q "no data plane pinned" <<<"$0"' "$out"
umount /sys/fs/bpf
check "bpffs unmounted again ($(fstype))" test "$(fstype)" != bpf_fs

tb_must "cgnatd starts without a bpffs mounted" tb_cgnatd "$CFG"
pass "cgnatd starts without a bpffs mounted"
check "cgnatd mounted bpffs on /sys/fs/bpf ($(fstype))" test "$(fstype)" = bpf_fs
check "its pins are there" test -e "$PIN/link_inside" -a -e "$PIN/cgnat_blocks"
check "XDP attached on in0" bash -c "nsenter --net=/var/run/netns/$NS_NAT ip link show in0 | grep -q prog/xdp"
e=$(in_sub $PY "$WHOAMI" udp $H1 5000 $S1 7)
check "UDP crosses the NAT ($e)" grep -q '^203\.0\.113\.[0-9]*:[0-9]*$' <<<"$e"
check "ping crosses the NAT" in_sub ping -c 2 -i 0.2 -W 2 -q -I $H2 $S1
# The blocks' log rows come through the event ring and a commit: on a
# slow run (SANITIZE=1 on a busy machine) status may ask before that.
two_held() { ctl status | grep -q "2 open holdings, 2 blocks held: consistent"; }
check "cgnatctl status reads the pins: 2 blocks held" tb_wait 50 two_held
tb_summary
