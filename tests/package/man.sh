#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The man pages against the code: every configuration key the parser
# accepts (from its own tables, build/tests/cfg_keys) is an item of
# cgnat.yaml(5)'s KEYS and every enumerated value is named there; every
# cgnatctl command, ha subcommand and option (from `cgnatctl --help`,
# printed from its dispatch and option tables) is an item of cgnatctl(8);
# every cgnatd option (`cgnatd --help`) is an item of cgnatd(8). Finally
# the checker is shown to fail on a page with one key taken out.
set -u
source "$(dirname "$0")/lib.bash"
cd "$ROOT"
BUILD=${BUILD:-build}
BIN=${BIN:-$ROOT/$BUILD/bin}
MAN=$ROOT/$BUILD/man

for f in "$BUILD/tests/cfg_keys" "$BIN/cgnatctl" "$BIN/cgnatd" \
	"$MAN/cgnat.yaml.5" "$MAN/cgnatctl.8" "$MAN/cgnatd.8"; do
	[ -e "$f" ] || { fail "$f missing (make build-all)"; summary; exit 1; }
done

yaml=$(man_text "$MAN/cgnat.yaml.5")
keys_text=$(section "$yaml" KEYS)

# check_keys TEXT: 0 when every key and value is documented in TEXT;
# prints the missing ones.
check_keys() {
	local text=$1 k v missing=0
	while read -r k; do
		case $k in
		*=*)
			v=${k#*=}
			is_word "$text" "$v" || { echo "  value $v of ${k%%=*}"; missing=1; }
			;;
		*)
			is_term "$text" "$k" || { echo "  key $k"; missing=1; }
			;;
		esac
	done < <("$BUILD/tests/cfg_keys")
	return $missing
}

nkeys=$("$BUILD/tests/cfg_keys" | grep -vc =)
nvals=$("$BUILD/tests/cfg_keys" | grep -c =)
if [ "$nkeys" -ge 80 ] && out=$(check_keys "$keys_text"); then
	pass "cgnat.yaml(5) documents all $nkeys configuration keys and $nvals enumerated values"
else
	fail "cgnat.yaml(5) lacks (of $nkeys keys):"$'\n'"$out"
fi

# The checker itself: a page without ha.alone_after's item must fail.
cut=$(grep -v '^ \{7\}ha\.alone_after' <<<"$keys_text")
if out=$(check_keys "$cut"); then
	fail "the key check passed on a page without ha.alone_after"
elif grep -qx '  key ha.alone_after' <<<"$out"; then
	pass "the key check names ha.alone_after when its item is removed"
else
	fail "the key check failed without naming ha.alone_after: $out"
fi

help=$("$BIN/cgnatctl" --help)
rc=$?
[ "$rc" -eq 0 ] && pass "cgnatctl --help exits 0" ||
	fail "cgnatctl --help exited $rc"
# The command is the first lower-case word after the options in brackets.
cmds=$(sed -nE 's/^(usage:|      ) cgnatctl //p' <<<"$help" |
	sed -E 's/\[[^]]*\]//g; s/--[a-z-]+ [A-Z]+//g; s/--[a-z-]+//g; s/\|//g' |
	awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^[a-z][a-z-]*$/) { print $i; break } }')
subs=$(sed -n 's/^ha SUBCOMMAND: //p' <<<"$help")
opts=$(sed -n 's/^options: //p' <<<"$help" | grep -oE -- '--[a-z-]+')
ctl=$(man_text "$MAN/cgnatctl.8")
ctl_cmds=$(section "$ctl" COMMANDS)
ctl_opts=$(section "$ctl" OPTIONS)
missing=
n=0
for c in $cmds; do
	n=$((n + 1))
	grep -qP "^ {7}\Q$c\E( |$)" <<<"$ctl_cmds" || missing+=" $c"
done
for s in $subs; do
	grep -qP "^ {11}ha \Q$s\E( |$)" <<<"$ctl_cmds" || missing+=" ha-$s"
done
for o in $opts; do
	is_term "$ctl_opts" "$o" || missing+=" $o"
done
if [ "$n" -ge 11 ] && [ -n "$subs" ] && [ -n "$opts" ] && [ -z "$missing" ]; then
	pass "cgnatctl(8) has all $n commands ($(echo $cmds)), the ha subcommands ($subs) and $(echo "$opts" | wc -l) options"
else
	fail "cgnatctl(8) lacks:${missing:- (parsed only $n commands from --help)}"
fi

help=$("$BIN/cgnatd" --help)
rc=$?
[ "$rc" -eq 0 ] && pass "cgnatd --help exits 0" || fail "cgnatd --help exited $rc"
opts=$(sed -n 's/^options: //p' <<<"$help" | grep -oE -- '--[a-z-]+')
d=$(section "$(man_text "$MAN/cgnatd.8")" OPTIONS)
missing=
for o in $opts; do
	is_term "$d" "$o" || missing+=" $o"
done
if [ -n "$opts" ] && [ -z "$missing" ]; then
	pass "cgnatd(8) has all $(echo "$opts" | wc -l) options"
else
	fail "cgnatd(8) lacks:${missing:- (no options parsed from --help)}"
fi

# Each page renders without a warning from man/groff.
for p in cgnatd.8 cgnatctl.8 cgnat.yaml.5; do
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$MAN/$p" 2>&1 >/dev/null)
	[ -z "$w" ] && pass "$p renders without warnings" || fail "$p: $w"
done
summary
