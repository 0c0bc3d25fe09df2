"""A learned, differentiable estimate of the entropy-coded size of a codec's binary codes.

The host's lossless coder (``sw/bitstream/entropy.cpp``) codes a frame's code tensor ``C x h x w``
channel by channel, each channel row by row, every bit with a probability predicted from bits
already coded: the channel's own causal neighbours and the channels before it.  Training the codec
for the bits *after* that coder (rate-distortion, ``loss = MSE + lambda * bpp``) needs a
differentiable stand-in for it.  :class:`RatePrior` is one with the same causal order: the logit
of bit ``(c, y, x)`` is computed from

* channels ``c' < c`` at every position of a ``k x k`` window (already coded in full), and
* channel ``c`` itself at the window positions *before* ``(y, x)`` in raster order,

through a masked ``k x k`` convolution into ``width`` hidden units per channel, a ReLU and a
per-channel 1x1 convolution.  The estimated size is the cross-entropy ``-log2 p(bit)`` summed over
the bits.  It is a training aid only: nothing of it is exported, and the shipped coder stays the
adaptive one (which also learns per frame).  Gradients reach the encoder through the code bits'
straight-through estimator, both as the coded bits and as the context of later bits.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def causal_mask(channels: int, width: int, kernel: int) -> torch.Tensor:
    """``[channels*width, channels, k, k]`` 0/1 mask: hidden unit group ``c`` sees channels ``< c``
    everywhere in the window and channel ``c`` only strictly before the centre (raster order)."""
    if kernel < 1 or kernel % 2 == 0:
        raise ValueError(f"rate prior kernel must be odd and >= 1, got {kernel}")
    k, r = kernel, kernel // 2
    before = torch.zeros(k, k)
    before[:r, :] = 1
    before[r, :r] = 1
    m = torch.zeros(channels * width, channels, k, k)
    for c in range(channels):
        g = slice(c * width, (c + 1) * width)
        m[g, :c] = 1
        m[g, c] = before
    return m


class RatePrior(nn.Module):
    """Causal context model over a binary code tensor; :meth:`bits` is its code length."""

    def __init__(self, channels: int, width: int = 8, kernel: int = 5):
        super().__init__()
        if channels < 1 or width < 1:
            raise ValueError(f"rate prior: channels {channels} and width {width} must be >= 1")
        self.channels, self.width, self.kernel = channels, width, kernel
        self.register_buffer("mask", causal_mask(channels, width, kernel))
        self.conv = nn.Conv2d(channels, channels * width, kernel, padding=kernel // 2)
        self.out = nn.Conv2d(channels * width, channels, 1, groups=channels)
        with torch.no_grad():   # start at p = 1/2 everywhere: exactly 1 bit per bit (the output
            self.out.weight.zero_()  # weights still get gradients, the hidden ones follow)
            self.out.bias.zero_()

    def logits(self, codes: torch.Tensor) -> torch.Tensor:
        """Codes ``[B, C, h, w]`` (0/1) -> logit of P(bit = 1) at every position, same shape."""
        if codes.dim() != 4 or codes.shape[1] != self.channels:
            raise ValueError(f"rate prior for {self.channels} channels got codes of shape {tuple(codes.shape)}")
        s = 2.0 * codes - 1.0      # what the decoder reads; zero padding = "no bit" outside the frame
        h = F.conv2d(s, self.conv.weight * self.mask, self.conv.bias, padding=self.kernel // 2)
        return self.out(F.relu(h))

    def bits(self, codes: torch.Tensor) -> torch.Tensor:
        """Estimated code length in bits of each tensor of the batch: ``[B]``.

        ``-log2 p(b)`` with ``p = sigmoid(l)`` is ``(softplus(l) - b*l) / ln 2``: written out, so the
        gradient also reaches the bits as targets (``-l / ln 2``: towards the predicted value)."""
        codes = codes.float()
        l = self.logits(codes)
        nll = F.softplus(l) - codes * l
        return nll.flatten(1).sum(1) / math.log(2.0)
