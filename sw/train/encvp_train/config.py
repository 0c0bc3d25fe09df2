"""Experiment configuration files (JSON, or TOML with Python >= 3.11).

A config has four sections; every key not given takes the default below::

    {
      "name": "cifar10-1mb",
      "seed": 1,
      "data":  {"source": "jpeg", "val_images": 5000, "val_seed": 20220801},
      "model": {"input": {"channels": 3, "height": 32, "width": 32},
                "norm": "shift", "quantizer": "equalized", "momentum": 0.9,
                "bias_bits_max": 16, "act_init_std": 0.35,
                "layers": [{"out": 48, "kernel": 3, "wbits": 3, "abits": 3, "pool": false}, ...],
                "head": {"classes": 10, "wbits": 3}},
      "train": {...}    # see TRAIN_DEFAULTS
    }

Layer keys: ``name`` (default convN), ``out``, ``kernel`` (3), ``stride`` (1), ``padding``
(kernel // 2), ``groups`` (1), ``wbits`` (2), ``abits`` (2), ``pool`` (false).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

TRAIN_DEFAULTS = {
    "epochs": 100,
    "batch_size": 128,
    "optimizer": "adamw",      # adamw | sgd
    "lr": 2e-3,
    "weight_decay": 0.0,       # on latent conv/fc weights only
    "momentum": 0.9,           # sgd only
    "warmup_epochs": 1.0,
    "schedule": "cosine",      # cosine | constant
    "label_smoothing": 0.1,
    "bf16": True,              # bf16 autocast for the training forward (CPU or CUDA)
    "channels_last": True,
    "augment": {"pad": 4, "flip": True, "cutout": 0},   # cutout: side of a blacked-out square (0: off)
    "calib_images": 512,       # images used for the data-dependent init of shifts and biases
    "float_epochs": 0,         # epochs with relaxed (unquantized) weights and acts at the start
    "teacher": None,           # optional (distillation): a checkpoint path, or a list of them whose
                               # softened probabilities are averaged (float or quantized checkpoints)
    "kd_alpha": 0.5,
    "kd_temperature": 4.0,
    "init_from": None,         # a checkpoint (same layers) whose weights start this run, with a fresh
                               # optimizer and this config's schedule, instead of the calibrated init
    "freeze_shifts_from": 0,   # >0: from this epoch (1-based) on, every layer's shift is fixed at its
                               # current integer value and no longer learned
    "ema_decay": 0.0,          # >0: also keep an exponential moving average of the weights (per step);
                               # validated every epoch, and best.pt holds whichever of the two is better
    "eval_every": 1,
    "train_subset": 0,         # >0: use only that many training images (smoke tests)
    "val_subset": 0,
    "threads": 2,
}

DATA_DEFAULTS = {"source": "jpeg", "val_images": 5000, "val_seed": 20220801}

MODEL_KEYS = {"input", "norm", "quantizer", "momentum", "bias_bits_max", "act_init_std", "layers", "head"}
LAYER_KEYS = {"name", "out", "kernel", "stride", "padding", "groups", "wbits", "abits", "pool"}


class ConfigError(ValueError):
    pass


def _merge(defaults: dict, given: dict, where: str) -> dict:
    unknown = set(given) - set(defaults)
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}")
    out = copy.deepcopy(defaults)
    for k, v in given.items():
        if isinstance(out.get(k), dict) and isinstance(v, dict):
            out[k] = {**out[k], **v}
        else:
            out[k] = v
    return out


def normalize(cfg: dict) -> dict:
    """Fill defaults and reject unknown keys (typos must not be silently ignored)."""
    unknown = set(cfg) - {"name", "seed", "data", "model", "train", "description"}
    if unknown:
        raise ConfigError(f"config: unknown top-level keys {sorted(unknown)}")
    if "model" not in cfg or "layers" not in cfg["model"]:
        raise ConfigError("config: model.layers is required")
    m = cfg["model"]
    bad = set(m) - MODEL_KEYS
    if bad:
        raise ConfigError(f"model: unknown keys {sorted(bad)}")
    for i, l in enumerate(m["layers"]):
        bad = set(l) - LAYER_KEYS
        if bad:
            raise ConfigError(f"model.layers[{i}]: unknown keys {sorted(bad)}")
        if "out" not in l:
            raise ConfigError(f"model.layers[{i}]: 'out' is required")
    if len(m["layers"]) + (1 if m.get("head") else 0) > 32:
        raise ConfigError("model: at most 32 layers")
    train = _merge(TRAIN_DEFAULTS, cfg.get("train", {}), "train")
    aug = train["augment"]
    bad = set(aug) - set(TRAIN_DEFAULTS["augment"])
    if bad:
        raise ConfigError(f"train.augment: unknown keys {sorted(bad)}")
    for k in ("pad", "cutout"):
        if not isinstance(aug[k], int) or isinstance(aug[k], bool) or aug[k] < 0:
            raise ConfigError(f"train.augment.{k}: a non-negative integer, not {aug[k]!r}")
    return {
        "name": cfg.get("name", "net"),
        "description": cfg.get("description", ""),
        "seed": int(cfg.get("seed", 1)),
        "data": _merge(DATA_DEFAULTS, cfg.get("data", {}), "data"),
        "model": copy.deepcopy(m),
        "train": train,
    }


def load_config(path: str | Path) -> dict:
    """Read a ``.json`` or ``.toml`` experiment config and fill its defaults."""
    p = Path(path)
    if p.suffix == ".toml":
        import tomllib  # Python >= 3.11
        raw = tomllib.loads(p.read_text())
    else:
        raw = json.loads(p.read_text())
    cfg = normalize(raw)
    if cfg["name"] == "net":
        cfg["name"] = p.stem
    return cfg
