#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# firstrun.sh - `make demo` as the very first command on a new machine, and
# again. A copy of the working tree without build/ runs `make demo` with a
# PATH in which dpkg-query finds no package installed, apt-get "installs"
# them (it only marks them present: they are really here already) and
# pkg-config finds nothing until then, as on a machine where `make deps`
# installs libbpf and the rest during this very make. A Makefile that
# computes its link flags when first parsed fails to link here. The second
# run must work without installing anything.
set -u
cd "$(dirname "$0")/../.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
p=0 f=0
check() {
	local what=$1
	shift
	if "$@"; then echo "PASS: first run: $what"; p=$((p + 1))
	else echo "FAIL: first run: $what"; f=$((f + 1)); fi
}

mkdir -p "$T/bin" "$T/src"
git ls-files -co --exclude-standard | while read -r x; do [ -e "$x" ] && echo "$x"; done |
	tar -c -T - | tar -x -C "$T/src"
cat >"$T/bin/dpkg-query" <<X
#!/bin/sh
[ -e "$T/installed" ] && exec /usr/bin/dpkg-query "\$@"
echo "dpkg-query: no packages found matching \$*" >&2
exit 1
X
cat >"$T/bin/apt-get" <<X
#!/bin/sh
echo "apt-get \$*" >>"$T/apt.log"
case " \$* " in *" install "*) touch "$T/installed" ;; esac
exit 0
X
cat >"$T/bin/pkg-config" <<X
#!/bin/sh
[ -e "$T/installed" ] && exec /usr/bin/pkg-config "\$@"
echo "Package libbpf was not found in the pkg-config search path." >&2
exit 1
X
chmod +x "$T"/bin/*

check "pkg-config finds nothing before make deps" \
	bash -c '! PATH=$0:$PATH pkg-config --libs libbpf' "$T/bin"
PATH=$T/bin:$PATH timeout 600 make -C "$T/src" -j2 demo >"$T/run1.log" 2>&1
rc=$?
[ $rc -eq 0 ] || tail -30 "$T/run1.log"
check "make demo exits 0 (status $rc)" test $rc -eq 0
check "make deps installed the missing packages" grep -q ' install .*libbpf-dev' "$T/apt.log"
check "the demo's lookup names the subscriber" grep -qE -e \
	'-> subscriber 100\.64\.0\.10 ' "$T/run1.log"
n=$(wc -l <"$T/apt.log")
PATH=$T/bin:$PATH timeout 600 make -C "$T/src" -j2 demo >"$T/run2.log" 2>&1
rc=$?
[ $rc -eq 0 ] || tail -30 "$T/run2.log"
check "make demo works a second time (status $rc)" test $rc -eq 0
check "the second run installs nothing" test "$(wc -l <"$T/apt.log")" = "$n"
check "the second run's lookup names the subscriber" grep -qE -e \
	'-> subscriber 100\.64\.0\.10 ' "$T/run2.log"
echo "$p passed, $f failed"
[ $f -eq 0 ]
