"""Weight quantizer levels, levels equalization, STE, and the fused activation quantizer."""

import unittest

import _common  # noqa: F401
import torch

from encvp_train.model import ShiftHalfWave
from encvp_train.quant import WeightQuantizer, equalized_step, level_histogram, round_half_up


class TestLevels(unittest.TestCase):
    def test_levels_per_width(self):
        torch.manual_seed(0)
        w = torch.randn(4000)
        for bits, levels in ((1, {-1, 1}), (2, {-1, 0, 1}), (3, {-2, -1, 0, 1, 2})):
            q = WeightQuantizer(bits)
            q.train()
            q(w)
            self.assertEqual(set(q.codes(w).unique().tolist()), levels, f"bits={bits}")

    def test_ternary_thresholds(self):
        q = WeightQuantizer(2, mode="fixed")
        q.step.fill_(1.0)
        q.initialized.fill_(True)
        q.eval()
        w = torch.tensor([-2.0, -0.51, -0.5, -0.49, 0.0, 0.49, 0.5, 0.51, 7.0])
        # round half up: -0.5 -> 0, +0.5 -> +1
        self.assertEqual(q.codes(w).tolist(), [-1, -1, 0, 0, 0, 0, 1, 1, 1])

    def test_quinary_thresholds(self):
        q = WeightQuantizer(3, mode="fixed")
        q.step.fill_(0.5)
        q.initialized.fill_(True)
        q.eval()
        w = torch.tensor([-5.0, -0.8, -0.7, -0.2, 0.2, 0.3, 0.7, 0.8, 5.0])
        self.assertEqual(q.codes(w).tolist(), [-2, -2, -1, 0, 0, 1, 1, 2, 2])

    def test_binary_sign(self):
        q = WeightQuantizer(1)
        q.eval()
        self.assertEqual(q.codes(torch.tensor([-1e-3, 0.0, 2.0])).tolist(), [-1, 1, 1])

    def test_round_half_up(self):
        self.assertEqual(round_half_up(torch.tensor([-1.5, -0.5, 0.5, 1.5, 2.49])).tolist(),
                         [-1.0, 0.0, 1.0, 2.0, 2.0])


class TestEqualization(unittest.TestCase):
    def check(self, dist, bits, tol):
        torch.manual_seed(1)
        w = dist((200000,))
        q = WeightQuantizer(bits, "equalized", momentum=0.0)
        q.train()
        q(w)
        h = level_histogram(q.codes(w), bits)
        target = 1.0 / len(h)
        for v, f in h.items():
            self.assertAlmostEqual(f, target, delta=tol, msg=f"bits={bits} level {v}: {h}")
        return h

    def test_ternary_equiprobable(self):
        # ternary: one threshold, exactly solvable -> 1/3 each for any symmetric distribution
        self.check(lambda s: torch.randn(s), 2, 0.01)
        self.check(lambda s: torch.distributions.Laplace(0.0, 1.0).sample(s), 2, 0.01)
        self.check(lambda s: torch.rand(s) * 2 - 1, 2, 0.01)

    def test_quinary_roughly_equiprobable(self):
        # quinary: one step for two thresholds (least squares) -> about 1/5 each
        self.check(lambda s: torch.randn(s), 3, 0.04)
        self.check(lambda s: torch.rand(s) * 2 - 1, 3, 0.04)

    def test_binary_equiprobable(self):
        self.check(lambda s: torch.randn(s), 1, 0.01)

    def test_first_step_after_reset_or_load(self):
        # the first update sets the step outright (no moving average with the placeholder 1.0),
        # also after reset() and after loading the state of a quantizer that never saw weights
        torch.manual_seed(3)
        w = torch.randn(5000)
        q = WeightQuantizer(2, "equalized", momentum=0.9)
        q.update_step(w)
        self.assertAlmostEqual(float(q.step), float(equalized_step(w, 2)), places=6)
        q.update_step(w * 4)           # later updates average: 0.9 old + 0.1 new
        self.assertAlmostEqual(float(q.step), 1.3 * float(equalized_step(w, 2)), places=5)
        q.reset()
        q.update_step(w * 4)
        self.assertAlmostEqual(float(q.step), float(equalized_step(w * 4, 2)), places=5)
        q.load_state_dict(WeightQuantizer(2, "equalized").state_dict())
        self.assertFalse(bool(q.initialized))
        q.update_step(w)
        self.assertAlmostEqual(float(q.step), float(equalized_step(w, 2)), places=6)

    def test_equalized_adapts_fixed_does_not(self):
        torch.manual_seed(2)
        w = torch.randn(10000)
        eq, fx = WeightQuantizer(2, "equalized", momentum=0.0), WeightQuantizer(2, "fixed")
        eq.train()
        fx.train()
        eq(w)
        fx(w)
        eq(w * 3)
        fx(w * 3)
        self.assertAlmostEqual(float(eq.step), float(equalized_step(w * 3, 2)), places=4)
        self.assertAlmostEqual(float(fx.step), float(equalized_step(w, 2)), places=4)
        # the fixed step is now too small for the wider weights: the zero level is under-used
        h = level_histogram(fx.codes(w * 3), 2)
        self.assertLess(h[0], 0.2)

    def test_step_is_scale_invariant(self):
        torch.manual_seed(3)
        w = torch.randn(5000)
        for bits in (2, 3):
            a = WeightQuantizer(bits, momentum=0.0)
            b = WeightQuantizer(bits, momentum=0.0)
            a.train()
            b.train()
            self.assertTrue(torch.equal(a(w), b(w * 10)))


class TestSTE(unittest.TestCase):
    def test_weight_gradient_straight_through(self):
        w = torch.randn(100, requires_grad=True)
        q = WeightQuantizer(2)
        q.train()
        q(w).sum().backward()
        self.assertTrue(torch.allclose(w.grad, torch.full_like(w, 1.0 / float(q.step))))

    def test_shift_half_wave_forward_and_backward(self):
        acc = torch.tensor([[-3.0, 5.0, 6.0, 100.0]]).reshape(1, 1, 2, 2).requires_grad_(True)
        bias = torch.zeros(1, requires_grad=True)
        shift = torch.tensor(2.0, requires_grad=True)
        y = ShiftHalfWave.apply(acc, bias, shift, 3.0)
        # floor((acc)/4 + 1/2): -3 -> 0 (clamped), 5 -> 1, 6 -> 2 (half up), 100 -> 25 -> 3 (clip)
        self.assertEqual(y.flatten().tolist(), [0.0, 1.0, 2.0, 3.0])
        y.sum().backward()
        # gradient only where the rounded value is inside [0, 3]; -3/4 rounds to -1 -> outside
        self.assertEqual(acc.grad.flatten().tolist(), [0.0, 0.25, 0.25, 0.0])
        self.assertAlmostEqual(float(bias.grad), 0.5)


if __name__ == "__main__":
    unittest.main()
