"""Accuracy of a checkpoint and/or an ``.enet`` file on CIFAR-10 (test split by default).

    # PyTorch eval model (exact integer path) of a checkpoint
    PYTHONPATH=sw/train /usr/bin/python3 -m encvp_train.evaluate --checkpoint runs/cifar10-1mb/best.pt
    # the exported file through integer.py, and both compared image by image
    PYTHONPATH=sw/train /usr/bin/python3 -m encvp_train.evaluate \\
        --checkpoint runs/cifar10-1mb/best.pt --enet configs/networks/cifar10-1mb.enet --compare

    # a distillation target: the mean softmax of several checkpoints (float or quantized)
    PYTHONPATH=sw/train /usr/bin/python3 -m encvp_train.evaluate --split val \
        --ensemble runs/cifar10-teacher/best.pt runs/cifar10-1mb/best.pt

Reports accuracy on all images of the split and per class.  Report JPEG-copy numbers as
"CIFAR-10 test, JPEG q75 copy".  ``--json FILE`` writes the numbers for docs/results.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from . import data as D


def per_class(pred: np.ndarray, y: np.ndarray) -> list[float]:
    return [float((pred[y == c] == c).mean()) * 100 if (y == c).any() else float("nan") for c in range(10)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Accuracy of a checkpoint / .enet on CIFAR-10")
    ap.add_argument("--checkpoint", help="training checkpoint (.pt): PyTorch eval model")
    ap.add_argument("--enet", help="network file: integer-only NumPy inference")
    ap.add_argument("--compare", action="store_true", help="require identical logits from both")
    ap.add_argument("--ensemble", nargs="+", metavar="CKPT",
                    help="accuracy of each checkpoint and of the mean of their softmax probabilities "
                         "(what train.teacher distills from, at temperature 1)")
    ap.add_argument("--split", default="test", choices=["test", "train", "val"])
    ap.add_argument("--data", help="shared data directory")
    ap.add_argument("--source", default="jpeg", help="jpeg | bin:<cifar-10-batches-bin dir>")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--engine", default="f64", choices=["int", "f64"], help="integer.py engine")
    ap.add_argument("--json", help="write results to this JSON file")
    a = ap.parse_args(argv)
    if not (a.checkpoint or a.enet or a.ensemble):
        ap.error("give --checkpoint and/or --enet, or --ensemble")
    for p in a.ensemble or []:
        if not Path(p).is_file():
            ap.error(f"--ensemble: no checkpoint {p}")
    torch.set_num_threads(2)
    if a.split == "val":
        x, y = D.load_split("train", a.data, a.source)
        _, va = D.train_val_split(len(y))
        x, y = x[va], y[va]
    else:
        x, y = D.load_split(a.split, a.data, a.source)
    if a.limit:  # a fixed random subset: the files are sorted by class
        keep = np.sort(np.random.default_rng(0).permutation(len(y))[: a.limit])
        x, y = x[keep], y[keep]
    label = "CIFAR-10 test, JPEG q75 copy" if (a.source == "jpeg" and a.split == "test") else f"{a.split} ({a.source})"
    res = {"images": int(len(y)), "set": label}
    logits = {}
    if a.checkpoint:
        from .export import load_checkpoint
        from .model import argmax_lowest
        model, ck = load_checkpoint(a.checkpoint)
        t0 = time.time()
        outs = []
        with torch.no_grad():
            for i in range(0, len(x), 500):
                outs.append(model(torch.from_numpy(x[i:i + 500])).double())
        lg = torch.cat(outs)
        pred = argmax_lowest(lg).numpy()
        logits["torch"] = lg.numpy()
        acc = float((pred == y).mean()) * 100
        res["checkpoint"] = {"path": a.checkpoint, "epoch": ck["epoch"] + 1, "accuracy": acc,
                             "per_class": per_class(pred, y), "exact": model.exact}
        print(f"{a.checkpoint} (epoch {ck['epoch'] + 1}, PyTorch {'exact integer' if model.exact else 'float'} "
              f"eval): {acc:.2f}% on {len(y)} images, {label} [{time.time() - t0:.0f}s]")
    if a.enet:
        from .enet import read_enet
        from .integer import classify, run_layers
        net = read_enet(a.enet)
        t0 = time.time()
        lg = np.concatenate([run_layers(net, x[i:i + 250], a.engine) for i in range(0, len(x), 250)])
        pred = classify(lg)
        logits["integer"] = lg
        acc = float((pred == y).mean()) * 100
        res["enet"] = {"path": a.enet, "accuracy": acc, "per_class": per_class(pred, y)}
        print(f"{a.enet} (integer.py, {a.engine}): {acc:.2f}% on {len(y)} images, {label} [{time.time() - t0:.0f}s]")
    if a.checkpoint or a.enet:
        pc = res.get("enet", res.get("checkpoint"))["per_class"]
        print("per class: " + ", ".join(f"{n} {v:.1f}" for n, v in zip(D.CLASSES, pc)))
    if a.ensemble:
        from .train import load_teacher
        probs, members = [], []
        for p in a.ensemble:
            t = load_teacher(p, torch.device("cpu"))
            with torch.no_grad():
                lg = torch.cat([t(torch.from_numpy(x[i:i + 500])).double() * t.loss_scale().double()
                                for i in range(0, len(x), 500)])
            probs.append(torch.softmax(lg, 1))
            acc = float((lg.argmax(1).numpy() == y).mean()) * 100
            members.append({"path": p, "accuracy": acc})
            print(f"{p}: {acc:.2f}% on {len(y)} images, {label}")
        pred = (sum(probs) / len(probs)).argmax(1).numpy()
        acc = float((pred == y).mean()) * 100
        res["ensemble"] = {"members": members, "accuracy": acc, "per_class": per_class(pred, y)}
        print(f"ensemble of {len(probs)} (mean softmax): {acc:.2f}% on {len(y)} images, {label}")
    if a.compare and len(logits) == 2:
        same = np.array_equal(logits["torch"].astype(np.int64), logits["integer"])
        res["identical_logits"] = bool(same)
        print(f"compare: logits {'IDENTICAL' if same else 'DIFFER'} on {len(y)} images")
        if not same:
            return 1
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
