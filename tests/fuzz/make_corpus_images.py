#!/usr/bin/python3
"""Writes the PNG/JPEG flavours of the image fuzzers' seed corpora (tests/fuzz/corpus/image*):
grey 1/8-bit, palette with transparency, 16-bit RGBA, grey+alpha, Adam7-interlaced PNG,
progressive, greyscale and CMYK JPEG. Needs Debian's python3-pil.   usage: make_corpus_images.py DIR"""
import io
import os
import sys

from PIL import Image


def main() -> int:
    root = sys.argv[1]
    img = Image.new("RGB", (11, 7))
    img.putdata([((x * 23) % 256, (y * 37) % 256, (x * y * 5) % 256) for y in range(7) for x in range(11)])
    files = {}

    def png(name, im, **kw):
        b = io.BytesIO()
        im.save(b, "PNG", **kw)
        files[name] = b.getvalue()

    def jpg(name, im, **kw):
        b = io.BytesIO()
        im.save(b, "JPEG", **kw)
        files[name] = b.getvalue()

    png("grey1.png", img.convert("1"))
    png("grey8.png", img.convert("L"))
    png("greyalpha.png", img.convert("LA"))
    pal = img.convert("P", palette=Image.ADAPTIVE, colors=8)
    png("palette-trns.png", pal, transparency=0)
    png("rgba.png", img.convert("RGBA"))
    png("grey16.png", img.convert("L").convert("I"))
    jpg("progressive.jpg", img, quality=60, progressive=True)
    jpg("grey.jpg", img.convert("L"), quality=60)
    jpg("cmyk.jpg", img.convert("CMYK"), quality=60)
    # An Adam7 PNG by hand (PIL writes only non-interlaced files): 4x3 RGB, no filtering.
    import struct
    import zlib

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    w, h = 4, 3
    px = lambda x, y: bytes(((x * 60) % 256, (y * 80) % 256, 128))
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    raw = b""
    for x0, y0, dx, dy in passes:
        xs = list(range(x0, w, dx))
        ys = list(range(y0, h, dy))
        if not xs or not ys:
            continue
        for y in ys:
            raw += b"\0" + b"".join(px(x, y) for x in xs)
    files["interlaced.png"] = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 1)) +
                               chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    for sub in ("image", "image_stream"):
        d = os.path.join(root, sub)
        os.makedirs(d, exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
