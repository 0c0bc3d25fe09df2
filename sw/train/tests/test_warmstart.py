"""Training can start from the shipped exported files (encvp_train.warmstart): the rebuilt model
computes exactly the file's integers, a codec's decoder is copied exactly, bad inputs are errors."""

import json
import tempfile
import unittest
from pathlib import Path

import _common
import numpy as np
import torch

from encvp_train.codec import Codec, FrameDecoder
from encvp_train.edec import read_edec
from encvp_train.enet import read_enet, write_enet
from encvp_train.export import export, network_layers
from encvp_train.integer import run_layers
from encvp_train.model import EncoderNet
from encvp_train.train import train
from encvp_train.warmstart import checkpoint_from_files, fit_head_temperature, load_start

NETS = _common.HERE.parents[2] / "configs" / "networks"


def _rebuilt_classifier(path) -> EncoderNet:
    ck = load_start(path)
    m = EncoderNet(ck["config"]["model"])
    m.load_state_dict(ck["model"])
    return m.eval()


class TestWarmstartShipped(unittest.TestCase):
    def test_classifier_is_bit_exact(self):
        path = NETS / "cifar10-1mb.enet"
        net = read_enet(path)
        m = _rebuilt_classifier(path)
        for mine, theirs in zip(network_layers(m), net["layers"]):
            self.assertTrue(np.array_equal(mine["weights_values"], theirs["weights"]), theirs["spec"]["name"])
            self.assertTrue(np.array_equal(mine["bias_values"], theirs["bias"]), theirs["spec"]["name"])
            if "shift" in theirs["spec"]:
                self.assertEqual(mine["shift"], theirs["spec"]["shift"])
        x = torch.randint(0, 256, (6, 3, 32, 32), generator=torch.Generator().manual_seed(1)).float()
        with torch.no_grad():
            logits = m(x).numpy()
        ref = run_layers(net, x.to(torch.uint8).numpy())
        self.assertTrue(np.array_equal(logits.astype(np.int64), np.asarray(ref, dtype=np.int64)))
        # the latent weights are spread around their codes (the step estimator needs a spread),
        # never as far as a rounding threshold
        w = m.layers[1].weight
        self.assertGreater(float((w - w.round()).abs().max()), 0.05)
        self.assertLess(float((w - w.round()).abs().max()), 0.5)

    def test_codec_encoder_and_decoder(self):
        enet = NETS / "kodak-025.enet"
        ck = checkpoint_from_files(enet)
        self.assertEqual(ck["task"], "compress")
        self.assertEqual(ck["imported_from"], [str(enet), str(enet.with_suffix(".edec"))])
        codec = Codec(ck["config"]["model"])
        codec.load_state_dict(ck["model"])
        codec.eval()
        net = read_enet(enet)
        p = codec.patch
        x = torch.randint(0, 256, (5, 3, p, p), generator=torch.Generator().manual_seed(2)).float()
        with torch.no_grad():
            codes = codec.encoder(x).numpy()
        self.assertTrue(np.array_equal(codes.astype(np.int64), np.asarray(run_layers(net, x.to(torch.uint8).numpy()),
                                                                          dtype=np.int64)))
        ref = FrameDecoder.from_edec(read_edec(enet.with_suffix(".edec")))
        c = torch.randint(0, 2, (1, codec.code_channels, 6, 5), generator=torch.Generator().manual_seed(3)).float()
        with torch.no_grad():
            self.assertTrue(torch.equal(codec.decoder(c), ref(c)))

    def test_bad_inputs(self):
        with tempfile.TemporaryDirectory() as d:
            d = Path(d)
            # a decoder made for another encoder
            (d / "a.enet").write_bytes((NETS / "kodak-025.enet").read_bytes())
            (d / "a.edec").write_bytes((NETS / "kodak-050.edec").read_bytes())
            with self.assertRaisesRegex(ValueError, r"a.edec: made for encoder crc32 0x[0-9a-f]{8}, .*a.enet is 0x"):
                checkpoint_from_files(d / "a.enet")
            # no decoder beside a compression encoder
            (d / "b.enet").write_bytes((NETS / "kodak-025.enet").read_bytes())
            with self.assertRaisesRegex(ValueError, r"b.enet: a compression network needs its decoder; no .*b.edec"):
                checkpoint_from_files(d / "b.enet")
            # an .enet whose provenance has no training config
            net = read_enet(NETS / "cifar10-1mb.enet")
            layers = []
            for l in net["layers"]:
                s = dict(l["spec"])
                s.update(weights_values=l["weights"], bias_values=l["bias"], bias_bits=None)
                if s["type"] == "conv":
                    s.update(in_channels=l["in_channels"])
                layers.append(s)
            h = net["header"]
            write_enet(d / "c.enet", name="c", task="classify", input_shape=(3, 32, 32), layers=layers,
                       classes=h["classes"], provenance={"tool": "elsewhere"})
            with self.assertRaisesRegex(ValueError, "c.enet: its provenance holds no training config"):
                checkpoint_from_files(d / "c.enet")
            # a corrupt file is the reader's clear error
            bad = bytearray((NETS / "cifar10-1mb.enet").read_bytes())
            bad[-1] ^= 0xFF
            (d / "e.enet").write_bytes(bytes(bad))
            with self.assertRaises(Exception) as cm:
                checkpoint_from_files(d / "e.enet")
            self.assertIn("e.enet", str(cm.exception))

    def test_head_temperature(self):
        m = _rebuilt_classifier(NETS / "cifar10-1mb.enet")
        g = torch.Generator().manual_seed(4)
        x = torch.randint(0, 256, (64, 3, 32, 32), generator=g).float()
        with torch.no_grad():
            y = m(x).argmax(1)
        flip = torch.rand(64, generator=g) < 0.3    # some labels it disagrees with: a finite optimum
        y[flip] = torch.randint(0, 10, (int(flip.sum()),), generator=g)
        lt = fit_head_temperature(m, x, y)
        self.assertAlmostEqual(float(m.head.log_temp), lt, places=5)
        with torch.no_grad():
            logits = m(x).double()
        ce = lambda t: float(torch.nn.functional.cross_entropy(logits * np.exp(t), y))   # noqa: E731
        self.assertLessEqual(ce(lt), ce(lt - 0.5))
        self.assertLessEqual(ce(lt), ce(lt + 0.5) + 1e-12)


@unittest.skipUnless(_common.jpeg_available(), _common.SKIP_NO_DATA)
class TestWarmstartTraining(unittest.TestCase):
    def test_train_from_exported(self):
        from test_train_smoke import smoke_cfg
        with tempfile.TemporaryDirectory() as d:
            d = Path(d)
            train(smoke_cfg(epochs=1), d / "src")
            export(d / "src" / "best.pt", d / "src.enet", verify=16)
            out = d / "ft"
            s = train(smoke_cfg(epochs=1, lr=0.0, warmup_epochs=0, init_from=str(d / "src.enet")), out)
            log = (out / "train.log").read_text()
            self.assertIn(f"init from {d / 'src.enet'}", log)
            self.assertIn("head loss temperature fitted on", log)
            self.assertNotIn("calibrated:", log)
            src_acc = json.loads((d / "src" / "metrics.jsonl").read_text().splitlines()[-1])["val_acc"]
            # lr 0: only the quantizer steps move (towards equalized levels); the accuracy stays close
            self.assertLess(abs(s["best"]["val_acc"] - src_acc), 8.0)


if __name__ == "__main__":
    unittest.main()
