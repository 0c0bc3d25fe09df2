"""The patch-based compression codec (docs/compression.md): quantized patch encoder + float decoder.

Encoder (hardware, exported to ``.enet`` with ``task = compress``): an :class:`~encvp_train.model.EncoderNet`
on one 16x16 RGB patch of 8-bit pixels::

    conv1 3x3  3->32  s1  3-bit weights (quinary)  3-bit activations   16x16
    conv2 3x3 32->64  s2  2-bit weights (ternary)  3-bit activations    8x8
    conv3 3x3 64->64  s2  2-bit weights            3-bit activations    4x4
    conv4 1x1 64->C   s1  2- or 3-bit weights      1-bit activations    4x4   = the binary code

The last layer's 1-bit half-wave quantizer (numerics section 2.2 with A = 1) *is* the code
quantizer: ``bit = clamp(floor((acc + bias) / 2^S + 1/2), 0, 1)``, i.e. ``bit = [acc + bias >= 2^(S-1)]``
(``[acc + bias >= 0]`` when S = 0).  In training its gradient is straight-through inside the
quantizer's window (``-1/2 <= z < 3/2`` with ``z = (acc + bias)·2^-S``; see ``model.ShiftHalfWave``).

Decoder (host, float, exported to ``.edec``): :class:`FrameDecoder`, a module built from the same
list of ops the ``.edec`` file stores (:func:`decoder_ops`), so the export writes exactly what the
model computes.  It sees the code tensor of the whole frame, ``C x H/4 x W/4``, mapped to +-1.

Training follows the chip: a crop is cut into 16x16 patches (:func:`patchify`) that go through the
encoder independently, the codes are re-assembled into the crop's code tensor
(:func:`unpatchify`: patch (i, j)'s 4x4 code lands at rows 4i..4i+3, columns 4j..4j+3) and the
decoder reconstructs the whole crop.  In eval mode the encoder computes the integer contract
exactly (``EncoderNet`` eval path), so the codes seen by the decoder during validation are the
chip's codes.
"""

from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F
from torch import nn

from .model import EncoderNet

PATCH = 16

#: the encoder of docs/compression.md (conv4's ``out`` is the number of code channels)
ENCODER_LAYERS = [
    {"name": "conv1", "out": 32, "kernel": 3, "stride": 1, "wbits": 3, "abits": 3},
    {"name": "conv2", "out": 64, "kernel": 3, "stride": 2, "wbits": 2, "abits": 3},
    {"name": "conv3", "out": 64, "kernel": 3, "stride": 2, "wbits": 2, "abits": 3},
    {"name": "conv4", "out": None, "kernel": 1, "stride": 1, "wbits": 3, "abits": 1},
]

#: the decoder of docs/compression.md
DECODER_DEFAULTS = {"width": 96, "blocks": 3, "half_width": 48, "half_blocks": 1, "full_width": 24}


# --------------------------------------------------------------------------------------------
# patches
# --------------------------------------------------------------------------------------------

def patchify(x: torch.Tensor, p: int = PATCH) -> torch.Tensor:
    """``[B, C, H, W]`` -> ``[B·(H/p)·(W/p), C, p, p]``: patches in raster order, image after image."""
    b, c, h, w = x.shape
    if h % p or w % p:
        raise ValueError(f"frame {h}x{w} is not a multiple of the patch size {p}")
    nh, nw = h // p, w // p
    return x.reshape(b, c, nh, p, nw, p).permute(0, 2, 4, 1, 3, 5).reshape(b * nh * nw, c, p, p)


def unpatchify(y: torch.Tensor, b: int, nh: int, nw: int) -> torch.Tensor:
    """Inverse of :func:`patchify` for any per-patch tensor ``[b·nh·nw, C, h, w]`` -> ``[b, C, nh·h, nw·w]``.

    Used for the codes (h = w = 4): patch (i, j)'s code goes to rows 4i..4i+3, columns 4j..4j+3.
    """
    n, c, h, w = y.shape
    if n != b * nh * nw:
        raise ValueError(f"{n} patches for a {b}x{nh}x{nw} grid")
    return y.reshape(b, nh, nw, c, h, w).permute(0, 3, 1, 4, 2, 5).reshape(b, c, nh * h, nw * w)


def pad_to_multiple(x: torch.Tensor, m: int = PATCH) -> torch.Tensor:
    """Edge-replication padding of ``[B, C, H, W]`` at the bottom/right to multiples of ``m``."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % m, (-w) % m
    if ph == 0 and pw == 0:
        return x
    dt = x.dtype
    y = F.pad(x.float(), (0, pw, 0, ph), mode="replicate")
    return y.to(dt)


# --------------------------------------------------------------------------------------------
# configuration
# --------------------------------------------------------------------------------------------

def encoder_model_cfg(mc: dict) -> dict:
    """The :class:`EncoderNet` config of the compression encoder from the codec's ``model`` section."""
    layers = copy.deepcopy(mc.get("encoder_layers") or ENCODER_LAYERS)
    if layers[-1].get("out") is None:
        layers[-1]["out"] = int(mc["code_channels"])
    if not mc.get("encoder_layers") and "conv4_wbits" in mc:
        layers[-1]["wbits"] = int(mc["conv4_wbits"])
    p = int(mc.get("patch", PATCH))
    cfg = {"input": {"channels": 3, "height": p, "width": p}, "layers": layers}
    for k in ("norm", "quantizer", "momentum", "bias_bits_max", "act_init_std"):
        if k in mc:
            cfg[k] = mc[k]
    return cfg


def decoder_ops(code_channels: int, width: int = 96, blocks: int = 3, half_width: int = 48,
                half_blocks: int = 1, full_width: int = 24) -> list[dict]:
    """The decoder graph of docs/compression.md as ``.edec`` ops (without payload segments)."""
    def conv(i, o, relu=False):
        return {"op": "conv", "in": i, "out": o, "kernel": 3, "relu": relu}

    def res(c):
        return [{"op": "mark"}, conv(c, c, True), conv(c, c), {"op": "add"}]

    ops = [{"op": "input_pm1"}, conv(code_channels, width, True)]
    for _ in range(blocks):
        ops += res(width)
    ops += [conv(width, half_width * 4), {"op": "pixel_shuffle", "factor": 2}, {"op": "relu"}]
    for _ in range(half_blocks):
        ops += res(half_width)
    ops += [conv(half_width, full_width * 4), {"op": "pixel_shuffle", "factor": 2}, {"op": "relu"}]
    ops += [conv(full_width, 3), {"op": "output"}]
    return ops


def decoder_macs_per_pixel(ops: list[dict], upscale: int = 4) -> float:
    """Multiply-accumulates of the decoder per output pixel."""
    scale, total = 1, 0.0
    for op in ops:
        if op["op"] == "conv":
            total += op["in"] * op["out"] * op["kernel"] ** 2 * (scale / upscale) ** 2
        elif op["op"] == "pixel_shuffle":
            scale *= op["factor"]
    return total


# --------------------------------------------------------------------------------------------
# decoder
# --------------------------------------------------------------------------------------------

class FrameDecoder(nn.Module):
    """Float decoder evaluating a list of ``.edec`` ops (docs/compression.md).

    ``forward(codes)``: codes ``[B, C, h, w]`` with values 0/1 (any float dtype) -> RGB
    ``[B, 3, h·r, w·r]`` in nominal [0, 1], *not* clamped (the loss uses it as is; :func:`to_pixels`
    clamps, scales and rounds).
    """

    def __init__(self, ops: list[dict], res_init: float = 0.1):
        super().__init__()
        self.ops = copy.deepcopy([{k: v for k, v in op.items() if k not in ("weights", "bias")} for op in ops])
        convs = []
        for i, op in enumerate(self.ops):
            if op["op"] == "conv":
                convs.append(nn.Conv2d(op["in"], op["out"], op["kernel"], padding=op["kernel"] // 2))
        self.convs = nn.ModuleList(convs)
        # residual branches start small (the second conv of every mark..add block), the output
        # starts at mid-grey: faster, steadier start without normalization layers
        with torch.no_grad():
            ci = 0
            for i, op in enumerate(self.ops):
                if op["op"] == "conv":
                    if i + 1 < len(self.ops) and self.ops[i + 1]["op"] == "add":
                        self.convs[ci].weight.mul_(res_init)
                        self.convs[ci].bias.zero_()
                    ci += 1
            self.convs[-1].bias.fill_(0.45)
        c = self.ops[1]["in"] if len(self.ops) > 1 and self.ops[1]["op"] == "conv" else None
        self.code_channels = c
        self.upscale = int(math.prod(op["factor"] for op in self.ops if op["op"] == "pixel_shuffle"))

    @classmethod
    def from_edec(cls, dec: dict) -> "FrameDecoder":
        """Build the module from a decoded ``.edec`` (:func:`encvp_train.edec.read_edec`)."""
        m = cls(dec["ops"])
        with torch.no_grad():
            ci = 0
            for op in dec["ops"]:
                if op["op"] == "conv":
                    m.convs[ci].weight.copy_(torch.from_numpy(op["weights"]))
                    m.convs[ci].bias.copy_(torch.from_numpy(op["bias"]))
                    ci += 1
        return m.eval()

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        x = codes.float() if not codes.is_floating_point() else codes
        stack, ci = [], 0
        for op in self.ops:
            o = op["op"]
            if o == "input_pm1":
                x = x * 2.0 - 1.0
            elif o == "conv":
                x = self.convs[ci](x)
                ci += 1
                if op["relu"]:
                    x = F.relu(x)
            elif o == "mark":
                stack.append(x)
            elif o == "add":
                x = x + stack.pop()
            elif o == "pixel_shuffle":
                x = F.pixel_shuffle(x, op["factor"])
            elif o == "relu":
                x = F.relu(x)
            elif o == "output":
                break
            else:
                raise ValueError(f"unknown op {o!r}")
        return x

    def export_ops(self) -> list[dict]:
        """The ops with their float32 parameters (``weights`` [out][in][k][k], ``bias`` [out]) as NumPy."""
        out, ci = [], 0
        for op in self.ops:
            op = dict(op)
            if op["op"] == "conv":
                op["weights"] = self.convs[ci].weight.detach().cpu().float().numpy().copy()
                op["bias"] = self.convs[ci].bias.detach().cpu().float().numpy().copy()
                ci += 1
            out.append(op)
        return out


def to_pixels(y: torch.Tensor) -> torch.Tensor:
    """Decoder output -> 8-bit pixels: clamp to [0, 1], x255, round half up (as uint8)."""
    return torch.floor(y.clamp(0.0, 1.0) * 255.0 + 0.5).to(torch.uint8)


def psnr(a, b) -> float:
    """PSNR in dB of two 8-bit images (any shape, all channels together, peak 255)."""
    a = torch.as_tensor(a).double()
    b = torch.as_tensor(b).double()
    mse = float((a - b).square().mean())
    return float("inf") if mse == 0 else 10.0 * math.log10(255.0 ** 2 / mse)


# --------------------------------------------------------------------------------------------
# the codec
# --------------------------------------------------------------------------------------------

class Codec(nn.Module):
    """Patch encoder (:class:`EncoderNet`, integer contract in eval mode) + :class:`FrameDecoder`."""

    def __init__(self, model_cfg: dict):
        super().__init__()
        self.cfg = copy.deepcopy(model_cfg)
        self.patch = int(model_cfg.get("patch", PATCH))
        self.encoder = EncoderNet(encoder_model_cfg(model_cfg))
        if self.encoder.head is not None:
            raise ValueError("the compression encoder has no classification head")
        c, h, w = self.encoder.shapes[-1]
        if h != w or self.patch % h:
            raise ValueError(f"encoder output {c}x{h}x{w} does not tile a {self.patch}x{self.patch} patch")
        if self.encoder.specs[-1].abits != 1:
            raise ValueError("the code layer (last encoder layer) must have 1-bit activations")
        self.code_channels, self.code_size = c, h
        self.upscale = self.patch // h
        dc = {**DECODER_DEFAULTS, **model_cfg.get("decoder", {})}
        self.decoder = FrameDecoder(decoder_ops(c, **dc))
        if self.decoder.upscale != self.upscale:
            raise ValueError(f"decoder upscales by {self.decoder.upscale}, the encoder downscales by {self.upscale}")

    @property
    def bpp(self) -> float:
        return self.code_channels * self.code_size ** 2 / self.patch ** 2

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Pixels ``[B, 3, H, W]`` (0..255, H and W multiples of the patch) -> codes ``[B, C, H/r, W/r]``.

        Each patch is encoded on its own, as on the chip.  Values are 0/1 (exact integers in eval mode).
        """
        b, _, h, w = x.shape
        codes = self.encoder(patchify(x, self.patch))
        return unpatchify(codes, b, h // self.patch, w // self.patch)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        codes = self.encode(x)
        return self.decoder(codes.float()), codes

    def decode_patchwise(self, codes: torch.Tensor) -> torch.Tensor:
        """Baseline: decode every patch's code alone (zero padding around it) and tile the outputs."""
        b, c, h, w = codes.shape
        s = self.code_size
        per = patchify(codes, s)
        out = self.decoder(per.float())
        return unpatchify(out, b, h // s, w // s)

    @torch.no_grad()
    def calibrate(self, x: torch.Tensor, layers: str = "all", keep_channels: int = 0) -> None:
        """Data-dependent init of the encoder (shifts, biases) on pixel crops ``x``.

        ``layers = "all"``: every layer (:meth:`EncoderNet.calibrate`); ``"code"``: only the code
        layer (used when the other layers come from another checkpoint).  Then the code layer's bias
        is set so that every code channel is 1 on about half of the positions (most information per
        bit): ``beta_c = 1/2 - median_c(acc·2^-S)``.  ``keep_channels = k > 0`` (a code layer
        widened from a trained one): the shift and the first ``k`` channels' biases stay as loaded,
        only the new channels get the median bias.
        """
        if layers == "none":
            return
        enc = self.encoder
        was = enc.training
        enc.train()
        a = patchify(x.float(), self.patch)
        if layers == "all":
            enc.calibrate(a)
        for l in enc.layers[:-1]:
            a = l(a).detach()
        last = enc.layers[-1]
        if layers != "all" and keep_channels == 0:
            last.calibrate(a)
        if last.norm == "shift":
            acc = last._conv(a, last.wq.codes(last.weight).float())
            S = float(last.shift_ste())
            med = (acc * 2.0 ** -S).transpose(0, 1).reshape(acc.shape[1], -1).median(dim=1).values
            last.beta[keep_channels:].copy_(0.5 - med[keep_channels:])
        enc.train(was)
