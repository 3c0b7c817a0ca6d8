#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""live_report.py - turns live.sh's raw records into the tables, the JSON
file and the plot of the live bench.

  live_report.py RAW.jsonl OUT.json OUT.png

Packet rates are per CPU-second of the bench core: the generator thread
carries the whole pipeline inline on CPU 0 (generator, veth, box under
test, sink), so frames delivered / CPU time of that thread is the rate of
one core even when another task shared the core for a moment. Each
repetition keeps the cleanest of its attempts (least time waiting for the
CPU); the wall-clock rates are in the JSON beside them. A point is the
median of its repetitions, with the range; a ratio is the median of the
per-round ratios (the repetitions of a stage go round the configurations).
Multi-core points (UDP outbound and inbound, one block per direction)
are frames delivered per wall-clock second by all the cores of the run
together (one generator and pipeline per core); their ratios (scaling,
cgnat against the one-lookup floor) are paired the same way, within one
round of the same run. Multi-core new flows: each run
sends never-seen flows once, split over its k cores; "all cores" is
flows translated / the longest core's kernel time, "per core" flows /
the cores' kernel time together (CPU-seconds), scaling against 1 core
paired by round.
"""
import json
import statistics
import sys
from collections import defaultdict

CONFIGS = [("fwd", "XDP fwd"), ("fwdst", "XDP fwd+lookup"), ("cgnat", "cgnat"),
           ("kernel", "kernel fwd"), ("nft", "nft SNAT")]
TOOLS = [("cgnat", "cgnat"), ("nft", "nftables"), ("iptables", "iptables")]
TARGET_FWD = 0.85
TARGET_NFT = 5.0
TARGET_FLOOR = 0.9	# cgnat / (XDP fwd + one lookup in a 1M table)
TARGET_NEWFLOWS = 1e6	# cgnat new flows per second per core
MC_CONFIGS = [("fwd", "XDP fwd"), ("fwdst", "fwd+lookup (floor)"),
              ("cgnat", "cgnat"), ("nft", "nft SNAT")]
WAIT_FLAG = 0.08


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def spread(values):
    v = sorted(values)
    return {"median": statistics.median(v), "min": v[0], "max": v[-1],
            "n": len(v), "values": v}


def pps_points(recs):
    """(config, proto, dir, flows) -> summary of per-rep best attempts."""
    tries = defaultdict(list)
    for r in recs:
        if r["kind"] == "pps" and r["r"].get("err", 0) == 0:
            key = (r["config"], r["proto"], r["dir"], r["flows"], r["rep"])
            tries[key].append(r["r"])
    reps = defaultdict(list)
    for (cfg, proto, d, n, rep), runs in sorted(tries.items()):
        best = min(runs, key=lambda x: x["wait"] / max(x["secs"], 1e-9))
        reps[(cfg, proto, d, n)].append({
            "rep": rep,
            "pps_cpu": best["ok"] / best["run"] if best["run"] else 0,
            "pps_wall": best["pps"],
            "wait_frac": best["wait"] / best["secs"],
            "delivered": best["ok"] / best["sent"] if best["sent"] else 0,
            "attempts": len(runs)})
    out = {}
    for key, rs in reps.items():
        s = spread([x["pps_cpu"] for x in rs])
        s["wall"] = spread([x["pps_wall"] for x in rs])
        s["max_wait_frac"] = max(x["wait_frac"] for x in rs)
        s["min_delivered"] = min(x["delivered"] for x in rs)
        s["attempts"] = sum(x["attempts"] for x in rs)
        s["by_rep"] = {x["rep"]: x["pps_cpu"] for x in rs}
        out[key] = s
    return out


def mc_points(recs):
    """(config, dir, flows, cores) -> summary of aggregate pps per rep.
    Records from before inbound was measured have no "dir": outbound."""
    tries = defaultdict(list)
    for r in recs:
        if r["kind"] == "mcpps" and r["r"].get("err", 0) == 0:
            tries[(r["config"], r.get("dir", "out"), r["flows"], r["cores"],
                   r["rep"])].append(r["r"])
    reps = defaultdict(list)
    for (cfg, d, n, k, rep), runs in sorted(tries.items()):
        best = min(runs, key=lambda x: x["wait"] / max(x["secs"], 1e-9))
        reps[(cfg, d, n, k)].append({"rep": rep, "pps": best["pps"],
                                  "pps_cpu": best["ok"] / best["run"]
                                  if best["run"] else 0,
                                  "wait_frac": best["wait"] /
                                  (best["secs"] * k)})
    out = {}
    for key, rs in reps.items():
        s = spread([x["pps"] for x in rs])
        s["per_core_cpu"] = spread([x["pps_cpu"] for x in rs])
        s["max_wait_frac"] = max(x["wait_frac"] for x in rs)
        s["by_rep"] = {x["rep"]: x["pps"] for x in rs}
        out[key] = s
    return out


def mc_table(mc):
    """One block per direction (outbound first), as in pps_table."""
    rows, lines = [], []
    cores = sorted({k for (_, _, _, k) in mc})
    dirs = sorted({d for (_, d, _, _) in mc}, key=lambda d: d != "out")
    head = "%-3s %8s %5s " % ("dir", "flows", "cores") + " ".join(
        "%-20s" % name for _, name in MC_CONFIGS) + \
        " %7s %7s" % ("cg/flr", "cg/nft")
    lines.append(head)
    lines.append("-" * len(head))
    for d in dirs:
        flows = sorted({n for (_, dd, n, _) in mc if dd == d})
        for n in flows:
            for k in cores:
                get = {c: mc.get((c, d, n, k)) for c, _ in MC_CONFIGS}
                r_fl = paired(get["cgnat"], get["fwdst"], lambda a, b: a / b)
                r_nft = paired(get["cgnat"], get["nft"], lambda a, b: a / b)
                row = {"dir": d, "flows": n, "cores": k,
                       "cgnat_over_floor": r_fl, "cgnat_over_nft": r_nft}
                for c, _ in MC_CONFIGS:
                    row[c] = get[c]
                    one = mc.get((c, d, n, cores[0]))
                    if k != cores[0] and get[c] and one:
                        row.setdefault("scaling", {})[c] = paired(
                            get[c], one, lambda a, b: a / b)
                rows.append(row)
                lines.append("%-3s %8d %5d " % (d, n, k) + " ".join(
                    "%-20s" % mpps(get[c]) for c, _ in MC_CONFIGS) +
                    " %7s %7s" % ("%.2f" % r_fl if r_fl else "-",
                                  "%.1f" % r_nft if r_nft else "-"))
    sc = [r for r in rows if r.get("scaling")]
    if sc:
        lines.append("scaling (pps at k cores / pps at %d, same round):" %
                     cores[0])
        for r in sc:
            lines.append("  %-3s %8d flows, %d cores: " % (
                r["dir"], r["flows"], r["cores"]) + ", ".join(
                    "%s %.2fx" % (c, v) for c, v in r["scaling"].items()
                    if v is not None))
    return rows, lines


def mpps(s):
    if not s:
        return "-"
    flag = "*" if s["max_wait_frac"] > WAIT_FLAG else ""
    return "%.2f [%.2f-%.2f]%s" % (s["median"] / 1e6, s["min"] / 1e6,
                                   s["max"] / 1e6, flag)


def add_variants(points):
    """cgnat-NAME configurations (BENCH_VARIANTS) get their own column."""
    known = {c for c, _ in CONFIGS}
    for c in sorted({k[0] for k in points} - known):
        CONFIGS.append((c, c))


def paired(a, b, f):
    """Median over the rounds of f(a, b): a repetition of every
    configuration ran in the same round, minutes apart at most, so the
    pairs share the machine's speed of the moment."""
    if not a or not b:
        return None
    v = [f(a["by_rep"][r], b["by_rep"][r]) for r in a["by_rep"]
         if r in b["by_rep"] and a["by_rep"][r] and b["by_rep"][r]]
    return statistics.median(v) if v else None


def pps_table(points):
    rows, lines = [], []
    keys = sorted({(p, d, n) for (_, p, d, n) in points},
                  key=lambda k: (k[0] != "udp", k[1] != "out", k[2]))
    head = "%-4s %-3s %8s " % ("", "dir", "flows") + " ".join(
        "%-20s" % name for _, name in CONFIGS) + \
        " %7s %7s %7s %7s" % ("cg/fwd", "cg/f+l", "cg/nft", "ns>fwd")
    lines.append(head)
    lines.append("-" * len(head))
    for proto, d, n in keys:
        get = {c: points.get((c, proto, d, n)) for c, _ in CONFIGS}
        row = {"proto": proto, "dir": d, "flows": n}
        for c, _ in CONFIGS:
            row[c] = get[c]
        fwd, cg, nft = get["fwd"], get["cgnat"], get["nft"]
        st = get["fwdst"]
        r_fwd = paired(cg, fwd, lambda a, b: a / b)
        r_st = paired(cg, st, lambda a, b: a / b)
        r_nft = paired(cg, nft, lambda a, b: a / b)
        ns = paired(cg, fwd, lambda a, b: 1e9 / a - 1e9 / b)
        row.update({"cgnat_over_fwd": r_fwd, "cgnat_over_fwd_lookup": r_st,
                    "cgnat_over_nft": r_nft,
                    "cgnat_ns_above_fwd": ns,
                    "ns_per_packet": {c: 1e9 / get[c]["median"]
                                      for c, _ in CONFIGS if get[c]}})
        rows.append(row)
        lines.append("%-4s %-3s %8d " % (proto, d, n) + " ".join(
            "%-20s" % mpps(get[c]) for c, _ in CONFIGS) +
            " %7s %7s %7s %7s" % (
                "%.2f" % r_fwd if r_fwd else "-",
                "%.2f" % r_st if r_st else "-",
                "%.1f" % r_nft if r_nft else "-",
                "%.0f" % ns if ns is not None else "-"))
    return rows, lines


def targets(rows, mc_rows=()):
    miss_fwd = [r for r in rows if r["cgnat_over_fwd"] is not None and
                r["cgnat_over_fwd"] < TARGET_FWD]
    miss_nft = [r for r in rows if r["cgnat_over_nft"] is not None and
                r["cgnat_over_nft"] < TARGET_NFT]
    have_fwd = [r for r in rows if r["cgnat_over_fwd"] is not None]
    have_nft = [r for r in rows if r["cgnat_over_nft"] is not None]
    floor = [("%s %s %d" % (r["proto"], r["dir"], r["flows"]),
              r["cgnat_over_fwd_lookup"]) for r in rows
             if r["cgnat_over_fwd_lookup"] is not None] + \
        [("udp %s %d, %d cores" % (r["dir"], r["flows"], r["cores"]),
          r["cgnat_over_floor"]) for r in mc_rows
         if r["cgnat_over_floor"] is not None]
    miss_floor = [n for n, v in floor if v < TARGET_FLOOR]

    def name(r):
        return "%s %s %d" % (r["proto"], r["dir"], r["flows"])
    return {
        "cgnat_over_fwd": {"target": TARGET_FWD, "points": len(have_fwd),
                           "met": bool(have_fwd) and not miss_fwd,
                           "missed_at": [name(r) for r in miss_fwd]},
        "cgnat_over_nft": {"target": TARGET_NFT, "points": len(have_nft),
                           "met": bool(have_nft) and not miss_nft,
                           "missed_at": [name(r) for r in miss_nft]},
        "cgnat_over_floor": {"target": TARGET_FLOOR, "points": len(floor),
                             "met": bool(floor) and not miss_floor,
                             "missed_at": miss_floor},
    }


def newflows(recs):
    out = {}
    cfgs = ["fwdst", "fwdst3", "cgnat"] + sorted(
        {r["config"] for r in recs
         if r["config"].startswith("cgnat-")}) + ["nft"]
    for cfg in cfgs:
        rs = [r["r"] for r in recs
              if r["kind"] == "newflows" and r["config"] == cfg]
        if not rs:
            continue
        s = spread([x["ok"] / x["ktime"] for x in rs if x["ktime"]])
        s["offered"] = sum(x["sent"] for x in rs)
        s["translated"] = sum(x["ok"] for x in rs)
        s["max_wait_frac"] = max(x["wait"] / x["secs"] for x in rs)
        out[cfg] = s
    for r in recs:
        if r["kind"] == "cgstats" and r.get("flows") == "newflows" and \
                r["config"] in out:
            out[r["config"]]["counters"] = r["r"]
    return out


MC_NF_CONFIGS = [("cgnat", "cgnat"), ("cgnatev", "cgnat+events"),
                 ("nft", "nft SNAT")]


def mc_newflows(recs):
    """(config, cores) -> all-cores and per-core new flows per second,
    with cgnatd's counters over those runs (differences from the record
    before each run)."""
    runs = defaultdict(list)
    for r in recs:
        if r["kind"] == "mcnewflows" and r["r"].get("err", 0) == 0:
            x = r["r"]
            runs[(r["config"], r["cores"])].append({
                "rep": r["rep"],
                "all": x["ok"] / x["kspan"] if x["kspan"] else 0,
                "per_core": x["ok"] / x["ktime"] if x["ktime"] else 0,
                "wall": x["ok"] / x["secs"] if x["secs"] else 0,
                "offered": x["sent"], "translated": x["ok"],
                "wait_frac": x["wait"] / max(x["secs"] * r["cores"], 1e-9)})
    counters = defaultdict(lambda: defaultdict(int))
    last = {}
    for r in recs:
        if r["kind"] != "mccgstats":
            continue
        prev = last.get(r["config"])
        last[r["config"]] = r["r"]
        if prev is None or not r["cores"]:
            continue
        for k, v in r["r"].items():
            if v - prev.get(k, 0):
                counters[(r["config"], r["cores"])][k] += v - prev.get(k, 0)
    out = {}
    for key, rs in runs.items():
        s = spread([x["all"] for x in rs])
        s["per_core"] = spread([x["per_core"] for x in rs])
        s["wall"] = spread([x["wall"] for x in rs])
        s["offered"] = sum(x["offered"] for x in rs)
        s["translated"] = sum(x["translated"] for x in rs)
        s["max_wait_frac"] = max(x["wait_frac"] for x in rs)
        s["by_rep"] = {x["rep"]: x["all"] for x in rs}
        if key in counters:
            s["counters"] = dict(counters[key])
        out[key] = s
    return out


def mc_newflows_table(mn):
    rows, lines = [], []
    cores = sorted({k for (_, k) in mn})
    cfgs = [(c, n) for c, n in MC_NF_CONFIGS if any(
        (c, k) in mn for k in cores)]
    head = "%5s " % "cores" + " ".join(
        "%-26s" % ("%s all/core" % n) for _, n in cfgs) + " %7s" % "cg/nft"
    lines.append(head)
    lines.append("-" * len(head))
    for k in cores:
        row = {"cores": k}
        cells = []
        for c, _ in cfgs:
            s = mn.get((c, k))
            row[c] = s
            one = mn.get((c, cores[0]))
            if s and one and k != cores[0]:
                row.setdefault("scaling", {})[c] = paired(
                    s, one, lambda a, b: a / b)
            cells.append("%-26s" % (
                "%s / %.0fk%s" % (kfl(s), s["per_core"]["median"] / 1e3,
                                  "*" if s["max_wait_frac"] > WAIT_FLAG
                                  else "") if s else "-"))
        r_nft = paired(mn.get(("cgnat", k)), mn.get(("nft", k)),
                       lambda a, b: a / b)
        row["cgnat_over_nft"] = r_nft
        rows.append(row)
        lines.append("%5d " % k + " ".join(cells) +
                     " %7s" % ("%.1f" % r_nft if r_nft else "-"))
    for r in rows:
        if r.get("scaling"):
            lines.append("scaling at %d cores (all cores / 1 core, same "
                         "round): " % r["cores"] + ", ".join(
                             "%s %.2fx" % (c, v)
                             for c, v in r["scaling"].items()
                             if v is not None))
    for (c, k), s in sorted(mn.items()):
        extra = ", ".join("%s %d" % (n, v) for n, v in sorted(
            s.get("counters", {}).items())
            if n.startswith("drop_") or n == "event_lost")
        lines.append("  %-8s %d cores: translated %d of %d offered%s" % (
            c, k, s["translated"], s["offered"],
            "; " + extra if extra else ""))
    return rows, lines


def kfl(s):
    return "%.0fk [%.0f-%.0f]" % (s["median"] / 1e3, s["min"] / 1e3,
                                  s["max"] / 1e3)


def tools(recs):
    out = {}
    for cfg, _ in TOOLS:
        row = {}
        for kind, field in (("iperf_tcp", "bps"), ("iperf_udp", "bps"),
                            ("tcp_cps", "cps"), ("tcp_cps_first", "cps")):
            v = [r["r"][field] for r in recs
                 if r["kind"] == kind and r["config"] == cfg]
            if v:
                row[kind] = spread(v)
        if row:
            out[cfg] = row
    return out


def plot(points, path):
    """Mpps by flow count per direction and protocol, and below each the
    same points as a fraction of the XDP forwarder measured in the same
    stage (this shared VM changes speed from minute to minute; the
    fractions do not)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    panels = [("udp", "out"), ("udp", "in"), ("tcp", "out"), ("tcp", "in")]
    fig, axes = plt.subplots(2, 4, figsize=(18, 8.5))
    for col, (proto, d) in enumerate(panels):
        ax, rel = axes[0][col], axes[1][col]
        for cfg, name in CONFIGS:
            pts = sorted((n, s) for (c, p, dd, n), s in points.items()
                         if c == cfg and p == proto and dd == d)
            if not pts:
                continue
            x = [max(n, 1) for n, _ in pts]
            y = [s["median"] / 1e6 for _, s in pts]
            err = [[(s["median"] - s["min"]) / 1e6 for _, s in pts],
                   [(s["max"] - s["median"]) / 1e6 for _, s in pts]]
            ax.errorbar(x, y, yerr=err, marker="o", capsize=3, label=name)
            base = [points.get(("fwd", proto, d, n)) for n, _ in pts]
            if all(base):
                rel.plot(x, [s["median"] / b["median"]
                             for (_, s), b in zip(pts, base)],
                         marker="o", label=name)
        title = "%s %s" % (proto.upper(),
                           "outbound" if d == "out" else "inbound")
        ax.set_title(title)
        rel.set_title(title + ": fraction of the XDP forwarder")
        rel.axhline(TARGET_FWD, color="grey", linestyle=":", linewidth=1)
        ax.set_ylabel("Mpps, one core")
        rel.set_ylabel("pps / pps(XDP fwd), same stage")
        rel.set_ylim(0, 1.05)
        for a in (ax, rel):
            a.set_xscale("log")
            a.set_xlabel("flows")
            a.grid(True, which="both", alpha=0.3)
            if a.get_legend_handles_labels()[0]:
                a.legend(fontsize=7)
    fig.suptitle("60-byte frames through the box, per CPU-second of one "
                 "core (dotted: the 0.85 target)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: live_report.py RAW.jsonl OUT.json OUT.png")
    recs = load(sys.argv[1])
    points = pps_points(recs)
    add_variants(points)
    rows, lines = pps_table(points)
    mc = mc_points(recs)
    mc_rows, mc_lines = mc_table(mc)
    tg = targets(rows, mc_rows)
    nf = newflows(recs)
    mn = mc_newflows(recs)
    mn_rows, mn_lines = mc_newflows_table(mn)
    tl = tools(recs)

    print("Packet rates, 60-byte frames, Mpps per CPU-second of one core, "
          "median [min-max] of %s" % (
              "%d repetitions" % max(s["n"] for s in points.values())
              if points else "-"))
    print("(* = another task held the core > 8% of a run; cg/f+l = cgnat / "
          "XDP fwd with one flow-table lookup; ns>fwd = cgnat ns/packet "
          "above the XDP forwarder)")
    print("\n".join(lines))
    for k, t in tg.items():
        if k == "cgnat_over_floor":
            continue
        print("target %s >= %.2f: %s%s" % (
            k.replace("_over_", "/"), t["target"],
            "met" if t["met"] else
            "MISSED" if t["points"] else "not measured",
            " at " + ", ".join(t["missed_at"]) if t["missed_at"] else ""))
    if mc:
        print("\nMulti-core: Mpps of all the run's cores together (UDP "
              "out and in, one generator per core), median [min-max]; "
              "cg/flr = cgnat / fwd+lookup")
        print("\n".join(mc_lines))
    for k, t in tg.items():
        if k != "cgnat_over_floor":
            continue
        print("target %s >= %.2f: %s%s" % (
            "cgnat/floor", t["target"],
            "met" if t["met"] else
            "MISSED" if t["points"] else "not measured",
            " at " + ", ".join(t["missed_at"]) if t["missed_at"] else ""))
    if nf:
        print("\nNew flows per second (UDP, one core, each packet a new flow)")
        for cfg, s in nf.items():
            print("  %-8s %8.0f [%.0f-%.0f]  translated %d of %d offered" % (
                cfg, s["median"], s["min"], s["max"], s["translated"],
                s["offered"]))
        if "cgnat" in nf and "nft" in nf:
            print("  cgnat / nft: %.2f" % (nf["cgnat"]["median"] /
                                           nf["nft"]["median"]))
        if "cgnat" in nf:
            print("  target cgnat >= %.0f new flows/s per core: %s" % (
                TARGET_NEWFLOWS, "met" if nf["cgnat"]["median"] >=
                TARGET_NEWFLOWS else "MISSED"))
    if mn:
        print("\nNew flows, multi-core (UDP, each packet a new mapping from "
              "a subscriber that holds a block): new flows/s of all cores "
              "together, median [min-max] / per core (per CPU-second); "
              "* = the generators waited > 8% for their cores")
        print("\n".join(mn_lines))
    if tl:
        print("\nApplication view (end hosts' sockets, both cores): median "
              "[min-max]")
        print("  %-10s %22s %22s %22s" % ("", "iperf3 TCP Gbit/s",
                                          "iperf3 UDP Gbit/s", "TCP conn/s"))
        for cfg, name in TOOLS:
            row = tl.get(cfg)
            if not row:
                continue
            cells = []
            for kind, scale, fmt in (("iperf_tcp", 1e9, "%.2f"),
                                     ("iperf_udp", 1e9, "%.2f"),
                                     ("tcp_cps", 1, "%.0f")):
                s = row.get(kind)
                cells.append(((fmt + " [" + fmt + "-" + fmt + "]") % (
                    s["median"] / scale, s["min"] / scale, s["max"] / scale))
                    if s else "-")
            print("  %-10s %22s %22s %22s" % (name, *cells))

    doc = {
        "unit": "packets per CPU-second of the bench core (60-byte frames)",
        "method": __doc__.strip().splitlines()[3:],
        "packet_rates": rows,
        "multi_core": mc_rows,
        "targets": tg,
        "new_flows_per_second": nf,
        "new_flows_multi_core": mn_rows,
        "tools": tl,
        "setup": [r for r in recs if r["kind"] == "setup"],
        "cgnat_counters": [r for r in recs if r["kind"].startswith("cgstats")],
    }
    with open(sys.argv[2], "w") as f:
        json.dump(doc, f, indent=1, default=str)
    if points:
        plot(points, sys.argv[3])
    print("\nwritten: %s, %s" % (sys.argv[2], sys.argv[3]))


if __name__ == "__main__":
    main()
