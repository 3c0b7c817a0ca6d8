# SPDX-License-Identifier: GPL-2.0
"""anchors.py - the heading anchors GitHub makes for a Markdown file.

GitHub's rule (github-slugger) on the heading's rendered text: lower
case; every character that is not a letter, digit, '_', '-' or space is
dropped; each space becomes '-'; a repeated anchor gets -1, -2, ...
Headings inside fenced code blocks are not headings.
"""
import re

_FENCE = re.compile(r'^\s{0,3}(```|~~~)')
_ATX = re.compile(r'^\s{0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$')


def rendered(text):
    """The heading's text as rendered: links to their text, no markup."""
    text = re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', text)
    text = re.sub(r'<[^>]+>', '', text)
    return text.replace('`', '').replace('*', '')


def slug(text):
    s = rendered(text).strip().lower()
    s = ''.join(c for c in s if c.isalnum() or c in '_- ')
    return s.replace(' ', '-')


def outside_code(text):
    """(line number, line) of every line outside code fences."""
    fence = None
    for n, line in enumerate(text.split('\n'), 1):
        m = _FENCE.match(line)
        if m:
            if fence is None:
                fence = m.group(1)
            elif m.group(1) == fence:
                fence = None
            continue
        if fence is None:
            yield n, line


def headings(text):
    """(level, text) of every ATX heading outside code fences."""
    out = []
    for _, line in outside_code(text):
        m = _ATX.match(line)
        if m:
            out.append((len(m.group(1)), m.group(2)))
    return out


def anchors(text):
    """Anchors in document order, duplicates numbered as GitHub does."""
    seen, out = {}, []
    for _, h in headings(text):
        base = slug(h)
        a = base
        while a in seen:
            seen[base] += 1
            a = '%s-%d' % (base, seen[base])
        seen.setdefault(a, 0)
        out.append(a)
    return out
