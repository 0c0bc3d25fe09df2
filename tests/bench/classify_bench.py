#!/usr/bin/python3
"""Side-by-side speed benchmark (issue 7): the same trained CIFAR network on the same images through

  1. encvp classify --engine vp       (full platform: firmware, DMA, interrupts, timing)
  2. encvp classify --engine golden   (host reference)
  3. encvp classify --encoder.timing_only true   (the platform without the arithmetic)
  4. PyTorch on the CPU (eval mode, no autograd, all cores): the same integer network as float32
     layers, in its fastest batch size and memory layout on this machine (timed first), its logits
     checked against the integer reference

and prints images/s, peak memory and the ratios VP/PyTorch and VP/golden; then how VP time and
memory grow with the number of images, and how compression time and memory grow with frame size.
All runs happen in one invocation on one machine, so the ratios compare like with like.

usage: tests/bench/classify_bench.py [--encvp build/platform/encvp] [--network FILE] [--images N]
                                    [--checkpoint CKPT] [--torch-batch N] [--torch-layout auto|nchw|nhwc]
                                    [--scaling] [--frames]
                                    [--markdown OUT.md]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "sw", "train"))


def run_measured(cmd, env=None):
    """Runs cmd under GNU time; returns (wall seconds, peak RSS bytes, stdout). The peak RSS is
    time's %M: the command's own high-water mark (and that of the --jobs workers it waited for).
    getrusage(RUSAGE_CHILDREN) here would keep the maximum of every command run so far, and a
    child forked from this (large, PyTorch-holding) process inherits its ru_maxrss across exec:
    GNU time forks from a small process, so its figure is the command's."""
    with tempfile.NamedTemporaryFile(suffix=".rss") as rss:
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name] + cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env, text=True)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            raise SystemExit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stdout}\n{p.stderr}")
        kb = int(open(rss.name).read().split()[-1])
    return wall, kb * 1024, p.stdout


def peak_rss_of(cmd, env=None):
    """Wall time, peak RSS of cmd (see run_measured) and its stdout."""
    return run_measured(cmd, env)


def cifar_images(path, n):
    raw = np.fromfile(path, dtype=np.uint8)
    rec = raw.reshape(-1, 3073)
    if n > len(rec):
        reps = (n + len(rec) - 1) // len(rec)
        rec = np.concatenate([rec] * reps)
    rec = rec[:n]
    return rec[:, 1:].reshape(n, 3, 32, 32), rec[:, 0]


def write_cifar(path, x, y):
    out = np.concatenate([y.reshape(-1, 1).astype(np.uint8), x.reshape(len(x), -1)], axis=1)
    out.tofile(path)


def torch_model(network, checkpoint):
    """The training flow's own model from a checkpoint, or the same layers rebuilt from the .enet."""
    import torch
    import torch.nn.functional as F
    if checkpoint:
        if not os.path.exists(checkpoint):
            raise SystemExit(f"--checkpoint {checkpoint}: no such file")
        from encvp_train.export import load_checkpoint
        model, _ = load_checkpoint(checkpoint)
        model.eval()
        return model, f"training-flow EncoderNet from {os.path.relpath(checkpoint, ROOT)}"
    from encvp_train.enet import read_enet
    net = read_enet(network)

    class FromEnet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = []
            for l in net["layers"]:
                s = l["spec"]
                w = torch.tensor(np.asarray(l["weights"], dtype=np.float32))
                b = torch.tensor(np.asarray(l["bias"], dtype=np.float32))
                self.layers.append((s, w, b))

        def forward(self, x):
            x = x.float()
            for s, w, b in self.layers:
                if s["type"] == "fc":
                    x = F.linear(x.sum(dim=(2, 3)), w, b)
                    return x
                acc = F.conv2d(x, w, None, s["stride"], s["padding"], 1, s["groups"]) + b.view(1, -1, 1, 1)
                sh = 2.0 ** s["shift"]
                x = torch.clamp(torch.floor(acc / sh + (0.5 if s["shift"] else 0.0)), 0, 2 ** s["act_bits"] - 1)
                if s["pool"]:
                    x = F.max_pool2d(x, 2)
            return x

    return FromEnet().eval(), "fake-quantized float layers rebuilt from the .enet (no checkpoint given)"


TORCH_BATCHES = (8, 16, 32, 64, 128, 250)


def torch_rate(model, x, batch, channels_last):
    """Images/s of model on x in batches of ``batch`` (uint8 NCHW -> float, optionally NHWC)."""
    import torch
    with torch.no_grad():
        def run(lo, hi):
            out = []
            for i in range(lo, hi, batch):
                b = torch.from_numpy(x[i:min(hi, i + batch)]).float()
                if channels_last:
                    b = b.contiguous(memory_format=torch.channels_last)
                out.append(model(b))
            return torch.cat(out)
        run(0, min(len(x), 2 * batch))  # warm-up (oneDNN picks and caches its kernels per shape)
        t0 = time.perf_counter()
        logits = run(0, len(x))
        return len(x) / (time.perf_counter() - t0), logits


def bench_torch(network, checkpoint, x, threads, batch=None, channels_last=None, tune_images=1000):
    """PyTorch's best configuration on this machine: unless given, the batch size and memory layout
    are chosen by timing every candidate on the first ``tune_images`` images (a bad batch size alone
    cost 4x here: batches of 250 no longer fit the caches). Returns wall seconds, the logits, a
    description and the candidates' rates."""
    import torch
    torch.set_num_threads(threads)
    model, what = torch_model(network, checkpoint)
    sweep = []
    if batch is None or channels_last is None:
        sub = x[:tune_images]
        for b in ([batch] if batch else TORCH_BATCHES):
            for cl in ([channels_last] if channels_last is not None else (False, True)):
                sweep.append((b, cl, torch_rate(model, sub, b, cl)[0]))
        batch, channels_last, _ = max(sweep, key=lambda t: t[2])
    ips, logits = torch_rate(model, x, batch, channels_last)
    what += f"; batches of {batch}, {'channels-last (NHWC)' if channels_last else 'NCHW'} input"
    return len(x) / ips, logits.numpy(), what, sweep


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encvp", default=os.path.join(ROOT, "build", "platform", "encvp"))
    ap.add_argument("--network", default=os.path.join(ROOT, "configs", "networks", "cifar10-1mb.enet"))
    ap.add_argument("--checkpoint", help="a training checkpoint for the PyTorch row (its EncoderNet, exact "
                    "eval path); default: fake-quantized float layers rebuilt from --network")
    ap.add_argument("--torch-batch", type=int, help="PyTorch batch size (default: the fastest of "
                    + ", ".join(map(str, TORCH_BATCHES)) + ", timed first)")
    ap.add_argument("--torch-layout", choices=("auto", "nchw", "nhwc"), default="auto")
    ap.add_argument("--dataset", default=os.path.join(ROOT, ".data", "cifar10-test.bin"),
                    help="CIFAR-10 binary file (made by tests/integration/make_cifar_bin from the JPEG test copy)")
    ap.add_argument("--images", type=int, default=10000)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--scaling", action="store_true", help="VP time and memory for 1k, 2k, 5k, 10k images")
    ap.add_argument("--frames", action="store_true", help="compression time and memory versus frame size")
    ap.add_argument("--markdown", help="also write the tables to this file")
    a = ap.parse_args()
    if not os.path.exists(a.dataset):
        raise SystemExit(f"{a.dataset} not found: build it with build/tests/integration/make_cifar_bin .data/cifar10-jpeg/test {a.dataset}")
    md = []

    def emit(line=""):
        print(line)
        md.append(line)

    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    with tempfile.TemporaryDirectory() as tmp:
        x, y = cifar_images(a.dataset, a.images)
        data = os.path.join(tmp, "images.bin")
        write_cifar(data, x, y)
        base = [a.encvp, "classify", "--network", a.network, "--dataset", data, "--jobs", str(a.jobs)]
        rows = []
        for name, extra in (("encvp VP (full platform)", ["--engine", "vp"]),
                            ("encvp golden model", ["--engine", "golden"]),
                            ("encvp VP, timing only", ["--engine", "vp", "--encoder.timing_only", "true"])):
            rep = os.path.join(tmp, "r.json")
            wall, rss, _ = peak_rss_of(base + extra + ["--report", rep], env)
            r = json.load(open(rep))
            rows.append((name, r["images"] / r["wall_seconds"], wall, rss,
                         None if "timing_only" in " ".join(extra) else r.get("accuracy")))
        t_wall, logits, what, sweep = bench_torch(a.network, a.checkpoint, x, a.jobs, a.torch_batch,
                                                  None if a.torch_layout == "auto" else a.torch_layout == "nhwc")
        pred = logits.argmax(1)
        torch_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        # PyTorch runs the integer network in float32: exact while every value stays an integer
        # below 2^24, unless a kernel (Winograd, say) rounds; checked against integer.py here.
        from encvp_train.enet import read_enet
        from encvp_train.integer import run_layers
        nref = min(len(x), 1000)
        exact = np.array_equal(np.asarray(logits[:nref]).astype(np.int64),
                               np.asarray(run_layers(read_enet(a.network), x[:nref]), dtype=np.int64))
        rows.append((f"PyTorch {__import__('torch').__version__} CPU, {a.jobs} threads", len(x) / t_wall, t_wall, torch_rss,
                     float((pred == y).mean())))
        emit(f"### Classification: {len(x)} CIFAR-10 images, network {os.path.relpath(a.network, ROOT)}, {a.jobs} cores")
        emit()
        emit(f"PyTorch model: {what}. Its logits equal the integer reference (`integer.py`) on the first "
             f"{nref} images: **{'yes' if exact else 'NO'}**.")
        emit()
        if sweep:
            emit("PyTorch configurations timed on the first " + str(min(len(x), 1000)) + " images (images/s; the fastest is used):")
            emit()
            emit("| batch | NCHW | NHWC |")
            emit("|---:|---:|---:|")
            for b in sorted({t[0] for t in sweep}):
                cell = {cl: f"{r:,.0f}" for bb, cl, r in sweep if bb == b}
                emit(f"| {b} | {cell.get(False, '')} | {cell.get(True, '')} |")
            emit()
        emit("| engine | images/s | wall s (process) | peak RSS MiB | accuracy |")
        emit("|---|---:|---:|---:|---:|")
        for name, ips, wall, rss, acc in rows:
            acc_text = "n/a (no arithmetic)" if acc is None else f"{100 * acc:.2f}%"
            emit(f"| {name} | {ips:,.0f} | {wall:.2f} | {rss / 2**20:.0f} | {acc_text} |")
        vp, gold, torch_ips = rows[0][1], rows[1][1], rows[3][1]
        emit()
        emit(f"Speed ratios: VP / PyTorch = **{vp / torch_ips:.2f}x** (target >= 1, aim 2); "
             f"VP time / golden time = **{gold / vp:.2f}** (target <= 1.3: the platform's overhead over the bare arithmetic).")
        emit(f"PyTorch's peak RSS is this script's (the model, its tensors and the images it holds).")
        emit()

        if a.scaling:
            emit("### VP time and memory versus the number of images")
            emit()
            emit("| images | wall s | images/s | peak RSS MiB |")
            emit("|---:|---:|---:|---:|")
            for n in (1000, 2000, 5000, 10000):
                xs, ys = cifar_images(a.dataset, n)
                path = os.path.join(tmp, f"n{n}.bin")
                write_cifar(path, xs, ys)
                wall, rss, _ = peak_rss_of([a.encvp, "classify", "--network", a.network, "--dataset", path,
                                            "--jobs", str(a.jobs)], env)
                emit(f"| {n} | {wall:.2f} | {n / wall:,.0f} | {rss / 2**20:.0f} |")
            emit()

        if a.frames:
            from PIL import Image
            kodak = os.path.join(os.environ.get("ENCVP_DATA", os.path.join(ROOT, "..", "shared", "data")), "kodak", "kodim23.png")
            src = Image.open(kodak).convert("RGB")
            emit("### Compression time and memory versus frame size (VP encode, full-frame decode)")
            emit()
            emit("| frame | patches | compress wall s | compress peak MiB | decompress wall s | decompress peak MiB |")
            emit("|---|---:|---:|---:|---:|---:|")
            for w, h in ((768, 512), (1536, 1024), (2048, 2048), (4096, 4096)):
                img = os.path.join(tmp, f"f{w}x{h}.png")
                tiles = Image.new("RGB", (w, h))
                for yy in range(0, h, src.height):
                    for xx in range(0, w, src.width):
                        tiles.paste(src, (xx, yy))
                tiles.save(img)
                evc = os.path.join(tmp, "f.evc")
                cw, crss, _ = peak_rss_of([a.encvp, "compress", img, "-o", evc], env)
                dw, drss, _ = peak_rss_of([a.encvp, "decompress", evc, "-o", os.path.join(tmp, "d.png")], env)
                emit(f"| {w}x{h} | {(w // 16) * (h // 16)} | {cw:.2f} | {crss / 2**20:.0f} | {dw:.2f} | {drss / 2**20:.0f} |")
            emit()
    if a.markdown:
        with open(a.markdown, "w") as fh:
            fh.write("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
