#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Checks of the compliance log for the cgnatd netns tests.

  logcheck.py held DB BLOCKS_JSON
      the invariant: the blocks the data plane holds (cgnatctl --json
      blocks) and the open rows of the log are the same set of (subscriber,
      external address, port range, assign time); prints
      "held N open N missing_rows N orphan_rows N".
  logcheck.py ipfix DB DECODED
      every natEvent 16/17 record a collector decoded (ipfix_decode
      output) matches a row (16 at assign and at every interim row, 17 at
      release) and every row a record; compared as sets, since cgnatd
      announces every held block again at start (a repeated record of
      the same holding); prints
      "rows N records N unmatched_rows N unmatched_records N".
"""
import collections
import json
import sqlite3
import sys


def db(path):
    return sqlite3.connect("file:%s?mode=ro" % path, uri=True)


def held(dbpath, blocks_json):
    with open(blocks_json) as f:
        h = {(b["subscriber"], b["external"], b["port_first"],
              b["port_last"], b["assigned"]) for b in json.load(f)["blocks"]}
    rows = db(dbpath).execute(
        "SELECT subscriber, external, port_first, port_last, assigned "
        "FROM blocks_text WHERE released IS NULL").fetchall()
    o = set(rows)
    print("held %d open %d missing_rows %d orphan_rows %d" %
          (len(h), len(rows), len(h - o), len(o - h) + len(rows) - len(o)))
    for b in sorted(h - o)[:5]:
        print("  held without open row: %s" % (b,))
    for b in sorted(o - h)[:5]:
        print("  open row without held block: %s" % (b,))


def ipfix(dbpath, decoded):
    want = collections.Counter()
    for sub, ext, pf, pl, a, r in db(dbpath).execute(
            "SELECT sub_addr, ext_addr, port_first, port_last, "
            "assigned_ms, released_ms FROM blocks_all"):
        want[(16, sub, ext, pf, pl, a)] += 1
        if r is not None:
            want[(17, sub, ext, pf, pl, r)] += 1
    for sub, ext, pf, pl, t in db(dbpath).execute(
            "SELECT sub_addr, ext_addr, port_first, port_last, i.time_ms "
            "FROM interim i JOIN blocks_all b ON b.id = i.block_id"):
        want[(16, sub, ext, pf, pl, t)] += 1   # interim: 16 re-sent
    got = collections.Counter()
    with open(decoded) as f:
        for line in f:
            kv = dict(x.split("=", 1) for x in line.split())
            if kv.get("event") not in ("16", "17"):
                continue

            def addr(s):
                a = [int(x) for x in s.split(".")]
                return (a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]
            got[(int(kv["event"]), addr(kv["src"]), addr(kv["post_src"]),
                 int(kv["start"]), int(kv["end"]),
                 int(kv["time_ms"]))] += 1
    missing, extra = set(want) - set(got), set(got) - set(want)
    print("rows %d records %d unmatched_rows %d unmatched_records %d" %
          (sum(want.values()), sum(got.values()), len(missing), len(extra)))
    for k in list(missing)[:5]:
        print("  row without record: %s" % (k,))
    for k in list(extra)[:5]:
        print("  record without row: %s" % (k,))


if __name__ == "__main__":
    {"held": held, "ipfix": ipfix}[sys.argv[1]](*sys.argv[2:])
