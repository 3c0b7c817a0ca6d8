#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""check_docs.py [ROOT] - the documentation holds together.

README.md stays a front page (at most 300 lines); every relative link in
README.md and docs/*.md reaches a file that exists and, with #anchor, a
heading of that file (GitHub's anchor rules, anchors.py); every
docs/*.md is linked from README.md. Prints PASS:/FAIL: lines, exits 1 on
any FAIL.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from anchors import anchors, outside_code  # noqa: E402

MAX_README = 300
_LINK = re.compile(r'!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)')
_REF = re.compile(r'^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$')

failed = 0


def ok(what):
    print('PASS: ' + what)


def bad(what):
    global failed
    failed += 1
    print('FAIL: ' + what)


def links(text):
    """(line number, target) of every link outside code."""
    out = []
    for n, line in outside_code(text):
        line = re.sub(r'`[^`]*`', '', line)  # inline code is not a link
        for m in _LINK.finditer(line):
            out.append((n, m.group(1)))
        m = _REF.match(line)
        if m:
            out.append((n, m.group(1)))
    return out


def relative(target):
    return not re.match(r'^[a-zA-Z][a-zA-Z0-9+.-]*:', target)


def check_links(root, rel, cache):
    path = os.path.join(root, rel)
    text = open(path, encoding='utf-8').read()
    n_ok = 0
    for line, target in links(text):
        if not relative(target):
            continue
        file_part, _, anchor = target.partition('#')
        dest = os.path.normpath(os.path.join(os.path.dirname(path),
                                             file_part)) if file_part else path
        where = '%s:%d: %s' % (rel, line, target)
        if not os.path.exists(dest):
            bad('%s: no such file' % where)
            continue
        if anchor:
            if not dest.endswith('.md') or os.path.isdir(dest):
                bad('%s: an anchor into a file that is not Markdown' % where)
                continue
            if dest not in cache:
                cache[dest] = anchors(open(dest, encoding='utf-8').read())
            if anchor not in cache[dest]:
                bad('%s: no heading with anchor #%s in %s' %
                    (where, anchor, os.path.relpath(dest, root)))
                continue
        n_ok += 1
    ok('%s: %d relative links reach their file and heading' % (rel, n_ok))
    return text


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), '..', '..'))
    readme = os.path.join(root, 'README.md')
    text = open(readme, encoding='utf-8').read()
    n = len(text.split('\n')) - (1 if text.endswith('\n') else 0)
    if n <= MAX_README:
        ok('README.md is a front page: %d lines (at most %d)' % (n, MAX_README))
    else:
        bad('README.md has %d lines, more than %d: move the detail into '
            'docs/ and link it' % (n, MAX_README))
    docs = sorted(f for f in os.listdir(os.path.join(root, 'docs'))
                  if f.endswith('.md'))
    cache = {}
    check_links(root, 'README.md', cache)
    for d in docs:
        check_links(root, os.path.join('docs', d), cache)
    linked = set()
    for _, target in links(text):
        if relative(target):
            linked.add(os.path.normpath(target.partition('#')[0]))
    for d in docs:
        if os.path.join('docs', d) in linked:
            ok('docs/%s is linked from README.md' % d)
        else:
            bad('docs/%s is not linked from README.md: add it to the '
                'documentation list there' % d)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
