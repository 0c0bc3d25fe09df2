"""Rate-distortion of the codec on a folder of images (final evaluation, e.g. Kodak).

    PYTHONPATH=sw/train /usr/bin/python3 -m encvp_train.eval_compress \\
        --enet configs/networks/kodak-025.enet --edec configs/networks/kodak-025.edec \\
        ../shared/data/kodak [--patchwise] [--json out.json] [--save DIR]

    ... --checkpoint runs/kodak-025/best.pt ../shared/data/kodak      (PyTorch eval model instead of files)

Each image is padded to a multiple of the patch size by edge replication, coded patch by patch
(integer.py on the ``.enet``: the chip's codes bit for bit; or the checkpoint's exact eval encoder),
decoded as a whole frame (the ``.edec`` graph in PyTorch, float32), clamped, rounded to 8 bits and
cropped back.  Prints per image and mean: bpp (code bits / original pixels), PSNR (RGB, peak 255) and
blockiness on the patch grid (mean |luma step| across the grid lines / the same elsewhere; ~1.0 means
no visible grid); ``--patchwise`` adds the baseline that decodes each patch alone.

The Kodak set is for final numbers only: never choose checkpoints or settings with it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from . import photos as P
from .codec import FrameDecoder, pad_to_multiple, patchify, psnr, unpatchify
from .edec import read_edec
from .enet import read_enet


def blockiness(img: np.ndarray, grid: int = 16) -> float:
    """Mean |luma difference| across the ``grid`` boundaries / the same away from them (3 x H x W uint8)."""
    y = 0.299 * img[0].astype(np.float64) + 0.587 * img[1] + 0.114 * img[2]
    dx = np.abs(np.diff(y, axis=1))       # between columns x and x+1
    dy = np.abs(np.diff(y, axis=0))
    bx = (np.arange(dx.shape[1]) + 1) % grid == 0
    by = (np.arange(dy.shape[0]) + 1) % grid == 0
    across = np.concatenate([dx[:, bx].ravel(), dy[by, :].ravel()])
    away = np.concatenate([dx[:, ~bx].ravel(), dy[~by, :].ravel()])
    return float(across.mean() / max(away.mean(), 1e-12)) if across.size and away.size else float("nan")


class FileCodec:
    """The exported pair: integer.py encoder (``.enet``) + ``.edec`` decoder run in PyTorch."""

    def __init__(self, enet_path, edec_path, engine: str = "f64"):
        from .integer import run_layers
        self.net = read_enet(enet_path)
        self.dec = read_edec(edec_path)
        crc = int.from_bytes(Path(enet_path).read_bytes()[20:24], "little")
        want = self.dec["header"]["encoder"]["crc32"]
        if crc != want:
            raise SystemExit(f"error: {edec_path} decodes the codes of the encoder with crc32 0x{want:08x}, "
                             f"{enet_path} has 0x{crc:08x}")
        self.patch = self.net["header"]["input"]["height"]
        self.code_channels, self.code_size = self.net["layers"][-1]["out_shape"][:2]
        self.decoder = FrameDecoder.from_edec(self.dec)
        self._run = lambda p: run_layers(self.net, p, engine)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        pt = patchify(x, self.patch).to(torch.uint8).numpy()
        codes = np.concatenate([self._run(pt[i:i + 512]) for i in range(0, len(pt), 512)])
        return unpatchify(torch.from_numpy(codes), b, h // self.patch, w // self.patch)


class ModelCodec:
    """A checkpoint's eval-mode model (exact integer encoder, float decoder)."""

    def __init__(self, checkpoint):
        from .export_compress import load_codec
        self.model, _ = load_codec(checkpoint)
        self.patch, self.code_channels, self.code_size = self.model.patch, self.model.code_channels, self.model.code_size
        self.decoder = self.model.decoder

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.encode(x.float())


@torch.no_grad()
def evaluate(codec, files: list[Path], patchwise: bool = False, save: Path | None = None) -> dict:
    rows = []
    for f in files:
        t0 = time.time()
        img = P.load_png(f)
        x = torch.from_numpy(img)[None]
        xp = pad_to_multiple(x, codec.patch).float()
        codes = codec.encode(xp)
        y = codec.decoder(codes.float())
        rec = torch.floor(y.clamp(0, 1) * 255 + 0.5).to(torch.uint8)[..., :img.shape[1], :img.shape[2]]
        r = {"image": f.name, "width": img.shape[2], "height": img.shape[1],
             "bits": int(codes.numel()), "bpp": codes.numel() / (img.shape[1] * img.shape[2]),
             "psnr": psnr(rec, x), "blockiness": blockiness(rec[0].numpy(), codec.patch)}
        if patchwise:
            s = codec.code_size
            yp = unpatchify(codec.decoder(patchify(codes.float(), s)), 1, codes.shape[2] // s, codes.shape[3] // s)
            rp = torch.floor(yp.clamp(0, 1) * 255 + 0.5).to(torch.uint8)[..., :img.shape[1], :img.shape[2]]
            r["psnr_patchwise"] = psnr(rp, x)
            r["blockiness_patchwise"] = blockiness(rp[0].numpy(), codec.patch)
        if save:
            from PIL import Image
            save.mkdir(parents=True, exist_ok=True)
            Image.fromarray(rec[0].permute(1, 2, 0).numpy()).save(save / f.name.replace(".jpg", ".png"))
        r["seconds"] = round(time.time() - t0, 2)
        rows.append(r)
        pw = (f"  patch-wise {r['psnr_patchwise']:.2f} dB blockiness {r['blockiness_patchwise']:.2f}"
              if patchwise else "")
        print(f"{f.name:<16} {r['width']}x{r['height']} {r['bpp']:.4f} bpp  {r['psnr']:.2f} dB  "
              f"blockiness {r['blockiness']:.2f}{pw}  ({r['seconds']:.1f}s)", flush=True)
    mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]
            if k not in ("image", "width", "height", "bits", "seconds")}
    print("mean over %d images: " % len(rows) + ", ".join(f"{k} {v:.4f}" for k, v in mean.items()))
    return {"images": rows, "mean": mean}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("images", nargs="+", help="image files or folders (*.png, *.jpg)")
    ap.add_argument("--enet", help="encoder network file (with --edec)")
    ap.add_argument("--edec", help="decoder file (with --enet)")
    ap.add_argument("--checkpoint", help="evaluate a training checkpoint instead of files")
    ap.add_argument("--engine", default="f64", choices=["int", "f64"], help="integer.py engine")
    ap.add_argument("--patchwise", action="store_true", help="also the patch-wise decoding baseline")
    ap.add_argument("--json", help="write per-image results and means here")
    ap.add_argument("--save", help="folder for the reconstructed images")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    if a.checkpoint:
        codec = ModelCodec(a.checkpoint)
    elif a.enet and a.edec:
        codec = FileCodec(a.enet, a.edec, a.engine)
    else:
        ap.error("give --enet and --edec, or --checkpoint")
    files = []
    for s in a.images:
        p = Path(s)
        files += sorted(q for q in p.iterdir() if q.suffix.lower() in (".png", ".jpg")) if p.is_dir() else [p]
    if not files:
        ap.error("no images")
    res = evaluate(codec, files, a.patchwise, Path(a.save) if a.save else None)
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
