"""A tiny CPU training on a small subset runs end to end (train, resume, export, verify) in < 1 minute."""

import json
import math
import tempfile
import time
import unittest
from pathlib import Path

import _common
import numpy as np
import torch

from encvp_train.config import ConfigError, normalize
from encvp_train.enet import read_enet
from encvp_train.evaluate import main as evaluate_main
from encvp_train.export import export
from encvp_train.integer import run_layers
from encvp_train.report import markdown, run_row
from encvp_train.model import EncoderNet
from encvp_train.train import ema_update, fit_epochs, train

CFG = {
    "name": "smoke",
    "seed": 3,
    "model": {"layers": [{"out": 8, "wbits": 3, "abits": 3, "pool": True},
                         {"out": 16, "wbits": 2, "abits": 2, "pool": True},
                         {"out": 16, "wbits": 1, "abits": 3, "pool": True}],
              "head": {"classes": 10, "wbits": 2}},
    "train": {"epochs": 2, "batch_size": 64, "train_subset": 1024, "val_subset": 256, "calib_images": 128,
              "bf16": False, "channels_last": False},
}


def smoke_cfg(**train_overrides) -> dict:
    cfg = normalize(json.loads(json.dumps(CFG)))
    cfg["train"].update(train_overrides)
    return cfg


@unittest.skipUnless(_common.jpeg_available(), _common.SKIP_NO_DATA)
class TestTrainSmoke(unittest.TestCase):
    def test_train_resume_export(self):
        t0 = time.time()
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / "run"
            cfg = smoke_cfg()
            train(cfg, out, max_epochs=1)              # stop after epoch 1 ...
            self.assertTrue((out / "last.pt").is_file())
            s = train(cfg, out, resume=True)           # ... and resume for epoch 2
            recs = [json.loads(l) for l in (out / "metrics.jsonl").read_text().splitlines()]
            self.assertEqual([r["epoch"] for r in recs], [1, 2])
            self.assertIn("resumed", (out / "train.log").read_text())
            self.assertGreater(s["best"]["val_acc"], 10.0)   # better than chance after 2 short epochs
            row = run_row(out, test=False)                # the ablation report's view of the run
            self.assertEqual((row["epochs"], row["planned"], row["train_images"]), (2, 2, 1024))
            self.assertEqual(row["val_acc"], s["best"]["val_acc"])
            self.assertIn("| 2/2 × 1,024 |", markdown([row]))
            enet_path = Path(d) / "smoke.enet"
            info = export(out / "best.pt", enet_path, verify=32)
            self.assertLess(info["weight_bits"], 1 << 20)
            net = read_enet(enet_path)
            prov = net["header"]["provenance"]
            self.assertEqual(prov["seed"], 3)
            self.assertIn("val_acc", prov)
            x = np.random.default_rng(0).integers(0, 256, (4, 3, 32, 32), dtype=np.uint8)
            self.assertEqual(run_layers(net, x).shape, (4, 10))
        self.assertLess(time.time() - t0, 60, "smoke training took more than a minute")

    def test_time_budget_shortens_the_schedule(self):
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / "run"
            cfg = smoke_cfg(epochs=40)
            s = train(cfg, out, time_budget=1e-3)     # the first epoch alone is over budget
            self.assertEqual(s["epochs_done"], 1)
            self.assertIn("(epoch 1) -> schedule set to 1 epochs", (out / "train.log").read_text())
            recs = [json.loads(l) for l in (out / "metrics.jsonl").read_text().splitlines()]
            self.assertEqual(len(recs), 1)
            self.assertIn("val_acc", recs[0])              # the last epoch of a schedule is evaluated

    def test_weight_ema(self):
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / "run"
            cfg = smoke_cfg(ema_decay=0.9)
            train(cfg, out, max_epochs=1)
            self.assertIn("ema", torch.load(out / "last.pt", weights_only=False))
            s = train(cfg, out, resume=True)
            log = (out / "train.log").read_text()
            self.assertIn("weight EMA, decay 0.9 per step (starts at these weights)", log)
            self.assertIn("weight EMA, decay 0.9 per step (resumed)", log)
            recs = [json.loads(l) for l in (out / "metrics.jsonl").read_text().splitlines()]
            self.assertTrue(all("val_acc_ema" in r for r in recs))
            cands = [(r[k], r["epoch"], w) for r in recs for k, w in (("val_acc", "raw"), ("val_acc_ema", "ema"))]
            top = max(c[0] for c in cands)
            self.assertEqual(s["best"]["val_acc"], top)
            best = torch.load(out / "best.pt", weights_only=False)
            self.assertEqual(best["val_acc"], top)
            self.assertIn((top, s["best"]["epoch"], best["weights"]), cands)
            self.assertLess(export(out / "best.pt", Path(d) / "ema.enet", verify=32)["weight_bits"], 1 << 20)

    def test_freeze_shifts(self):
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / "run"
            cfg = smoke_cfg(freeze_shifts_from=2)
            train(cfg, out, max_epochs=1)
            ck1 = torch.load(out / "last.pt", weights_only=False)["model"]
            train(cfg, out, resume=True)
            ck2 = torch.load(out / "last.pt", weights_only=False)["model"]
            keys = [k for k in ck2 if k.endswith("log2_scale")]
            self.assertEqual(len(keys), 3)
            for k in keys:
                v1, v2 = float(ck1[k]), float(ck2[k])
                self.assertEqual(v2, float(math.floor(v1 + 0.5)), k)   # frozen at epoch 1's integer shift
            log = (out / "train.log").read_text()
            self.assertIn("epoch 2: shifts frozen (no longer learned): conv1:S=", log)

    def test_float_teacher_and_distillation(self):
        with tempfile.TemporaryDirectory() as d:
            tout = Path(d) / "teacher"
            tcfg = smoke_cfg(epochs=1, float_epochs=1, label_smoothing=0.0)
            tcfg["model"]["norm"] = "bn"
            s = train(tcfg, tout)
            # a run that is float throughout keeps its best float epoch (a quantized run never does)
            self.assertEqual(s["best"]["epoch"], 1)
            tck = torch.load(tout / "best.pt", weights_only=False)
            self.assertEqual(tuple(tck["quant"]), (False, False))
            with self.assertRaises(RuntimeError):          # float BN: a teacher, never a chip network
                export(tout / "best.pt", Path(d) / "t.enet", verify=0)
            losses = {}
            float_t, quant_t = str(tout / "best.pt"), str(Path(d) / "plain" / "best.pt")
            for name, extra in (("plain", {}), ("kd", {"teacher": float_t, "kd_alpha": 0.7}),
                                ("kd2", {"teacher": [float_t, quant_t], "kd_alpha": 0.7})):
                out = Path(d) / name
                train(smoke_cfg(epochs=1, **extra), out)
                losses[name] = json.loads((out / "metrics.jsonl").read_text().splitlines()[0])["train_loss"]
            log = (Path(d) / "kd" / "train.log").read_text()
            self.assertIn(f"distillation: teacher {float_t} (validation {tck['val_acc']:.2f}%), "
                          "kd_alpha 0.7, kd_temperature 4.0", log)
            log2 = (Path(d) / "kd2" / "train.log").read_text()
            self.assertIn(f"distillation: teacher {quant_t} (validation", log2)
            self.assertIn("the target is the mean of the 2 teachers' softened probabilities", log2)
            # same seed and data order: only the teacher term can change the training loss
            self.assertNotAlmostEqual(losses["plain"], losses["kd"], places=3)
            self.assertNotAlmostEqual(losses["kd"], losses["kd2"], places=3)
            # the target's accuracy: each member and the mean of their probabilities
            js = Path(d) / "ens.json"
            self.assertEqual(evaluate_main(["--split", "val", "--limit", "300", "--ensemble", float_t, quant_t,
                                            "--json", str(js)]), 0)
            ens = json.loads(js.read_text())["ensemble"]
            self.assertEqual([m["path"] for m in ens["members"]], [float_t, quant_t])
            self.assertTrue(all(0 <= m["accuracy"] <= 100 for m in ens["members"]) and 0 <= ens["accuracy"] <= 100)
            self.assertEqual(evaluate_main(["--split", "val", "--limit", "300", "--ensemble", quant_t, quant_t,
                                            "--json", str(js)]), 0)
            ens = json.loads(js.read_text())["ensemble"]
            self.assertEqual(ens["accuracy"], ens["members"][0]["accuracy"])   # a checkpoint with itself
            with self.assertRaisesRegex(ValueError, "train.teacher: .*nope.pt.* is not a checkpoint file"):
                train(smoke_cfg(epochs=1, teacher=[float_t, str(Path(d) / "nope.pt")]), Path(d) / "bad")
            with self.assertRaisesRegex(ValueError, "train.teacher: 5 is not a checkpoint file"):
                train(smoke_cfg(epochs=1, teacher=5), Path(d) / "bad")
            self.assertFalse((Path(d) / "bad").exists())       # refused before anything was written


    def test_init_from(self):
        with tempfile.TemporaryDirectory() as d:
            src = Path(d) / "src"
            train(smoke_cfg(epochs=1), src)
            sck = torch.load(src / "best.pt", weights_only=False)
            out = Path(d) / "ft"
            train(smoke_cfg(epochs=1, lr=0.0, warmup_epochs=0, init_from=str(src / "best.pt")), out)
            log = (out / "train.log").read_text()
            self.assertIn(f"init from {src / 'best.pt'} (its validation {sck['val_acc']}%)", log)
            self.assertNotIn("calibrated:", log)
            # lr 0 (and no weight decay): the weights stay the loaded, trained ones (a fresh init with
            # the same seed would hold the source's *initial* weights, which its epoch changed)
            ck = torch.load(out / "last.pt", weights_only=False)
            for k, v in sck["model"].items():
                if k.endswith(("weight", "beta", "log2_scale")):
                    self.assertTrue(torch.equal(ck["model"][k], v), k)
            other = smoke_cfg(epochs=1, init_from=str(src / "best.pt"))
            other["model"]["layers"][1]["out"] = 24
            with self.assertRaisesRegex(ValueError, "train.init_from: .* does not hold this config's layers"):
                train(other, Path(d) / "bad")
            with self.assertRaisesRegex(ValueError, "train.init_from: .*nope.pt.* is not a checkpoint or .enet file"):
                train(smoke_cfg(epochs=1, init_from=str(Path(d) / "nope.pt")), Path(d) / "bad2")
            self.assertFalse((Path(d) / "bad2").exists())


class TestFitEpochs(unittest.TestCase):
    def test_fit(self):
        # 100 s left at 9 s per epoch after 2 done: 11 more; never past the plan, never below done
        self.assertEqual(fit_epochs(2, 300, 100.0, 9.0), 13)
        self.assertEqual(fit_epochs(2, 10, 100.0, 9.0), 10)
        self.assertEqual(fit_epochs(2, 300, -5.0, 9.0), 2)
        # the second fit may lengthen what a slow first epoch shortened (up to the plan)
        first = fit_epochs(1, 300, 380.0, 20.0)
        second = fit_epochs(2, 300, 360.0, 7.0)
        self.assertEqual((first, second), (20, 53))


class TestConfig(unittest.TestCase):
    def test_augment_keys(self):
        def with_train(**t):
            c = json.loads(json.dumps(CFG))
            c["train"].update(t)
            return normalize(c)
        self.assertEqual(with_train(augment={"cutout": 8})["train"]["augment"], {"pad": 4, "flip": True, "cutout": 8})
        with self.assertRaisesRegex(ConfigError, r"train.augment: unknown keys \['cutuot'\]"):
            with_train(augment={"cutuot": 8})
        with self.assertRaisesRegex(ConfigError, "train.augment.cutout: a non-negative integer, not -1"):
            with_train(augment={"cutout": -1})
        with self.assertRaisesRegex(ConfigError, "train.augment.pad: a non-negative integer, not 4.5"):
            with_train(augment={"pad": 4.5})
        with self.assertRaisesRegex(ConfigError, r"train: unknown keys \['teachr'\]"):
            with_train(teachr="x.pt")


class TestEmaUpdate(unittest.TestCase):
    def test_ema_update(self):
        m = EncoderNet(CFG["model"])
        e = EncoderNet(CFG["model"])
        for p in m.parameters():
            torch.nn.init.normal_(p)
        before = {k: v.clone() for k, v in e.state_dict().items()}
        m.layers[0].wq.initialized.fill_(True)
        ema_update(e, m, 0.75)
        for k, v in e.state_dict().items():
            mv = m.state_dict()[k]
            if v.dtype.is_floating_point:
                self.assertTrue(torch.allclose(v, 0.75 * before[k] + 0.25 * mv), k)
            else:
                self.assertTrue(torch.equal(v, mv), k)
        self.assertTrue(bool(e.layers[0].wq.initialized))


if __name__ == "__main__":
    unittest.main()
