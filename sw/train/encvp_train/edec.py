"""The ``.edec`` decoder file (docs/compression.md): writer, validating reader, NumPy reference decoder.

Container (the ``.enet`` container of docs/network-format.md with another magic), little-endian:

    0   8  magic "ENCVPDEC"
    8   4  u32 version = 1
    12  4  u32 J, length of the JSON header (1 <= J <= 1 MiB)
    16  4  u32 L, length of the payload (<= 64 MiB)
    20  4  u32 CRC-32 (zlib) of bytes 24 .. end (JSON header + payload)
    24  J  JSON header
    24+J L payload: float32 little-endian segments

JSON header keys (all required, no others): ``name`` (string), ``code_channels`` (1..1024),
``upscale`` (1..64, the product of the pixel_shuffle factors), ``encoder`` = ``{"name": string,
"crc32": u32}`` (the CRC-32 field, header offset 20, of the ``.enet`` whose codes this decoder reads),
``provenance`` (free-form object), ``ops`` (1..4096 ops).

Ops and their keys (exactly these):

    {"op": "input_pm1"}                         first op, once: x = 2·code − 1
    {"op": "conv", "in", "out", "kernel", "relu", "weights": seg, "bias": seg}
                                                kernel odd 1..7, zero padding kernel/2, stride 1,
                                                weights float32 [out][in][k][k], bias float32 [out]
    {"op": "mark"}                              push the current tensor
    {"op": "add"}                               pop a tensor (same shape) and add it
    {"op": "pixel_shuffle", "factor": r}        [C·r², H, W] -> [C, H·r, W·r], channel c·r² + i·r + j -> (i, j)
    {"op": "relu"}
    {"op": "output"}                            last op, once: 3 channels, empty stack

``seg`` = ``{"offset": int, "bytes": int}`` inside the payload, segments do not overlap, sizes exact,
every value finite.  The reader rejects everything else with :class:`EdecError` naming the op.

The reference decoder (:func:`decode_reference`) evaluates the graph with NumPy (im2col + matmul,
float32 or float64); the C++ decoder is tested against it.  Pixels come out as
``floor(clamp(y, 0, 1)·255 + 1/2)``.
"""

from __future__ import annotations

import json
import math
import struct
import zlib
from pathlib import Path

import numpy as np

MAGIC = b"ENCVPDEC"
VERSION = 1
HEADER_FMT = "<8sIIII"
HEADER_SIZE = 24
MAX_JSON = 1 << 20
MAX_PAYLOAD = 64 << 20
MAX_OPS = 4096
MAX_CHANNELS = 1024

TOP_KEYS = {"name", "code_channels", "upscale", "encoder", "provenance", "ops"}
ENCODER_KEYS = {"name", "crc32"}
SEG_KEYS = {"offset", "bytes"}
OP_KEYS = {
    "input_pm1": {"op"},
    "conv": {"op", "in", "out", "kernel", "relu", "weights", "bias"},
    "mark": {"op"},
    "add": {"op"},
    "pixel_shuffle": {"op", "factor"},
    "relu": {"op"},
    "output": {"op"},
}


class EdecError(ValueError):
    """A malformed or invalid decoder file."""


def enet_crc(data: bytes) -> int:
    """The identity of an ``.enet`` file: its header's CRC-32 field (offset 20)."""
    if len(data) < HEADER_SIZE:
        raise ValueError("not an .enet file (too short)")
    return struct.unpack_from("<I", data, 20)[0]


# --------------------------------------------------------------------------------------------
# writer
# --------------------------------------------------------------------------------------------

def write_edec(path, *, name: str, code_channels: int, upscale: int, encoder_name: str,
               encoder_crc32: int, ops: list[dict], provenance: dict | None = None) -> bytes:
    """Write a decoder file; returns its bytes.

    ``ops``: op dicts as in the module docstring, where ``conv`` ops carry NumPy arrays ``weights``
    ([out][in][k][k]) and ``bias`` ([out]) instead of segments.  Segments are 4-byte aligned.
    """
    payload = bytearray()
    jops = []
    for i, op in enumerate(ops):
        e = {k: v for k, v in op.items() if k not in ("weights", "bias")}
        if op["op"] == "conv":
            w = np.ascontiguousarray(op["weights"], dtype="<f4")
            b = np.ascontiguousarray(op["bias"], dtype="<f4")
            shape = (int(op["out"]), int(op["in"]), int(op["kernel"]), int(op["kernel"]))
            if w.shape != shape or b.shape != (shape[0],):
                raise ValueError(f"op {i}: weights {w.shape} / bias {b.shape} do not match {shape}")
            e = {"op": "conv", "in": int(op["in"]), "out": int(op["out"]), "kernel": int(op["kernel"]),
                 "relu": bool(op["relu"])}
            for key, arr in (("weights", w), ("bias", b)):
                while len(payload) % 4:
                    payload.append(0)
                e[key] = {"offset": len(payload), "bytes": arr.nbytes}
                payload.extend(arr.tobytes())
        elif op["op"] == "pixel_shuffle":
            e = {"op": "pixel_shuffle", "factor": int(op["factor"])}
        jops.append(e)
    header = {"name": name, "code_channels": int(code_channels), "upscale": int(upscale),
              "encoder": {"name": encoder_name, "crc32": int(encoder_crc32)},
              "provenance": provenance or {}, "ops": jops}
    js = json.dumps(header, indent=1).encode("utf-8")
    body = js + bytes(payload)
    data = struct.pack(HEADER_FMT, MAGIC, VERSION, len(js), len(payload), zlib.crc32(body)) + body
    read_edec_bytes(data)   # the file must pass our own reader
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(data)
    return data


# --------------------------------------------------------------------------------------------
# reader
# --------------------------------------------------------------------------------------------

def _need(cond: bool, where: str, msg: str) -> None:
    if not cond:
        raise EdecError(f"{where}: {msg}")


def _int(d: dict, key: str, where: str, lo: int, hi: int) -> int:
    v = d.get(key)
    _need(isinstance(v, int) and not isinstance(v, bool), f"{where}.{key}", f"must be an integer, got {v!r}")
    _need(lo <= v <= hi, f"{where}.{key}", f"{v} out of range {lo}..{hi}")
    return v


def _keys(d, expected: set, where: str) -> None:
    _need(isinstance(d, dict), where, "must be a JSON object")
    missing, unknown = expected - set(d), set(d) - expected
    _need(not missing, where, f"missing keys {sorted(missing)}")
    _need(not unknown, where, f"unknown keys {sorted(unknown)}")


def read_edec(path) -> dict:
    """Read and validate a ``.edec`` file (see :func:`read_edec_bytes`)."""
    return read_edec_bytes(Path(path).read_bytes(), str(path))


def read_edec_bytes(data: bytes, where: str = "edec") -> dict:
    """Validate a decoder file and decode it.

    Returns ``{"header": <json dict>, "crc32": int, "ops": [op dicts; conv ops with float32 arrays
    "weights" [out][in][k][k] and "bias" [out]]}``.
    """
    _need(len(data) >= HEADER_SIZE, where, f"file too short ({len(data)} bytes)")
    magic, version, J, L, crc = struct.unpack_from(HEADER_FMT, data)
    _need(magic == MAGIC, where, f"bad magic {magic!r}")
    _need(version == VERSION, where, f"unsupported version {version}")
    _need(1 <= J <= MAX_JSON, where, f"JSON length {J} out of range")
    _need(L <= MAX_PAYLOAD, where, f"payload length {L} too large")
    _need(len(data) == HEADER_SIZE + J + L, where, f"file size {len(data)} != 24 + {J} + {L}")
    _need(zlib.crc32(data[HEADER_SIZE:]) == crc, where, "CRC-32 mismatch")
    try:
        h = json.loads(data[HEADER_SIZE:HEADER_SIZE + J].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise EdecError(f"{where}: header is not valid UTF-8 JSON: {e}") from None
    payload = data[HEADER_SIZE + J:]

    _keys(h, TOP_KEYS, where)
    _need(isinstance(h["name"], str), f"{where}.name", "must be a string")
    _need(isinstance(h["provenance"], dict), f"{where}.provenance", "must be an object")
    cc = _int(h, "code_channels", where, 1, MAX_CHANNELS)
    up = _int(h, "upscale", where, 1, 64)
    _keys(h["encoder"], ENCODER_KEYS, f"{where}.encoder")
    _need(isinstance(h["encoder"]["name"], str), f"{where}.encoder.name", "must be a string")
    _int(h["encoder"], "crc32", f"{where}.encoder", 0, 0xFFFFFFFF)
    ops = h["ops"]
    _need(isinstance(ops, list) and 2 <= len(ops) <= MAX_OPS, f"{where}.ops", f"must be a list of 2..{MAX_OPS} ops")

    c, scale, stack, segments, out = cc, 1, [], [], []
    for i, op in enumerate(ops):
        ow = f"op {i}" + (f" ({op.get('op')})" if isinstance(op, dict) and isinstance(op.get("op"), str) else "")
        _need(isinstance(op, dict) and op.get("op") in OP_KEYS, ow,
              f"unknown op {op.get('op') if isinstance(op, dict) else op!r}")
        kind = op["op"]
        _keys(op, OP_KEYS[kind], ow)
        _need((kind == "input_pm1") == (i == 0), ow, "input_pm1 must be the first op, and only the first")
        _need((kind == "output") == (i == len(ops) - 1), ow, "output must be the last op, and only the last")
        d = {"op": kind}
        if kind == "conv":
            cin = _int(op, "in", ow, 1, MAX_CHANNELS)
            cout = _int(op, "out", ow, 1, MAX_CHANNELS)
            k = _int(op, "kernel", ow, 1, 7)
            _need(k % 2 == 1, f"{ow}.kernel", f"must be odd, got {k}")
            _need(isinstance(op["relu"], bool), f"{ow}.relu", "must be true or false")
            _need(cin == c, f"{ow}.in", f"{cin} != {c} channels of the incoming tensor")
            d.update({"in": cin, "out": cout, "kernel": k, "relu": op["relu"]})
            for seg, n, shape in (("weights", cout * cin * k * k, (cout, cin, k, k)), ("bias", cout, (cout,))):
                sw = f"{ow}.{seg}"
                _keys(op[seg], SEG_KEYS, sw)
                off = _int(op[seg], "offset", sw, 0, len(payload))
                nb = _int(op[seg], "bytes", sw, 0, len(payload))
                _need(nb == 4 * n, f"{sw}.bytes", f"{nb} != 4 * {n} float32 values")
                _need(off + nb <= len(payload), sw, f"segment [{off}, {off + nb}) outside the payload ({len(payload)} bytes)")
                for a0, a1, an in segments:
                    _need(off >= a1 or off + nb <= a0, sw, f"overlaps {an}")
                segments.append((off, off + nb, sw))
                arr = np.frombuffer(payload, dtype="<f4", count=n, offset=off).astype(np.float32).reshape(shape)
                _need(bool(np.isfinite(arr).all()), sw, "contains NaN or infinity")
                d[seg] = arr
            c = cout
        elif kind == "mark":
            stack.append((c, scale, i))
        elif kind == "add":
            _need(bool(stack), ow, "no tensor to add (add without a matching mark)")
            c0, s0, i0 = stack.pop()
            _need((c0, s0) == (c, scale), ow,
                  f"shape mismatch: adds a {c}-channel tensor at scale {scale} to the {c0}-channel tensor "
                  f"at scale {s0} marked by op {i0}")
        elif kind == "pixel_shuffle":
            r = _int(op, "factor", ow, 2, 8)
            _need(c % (r * r) == 0, f"{ow}.factor", f"{c} channels not divisible by {r}^2")
            c, scale = c // (r * r), scale * r
            d["factor"] = r
        elif kind == "output":
            _need(c == 3, ow, f"the output has {c} channels, expected 3 (RGB)")
            _need(not stack, ow, f"{len(stack)} marked tensor(s) never added")
            _need(scale == up, ow, f"the graph upscales by {scale}, the header says upscale {up}")
        out.append(d)
    return {"header": h, "crc32": crc, "ops": out}


# --------------------------------------------------------------------------------------------
# NumPy reference decoder
# --------------------------------------------------------------------------------------------

def conv2d_same(x: np.ndarray, w: np.ndarray, b: np.ndarray, max_rows: int = 1 << 16) -> np.ndarray:
    """Stride-1 convolution with zero padding k/2: x [N, Ci, H, W], w [Co, Ci, k, k] -> [N, Co, H, W].

    im2col + matmul in the dtype of ``x``, processed in bands of output rows to bound memory.
    """
    n, ci, h, wd = x.shape
    co, ci2, k, _ = w.shape
    assert ci == ci2
    p = k // 2
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    wm = w.reshape(co, ci * k * k).T.astype(x.dtype)          # [Ci*k*k, Co]
    out = np.empty((n, co, h, wd), dtype=x.dtype)
    band = max(1, min(h, max_rows // max(1, n * wd)))
    for y0 in range(0, h, band):
        y1 = min(h, y0 + band)
        cols = np.empty((n, y1 - y0, wd, ci, k, k), dtype=x.dtype)
        for ky in range(k):
            for kx in range(k):
                cols[..., ky, kx] = xp[:, :, y0 + ky:y1 + ky, kx:kx + wd].transpose(0, 2, 3, 1)
        res = cols.reshape(-1, ci * k * k) @ wm + b.astype(x.dtype)
        out[:, :, y0:y1] = res.reshape(n, y1 - y0, wd, co).transpose(0, 3, 1, 2)
    return out


def pixel_shuffle(x: np.ndarray, r: int) -> np.ndarray:
    """PyTorch's pixel_shuffle: [N, C·r², H, W] -> [N, C, H·r, W·r]."""
    n, c, h, w = x.shape
    co = c // (r * r)
    return x.reshape(n, co, r, r, h, w).transpose(0, 1, 4, 2, 5, 3).reshape(n, co, h * r, w * r)


def decode_reference(dec: dict, codes, dtype=np.float32) -> np.ndarray:
    """Evaluate the decoder graph of ``dec`` (:func:`read_edec`) on binary codes.

    ``codes``: 0/1 integers ``[C, h, w]`` or ``[N, C, h, w]``.  Returns the float decoder output
    ``[(N,) 3, h·r, w·r]`` (not clamped; :func:`to_pixels` makes 8-bit pixels).
    """
    x = np.asarray(codes)
    single = x.ndim == 3
    if single:
        x = x[None]
    if x.ndim != 4 or x.shape[1] != dec["header"]["code_channels"]:
        raise ValueError(f"codes of shape {np.shape(codes)} do not fit a decoder with "
                         f"{dec['header']['code_channels']} code channels")
    if x.size and not np.isin(x, (0, 1)).all():
        raise ValueError("codes must be 0 or 1")
    x = x.astype(dtype)
    stack = []
    for op in dec["ops"]:
        o = op["op"]
        if o == "input_pm1":
            x = x * dtype(2) - dtype(1)
        elif o == "conv":
            x = conv2d_same(x, op["weights"], op["bias"])
            if op["relu"]:
                x = np.maximum(x, 0)
        elif o == "mark":
            stack.append(x)
        elif o == "add":
            x = x + stack.pop()
        elif o == "pixel_shuffle":
            x = pixel_shuffle(x, op["factor"])
        elif o == "relu":
            x = np.maximum(x, 0)
        elif o == "output":
            break
    return x[0] if single else x


def to_pixels(y: np.ndarray) -> np.ndarray:
    """Decoder output -> uint8 pixels: floor(clamp(y, 0, 1)·255 + 1/2)."""
    return np.floor(np.clip(y, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def receptive_radius(dec: dict) -> float:
    """Receptive-field radius of one output pixel, in output pixels (for tiling with a halo)."""
    # walk backwards: every k x k conv at scale s adds (k // 2) * (upscale / s) output pixels
    up = dec["header"]["upscale"]
    scale, r = 1, 0.0
    for op in dec["ops"]:
        if op["op"] == "conv":
            r += (op["kernel"] // 2) * up / scale
        elif op["op"] == "pixel_shuffle":
            scale *= op["factor"]
    return r


def macs_per_pixel(dec: dict) -> float:
    up = dec["header"]["upscale"]
    scale, total = 1, 0.0
    for op in dec["ops"]:
        if op["op"] == "conv":
            total += op["in"] * op["out"] * op["kernel"] ** 2 * (scale / up) ** 2
        elif op["op"] == "pixel_shuffle":
            scale *= op["factor"]
    return total


def summary(dec: dict) -> str:
    h = dec["header"]
    n = sum(op["weights"].size + op["bias"].size for op in dec["ops"] if op["op"] == "conv")
    return (f"decoder {h['name']!r}: {h['code_channels']} code channels, upscale {h['upscale']}, "
            f"{len(dec['ops'])} ops, {n} parameters, {macs_per_pixel(dec) / 1e3:.1f}k MACs/pixel, "
            f"receptive radius {receptive_radius(dec):.0f} px; encoder {h['encoder']['name']!r} "
            f"crc32 0x{h['encoder']['crc32']:08x}")


def main(argv=None) -> int:
    import argparse
    ap = argparse.ArgumentParser(description="Validate and describe an .edec decoder file")
    ap.add_argument("edec")
    a = ap.parse_args(argv)
    try:
        print(summary(read_edec(a.edec)))
    except (EdecError, OSError) as e:
        print(f"error: {e}")
        return 1
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(main())
