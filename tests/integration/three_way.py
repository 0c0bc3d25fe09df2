#!/usr/bin/python3
"""Three implementations agree bit for bit on real images: the training flow's integer-only
inference (sw/train/encvp_train/integer.py), the golden model and the virtual platform.

For every classification network in configs/networks/, runs `encvp classify --check` (VP == golden,
image by image) on the bundled CIFAR-10 samples, saving the logits, then runs integer.py on the same
decoded pixels and compares every logit.  For every compression network there, runs `encvp compress`
(the VP: firmware, 2-D DMA, encoder) on a 120x90 picture tiled from those samples (not a multiple
of the 16-px patch, so the edge padding is covered), reads the codes back from the `.evc` and
compares every code bit with integer.py's codes of the same padded patches.
usage: three_way.py ENCVP SOURCE_DIR
"""
import struct
import csv
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image


def main() -> int:
    encvp, src = sys.argv[1], sys.argv[2]
    sys.path.insert(0, os.path.join(src, "sw", "train"))
    from encvp_train import enet, integer  # noqa: E402

    samples = os.path.join(src, "configs", "samples", "cifar10")
    networks = sorted(glob.glob(os.path.join(src, "configs", "networks", "*.enet")))
    checked = 0
    for net_path in networks:
        if enet.read_enet(net_path)["header"]["task"] != "classify":
            continue
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "logits.csv")
            subprocess.run([encvp, "classify", "--network", net_path, "--dataset", samples, "--check",
                            "--save-outputs", out], check=True, stdout=subprocess.DEVNULL)
            with open(out, newline="") as fh:
                rows = list(csv.DictReader(fh))
        ids = [r["id"] for r in rows]
        vp = np.array([[int(r[k]) for k in r if k.startswith("logit")] for r in rows], dtype=np.int64)
        x = np.stack([np.asarray(Image.open(p).convert("RGB"), dtype=np.uint8).transpose(2, 0, 1) for p in ids])
        ref = np.asarray(integer.infer(net_path, x), dtype=np.int64)
        if ref.shape != vp.shape or not np.array_equal(ref, vp):
            bad = int(np.argmax(np.any(ref != vp, axis=1)))
            print(f"FAIL {net_path}: image {ids[bad]}: VP {vp[bad].tolist()} vs integer.py {ref[bad].tolist()}")
            return 1
        print(f"ok   {os.path.basename(net_path)}: {len(ids)} images, VP == golden == integer.py (bit exact)")
        checked += 1
    if checked == 0:
        print("FAIL: no classification network found in configs/networks")
        return 1
    return check_codecs(encvp, networks, samples, enet, integer)


def read_evc_codes(path):
    """Plain .evc (docs/compression.md): header fields and the codes as [patches, bits per patch]."""
    b = open(path, "rb").read()
    if b[:8] != b"ENCVPEVC":
        raise ValueError(f"{path}: not an .evc file")
    ver, w, h, p, c, ch, cw, bpp_, cols, rows, crc, flags, nbytes = struct.unpack_from("<3I4H6I", b, 8)
    if flags & 1:
        raise ValueError(f"{path}: entropy coded, expected plain codes")
    bits = np.unpackbits(np.frombuffer(b[52:52 + nbytes], dtype=np.uint8), bitorder="little")
    return dict(w=w, h=h, patch=p, c=c, ch=ch, cw=cw, cols=cols, rows=rows), \
        bits[: cols * rows * bpp_].reshape(rows * cols, bpp_)


def check_codecs(encvp, networks, samples, enet, integer) -> int:
    files = sorted(glob.glob(os.path.join(samples, "*", "*.jpg")))[:12]
    tiles = [np.asarray(Image.open(f).convert("RGB")) for f in files]
    pic = np.concatenate([np.concatenate(tiles[r * 4:(r + 1) * 4], axis=1) for r in range(3)], axis=0)[:90, :120]
    checked = 0
    with tempfile.TemporaryDirectory() as tmp:
        png = os.path.join(tmp, "tiled.png")
        Image.fromarray(pic).save(png)
        for net_path in networks:
            net = enet.read_enet(net_path)
            if net["header"]["task"] != "compress":
                continue
            evc = os.path.join(tmp, "out.evc")
            subprocess.run([encvp, "compress", png, "-o", evc, "--network", net_path], check=True,
                           stdout=subprocess.DEVNULL)
            hdr, vp = read_evc_codes(evc)
            P = hdr["patch"]
            padded = np.pad(pic, ((0, hdr["rows"] * P - 90), (0, hdr["cols"] * P - 120), (0, 0)), mode="edge")
            patches = np.stack([padded[i * P:(i + 1) * P, j * P:(j + 1) * P].transpose(2, 0, 1)
                                for i in range(hdr["rows"]) for j in range(hdr["cols"])])
            ref = integer.run_layers(net, patches).reshape(len(patches), -1)
            if ref.shape != vp.shape or not np.array_equal(ref, vp):
                bad = int(np.argmax(np.any(ref != vp, axis=1))) if ref.shape == vp.shape else 0
                print(f"FAIL {net_path}: codes differ (shapes {vp.shape} vs {ref.shape}), first at patch {bad}")
                return 1
            print(f"ok   {os.path.basename(net_path)}: {len(patches)} patches of a {pic.shape[1]}x{pic.shape[0]} "
                  f"picture, {vp.size} code bits, VP == integer.py (bit exact)")
            checked += 1
    if checked == 0:
        print("FAIL: no compression network found in configs/networks")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
