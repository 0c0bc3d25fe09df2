#!/usr/bin/python3
"""How well does a rate-trained codec's learned prior (train.rate_lambda) predict the real coder?

Reads a codec checkpoint that holds a rate prior (``runs/<run>/best.pt`` of a run with
``train.rate_lambda`` > 0; the prior is a training aid and is not exported), encodes every image of a
folder with the checkpoint's exact eval encoder, and compares the prior's code length per pixel
with the entropy-coded file rate that ``scripts/eval_compression.py`` measured for the same images
(its ``results.csv``, rows "encvp full-frame" of ``--rate``). The checkpoint's encoder must be the
one the CSV measured (the shipped ``.enet`` exported from it).

    /usr/bin/python3 scripts/rate_prior_check.py --checkpoint runs/cpu18/kodak-050-rd-cpu/best.pt \\
        --rate kodak-050 [--csv docs/compression/results.csv] [--images ../shared/data/kodak]
"""

import argparse
import csv
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "sw", "train"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--rate", required=True, help="the codec's name in the CSV's 'rate' column, e.g. kodak-050")
    ap.add_argument("--csv", default=os.path.join(ROOT, "docs", "compression", "results.csv"))
    ap.add_argument("--images", default=os.path.join(os.environ.get("ENCVP_DATA", os.path.join(ROOT, "..", "shared", "data")), "kodak"))
    a = ap.parse_args()
    import torch
    from PIL import Image
    from encvp_train.codec import pad_to_multiple
    from encvp_train.export_compress import load_codec
    from encvp_train.rate import RatePrior

    torch.set_num_threads(2)
    ck = torch.load(a.checkpoint, map_location="cpu", weights_only=False)
    if "rate_prior" not in ck:
        raise SystemExit(f"error: {a.checkpoint} holds no rate prior (trained without train.rate_lambda)")
    model, _ = load_codec(a.checkpoint)
    tc = ck["config"]["train"]
    prior = RatePrior(model.code_channels, int(tc["rate_width"]), int(tc["rate_kernel"]))
    prior.load_state_dict(ck["rate_prior"])
    real = {r["image"]: float(r["entropy_bpp"]) for r in csv.DictReader(open(a.csv))
            if r["rate"] == a.rate and r["method"] == "encvp full-frame"}
    if not real:
        raise SystemExit(f"error: {a.csv} has no 'encvp full-frame' rows for {a.rate!r}")
    est, got = [], []
    for name in sorted(real):
        path = os.path.join(a.images, name + ".png")
        if not os.path.isfile(path):
            raise SystemExit(f"error: {path}: no such image (the CSV names {name})")
        x = torch.from_numpy(np.asarray(Image.open(path).convert("RGB")).transpose(2, 0, 1).copy())[None]
        with torch.no_grad():
            codes = model.encode(pad_to_multiple(x, model.patch).float())
            est.append(float(prior.bits(codes)[0]) / (x.shape[2] * x.shape[3]))
        got.append(real[name])
    e, r = np.array(est), np.array(got)
    print(f"{len(e)} images: prior {e.mean():.4f} bpp, entropy-coded files {r.mean():.4f} bpp "
          f"(files include the 52-byte header and CRC); prior / file per image {np.min(e / r):.3f}..{np.max(e / r):.3f}, "
          f"correlation {np.corrcoef(e, r)[0, 1]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
