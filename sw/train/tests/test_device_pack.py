"""scripts/device_pack.py: what comes back from a lent GPU machine (logs + best weights, small)."""

import importlib.util
import io
import tarfile
import tempfile
import unittest
from pathlib import Path

import _common  # noqa: F401
import torch

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("device_pack", ROOT / "scripts" / "device_pack.py")
device_pack = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(device_pack)


class TestDevicePack(unittest.TestCase):
    def test_pack_strips_optimizer_and_keeps_logs(self):
        with tempfile.TemporaryDirectory() as d:
            work, out = Path(d) / "work", Path(d) / "out"
            run = work / "net-a"
            run.mkdir(parents=True)
            (run / "train.log").write_text("epoch 1/1: ...\n")
            (run / "metrics.jsonl").write_text('{"epoch": 1}\n')
            (work / "net-a.stdout").write_text("progress\n")
            model = {"w": torch.arange(6.0)}
            torch.save({"model": model, "optimizer": {"state": {0: torch.zeros(1000)}},
                        "ema": {"w": torch.ones(6)}, "epoch": 4, "val_acc": 55.5}, run / "best.pt")
            empty = work / "net-b"          # a run that has not finished an epoch yet
            empty.mkdir()
            (empty / "train.log").write_text("started\n")
            self.assertEqual(device_pack.main([str(out), str(run), str(empty)]), 0)
            self.assertEqual(sorted(p.name for p in out.iterdir()), ["net-a.tgz", "net-b.tgz"])
            self.assertEqual([p.name for p in work.iterdir() if p.name.endswith(".tmp")], [])
            with tarfile.open(out / "net-a.tgz") as tar:
                names = sorted(tar.getnames())
                self.assertEqual(names, ["net-a/best.pt", "net-a/metrics.jsonl", "net-a/stdout.txt",
                                         "net-a/train.log"])
                ck = torch.load(io.BytesIO(tar.extractfile("net-a/best.pt").read()), weights_only=False)
                self.assertEqual(tar.extractfile("net-a/stdout.txt").read(), b"progress\n")
            self.assertNotIn("optimizer", ck)
            self.assertNotIn("ema", ck)
            self.assertTrue(torch.equal(ck["model"]["w"], model["w"]))
            self.assertEqual((ck["epoch"], ck["val_acc"]), (4, 55.5))
            with tarfile.open(out / "net-b.tgz") as tar:
                self.assertEqual(tar.getnames(), ["net-b/train.log"])

    def test_unreadable_best_keeps_previous_archive(self):
        with tempfile.TemporaryDirectory() as d:
            run, out = Path(d) / "run", Path(d) / "out"
            run.mkdir()
            out.mkdir()
            (run / "best.pt").write_bytes(b"truncated")
            (out / "run.tgz").write_bytes(b"previous")
            self.assertIn("not packed", device_pack.pack(run, out))
            self.assertEqual((out / "run.tgz").read_bytes(), b"previous")
            self.assertEqual(sorted(p.name for p in Path(d).iterdir()), ["out", "run"])   # no temp left
            self.assertEqual(device_pack.main([str(out), str(Path(d) / "missing")]), 1)


if __name__ == "__main__":
    unittest.main()
