"""Export a trained checkpoint to an ``.enet`` network file.

    PYTHONPATH=sw/train /usr/bin/python3 -m encvp_train.export \\
        --checkpoint runs/cifar10-1mb/best.pt -o configs/networks/cifar10-1mb.enet

The integers written are exactly those the eval-mode PyTorch model computes with
(``EncoderNet.integer_params``).  Before writing, the export checks the weight budget
(docs/numerics.md section 5) and the static accumulator bound of section 3; after writing, it reads
the file back and verifies that :mod:`encvp_train.integer` and the PyTorch eval model give identical
logits on validation images (``--verify N``, default 200).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
from pathlib import Path

import numpy as np
import torch

from . import TOOL_NAME
from . import data as D
from .budget import DEFAULT_BUDGET, budget_rows, format_budget, total_bits
from .enet import bits_for_signed, read_enet, write_enet
from .model import EncoderNet

ACC_LIMIT = 1 << 23


def load_checkpoint(path) -> tuple[EncoderNet, dict]:
    ck = torch.load(path, map_location="cpu", weights_only=False)
    model = EncoderNet(ck["config"]["model"])
    model.load_state_dict(ck["model"])
    model.eval()
    return model, ck


def network_layers(model: EncoderNet) -> list[dict]:
    """The layer list for :func:`encvp_train.enet.write_enet`, with accumulator-bound checks."""
    layers = []
    max_in, (c, h, w) = 255, model.input_shape
    for l, p, (co, ho, wo) in zip(model.layers, model.integer_params(), model.shapes):
        s = l.spec
        codes = p["codes"].numpy()
        bias = p["bias"].numpy()
        fan_in = (c // s.groups) * s.kernel ** 2
        bound = fan_in * int(np.abs(codes).max(initial=0)) * max_in + int(np.abs(bias).max(initial=0))
        if bound >= ACC_LIMIT:
            raise ValueError(f"{s.name}: accumulator bound {bound} >= 2^23 (numerics section 3)")
        layers.append({"type": "conv", "name": s.name, "out_channels": s.out, "kernel": s.kernel,
                       "stride": s.stride, "padding": s.padding, "groups": s.groups,
                       "weight_bits": s.wbits, "act_bits": s.abits, "shift": p["shift"], "pool": s.pool,
                       "weights_values": codes, "bias_values": bias})
        max_in, c, h, w = 2 ** s.abits - 1, co, ho, wo
    if model.head is not None:
        p = model.integer_params()[-1]
        codes, bias = p["codes"].numpy(), p["bias"].numpy()
        bound = c * h * w * int(np.abs(codes).max(initial=0)) * max_in + int(np.abs(bias).max(initial=0))
        if bound >= ACC_LIMIT:
            raise ValueError(f"fc: accumulator bound {bound} >= 2^23 (numerics section 3)")
        layers.append({"type": "fc", "name": "fc", "out_features": model.head.classes,
                       "weight_bits": model.head.wbits, "weights_values": codes, "bias_values": bias})
    return layers


def export(checkpoint, output, name: str | None = None, budget: int = DEFAULT_BUDGET,
           verify: int = 200, data_override=None, allow_over_budget: bool = False) -> dict:
    model, ck = load_checkpoint(checkpoint)
    cfg = ck["config"]
    layers = network_layers(model)
    bias_bits = [bits_for_signed(l["bias_values"]) for l in layers]
    rows = budget_rows(model, bias_bits)
    print(format_budget(rows, budget, title=f"budget of {checkpoint} (exact bias widths):"))
    bits = total_bits(rows)
    if bits > budget and not allow_over_budget:
        raise SystemExit(f"error: {bits} weight bits exceed the budget of {budget}")
    task = "classify" if model.head is not None else "compress"
    prov = {"tool": TOOL_NAME,
            "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "checkpoint": str(checkpoint), "checkpoint_created": ck.get("created"),
            "git_commit": ck.get("git_commit"), "torch": ck.get("torch"),
            "seed": cfg["seed"], "epochs_trained": ck["epoch"] + 1, "epochs_planned": cfg["train"]["epochs"],
            "val_acc": ck.get("val_acc"), "val_images": cfg["data"]["val_images"],
            "val_set": f"seeded hold-out of the CIFAR-10 JPEG q75 train split (seed {cfg['data']['val_seed']})",
            "weight_bits_total": bits, "config": cfg}
    data = write_enet(output, name=name or cfg["name"], task=task, input_shape=model.input_shape,
                      layers=layers, classes=D.CLASSES[: model.head.classes] if model.head else None,
                      provenance=prov)
    print(f"wrote {output}: {len(data)} bytes, {bits} weight bits")
    if verify:
        verify_against_model(model, output, verify, data_override, cfg)
    return {"bytes": len(data), "weight_bits": bits}


def verify_against_model(model: EncoderNet, enet_path, n: int, data_override=None, cfg=None) -> None:
    """PyTorch eval model and integer.py must give identical logits on ``n`` validation images."""
    from .integer import run_layers
    x, _ = D.load_split("train", data_override, (cfg or {}).get("data", {}).get("source", "jpeg"))
    _, va = D.train_val_split(len(x), (cfg or {}).get("data", {}).get("val_images", 5000),
                              (cfg or {}).get("data", {}).get("val_seed", 20220801))
    xs = x[va[np.random.default_rng(0).permutation(len(va))[:n]]]
    net = read_enet(enet_path)
    with torch.no_grad():
        ref = model.eval()(torch.from_numpy(xs)).double().numpy()
    got = run_layers(net, xs, "f64")
    if not np.array_equal(ref.astype(np.int64), got) or not np.array_equal(ref, np.rint(ref)):
        bad = int((ref.astype(np.int64) != got).any(axis=1).sum())
        raise SystemExit(f"error: integer.py and the PyTorch eval model disagree on {bad}/{n} images")
    print(f"verified: integer.py == PyTorch eval model (identical integer logits) on {n} validation images")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Export a checkpoint to an .enet network file")
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--name", help="network name (default: the config's name)")
    ap.add_argument("--budget", type=int, default=DEFAULT_BUDGET, help="weight-bit budget (default 1 Mbit)")
    ap.add_argument("--allow-over-budget", action="store_true")
    ap.add_argument("--verify", type=int, default=200, help="validation images for the self-check (0: skip)")
    ap.add_argument("--data", help="shared data directory")
    a = ap.parse_args(argv)
    torch.set_num_threads(2)
    export(a.checkpoint, a.output, a.name, a.budget, a.verify, a.data, a.allow_over_budget)
    return 0


if __name__ == "__main__":
    sys.exit(main())
