"""Joint training of the compression codec: quantized patch encoder + full-frame float decoder.

    OMP_WAIT_POLICY=PASSIVE PYTHONPATH=sw/train /usr/bin/python3 -m encvp_train.train_compress \\
        --config configs/train/kodak-025.json --out runs/kodak-025 [--resume]

Every step draws ``batch_size`` random square crops of the training photos (several scales, the 8
flips/rotations; :mod:`encvp_train.photos`), cuts each into 16x16 patches that the encoder codes
independently (exactly as on the chip), re-assembles each crop's code tensor and decodes the whole
crop; the loss is the MSE on [0, 1] RGB.  Every ``eval_every`` steps the held-out photos are coded
with the *exact* integer encoder (eval mode) and decoded; their mean PSNR (8-bit output, RGB)
chooses ``best.pt``.  Kodak is never touched here.

Writes into ``--out``: ``train.log`` (config, budget, one line per evaluation), ``metrics.jsonl``,
``last.pt`` (every evaluation; ``--resume`` continues from it with the same data stream),
``best.pt``, ``config.json`` and ``summary.json``.  Step-level progress goes to stdout.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import photos as P
from .budget import budget_rows, format_budget
from .codec import DECODER_DEFAULTS, Codec, decoder_macs_per_pixel, pad_to_multiple, psnr, to_pixels
from .config import ConfigError, _merge
from .quant import level_histogram
from .rate import RatePrior
from .warmstart import load_start
from .train import Logger, atomic_save, ema_update, git_commit, make_ema, pick_device, seed_everything

DATA_DEFAULTS = {"val_photos": 3, "val_seed": 20220801, "scales": [1.0, 0.75, 0.5], "crop": 128,
                 "val_long_side": 768}
MODEL_DEFAULTS = {"patch": 16, "code_channels": 4, "conv4_wbits": 3, "encoder_layers": None,
                  "norm": "shift", "quantizer": "equalized", "momentum": 0.9, "bias_bits_max": 16,
                  "act_init_std": 0.35, "decoder": dict(DECODER_DEFAULTS)}
TRAIN_DEFAULTS = {
    "steps": 6000,
    "batch_size": 8,
    "lr": 5e-4,               # decoder (Adam)
    "encoder_lr": 5e-4,       # encoder latent weights (and shifts and biases unless given below) (Adam)
    "bias_lr": None,          # encoder biases (beta, in output LSBs): None = encoder_lr
    "shift_lr": None,         # encoder log2 scales (the shifts): None = encoder_lr
    "warmup_steps": 200,
    "schedule": "cosine",     # cosine | constant
    "min_lr": 0.02,           # cosine floor, as a fraction of the peak
    "lr_drops": [],           # [[step, factor], ...]: multiply every rate by factor from that step on
    "grad_clip": 1.0,         # global gradient-norm clip (0: off)
    "eval_every": 250,        # steps between validations / checkpoints
    "log_every": 25,
    "calib_crops": 32,
    "init_from": None,        # checkpoint (or exported .enet + .edec) whose tensors of matching shape initialise this model
    "ema_decay": 0.0,         # >0: also validate an exponential moving average of the weights (per
                              # step); best.pt holds whichever of the two validates better
    "threads": 2,
    "freeze_encoder": False,  # true: train the decoder only; the encoder (from init_from) stays exactly as
                              # loaded, in eval mode, so its codes -- and every bitstream already written
                              # with it -- stay valid for the new decoder
    "init_encoder_only": False,  # true: take only the encoder from init_from (a decoder of another shape
                                 # starts fresh instead of from tensors that merely match by index)
    "rate_lambda": 0.0,       # >0: loss = MSE + rate_lambda * (estimated entropy-coded bpp of the codes,
                              # encvp_train.rate.RatePrior); checkpoints are then chosen by that objective
    "rate_width": 8,          # rate prior: hidden units per code channel
    "rate_kernel": 5,         # rate prior: context window (odd)
    "rate_lr": 1e-3,          # rate prior's peak rate (Adam; same schedule): it starts from nothing
    "rate_target": 0.0,       # >0 (bpp, the prior's estimate on the validation photos): rate_lambda is only
                              # the start; after each validation it is multiplied by
                              # exp(rate_gain * (estimate - target) / target) (at most x2 or /2), and the
                              # checkpoint kept is the best-PSNR one whose estimate is <= target
    "rate_gain": 1.0,
    "rate_control_from": 0,   # with rate_target: the weight stays at rate_lambda until this step (the prior
                              # starts at one bit per bit, and while it learns its estimate falls by itself)
}


def normalize(cfg: dict) -> dict:
    unknown = set(cfg) - {"name", "description", "seed", "data", "model", "train"}
    if unknown:
        raise ConfigError(f"config: unknown top-level keys {sorted(unknown)}")
    model = _merge(MODEL_DEFAULTS, cfg.get("model", {}), "model")
    bad = set(model["decoder"]) - set(DECODER_DEFAULTS)
    if bad:
        raise ConfigError(f"model.decoder: unknown keys {sorted(bad)}")
    out = {"name": cfg.get("name", "codec"), "description": cfg.get("description", ""),
           "seed": int(cfg.get("seed", 1)), "task": "compress",
           "data": _merge(DATA_DEFAULTS, cfg.get("data", {}), "data"),
           "model": model,
           "train": _merge(TRAIN_DEFAULTS, cfg.get("train", {}), "train")}
    Codec(out["model"])   # geometry errors now, not after the data is loaded
    return out


def load_config(path) -> dict:
    p = Path(path)
    if p.suffix == ".toml":
        import tomllib
        raw = tomllib.loads(p.read_text())
    else:
        raw = json.loads(p.read_text())
    cfg = normalize(raw)
    if cfg["name"] == "codec":
        cfg["name"] = p.stem
    return cfg


def lr_factor(step: int, tc: dict) -> float:
    """Linear warm-up, then cosine decay to ``min_lr`` (or constant), times the ``lr_drops`` passed."""
    drop = math.prod(float(f) for s, f in tc.get("lr_drops") or [] if step >= int(s))
    w = int(tc["warmup_steps"])
    if w and step < w:
        return drop * (step + 1) / w
    if tc["schedule"] == "constant":
        return drop
    t = min(1.0, (step - w) / max(1, int(tc["steps"]) - w))
    lo = float(tc["min_lr"])
    return drop * (lo + (1.0 - lo) * 0.5 * (1.0 + math.cos(math.pi * t)))


def param_groups(model: Codec, tc: dict) -> list[dict]:
    """Decoder, encoder weights, and (when ``bias_lr``/``shift_lr`` are set) encoder biases and shifts.

    The biases are learned in units of the output LSB and the shifts as log2 scales: with Adam a step
    moves them by about ``lr`` LSB (or octave), so they need a larger rate than the latent weights to
    move at all within a few thousand steps."""
    dec = [p for p in model.decoder.parameters() if p.requires_grad]
    groups = [{"params": dec, "base_lr": tc["lr"]}]
    if tc.get("freeze_encoder"):
        return _with_lr(groups)      # the decoder alone
    if tc["bias_lr"] is None and tc["shift_lr"] is None:
        groups.append({"params": [p for p in model.encoder.parameters() if p.requires_grad],
                       "base_lr": tc["encoder_lr"]})
    else:
        named = list(model.encoder.named_parameters())
        groups += [
            {"params": [p for n, p in named if not n.endswith(("beta", "log2_scale"))], "base_lr": tc["encoder_lr"]},
            {"params": [p for n, p in named if n.endswith("beta")], "base_lr": tc["bias_lr"] or tc["encoder_lr"]},
            {"params": [p for n, p in named if n.endswith("log2_scale")],
             "base_lr": tc["shift_lr"] or tc["encoder_lr"]}]
    return _with_lr(groups)


def _with_lr(groups: list[dict]) -> list[dict]:
    for g in groups:
        g["lr"] = g["base_lr"]
    return groups


def make_optimizer(model: Codec, tc: dict) -> torch.optim.Optimizer:
    return torch.optim.Adam(param_groups(model, tc))


def encoder_report(model: Codec, codes: torch.Tensor | None = None) -> str:
    parts = []
    for l in model.encoder.layers:
        p = l.integer_params()
        h = level_histogram(p["codes"], l.spec.wbits)
        parts.append(f"{l.spec.name}:S={p['shift']} lv%=" + "/".join(f"{v * 100:.0f}" for v in h.values()))
    if codes is not None:
        ones = codes.float().mean(dim=(0, 2, 3))
        parts.append("ones%=" + "/".join(f"{float(v) * 100:.0f}" for v in ones))
    return " ".join(parts)


@torch.no_grad()
def validate(model: Codec, frames: list[np.ndarray], device: torch.device = torch.device("cpu"),
             prior: RatePrior | None = None) -> tuple[float, list[float], torch.Tensor, float | None]:
    """Mean PSNR (dB, 8-bit RGB) of the held-out frames through the exact encoder and the decoder,
    the per-frame PSNRs, all codes, and (with a ``prior``) the mean over the frames of its estimated
    code length per frame pixel (bpp; else None)."""
    model.eval()
    scores, allcodes, bpps = [], [], []
    for f in frames:
        x = torch.from_numpy(np.asarray(f))[None].to(device)
        xp = pad_to_multiple(x, model.patch)
        y, codes = model(xp.float())
        rec = to_pixels(y)[..., :x.shape[-2], :x.shape[-1]]
        scores.append(psnr(rec, x))
        allcodes.append(codes.flatten(2).cpu())
        if prior is not None:
            bpps.append(float(prior.bits(codes)[0]) / (x.shape[-2] * x.shape[-1]))
    bpp = float(np.mean(bpps)) if prior is not None else None
    return float(np.mean(scores)), scores, torch.cat(allcodes, dim=2)[..., None], bpp


def rate_control(lam: float, est: float, target: float, gain: float) -> float:
    """The next rate weight of a run with ``train.rate_target``: up when the validation estimate
    ``est`` is above ``target``, down when below, by at most a factor of 2 per validation."""
    f = math.exp(gain * (est - target) / target)
    return lam * min(2.0, max(0.5, f))


def better_at_target(cand_psnr: float, cand_bpp: float, best: dict, target: float) -> bool:
    """Checkpoint choice of a run with ``train.rate_target``: a candidate whose estimated rate meets
    the target beats any that does not, then the higher PSNR wins; while none meets it, the lower
    rate wins (the run is still on its way down)."""
    best_bpp = best.get("val_bpp_est", math.inf)
    ok, best_ok = cand_bpp <= target, best_bpp <= target
    if ok != best_ok:
        return ok
    return cand_psnr > best["val_psnr"] if ok else cand_bpp < best_bpp


def rd_objective(scores: list[float], bpp: float, rate_lambda: float) -> float:
    """The training loss on the validation frames: mean MSE (on [0, 1], from each frame's PSNR)
    + ``rate_lambda`` x estimated bpp."""
    return float(np.mean([10.0 ** (-s / 10.0) for s in scores])) + rate_lambda * bpp


def resize_channels(src: torch.Tensor, shape, dim: int, gen: torch.Generator) -> torch.Tensor:
    """``src`` cut or widened along ``dim`` to ``shape`` (all other dims equal).

    Cutting keeps the leading channels.  Widening keeps the function the checkpoint computed
    (Net2Net-style): new *input* channels (``dim`` 1) get zero weights, so the decoder ignores the
    new code channels until training teaches it to use them; new *output* channels (``dim`` 0)
    copy existing ones cyclically with their input weights randomly permuted, so a new code channel
    has the trained weight distribution (same quantizer step) but computes a different feature."""
    n_old, n_new = src.shape[dim], shape[dim]
    if n_new <= n_old:
        return src.narrow(dim, 0, n_new).clone()
    extra = list(shape)
    extra[dim] = n_new - n_old
    if dim == 1:
        return torch.cat([src, src.new_zeros(extra)], dim)
    rows = []
    for j in range(n_new - n_old):
        r = src[j % n_old].clone()
        if r.dim() >= 1 and r.shape[0] > 1:
            r = r[torch.randperm(r.shape[0], generator=gen)]
        rows.append(r)
    return torch.cat([src, torch.stack(rows)], 0)


def load_matching(model: torch.nn.Module, ck, seed: int = 0) -> tuple[list[str], list[str], list[str]]:
    """Copy every tensor of checkpoint ``ck`` (a path or a loaded checkpoint) whose name and shape
    match; tensors whose shape differs in the channel count only (dim 0 or 1) are cut or widened by
    :func:`resize_channels`.  Returns (loaded, resized, skipped)."""
    if not isinstance(ck, dict):
        ck = torch.load(ck, map_location="cpu", weights_only=False)
    src = ck["model"]
    own = model.state_dict()
    gen = torch.Generator().manual_seed(seed)
    loaded, resized, skipped = [], [], []
    for k, v in own.items():
        s = src.get(k)
        diff = [] if s is None or s.dim() != v.dim() else [d for d in range(v.dim()) if s.shape[d] != v.shape[d]]
        if s is not None and s.shape == v.shape:
            own[k] = s
            loaded.append(k)
        elif s is not None and len(diff) == 1 and diff[0] in (0, 1):
            own[k] = resize_channels(s, v.shape, diff[0], gen)
            resized.append(k)
        else:
            skipped.append(k)
    model.load_state_dict(own)
    return loaded, resized, skipped


def train(cfg: dict, out: Path, resume: bool = False, data_override: str | None = None,
          stop_after: int | None = None, quiet: bool = False, device_name: str = "auto",
          time_budget: float | None = None) -> dict:
    """Run (or resume) the codec training described by ``cfg``; returns the summary.

    ``time_budget`` (seconds, this invocation): after the first evaluation round the schedule is
    shortened (never lengthened) so that it ends within the budget, and the run stops, resumable,
    at the first evaluation past it."""
    t_start = time.time()
    tc, dc = cfg["train"], cfg["data"]
    out.mkdir(parents=True, exist_ok=True)
    log = Logger(out / "train.log")
    torch.set_num_threads(int(tc["threads"]))
    device = pick_device(device_name)
    seed_everything(cfg["seed"])
    log(f"=== {_dt.datetime.now().isoformat(timespec='seconds')} encvp_train.train_compress {cfg['name']} "
        f"on {device} (torch {torch.__version__}, {torch.get_num_threads()} threads)"
        f"{' [resume]' if resume else ''}")

    # ---- data --------------------------------------------------------------------------------
    files = P.list_photos(data_override)
    tr_files, va_files = P.split_photos(files, dc["val_photos"], dc["val_seed"])
    sampler = P.CropSampler(tr_files, dc["scales"], dc["crop"], verbose=not quiet)
    frames = P.validation_frames(va_files, dc["val_long_side"], verbose=not quiet)
    log(f"data: {len(tr_files)} training photos from {P.photos_dir(data_override)} at scales {dc['scales']} "
        f"({sampler.pixels / 1e6:.1f} Mpx), crops {dc['crop']}x{dc['crop']}; validation: "
        f"{len(va_files)} held-out photos (seed {dc['val_seed']}): "
        + ", ".join(f"{f.name} {fr.shape[2]}x{fr.shape[1]}" for f, fr in zip(va_files, frames)))

    # ---- model -------------------------------------------------------------------------------
    model = Codec(cfg["model"])
    freeze = bool(tc.get("freeze_encoder"))
    if freeze:
        if not tc["init_from"]:
            raise ConfigError("train.freeze_encoder needs train.init_from (a trained encoder to keep)")
        model.encoder.requires_grad_(False)
    rate_lambda = float(tc["rate_lambda"])
    if rate_lambda < 0:
        raise ConfigError(f"train.rate_lambda must be >= 0, got {rate_lambda}")
    if rate_lambda and freeze:
        raise ConfigError("train.rate_lambda needs a trainable encoder (not train.freeze_encoder)")
    rate_target, rate_gain = float(tc["rate_target"]), float(tc["rate_gain"])
    if rate_target < 0 or (rate_target and not rate_lambda):
        raise ConfigError(f"train.rate_target = {rate_target:g} needs train.rate_lambda > 0 (the starting "
                          f"weight) and must be > 0 (bpp) or 0 (off)")
    if rate_target and not 0 < rate_gain <= 10:
        raise ConfigError(f"train.rate_gain must be in (0, 10], got {rate_gain:g}")
    control_from = int(tc["rate_control_from"])
    if control_from < 0:
        raise ConfigError(f"train.rate_control_from must be a step >= 0, got {control_from}")
    prior = RatePrior(model.code_channels, int(tc["rate_width"]), int(tc["rate_kernel"])) if rate_lambda else None
    log(f"codec: {model.code_channels} code channels x {model.code_size}x{model.code_size} per "
        f"{model.patch}x{model.patch} patch = {model.bpp:g} bpp; decoder "
        f"{sum(p.numel() for p in model.decoder.parameters())} parameters, "
        f"{decoder_macs_per_pixel(model.decoder.ops, model.upscale) / 1e3:.1f}k MACs/pixel")
    log(format_budget(budget_rows(model.encoder), title="encoder budget (bias width at its cap):"))

    start, best = 0, {"val_psnr": -1.0, "step": 0}
    ema_state = None
    ck_last = out / "last.pt"
    if resume and ck_last.is_file():
        ck = torch.load(ck_last, map_location="cpu", weights_only=False)
        model.load_state_dict(ck["model"])
        model.to(device)
        opt = make_optimizer(model, tc)
        opt.load_state_dict(ck["optimizer"])
        for g, ref in zip(opt.param_groups, param_groups(model, tc)):
            g["base_lr"] = ref["base_lr"]
        start, best = ck["step"], ck["best"]
        ema_state = ck.get("ema")
        if prior is not None:
            if "rate_prior" not in ck:
                raise ConfigError(f"{ck_last} was trained without train.rate_lambda: cannot resume with it")
            prior.load_state_dict(ck["rate_prior"])
            if rate_target and "rate_lambda_now" in ck:
                rate_lambda = float(ck["rate_lambda_now"])
        log(f"resumed from {ck_last}: step {start}, best val {best['val_psnr']:.3f} dB at step {best['step']}")
    else:
        if resume:
            log(f"--resume: no {ck_last}, starting from scratch")
        calib = torch.from_numpy(sampler.sample(np.random.default_rng([cfg["seed"], 999_999_999]),
                                                int(tc["calib_crops"])))
        if tc["init_from"]:
            init = load_start(tc["init_from"], cfg["seed"])
            if tc["init_encoder_only"]:
                init = {**init, "model": {k: v for k, v in init["model"].items() if k.startswith("encoder.")}}
            loaded, resized, skipped = load_matching(model, init, cfg["seed"])
            log(f"init from {tc['init_from']}: {len(loaded)} tensors loaded, "
                f"resized (channels): {', '.join(resized) or 'none'}, new: {', '.join(skipped) or 'none'}")
            if freeze and any(k.startswith("encoder.") for k in skipped + resized):
                raise ConfigError(f"train.freeze_encoder: {tc['init_from']} does not hold this config's "
                                  f"encoder (differs: {', '.join(k for k in skipped + resized if k.startswith('encoder.'))})")
            if any(k.startswith("encoder.layers.") for k in skipped):
                model.calibrate(calib, "code")
            elif any(k.startswith("encoder.layers.") for k in resized):
                # keep the trained shift and the biases of the code channels the checkpoint had
                model.calibrate(calib, "code", keep_channels=int(init["config"]["model"]["code_channels"]))
            else:
                model.calibrate(calib, "none")
        else:
            model.calibrate(calib)
        model.to(device)
        opt = make_optimizer(model, tc)
        log("calibrated: " + encoder_report(model))
    popt = None
    if prior is not None:
        prior.to(device)
        popt = torch.optim.Adam(prior.parameters(), lr=float(tc["rate_lr"]))
        for g in popt.param_groups:
            g["base_lr"] = float(tc["rate_lr"])
        if resume and ck_last.is_file():
            popt.load_state_dict(ck["rate_optimizer"])
        log(f"rate term: loss = MSE + {rate_lambda:g} x estimated bpp (causal context prior over the codes, "
            f"{tc['rate_width']} units per channel, {tc['rate_kernel']}x{tc['rate_kernel']} window, "
            f"{sum(p.numel() for p in prior.parameters())} parameters; checkpoints chosen by "
            + (f"the best PSNR at an estimated <= {rate_target:g} bpp on the validation photos; the weight "
               f"follows the estimate, gain {rate_gain:g})" if rate_target else
               f"MSE + {rate_lambda:g} x bpp on the validation photos)"))
    ema_decay = float(tc["ema_decay"])
    ema = make_ema(model, ema_decay, ema_state, log)
    (out / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")

    steps = int(tc["steps"])
    end = steps if stop_after is None else min(steps, start + stop_after)
    bs, every = int(tc["batch_size"]), int(tc["eval_every"])
    t_round, seen, loss_sum, n_loss, t_data, bpp_sum = time.time(), 0, 0.0, 0, 0.0, 0.0
    step = start
    t_first, fitted = time.time(), False
    while step < end:
        model.train()
        t0 = time.time()
        xb = torch.from_numpy(sampler.sample(np.random.default_rng([cfg["seed"], step]), bs)).float().to(device)
        t_data += time.time() - t0
        f = lr_factor(step, tc)
        for g in opt.param_groups + (popt.param_groups if popt else []):
            g["lr"] = g["base_lr"] * f
        if freeze:
            model.encoder.eval()
            with torch.no_grad():
                codes = model.encode(xb)
            y = model.decoder(codes.float())
        else:
            y, codes = model(xb)
        mse = F.mse_loss(y, xb / 255.0)
        loss = mse
        if prior is not None:
            bpp_est = prior.bits(codes).sum() / (xb.shape[0] * xb.shape[2] * xb.shape[3])
            bpp_sum += float(bpp_est)
            loss = mse + rate_lambda * bpp_est
            popt.zero_grad(set_to_none=True)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if tc["grad_clip"]:
            torch.nn.utils.clip_grad_norm_(model.parameters(), float(tc["grad_clip"]))
        opt.step()
        if popt is not None:
            popt.step()
        if ema is not None:
            # a frozen encoder is not averaged: decay*x + (1-decay)*x is not always x in floating point
            if freeze:
                ema_update(ema.decoder, model.decoder, ema_decay)
            else:
                ema_update(ema, model, ema_decay)
        step += 1
        seen += xb.shape[0] * xb.shape[2] * xb.shape[3]
        loss_sum += float(mse)
        n_loss += 1
        el = time.time() - t_round
        if not quiet and (step % int(tc["log_every"]) == 0 or step == end):
            print(f"  step {step}/{steps} mse {loss_sum / n_loss:.5f} "
                  f"({-10 * math.log10(max(loss_sum / n_loss, 1e-12)):.2f} dB) lr x{f:.3f} "
                  f"{seen / el / 1e3:.1f}k px/s"
                  + (f" est {bpp_sum / n_loss:.4f} bpp" if prior is not None else ""), flush=True)
        if step % every == 0 or step == end:
            t1 = time.time()
            vp, scores, vcodes, vb = validate(model, frames, device, prior)
            vp_ema, scores_ema, vb_ema = None, None, None
            if ema is not None:
                vp_ema, scores_ema, _, vb_ema = validate(ema, frames, device, prior)
            if prior is None:
                use_ema = vp_ema is not None and vp_ema > vp
                cand = vp_ema if use_ema else vp
                is_best = cand > best["val_psnr"]
            else:   # rate-distortion: the lower validation objective wins (both weight sets, and best)
                def beats(psnr_, bpp_, obj_, ref):   # with a target: its rule; else the lower objective
                    if rate_target:
                        return better_at_target(psnr_, bpp_, ref, rate_target)
                    return obj_ < ref.get("val_objective", math.inf)

                obj = rd_objective(scores, vb, rate_lambda)
                obj_ema = rd_objective(scores_ema, vb_ema, rate_lambda) if ema is not None else None
                use_ema = ema is not None and beats(vp_ema, vb_ema, obj_ema,
                                                    {"val_psnr": vp, "val_bpp_est": vb, "val_objective": obj})
                cand = vp_ema if use_ema else vp
                cand_obj, cand_bpp = (obj_ema, vb_ema) if use_ema else (obj, vb)
                is_best = beats(cand, cand_bpp, cand_obj, best)
            if is_best:
                best = {"val_psnr": cand, "step": step, "weights": "ema" if use_ema else "raw"}
                if prior is not None:
                    best.update(val_objective=cand_obj, val_bpp_est=cand_bpp, rate_lambda=rate_lambda)
            tr_mse = loss_sum / max(1, n_loss)
            rec = {"step": step, "train_mse": tr_mse, "train_psnr": -10 * math.log10(max(tr_mse, 1e-12)),
                   "val_psnr": vp, "val_psnr_each": scores, "lr_factor": f, "round_s": round(el, 1),
                   "px_s": round(seen / el), "data_s": round(t_data, 1), "val_s": round(time.time() - t1, 1),
                   "time": _dt.datetime.now().isoformat(timespec="seconds")}
            if vp_ema is not None:
                rec.update(val_psnr_ema=vp_ema, val_psnr_ema_each=scores_ema)
            ema_note = f" ema {vp_ema:.3f} dB" if vp_ema is not None else ""
            if prior is not None:
                rec.update(train_bpp_est=bpp_sum / max(1, n_loss), val_bpp_est=vb, val_objective=obj,
                           rate_lambda=rate_lambda)
                ema_note += f" est {vb:.4f} bpp (train {rec['train_bpp_est']:.4f}) objective {obj:.6f}"
                if vb_ema is not None:
                    rec.update(val_bpp_est_ema=vb_ema, val_objective_ema=obj_ema)
                    ema_note += f" ema est {vb_ema:.4f} bpp objective {obj_ema:.6f}"
            if rate_target and step >= control_from:
                # the weight of the next steps follows the raw weights' estimate (the EMA lags it)
                rate_lambda = rate_control(rate_lambda, vb, rate_target, rate_gain)
                ema_note += f" -> lambda {rate_lambda:.5f}"
            log(f"step {step}/{steps}: train {rec['train_psnr']:.2f} dB  val {vp:.3f} dB{ema_note}"
                f"{' *' if is_best else ''}{' (ema)' if is_best and use_ema else ''} "
                f"[{' '.join(f'{s:.2f}' for s in scores)}]  ({el:.0f}s, {rec['px_s'] / 1e3:.1f}k px/s, "
                f"lr x{f:.3f}) {encoder_report(model, vcodes)}")
            with open(out / "metrics.jsonl", "a") as fh:
                fh.write(json.dumps(rec) + "\n")
            state = {"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step, "best": best,
                     "config": cfg, "val_psnr": vp, "task": "compress",
                     "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                     "git_commit": git_commit(), "torch": torch.__version__, "weights": "raw"}
            if ema is not None:
                state["ema"] = ema.state_dict()
            if prior is not None:
                state.update(rate_prior=prior.state_dict(), rate_optimizer=popt.state_dict(),
                             rate_lambda_now=rate_lambda)
            atomic_save(state, ck_last)
            if is_best:
                if use_ema:
                    state = {**state, "model": ema.state_dict(), "weights": "ema", "val_psnr": vp_ema}
                atomic_save(state, out / "best.pt")
            if time_budget is not None:
                used = time.time() - t_start
                if not fitted:
                    # First round of this invocation: fit the rest of the schedule into the budget.
                    fitted = True
                    per_step = (time.time() - t_first) / (step - start)
                    fit = step + max(0, int((time_budget - used) / per_step))
                    if fit < steps:
                        steps = tc["steps"] = max(step, fit)
                        end = steps if stop_after is None else min(steps, start + stop_after)
                        log(f"time budget {time_budget:.0f} s: {per_step:.3f} s per step with validation "
                            f"-> schedule shortened to {steps} steps (resume with --steps {steps})")
                elif used > time_budget and step < end:
                    log(f"time budget {time_budget:.0f} s used up at step {step}: stopping (resumable)")
                    break
            t_round, seen, loss_sum, n_loss, t_data, bpp_sum = time.time(), 0, 0.0, 0, 0.0, 0.0
    summary = {"name": cfg["name"], "steps_done": step, "steps": steps, "best": best}
    if step >= steps:
        (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        log(f"done: best val {best['val_psnr']:.3f} dB at step {best['step']} -> {out / 'best.pt'}")
    return summary


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, help="codec config (.json)")
    ap.add_argument("--out", required=True, help="run directory (checkpoints, logs)")
    ap.add_argument("--resume", action="store_true", help="continue from OUT/last.pt if present")
    ap.add_argument("--data", help="shared data directory or a folder of *.jpg (default $ENCVP_DATA or ../shared/data)")
    ap.add_argument("--steps", type=int, help="override train.steps (changes the LR schedule)")
    ap.add_argument("--stop-after", type=int, help="stop after this many steps in this invocation (schedule unchanged)")
    ap.add_argument("--threads", type=int, help="override train.threads")
    ap.add_argument("--init-from", help="override train.init_from")
    ap.add_argument("--device", default="auto", help="auto | cpu | cuda[:N]")
    ap.add_argument("--time-budget", type=float, metavar="SECONDS",
                    help="fit the rest of the schedule into this much wall time (shortens train.steps)")
    a = ap.parse_args(argv)
    if a.time_budget is not None and a.time_budget <= 0:
        ap.error("--time-budget must be positive")
    cfg = load_config(a.config)
    if a.steps:
        cfg["train"]["steps"] = a.steps
    if a.threads:
        cfg["train"]["threads"] = a.threads
    if a.init_from:
        cfg["train"]["init_from"] = a.init_from
    train(cfg, Path(a.out), a.resume, a.data, a.stop_after, device_name=a.device, time_budget=a.time_budget)
    return 0


if __name__ == "__main__":
    sys.exit(main())
