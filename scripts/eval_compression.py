#!/usr/bin/python3
"""Rate-distortion evaluation on the 24 Kodak images (issue 5; Kodak is for evaluation only).

For each image and each codec rate: `encvp compress` on the VP (plain, and `--entropy`: the decoded
picture of the entropy-coded file must equal the plain one byte for byte), `encvp decompress`
(full-frame and patch-wise), `encvp compare`; and JPEG (libjpeg-turbo through PIL), JPEG 2000 (OpenJPEG's
OpenJPEG through PIL, its rate control) and WebP (libwebp's cwebp, target size) at matched bits per pixel;
JPEG twice, with libjpeg's standard Huffman tables and with optimized ones. Then the entropy-coded
operating point of each rate against JPEG at the same or higher rate (floor.md: matched per image and
uniformly). Writes a CSV of every measurement, a markdown summary, a rate-distortion plot and
side-by-side crops.

usage: scripts/eval_compression.py [--encvp build/platform/encvp] [--kodak DIR] [--out DIR]
                                  [--rates kodak-0125,kodak-025,kodak-050] [--images N]
"""
import argparse
import csv
import io
import json
import os
import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def sh(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{p.stdout}\n{p.stderr}")
    return p.stdout


class Metrics:
    def __init__(self, encvp):
        self.encvp = encvp

    def compare(self, ref, test, grid):
        out = sh([self.encvp, "compare", ref, test, "--grid", str(grid)])
        psnr = float(re.search(r"psnr\s+([0-9.]+|inf)", out).group(1))
        m = re.search(r"ms-ssim\s+([0-9.]+)", out)
        blk = float(re.search(r"blockiness\s+([0-9.]+)", out).group(1))
        return psnr, float(m.group(1)) if m else float("nan"), blk


def jpeg_at(img, bpp_target, path, optimize=False):
    """Smallest JPEG quality whose rate is >= the target (JPEG gets at least our bits).
    ``optimize``: per-image Huffman tables (cjpeg -optimize) instead of libjpeg's standard ones."""
    w, h = img.size
    best = None
    for q in range(1, 101):
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=q, subsampling=2, optimize=optimize)
        bpp = 8 * buf.tell() / (w * h)
        if bpp >= bpp_target:
            best = (q, buf.getvalue(), bpp)
            break
    if best is None:
        best = (100, buf.getvalue(), bpp)
    open(path, "wb").write(best[1])
    return best[0], best[2]


def j2k_at(src_png, bpp_target, out_png, tmp):
    """OpenJPEG (through PIL) with its rate control: 9/7 wavelet, one layer at the target rate."""
    img = Image.open(src_png).convert("RGB")
    w, h = img.size
    buf = io.BytesIO()
    img.save(buf, "JPEG2000", quality_mode="rates", quality_layers=[24.0 / bpp_target], irreversible=True)
    Image.open(io.BytesIO(buf.getvalue())).convert("RGB").save(out_png)
    return 8 * buf.tell() / (w * h)


def webp_at(src_png, bpp_target, out_png, tmp):
    w, h = Image.open(src_png).size
    webp = os.path.join(tmp, os.path.basename(out_png) + ".webp")
    size = max(1, int(bpp_target * w * h / 8))
    sh(["cwebp", "-quiet", "-size", str(size), "-pass", "10", src_png, "-o", webp])
    sh(["dwebp", "-quiet", webp, "-o", out_png])
    return 8 * os.path.getsize(webp) / (w * h)


JPEG_OPT = "JPEG (optimized Huffman)"


def floor_table(rows, kodak, m, jobs):
    """The entropy-coded operating point of each rate against JPEG at the same or higher rate.

    Two ways to match the rate, both reported: per image (each JPEG gets at least the bits of our
    file for that image) and uniform (every JPEG gets at least our mean rate, as a JPEG "at X bpp"
    is usually quoted); for JPEG with libjpeg's standard Huffman tables (the issue's reference
    setting) and with optimized ones.  Returns markdown lines and the rows as dicts."""
    ours = {}
    for r in rows:
        if r["method"] == "encvp full-frame":
            ours.setdefault(r["rate"], []).append(r)
    tasks = []
    for rate, g in sorted(ours.items()):
        mean_bpp = sum(x["entropy_bpp"] for x in g) / len(g)
        for x in g:
            for opt in (False, True):
                tasks += [(rate, x["image"], "per image", opt, x["entropy_bpp"]), (rate, x["image"], "uniform", opt, mean_bpp)]

    def one(t):
        rate, stem, match, opt, target = t
        src = os.path.join(kodak, stem + ".png")
        with tempfile.TemporaryDirectory() as d:
            jp, png = os.path.join(d, "x.jpg"), os.path.join(d, "x.png")
            _, bpp = jpeg_at(Image.open(src).convert("RGB"), target, jp, optimize=opt)
            Image.open(jp).save(png)
            psnr, _, _ = m.compare(src, png, 8)
        return t, bpp, psnr

    with ThreadPoolExecutor(max_workers=jobs) as ex:
        res = list(ex.map(one, tasks))
    out, lines = [], ["| codec, entropy-coded | bpp | PSNR dB | JPEG matched | JPEG tables | JPEG bpp | JPEG PSNR dB | ours − JPEG dB |",
                      "|---|---:|---:|---|---|---:|---:|---:|"]
    for rate, g in sorted(ours.items()):
        b = sum(x["entropy_bpp"] for x in g) / len(g)
        p = sum(x["psnr"] for x in g) / len(g)
        for match in ("per image", "uniform"):
            for opt in (False, True):
                sel = [(bpp, ps) for (t, bpp, ps) in res if t[0] == rate and t[2] == match and t[3] == opt]
                jb = sum(v[0] for v in sel) / len(sel)
                jp = sum(v[1] for v in sel) / len(sel)
                tables = "optimized" if opt else "standard"
                out.append(dict(rate=rate, bpp=b, psnr=p, match=match, tables=tables, jpeg_bpp=jb, jpeg_psnr=jp, margin=p - jp))
                lines.append(f"| {rate} | {b:.4f} | {p:.2f} | {match} | {tables} | {jb:.4f} | {jp:.2f} | {p - jp:+.2f} |")
    return lines, out


def plot_rd(summary, path):
    """Rate-distortion plot of the per-method means; the legend sits beside the axes."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(9.5, 4.5))
    for method, style, key, label in (
            ("encvp full-frame", "o-", "bpp", None),
            ("encvp full-frame", "o:", "entropy_bpp", "encvp full-frame,\nentropy-coded (same pictures)"),
            ("encvp patch-wise", "s--", "bpp", None), ("JPEG", "^-", "bpp", None), (JPEG_OPT, "^:", "bpp", None),
            ("JPEG 2000", "v-", "bpp", None), ("WebP", "d-", "bpp", None)):
        pts = sorted((s[key], s["psnr"]) for s in summary if s["method"] == method)
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=label or method)
    ax.set_xlabel("bits per pixel")
    ax.set_ylabel("PSNR (RGB), dB, mean of Kodak")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
    ax.set_title("Kodak rate-distortion (24 images)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encvp", default=os.path.join(ROOT, "build", "platform", "encvp"))
    ap.add_argument("--kodak", default=os.path.join(os.environ.get("ENCVP_DATA", os.path.join(ROOT, "..", "shared", "data")), "kodak"))
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "compression"))
    ap.add_argument("--rates", default="kodak-0125,kodak-025,kodak-050")
    ap.add_argument("--images", type=int, default=24)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--plot-only", action="store_true", help="redraw rd-kodak.png from OUT/summary.json")
    a = ap.parse_args()
    if a.plot_only:
        plot_rd(json.load(open(os.path.join(a.out, "summary.json"))), os.path.join(a.out, "rd-kodak.png"))
        return
    os.makedirs(a.out, exist_ok=True)
    m = Metrics(a.encvp)
    images = sorted(f for f in os.listdir(a.kodak) if f.endswith(".png"))[: a.images]
    rates = [r for r in a.rates.split(",") if os.path.exists(os.path.join(ROOT, "configs", "networks", r + ".enet"))]
    rows = []
    work = os.path.join(ROOT, ".data", "eval-compression")  # decoded pictures: large, not committed
    os.makedirs(work, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        def one(name):
            src = os.path.join(a.kodak, name)
            stem = name[:-4]
            img = Image.open(src).convert("RGB")
            out = []
            for r in rates:
                net = os.path.join(ROOT, "configs", "networks", r + ".enet")
                evc = os.path.join(tmp, f"{stem}-{r}.evc")
                rep = os.path.join(tmp, f"{stem}-{r}.json")
                sh([a.encvp, "compress", src, "-o", evc, "--network", net, "--report", rep])
                bpp = json.load(open(rep))["bpp"]
                file_bpp = 8 * os.path.getsize(evc) / (img.size[0] * img.size[1])
                evc_e = os.path.join(tmp, f"{stem}-{r}-entropy.evc")
                sh([a.encvp, "compress", src, "-o", evc_e, "--network", net, "--entropy"])
                entropy_bpp = 8 * os.path.getsize(evc_e) / (img.size[0] * img.size[1])
                for mode, extra in (("full-frame", []), ("patch-wise", ["--patchwise"])):
                    dec = os.path.join(work, f"{stem}-{r}-{mode}.png")
                    sh([a.encvp, "decompress", evc, "-o", dec, "--threads", "1"] + extra)
                    p, ms, b = m.compare(src, dec, 16)
                    out.append(dict(image=stem, method=f"encvp {mode}", rate=r, bpp=bpp, file_bpp=file_bpp,
                                    entropy_bpp=entropy_bpp, psnr=p, ms_ssim=ms, blockiness=b))
                dec_e = os.path.join(tmp, f"{stem}-{r}-entropy.png")
                sh([a.encvp, "decompress", evc_e, "-o", dec_e, "--threads", "1"])
                if open(dec_e, "rb").read() != open(os.path.join(work, f"{stem}-{r}-full-frame.png"), "rb").read():
                    raise RuntimeError(f"{stem} {r}: the entropy-coded file decodes to another picture")
                for codec, fn, grid in (("JPEG", None, 8), (JPEG_OPT, None, 8), ("JPEG 2000", j2k_at, 16),
                                        ("WebP", webp_at, 16)):
                    dec = os.path.join(work, f"{stem}-{r}-{re.sub('[^A-Za-z0-9]', '', codec)}.png")
                    if fn is None:
                        jp = os.path.join(tmp, f"{stem}-{r}.jpg")
                        q, cbpp = jpeg_at(img, bpp, jp, optimize=codec == JPEG_OPT)
                        Image.open(jp).save(dec)
                    else:
                        cbpp = fn(src, bpp, dec, tmp)
                    p, ms, b = m.compare(src, dec, grid)
                    out.append(dict(image=stem, method=codec, rate=r, bpp=cbpp, file_bpp=cbpp, entropy_bpp=cbpp,
                                    psnr=p, ms_ssim=ms, blockiness=b))
            print(f"{stem} done", flush=True)
            return out

        with ThreadPoolExecutor(max_workers=a.jobs) as ex:
            for res in ex.map(one, images):
                rows.extend(res)

    with open(os.path.join(a.out, "results.csv"), "w", newline="") as fh:
        wr = csv.DictWriter(fh, fieldnames=list(rows[0].keys()))
        wr.writeheader()
        wr.writerows(rows)

    # Means per (method, rate).
    groups = {}
    for r in rows:
        groups.setdefault((r["rate"], r["method"]), []).append(r)
    lines = ["| rate | method | bpp (codes) | bpp (file) | bpp (entropy-coded file) | PSNR dB | MS-SSIM | blockiness |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    summary = []
    for (rate, method), g in sorted(groups.items()):
        mean = lambda k: sum(x[k] for x in g) / len(g)
        summary.append(dict(rate=rate, method=method, bpp=mean("bpp"), file_bpp=mean("file_bpp"),
                            entropy_bpp=mean("entropy_bpp"), psnr=mean("psnr"),
                            ms_ssim=mean("ms_ssim"), blockiness=mean("blockiness"), images=len(g)))
        s = summary[-1]
        lines.append(f"| {rate} | {method} | {s['bpp']:.4f} | {s['file_bpp']:.4f} | {s['entropy_bpp']:.4f} | "
                     f"{s['psnr']:.2f} | {s['ms_ssim']:.4f} | {s['blockiness']:.2f} |")
    open(os.path.join(a.out, "summary.md"), "w").write("\n".join(lines) + "\n")
    json.dump(summary, open(os.path.join(a.out, "summary.json"), "w"), indent=1)
    print("\n".join(lines))

    plot_rd(summary, os.path.join(a.out, "rd-kodak.png"))

    flines, frows = floor_table(rows, a.kodak, m, a.jobs)
    open(os.path.join(a.out, "floor.md"), "w").write("\n".join(flines) + "\n")
    json.dump(frows, open(os.path.join(a.out, "floor.json"), "w"), indent=1)
    print("\n".join(flines))

    # Side-by-side crops: original | encvp full-frame | encvp patch-wise | JPEG, at the nominal rate.
    nominal = "kodak-025" if "kodak-025" in rates else rates[0]
    for stem, (x0, y0) in (("kodim23", (300, 120)), ("kodim07", (280, 180)), ("kodim19", (250, 300))):
        src = os.path.join(a.kodak, stem + ".png")
        if not os.path.exists(src) or not os.path.exists(os.path.join(work, f"{stem}-{nominal}-full-frame.png")):
            continue
        panels = [src] + [os.path.join(work, f"{stem}-{nominal}-{k}.png") for k in ("full-frame", "patch-wise", "JPEG")]
        size, zoom = 128, 2
        sheet = Image.new("RGB", (len(panels) * size * zoom + (len(panels) - 1) * 6, size * zoom), (255, 255, 255))
        for i, p in enumerate(panels):
            crop = Image.open(p).convert("RGB").crop((x0, y0, x0 + size, y0 + size)).resize((size * zoom, size * zoom), Image.NEAREST)
            sheet.paste(crop, (i * (size * zoom + 6), 0))
        sheet.save(os.path.join(a.out, f"crops-{stem}.png"))


if __name__ == "__main__":
    main()
