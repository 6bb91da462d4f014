#!/usr/bin/python3
"""plot.py - plots tf-sim's sweep (tests/sim/sweep.sh): efficiency and rank
0's messages a second against ranks, both designs, both workloads.

    /usr/bin/python3 tests/sim/plot.py docs/sim/sweep.csv docs/img

writes sim-efficiency.png and sim-rank0-msgs.png into the folder; needs
matplotlib. With several runs of one point, the last line counts."""
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

NAMES = {"geo": "T1L-like", "bin": "T3L-like"}
STYLE = {"central": "--", "peers": "-"}
MARK = {"geo": "o", "bin": "s"}
COLOR = {"geo": "tab:blue", "bin": "tab:orange"}


def load(path):
    pts = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            wl = row["workload"].split()
            if len(wl) < 2 or wl[0] != "uts" or row["ok"] != "1":
                continue
            key = (row["sched"], wl[1])
            pts.setdefault(key, {})[int(row["ranks"])] = row
    return pts


def plot(pts, field, ylabel, title, out, scale=1.0, logy=False, ylim=None):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    allp = sorted({p for rows in pts.values() for p in rows})
    for (sched, wl), rows in sorted(pts.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        ps = sorted(rows)
        ax.plot(ps, [float(rows[p][field]) * scale for p in ps], STYLE.get(sched, ":"),
                marker=MARK.get(wl, "x"), color=COLOR.get(wl), label=f"{sched}, {NAMES.get(wl, wl)}")
    ax.set_xscale("log")
    ax.set_xticks(allp)
    ax.set_xticklabels([f"{p:,}" for p in allp])
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    if logy:
        ax.set_yscale("log")
    if ylim:
        ax.set_ylim(*ylim)
    ax.set_xlabel("ranks (16 a node, InfiniBand-like network)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: plot.py SWEEP.csv OUT_DIR")
    pts = load(sys.argv[1])
    if not pts:
        sys.exit("plot.py: no UTS runs in " + sys.argv[1])
    os.makedirs(sys.argv[2], exist_ok=True)
    plot(pts, "efficiency", "efficiency (%)", "tf-sim: efficiency (work / (P x makespan))",
         os.path.join(sys.argv[2], "sim-efficiency.png"), scale=100, ylim=(0, 102))
    plot(pts, "r0_msgs_per_s", "rank 0's messages / s (sent + received)",
         "tf-sim: rank 0's message rate", os.path.join(sys.argv[2], "sim-rank0-msgs.png"),
         logy=True)


if __name__ == "__main__":
    main()
