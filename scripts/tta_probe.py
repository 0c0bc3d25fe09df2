#!/usr/bin/python3
"""What would test-time augmentation buy the shipped classifier?  (A probe, not a platform feature.)

Runs the integers of an ``.enet`` (PyTorch layers rebuilt from the file, the same model
``tests/bench/classify_bench.py`` checks against ``integer.py``) on the held-out validation split
of the CIFAR-10 training images (never the test split) and prints the accuracy of one pass, of the
image plus its mirror (2 passes, logits summed), and of the mirror pair at the centre and at four
one-pixel diagonal shifts with zero fill (10 passes).

    /usr/bin/python3 scripts/tta_probe.py [--network configs/networks/cifar10-1mb.enet] [--data ../shared/data]
"""

import argparse
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "sw", "train"))
sys.path.insert(0, os.path.join(ROOT, "tests", "bench"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--network", default=os.path.join(ROOT, "configs", "networks", "cifar10-1mb.enet"))
    ap.add_argument("--data", default=None, help="shared data directory (default $ENCVP_DATA or ../shared/data)")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    import torch
    import torch.nn.functional as F
    from classify_bench import torch_model
    from encvp_train.data import load_split, train_val_split

    torch.set_num_threads(a.threads)
    model, _ = torch_model(a.network, None)
    x, y = load_split("train", a.data, verbose=False)
    _, val = train_val_split(len(x))
    xv = torch.from_numpy(np.ascontiguousarray(x[val]))
    if xv.shape[-1] == 3:
        xv = xv.permute(0, 3, 1, 2)
    yv = torch.from_numpy(y[val]).long()

    def logits(batch):
        with torch.no_grad():
            return torch.cat([model(batch[i:i + 250]) for i in range(0, len(batch), 250)])

    def shifted(batch, dy, dx):
        p = F.pad(batch, (1, 1, 1, 1))
        return p[:, :, 1 + dy:1 + dy + batch.shape[2], 1 + dx:1 + dx + batch.shape[3]]

    def acc(lg):
        return 100.0 * float((lg.argmax(1) == yv).float().mean())

    one = logits(xv)
    pair = one + logits(xv.flip(3))
    ten = pair.clone()
    for dy, dx in ((1, 1), (-1, -1), (1, -1), (-1, 1)):
        s = shifted(xv, dy, dx)
        ten += logits(s) + logits(s.flip(3))
    print(f"{os.path.relpath(a.network, ROOT)} on {len(val)} validation images (held out of the training split)")
    print(f"  1 pass                          {acc(one):.2f} %")
    print(f"  + mirror (2 passes)             {acc(pair):.2f} %")
    print(f"  + mirror x 4 shifts (10 passes) {acc(ten):.2f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
