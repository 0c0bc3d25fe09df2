"""The PyTorch eval model and integer.py compute the integer contract identically."""

import tempfile
import unittest
from pathlib import Path

import _common
import numpy as np
import torch

from encvp_train import data as D
from encvp_train.enet import read_enet, write_enet
from encvp_train.export import network_layers
from encvp_train.integer import classify, conv_int, run_layers
from encvp_train.model import EncoderNet, argmax_lowest


def net_from_arrays(layers, input_shape=(1, 4, 4)):
    """Build a decoded-network dict (as read_enet returns) via a real write/read."""
    data = write_enet(None, name="hand", task="compress", input_shape=input_shape, layers=layers)
    from encvp_train.enet import read_enet_bytes
    return read_enet_bytes(data)


class TestHandComputed(unittest.TestCase):
    def test_rounding_shift_clip(self):
        # 1x1 conv, weight +1, one channel: y = clamp(floor((x + b + 2^(S-1)) / 2^S), 0, 3)
        layers = [{"type": "conv", "name": "c", "out_channels": 1, "kernel": 1, "stride": 1, "padding": 0,
                   "groups": 1, "weight_bits": 2, "act_bits": 2, "shift": 2, "pool": False,
                   "weights_values": np.array([[[[1]]]]), "bias_values": np.array([-10])}]
        net = net_from_arrays(layers)
        x = np.array([0, 5, 8, 11, 12, 13, 14, 16, 17, 18, 21, 22, 250, 255, 7, 9]).reshape(1, 1, 4, 4)
        t = x - 10
        # t: -10 -5 -2 1 2 3 4 6 7 8 11 12 240 245 -3 -1 ; (t + 2) >> 2, clamp 0..3
        expect = np.clip(np.floor((t + 2) / 4), 0, 3).astype(np.int64)
        self.assertEqual(expect.ravel().tolist(), [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 0, 0])
        self.assertTrue(np.array_equal(run_layers(net, x), expect))

    def test_conv_padding_stride_groups(self):
        rng = np.random.default_rng(0)
        x = rng.integers(0, 8, (2, 4, 7, 6))
        w = rng.integers(-2, 3, (6, 2, 3, 3))
        got = conv_int(x, w, stride=2, padding=1, groups=2)
        ref = torch.nn.functional.conv2d(torch.from_numpy(x).double(), torch.from_numpy(w).double(),
                                         stride=2, padding=1, groups=2).numpy()
        self.assertTrue(np.array_equal(got, ref.astype(np.int64)))
        # hand check of one output: group 1 (out channel 3), position (0, 0) sees rows/cols -1..1
        acc = sum(int(w[3, j, ky, kx]) * int(x[1, 2 + j, ky - 1, kx - 1])
                  for j in range(2) for ky in range(3) for kx in range(3) if ky >= 1 and kx >= 1)
        self.assertEqual(int(got[1, 3, 0, 0]), acc)
        self.assertTrue(np.array_equal(conv_int(x, w, 2, 1, 2, "f64"), got))

    def test_pool_odd_and_tie_rule(self):
        self.assertEqual(classify(np.array([[3, 7, 7, 1], [-1, -1, -2, -5]])).tolist(), [1, 0])
        self.assertEqual(argmax_lowest(torch.tensor([[3., 7., 7., 1.], [-1., -1., -2., -5.]])).tolist(), [1, 0])


def _images(n):
    if _common.jpeg_available():
        x, _ = D.load_cifar10_jpeg("test", verbose=False)
        return x[np.random.default_rng(0).permutation(len(x))[:n]], "CIFAR-10 JPEG test images"
    return np.random.default_rng(0).integers(0, 256, (n, 3, 32, 32), dtype=np.uint8), "random images"


class TestEvalModelEqualsInteger(unittest.TestCase):
    def _check(self, cfg, n=48, seed=0):
        torch.manual_seed(seed)
        x, what = _images(n)
        m = EncoderNet(cfg)
        m.calibrate(torch.from_numpy(x).float())
        # perturb biases and shifts away from the calibration so that every branch is exercised
        with torch.no_grad():
            for l in m.layers:
                l.beta.add_(torch.randn_like(l.beta) * 0.7)
            if m.head is not None:
                m.head.beta.add_(torch.randn_like(m.head.beta) * 2)
        m.eval()
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "n.enet"
            task = "classify" if m.head is not None else "compress"
            write_enet(p, name="t", task=task, input_shape=m.input_shape, layers=network_layers(m),
                       classes=D.CLASSES if m.head is not None else None)
            net = read_enet(p)
        with torch.no_grad():
            ref = m(torch.from_numpy(x)).double().numpy()
        self.assertTrue(np.array_equal(ref, np.rint(ref)), "eval model output not integer-valued")
        for engine in ("int", "f64"):
            got = run_layers(net, x, engine)
            self.assertTrue(np.array_equal(ref.astype(np.int64), got), f"{engine} vs eval model on {what}")
        return ref

    def test_classifier_mixed_precision(self):
        logits = self._check(_common.tiny_model_cfg())
        self.assertGreater(len(np.unique(logits)), 10)

    def test_compress_net(self):
        codes = self._check(_common.tiny_model_cfg(head=False, abits=(3, 2, 1)))
        self.assertLessEqual(codes.max(), 3)

    def test_main_config_shape(self):
        # the committed training config's architecture, untrained, on real images
        from encvp_train.config import load_config
        cfg = load_config(Path(__file__).resolve().parents[3] / "configs/train/cifar10-1mb.json")
        self._check(cfg["model"], n=16)


if __name__ == "__main__":
    unittest.main()
