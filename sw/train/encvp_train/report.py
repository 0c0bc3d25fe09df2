"""Collect finished runs into an ablation table (Markdown) and an accuracy-versus-memory plot (PNG).

    PYTHONPATH=sw/train /usr/bin/python3 -m encvp_train.report runs/ablation-* runs/cifar10-1mb \\
        --test --markdown runs/ablation.md --plot docs/accuracy-vs-memory.png

For each run directory: the config's description, the number of weight bits (exact bias widths from
``best.pt`` for bit-shift-normalized nets; at the bias cap for BatchNorm nets, which cannot be
exported), the best validation accuracy and its epoch, and with ``--test`` the accuracy of
``best.pt`` on all 10,000 images of the CIFAR-10 test JPEG q75 copy (the exact integer path for
exportable networks).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from . import data as D
from .budget import budget_rows, total_bits
from .enet import bits_for_signed
from .model import argmax_lowest


def run_row(run: Path, test: bool, data_override=None) -> dict | None:
    from .export import load_checkpoint
    ck_path = run / "best.pt"
    if not ck_path.is_file():
        print(f"skip {run}: no best.pt", file=sys.stderr)
        return None
    model, ck = load_checkpoint(ck_path)
    cfg = ck["config"]
    exportable = all(l.norm == "shift" for l in model.layers)
    if exportable:
        bias_bits = [bits_for_signed(p["bias"].numpy()) for p in model.integer_params()]
        bits = total_bits(budget_rows(model, bias_bits))
    else:
        bits = total_bits(budget_rows(model))
    recs = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines() if l.strip()]
    # CIFAR-10 has 50,000 training images; data.val_images of them are held out for validation.
    train_images = cfg["train"].get("train_subset") or 50000 - cfg["data"]["val_images"]
    row = {"run": run.name, "description": cfg.get("description", ""), "weight_bits": bits,
           "exportable": exportable, "epochs": len(recs), "planned": cfg["train"]["epochs"],
           "train_images": train_images,
           "val_acc": ck["best"]["val_acc"], "best_epoch": ck["best"]["epoch"],
           "macs": model.macs(), "wbits": [l.spec.wbits for l in model.layers],
           "abits": [l.spec.abits for l in model.layers]}
    if test:
        x, y = D.load_split("test", data_override, cfg["data"]["source"])
        preds = []
        with torch.no_grad():
            for i in range(0, len(x), 500):
                preds.append(argmax_lowest(model(torch.from_numpy(x[i:i + 500]))))
        row["test_acc"] = float((torch.cat(preds).numpy() == y).mean()) * 100
    return row


def markdown(rows: list[dict]) -> str:
    out = ["| run | weights W (per conv layer) | acts A | weight bits | M MACs | epochs × train images | best val % | test % (JPEG q75) | notes |",
           "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        test = f"{r['test_acc']:.2f}" if "test_acc" in r else "–"
        out.append(f"| {r['run']} | {'/'.join(map(str, r['wbits']))} | {'/'.join(map(str, r['abits']))} | "
                   f"{r['weight_bits']:,} | {r['macs'] / 1e6:.1f} | {r['epochs']}/{r['planned']} × {r['train_images']:,} | "
                   f"{r['val_acc']:.2f} (ep {r['best_epoch']}) | {test} | "
                   f"{'' if r['exportable'] else 'not exportable (float BN); '}{r['description']} |")
    return "\n".join(out) + "\n"


def _clusters(xs: list[float], width: float) -> list[list[int]]:
    """Indices of xs grouped so that neighbours (in sorted order) closer than width share a group."""
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    groups: list[list[int]] = []
    for i in order:
        if groups and xs[i] - xs[groups[-1][-1]] < width:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def spread_labels(ys: list[float], gap: float) -> list[float]:
    """Label heights for points at heights ys: in the same order as ys, at least gap apart, and
    centred on the points (the mean displacement is zero)."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    out = list(ys)
    for prev, cur in zip(order, order[1:]):
        out[cur] = max(out[cur], out[prev] + gap)
    shift = sum(o - y for o, y in zip(out, ys)) / max(1, len(ys))
    return [o - shift for o in out]


def plot(rows: list[dict], path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5))
    key = "test_acc" if all("test_acc" in r for r in rows) else "val_acc"
    xs = [r["weight_bits"] / 1e6 for r in rows]
    ys = [r[key] for r in rows]
    for r, x, y in zip(rows, xs, ys):
        ax.scatter(x, y, marker="o" if r["exportable"] else "x")
    # Runs at about the same memory (the 1 Mbit variants) get their labels in a column to the left,
    # spread apart vertically with a leader line to each point; lone points are labelled beside them.
    gap = 0.045 * (max(ys) - min(ys) + 1.0)
    for members in _clusters(xs, 0.1):
        names = [rows[i]["run"].replace("ablation-", "") for i in members]
        if len(members) == 1:
            ax.annotate(names[0], (xs[members[0]], ys[members[0]]), fontsize=8, xytext=(4, 2),
                        textcoords="offset points")
            continue
        lx = min(xs[i] for i in members) - 0.04
        for i, name, ly in zip(members, names, spread_labels([ys[i] for i in members], gap)):
            ax.annotate(name, (xs[i], ys[i]), xytext=(lx, ly), fontsize=8, ha="right", va="center",
                        arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "gray"})
    ax.axvline(1.048576, color="gray", ls="--", lw=0.8)
    ax.set_xlabel("weight memory (Mbit: weights + biases + shifts)")
    ax.set_ylabel("accuracy % (" + ("CIFAR-10 test, JPEG q75 copy" if key == "test_acc" else "validation") + ")")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Ablation table and accuracy-vs-memory plot from run directories")
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--test", action="store_true", help="also measure test accuracy of each best.pt")
    ap.add_argument("--data")
    ap.add_argument("--markdown", help="write the table here (default: stdout)")
    ap.add_argument("--json", help="write the rows as JSON")
    ap.add_argument("--plot", help="write the PNG plot here")
    a = ap.parse_args(argv)
    torch.set_num_threads(2)
    rows = [r for r in (run_row(Path(p), a.test, a.data) for p in a.runs) if r]
    md = markdown(rows)
    if a.markdown:
        Path(a.markdown).write_text(md)
    print(md)
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=2) + "\n")
    if a.plot and rows:
        plot(rows, a.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
