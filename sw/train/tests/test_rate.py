"""The rate prior (encvp_train.rate): causal in the host coder's order, a true code length, it
learns redundancy that is there and none that is not, and its gradient reaches the encoder."""

import math
import unittest

import _common  # noqa: F401
import _compress_common as CC
import torch

from encvp_train.codec import Codec
from encvp_train.rate import RatePrior, causal_mask
from encvp_train.train_compress import better_at_target, rate_control


def randomized(channels, width=4, kernel=5, seed=0):
    torch.manual_seed(seed)
    p = RatePrior(channels, width, kernel)
    with torch.no_grad():
        p.out.weight.normal_()      # the zero init would hide every dependence
    return p


class TestRatePrior(unittest.TestCase):
    def test_mask_shape(self):
        m = causal_mask(3, 2, 3)
        self.assertEqual(tuple(m.shape), (6, 3, 3, 3))
        # group 1 (channel 1): channel 0 everywhere, itself before the centre, channel 2 never
        self.assertTrue(torch.equal(m[2, 0], torch.ones(3, 3)))
        self.assertTrue(torch.equal(m[2, 1], torch.tensor([[1., 1, 1], [1, 0, 0], [0, 0, 0]])))
        self.assertTrue(torch.equal(m[2, 2], torch.zeros(3, 3)))
        with self.assertRaises(ValueError):
            causal_mask(3, 2, 4)

    def test_causal_in_the_coders_order(self):
        """A bit's logit changes only with bits the host coder has coded before it: lower channels
        anywhere (within the window), its own channel strictly before it in raster order."""
        C, H, W = 3, 6, 7
        p = randomized(C)
        g = torch.Generator().manual_seed(1)
        codes = (torch.rand(1, C, H, W, generator=g) < 0.5).float()
        base = p.logits(codes)
        for (c, y, x) in [(0, 2, 3), (1, 0, 0), (1, 3, 6), (2, 5, 6)]:
            flipped = codes.clone()
            flipped[0, c, y, x] = 1 - flipped[0, c, y, x]
            changed = (p.logits(flipped) - base).abs() > 1e-6
            for cc in range(C):
                for yy in range(H):
                    for xx in range(W):
                        if not changed[0, cc, yy, xx]:
                            continue
                        after = cc > c or (cc == c and (yy, xx) > (y, x))
                        self.assertTrue(after, f"flipping {(c, y, x)} changed the logit of {(cc, yy, xx)}")
            # and it does reach some later bits (the window is not empty)
            self.assertTrue(bool(changed.any()) or c == C - 1 and (y, x) == (H - 1, W - 1))

    def test_code_length(self):
        C = 2
        p = RatePrior(C)
        codes = (torch.rand(3, C, 5, 4) < 0.3).float()
        self.assertTrue(torch.allclose(p.bits(codes), torch.full((3,), C * 5 * 4.0)))   # init: 1 bit per bit
        p = randomized(C)
        l = p.logits(codes)
        prob = torch.sigmoid(l)
        ref = -(codes * torch.log2(prob) + (1 - codes) * torch.log2(1 - prob)).flatten(1).sum(1)
        self.assertTrue(torch.allclose(p.bits(codes), ref, rtol=1e-5, atol=1e-4))
        with self.assertRaises(ValueError):
            p.bits(torch.zeros(1, C + 1, 4, 4))

    def _fit(self, make, steps=150):
        torch.manual_seed(0)
        p = RatePrior(4, 8, 5)
        opt = torch.optim.Adam(p.parameters(), lr=3e-3)
        g = torch.Generator().manual_seed(2)
        for _ in range(steps):
            codes = make(g)
            loss = p.bits(codes).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        codes = make(g)
        with torch.no_grad():
            return float(p.bits(codes).mean()) / codes[0].numel()

    def test_learns_redundancy(self):
        def structured(g):   # channel 0 random; 1 = copy of 0; 2 = 0 shifted right; 3 = constant rows
            a = (torch.rand(8, 1, 8, 8, generator=g) < 0.5).float()
            rows = (torch.rand(8, 1, 8, 1, generator=g) < 0.5).float().expand(8, 1, 8, 8)
            return torch.cat([a, a, torch.roll(a, 1, dims=3), rows], 1)
        per_bit = self._fit(structured)
        # ideal: channel 0 costs 1 bit, channels 1 and 2 ~0, channel 3 one bit per row of 8: ~0.28
        self.assertLess(per_bit, 0.45)

    def test_no_redundancy_costs_a_bit(self):
        per_bit = self._fit(lambda g: (torch.rand(8, 4, 8, 8, generator=g) < 0.5).float())
        self.assertGreater(per_bit, 0.97)       # cannot compress fair coin flips

    def test_gradient_reaches_the_encoder(self):
        torch.manual_seed(3)
        codec = Codec(CC.small_model_cfg(4))
        codec.train()
        x = torch.rand(2, 3, 32, 32) * 255
        codes = codec.encode(x)
        p = randomized(4)
        p.bits(codes).sum().backward()
        g = [l.weight.grad for l in codec.encoder.layers]
        self.assertTrue(all(t is not None and float(t.abs().sum()) > 0 for t in g))
        self.assertTrue(math.isfinite(float(sum(t.abs().sum() for t in g))))



class TestRateTarget(unittest.TestCase):
    """train.rate_target: the weight's controller and the checkpoint choice (pure functions)."""

    def test_control(self):
        self.assertEqual(rate_control(0.01, 0.25, 0.25, 1.0), 0.01)           # on target: unchanged
        up = rate_control(0.01, 0.275, 0.25, 1.0)                             # 10 % over: x e^0.1
        self.assertAlmostEqual(up, 0.01 * math.exp(0.1), places=12)
        self.assertAlmostEqual(rate_control(0.01, 0.225, 0.25, 1.0), 0.01 * math.exp(-0.1), places=12)
        self.assertEqual(rate_control(0.01, 1.0, 0.25, 1.0), 0.02)           # capped at x2
        self.assertEqual(rate_control(0.01, 0.0, 0.25, 5.0), 0.005)          # and at /2
        self.assertGreater(rate_control(0.01, 0.3, 0.25, 2.0), rate_control(0.01, 0.3, 0.25, 1.0))

    def test_choice(self):
        best = {"val_psnr": 27.0, "val_bpp_est": 0.24}                       # meets 0.25
        self.assertTrue(better_at_target(27.1, 0.249, best, 0.25))           # higher PSNR, meets
        self.assertFalse(better_at_target(26.9, 0.20, best, 0.25))           # lower rate, lower PSNR
        self.assertFalse(better_at_target(28.0, 0.26, best, 0.25))           # misses the target
        over = {"val_psnr": 28.0, "val_bpp_est": 0.30}                        # misses it
        self.assertTrue(better_at_target(20.0, 0.25, over, 0.25))            # meeting it comes first
        self.assertTrue(better_at_target(27.0, 0.29, over, 0.25))            # then the lower rate
        self.assertFalse(better_at_target(29.0, 0.31, over, 0.25))
        self.assertTrue(better_at_target(20.0, 0.9, {"val_psnr": -1.0, "step": 0}, 0.25))  # first one


if __name__ == "__main__":
    unittest.main()
