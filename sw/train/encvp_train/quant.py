"""Quantizers and straight-through estimators (STE).

Weights
-------
Linear symmetric quantizers with ``L`` levels on each side of zero and step ``delta``::

    W = 1 (binary)   code = -1 if w < 0 else +1                      levels {-1, +1}
    W = 2 (ternary)  code = clamp(round_half_up(w / delta), -1, +1)  levels {-1, 0, +1}
    W = 3 (quinary)  code = clamp(round_half_up(w / delta), -2, +2)  levels {-2 .. +2}

The encoder only ever sees the integer *codes*: the step ``delta`` decides which latent weights map
to which code, and the overall scale of a layer is carried by its bit-shift (see model.py).

*Quantized levels equalization* (the paper's automatic adaptation of the scaling factor): during
training the step of each layer is re-estimated at every step from quantiles of ``|w|`` so that the
``2L + 1`` levels are used about equally often.  The decision thresholds of the linear quantizer sit at
``(k - 1/2)·delta`` (k = 1..L); for equiprobable levels the k-th threshold should be the
``(2k - 1)/(2L + 1)`` quantile ``q_k`` of ``|w|``.  One step cannot satisfy all thresholds when L > 1,
so we take the least-squares fit (ours)::

    delta = sum_k (k - 1/2)·q_k / sum_k (k - 1/2)^2        (ternary: delta = 2·q_1, q_1 at 1/3)

smoothed by an exponential moving average (``momentum``).  Binary codes are the sign and are
equiprobable for any weight distribution symmetric about 0; their ``delta`` (twice the median of
``|w|``) only scales the straight-through gradient.  The *fixed* quantizer (ablation) computes the
same step once, at initialisation, and never adapts it.

Gradients are straight-through: ``d code / d w = 1 / delta`` (optionally zero beyond
``clip·(L + 1/2)·delta``).
"""

from __future__ import annotations

import torch
from torch import nn

#: levels on each side of zero for each weight width
LEVELS = {1: 1, 2: 1, 3: 2}


def round_half_up(x: torch.Tensor) -> torch.Tensor:
    """floor(x + 1/2): the rounding of the integer contract."""
    return torch.floor(x + 0.5)


def round_ste(x: torch.Tensor) -> torch.Tensor:
    """round_half_up in the forward pass, identity gradient."""
    return x + (round_half_up(x) - x).detach()


def equalized_step(w: torch.Tensor, bits: int) -> torch.Tensor:
    """Step that makes the levels of a ``bits``-bit linear symmetric quantizer about equiprobable."""
    a = w.detach().abs().flatten().float()
    n = a.numel()
    if bits == 1:
        k = max(1, (n + 1) // 2)
        return 2.0 * a.kthvalue(k).values.clamp_min(1e-12)
    L = LEVELS[bits]
    num = torch.zeros((), dtype=a.dtype, device=a.device)
    den = 0.0
    for k in range(1, L + 1):
        p = (2 * k - 1) / (2 * L + 1)
        idx = min(n, max(1, int(round(p * n))))
        qk = a.kthvalue(idx).values
        num = num + (k - 0.5) * qk
        den += (k - 0.5) ** 2
    return (num / den).clamp_min(1e-12)


class WeightQuantizer(nn.Module):
    """Binary / ternary / quinary weight quantizer with levels equalization (or a fixed step).

    ``forward(w)`` returns the integer-valued codes as a float tensor with straight-through
    gradients; ``codes(w)`` returns them as ``int64`` without gradient (used by the export).
    """

    def __init__(self, bits: int, mode: str = "equalized", momentum: float = 0.9,
                 grad_clip: float | None = None):
        super().__init__()
        if bits not in LEVELS:
            raise ValueError(f"weight bits must be 1, 2 or 3, not {bits}")
        if mode not in ("equalized", "fixed"):
            raise ValueError(f"quantizer mode must be 'equalized' or 'fixed', not {mode!r}")
        self.bits, self.mode, self.momentum, self.grad_clip = bits, mode, momentum, grad_clip
        self.L = LEVELS[bits]
        self.register_buffer("step", torch.ones(()))
        self.register_buffer("initialized", torch.zeros((), dtype=torch.bool))
        # host-side copy of ``initialized`` once it is known to be true: reading the buffer at every
        # training step would make a GPU step wait for the one before it
        self._init_known = False

    def reset(self) -> None:
        """Forget the step: the next ``update_step`` sets it from the weights (re-calibration)."""
        self.initialized.fill_(False)
        self._init_known = False

    def _load_from_state_dict(self, *args, **kwargs):
        self._init_known = False          # the loaded buffer decides again
        super()._load_from_state_dict(*args, **kwargs)

    def extra_repr(self) -> str:
        return f"bits={self.bits}, mode={self.mode}, momentum={self.momentum}"

    @torch.no_grad()
    def update_step(self, w: torch.Tensor) -> None:
        """Re-estimate the step from the current latent weights (training mode only)."""
        new = equalized_step(w, self.bits)
        if not self._init_known and not bool(self.initialized):
            self.step.copy_(new)
            self.initialized.fill_(True)
            self._init_known = True
        elif self.mode == "equalized":
            self.step.mul_(self.momentum).add_((1.0 - self.momentum) * new)

    def _hard(self, u: torch.Tensor) -> torch.Tensor:
        if self.bits == 1:
            return torch.where(u < 0, -torch.ones_like(u), torch.ones_like(u))
        return round_half_up(u).clamp(-self.L, self.L)

    def forward(self, w: torch.Tensor, quantize: bool = True) -> torch.Tensor:
        if self.training:
            self.update_step(w)
        u = w / self.step
        if not quantize:
            # relaxed (float) weights, same scale as the codes: used for float warm-up / teachers
            return u.clamp(-self.L - 0.5, self.L + 0.5) if self.bits > 1 else u.clamp(-1.5, 1.5)
        if self.grad_clip is not None:
            lim = self.grad_clip * (self.L + 0.5)
            g = u.clamp(-lim, lim)
        else:
            g = u
        return g + (self._hard(u) - g).detach()

    @torch.no_grad()
    def codes(self, w: torch.Tensor) -> torch.Tensor:
        """Integer codes of ``w`` (exactly those the eval-mode forward uses)."""
        return self._hard(w.float() / self.step).to(torch.int64)


def level_histogram(codes: torch.Tensor, bits: int) -> dict[int, float]:
    """Fraction of weights at each level (for logs and the equalization test)."""
    L = LEVELS[bits]
    vals = [-1, 1] if bits == 1 else list(range(-L, L + 1))
    n = max(1, codes.numel())
    return {v: float((codes == v).sum()) / n for v in vals}
