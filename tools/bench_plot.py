#!/usr/bin/env python3
"""bench_plot.py: draws `make bench` figures from build/bench/results.json.

    tools/bench_plot.py [RESULTS_JSON] [OUT_DIR]

Writes OUT_DIR/goodput.png (TCP goodput per MTU: nestbed vs Linux with
offloads off and on) and OUT_DIR/bringup.png (bring-up and teardown time per
number of hosts, nestbed vs `ip -batch`, star and chain). Needs matplotlib
(Debian: python3-matplotlib); without it, says so and exits 0.
"""
import json
import os
import sys


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "build/bench/results.json"
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(src) or "."
    try:
        with open(src) as f:
            res = json.load(f)
    except (OSError, ValueError) as e:
        print("bench_plot: cannot read %s: %s" % (src, e), file=sys.stderr)
        return 1
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench_plot: matplotlib is not installed (apt-get install python3-matplotlib); "
              "no PNGs drawn", file=sys.stderr)
        return 0
    m = res.get("machine", {})
    where = "%s, %s cores, Linux %s" % (m.get("cpu", "?"), m.get("cores", "?"), m.get("kernel", "?"))
    s = res.get("series", {})
    drawn = []

    gp = s.get("goodput")
    if gp:
        mtus = sorted(gp, key=int)
        kinds = [("nestbed", "nestbed (custom hosts)", lambda g: g["nestbed"]["gbit"]),
                 ("kernel_off", "Linux TCP, offloads off", lambda g: g["kernel_off"]),
                 ("kernel_on", "Linux TCP, offloads on", lambda g: g["kernel_on"])]
        fig, ax = plt.subplots(figsize=(7, 4.5))
        width = 0.8 / len(kinds)
        for k, (_, label, get) in enumerate(kinds):
            xs = [i + (k - 1) * width for i in range(len(mtus))]
            ys = [get(gp[mtu]) for mtu in mtus]
            bars = ax.bar(xs, ys, width, label=label)
            ax.bar_label(bars, fmt="%.2f", fontsize=8)
        ax.set_xticks(range(len(mtus)))
        ax.set_xticklabels(["MTU %s" % x for x in mtus])
        ax.set_ylabel("goodput (Gbit/s)")
        ax.set_title("Bulk TCP over one veth\n" + where, fontsize=9)
        ax.legend(fontsize=8)
        fig.tight_layout()
        p = os.path.join(out, "goodput.png")
        fig.savefig(p, dpi=120)
        plt.close(fig)
        drawn.append(p)

    bu = s.get("bringup")
    if bu:
        fig, axs = plt.subplots(1, 2, figsize=(10, 4.5))
        for ax, phase in zip(axs, ("up", "down")):
            for shape, pts in sorted(bu.items()):
                ns = sorted(pts, key=int)
                x = [int(n) for n in ns]
                ax.plot(x, [pts[n]["nestbed_" + phase] for n in ns], "o-", label="nestbed %s (%s)" %
                        (phase, shape))
                ax.plot(x, [pts[n]["ip_" + phase] for n in ns], "s--", label="ip -batch (%s)" % shape)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("custom hosts")
            ax.set_ylabel("seconds")
            ax.set_title("%s" % ("bring-up (until every node answers)" if phase == "up" else
                                  "teardown (until nothing is left)"), fontsize=9)
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=7)
        fig.suptitle(where, fontsize=9)
        fig.tight_layout()
        p = os.path.join(out, "bringup.png")
        fig.savefig(p, dpi=120)
        plt.close(fig)
        drawn.append(p)

    for p in drawn:
        print("bench_plot: wrote %s" % p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
