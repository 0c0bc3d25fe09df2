"""A tiny codec training runs end to end in < 1 minute: data, train, resume, fine-tune another rate,
export to .enet + .edec with self-verification, file-based evaluation, photo sampler."""

import json
import os
import tempfile
import time
import unittest
from pathlib import Path

import _common  # noqa: F401
import _compress_common as CC
import numpy as np
import torch

from encvp_train import photos as P
from encvp_train.config import ConfigError
from encvp_train.edec import read_edec
from encvp_train.enet import read_enet
from encvp_train.eval_compress import FileCodec, ModelCodec, blockiness, evaluate
from encvp_train.export_compress import export
from encvp_train.codec import Codec
from encvp_train.warmstart import load_start
from encvp_train.train_compress import load_config, load_matching, normalize, resize_channels, train

CFG = {
    "name": "tiny-codec",
    "seed": 5,
    "data": {"val_photos": 1, "scales": [1.0, 0.5], "crop": 48, "val_long_side": 96},
    "model": CC.small_model_cfg(4),
    "train": {"steps": 6, "batch_size": 2, "eval_every": 3, "log_every": 1, "warmup_steps": 2,
              "calib_crops": 4, "lr": 1e-3, "encoder_lr": 1e-3},
}


def make_photos(d: Path, n=5, seed=0) -> None:
    """Small JPEG 'photos': crops of the real training photos when present, else synthetic."""
    from PIL import Image
    x, _ = CC.real_or_synthetic(n, 112, 144, seed)
    d.mkdir(parents=True, exist_ok=True)
    for i, a in enumerate(x):
        Image.fromarray(a.transpose(1, 2, 0)).save(d / f"p{i}.jpg", quality=95)


class TestPhotos(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.old = os.environ.get("ENCVP_CACHE")
        os.environ["ENCVP_CACHE"] = str(Path(self.tmp.name) / "cache")
        self.dir = Path(self.tmp.name) / "photos"
        make_photos(self.dir)

    def tearDown(self):
        if self.old is None:
            os.environ.pop("ENCVP_CACHE", None)
        else:
            os.environ["ENCVP_CACHE"] = self.old
        self.tmp.cleanup()

    def test_sampler_split_frames(self):
        files = P.list_photos(self.dir)
        self.assertEqual(len(files), 5)
        tr, va = P.split_photos(files, 2, 7)
        self.assertEqual((len(tr), len(va)), (3, 2))
        self.assertFalse(set(tr) & set(va))
        self.assertEqual(P.split_photos(files, 2, 7), (tr, va))          # fixed by its seed
        s = P.CropSampler(tr, [1.0, 0.5], 32, verbose=False)
        a = s.sample(np.random.default_rng(3), 6)
        b = s.sample(np.random.default_rng(3), 6)
        self.assertEqual(a.shape, (6, 3, 32, 32))
        self.assertEqual(a.dtype, np.uint8)
        self.assertTrue(np.array_equal(a, b))
        self.assertTrue(any(Path(os.environ["ENCVP_CACHE"], "photos").glob("*-s0.500.npy")))   # cached
        fr = P.validation_frames(va, 100, verbose=False)
        self.assertEqual(max(fr[0].shape[1:]), 100)
        self.assertEqual(fr[0].shape[0], 3)
        with self.assertRaises(P.DataError):
            P.CropSampler(tr, [1.0], 1000, verbose=False)

    def test_dihedral_augmentation(self):
        # all 8 flips/rotations occur, and each crop is one of them applied to a photo window
        files = P.list_photos(self.dir)
        s = P.CropSampler(files[:1], [1.0], 112, verbose=False)       # photo is 112 x 144: 33 windows
        img = np.asarray(P.load_photo(files[0])).transpose(2, 0, 1)
        seen = set()
        rng = np.random.default_rng(0)
        for _ in range(60):
            c = s.sample(rng, 1)[0]
            found = None
            for x0 in range(33):
                w = img[:, :, x0:x0 + 112]
                for t in range(8):
                    v = np.rot90(w, t & 3, axes=(1, 2))
                    v = v[:, :, ::-1] if t & 4 else v
                    if np.array_equal(v, c):
                        found = t
                        break
                if found is not None:
                    break
            self.assertIsNotNone(found)
            seen.add(found)
        self.assertEqual(len(seen), 8)

    def test_blockiness(self):
        rng = np.random.default_rng(0)
        img = CC.synthetic_image(rng, 64, 64).transpose(2, 0, 1)
        self.assertLess(abs(blockiness(img) - 1.0), 0.3)
        blocky = img.copy()
        blocky[:, :, 16:32] = np.clip(blocky[:, :, 16:32].astype(int) + 40, 0, 255)
        self.assertGreater(blockiness(blocky), 1.5)


class TestConfigs(unittest.TestCase):
    def test_shipped_configs(self):
        root = Path(__file__).resolve().parents[3] / "configs" / "train"
        for name, c in (("kodak-0125", 2), ("kodak-025", 4), ("kodak-050", 8)):
            cfg = load_config(root / f"{name}.json")
            self.assertEqual(cfg["name"], name)
            self.assertEqual(cfg["model"]["code_channels"], c)
        # every codec config loads (GPU and decoder-only ones too) and starts from a file that exists
        names = sorted(p.stem for p in root.glob("kodak-*.json"))
        self.assertIn("kodak-075-rd-gpu", names)
        for name in names:
            cfg = load_config(root / f"{name}.json")
            self.assertEqual(cfg["name"], name)
            init = cfg["train"]["init_from"]
            if init and init.endswith(".enet"):
                self.assertTrue((root.parents[1] / init).is_file(), f"{name}: {init}")

    def test_lr_schedule(self):
        from encvp_train.train_compress import lr_factor
        tc = normalize({"train": {"steps": 1000, "warmup_steps": 100, "min_lr": 0.1,
                                  "lr_drops": [[500, 0.5], [800, 0.5]]}})["train"]
        self.assertAlmostEqual(lr_factor(0, tc), 0.01)
        self.assertAlmostEqual(lr_factor(99, tc), 1.0)
        self.assertAlmostEqual(lr_factor(100, tc), 1.0)
        mid = 0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * 400 / 900))
        self.assertAlmostEqual(lr_factor(499, tc) / (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * 399 / 900))), 1.0)
        self.assertAlmostEqual(lr_factor(500, tc), 0.5 * mid)
        self.assertAlmostEqual(lr_factor(1000, tc), 0.25 * 0.1)

    def test_unknown_keys(self):
        for bad in ({"trian": {}}, {"train": {"stpes": 3}}, {"model": {"decoder": {"wdith": 3}}}):
            with self.assertRaises(ConfigError):
                normalize(bad)


class TestTrainSmoke(unittest.TestCase):
    def test_train_resume_finetune_export_eval(self):
        t0 = time.time()
        with tempfile.TemporaryDirectory() as d:
            d = Path(d)
            old = os.environ.get("ENCVP_CACHE")
            os.environ["ENCVP_CACHE"] = str(d / "cache")
            try:
                self._run(d)
            finally:
                if old is None:
                    os.environ.pop("ENCVP_CACHE", None)
                else:
                    os.environ["ENCVP_CACHE"] = old
        self.assertLess(time.time() - t0, 60, "tiny codec training took more than a minute")

    def _run(self, d: Path):
        photos = d / "photos"
        make_photos(photos)
        out = d / "run"
        cfg = normalize(json.loads(json.dumps(CFG)))
        cfg["train"]["ema_decay"] = 0.5            # weight EMA on: best.pt may hold either weight set
        s1 = train(cfg, out, data_override=str(photos), stop_after=3, quiet=True)
        self.assertEqual(s1["steps_done"], 3)
        self.assertTrue((out / "last.pt").is_file())
        self.assertFalse((out / "summary.json").exists())
        s = train(cfg, out, resume=True, data_override=str(photos), quiet=True)
        recs = [json.loads(l) for l in (out / "metrics.jsonl").read_text().splitlines()]
        self.assertEqual([r["step"] for r in recs], [3, 6])
        self.assertTrue(all(np.isfinite(r["val_psnr"]) and r["val_psnr"] > 5 for r in recs))
        log = (out / "train.log").read_text()
        self.assertIn("resumed", log)
        self.assertIn("0.25 bpp", log)
        self.assertEqual(s["steps_done"], 6)
        self.assertIn("weight EMA, decay 0.5 per step (resumed)", log)
        self.assertIn("ema", torch.load(out / "last.pt", weights_only=False))
        top = max(max(r["val_psnr"], r["val_psnr_ema"]) for r in recs)
        self.assertEqual(s["best"]["val_psnr"], top)
        self.assertEqual(torch.load(out / "best.pt", weights_only=False)["val_psnr"], top)
        # (the export below re-measures best.pt's weights from the files: it must give the same PSNR)

        # export both files, with the self-verification (integer.py == eval encoder, .edec == decoder)
        enet_path = d / "nets" / "tiny.enet"
        info = export(out / "best.pt", enet_path, data_override=str(photos), log_src=out / "train.log")
        self.assertEqual(info["decoder_max_diff"] < 1e-4, True)
        self.assertAlmostEqual(info["val_psnr_files"], s["best"]["val_psnr"], places=6)
        net, dec = read_enet(enet_path), read_edec(enet_path.with_suffix(".edec"))
        self.assertEqual(net["header"]["task"], "compress")
        self.assertEqual(dec["header"]["encoder"]["crc32"], int.from_bytes(enet_path.read_bytes()[20:24], "little"))
        self.assertEqual(dec["header"]["code_channels"], 4)
        self.assertTrue((d / "nets" / "tiny.train.log").is_file())

        # file-based evaluation == the checkpoint's eval model, on an image that is not a multiple of 16
        from PIL import Image
        img = CC.synthetic_image(np.random.default_rng(9), 40, 56)
        Image.fromarray(img).save(d / "img.png")
        r_file = evaluate(FileCodec(enet_path, enet_path.with_suffix(".edec")), [d / "img.png"], patchwise=True,
                          save=d / "rec")
        r_model = evaluate(ModelCodec(out / "best.pt"), [d / "img.png"])
        self.assertAlmostEqual(r_file["mean"]["psnr"], r_model["mean"]["psnr"], places=6)
        self.assertAlmostEqual(r_file["images"][0]["bpp"], 4 * 3 * 4 * 16 / (40 * 56))   # padded to 48 x 64
        self.assertIn("psnr_patchwise", r_file["images"][0])
        self.assertTrue((d / "rec" / "img.png").is_file())

        # a decoder paired with another encoder is refused
        other = d / "nets" / "other.enet"
        export(out / "best.pt", other, edec_output=d / "nets" / "other.edec", name="other", verify=False)
        self.assertNotEqual(other.read_bytes()[20:24], enet_path.read_bytes()[20:24])
        with self.assertRaises(SystemExit):
            FileCodec(other, enet_path.with_suffix(".edec"))

        # fine-tune another rate (2 code channels) from this checkpoint
        cfg2 = json.loads(json.dumps(CFG))
        cfg2["model"]["code_channels"] = 2
        cfg2["train"].update({"steps": 2, "eval_every": 2, "init_from": str(out / "best.pt")})
        out2 = d / "run2"
        s2 = train(normalize(cfg2), out2, data_override=str(photos), quiet=True)
        self.assertEqual(s2["steps_done"], 2)
        log2 = (out2 / "train.log").read_text()
        self.assertIn("resized (channels): encoder.layers.3.weight", log2)   # the code layer is cut ...
        self.assertIn("decoder.convs.0.weight", log2)           # ... and so is the decoder's first conv
        self.assertIn("0.125 bpp", log2)
        ck1 = torch.load(out / "best.pt", weights_only=False)["model"]
        ck2 = torch.load(out2 / "last.pt", weights_only=False)["model"]
        self.assertEqual(ck2["encoder.layers.3.weight"].shape[0], 2)
        self.assertEqual(ck1["decoder.convs.3.weight"].shape, ck2["decoder.convs.3.weight"].shape)

        # decoder-only training from the exported files: the encoder stays bit for bit as in tiny.enet,
        # the decoder moves, and the decoder-only export leaves the .enet untouched and binds to its CRC
        enet_before = enet_path.read_bytes()
        cfg4 = json.loads(json.dumps(CFG))
        cfg4["train"].update({"steps": 3, "eval_every": 3, "lr": 1e-2, "ema_decay": 0.9,
                              "freeze_encoder": True, "init_from": str(enet_path)})
        out4 = d / "run4"
        s4 = train(normalize(cfg4), out4, data_override=str(photos), quiet=True)
        self.assertEqual(s4["steps_done"], 3)
        start = load_start(enet_path, 5)["model"]
        for f in ("last.pt", "best.pt"):
            got = torch.load(out4 / f, weights_only=False)["model"]
            enc = [k for k in got if k.startswith("encoder.")]
            self.assertTrue(enc)
            for k in enc:
                self.assertTrue(torch.equal(got[k], start[k]), f"{f}: {k} moved")
        got = torch.load(out4 / "last.pt", weights_only=False)["model"]
        self.assertFalse(torch.equal(got["decoder.convs.0.weight"], start["decoder.convs.0.weight"]))
        # init_encoder_only: the decoder starts fresh (its init, not the file's), the encoder as loaded
        cfg4b = json.loads(json.dumps(cfg4))
        cfg4b["train"].update(init_encoder_only=True, steps=1, eval_every=1)
        train(normalize(cfg4b), d / "run4b", data_override=str(photos), quiet=True)
        log4b = (d / "run4b" / "train.log").read_text()
        self.assertRegex(log4b, r"new: [^\n]*decoder\.convs\.0\.weight")
        self.assertNotRegex(log4b, r"new: [^\n]*encoder\.")
        got = torch.load(d / "run4b" / "last.pt", weights_only=False)["model"]
        self.assertTrue(torch.equal(got["encoder.layers.0.weight"], start["encoder.layers.0.weight"]))
        edec4 = d / "nets" / "tiny-ft.edec"
        info4 = export(out4 / "best.pt", enet_path, edec_output=edec4, data_override=str(photos),
                       log_src=out4 / "train.log", decoder_only=True)
        self.assertEqual(enet_path.read_bytes(), enet_before)
        self.assertEqual(read_edec(edec4)["header"]["encoder"]["crc32"], info4["crc32"])
        self.assertEqual(info4["crc32"], int.from_bytes(enet_before[20:24], "little"))
        self.assertTrue((d / "nets" / "tiny-ft.decoder.train.log").is_file())
        self.assertAlmostEqual(info4["val_psnr_files"], s4["best"]["val_psnr"], places=6)
        # ... and refuses a checkpoint whose encoder is another one, or a config without a start
        with self.assertRaisesRegex(SystemExit, "weight codes differ from"):
            export(out2 / "last.pt", enet_path, edec_output=d / "nets" / "x.edec", verify=False, decoder_only=True)
        self.assertFalse((d / "nets" / "x.edec").exists())
        bad = json.loads(json.dumps(cfg4))
        bad["train"]["init_from"] = None
        with self.assertRaisesRegex(ConfigError, "freeze_encoder needs train.init_from"):
            train(normalize(bad), d / "run5", data_override=str(photos), quiet=True)
        bad["train"]["init_from"] = str(out2 / "last.pt")      # 2 code channels: not this encoder
        with self.assertRaisesRegex(ConfigError, "does not hold this config's encoder"):
            train(normalize(bad), d / "run5", data_override=str(photos), quiet=True)

        bad["train"].update(init_from=str(enet_path), rate_lambda=0.01)
        with self.assertRaisesRegex(ConfigError, "rate_lambda needs a trainable encoder"):
            train(normalize(bad), d / "run5", data_override=str(photos), quiet=True)

        # rate-distortion training: the prior's estimate is logged and resumed, and best.pt is the
        # lowest validation MSE + lambda * bpp of both weight sets
        cfg6 = json.loads(json.dumps(CFG))
        cfg6["train"].update({"steps": 4, "eval_every": 2, "rate_lambda": 0.05, "ema_decay": 0.5,
                              "init_from": str(enet_path)})
        out6 = d / "run6"
        train(normalize(cfg6), out6, data_override=str(photos), stop_after=2, quiet=True)
        s6 = train(normalize(cfg6), out6, resume=True, data_override=str(photos), quiet=True)
        log6 = (out6 / "train.log").read_text()
        self.assertIn("rate term: loss = MSE + 0.05 x estimated bpp", log6)
        self.assertIn("resumed", log6)
        recs = [json.loads(l) for l in (out6 / "metrics.jsonl").read_text().splitlines()]
        self.assertEqual([r["step"] for r in recs], [2, 4])
        for r in recs:
            self.assertTrue(0.0 < r["val_bpp_est"] <= 0.3, r["val_bpp_est"])     # 0.25 bpp of raw codes
            mse = np.mean([10 ** (-v / 10) for v in r["val_psnr_each"]])
            self.assertAlmostEqual(r["val_objective"], mse + 0.05 * r["val_bpp_est"], places=9)
        low = min(min(r["val_objective"], r["val_objective_ema"]) for r in recs)
        self.assertAlmostEqual(s6["best"]["val_objective"], low, places=12)
        ck6 = torch.load(out6 / "best.pt", weights_only=False)
        self.assertIn("rate_prior", ck6)

        # a rate target: the weight follows the validation estimate (here far above a target of
        # 0.01 bpp, so it doubles at every validation, the cap), the resumed run continues from the
        # saved weight instead of the config's, and while no checkpoint meets the target the lowest
        # estimate is kept
        cfg8 = json.loads(json.dumps(cfg6))
        cfg8["train"].update({"rate_target": 0.01})
        out8 = d / "run8"
        train(normalize(cfg8), out8, data_override=str(photos), stop_after=2, quiet=True)
        s8 = train(normalize(cfg8), out8, resume=True, data_override=str(photos), quiet=True)
        recs8 = [json.loads(l) for l in (out8 / "metrics.jsonl").read_text().splitlines()]
        self.assertEqual([r["rate_lambda"] for r in recs8], [0.05, 0.1])
        self.assertEqual(torch.load(out8 / "last.pt", weights_only=False)["rate_lambda_now"], 0.2)
        log8 = (out8 / "train.log").read_text()
        self.assertIn("-> lambda 0.10000", log8)
        self.assertIn("-> lambda 0.20000", log8)
        self.assertIn("best PSNR at an estimated <= 0.01 bpp", log8)
        lowest = min(min(r["val_bpp_est"], r["val_bpp_est_ema"]) for r in recs8)
        self.assertEqual(s8["best"]["val_bpp_est"], lowest)
        # the controller waits for train.rate_control_from: the weight of both rounds is the config's,
        # and it moves at the first validation at or after that step
        cfg10 = json.loads(json.dumps(cfg8))
        cfg10["train"].update({"rate_control_from": 4})
        train(normalize(cfg10), d / "run10", data_override=str(photos), quiet=True)
        recs10 = [json.loads(l) for l in (d / "run10" / "metrics.jsonl").read_text().splitlines()]
        self.assertEqual([r["rate_lambda"] for r in recs10], [0.05, 0.05])
        self.assertEqual(torch.load(d / "run10" / "last.pt", weights_only=False)["rate_lambda_now"], 0.1)
        for bad_t in ({"rate_target": -0.1}, {"rate_target": 0.2, "rate_lambda": 0.0},
                      {"rate_target": 0.2, "rate_gain": 0.0}, {"rate_target": 0.2, "rate_control_from": -1}):
            cfg9 = json.loads(json.dumps(cfg6))
            cfg9["train"].update(bad_t)
            with self.assertRaisesRegex(ConfigError, "rate_target|rate_gain|rate_control_from"):
                train(normalize(cfg9), d / "run9", data_override=str(photos), quiet=True)
        with self.assertRaisesRegex(ConfigError, "without train.rate_lambda"):
            cfg7 = json.loads(json.dumps(CFG))
            cfg7["train"]["rate_lambda"] = 0.05
            train(normalize(cfg7), out, resume=True, data_override=str(photos), quiet=True)

        # a time budget shortens the schedule to what fits: here nothing after the first round
        cfg3 = json.loads(json.dumps(CFG))
        cfg3["train"]["steps"] = 600
        s3 = train(normalize(cfg3), d / "run3", data_override=str(photos), quiet=True, time_budget=1e-3)
        self.assertEqual((s3["steps_done"], s3["steps"]), (3, 3))
        self.assertTrue((d / "run3" / "summary.json").is_file())
        self.assertIn("schedule shortened to 3 steps", (d / "run3" / "train.log").read_text())



class TestWiden(unittest.TestCase):
    """Fine-tuning a higher rate from a trained codec starts from the same pictures."""

    def test_widened_codec_reconstructs_identically(self):
        torch.manual_seed(0)
        x = torch.rand(2, 3, 32, 48) * 255
        small = Codec(CC.small_model_cfg(4))
        small.calibrate(x)
        small.eval()
        with tempfile.TemporaryDirectory() as d:
            ck = Path(d) / "c4.pt"
            torch.save({"model": small.state_dict(), "config": {"model": CC.small_model_cfg(4)}}, ck)
            wide = Codec(CC.small_model_cfg(8))
            loaded, resized, skipped = load_matching(wide, ck, seed=1)
        self.assertEqual(skipped, [])
        self.assertIn("encoder.layers.3.weight", resized)
        self.assertIn("decoder.convs.0.weight", resized)
        wide.calibrate(x, "code", keep_channels=4)
        wide.eval()
        with torch.no_grad():
            r4, c4 = small(x)
            r8, c8 = wide(x)
        self.assertTrue(torch.equal(c8[:, :4], c4))           # the old code channels are unchanged
        self.assertTrue(torch.allclose(r8, r4, atol=1e-4))    # the new ones are ignored at first
        ones = c8[:, 4:].float().mean().item()
        self.assertGreater(ones, 0.2)                           # and they carry information
        self.assertLess(ones, 0.8)
        self.assertFalse(torch.equal(c8[:, 4:], c8[:, :4]))    # not copies of the old channels

    def test_resize_channels(self):
        g = torch.Generator().manual_seed(0)
        w = torch.arange(24.0).reshape(2, 3, 2, 2)
        self.assertTrue(torch.equal(resize_channels(w, (1, 3, 2, 2), 0, g), w[:1]))
        wi = resize_channels(w, (2, 5, 2, 2), 1, g)
        self.assertTrue(torch.equal(wi[:, :3], w))
        self.assertEqual(float(wi[:, 3:].abs().sum()), 0.0)
        wo = resize_channels(w, (5, 3, 2, 2), 0, g)
        self.assertTrue(torch.equal(wo[:2], w))
        for j in range(3):                                      # same values, inputs permuted
            self.assertTrue(torch.equal(wo[2 + j].sort(0).values, w[j % 2].sort(0).values))


if __name__ == "__main__":
    unittest.main()
