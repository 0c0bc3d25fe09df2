"""Quantization-aware training of an encvp network.

    OMP_WAIT_POLICY=PASSIVE PYTHONPATH=sw/train /usr/bin/python3 -m encvp_train.train \\
        --config configs/train/cifar10-1mb.json --out runs/cifar10-1mb [--resume]

Writes into ``--out``: ``train.log`` (everything printed), ``metrics.jsonl`` (one record per
epoch), ``last.pt`` (every epoch, for ``--resume``), ``best.pt`` (best validation accuracy, the
checkpoint to export), ``config.json`` (the normalized config).  With ``train.ema_decay`` > 0 an
exponential moving average of the weights is validated too, and ``best.pt`` holds whichever of
the two weight sets (``"weights": "raw" | "ema"``) reached the best validation accuracy.

Validation is a fixed, seeded hold-out of the training set (``data.val_images``); the test split is
never touched here (use ``encvp_train.evaluate``).  Validation accuracy is measured with the exact
integer eval path, i.e. it is the accuracy the exported network will have on those images.
"""

from __future__ import annotations

import argparse
import copy
import datetime as _dt
import json
import math
import os
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import data as D
from .budget import budget_rows, format_budget
from .config import load_config
from .model import EncoderNet, argmax_lowest
from .quant import level_histogram
from .warmstart import fit_head_temperature, load_start


class Logger:
    """Print to stdout and append to a log file."""

    def __init__(self, path: Path | None):
        self.f = open(path, "a", buffering=1) if path else None

    def __call__(self, *msg):
        line = " ".join(str(m) for m in msg)
        print(line, flush=True)
        if self.f:
            self.f.write(line + "\n")

    def close(self) -> None:
        if self.f:
            self.f.close()
            self.f = None


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch.manual_seed(seed)


def use_bf16(setting, device: torch.device) -> bool:
    """``bf16``: true/false, or "auto" = only on CUDA (on CPUs without AVX512-BF16 it is emulated
    and ~15x slower than float32)."""
    if setting == "auto":
        return device.type == "cuda" and torch.cuda.is_bf16_supported()
    return bool(setting)


@torch.no_grad()
def evaluate(model: EncoderNet, x: torch.Tensor, y: torch.Tensor, device: torch.device,
             batch_size: int = 500, channels_last: bool = False) -> tuple[float, torch.Tensor]:
    """Accuracy and predictions of ``model`` in eval mode (the exact integer path when quantized)."""
    model.eval()
    preds = []
    for i in range(0, len(x), batch_size):
        xb = x[i:i + batch_size].to(device)
        if channels_last:
            xb = xb.contiguous(memory_format=torch.channels_last)
        preds.append(argmax_lowest(model(xb)).cpu())
    p = torch.cat(preds)
    return float((p == y).float().mean()) * 100.0, p


def lr_at(step: int, total: int, warmup: int, base: float, schedule: str) -> float:
    if warmup and step < warmup:
        return base * (step + 1) / warmup
    if schedule == "constant":
        return base
    t = (step - warmup) / max(1, total - warmup)
    return base * 0.5 * (1.0 + math.cos(math.pi * min(1.0, t)))


def make_optimizer(model: EncoderNet, tc: dict) -> torch.optim.Optimizer:
    """Latent weights get weight decay; shifts, biases, BN and temperatures do not."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (decay if name.endswith("weight") and p.dim() > 1 else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": tc["weight_decay"]},
              {"params": no_decay, "weight_decay": 0.0}]
    if tc["optimizer"] == "adamw":
        return torch.optim.AdamW(groups, lr=tc["lr"], betas=(0.9, 0.999))
    if tc["optimizer"] == "sgd":
        return torch.optim.SGD(groups, lr=tc["lr"], momentum=tc["momentum"], nesterov=True)
    raise ValueError(f"unknown optimizer {tc['optimizer']!r}")


def atomic_save(obj, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def git_commit() -> str:
    try:
        import subprocess
        return subprocess.run(["git", "-C", str(D.REPO_ROOT), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip() or "unknown"
    except Exception:
        return "unknown"


def load_teacher(path: str, device: torch.device) -> EncoderNet:
    ck = torch.load(path, map_location="cpu", weights_only=False)
    t = EncoderNet(ck["config"]["model"])
    t.load_state_dict(ck["model"])
    t.set_quant(*ck.get("quant", (True, True)))
    t.val_acc = float(ck.get("val_acc") or float("nan"))
    t.to(device).eval()
    for p in t.parameters():
        p.requires_grad_(False)
    return t


@torch.no_grad()
def ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    """``ema <- decay * ema + (1 - decay) * model`` for every floating-point parameter and buffer
    (latent weights, shifts, biases, quantizer steps); other buffers are copied.  Averaging the
    latent weights damps the oscillation of weights around a quantization threshold, which the
    raw weights show until the very end of quantization-aware training."""
    fe, fm = [], []
    for e, m in zip(ema.state_dict().values(), model.state_dict().values()):
        if e.dtype.is_floating_point:
            fe.append(e)
            fm.append(m.detach())
        else:
            e.copy_(m)
    if fe:   # one fused launch per op instead of two per tensor (matters on a GPU)
        torch._foreach_mul_(fe, decay)
        torch._foreach_add_(fe, fm, alpha=1.0 - decay)


def make_ema(model: torch.nn.Module, decay: float, state: dict | None, log) -> torch.nn.Module | None:
    """The weight-EMA copy of ``model`` (None when ``decay`` is 0), restored from ``state`` on resume."""
    if decay <= 0:
        return None
    ema = copy.deepcopy(model)
    for p in ema.parameters():
        p.requires_grad_(False)
    if state is not None:
        ema.load_state_dict(state)
    log(f"weight EMA, decay {decay} per step ({'resumed' if state is not None else 'starts at these weights'})")
    return ema


@torch.no_grad()
def freeze_shifts(model: EncoderNet) -> list[str]:
    """Fix every shift-normalized layer's ``log2_scale`` at its current integer shift and stop
    learning it; returns the layers frozen by this call (already frozen ones are skipped).

    Late in training a scale that wants to sit between two powers of two oscillates across the
    rounding boundary, flipping the layer's output by 2x from epoch to epoch; with the shift fixed,
    weights and biases can settle on one choice."""
    done = []
    for l in model.layers:
        if l.norm == "shift" and l.log2_scale.requires_grad:
            l.log2_scale.copy_(l.shift_ste().detach())
            l.log2_scale.requires_grad_(False)
            done.append(f"{l.spec.name}:S={int(l.log2_scale)}")
    return done


def layer_report(model: EncoderNet) -> str:
    parts = []
    for l in model.layers:
        if l.norm != "shift":
            continue
        p = l.integer_params()
        h = level_histogram(p["codes"], l.spec.wbits)
        hs = "/".join(f"{v * 100:.0f}" for v in h.values())
        parts.append(f"{l.spec.name}:S={p['shift']} lv%={hs}")
    return " ".join(parts)


def fit_epochs(done: int, planned: int, remaining_s: float, per_epoch_s: float) -> int:
    """The schedule length (epochs) that ends within ``remaining_s`` more seconds at ``per_epoch_s``
    each: never below the ``done`` epochs, never above the ``planned`` ones."""
    return max(done, min(planned, done + max(0, int(remaining_s / per_epoch_s))))


def train(cfg: dict, out: Path, resume: bool = False, data_override: str | None = None,
          device_name: str = "auto", max_epochs: int | None = None, time_budget: float | None = None) -> dict:
    """Run (or resume) the training described by ``cfg``; returns the final summary.

    ``time_budget`` (seconds, this invocation): after the first and second epochs the schedule is
    fitted (:func:`fit_epochs`; never longer than the config's) so that it ends within the budget,
    and the run stops, resumable, after the first later epoch that ends past it."""
    t_start = time.time()
    tc = cfg["train"]
    # checked before anything is written or loaded: a typo must not cost a data load
    spec = tc["teacher"]
    teacher_paths = [] if spec is None else list(spec) if isinstance(spec, (list, tuple)) else [spec]
    for p in teacher_paths:
        if not isinstance(p, str) or not Path(p).is_file():
            raise ValueError(f"train.teacher: {p!r} is not a checkpoint file (give a path or a list of paths)")
    init_from = tc["init_from"]
    if init_from is not None and (not isinstance(init_from, str) or not Path(init_from).is_file()):
        raise ValueError(f"train.init_from: {init_from!r} is not a checkpoint or .enet file")
    out.mkdir(parents=True, exist_ok=True)
    log = Logger(out / "train.log")
    torch.set_num_threads(int(tc["threads"]))
    device = pick_device(device_name)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    seed_everything(cfg["seed"])
    log(f"=== {_dt.datetime.now().isoformat(timespec='seconds')} encvp_train.train {cfg['name']} "
        f"on {device} (torch {torch.__version__}, {torch.get_num_threads()} threads)"
        f"{' [resume]' if resume else ''}")

    # ---- data --------------------------------------------------------------------------------
    x_all, y_all = D.load_split("train", data_override, cfg["data"]["source"])
    tr_idx, va_idx = D.train_val_split(len(y_all), cfg["data"]["val_images"], cfg["data"]["val_seed"])
    sub = np.random.default_rng(cfg["seed"])  # subsets (smoke tests) are random, not class-sorted
    if tc["train_subset"]:
        tr_idx = np.sort(sub.permutation(tr_idx)[: tc["train_subset"]])
    if tc["val_subset"]:
        va_idx = np.sort(sub.permutation(va_idx)[: tc["val_subset"]])
    xtr, ytr = torch.from_numpy(x_all[tr_idx]), torch.from_numpy(y_all[tr_idx])
    xva, yva = torch.from_numpy(x_all[va_idx]), torch.from_numpy(y_all[va_idx])
    if device.type == "cuda":
        # the whole split lives on the GPU (45,000 images: 138 MB as uint8); batches are gathered
        # and augmented there, with the same CPU-drawn random numbers as a CPU run
        xtr, ytr, xva = xtr.to(device), ytr.to(device), xva.to(device)
    log(f"data: {len(ytr)} train / {len(yva)} validation images (held out of the train split, "
        f"seed {cfg['data']['val_seed']})")

    # ---- model -------------------------------------------------------------------------------
    model = EncoderNet(cfg["model"])
    cl = bool(tc["channels_last"])
    bf16 = use_bf16(tc["bf16"], device)
    log(format_budget(budget_rows(model), title=f"budget (bias width at its cap "
                                                f"{cfg['model'].get('bias_bits_max', 16)} bits):"))
    epochs = int(tc["epochs"])
    bs = int(tc["batch_size"])
    steps_per_epoch = len(ytr) // bs
    total_steps = epochs * steps_per_epoch
    warmup = int(tc["warmup_epochs"] * steps_per_epoch)

    teachers = [load_teacher(p, device) for p in teacher_paths]
    for p, t in zip(teacher_paths, teachers):
        log(f"distillation: teacher {p} (validation {t.val_acc:.2f}%), "
            f"kd_alpha {tc['kd_alpha']}, kd_temperature {tc['kd_temperature']}")
    if len(teachers) > 1:
        log(f"distillation: the target is the mean of the {len(teachers)} teachers' softened probabilities")
    start_epoch, step, best = 0, 0, {"val_acc": -1.0, "epoch": -1}
    ema_state = None
    ck_last = out / "last.pt"
    if resume and ck_last.is_file():
        ck = torch.load(ck_last, map_location="cpu", weights_only=False)
        model.load_state_dict(ck["model"])
        model.to(device)
        opt = make_optimizer(model, tc)
        opt.load_state_dict(ck["optimizer"])
        start_epoch, step, best = ck["epoch"] + 1, ck["step"], ck["best"]
        ema_state = ck.get("ema")
        torch.set_rng_state(ck["rng"]["torch"])
        log(f"resumed from {ck_last}: epoch {ck['epoch'] + 1} done, best val {best['val_acc']:.2f}%")
    else:
        if resume:
            log(f"--resume: no {ck_last}, starting from scratch")
        if init_from is not None:
            src = load_start(init_from, cfg["seed"])
            try:
                model.load_state_dict(src["model"])
            except (KeyError, RuntimeError) as e:
                raise ValueError(f"train.init_from: {init_from} does not hold this config's layers: "
                                 f"{str(e).splitlines()[0]}") from None
            if model.head is not None and src.get("head_temperature_known") is False:
                g = torch.Generator().manual_seed(cfg["seed"])
                pick = torch.randperm(len(xtr), generator=g)[: 4 * tc["calib_images"]].to(xtr.device)
                lt = fit_head_temperature(model, xtr[pick].cpu().float(), ytr[pick].cpu())
                log(f"head loss temperature fitted on {len(pick)} training images: log_temp {lt:.3f}")
            log(f"init from {init_from} (its validation {src.get('val_acc')}%): weights, shifts and "
                f"biases loaded, fresh optimizer, this config's schedule: " + layer_report(model))
        else:
            g = torch.Generator().manual_seed(cfg["seed"])
            calib = xtr[torch.randperm(len(xtr), generator=g)[: tc["calib_images"]].to(xtr.device)].cpu()
            model.calibrate(calib)   # on the CPU, before the move: the same start on any device
            log("calibrated: " + layer_report(model))
        model.to(device)
        opt = make_optimizer(model, tc)
    if cl:
        model = model.to(memory_format=torch.channels_last)
    ema_decay = float(tc["ema_decay"])
    ema = make_ema(model, ema_decay, ema_state, log)
    (out / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")

    stop = stop_asked = epochs if max_epochs is None else min(epochs, max_epochs)
    planned = epochs
    gen = torch.Generator()
    done = start_epoch
    for epoch in range(start_epoch, epochs):
        if epoch >= stop:
            break
        relaxed = epoch < tc["float_epochs"]
        if tc["freeze_shifts_from"] and epoch + 1 >= int(tc["freeze_shifts_from"]):
            frozen = freeze_shifts(model)
            if frozen:
                log(f"epoch {epoch + 1}: shifts frozen (no longer learned): {' '.join(frozen)}")
        model.set_quant(not relaxed, not relaxed)
        if ema is not None:
            ema.set_quant(not relaxed, not relaxed)
        model.train()
        gen.manual_seed(cfg["seed"] * 1000003 + epoch)
        perm = torch.randperm(len(ytr), generator=gen)
        # loss and hits are summed on the device and read back only when printed: a GPU step then
        # never waits for the one before it
        t0, seen = time.time(), 0
        loss_acc = torch.zeros((), dtype=torch.float64, device=device)
        hits = torch.zeros((), dtype=torch.int64, device=device)
        for i in range(steps_per_epoch):
            idx = perm[i * bs:(i + 1) * bs].to(xtr.device)
            xb = D.augment_batch(xtr[idx], gen, **tc["augment"])   # pad, flip, cutout (normalized config)
            yb = ytr[idx].to(device)
            xb = xb.to(device).float()
            if cl:
                xb = xb.contiguous(memory_format=torch.channels_last)
            lr = lr_at(step, total_steps, warmup, tc["lr"], tc["schedule"])
            for gr in opt.param_groups:
                gr["lr"] = lr
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                logits = model(xb)
            logits = logits.float() * model.loss_scale()
            loss = F.cross_entropy(logits, yb, label_smoothing=tc["label_smoothing"])
            if teachers:
                T = tc["kd_temperature"]
                with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                    target = sum(F.softmax(t(xb).float() * t.loss_scale() / T, 1) for t in teachers)
                target = target / len(teachers)
                kd = F.kl_div(F.log_softmax(logits / T, 1), target, reduction="batchmean")
                loss = (1 - tc["kd_alpha"]) * loss + tc["kd_alpha"] * T * T * kd
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if ema is not None:
                ema_update(ema, model, ema_decay)
            step += 1
            seen += len(yb)
            loss_acc += loss.detach() * len(yb)
            hits += (logits.detach().argmax(1) == yb).sum()
            if (i + 1) % 50 == 0 or i + 1 == steps_per_epoch:
                loss_sum, correct = float(loss_acc), int(hits)
                el = time.time() - t0
                print(f"  epoch {epoch + 1}/{epochs} step {i + 1}/{steps_per_epoch} loss {loss_sum / seen:.4f} "
                      f"train-acc {correct / seen * 100:.2f}% lr {lr:.2e} {seen / el:.0f} img/s", flush=True)
        train_time = time.time() - t0
        rec = {"epoch": epoch + 1, "step": step, "train_loss": loss_sum / seen,
               "train_acc": correct / seen * 100, "lr": lr, "relaxed": relaxed,
               "train_s": round(train_time, 1), "img_s": round(seen / train_time, 1)}
        if (epoch + 1) % tc["eval_every"] == 0 or epoch + 1 == epochs:
            t1 = time.time()
            rec["val_acc"], _ = evaluate(model, xva, yva, device, channels_last=cl)
            if ema is not None:
                rec["val_acc_ema"], _ = evaluate(ema, xva, yva, device, channels_last=cl)
            rec["val_s"] = round(time.time() - t1, 1)
            rec["exact"] = not relaxed and model.layers[0].norm == "shift"
        use_ema = "val_acc_ema" in rec and rec["val_acc_ema"] > rec["val_acc"]
        cand_acc = rec["val_acc_ema"] if use_ema else rec.get("val_acc")
        # a relaxed (float) epoch is never the best of a quantized run; a run that is float throughout
        # (a distillation teacher: float_epochs >= epochs) picks its best float epoch
        float_run = tc["float_epochs"] >= epochs
        is_best = cand_acc is not None and (not relaxed or float_run) and cand_acc > best["val_acc"]
        if is_best:
            best = {"val_acc": cand_acc, "epoch": epoch + 1, "weights": "ema" if use_ema else "raw"}
        ema_note = f" ema {rec['val_acc_ema']:.2f}%" if "val_acc_ema" in rec else ""
        log(f"epoch {epoch + 1}/{epochs}: loss {rec['train_loss']:.4f} train {rec['train_acc']:.2f}% "
            f"val {rec.get('val_acc', float('nan')):.2f}%{ema_note}{' *' if is_best else ''}"
            f"{' (ema)' if is_best and use_ema else ''} "
            f"({rec['train_s']:.0f}s, {rec['img_s']:.0f} img/s) {layer_report(model)}")
        with open(out / "metrics.jsonl", "a") as f:
            f.write(json.dumps(rec) + "\n")
        state = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch, "step": step,
                 "best": best, "config": cfg, "rng": {"torch": torch.get_rng_state()},
                 "quant": (not relaxed, not relaxed), "val_acc": rec.get("val_acc"),
                 "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                 "git_commit": git_commit(), "torch": torch.__version__, "weights": "raw"}
        if ema is not None:
            state["ema"] = ema.state_dict()
        atomic_save(state, ck_last)
        if is_best:
            if use_ema:
                state = {**state, "model": ema.state_dict(), "weights": "ema", "val_acc": cand_acc}
            atomic_save(state, out / "best.pt")
        done = epoch + 1
        if time_budget is not None:
            used = time.time() - t_start
            if epoch in (start_epoch, start_epoch + 1):
                # Fit the rest of the schedule into the budget after the first epoch of this
                # invocation, and again after the second: the first includes the start-up (cuDNN
                # autotuning, a teacher's first passes) and on the lent GPU took 2-3x a later epoch.
                per_epoch = time.time() - t0
                fit = fit_epochs(done, planned, time_budget - used, per_epoch)
                if fit != epochs:
                    epochs = tc["epochs"] = fit
                    total_steps = epochs * steps_per_epoch
                    stop = min(stop_asked, epochs)
                    log(f"time budget {time_budget:.0f} s: {per_epoch:.0f} s per epoch with validation "
                        f"(epoch {done}) -> schedule set to {epochs} epochs (resume with --epochs {epochs})")
            elif used > time_budget and done < stop:
                log(f"time budget {time_budget:.0f} s used up after epoch {done}: stopping (resumable)")
                break
    summary = {"name": cfg["name"], "epochs_done": done, "best": best}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    log(f"done: best val {best['val_acc']:.2f}% at epoch {best['epoch']} -> {out / 'best.pt'}")
    log.close()
    return summary


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, help="experiment config (.json or .toml)")
    ap.add_argument("--out", required=True, help="run directory (checkpoints, logs)")
    ap.add_argument("--resume", action="store_true", help="continue from OUT/last.pt if present")
    ap.add_argument("--data", help="shared data directory (default $ENCVP_DATA or ../shared/data)")
    ap.add_argument("--device", default="auto", help="auto | cpu | cuda[:N]")
    ap.add_argument("--epochs", type=int, help="override train.epochs (changes the LR schedule)")
    ap.add_argument("--stop-after", type=int, help="stop after this many epochs (schedule unchanged)")
    ap.add_argument("--threads", type=int, help="override train.threads")
    ap.add_argument("--time-budget", type=float, metavar="SECONDS",
                    help="fit the rest of the schedule into this much wall time (shortens train.epochs)")
    ap.add_argument("--train-subset", type=int,
                    help="override train.train_subset: train on that many random training images")
    a = ap.parse_args(argv)
    cfg = load_config(a.config)
    if a.epochs:
        cfg["train"]["epochs"] = a.epochs
    if a.threads:
        cfg["train"]["threads"] = a.threads
    if a.train_subset is not None:
        if a.train_subset < 0:
            ap.error("--train-subset must be 0 (all images) or positive")
        cfg["train"]["train_subset"] = a.train_subset
    if a.time_budget is not None and a.time_budget <= 0:
        ap.error("--time-budget must be positive")
    train(cfg, Path(a.out), a.resume, a.data, a.device, a.stop_after, a.time_budget)
    return 0


if __name__ == "__main__":
    sys.exit(main())
