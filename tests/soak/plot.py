#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Soak samples: plot.py CSV PNG WARMUP_FRACTION

Plots RSS, RSS less SQLite's heap, descriptors, sessions, held blocks
and SQLite size against time (python3-matplotlib) and prints the
flatness verdict the soak checks: "rss_warm_kb A rss_end_kb B fds_warm C
fds_end D sessions_max E db_end_kb F rss_nolog_warm_kb G rss_nolog_end_kb
H" where *_warm is the maximum between the warm-up and the last fifth of
the run and *_end the maximum over the last fifth.
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    rows = list(csv.DictReader(open(sys.argv[1])))
    warm = float(sys.argv[3])
    t = [float(r["t"]) for r in rows]
    cols = ["rss_kb", "rss_nolog_kb", "fds", "sessions", "held", "db_kb"]
    v = {c: [float(r[c]) for r in rows] for c in cols}
    fig, ax = plt.subplots(len(cols), 1, sharex=True, figsize=(9, 11))
    for a, c in zip(ax, cols):
        a.plot(t, v[c])
        a.set_ylabel(c)
        a.grid(True)
    ax[-1].set_xlabel("seconds")
    fig.suptitle("cgnatd soak")
    fig.savefig(sys.argv[2], dpi=80)
    end = t[-1]
    mid = [i for i, x in enumerate(t) if warm * end <= x < 0.8 * end]
    last = [i for i, x in enumerate(t) if x >= 0.8 * end]
    if not mid or not last:
        print("too few samples")
        sys.exit(1)

    def mx(c, idx):
        return int(max(v[c][i] for i in idx))

    print("rss_warm_kb %d rss_end_kb %d fds_warm %d fds_end %d "
          "sessions_max %d db_end_kb %d rss_nolog_warm_kb %d "
          "rss_nolog_end_kb %d" % (
              mx("rss_kb", mid), mx("rss_kb", last), mx("fds", mid),
              mx("fds", last), mx("sessions", range(len(t))),
              int(v["db_kb"][-1]), mx("rss_nolog_kb", mid),
              mx("rss_nolog_kb", last)))


if __name__ == "__main__":
    main()
