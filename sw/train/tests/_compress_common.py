"""Shared helpers for the compression tests: small real (or synthetic) images, a small codec config."""

import copy

import _common  # noqa: F401  (sys.path, threads)
import numpy as np

from encvp_train import photos as P


def photos_available() -> bool:
    try:
        return bool(P.list_photos())
    except Exception:
        return False


def synthetic_image(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A smooth colour image with edges and some texture (``H x W x 3`` uint8)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.empty((h, w, 3))
    for c in range(3):
        a, b, p = rng.uniform(0.01, 0.08, 2).tolist() + [rng.uniform(0, 6.3)]
        img[..., c] = 128 + 70 * np.sin(a * xx + b * yy + p)
    cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(h / 6, h / 2)
    img[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] *= 0.5
    img += rng.normal(0, 6, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def real_or_synthetic(n: int, h: int, w: int, seed: int = 0) -> tuple[np.ndarray, str]:
    """``n`` crops ``[n, 3, h, w]`` of the training photos, or synthetic images when they are absent."""
    rng = np.random.default_rng(seed)
    if photos_available():
        files = P.list_photos()
        out = []
        for i in range(n):
            from PIL import Image
            with Image.open(files[int(rng.integers(len(files)))]) as im:
                a = np.asarray(im.convert("RGB"))
            y, x = int(rng.integers(a.shape[0] - h + 1)), int(rng.integers(a.shape[1] - w + 1))
            out.append(a[y:y + h, x:x + w].transpose(2, 0, 1))
        return np.stack(out), "crops of the training photos"
    return np.stack([synthetic_image(rng, h, w).transpose(2, 0, 1) for _ in range(n)]), "synthetic images"


def small_model_cfg(code_channels=4, width=16, half_width=8, full_width=8, blocks=1) -> dict:
    """The real encoder (as docs/compression.md) with a narrow decoder, for fast tests."""
    return {"patch": 16, "code_channels": code_channels, "conv4_wbits": 3,
            "decoder": {"width": width, "blocks": blocks, "half_width": half_width, "half_blocks": 1,
                        "full_width": full_width}}


def full_model_cfg(code_channels=4) -> dict:
    return copy.deepcopy({"patch": 16, "code_channels": code_channels, "conv4_wbits": 3})
