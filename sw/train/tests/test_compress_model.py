"""Compression codec: patch split/reassembly, the 1-bit code quantizer, exported encoder == integer.py."""

import tempfile
import unittest
from pathlib import Path

import _common  # noqa: F401
import _compress_common as CC
import numpy as np
import torch
import torch.nn.functional as F

from encvp_train.codec import (Codec, decoder_macs_per_pixel, decoder_ops, pad_to_multiple, patchify,
                               to_pixels, unpatchify)
from encvp_train.enet import read_enet, write_enet
from encvp_train.export import network_layers
from encvp_train.integer import run_layers


class TestPatches(unittest.TestCase):
    def test_round_trip(self):
        x = torch.arange(2 * 3 * 32 * 48).reshape(2, 3, 32, 48)
        p = patchify(x, 16)
        self.assertEqual(tuple(p.shape), (2 * 2 * 3, 3, 16, 16))
        self.assertTrue(torch.equal(unpatchify(p, 2, 2, 3), x))

    def test_raster_order_and_code_placement(self):
        # patch k of image b is x[b, :, 16i:16i+16, 16j:16j+16] with k = i * nw + j
        x = torch.zeros(2, 1, 48, 32)
        for b in range(2):
            for i in range(3):
                for j in range(2):
                    x[b, :, 16 * i:16 * i + 16, 16 * j:16 * j + 16] = 100 * b + 10 * i + j
        p = patchify(x, 16)
        vals = [int(p[k, 0, 0, 0]) for k in range(12)]
        self.assertEqual(vals, [0, 1, 10, 11, 20, 21, 100, 101, 110, 111, 120, 121])
        # per-patch 4x4 codes go to rows 4i..4i+3, columns 4j..4j+3 of the frame's code tensor
        codes = p[:, :, :4, :4]
        frame = unpatchify(codes, 2, 3, 2)
        self.assertEqual(tuple(frame.shape), (2, 1, 12, 8))
        self.assertTrue(torch.all(frame[1, 0, 8:12, 4:8] == 121))
        self.assertTrue(torch.all(frame[0, 0, 4:8, 0:4] == 10))

    def test_not_multiple(self):
        with self.assertRaises(ValueError):
            patchify(torch.zeros(1, 3, 20, 16), 16)

    def test_pad_edge_replication(self):
        x = torch.arange(3 * 18 * 20, dtype=torch.float32).reshape(1, 3, 18, 20)
        y = pad_to_multiple(x, 16)
        self.assertEqual(tuple(y.shape), (1, 3, 32, 32))
        self.assertTrue(torch.equal(y[..., :18, :20], x))
        self.assertTrue(torch.equal(y[..., 31, 19], x[..., 17, 19]))
        self.assertTrue(torch.equal(y[..., 5, 31], x[..., 5, 19]))
        u8 = pad_to_multiple(x.to(torch.uint8), 16)
        self.assertEqual(u8.dtype, torch.uint8)

    def test_each_patch_encoded_alone(self):
        # the code of a patch does not depend on its neighbours (the chip sees one patch at a time)
        torch.manual_seed(0)
        m = Codec(CC.small_model_cfg())
        x, _ = CC.real_or_synthetic(2, 32, 32)
        x = torch.from_numpy(x).float()
        m.calibrate(x)
        m.eval()
        c = m.encode(x)
        x2 = x.clone()
        x2[:, :, 16:, :] = 255 - x2[:, :, 16:, :]         # change the bottom patches only
        c2 = m.encode(x2)
        self.assertTrue(torch.equal(c[:, :, :4], c2[:, :, :4]))


class TestGeometry(unittest.TestCase):
    def test_design(self):
        m = Codec(CC.full_model_cfg(4))
        self.assertEqual(m.bpp, 0.25)
        self.assertEqual([s.out for s in m.encoder.specs], [32, 64, 64, 4])
        self.assertEqual([s.stride for s in m.encoder.specs], [1, 2, 2, 1])
        self.assertEqual([s.wbits for s in m.encoder.specs], [3, 2, 2, 3])
        self.assertEqual([s.abits for s in m.encoder.specs], [3, 3, 3, 1])
        self.assertEqual(m.encoder.specs[-1].kernel, 1)
        for c, bpp in ((2, 0.125), (8, 0.5)):
            self.assertEqual(Codec(CC.full_model_cfg(c)).bpp, bpp)
        ops = decoder_ops(4)
        self.assertEqual([o["op"] for o in ops][:6], ["input_pm1", "conv", "mark", "conv", "conv", "add"])
        self.assertEqual(sum(o["op"] == "mark" for o in ops), 4)
        macs = decoder_macs_per_pixel(ops)
        self.assertTrue(55e3 < macs < 70e3, macs)
        x = torch.zeros(1, 3, 48, 64)
        with torch.no_grad():
            y, codes = m.eval()(x)
        self.assertEqual(tuple(codes.shape), (1, 4, 12, 16))
        self.assertEqual(tuple(y.shape), (1, 3, 48, 64))

    def test_to_pixels(self):
        y = torch.tensor([-0.5, 0.0, 0.5 / 255, 0.499 / 255, 0.5, 1.0, 7.0])
        self.assertEqual(to_pixels(y).tolist(), [0, 0, 1, 0, 128, 255, 255])


class TestCodeQuantizer(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(1)
        self.m = Codec(CC.small_model_cfg())
        x, self.what = CC.real_or_synthetic(6, 32, 32, seed=1)
        self.x = torch.from_numpy(x).float()
        self.m.calibrate(self.x)

    def test_binary_and_hand_computed(self):
        m = self.m
        m.eval()
        with torch.no_grad():
            codes = m.encode(self.x)
            self.assertTrue(set(torch.unique(codes).tolist()) <= {0.0, 1.0})
            # bit = [acc + bias >= 2^(S-1)] (S > 0) from the integers of the contract
            a = patchify(self.x, 16)
            for l in m.encoder.layers[:-1]:
                a = l(a)
            p = m.encoder.layers[-1].integer_params()
            acc = F.conv2d(a.double(), p["codes"].double()) + p["bias"].double()[None, :, None, None]
            S = p["shift"]
            bit = (acc >= (2 ** (S - 1) if S > 0 else 0)).double()
            self.assertTrue(torch.equal(unpatchify(bit, 6, 2, 2), codes.double()))

    def test_balanced_after_calibration(self):
        self.m.eval()
        with torch.no_grad():
            ones = self.m.encode(self.x).mean(dim=(0, 2, 3))
        self.assertTrue(torch.all((ones > 0.2) & (ones < 0.8)), f"{ones} on {self.what}")

    def test_train_forward_equals_eval(self):
        # the fake-quant training forward computes the same codes as the exact eval path
        m = self.m
        with torch.no_grad():
            m.eval()
            ce = m.encode(self.x)
            m.train()
            for l in m.encoder.layers:
                l.wq.momentum = 1.0          # keep the step: compare the same integers
            ct = m.encode(self.x)
        self.assertTrue(torch.equal(ce, ct))

    def test_straight_through_gradient(self):
        m = self.m
        m.train()
        y, codes = m(self.x)
        F.mse_loss(y, self.x / 255).backward()
        for l in m.encoder.layers:
            self.assertGreater(float(l.weight.grad.abs().sum()), 0.0, l.spec.name)
            self.assertGreater(float(l.beta.grad.abs().sum()), 0.0, l.spec.name)
        # zero gradient outside the quantizer window z in [-1/2, 3/2)
        from encvp_train.model import ShiftHalfWave
        acc = torch.tensor([[[[-40.0]], [[-8.0]], [[0.0]], [[8.0]], [[16.0]], [[23.0]], [[24.0]], [[60.0]]]]).reshape(1, 8, 1, 1)
        acc.requires_grad_(True)
        y = ShiftHalfWave.apply(acc, torch.zeros(8), torch.tensor(4.0), 1.0)    # z = acc / 16
        self.assertEqual(y.flatten().tolist(), [0, 0, 0, 1, 1, 1, 1, 1])
        y.sum().backward()
        self.assertEqual((acc.grad.flatten() != 0).tolist(), [False, True, True, True, True, True, False, False])


class TestExportedEncoderEqualsInteger(unittest.TestCase):
    def _check(self, code_channels):
        torch.manual_seed(code_channels)
        m = Codec(CC.full_model_cfg(code_channels))
        x, what = CC.real_or_synthetic(4, 48, 64, seed=code_channels)
        x = torch.from_numpy(x)
        m.calibrate(x.float())
        with torch.no_grad():        # move biases off the calibration so that every branch is exercised
            for l in m.encoder.layers:
                l.beta.add_(torch.randn_like(l.beta) * 0.5)
        m.eval()
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "c.enet"
            write_enet(p, name="t", task="compress", input_shape=m.encoder.input_shape,
                       layers=network_layers(m.encoder))
            net = read_enet(p)
        self.assertEqual(net["header"]["task"], "compress")
        self.assertEqual(net["layers"][-1]["spec"]["act_bits"], 1)
        patches = patchify(x, 16)
        with torch.no_grad():
            ref = m.encoder(patches).double().numpy()
        self.assertTrue(np.array_equal(ref, np.rint(ref)))
        for engine in ("int", "f64"):
            got = run_layers(net, patches.numpy(), engine)
            self.assertTrue(np.array_equal(ref.astype(np.int64), got), f"{engine} on {what}")
        self.assertEqual(got.shape, (len(patches), code_channels, 4, 4))
        self.assertGreater(len(np.unique(got)), 1)

    def test_rates(self):
        for c in (2, 4, 8):
            self._check(c)


if __name__ == "__main__":
    unittest.main()
