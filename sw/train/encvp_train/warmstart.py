"""Start training from exported files instead of a training checkpoint.

Training checkpoints (``runs/``) are git-ignored and do not survive a fresh checkout; the shipped
``.enet`` (and, for a codec, ``.edec``) files do.  :func:`checkpoint_from_files` rebuilds a
checkpoint-shaped dict from them that ``train.init_from`` of both trainers accepts:

* the config is the one the export recorded (``provenance.config``);
* every conv layer gets ``log2_scale = S`` and ``beta = bias / 2^S`` (so the bias and shift of the
  eval model are the file's integers exactly);
* latent weights are rebuilt around the file's codes: ``w = code + u`` with ``u`` uniform in
  ``(-JITTER, +JITTER)`` (ternary / quinary; the quantizer step is set to 1, so the eval codes are the
  file's), binary ``w = code * (1 + u)`` with step 2 (twice the median of ``|w|``, what the equalizer
  would estimate);  the jitter gives the quantile-based step estimator a spread to work on.  The
  latent weights the run had are lost: fine-tuning starts from the file's integers, not from the
  exact training state;
* the classification head gets ``beta = bias`` with a bias unit of 1; its loss temperature is not in
  the file (``head_temperature_known`` is False and :func:`fit_head_temperature` sets it from data);
* a codec's decoder is copied exactly (the ``.edec`` holds its float32 weights).

The result is checked before it is returned: the eval-mode model must give exactly the file's
integers (:meth:`EncoderNet.integer_params`), else ``ValueError``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from .edec import enet_crc, read_edec
from .enet import read_enet
from .model import EncoderNet

JITTER = 0.25


def _config(net: dict, where: str) -> dict:
    cfg = net["header"].get("provenance", {}).get("config")
    if not isinstance(cfg, dict) or "model" not in cfg:
        raise ValueError(f"{where}: its provenance holds no training config (exported by another tool?)")
    return cfg


def _latent(codes: np.ndarray, bits: int, gen: torch.Generator) -> tuple[torch.Tensor, float]:
    c = torch.from_numpy(np.asarray(codes, dtype=np.float32))
    u = (torch.rand(c.shape, generator=gen) * 2.0 - 1.0) * JITTER
    if bits == 1:
        return c * (1.0 + u), 2.0
    return c + u, 1.0


def load_encoder(model: EncoderNet, net: dict, where: str, seed: int = 0) -> None:
    """Set ``model`` (same layers as the file) to the integers of the decoded ``.enet`` ``net``."""
    layers = list(model.layers) + ([model.head] if model.head is not None else [])
    if len(layers) != len(net["layers"]):
        raise ValueError(f"{where}: {len(net['layers'])} layers in the file, {len(layers)} in the model")
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m, fl in zip(layers, net["layers"]):
            spec, w = fl["spec"], fl["weights"]
            if tuple(m.weight.shape) != tuple(w.shape):
                raise ValueError(f"{where}: layer {spec['name']}: weights {tuple(w.shape)} in the file, "
                                 f"{tuple(m.weight.shape)} in the model")
            if spec["weight_bits"] != m.wq.bits:
                raise ValueError(f"{where}: layer {spec['name']}: {spec['weight_bits']}-bit weights in the "
                                 f"file, {m.wq.bits}-bit in the model")
            lat, step = _latent(w, m.wq.bits, gen)
            m.weight.copy_(lat)
            m.wq.step.fill_(step)
            m.wq.initialized.fill_(True)
            m.wq._init_known = False
            bias = torch.from_numpy(np.asarray(fl["bias"], dtype=np.float64))
            if spec["type"] == "conv":
                if m.norm != "shift":
                    raise ValueError(f"{where}: a BatchNorm model cannot take the file's shifts")
                S = int(spec["shift"])
                m.log2_scale.fill_(float(S))
                m.beta.copy_((bias / 2.0 ** S).float())
            else:
                m.bias_unit.fill_(1.0)
                m.beta.copy_(bias.float())


def check_integers(model: EncoderNet, net: dict, where: str) -> None:
    """The eval model's integers must be the file's (codes, biases, shifts), layer by layer."""
    was = model.training
    model.eval()
    try:
        for p, fl in zip(model.integer_params(), net["layers"]):
            name = fl["spec"]["name"]
            if not np.array_equal(p["codes"].numpy(), fl["weights"]):
                raise ValueError(f"{where}: layer {name}: rebuilt weight codes differ from the file")
            if not np.array_equal(p["bias"].numpy(), fl["bias"]):
                raise ValueError(f"{where}: layer {name}: rebuilt biases differ from the file")
            if "shift" in p and p["shift"] != int(fl["spec"]["shift"]):
                raise ValueError(f"{where}: layer {name}: rebuilt shift {p['shift']} != {fl['spec']['shift']}")
    finally:
        model.train(was)


def checkpoint_from_files(enet_path, edec_path=None, seed: int = 0) -> dict:
    """A checkpoint-shaped dict (``model``, ``config``, ``task``, ...) from an exported network.

    A compression network needs its decoder: ``edec_path``, or the ``.edec`` beside the ``.enet``.
    """
    enet_path = Path(enet_path)
    net = read_enet(enet_path)
    where = str(enet_path)
    cfg = _config(net, where)
    task = net["header"]["task"]
    ck = {"config": cfg, "task": task, "imported_from": [str(enet_path)], "head_temperature_known": False,
          "val_acc": net["header"]["provenance"].get("val_acc"),
          "val_psnr": net["header"]["provenance"].get("val_psnr"),
          "step": 0, "epoch": 0}
    if task == "compress":
        from .codec import Codec, FrameDecoder
        edec_path = Path(edec_path) if edec_path else enet_path.with_suffix(".edec")
        if not edec_path.is_file():
            raise ValueError(f"{where}: a compression network needs its decoder; no {edec_path}")
        dec = read_edec(edec_path)
        crc = enet_crc(enet_path.read_bytes())
        if dec["header"]["encoder"]["crc32"] != crc:
            raise ValueError(f"{edec_path}: made for encoder crc32 0x{dec['header']['encoder']['crc32']:08x}, "
                             f"{enet_path} is 0x{crc:08x}")
        model = Codec(cfg["model"])
        load_encoder(model.encoder, net, where, seed)
        check_integers(model.encoder, net, where)
        fd = FrameDecoder.from_edec(dec)
        own = model.decoder.state_dict()
        theirs = fd.state_dict()
        if set(own) != set(theirs) or any(own[k].shape != theirs[k].shape for k in own):
            raise ValueError(f"{edec_path}: decoder layers differ from the config recorded in {enet_path}")
        model.decoder.load_state_dict(theirs)
        ck["imported_from"].append(str(edec_path))
    elif task == "classify":
        model = EncoderNet(cfg["model"])
        load_encoder(model, net, where, seed)
        check_integers(model, net, where)
    else:
        raise ValueError(f"{where}: unknown task {task!r}")
    ck["model"] = model.state_dict()
    return ck


def load_start(path, seed: int = 0) -> dict:
    """``train.init_from``: a training checkpoint (``.pt``) or an exported network (``.enet``)."""
    p = Path(path)
    if p.suffix == ".enet":
        return checkpoint_from_files(p, seed=seed)
    return torch.load(p, map_location="cpu", weights_only=False)


@torch.no_grad()
def fit_head_temperature(model: EncoderNet, x: torch.Tensor, y: torch.Tensor) -> float:
    """Set the head's loss temperature to the one that minimises the cross-entropy of ``model`` on
    (``x``, ``y``) (a 1-D search over ``log_temp``; the integer logits do not change).  Returns it."""
    was = model.training
    model.eval()
    try:
        logits = model(x).double()
    finally:
        model.train(was)
    std = float(logits.std().clamp_min(1e-6))
    best = (math.inf, 0.0)
    for lt in np.linspace(-math.log(std) - 3.0, -math.log(std) + 6.0, 181):
        loss = float(torch.nn.functional.cross_entropy(logits * math.exp(lt), y.long()))
        best = min(best, (loss, float(lt)))
    model.head.log_temp.fill_(best[1])
    return best[1]
