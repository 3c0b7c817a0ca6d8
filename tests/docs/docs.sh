#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# docs.sh - README.md is a front page of at most 300 lines, every relative
# link in README.md and docs/*.md reaches an existing file and heading
# (GitHub's anchor rules), and every docs/*.md is linked from README.md
# (check_docs.py). Then the check itself is shown to fail: on a copy of
# the documentation with one defect planted at a time it must name it.
set -u
cd "$(dirname "$0")/../.."
CHK=tests/docs/check_docs.py
PY=/usr/bin/python3
PASSED=0
FAILED=0
pass() { echo "PASS: $*"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }

out=$($PY "$CHK" .)
rc=$?
echo "$out"
PASSED=$((PASSED + $(grep -c '^PASS:' <<<"$out")))
FAILED=$((FAILED + $(grep -c '^FAIL:' <<<"$out")))
[ $rc = 0 ] || [ "$(grep -c '^FAIL:' <<<"$out")" -gt 0 ] ||
	fail "check_docs.py exited $rc without a FAIL line"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
T=$TMP/tree
fresh() { rm -rf "$T"; mkdir -p "$T"; cp -r README.md docs "$T/"; }
# caught WHAT PATTERN: the check fails on the planted defect, naming it.
caught() {
	local o r
	o=$($PY "$CHK" "$T" 2>&1)
	r=$?
	if [ $r = 1 ] && grep -q "^FAIL: .*$2" <<<"$o"; then
		pass "the check catches $1"
	else
		fail "the check misses $1 (exit $r): $(grep '^FAIL' <<<"$o" | head -3)"
	fi
}
# clean WHAT: the check passes the copy as it is.
clean() {
	if $PY "$CHK" "$T" >/dev/null 2>&1; then pass "the check accepts $1"
	else fail "the check refuses $1: $($PY "$CHK" "$T" | grep '^FAIL' | head -3)"; fi
}

fresh
while [ "$(wc -l <"$T/README.md")" -le 300 ]; do echo >>"$T/README.md"; done
caught "a README.md of 301 lines" "README.md has 301 lines"

fresh
printf '\nSee [there](no-such-file.md).\n' >>"$T/docs/pcp.md"
caught "a link to a missing file" "docs/pcp.md:.*no-such-file.md: no such file"

fresh
printf '\nSee [there](operations.md#no-such-heading).\n' >>"$T/docs/pcp.md"
caught "a link to a missing heading" "no heading with anchor #no-such-heading"

fresh
printf '\nSee [there](docs/pcp.md#no-such-heading).\n' >>"$T/README.md"
caught "a missing heading linked from README.md" "README.md:.*#no-such-heading"

fresh
printf '# Extra\n' >"$T/docs/extra.md"
caught "a docs file README.md does not link" "docs/extra.md is not linked"

# GitHub's rules: markup and punctuation dropped, a repeated heading
# numbered, a heading inside a code block no heading.
fresh
printf '# Extra\n\n## Numbers (`make bench`, x.y)\n\n## Numbers (`make bench`, x.y)\n\n```\n# not-a-heading\n```\n' >"$T/docs/extra.md"
printf '\n[e](docs/extra.md#numbers-make-bench-xy-1)\n' >>"$T/README.md"
clean "a link to the second of two equal headings (#...-1)"
printf '\n[e](docs/extra.md#not-a-heading)\n' >>"$T/README.md"
caught "a link to a heading inside a code block" "#not-a-heading"

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
