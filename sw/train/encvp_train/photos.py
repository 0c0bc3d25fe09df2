"""Photographs for training the compression codec (``photos-train/`` of the shared data).

* Source: ``--data DIR`` (the shared data directory, or directly a folder of ``*.jpg``), else
  ``$ENCVP_DATA``, else ``../shared/data``; the photos are ``<data>/photos-train/*.jpg``.
* Cache: every photo is decoded once with PIL (RGB, uint8, ``H x W x 3``) and stored as ``.npy`` under
  ``.data/photos/`` (``$ENCVP_CACHE`` overrides ``.data``), together with its downscaled versions
  (Lanczos) at the configured scales; later runs memory-map them.
* Split: a fixed, seeded choice of ``val_photos`` whole photos is held out for validation
  (checkpoint selection); the others give training crops.  Kodak is never used here.
* Training crops (:class:`CropSampler`): a scale is drawn uniformly from ``scales``, a photo with
  probability proportional to its area at that scale, a uniform square crop, then one of the 8
  flips/90-degree rotations (the dihedral group), all from a NumPy generator the caller seeds.
* Validation frames (:func:`validation_frames`): the held-out photos downscaled so that their
  longer side is at most ``val_long_side`` (768 = Kodak's size), whole frames.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from .data import DataError, cache_dir, data_dir

PHOTO_DIR = "photos-train"


def photos_dir(data: str | os.PathLike | None = None) -> Path:
    """``<data>/photos-train``, or ``data`` itself when it directly holds ``*.jpg`` files."""
    d = data_dir(data)
    if (d / PHOTO_DIR).is_dir():
        return d / PHOTO_DIR
    if d.is_dir() and any(d.glob("*.jpg")):
        return d
    raise DataError(f"training photos not found: {d / PHOTO_DIR} "
                    "(pass --data DIR or set ENCVP_DATA to the shared data directory)")


def _key(path: Path) -> str:
    st = path.stat()
    return hashlib.sha1(f"{path.name}:{st.st_size}:{int(st.st_mtime)}".encode()).hexdigest()[:10]


def _resize(arr: np.ndarray, scale: float) -> np.ndarray:
    from PIL import Image
    h, w = arr.shape[:2]
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    return np.asarray(Image.fromarray(arr).resize((nw, nh), Image.LANCZOS), dtype=np.uint8)


def load_photo(path: Path, scale: float = 1.0, verbose: bool = False) -> np.ndarray:
    """One photo (``H x W x 3`` uint8) at ``scale``, from the ``.npy`` cache when present."""
    cdir = cache_dir() / "photos"
    cdir.mkdir(parents=True, exist_ok=True)
    f = cdir / f"{path.stem}-{_key(path)}-s{scale:.3f}.npy"
    if f.is_file():
        return np.load(f, mmap_mode="r")
    if scale == 1.0:
        from PIL import Image
        if verbose:
            print(f"decoding {path} (once; cached in {cdir})", flush=True)
        with Image.open(path) as im:
            arr = np.asarray(im.convert("RGB"), dtype=np.uint8)
    else:
        arr = _resize(np.asarray(load_photo(path, 1.0, verbose)), scale)
    tmp = f.with_suffix(f".{os.getpid()}.tmp.npy")   # per process: jobs side by side decode at once
    np.save(tmp, np.ascontiguousarray(arr))
    os.replace(tmp, f)
    return np.load(f, mmap_mode="r")


def list_photos(data=None) -> list[Path]:
    files = sorted(p for p in photos_dir(data).glob("*.jpg") if p.is_file())
    if not files:
        raise DataError(f"no *.jpg in {photos_dir(data)}")
    return files


def split_photos(files: list[Path], n_val: int, seed: int) -> tuple[list[Path], list[Path]]:
    """Fixed, seeded hold-out of ``n_val`` whole photos (independent of the training seed)."""
    if not 0 <= n_val < len(files):
        raise ValueError(f"val_photos={n_val} must be in [0, {len(files)})")
    perm = np.random.default_rng(seed).permutation(len(files))
    val = sorted(int(i) for i in perm[:n_val])
    tr = sorted(int(i) for i in perm[n_val:])
    return [files[i] for i in tr], [files[i] for i in val]


class CropSampler:
    """Random square crops (uint8 ``[N, 3, crop, crop]``) of photos at several scales, augmented."""

    def __init__(self, files: list[Path], scales: list[float], crop: int, verbose: bool = True):
        self.crop = crop
        self.scales = [float(s) for s in scales]
        self.images: list[list[np.ndarray]] = []
        for s in self.scales:
            ims = [load_photo(f, s, verbose) for f in files]
            ims = [im for im in ims if im.shape[0] >= crop and im.shape[1] >= crop]
            if not ims:
                raise DataError(f"no photo is at least {crop}x{crop} at scale {s}")
            self.images.append(ims)
        self.weights = [np.array([im.shape[0] * im.shape[1] for im in ims], dtype=np.float64) for ims in self.images]
        self.weights = [w / w.sum() for w in self.weights]
        self.pixels = sum(int(im.shape[0] * im.shape[1]) for ims in self.images for im in ims)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        c = self.crop
        out = np.empty((n, 3, c, c), dtype=np.uint8)
        for k in range(n):
            si = int(rng.integers(len(self.scales)))
            im = self.images[si][int(rng.choice(len(self.images[si]), p=self.weights[si]))]
            y = int(rng.integers(im.shape[0] - c + 1))
            x = int(rng.integers(im.shape[1] - c + 1))
            a = np.asarray(im[y:y + c, x:x + c])                  # H, W, 3
            t = int(rng.integers(8))
            a = np.rot90(a, t & 3)
            if t & 4:
                a = a[:, ::-1]
            out[k] = a.transpose(2, 0, 1)
        return out


def validation_frames(files: list[Path], long_side: int = 768, verbose: bool = True) -> list[np.ndarray]:
    """Held-out photos as whole frames (``3 x H x W`` uint8), longer side at most ``long_side``."""
    frames = []
    for f in files:
        full = load_photo(f, 1.0, verbose)
        s = min(1.0, long_side / max(full.shape[:2]))
        im = np.asarray(full if s == 1.0 else load_photo(f, round(s, 3), verbose))
        frames.append(np.ascontiguousarray(im.transpose(2, 0, 1)))
    return frames


def load_png(path) -> np.ndarray:
    """An RGB image file as ``3 x H x W`` uint8."""
    from PIL import Image
    with Image.open(path) as im:
        return np.ascontiguousarray(np.asarray(im.convert("RGB"), dtype=np.uint8).transpose(2, 0, 1))
