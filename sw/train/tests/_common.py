"""Shared helpers for the encvp_train tests (importable because unittest puts this dir on sys.path)."""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))          # sw/train -> import encvp_train

import torch  # noqa: E402

torch.set_num_threads(int(os.environ.get("ENCVP_TEST_THREADS", "2")))

from encvp_train import data as D  # noqa: E402


def jpeg_available() -> bool:
    d = D.data_dir()
    return all((d / p).is_file() for p in D.JPEG_TARS.values())


SKIP_NO_DATA = ("CIFAR-10 JPEG copy not found under "
                f"{D.data_dir()} (set ENCVP_DATA to the shared data directory); skipping")


def tiny_model_cfg(head=True, wbits=(3, 2, 1), abits=(3, 2, 1)):
    layers = [
        {"out": 8, "wbits": wbits[0], "abits": abits[0]},
        {"out": 8, "wbits": wbits[1], "abits": abits[1], "pool": True, "groups": 2},
        {"out": 16, "wbits": wbits[2], "abits": abits[2], "kernel": 5, "stride": 2, "padding": 1},
        {"out": 12, "wbits": 2, "abits": 2, "kernel": 1, "pool": True},
    ]
    cfg = {"layers": layers}
    if head:
        cfg["head"] = {"classes": 10, "wbits": 2}
    return cfg
