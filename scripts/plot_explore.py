#!/usr/bin/python3
"""Plots of an `encvp explore` result folder, or of one run's per-layer CSV.

    /usr/bin/python3 scripts/plot_explore.py DIR
        DIR/pareto.png   latency vs energy per image/patch; colour = on-chip memory, size = weight bits;
                         the Pareto front (latency x energy x memory) circled and labelled
        DIR/effects.png  how much each swept parameter moves latency and energy (max/min of the means)
        DIR/layers.png   per-layer latency and energy bars of the Pareto configurations (DIR/layers/*.csv)

    /usr/bin/python3 scripts/plot_explore.py --layers run.csv [--out run-layers.png]
        per-layer latency and energy bars of one `encvp classify/compress --csv run.csv`

Needs matplotlib (Debian: python3-matplotlib, installed by scripts/install-deps.sh); exits with
status 77 and a message when it is missing. Reads only the CSV files: no other dependency.
"""
import csv
import json
import math
import os
import sys


def fail(msg, code=1):
    print("plot_explore: " + msg, file=sys.stderr)
    sys.exit(code)


try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    fail("matplotlib is not installed (apt-get install python3-matplotlib; Debian's Python is /usr/bin/python3)", 77)


def read_csv(path):
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        fail("%s: %s" % (path, e.strerror))
    return rows


def num(v):
    try:
        x = float(v)
        return x if math.isfinite(x) else None
    except (TypeError, ValueError):
        return None


def unit_of(header):
    return "image" if "latency_per_image_us" in header else "patch"


def param_columns(header):
    return header[1:header.index("status")]


def label_of(row, params, varying):
    return " ".join("%s=%s" % (p.split(".")[-1], row[p]) for p in params if p in varying) or "#" + row["index"]


def plot_pareto(rows, header, out):
    u = unit_of(header)
    lat_c, en_c = "latency_per_%s_us" % u, "energy_per_%s_nj" % u
    ok = [r for r in rows if r["status"] == "ok" and num(r[lat_c]) is not None and num(r[en_c]) is not None]
    if not ok:
        print("plot_explore: no successful configuration to plot in the Pareto chart")
        return False
    params = param_columns(header)
    varying = [p for p in params if len({r[p] for r in rows}) > 1]
    x = [num(r[lat_c]) for r in ok]
    y = [num(r[en_c]) for r in ok]
    mem = [num(r["on_chip_bits"]) / 1024.0 for r in ok]
    size_c = "mac_units" if "mac_units" in header else "weight_bits"
    wb = [num(r[size_c]) or 0 for r in ok]
    wmax = max(wb) or 1
    sizes = [20 + 140 * w / wmax for w in wb]
    nfront = min(15, sum(1 for r in ok if r.get("pareto") == "1"))
    fig, ax = plt.subplots(figsize=(10, 7 + 0.16 * nfront))
    fig.subplots_adjust(bottom=0.1 + 0.16 * nfront / (7 + 0.16 * nfront) + 0.02, top=0.93, left=0.09, right=0.97)
    sc = ax.scatter(x, y, c=mem, s=sizes, cmap="viridis", alpha=0.8, edgecolors="none")
    cb = fig.colorbar(sc, ax=ax)
    cb.set_label("on-chip memory (Kibit)")
    front = [r for r in ok if r.get("pareto") == "1"]
    if front:
        fx = [num(r[lat_c]) for r in front]
        fy = [num(r[en_c]) for r in front]
        objs = "latency x energy x memory"
        try:
            with open(os.path.join(os.path.dirname(out), "summary.json")) as f:
                objs = " x ".join(o.split("_per_")[0].replace("_bits", "").replace("_", " ") for o in json.load(f)["objectives"])
        except (OSError, ValueError, KeyError):
            pass
        ax.scatter(fx, fy, s=160, facecolors="none", edgecolors="red", linewidths=1.5, label="Pareto front (%s)" % objs)
        # The 2-D latency/energy staircase of the front, for the eye.
        pts = sorted(zip(fx, fy))
        stair, best = [], float("inf")
        for px, py in pts:
            if py < best:
                stair.append((px, py))
                best = py
        if len(stair) > 1:
            ax.step([p[0] for p in stair], [p[1] for p in stair], where="post", color="red", alpha=0.4, linewidth=1)
        # Label the front with indices; list what distinguishes them under the chart.
        fvary = [p for p in params if len({r[p] for r in front}) > 1] or varying
        for r in front:
            ax.annotate("#" + r["index"], (num(r[lat_c]), num(r[en_c])), fontsize=7, xytext=(5, 4), textcoords="offset points")
        lines = ["#%s: %s" % (r["index"], label_of(r, params, fvary)) for r in front[:14]]
        if len(front) > 14:
            lines.append("... %d more in results.csv (pareto = 1)" % (len(front) - 14))
        fig.text(0.01, 0.01, "Pareto front:\n" + "\n".join(lines), fontsize=7, va="bottom", family="monospace")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("latency per %s (us, simulated, steady state)" % u)
    ax.set_ylabel("energy per %s (nJ)" % u)
    bad = len(rows) - len(ok)
    ax.set_title("%d configurations%s; marker size = %s" % (len(ok), " (%d did not run or fit)" % bad if bad else "",
                                                            "MAC units (lanes x 3-bit MACs per lane)" if size_c == "mac_units" else "weight bits"))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return True


def plot_effects(summary_path, out):
    if not os.path.exists(summary_path):
        return False
    with open(summary_path) as f:
        s = json.load(f)
    eff = {m: [e for e in v if e.get("best")] for m, v in s.get("effects", {}).items()}  # drop "no effect"
    metrics = [m for m in eff if eff[m]]
    if not metrics:
        return False
    cols = 2 if len(metrics) > 1 else 1
    rows_n = (len(metrics) + cols - 1) // cols
    fig, axes = plt.subplots(rows_n, cols, figsize=(7 * cols, 0.5 + 3.8 * rows_n), squeeze=False)
    for ax in axes.flat[len(metrics):]:
        ax.axis("off")
    for ax, m in zip(axes.flat, metrics):
        items = sorted(eff[m], key=lambda e: e["ratio"])
        ax.barh([e["parameter"] for e in items], [e["ratio"] for e in items], color="tab:blue")
        for i, e in enumerate(items):
            ax.text(e["ratio"], i, "  x%.2f (best %s)" % (e["ratio"], e["best"]), va="center", fontsize=7)
        ax.set_xlabel("max/min of the mean over the other parameters", fontsize=8)
        ax.set_xlim(1, max(e["ratio"] for e in items) * 1.6)
        ax.tick_params(labelsize=7)
        ax.set_title("effect on " + m, fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return True


def layer_rows(path):
    rows = read_csv(path)
    return [r for r in rows if r["row"] not in ("start", "platform", "static", "total")]


def plot_layers(tables, out, title):
    """tables: list of (label, rows of a per-layer CSV)."""
    tables = [(lab, rows) for lab, rows in tables if rows]
    if not tables:
        return False
    names = [r["name"] or r["row"] for r in tables[0][1]]
    n = len(names)
    k = len(tables)
    width = 0.8 / k
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(max(8, 0.9 * n * max(1, k / 2)), 8), sharex=True)
    for j, (lab, rows) in enumerate(tables):
        xs = [i + (j - (k - 1) / 2) * width for i in range(len(rows))]
        comp = [num(r["compute_us"]) or 0 for r in rows]
        ws = [num(r["weight_stall_us"]) or 0 for r in rows]
        ac = [num(r["act_stall_us"]) or 0 for r in rows]
        su = [num(r["setup_us"]) or 0 for r in rows]
        if k == 1:
            a1.bar(xs, su, width, label="setup", color="tab:gray")
            a1.bar(xs, comp, width, bottom=su, label="compute", color="tab:blue")
            b2 = [s + c for s, c in zip(su, comp)]
            a1.bar(xs, ws, width, bottom=b2, label="weight-SRAM stall", color="tab:orange")
            b3 = [b + w for b, w in zip(b2, ws)]
            a1.bar(xs, ac, width, bottom=b3, label="activation stall", color="tab:red")
            em = [num(r["energy_mac_pj"]) or 0 for r in rows]
            es = [num(r["energy_sram_read_pj"]) or 0 for r in rows]
            ea = [num(r["energy_act_io_pj"]) or 0 for r in rows]
            a2.bar(xs, [v / 1e3 for v in em], width, label="MAC", color="tab:blue")
            a2.bar(xs, [v / 1e3 for v in es], width, bottom=[v / 1e3 for v in em], label="weight SRAM reads", color="tab:orange")
            a2.bar(xs, [v / 1e3 for v in ea], width, bottom=[(a + b) / 1e3 for a, b in zip(em, es)],
                   label="activation + I/O buffers", color="tab:green")
        else:
            a1.bar(xs, [num(r["latency_us"]) or 0 for r in rows], width, label=lab)
            a2.bar(xs, [(num(r["energy_pj"]) or 0) / 1e3 for r in rows], width, label=lab)
    a1.set_ylabel("latency (us)")
    a2.set_ylabel("energy (nJ)")
    a2.set_xticks(range(n))
    a2.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
    a1.legend(fontsize=7, loc="upper right")
    if k == 1:
        a2.legend(fontsize=7, loc="upper right")
    a1.set_title(title)
    a1.grid(True, axis="y", alpha=0.3)
    a2.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return True


def explore_dir(d):
    results = os.path.join(d, "results.csv")
    rows = read_csv(results)
    if not rows:
        fail("%s: no rows" % results)
    with open(results, newline="") as f:
        header = next(csv.reader(f))
    for c in ("index", "status", "pareto", "on_chip_bits", "weight_bits"):
        if c not in header:
            fail("%s: not an encvp explore results table (no column '%s')" % (results, c))
    made = []
    if plot_pareto(rows, header, os.path.join(d, "pareto.png")):
        made.append("pareto.png")
    if plot_effects(os.path.join(d, "summary.json"), os.path.join(d, "effects.png")):
        made.append("effects.png")
    params = param_columns(header)
    varying = [p for p in params if len({r[p] for r in rows}) > 1]
    front = [r for r in rows if r.get("pareto") == "1"]
    u = unit_of(header)
    front.sort(key=lambda r: num(r["latency_per_%s_us" % u]) or 0)
    if len(front) > 6:  # the fastest, the most frugal and a few between
        step = (len(front) - 1) / 5.0
        front = [front[round(i * step)] for i in range(6)]
    tables = []
    fvary = [p for p in params if len({r[p] for r in front}) > 1] or varying
    for r in front:
        p = os.path.join(d, "layers", r["index"] + ".csv")
        if os.path.exists(p):
            tables.append(("#%s %s" % (r["index"], label_of(r, params, fvary)), layer_rows(p)))
    if plot_layers(tables, os.path.join(d, "layers.png"), "per-layer latency and energy of Pareto configurations"):
        made.append("layers.png")
    print("plots     " + ", ".join(os.path.join(d, m) for m in made) if made else "plots     none (nothing to plot)")


def main(argv):
    if len(argv) >= 2 and argv[1] == "--layers":
        if len(argv) < 3:
            fail("usage: plot_explore.py --layers RUN.csv [--out FILE.png]")
        src = argv[2]
        out = argv[4] if len(argv) >= 5 and argv[3] == "--out" else os.path.splitext(src)[0] + "-layers.png"
        if not plot_layers([("", layer_rows(src))], out, "per-layer latency and energy: " + os.path.basename(src)):
            fail("%s: no layer rows" % src)
        print("plots     " + out)
        return
    if len(argv) != 2 or argv[1].startswith("-"):
        fail(__doc__.strip(), 2)
    if not os.path.isdir(argv[1]):
        fail("%s: not a folder" % argv[1])
    explore_dir(argv[1])


if __name__ == "__main__":
    main(sys.argv)
