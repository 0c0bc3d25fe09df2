"""Integer-only inference of an ``.enet`` network with NumPy (docs/numerics.md).

This is the training flow's independent implementation of the integer contract (the third one,
next to the C++ golden model and the VP).  It reads the network file with :mod:`encvp_train.enet`
and evaluates, per conv layer::

    acc = conv(in, w)                          int64, exact
    t   = sat24(acc + bias)
    y   = clamp((t + r) >> S, 0, 2^A - 1)      r = 2^(S-1) if S > 0 else 0, arithmetic shift
    y   = maxpool2x2(y)                        if pool

and for the fc head ``logit = sat24(w @ sum_pool(a) + bias)``, class = lowest index of the maximum.

Engines: ``int`` does the products and sums in ``int64`` (the reference, ~0.5 GMAC/s on this CPU);
``f64`` does the matrix products in float64 through BLAS, exact because every operand and partial
sum is an integer of magnitude < 2^53 (the contract bounds them by 2^23), then converts back to
int64 before the normalization.  Both must give identical results (tested).

    PYTHONPATH=sw/train /usr/bin/python3 -m encvp_train.integer NET.enet [--data DIR] [--limit N]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from .enet import read_enet

ACC_MIN, ACC_MAX = -(1 << 23), (1 << 23) - 1


class Saturation(RuntimeWarning):
    pass


def sat24(x: np.ndarray, flags: dict | None = None, where: str = "") -> np.ndarray:
    """Saturate to the signed 24-bit accumulator range; records ACC_SAT in ``flags``."""
    if flags is not None and ((x < ACC_MIN) | (x > ACC_MAX)).any():
        flags.setdefault("acc_sat", []).append(where)
    return np.clip(x, ACC_MIN, ACC_MAX)


def _matmul(a: np.ndarray, b: np.ndarray, engine: str) -> np.ndarray:
    if engine == "int":
        return a.astype(np.int64) @ b.astype(np.int64)
    if engine == "f64":
        return np.rint(a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)
    raise ValueError(f"unknown engine {engine!r}")


def conv_int(x: np.ndarray, w: np.ndarray, stride: int, padding: int, groups: int,
             engine: str = "int") -> np.ndarray:
    """Exact integer convolution. x: [N, Ci, H, W] ints, w: [Co, Ci/g, k, k] ints -> [N, Co, Ho, Wo] int64."""
    n, ci, h, wd = x.shape
    co, cig, k, _ = w.shape
    ho = (h + 2 * padding - k) // stride + 1
    wo = (wd + 2 * padding - k) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out = np.empty((n, co, ho, wo), dtype=np.int64)
    cog = co // groups
    for g in range(groups):
        xg = xp[:, g * cig:(g + 1) * cig]
        # im2col: [N, Ho, Wo, Ci/g, k, k] -> [N*Ho*Wo, Ci/g*k*k]
        cols = np.empty((n, ho, wo, cig, k, k), dtype=x.dtype)
        for ky in range(k):
            for kx in range(k):
                patch = xg[:, :, ky:ky + stride * (ho - 1) + 1:stride, kx:kx + stride * (wo - 1) + 1:stride]
                cols[..., ky, kx] = patch.transpose(0, 2, 3, 1)
        wg = w[g * cog:(g + 1) * cog].reshape(cog, -1)
        res = _matmul(cols.reshape(n * ho * wo, -1), wg.T, engine)
        out[:, g * cog:(g + 1) * cog] = res.reshape(n, ho, wo, cog).transpose(0, 3, 1, 2)
    return out


def run_layers(net: dict, x: np.ndarray, engine: str = "int", flags: dict | None = None,
               return_all: bool = False):
    """Run a decoded network (:func:`encvp_train.enet.read_enet`) on pixels ``x`` [N, C, H, W] (0..255).

    Returns integer logits [N, classes] (classify) or the last layer's codes (compress); with
    ``return_all`` also the list of every layer's output.
    """
    a = np.asarray(x, dtype=np.int64)
    if a.ndim != 4 or a.min() < 0 or a.max() > 255:
        raise ValueError("input must be [N, C, H, W] 8-bit pixels")
    outs = []
    for L in net["layers"]:
        s = L["spec"]
        if s["type"] == "conv":
            acc = conv_int(a, L["weights"], s["stride"], s["padding"], s["groups"], engine)
            t = sat24(acc + L["bias"][None, :, None, None], flags, s["name"])
            S = s["shift"]
            r = (1 << (S - 1)) if S > 0 else 0
            y = np.clip((t + r) >> S, 0, (1 << s["act_bits"]) - 1)
            if s["pool"]:
                n, c, h, w = y.shape
                h2, w2 = h // 2, w // 2
                y = y[:, :, :2 * h2, :2 * w2].reshape(n, c, h2, 2, w2, 2).max(axis=(3, 5))
            a = y
        else:
            sums = a.sum(axis=(2, 3))
            a = sat24(_matmul(sums, L["weights"].T, engine) + L["bias"][None, :], flags, s["name"])
        outs.append(a)
    return (a, outs) if return_all else a


def classify(logits: np.ndarray) -> np.ndarray:
    """argmax with ties to the lowest class index (np.argmax returns the first maximum)."""
    return np.argmax(logits, axis=1)


def infer(path, x: np.ndarray, engine: str = "int", batch: int = 250) -> np.ndarray:
    """Integer logits of the network file ``path`` on pixels ``x``."""
    net = read_enet(path)
    return np.concatenate([run_layers(net, x[i:i + batch], engine) for i in range(0, len(x), batch)])


def main(argv=None) -> int:
    from . import data as D

    ap = argparse.ArgumentParser(description="Integer-only accuracy of an .enet on the CIFAR-10 test split")
    ap.add_argument("enet")
    ap.add_argument("--data", help="shared data directory")
    ap.add_argument("--source", default="jpeg", help="jpeg | bin:<cifar-10-batches-bin dir>")
    ap.add_argument("--split", default="test")
    ap.add_argument("--engine", default="f64", choices=["int", "f64"])
    ap.add_argument("--limit", type=int, default=0, help="only a fixed random subset of N images (0 = all)")
    ap.add_argument("--save-logits", help="write the integer logits to this .npy file")
    a = ap.parse_args(argv)
    net = read_enet(a.enet)
    x, y = D.load_split(a.split, a.data, a.source)
    if a.limit:  # a fixed random subset: the files are sorted by class
        keep = np.sort(np.random.default_rng(0).permutation(len(y))[: a.limit])
        x, y = x[keep], y[keep]
    t0 = time.time()
    flags: dict = {}
    logits = np.concatenate([run_layers(net, x[i:i + 250], a.engine, flags) for i in range(0, len(x), 250)])
    acc = float((classify(logits) == y).mean()) * 100
    print(f"{a.enet}: {acc:.2f}% on {len(y)} {a.split} images ({a.source}), integer engine {a.engine}, "
          f"{time.time() - t0:.0f}s{'; ACC_SAT in ' + str(flags['acc_sat']) if flags else ''}")
    if a.save_logits:
        np.save(a.save_logits, logits)
    return 0


if __name__ == "__main__":
    sys.exit(main())
