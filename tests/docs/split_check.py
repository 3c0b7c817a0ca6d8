#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""split_check.py OLD_README [ROOT] - nothing of an old README was lost.

Every non-blank line of OLD_README must appear in README.md or docs/*.md,
compared after the edits a move allows: heading levels, and links
reduced to their text (a "#anchor" that became "docs/x.md#anchor" is the
same line). Prints the lines that appear nowhere, and a count; exit 1 if
any. Not part of make test: run it when moving documentation, e.g.
  git show REV:README.md >/tmp/old.md; tests/docs/split_check.py /tmp/old.md
"""
import collections
import glob
import os
import re
import sys


def norm(line):
    line = re.sub(r'^\s{0,3}#{1,6}\s+', '', line)
    line = re.sub(r'!?\[((?:[^\]\[]|\[[^\]]*\])*)\]\([^)]*\)', r'\1', line)
    return line.strip()


def main():
    old = open(sys.argv[1], encoding='utf-8').read().split('\n')
    root = sys.argv[2] if len(sys.argv) > 2 else '.'
    have = collections.Counter()
    for f in [os.path.join(root, 'README.md')] + \
            sorted(glob.glob(os.path.join(root, 'docs', '*.md'))):
        for line in open(f, encoding='utf-8').read().split('\n'):
            have[norm(line)] += 1
    lost = [(n, l) for n, l in enumerate(old, 1)
            if l.strip() and norm(l) not in have]
    for n, l in lost:
        print('%d: %s' % (n, l))
    total = sum(1 for l in old if l.strip())
    print('%d of %d non-blank lines found, %d not found' %
          (total - len(lost), total, len(lost)))
    return 1 if lost else 0


if __name__ == '__main__':
    sys.exit(main())
