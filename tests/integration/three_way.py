#!/usr/bin/python3
"""Three implementations agree bit for bit on real images: the training flow's integer-only
inference (sw/train/encvp_train/integer.py), the golden model and the virtual platform.

For every classification network in configs/networks/, runs `encvp classify --check` (VP == golden,
image by image) on the bundled CIFAR-10 samples, saving the logits, then runs integer.py on the same
decoded pixels and compares every logit.   usage: three_way.py ENCVP SOURCE_DIR
"""
import csv
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image


def main() -> int:
    encvp, src = sys.argv[1], sys.argv[2]
    sys.path.insert(0, os.path.join(src, "sw", "train"))
    from encvp_train import enet, integer  # noqa: E402

    samples = os.path.join(src, "configs", "samples", "cifar10")
    networks = sorted(glob.glob(os.path.join(src, "configs", "networks", "*.enet")))
    checked = 0
    for net_path in networks:
        if enet.read_enet(net_path)["header"]["task"] != "classify":
            continue
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "logits.csv")
            subprocess.run([encvp, "classify", "--network", net_path, "--dataset", samples, "--check",
                            "--save-outputs", out], check=True, stdout=subprocess.DEVNULL)
            with open(out, newline="") as fh:
                rows = list(csv.DictReader(fh))
        ids = [r["id"] for r in rows]
        vp = np.array([[int(r[k]) for k in r if k.startswith("logit")] for r in rows], dtype=np.int64)
        x = np.stack([np.asarray(Image.open(p).convert("RGB"), dtype=np.uint8).transpose(2, 0, 1) for p in ids])
        ref = np.asarray(integer.infer(net_path, x), dtype=np.int64)
        if ref.shape != vp.shape or not np.array_equal(ref, vp):
            bad = int(np.argmax(np.any(ref != vp, axis=1)))
            print(f"FAIL {net_path}: image {ids[bad]}: VP {vp[bad].tolist()} vs integer.py {ref[bad].tolist()}")
            return 1
        print(f"ok   {os.path.basename(net_path)}: {len(ids)} images, VP == golden == integer.py (bit exact)")
        checked += 1
    if checked == 0:
        print("FAIL: no classification network found in configs/networks")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
