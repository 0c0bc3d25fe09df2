#!/usr/bin/env python3
"""Pack training runs into one small archive each (used by scripts/device-train.sh).

    device_pack.py OUT_DIR RUN_DIR...

For every RUN_DIR writes OUT_DIR/<name>.tgz holding its logs (train.log, metrics.jsonl,
config.json, summary.json, and RUN_DIR.stdout beside the folder when present) and its best.pt
without the optimizer state and the EMA copy (what export, evaluation and the fault sweep read:
the chosen weights, config, step/epoch and scores).  A run with no best.pt yet is packed with its
logs only.  Each archive is written under a temporary name beside the run folder (not in OUT_DIR,
whose every file may be collected) and then moved, so OUT_DIR never holds half an archive.  Safe to call while the runs are
still training: the trainers replace best.pt atomically.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import tarfile
import time
from pathlib import Path

LOGS = ("train.log", "metrics.jsonl", "config.json", "summary.json")


def pack(run: Path, out: Path) -> str:
    dst = out / f"{run.name}.tgz"
    tmp = run.parent / f".{run.name}.{os.getpid()}.tgz.tmp"
    try:
        note = _write(run, tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if note is None:   # best.pt unreadable (truncated?): keep the previous archive
        tmp.unlink(missing_ok=True)
        return f"{run.name}: best.pt unreadable right now; not packed this time"
    shutil.move(str(tmp), str(dst))     # a rename where both are on one file system
    return f"{run.name}: {note} -> {dst} ({dst.stat().st_size / 1e6:.1f} MB)"


def _write(run: Path, tmp: Path) -> str | None:
    import torch

    note = "logs only"
    with tarfile.open(tmp, "w:gz") as tar:
        for name in LOGS:
            if (run / name).is_file():
                tar.add(run / name, arcname=f"{run.name}/{name}")
        stdout = run.parent / f"{run.name}.stdout"
        if stdout.is_file():
            tar.add(stdout, arcname=f"{run.name}/stdout.txt")
        best = run / "best.pt"
        if best.is_file():
            try:
                ck = torch.load(best, map_location="cpu", weights_only=False)
            except Exception:
                return None
            for k in ("optimizer", "ema"):
                ck.pop(k, None)
            buf = io.BytesIO()
            torch.save(ck, buf)
            info = tarfile.TarInfo(f"{run.name}/best.pt")
            info.size = buf.tell()
            info.mtime = int(time.time())
            buf.seek(0)
            tar.addfile(info, buf)
            where = f"epoch {ck['epoch'] + 1}" if "epoch" in ck else f"step {ck.get('step')}"
            note = f"best.pt at {where} (validation {ck.get('val_acc', ck.get('val_psnr'))})"
    return note


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    rc = 0
    for r in argv[1:]:
        run = Path(r)
        if not run.is_dir():
            print(f"device_pack: {run}: no such run folder", file=sys.stderr)
            rc = 1
            continue
        print("device_pack:", pack(run, out), flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
