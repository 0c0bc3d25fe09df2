"""The ``.enet`` network file (docs/network-format.md, version 1): packing, writer, reader.

Bit packing (docs/numerics.md section 4): field ``i`` of width ``w`` occupies stream bits
``[i*w, i*w + w)``; stream bit ``j`` is bit ``j mod 8`` of byte ``j // 8`` (LSB first).  Weight codes
are the two's complement of the value for W = 2, 3 and ``0 -> -1, 1 -> +1`` for W = 1; biases are
two's complement on ``bias_bits`` bits.

The reader enforces every rule of the format document and raises :class:`EnetError` naming the
layer and the field.  It returns decoded integer arrays, ready for :mod:`encvp_train.integer`.
"""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import numpy as np

MAGIC = b"ENCVPNET"
VERSION = 1
HEADER_FMT = "<8sIIII"
HEADER_SIZE = 24
MAX_JSON = 1 << 20
MAX_PAYLOAD = 64 << 20

#: weight code tables: value -> code and code -> value (None = unused code)
ENCODE = {1: {-1: 0, 1: 1}, 2: {0: 0, 1: 1, -1: 3}, 3: {0: 0, 1: 1, 2: 2, -2: 6, -1: 7}}
DECODE = {w: {c: v for v, c in t.items()} for w, t in ENCODE.items()}

TOP_KEYS = {"name", "task", "input", "classes", "provenance", "layers"}
INPUT_KEYS = {"channels", "height", "width", "bits"}
CONV_KEYS = {"type", "name", "out_channels", "kernel", "stride", "padding", "groups", "weight_bits",
             "act_bits", "bias_bits", "shift", "pool", "weights", "bias"}
FC_KEYS = {"type", "name", "out_features", "weight_bits", "bias_bits", "weights", "bias"}
SEG_KEYS = {"offset", "bytes"}


class EnetError(ValueError):
    """A malformed or invalid network file."""


# --------------------------------------------------------------------------------------------
# bit packing
# --------------------------------------------------------------------------------------------

def pack_fields(values, width: int) -> bytes:
    """Pack unsigned field values (each < 2^width) LSB-first into ceil(n*width/8) bytes."""
    v = np.asarray(values, dtype=np.int64).ravel()
    if v.size and (v.min() < 0 or v.max() >= (1 << width)):
        raise ValueError(f"field value out of range for {width} bits")
    bits = ((v[:, None] >> np.arange(width)) & 1).astype(np.uint8).ravel()
    return np.packbits(bits, bitorder="little").tobytes()


def unpack_fields(buf: bytes, n: int, width: int) -> np.ndarray:
    """Inverse of :func:`pack_fields`: ``n`` unsigned fields (int64)."""
    bits = np.unpackbits(np.frombuffer(buf, dtype=np.uint8), bitorder="little")[: n * width]
    if bits.size < n * width:
        raise ValueError("segment too short")
    return (bits.reshape(n, width).astype(np.int64) << np.arange(width)).sum(axis=1)


def pack_signed(values, width: int) -> bytes:
    v = np.asarray(values, dtype=np.int64).ravel()
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
    if v.size and (v.min() < lo or v.max() > hi):
        raise ValueError(f"signed value out of range for {width} bits")
    return pack_fields(v & ((1 << width) - 1), width)


def unpack_signed(buf: bytes, n: int, width: int) -> np.ndarray:
    u = unpack_fields(buf, n, width)
    return np.where(u >= (1 << (width - 1)), u - (1 << width), u)


def encode_weights(values, width: int) -> bytes:
    """Pack weight values (in {-1,+1}, {-1,0,+1} or {-2..+2}) as codes of ``width`` bits."""
    v = np.asarray(values, dtype=np.int64).ravel()
    table = ENCODE[width]
    bad = ~np.isin(v, list(table))
    if bad.any():
        raise ValueError(f"weight value {int(v[bad][0])} not representable on {width} bits")
    lut = np.zeros(5, dtype=np.int64)
    for val, code in table.items():
        lut[val + 2] = code
    return pack_fields(lut[v + 2], width)


def decode_weights(buf: bytes, n: int, width: int) -> np.ndarray:
    """Unpack ``n`` weight codes; raises ValueError on an unused code."""
    codes = unpack_fields(buf, n, width)
    lut = np.full(1 << width, 99, dtype=np.int64)
    for code, val in DECODE[width].items():
        lut[code] = val
    vals = lut[codes]
    if (vals == 99).any():
        i = int(np.argmax(vals == 99))
        raise ValueError(f"unused weight code {int(codes[i]):0{width}b} at index {i}")
    return vals


def bits_for_signed(values) -> int:
    """Smallest two's-complement width >= 2 holding every value."""
    v = np.asarray(values, dtype=np.int64)
    lo, hi = (int(v.min()), int(v.max())) if v.size else (0, 0)
    b = 2
    while not (-(1 << (b - 1)) <= lo and hi <= (1 << (b - 1)) - 1):
        b += 1
    return b


# --------------------------------------------------------------------------------------------
# writer
# --------------------------------------------------------------------------------------------

def write_enet(path, *, name: str, task: str, input_shape, layers: list[dict],
               classes: list[str] | None = None, provenance: dict | None = None) -> bytes:
    """Write a network file; returns its bytes.

    ``layers``: dicts with the geometry keys of the format (``type``, ``name``, ``out_channels`` /
    ``out_features``, ``kernel``, ``stride``, ``padding``, ``groups``, ``weight_bits``, ``act_bits``,
    ``shift``, ``pool``) plus integer arrays ``weights_values`` (layout [Co][Ci/g][k][k] or [N][C]) and
    ``bias_values``.  ``bias_bits`` is computed (smallest signed width >= 2) unless given.
    Segments are placed one after the other, each starting on a 4-byte boundary.
    """
    payload = bytearray()

    def add(seg: bytes) -> dict:
        while len(payload) % 4:
            payload.append(0)
        off = len(payload)
        payload.extend(seg)
        return {"offset": off, "bytes": len(seg)}

    jl = []
    for l in layers:
        wv = np.asarray(l["weights_values"], dtype=np.int64)
        bv = np.asarray(l["bias_values"], dtype=np.int64)
        bb = int(l.get("bias_bits") or bits_for_signed(bv))
        if l["type"] == "conv":
            e = {"type": "conv", "name": l["name"], "out_channels": int(l["out_channels"]),
                 "kernel": int(l["kernel"]), "stride": int(l["stride"]), "padding": int(l["padding"]),
                 "groups": int(l["groups"]), "weight_bits": int(l["weight_bits"]),
                 "act_bits": int(l["act_bits"]), "bias_bits": bb, "shift": int(l["shift"]),
                 "pool": bool(l["pool"])}
        elif l["type"] == "fc":
            e = {"type": "fc", "name": l["name"], "out_features": int(l["out_features"]),
                 "weight_bits": int(l["weight_bits"]), "bias_bits": bb}
        else:
            raise ValueError(f"unknown layer type {l['type']!r}")
        e["weights"] = add(encode_weights(wv, e["weight_bits"]))
        e["bias"] = add(pack_signed(bv, bb))
        jl.append(e)
    c, h, w = input_shape
    header = {"name": name, "task": task,
              "input": {"channels": int(c), "height": int(h), "width": int(w), "bits": 8},
              "classes": list(classes or []), "provenance": provenance or {}, "layers": jl}
    if task == "compress":
        header.pop("classes")
    js = json.dumps(header, indent=1).encode("utf-8")
    body = js + bytes(payload)
    data = struct.pack(HEADER_FMT, MAGIC, VERSION, len(js), len(payload), zlib.crc32(body)) + body
    # the written file must pass our own reader
    read_enet_bytes(data)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(data)
    return data


# --------------------------------------------------------------------------------------------
# reader
# --------------------------------------------------------------------------------------------

def _need(cond: bool, where: str, msg: str) -> None:
    if not cond:
        raise EnetError(f"{where}: {msg}")


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


def read_enet(path) -> dict:
    """Read and validate a ``.enet`` file (see :func:`read_enet_bytes`)."""
    return read_enet_bytes(Path(path).read_bytes(), str(path))


def read_enet_bytes(data: bytes, where: str = "enet") -> dict:
    """Validate a network file and decode it.

    Returns ``{"header": <json dict>, "layers": [{"spec": <json layer>, "in_channels": int,
    "weights": int64 array, "bias": int64 array, "out_shape": (C, H, W)}, ...]}``.
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
        raise EnetError(f"{where}: header is not valid UTF-8 JSON: {e}") from None
    payload = data[HEADER_SIZE + J:]

    _need(isinstance(h, dict), where, "header must be a JSON object")
    task = h.get("task")
    _need(task in ("classify", "compress"), f"{where}.task", f"must be classify or compress, got {task!r}")
    _keys(h, TOP_KEYS if task == "classify" else TOP_KEYS - {"classes"}, where)
    _need(isinstance(h["name"], str), f"{where}.name", "must be a string")
    _need(isinstance(h["provenance"], dict), f"{where}.provenance", "must be an object")
    _keys(h["input"], INPUT_KEYS, f"{where}.input")
    c = _int(h["input"], "channels", f"{where}.input", 1, 1024)
    ih = _int(h["input"], "height", f"{where}.input", 1, 1024)
    iw = _int(h["input"], "width", f"{where}.input", 1, 1024)
    _int(h["input"], "bits", f"{where}.input", 8, 8)
    layers = h["layers"]
    _need(isinstance(layers, list) and 1 <= len(layers) <= 32, f"{where}.layers", "must be a list of 1..32 layers")

    segments, out = [], []
    for i, l in enumerate(layers):
        lw = f"layer {i}" + (f" ({l.get('name')})" if isinstance(l, dict) and isinstance(l.get("name"), str) else "")
        _need(isinstance(l, dict) and l.get("type") in ("conv", "fc"), lw, "type must be conv or fc")
        is_fc = l["type"] == "fc"
        _keys(l, FC_KEYS if is_fc else CONV_KEYS, lw)
        _need(isinstance(l["name"], str), f"{lw}.name", "must be a string")
        wb = _int(l, "weight_bits", lw, 1, 3)
        bb = _int(l, "bias_bits", lw, 2, 24)
        if is_fc:
            _need(i == len(layers) - 1 and task == "classify", lw, "fc must be the last layer of a classify network")
            n_out = _int(l, "out_features", lw, 1, 1024)
            n_w = n_out * c
            spec_shape = (n_out, c)
            shape_out = (n_out, 1, 1)
        else:
            n_out = _int(l, "out_channels", lw, 1, 1024)
            k = _int(l, "kernel", lw, 1, 7)
            _need(k % 2 == 1, f"{lw}.kernel", f"must be odd, got {k}")
            s = _int(l, "stride", lw, 1, 2)
            p = _int(l, "padding", lw, 0, k // 2)
            g = _int(l, "groups", lw, 1, 1024)
            _need(c % g == 0 and n_out % g == 0, f"{lw}.groups", f"{g} must divide in={c} and out={n_out}")
            _int(l, "act_bits", lw, 1, 3)
            _int(l, "shift", lw, 0, 24)
            _need(isinstance(l["pool"], bool), f"{lw}.pool", "must be true or false")
            ho, wo = (ih + 2 * p - k) // s + 1, (iw + 2 * p - k) // s + 1
            _need(ho >= 1 and wo >= 1, lw, f"output size {ho}x{wo} < 1")
            if l["pool"]:
                ho, wo = ho // 2, wo // 2
                _need(ho >= 1 and wo >= 1, f"{lw}.pool", f"pooled output size {ho}x{wo} < 1")
            n_w = n_out * (c // g) * k * k
            spec_shape = (n_out, c // g, k, k)
            shape_out = (n_out, ho, wo)
        arrays = {}
        for seg, n, width in (("weights", n_w, wb), ("bias", n_out, bb)):
            sw = f"{lw}.{seg}"
            _keys(l[seg], SEG_KEYS, sw)
            off = _int(l[seg], "offset", sw, 0, len(payload))
            nb = _int(l[seg], "bytes", sw, 0, len(payload))
            _need(nb == (n * width + 7) // 8, f"{sw}.bytes", f"{nb} != ceil({n}*{width}/8)")
            _need(off + nb <= len(payload), sw, f"segment [{off}, {off + nb}) outside the payload ({len(payload)} bytes)")
            for a0, a1, an in segments:
                _need(nb == 0 or a1 == a0 or off >= a1 or off + nb <= a0, sw, f"overlaps {an}")
            segments.append((off, off + nb, sw))
            buf = payload[off:off + nb]
            if (n * width) % 8:
                _need(buf[-1] >> ((n * width) % 8) == 0, sw, "padding bits after the last field are not zero")
            try:
                arrays[seg] = (decode_weights(buf, n, width).reshape(spec_shape) if seg == "weights"
                               else unpack_signed(buf, n, width))
            except ValueError as e:
                raise EnetError(f"{sw}: {e}") from None
        out.append({"spec": l, "in_channels": c, "weights": arrays["weights"], "bias": arrays["bias"],
                    "out_shape": shape_out})
        c, ih, iw = shape_out
    if task == "classify":
        _need(layers[-1]["type"] == "fc", f"{where}.layers", "a classify network must end with an fc layer")
        cl = h["classes"]
        _need(isinstance(cl, list) and all(isinstance(x, str) for x in cl), f"{where}.classes", "must be a list of strings")
        _need(len(cl) == layers[-1]["out_features"], f"{where}.classes",
              f"{len(cl)} names for {layers[-1]['out_features']} outputs")
    return {"header": h, "layers": out}
