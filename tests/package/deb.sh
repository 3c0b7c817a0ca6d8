#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The Debian package: `make deb` builds it with Debian's tools (leaving the
# tree as it was), its files and metadata are as docs/install.md says, it
# is unpacked into a scratch root (dpkg -x: no maintainer script runs, the
# machine's dpkg database is untouched, the root is removed on exit), and
# the unpacked cgnatd checks the unpacked /etc/cgnat/cgnat.yaml and
# cgnatctl --help runs. apt resolves its dependencies (simulated), and
# lintian's output is printed: errors and warnings fail.
set -u
source "$(dirname "$0")/lib.bash"
cd "$ROOT"
BUILD=${BUILD:-build}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

before=$(git status --porcelain 2>&1)
parent_before=$(ls -1 .. 2>/dev/null | grep -c '^cgnat[-_]')
t0=$(date +%s.%N)
if ! make --no-print-directory BUILD="$BUILD" deb >"$TMP/build.log" 2>&1; then
	tail -40 "$TMP/build.log"
	fail "make deb"
	summary
	exit 1
fi
t1=$(date +%s.%N)
pass "make deb built the package in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
after=$(git status --porcelain 2>&1)
parent_after=$(ls -1 .. 2>/dev/null | grep -c '^cgnat[-_]')
if [ "$before" = "$after" ] && [ "$parent_before" = "$parent_after" ]; then
	pass "the build left the tree and its parent directory as they were"
else
	fail "the build changed the tree: $(diff <(echo "$before") <(echo "$after"))"
fi

debs=("$BUILD"/deb/cgnat_*_amd64.deb)
deb=${debs[0]}
if [ ${#debs[@]} -ne 1 ] || [ ! -f "$deb" ]; then
	fail "expected one cgnat_*_amd64.deb in $BUILD/deb, found: ${debs[*]}"
	summary
	exit 1
fi
version=$(dpkg-parsechangelog -S Version)
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] &&
	pass "version $version, from debian/changelog" ||
	fail "package version $(dpkg-deb -f "$deb" Version) != changelog $version"

# The file list: what must be there, with its mode, and nothing else but
# directories and the documentation.
dpkg-deb -c "$deb" | awk '{ print $1, $6 }' | sed 's| \./| /|' >"$TMP/list"
want=(
	"-rwxr-xr-x /usr/sbin/cgnatd"
	"-rwxr-xr-x /usr/bin/cgnatctl"
	"-rw-r----- /etc/cgnat/cgnat.yaml"
	"-rw-r--r-- /lib/systemd/system/cgnatd.service"
	"-rw-r--r-- /lib/systemd/system/cgnat-metrics.service"
	"-rw-r--r-- /lib/systemd/system/cgnat-metrics.timer"
	"-rw-r--r-- /usr/share/man/man8/cgnatd.8.gz"
	"-rw-r--r-- /usr/share/man/man8/cgnatctl.8.gz"
	"-rw-r--r-- /usr/share/man/man5/cgnat.yaml.5.gz"
	"-rw-r--r-- /usr/share/doc/cgnat/copyright"
	"-rw-r--r-- /usr/share/doc/cgnat/changelog.gz"
	"-rw-r--r-- /usr/share/doc/cgnat/README.md.gz"
	"-rw-r--r-- /usr/share/lintian/overrides/cgnat"
	"drwxr-x--- /var/lib/cgnat/"
)
# docs/ as documentation; dh_compress leaves files under 4 KiB as they are.
for f in "$ROOT"/docs/*.md; do
	n=/usr/share/doc/cgnat/docs/$(basename "$f")
	[ "$(stat -c %s "$f")" -ge 4096 ] && n=$n.gz
	want+=("-rw-r--r-- $n")
done
missing=
for w in "${want[@]}"; do
	grep -qxF -- "$w" "$TMP/list" || missing+=" [$w]"
done
[ -z "$missing" ] && pass "the package holds its ${#want[@]} files with their modes" ||
	fail "missing or wrong mode:$missing"$'\n'"$(cat "$TMP/list")"
extra=$(grep -v '^d' "$TMP/list" | grep -vxF -f <(printf '%s\n' "${want[@]}"))
[ -z "$extra" ] && pass "and no other file (no cgnat-dp, nothing in /usr/local)" ||
	fail "unexpected files: $extra"

mkdir "$TMP/ctl"
dpkg-deb -e "$deb" "$TMP/ctl"
[ "$(cat "$TMP/ctl/conffiles")" = /etc/cgnat/cgnat.yaml ] &&
	pass "/etc/cgnat/cgnat.yaml is the conffile" ||
	fail "conffiles: $(cat "$TMP/ctl/conffiles")"
bad=
for s in "$TMP"/ctl/{preinst,postinst,prerm,postrm}; do
	[ -f "$s" ] && ! sh -n "$s" && bad+=" $(basename "$s")"
done
[ -z "$bad" ] && pass "maintainer scripts parse" || fail "syntax error in:$bad"
# dh_installsystemd --no-enable: every "enable" of a unit sits under
# "was-enabled" (an upgrade keeps the admin's choice), none stands alone.
guards=$(awk '/deb-systemd-helper enable/ { print (cond ~ /was-enabled/) }
	/^[ \t]*if / { cond = $0 }' "$TMP/ctl/postinst")
if [ -n "$guards" ] && ! grep -q 0 <<<"$guards"; then
	pass "the units are installed, not enabled ($(wc -l <<<"$guards") enables, each only if it was enabled before)"
else
	fail "postinst enables a unit on a fresh install: $(grep -n 'enable' "$TMP/ctl/postinst")"
fi

dep=$(dpkg-deb -f "$deb" Depends)
missing=
for p in libbpf1 libfixbuf libyaml-0-2 libsqlite3-0 libpq5 libc6; do
	grep -q "$p" <<<"$dep" || missing+=" $p"
done
[ -z "$missing" ] && pass "Depends: $dep" || fail "Depends lacks$missing: $dep"
sim=$(apt-get -s -q install "./$deb" 2>&1)
if grep -q '^Inst cgnat ' <<<"$sim" && ! grep -qE '^E:|unmet' <<<"$sim"; then
	pass "apt resolves the dependencies (simulated install: $(grep -c '^Inst' <<<"$sim") packages)"
else
	fail "apt-get -s install: $sim"
fi

# Unpacked into a scratch root: the installed programs on the installed
# configuration, with the installed libraries resolved.
R=$TMP/root
dpkg -x "$deb" "$R"
out=$("$R/usr/sbin/cgnatd" -c "$R/etc/cgnat/cgnat.yaml" --check 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && grep -qx '  database: /var/lib/cgnat/cgnat.db' <<<"$out"; then
	pass "installed cgnatd --check accepts the installed cgnat.yaml (log in /var/lib/cgnat)"
else
	fail "cgnatd --check: rc $rc: $out"
fi
out=$("$R/usr/bin/cgnatctl" --help 2>&1)
rc=$?
[ "$rc" -eq 0 ] && grep -q '^usage: cgnatctl' <<<"$out" &&
	pass "installed cgnatctl --help exits 0" ||
	fail "cgnatctl --help: rc $rc: $out"
nf=$(ldd "$R/usr/sbin/cgnatd" "$R/usr/bin/cgnatctl" | grep 'not found')
[ -z "$nf" ] && pass "every shared library resolves" || fail "ldd: $nf"
for u in cgnatd.service cgnat-metrics.service; do
	f=$R/lib/systemd/system/$u
	paths=$(grep -oE '/usr/s?bin/cgnat[a-z]*' "$f" | sort -u)
	bad=
	for p in $paths; do [ -x "$R$p" ] || bad+=" $p"; done
	if [ -n "$paths" ] && [ -z "$bad" ] && ! grep -q /usr/local "$f"; then
		pass "$u runs $(echo $paths) from the package"
	else
		fail "$u: programs not in the package:$bad $(grep -n /usr/local "$f")"
	fi
done
for m in man8/cgnatd.8 man8/cgnatctl.8 man5/cgnat.yaml.5; do
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$R/usr/share/man/$m.gz" 2>&1 >/dev/null)
	n=$(MANWIDTH=80 man -l "$R/usr/share/man/$m.gz" 2>/dev/null | wc -l)
	[ -z "$w" ] && [ "$n" -gt 50 ] && pass "installed $m renders ($n lines)" ||
		fail "installed $m: $n lines, $w"
done

# lintian as a user (it warns when run as root) on the .changes (the
# package, its dbgsym and the .buildinfo), every level shown (info,
# pedantic, experimental, overrides); E and W fail.
mkdir "$TMP/lint"
cp "$BUILD"/deb/*.deb "$BUILD"/deb/*.changes "$BUILD"/deb/*.buildinfo "$TMP/lint/"
chmod -R a+rX "$TMP"
changes=$(ls "$TMP"/lint/*.changes)
if id nobody >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	lint=$(cd / && setpriv --reuid=nobody --regid=nogroup --init-groups \
		env HOME=/nonexistent lintian -I -E --pedantic --show-overrides \
		"$changes" 2>&1)
else
	lint=$(lintian -I -E --pedantic --show-overrides "$changes" 2>&1)
fi
echo "lintian:"
sed 's/^/  /' <<<"${lint:-(no output)}"
if grep -qE '^[EW]: ' <<<"$lint"; then
	fail "lintian: $(grep -cE '^[EW]: ' <<<"$lint") errors/warnings"
else
	pass "lintian: no error or warning ($(grep -c '^I: ' <<<"$lint") info, $(grep -c '^P: ' <<<"$lint") pedantic, $(grep -c '^X: ' <<<"$lint") experimental, $(grep -c '^O: ' <<<"$lint") overridden)"
fi
summary
