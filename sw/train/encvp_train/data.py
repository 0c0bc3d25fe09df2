"""CIFAR-10 data: the shared JPEG copy, the official binary batches, caching, splits, augmentation.

Images are kept as ``uint8`` arrays of shape ``[N, 3, 32, 32]`` (channel-major, RGB), exactly the
8-bit pixels the encoder receives (docs/numerics.md section 1).  Labels are ``int64`` in the
official order 0..9.

Where the data lives
--------------------
* the shared data directory: ``--data DIR`` on the command lines, else ``$ENCVP_DATA``, else
  ``../shared/data`` relative to the repository root;
* the decoded cache (``.npy``): ``$ENCVP_CACHE``, else ``.data/`` at the repository root (git-ignored).

The JPEG tarballs are decoded once with PIL; later runs load the cached arrays in well under a second.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import numpy as np

CLASSES = ["airplane", "automobile", "bird", "cat", "deer",
           "dog", "frog", "horse", "ship", "truck"]

REPO_ROOT = Path(__file__).resolve().parents[3]

JPEG_TARS = {
    "train": "cifar10-jpeg/cifar10-train-jpeg.tar.xz",
    "test": "cifar10-jpeg/cifar10-test-jpeg.tar.xz",
}


class DataError(RuntimeError):
    """Raised with a clear message when data is missing or malformed."""


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """Return the shared data directory (``override`` > ``$ENCVP_DATA`` > ``../shared/data``)."""
    if override:
        return Path(override)
    env = os.environ.get("ENCVP_DATA")
    if env:
        return Path(env)
    return (REPO_ROOT / ".." / "shared" / "data").resolve()


def cache_dir() -> Path:
    """Return (and create) the directory of decoded caches (``$ENCVP_CACHE`` or ``<repo>/.data``)."""
    d = Path(os.environ.get("ENCVP_CACHE") or (REPO_ROOT / ".data"))
    d.mkdir(parents=True, exist_ok=True)
    return d


# --------------------------------------------------------------------------------------------
# JPEG copy
# --------------------------------------------------------------------------------------------

def decode_jpeg_tar(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Decode a ``<split>/<class>/NNNN.jpg`` tarball into (images, labels, member names).

    Images are sorted by (class index, file name), so the result does not depend on the order of
    the members inside the archive.
    """
    from PIL import Image  # imported lazily: the binary loader needs no PIL

    items = []
    with tarfile.open(path, "r:*") as tar:
        for member in tar:
            if not member.isfile() or not member.name.lower().endswith(".jpg"):
                continue
            parts = Path(member.name).parts
            if len(parts) < 3 or parts[-2] not in CLASSES:
                raise DataError(f"{path}: unexpected member {member.name!r} "
                                "(expected <split>/<class>/<file>.jpg)")
            raw = tar.extractfile(member).read()
            with Image.open(io.BytesIO(raw)) as im:
                im = im.convert("RGB")
                if im.size != (32, 32):
                    raise DataError(f"{path}:{member.name}: size {im.size}, expected 32x32")
                arr = np.asarray(im, dtype=np.uint8)           # H, W, C
            items.append((CLASSES.index(parts[-2]), member.name, arr))
    if not items:
        raise DataError(f"{path}: no JPEG images found")
    items.sort(key=lambda t: (t[0], t[1]))
    x = np.stack([t[2] for t in items]).transpose(0, 3, 1, 2).copy()  # N, C, H, W
    y = np.array([t[0] for t in items], dtype=np.int64)
    return x, y, [t[1] for t in items]


def _file_key(path: Path) -> str:
    st = path.stat()
    return hashlib.sha1(f"{path.resolve()}:{st.st_size}:{int(st.st_mtime)}".encode()).hexdigest()[:12]


def load_cifar10_jpeg(split: str, data: str | os.PathLike | None = None,
                      verbose: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Load the ``train`` or ``test`` split of the shared CIFAR-10 JPEG q75 copy (cached as .npy)."""
    if split not in JPEG_TARS:
        raise ValueError(f"split must be one of {sorted(JPEG_TARS)}, not {split!r}")
    tar_path = data_dir(data) / JPEG_TARS[split]
    if not tar_path.is_file():
        raise DataError(f"CIFAR-10 JPEG copy not found: {tar_path} "
                        "(pass --data DIR or set ENCVP_DATA to the shared data directory)")
    key = _file_key(tar_path)
    cdir = cache_dir()
    fx, fy = cdir / f"cifar10-jpeg-{split}-{key}-x.npy", cdir / f"cifar10-jpeg-{split}-{key}-y.npy"
    if fx.is_file() and fy.is_file():
        return np.load(fx), np.load(fy)
    if verbose:
        print(f"decoding {tar_path} (once; cached in {cdir}) ...", flush=True)
    x, y, _ = decode_jpeg_tar(tar_path)
    tmp_x, tmp_y = fx.with_suffix(f".{os.getpid()}.tmp.npy"), fy.with_suffix(f".{os.getpid()}.tmp.npy")
    np.save(tmp_x, x)
    np.save(tmp_y, y)
    os.replace(tmp_x, fx)
    os.replace(tmp_y, fy)
    (cdir / f"cifar10-jpeg-{split}-{key}.json").write_text(
        json.dumps({"source": str(tar_path), "images": int(len(y))}) + "\n")
    return x, y


# --------------------------------------------------------------------------------------------
# Official binary batches (cifar-10-batches-bin)
# --------------------------------------------------------------------------------------------

BIN_RECORD = 1 + 3 * 32 * 32
BIN_FILES = {
    "train": [f"data_batch_{i}.bin" for i in range(1, 6)],
    "test": ["test_batch.bin"],
}


def read_cifar10_bin_file(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read one binary batch: records of 1 label byte + 3072 bytes (R, G, B planes, row-major)."""
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size == 0 or raw.size % BIN_RECORD:
        raise DataError(f"{path}: size {raw.size} is not a positive multiple of {BIN_RECORD} bytes")
    rec = raw.reshape(-1, BIN_RECORD)
    y = rec[:, 0].astype(np.int64)
    if y.max() > 9:
        raise DataError(f"{path}: label {int(y.max())} out of range 0..9")
    x = rec[:, 1:].reshape(-1, 3, 32, 32).copy()
    return x, y


def load_cifar10_bin(directory: str | os.PathLike, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Load the ``train`` (data_batch_1..5) or ``test`` (test_batch) split of the binary CIFAR-10.

    Missing training batches are an error; the directory may be ``cifar-10-batches-bin`` itself or
    its parent.
    """
    d = Path(directory)
    if not (d / BIN_FILES[split][0]).is_file() and (d / "cifar-10-batches-bin").is_dir():
        d = d / "cifar-10-batches-bin"
    xs, ys = [], []
    for name in BIN_FILES[split]:
        p = d / name
        if not p.is_file():
            raise DataError(f"binary CIFAR-10 file missing: {p}")
        x, y = read_cifar10_bin_file(p)
        xs.append(x)
        ys.append(y)
    return np.concatenate(xs), np.concatenate(ys)


def load_split(split: str, data: str | os.PathLike | None = None, source: str = "jpeg",
               verbose: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Load a split from ``source`` = ``jpeg`` (shared JPEG copy) or ``bin:<directory>``."""
    if source == "jpeg":
        return load_cifar10_jpeg(split, data, verbose=verbose)
    if source.startswith("bin:"):
        return load_cifar10_bin(source[4:], split)
    raise ValueError(f"unknown data source {source!r} (use 'jpeg' or 'bin:<dir>')")


def train_val_split(n: int, n_val: int = 5000, seed: int = 20220801) -> tuple[np.ndarray, np.ndarray]:
    """Fixed, seeded hold-out of ``n_val`` training images for checkpoint selection.

    The seed is independent of the training seed on purpose: every experiment sees the same
    validation images.  Returns sorted (train_indices, val_indices).
    """
    if not 0 <= n_val < n:
        raise ValueError(f"n_val={n_val} must be in [0, {n})")
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


# --------------------------------------------------------------------------------------------
# Augmentation (on batches of uint8 torch tensors)
# --------------------------------------------------------------------------------------------

def augment_batch(x, generator=None, pad: int = 4, flip: bool = True, cutout: int = 0):
    """Random crop with zero padding ``pad`` and random horizontal flip, on a uint8 batch [B,3,H,W];
    ``cutout`` > 0 then blacks out one ``cutout``×``cutout`` square per image (all channels) whose
    centre is uniform over the image, so it may be cut by the border (DeVries and Taylor, 2017).

    Zero padding is black, which is also what the encoder's zero padding sees at the borders.
    The random draws come from ``generator`` on the CPU whatever ``x``'s device, so a batch on a GPU
    is augmented exactly as the same batch on the CPU (only the gathers run on ``x``'s device).
    """
    import torch

    b, c, h, w = x.shape
    dev = x.device
    if pad > 0:
        xp = torch.nn.functional.pad(x, (pad, pad, pad, pad))
        oy = torch.randint(0, 2 * pad + 1, (b,), generator=generator).to(dev)
        ox = torch.randint(0, 2 * pad + 1, (b,), generator=generator).to(dev)
        rows = (oy[:, None] + torch.arange(h, device=dev)[None, :])          # B, H
        cols = (ox[:, None] + torch.arange(w, device=dev)[None, :])          # B, W
        bidx = torch.arange(b, device=dev)[:, None, None, None]
        cidx = torch.arange(c, device=dev)[None, :, None, None]
        x = xp[bidx, cidx, rows[:, None, :, None], cols[:, None, None, :]]
    if flip:
        f = (torch.rand(b, generator=generator) < 0.5).to(dev)
        x = torch.where(f[:, None, None, None], x.flip(3), x)
    if cutout > 0:
        y0 = (torch.randint(0, h, (b,), generator=generator) - cutout // 2).to(dev)
        x0 = (torch.randint(0, w, (b,), generator=generator) - cutout // 2).to(dev)
        ry = torch.arange(h, device=dev)[None, :] - y0[:, None]              # B, H
        rx = torch.arange(w, device=dev)[None, :] - x0[:, None]              # B, W
        inside = ((ry >= 0) & (ry < cutout))[:, :, None] & ((rx >= 0) & (rx < cutout))[:, None, :]
        x = x.masked_fill(inside[:, None], 0)
    return x
