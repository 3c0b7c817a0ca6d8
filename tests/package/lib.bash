# SPDX-License-Identifier: GPL-2.0
# Shared by the tests/package scripts: PASS/FAIL lines for tests/run.sh,
# and the man pages rendered as plain text (no hyphenation, no wrapping of
# a term line) so that they can be searched as a reader sees them.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PASSED=0
FAILED=0
pass() { echo "PASS: $*"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }
summary() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

# man_text FILE: the page as text, 300 columns wide.
man_text() {
	MANWIDTH=300 MAN_KEEP_FORMATTING= man -l --nh --nj "$1" 2>/dev/null |
		col -bx
}

# section TEXT NAME: the lines of section NAME (a heading at column 0)
# up to the next heading.
section() {
	awk -v s="$2" '/^[A-Z]/ { on = ($0 == s); next } on' <<<"$1"
}

# A token's edges: a path or option must not run on into a longer one
# (a full stop ending a sentence is an edge).
EDGE='A-Za-z0-9_.\[\]-'
AFTER="(?:[^$EDGE]|\\.(?:\\s|\$)|\$)"

# is_term TEXT WORD: WORD on a term line (a line indented 7 or 11
# spaces: the items of a section, and the items nested one level in).
is_term() {
	grep -qP "^( {7}| {11})(?:|.*[^$EDGE])\Q$2\E$AFTER" <<<"$1"
}

# is_word TEXT WORD: WORD anywhere, as a whole token.
is_word() {
	grep -qP "(?:^|[^$EDGE])\Q$2\E$AFTER" <<<"$1"
}
