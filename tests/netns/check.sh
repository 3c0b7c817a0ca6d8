#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# check.sh - `cgnatd --check -c FILE` lists every configuration error, as a
# compiler does: the five independent errors of five_errors.yaml each on
# its own FILE:LINE:COLUMN line, in file order, then "5 errors", exit 1;
# a syntax error with the errors before it; the cap on listed messages;
# a start refused with the same list. Runs the real binary on files only:
# no namespace, no data plane.
set -u
. "$(dirname "$0")/lib.sh"
trap 'rm -rf "$TB_TMP"' EXIT
trap 'exit 1' INT TERM
FIVE=$ROOT/tests/unit/data/config/five_errors.yaml

out=$("$BIN/cgnatd" --check -c "$FIVE" 2>"$TB_TMP/err")
rc=$?
err=$(cat "$TB_TMP/err")
check "--check exits 1 on errors (rc $rc)" test "$rc" = 1
check "nothing on stdout when the file has errors" test -z "$out"
want=(
	"$FIVE:10:3: nat: unknown key 'filtring' (did you mean 'filtering'?)"
	"$FIVE:13:10: ports.range: 65535-1024 is out of order (write the lower port first, FIRST-LAST, e.g. 1024-65535)"
	"$FIVE:17:17: pools[0].addresses[0]: '203.0.113.300' is not an IPv4 address or prefix (e.g. 203.0.113.0/28)"
	"$FIVE:21:8: timeouts.udp: '5 minutes' is not a duration (N, Nms, Ns, Nm, Nh or Nd, e.g. 300s)"
	"$FIVE:24:13: limits.sessions: 100 is out of range (1024..67108864)"
	"5 errors"
)
mapfile -t got <<<"$err"
check "six lines: five errors and the summary (got ${#got[@]})" \
	test "${#got[@]}" = 6
for i in "${!want[@]}"; do
	check "line $((i + 1)): ${want[$i]#"$ROOT/"}" \
		test "${got[$i]:-}" = "${want[$i]}"
done

# The text before a YAML syntax error is still checked.
printf 'instance: x\ninterfaces: { inside: in0 }\nsubscribers: [100.64.0.0/10\npools: []\n' \
	>"$TB_TMP/syntax.yaml"
err=$("$BIN/cgnatd" --check -c "$TB_TMP/syntax.yaml" 2>&1 >/dev/null)
check "a syntax error and the error before it ($err)" test "$err" = \
"$TB_TMP/syntax.yaml:1:11: instance: 'x' is not an unsigned integer (0..4294967295)
$TB_TMP/syntax.yaml:4:6: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at 3:14)
2 errors"

# 60 unknown keys: 50 listed, then the rest counted.
{
	printf 'interfaces: { inside: in0, outside: out0 }\n'
	printf 'subscribers: [100.64.0.0/10]\npools: [ { addresses: [203.0.113.1] } ]\nnat:\n'
	for i in $(seq 10 69); do printf '  k%s: 1\n' "$i"; done
} >"$TB_TMP/many.yaml"
err=$("$BIN/cgnatd" --check -c "$TB_TMP/many.yaml" 2>&1 >/dev/null)
check "60 errors: 50 listed" test "$(grep -c "unknown key" <<<"$err")" = 50
check "then '... and 10 more' and '60 errors (50 shown)'" test \
	"$(tail -n 2 <<<"$err")" = $'... and 10 more\n60 errors (50 shown)'

# A valid file still prints the effective configuration and exits 0.
check "a valid file passes --check" quiet "$BIN/cgnatd" --check -c \
	"$ROOT/config/demo.yaml"

# A start refuses the file with the same five lines, before touching
# anything (the pin and run directories are private, and stay unused).
err=$("$BIN/cgnatd" -f -c "$FIVE" --pin-dir "$TB_TMP/pins" \
	--run-dir "$TB_TMP/run" 2>&1)
rc=$?
check "a start is refused (rc $rc)" test "$rc" = 1
check "logging all five errors" test "$(grep -c "^cgnatd: $FIVE:[0-9]*:[0-9]*: " <<<"$err")" = 5
check "and 'FILE: 5 errors, not started'" grep -qx \
	"cgnatd: $FIVE: 5 errors, not started" <<<"$err"
check "nothing was created" test ! -e "$TB_TMP/pins" -a ! -e "$TB_TMP/run"
tb_summary
