"""The fake-quantized encoder network.

Every tensor that flows between layers is in *integer units*: network input pixels 0..255, A-bit
activations 0..2^A-1, weight codes in {-2..+2}.  A conv layer computes (docs/numerics.md section 2)::

    acc = conv(in, codes)                                  exact integers
    y   = clamp(floor((acc + bias + r) / 2^S), 0, 2^A-1)   r = 2^(S-1) if S > 0 else 0
    y   = maxpool2x2(y)                                    if pool

and the classification head ``logit = codes_fc @ sum_pool(y) + bias_fc``.

Parameterization for training (ours, the paper gives no formulas):

* latent float weights -> :class:`~encvp_train.quant.WeightQuantizer` -> integer codes (STE);
* ``log2_scale`` (one float per layer): ``S = clamp(round(log2_scale), 0, 24)`` with STE, i.e. the
  layer-shared bit-shift normalization with a learned power-of-two scale;
* ``beta`` (per channel) is the bias in units of the output LSB: ``bias = round(beta * 2^S)``, clamped
  to ``bias_bits_max`` signed bits, so its learning rate does not depend on the shift;
* ``y = clamp(round_ste((acc + bias) * 2^-S), 0, 2^A-1)``: straight-through rounding, zero gradient
  outside the clip range (half-wave).

In training the 2x2 max-pool is applied before the rounding (identical values because the
quantizer is monotonic, and a unique argmax for the gradient).  In eval mode (``model.eval()``) the
forward pass evaluates the contract literally, in float32 (float64 on CUDA) with integer-valued
tensors; all intermediate values are integers below 2^24, hence exact.  ``integer_params()`` returns
exactly the integers that the eval forward uses; the export writes those.

``norm = "bn"`` replaces the shift + bias by a float BatchNorm (ablation only, cannot be exported).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .quant import WeightQuantizer, round_half_up, round_ste

MAX_SHIFT = 24


@dataclass
class LayerSpec:
    """Geometry and precision of one conv layer (the config's ``model.layers[i]``)."""
    name: str
    out: int
    kernel: int = 3
    stride: int = 1
    padding: int | None = None
    groups: int = 1
    wbits: int = 2
    abits: int = 2
    pool: bool = False

    def __post_init__(self):
        if self.padding is None:
            self.padding = self.kernel // 2


def bits_for_signed(values) -> int:
    """Smallest two's-complement width >= 2 that holds every value (numerics: bias_bits)."""
    lo = min([0] + [int(v) for v in values])
    hi = max([0] + [int(v) for v in values])
    b = 2
    while not (-(1 << (b - 1)) <= lo and hi <= (1 << (b - 1)) - 1):
        b += 1
    return b


def exact_dtype(device: torch.device) -> torch.dtype:
    """dtype of the exact eval path: float32 on CPU (direct convolution), float64 on CUDA (cuDNN may
    pick Winograd/FFT algorithms for float32, which are not exact)."""
    return torch.float64 if device.type == "cuda" else torch.float32


class ShiftHalfWave(torch.autograd.Function):
    """Fused ``y = clamp(floor((acc + bias) * 2^-S + 1/2), 0, amax)`` with straight-through gradients.

    Backward (STE, zero outside the clip range): with ``z = (acc + bias) * 2^-S`` and
    ``m = [0 <= round(z) <= amax]``::

        dL/dacc = g * m * 2^-S,   dL/dbias[c] = sum g * m * 2^-S,   dL/dS = -ln2 * sum g * m * z

    One fused function instead of a dozen elementwise autograd nodes: on a 2-core CPU the
    elementwise passes over the activations cost as much as the convolutions' backward.
    """

    @staticmethod
    def forward(ctx, acc, bias, shift, amax):
        scale = torch.pow(2.0, -shift.detach())
        z = (acc + bias.detach()[None, :, None, None]).mul_(scale)
        y = torch.floor(z + 0.5)
        mask = (y >= 0) & (y <= amax)
        y.clamp_(0.0, amax)
        ctx.save_for_backward(z, mask, scale)
        return y

    @staticmethod
    def backward(ctx, g):
        z, mask, scale = ctx.saved_tensors
        gz = g * mask
        g_acc = gz * scale
        g_bias = g_acc.sum(dim=(0, 2, 3)) if ctx.needs_input_grad[1] else None
        g_shift = (gz * z).sum().mul_(-math.log(2.0)) if ctx.needs_input_grad[2] else None
        return g_acc, g_bias, g_shift, None


class QConv(nn.Module):
    """One encoder conv layer: quantized conv + bit-shift normalization + half-wave activation."""

    def __init__(self, spec: LayerSpec, in_channels: int, norm: str = "shift",
                 quantizer: str = "equalized", momentum: float = 0.9, bias_bits_max: int = 16,
                 act_init_std: float = 0.35):
        super().__init__()
        s = spec
        if in_channels % s.groups or s.out % s.groups:
            raise ValueError(f"{s.name}: groups={s.groups} must divide in={in_channels} and out={s.out}")
        if s.kernel not in (1, 3, 5, 7) or s.stride not in (1, 2) or not 0 <= s.padding <= s.kernel // 2:
            raise ValueError(f"{s.name}: unsupported kernel/stride/padding {s.kernel}/{s.stride}/{s.padding}")
        if s.abits not in (1, 2, 3):
            raise ValueError(f"{s.name}: act bits must be 1..3")
        self.spec, self.in_channels, self.norm = s, in_channels, norm
        self.weight = nn.Parameter(torch.empty(s.out, in_channels // s.groups, s.kernel, s.kernel))
        nn.init.kaiming_normal_(self.weight, nonlinearity="relu")
        self.wq = WeightQuantizer(s.wbits, quantizer, momentum)
        self.amax = float(2 ** s.abits - 1)
        self.bias_bits_max = bias_bits_max
        self.act_init_std = act_init_std
        if norm == "shift":
            self.log2_scale = nn.Parameter(torch.zeros(()))
            self.beta = nn.Parameter(torch.zeros(s.out))
        elif norm == "bn":
            self.bn = nn.BatchNorm2d(s.out)
            nn.init.constant_(self.bn.weight, act_init_std * 2 ** s.abits)
            nn.init.constant_(self.bn.bias, 0.0)
        else:
            raise ValueError(f"norm must be 'shift' or 'bn', not {norm!r}")
        self.quant_w = True   # False: relaxed float weights (warm-up / teacher)
        self.quant_a = True   # False: clipped but unrounded activations

    # ---- integers of the contract ------------------------------------------------------------
    def shift_ste(self) -> torch.Tensor:
        return round_ste(self.log2_scale).clamp(0, MAX_SHIFT)

    def bias_ste(self, shift: torch.Tensor) -> torch.Tensor:
        lim = 2 ** (self.bias_bits_max - 1)
        return round_ste(self.beta * torch.pow(2.0, shift)).clamp(-lim, lim - 1)

    @torch.no_grad()
    def integer_params(self) -> dict:
        """The integers the eval forward uses: weight codes, shift, per-channel bias."""
        if self.norm != "shift":
            raise RuntimeError(f"{self.spec.name}: a BatchNorm layer has no integer form (ablation only)")
        shift = self.shift_ste()
        bias = self.bias_ste(shift)
        return {"codes": self.wq.codes(self.weight), "shift": int(shift.item()),
                "bias": bias.to(torch.int64)}

    # ---- forward -------------------------------------------------------------------------------
    def _conv(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        s = self.spec
        return F.conv2d(x, w.to(x.dtype), None, s.stride, s.padding, 1, s.groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training and self.norm == "shift" and self.quant_w and self.quant_a:
            return self.forward_exact(x)
        codes = self.wq(self.weight, quantize=self.quant_w)
        acc = self._conv(x, codes).float()
        if self.spec.pool:
            # max-pool first: identical values (the per-layer map acc -> y is monotonic, 2^-S > 0),
            # a quarter of the elementwise work and a unique argmax for the gradient
            acc = F.max_pool2d(acc, 2)
        if self.norm == "shift":
            shift = self.shift_ste()
            if self.quant_a:
                return ShiftHalfWave.apply(acc, self.bias_ste(shift), shift, self.amax)
            z = (acc + self.bias_ste(shift)[None, :, None, None]) * torch.pow(2.0, -shift)
        else:
            z = self.bn(acc)
            if self.quant_a:
                z = round_ste(z)
        return z.clamp(0.0, self.amax)

    def forward_exact(self, x: torch.Tensor) -> torch.Tensor:
        """The integer contract, literally, on integer-valued float tensors (exact below 2^24)."""
        p = self.integer_params()
        dt = exact_dtype(x.device)
        x = x.to(dt)
        acc = self._conv(x, p["codes"].to(dt))
        S = p["shift"]
        r = float(2 ** (S - 1)) if S > 0 else 0.0
        t = acc + p["bias"].to(dt)[None, :, None, None]          # |t| < 2^23: exact, no saturation
        y = torch.floor((t + r) / float(2 ** S)).clamp(0.0, self.amax)
        if self.spec.pool:
            y = F.max_pool2d(y, 2)
        return y

    @torch.no_grad()
    def calibrate(self, x: torch.Tensor) -> None:
        """Data-dependent init: shift from the spread of the accumulator, bias centering each channel."""
        self.wq.reset()
        self.wq.update_step(self.weight)
        acc = self._conv(x.float(), self.wq.codes(self.weight).float())
        if self.norm == "shift":
            mean = acc.mean(dim=(0, 2, 3))
            std = (acc - mean[None, :, None, None]).std().clamp_min(1e-6)
            target = self.act_init_std * 2 ** self.spec.abits
            S = min(MAX_SHIFT, max(0, round(math.log2(float(std) / target))))
            self.log2_scale.fill_(float(S))
            self.beta.copy_(-mean / 2 ** S)


class QHead(nn.Module):
    """Global sum pool + fully connected layer with quantized weights and integer bias.

    ``forward`` returns integer logits.  For the loss they are multiplied by ``loss_scale()`` (a
    learned positive temperature, training only: it does not change the argmax).
    """

    def __init__(self, in_features: int, classes: int, wbits: int = 3, quantizer: str = "equalized",
                 momentum: float = 0.9, bias_bits_max: int = 16):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(classes, in_features))
        nn.init.kaiming_normal_(self.weight)
        self.wq = WeightQuantizer(wbits, quantizer, momentum)
        self.beta = nn.Parameter(torch.zeros(classes))
        self.log_temp = nn.Parameter(torch.zeros(()))
        self.register_buffer("bias_unit", torch.ones(()))
        self.bias_bits_max = bias_bits_max
        self.wbits, self.classes = wbits, classes
        self.quant_w = True

    def bias_ste(self) -> torch.Tensor:
        lim = 2 ** (self.bias_bits_max - 1)
        return round_ste(self.beta * self.bias_unit).clamp(-lim, lim - 1)

    def loss_scale(self) -> torch.Tensor:
        return torch.exp(self.log_temp)

    @torch.no_grad()
    def integer_params(self) -> dict:
        return {"codes": self.wq.codes(self.weight), "bias": self.bias_ste().to(torch.int64)}

    def forward(self, a: torch.Tensor, exact: bool = False) -> torch.Tensor:
        if exact:
            p = self.integer_params()
            s = a.sum(dim=(2, 3))
            return s @ p["codes"].to(s.dtype).t() + p["bias"].to(s.dtype)
        s = a.float().sum(dim=(2, 3))
        codes = self.wq(self.weight, quantize=self.quant_w)
        return s @ codes.t() + self.bias_ste()

    @torch.no_grad()
    def calibrate(self, a: torch.Tensor) -> None:
        self.wq.reset()
        self.wq.update_step(self.weight)
        logits = a.float().sum(dim=(2, 3)) @ self.wq.codes(self.weight).float().t()
        std = float(logits.std().clamp_min(1e-6))
        self.bias_unit.fill_(std)
        self.log_temp.fill_(-math.log(std))
        self.beta.zero_()


class EncoderNet(nn.Module):
    """Chain of :class:`QConv` layers and an optional :class:`QHead` (classification)."""

    def __init__(self, model_cfg: dict):
        super().__init__()
        self.cfg = model_cfg
        inp = model_cfg.get("input", {"channels": 3, "height": 32, "width": 32})
        self.input_shape = (inp["channels"], inp["height"], inp["width"])
        norm = model_cfg.get("norm", "shift")
        quantizer = model_cfg.get("quantizer", "equalized")
        momentum = model_cfg.get("momentum", 0.9)
        bbm = model_cfg.get("bias_bits_max", 16)
        ais = model_cfg.get("act_init_std", 0.35)
        self.specs = [LayerSpec(**({"name": f"conv{i + 1}"} | l)) for i, l in enumerate(model_cfg["layers"])]
        layers, cin = [], self.input_shape[0]
        for s in self.specs:
            layers.append(QConv(s, cin, norm, quantizer, momentum, bbm, ais))
            cin = s.out
        self.layers = nn.ModuleList(layers)
        head = model_cfg.get("head")
        self.head = (QHead(cin, head.get("classes", 10), head.get("wbits", 3), quantizer, momentum, bbm)
                     if head else None)
        self.shapes = self._shapes()

    def _shapes(self) -> list[tuple[int, int, int]]:
        c, h, w = self.input_shape
        out = []
        for s in self.specs:
            h = (h + 2 * s.padding - s.kernel) // s.stride + 1
            w = (w + 2 * s.padding - s.kernel) // s.stride + 1
            if s.pool:
                h, w = h // 2, w // 2
            if h < 1 or w < 1:
                raise ValueError(f"{s.name}: output size {h}x{w} < 1")
            out.append((s.out, h, w))
        return out

    def set_quant(self, weights: bool = True, acts: bool = True) -> None:
        """Switch between the quantized network and its relaxed float version."""
        for l in self.layers:
            l.quant_w, l.quant_a = weights, acts
        if self.head is not None:
            self.head.quant_w = weights

    @property
    def exact(self) -> bool:
        return (not self.training and all(l.norm == "shift" and l.quant_w and l.quant_a for l in self.layers)
                and (self.head is None or self.head.quant_w))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: pixels 0..255 (uint8 or float).  Returns integer logits (classify) or codes."""
        exact = self.exact
        x = x.to(exact_dtype(x.device) if exact else torch.float32)
        for l in self.layers:
            x = l(x)
        if self.head is None:
            return x
        return self.head(x, exact=exact)

    def loss_scale(self) -> torch.Tensor:
        return self.head.loss_scale()

    @torch.no_grad()
    def calibrate(self, x: torch.Tensor) -> None:
        """Data-dependent initialisation of every shift, bias and the head (one batch of pixels)."""
        was = self.training
        self.train()
        a = x.float()
        for l in self.layers:
            l.calibrate(a)
            a = l(a).detach()
        if self.head is not None:
            self.head.calibrate(a)
        self.train(was)

    def integer_params(self) -> list[dict]:
        return [l.integer_params() for l in self.layers] + (
            [self.head.integer_params()] if self.head is not None else [])

    def macs(self) -> int:
        total, (c, h, w) = 0, self.input_shape
        for s, (co, ho, wo) in zip(self.specs, self.shapes):
            hc = ho * 2 if s.pool else ho
            wc = wo * 2 if s.pool else wo
            total += hc * wc * co * (c // s.groups) * s.kernel ** 2
            c = co
        if self.head is not None:
            total += c * self.head.classes
        return total


def argmax_lowest(logits: torch.Tensor) -> torch.Tensor:
    """argmax over dim 1, ties resolved to the lowest index (numerics section 2.4)."""
    m = logits.max(dim=1, keepdim=True).values
    idx = torch.arange(logits.shape[1], device=logits.device).expand_as(logits)
    return torch.where(logits == m, idx, torch.full_like(idx, logits.shape[1])).min(dim=1).values
