#!/usr/bin/python3
"""Accuracy of a classifier on the virtual platform versus the weight-SRAM bit-error rate, with
and without SECDED ECC (docs/fault-injection.md). Runs `encvp classify --engine vp` once per
(ECC, bit-error rate, seed) with fault.sram_ber / fault.seed / sram.ecc, and writes a CSV and a
PNG plot (Debian's python3-matplotlib).

  scripts/fault-sweep.py                                   # default network, bundled samples
  scripts/fault-sweep.py --dataset .data/cifar10-test.bin --limit 2000 --seeds 3 \\
      --png docs/fault-injection.png --csv docs/fault-injection.csv
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_BERS = [0, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]


def run_one(args, ber, seed, ecc):
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "r.json")
        cmd = [args.encvp, "classify", "--engine", "vp", "--jobs", "1", "--report", report, "--fault.sram_ber", repr(ber),
               "--fault.seed", str(seed), "--sram.ecc", "true" if ecc else "false"]
        if args.network:
            cmd += ["--network", args.network]
        if args.dataset:
            cmd += ["--dataset", args.dataset]
        if args.limit:
            cmd += ["--limit", str(args.limit)]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0 or not os.path.exists(report):
            sys.exit(f"fault-sweep: {' '.join(cmd)} failed (exit {p.returncode}):\n{p.stdout}\n{p.stderr}")
        with open(report) as f:
            r = json.load(f)
    sram = r["models"]["sram"]
    return {"ecc": int(ecc), "ber": ber, "seed": seed, "accuracy": r["accuracy"], "images": r["images"],
            "network": r["network"]["name"], "weight_bits": r["network"]["weight_bits"],
            "faulty_cells": sram.get("faulty_cells", 0), "ecc_corrected_words": sram.get("ecc_corrected_words", 0),
            "ecc_uncorrectable_words": sram.get("ecc_uncorrectable_words", 0),
            "corrupted_words": sram.get("corrupted_words", 0)}


def plot(rows, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    bers = sorted({r["ber"] for r in rows})
    floor = min(b for b in bers if b > 0) / 3  # where BER 0 is drawn on the log axis
    for ecc, label, style in ((0, "no ECC", "o-"), (1, "SECDED ECC (72,64)", "s-")):
        xs, mean, lo, hi = [], [], [], []
        for b in bers:
            acc = [100 * r["accuracy"] for r in rows if r["ecc"] == ecc and r["ber"] == b]
            if not acc:
                continue
            xs.append(b if b > 0 else floor)
            mean.append(sum(acc) / len(acc))
            lo.append(min(acc))
            hi.append(max(acc))
        if xs:
            ax.plot(xs, mean, style, label=label)
            ax.fill_between(xs, lo, hi, alpha=0.2)
    ax.set_xscale("log")
    ax.set_xlabel("weight-SRAM bit-error rate (leftmost point: no faults)")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.axhline(10, color="grey", lw=0.8, ls=":")
    ax.text(floor, 11, "chance", color="grey", fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower left")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encvp", default=os.path.join(ROOT, "build", "platform", "encvp"))
    ap.add_argument("--network", help="classifier (.enet); default: encvp classify's default network")
    ap.add_argument("--dataset", help="CIFAR-10 .bin or image folder; default: the bundled samples")
    ap.add_argument("--limit", type=int, help="images per run")
    ap.add_argument("--bers", type=float, nargs="+", default=DEFAULT_BERS)
    ap.add_argument("--seeds", type=int, default=3, help="fault maps per bit-error rate")
    ap.add_argument("--no-ecc", action="store_true", help="only the curve without ECC")
    ap.add_argument("--jobs", type=int, default=1, help="encvp runs in parallel")
    ap.add_argument("--csv", default="fault-sweep.csv")
    ap.add_argument("--png", default="fault-sweep.png")
    args = ap.parse_args()
    if not os.access(args.encvp, os.X_OK):
        sys.exit(f"fault-sweep: {args.encvp} not found: build first (scripts/build.sh) or give --encvp")
    runs = [(b, s, e) for e in ((False,) if args.no_ecc else (False, True)) for b in args.bers
            for s in (range(1, 2) if b == 0 else range(1, args.seeds + 1))]
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        rows = list(pool.map(lambda r: run_one(args, *r), runs))
    with open(args.csv, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    for r in rows:
        print(f"ecc={r['ecc']} ber={r['ber']:<8g} seed={r['seed']} accuracy={100 * r['accuracy']:6.2f}% "
              f"faulty_cells={r['faulty_cells']} corrected={r['ecc_corrected_words']} "
              f"uncorrectable={r['ecc_uncorrectable_words']} corrupted_words={r['corrupted_words']}")
    r0 = rows[0]
    title = (f"{r0['network']} ({r0['weight_bits']} weight bits), {r0['images']} images, "
             f"{args.seeds} fault maps per rate (band: min..max)")
    plot(rows, args.png, title)
    print(f"wrote {args.csv} and {args.png}")


if __name__ == "__main__":
    main()
