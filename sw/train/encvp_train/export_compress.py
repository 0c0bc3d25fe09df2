"""Export a trained codec checkpoint: the encoder to ``.enet`` (task compress), the decoder to ``.edec``.

    PYTHONPATH=sw/train /usr/bin/python3 -m encvp_train.export_compress \\
        --checkpoint runs/kodak-025/best.pt -o configs/networks/kodak-025.enet \\
        [--edec configs/networks/kodak-025.edec] [--log runs/kodak-025/train.log]

* Encoder: the integers of the eval-mode model (``EncoderNet.integer_params``), budget and
  accumulator-bound checks (as :mod:`encvp_train.export`), written with :func:`encvp_train.enet.write_enet`.
  Verification: the file is read back and :mod:`encvp_train.integer` must give exactly the codes of the
  PyTorch eval model on real 16x16 patches (all patches of the held-out validation photos).
* Decoder: the float32 parameters of :class:`~encvp_train.codec.FrameDecoder` with its op list, the
  ``.enet``'s CRC-32 field as the encoder identity (docs/compression.md).  Verification: the NumPy
  reference decoder (:func:`encvp_train.edec.decode_reference`) reading the file must reproduce the
  PyTorch decoder on the codes of a held-out crop (max |diff| < 1e-4), and the whole file-based
  pipeline (integer.py codes + the ``.edec`` decoder) must give the validation PSNR of the checkpoint.
* ``--log``: copy the run's ``train.log`` next to the ``.enet`` (``NAME.train.log``).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import shutil
import sys
from pathlib import Path

import numpy as np
import torch

from . import TOOL_NAME
from . import photos as P
from .budget import DEFAULT_BUDGET, budget_rows, format_budget, total_bits
from .codec import Codec, FrameDecoder, pad_to_multiple, patchify, psnr, unpatchify
from .edec import decode_reference, enet_crc, read_edec, summary, write_edec
from .enet import bits_for_signed, read_enet, write_enet
from .export import network_layers
from .integer import run_layers


def load_codec(path) -> tuple[Codec, dict]:
    ck = torch.load(path, map_location="cpu", weights_only=False)
    if ck.get("task") != "compress":
        raise SystemExit(f"error: {path} is not a compression checkpoint")
    model = Codec(ck["config"]["model"])
    model.load_state_dict(ck["model"])
    model.eval()
    return model, ck


def encode_frames_integer(net: dict, frames: list[np.ndarray], patch: int = 16, engine: str = "f64") -> list[np.ndarray]:
    """Codes ``[C, H/r, W/r]`` of each frame (``3 x H x W`` uint8) through integer.py, patch by patch."""
    out = []
    for f in frames:
        x = pad_to_multiple(torch.from_numpy(np.asarray(f))[None].float(), patch)
        nh, nw = x.shape[2] // patch, x.shape[3] // patch
        pt = patchify(x, patch).to(torch.uint8).numpy()
        codes = np.concatenate([run_layers(net, pt[i:i + 512], engine) for i in range(0, len(pt), 512)])
        out.append(unpatchify(torch.from_numpy(codes), 1, nh, nw)[0].numpy())
    return out


def check_same_encoder(model: Codec, enet_path) -> None:
    """The checkpoint's eval encoder has exactly the layers of the existing ``enet_path``: same shapes,
    bit widths, shifts, weight codes and biases (else a clear error naming the first difference)."""
    net = read_enet(enet_path)
    mine = network_layers(model.encoder)
    if net["header"]["task"] != "compress":
        raise SystemExit(f"error: {enet_path} is a {net['header']['task']} network, not a codec encoder")
    if len(net["layers"]) != len(mine):
        raise SystemExit(f"error: {enet_path} has {len(net['layers'])} layers, the checkpoint's encoder {len(mine)}")
    for f, m in zip(net["layers"], mine):
        s = f["spec"]
        for k in ("type", "out_channels", "kernel", "stride", "padding", "groups", "weight_bits", "act_bits",
                  "shift", "pool"):
            if s[k] != m[k]:
                raise SystemExit(f"error: {s['name']}: {k} is {s[k]} in {enet_path}, {m[k]} in the checkpoint")
        fw = np.asarray(f["weights"], dtype=np.int64)
        mw = np.asarray(m["weights_values"], dtype=np.int64).reshape(fw.shape)
        if not np.array_equal(fw, mw):
            raise SystemExit(f"error: {s['name']}: {int((fw != mw).sum())} weight codes differ from {enet_path}")
        if not np.array_equal(np.asarray(f["bias"], dtype=np.int64), np.asarray(m["bias_values"], dtype=np.int64)):
            raise SystemExit(f"error: {s['name']}: biases differ from {enet_path}")


def export(checkpoint, output, edec_output=None, name: str | None = None, budget: int = DEFAULT_BUDGET,
           verify: bool = True, data_override=None, log_src=None, decoder_only: bool = False) -> dict:
    """Write the .enet (``output``) and the .edec; ``decoder_only``: ``output`` is an existing .enet
    that must hold exactly the checkpoint's encoder (a decoder trained with ``train.freeze_encoder``):
    it is left untouched and only the .edec is written, bound to its CRC, so every bitstream already
    written with that encoder decodes with the new decoder."""
    model, ck = load_codec(checkpoint)
    cfg = ck["config"]
    output = Path(output)
    edec_output = Path(edec_output) if edec_output else output.with_suffix(".edec")
    if decoder_only:
        return _export_decoder_only(model, ck, checkpoint, output, edec_output, verify, data_override, log_src)
    name = name or cfg["name"]

    # ---- encoder -> .enet ----------------------------------------------------------------------
    layers = network_layers(model.encoder)
    rows = budget_rows(model.encoder, [bits_for_signed(l["bias_values"]) for l in layers])
    print(format_budget(rows, budget, title=f"encoder budget of {checkpoint} (exact bias widths):"))
    bits = total_bits(rows)
    if bits > budget:
        raise SystemExit(f"error: {bits} weight bits exceed the budget of {budget}")
    created = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    prov = {"tool": TOOL_NAME, "created": created, "checkpoint": str(checkpoint),
            "checkpoint_created": ck.get("created"), "git_commit": ck.get("git_commit"), "torch": ck.get("torch"),
            "seed": cfg["seed"], "steps_trained": ck["step"], "steps_planned": cfg["train"]["steps"],
            "bpp": model.bpp, "code": f"{model.code_channels}x{model.code_size}x{model.code_size} binary per "
                                      f"{model.patch}x{model.patch} patch",
            "val_psnr": ck.get("val_psnr"),
            "val_set": f"{cfg['data']['val_photos']} held-out photos of photos-train (seed "
                       f"{cfg['data']['val_seed']}), longer side <= {cfg['data']['val_long_side']}",
            "weight_bits_total": bits, "config": cfg}
    enet_bytes = write_enet(output, name=name, task="compress", input_shape=model.encoder.input_shape,
                            layers=layers, provenance=prov)
    crc = enet_crc(enet_bytes)
    print(f"wrote {output}: {len(enet_bytes)} bytes, {bits} weight bits, crc32 0x{crc:08x}")

    edec_bytes = write_decoder(model, ck, checkpoint, edec_output, name, crc, created)

    if log_src:
        dst = output.with_name(output.stem + ".train.log")
        shutil.copyfile(log_src, dst)
        print(f"copied {log_src} -> {dst}")

    info = {"enet_bytes": len(enet_bytes), "edec_bytes": len(edec_bytes), "weight_bits": bits, "crc32": crc}
    if verify:
        info.update(verify_export(model, output, edec_output, cfg, data_override))
    return info


def write_decoder(model: Codec, ck: dict, checkpoint, edec_output: Path, name: str, crc: int, created: str,
                  **provenance) -> bytes:
    """Write the checkpoint's decoder as ``edec_output`` for the encoder ``name`` / ``crc``, re-read it."""
    dprov = {"tool": TOOL_NAME, "created": created, "checkpoint": str(checkpoint),
             "steps_trained": ck["step"], "val_psnr": ck.get("val_psnr"), "bpp": model.bpp, **provenance,
             "output": "RGB, clamp(y, 0, 1) * 255 rounded half up"}
    edec_bytes = write_edec(edec_output, name=f"{name}-decoder", code_channels=model.code_channels,
                            upscale=model.upscale, encoder_name=name, encoder_crc32=crc,
                            ops=model.decoder.export_ops(), provenance=dprov)
    print(f"wrote {edec_output}: {len(edec_bytes)} bytes; {summary(read_edec(edec_output))}")
    return edec_bytes


def _export_decoder_only(model: Codec, ck: dict, checkpoint, enet_path: Path, edec_output: Path, verify: bool,
                         data_override, log_src) -> dict:
    if not enet_path.is_file():
        raise SystemExit(f"error: {enet_path}: no such .enet (the encoder the decoder is for)")
    check_same_encoder(model, enet_path)
    enet_bytes = enet_path.read_bytes()
    crc = enet_crc(enet_bytes)
    name = read_enet(enet_path)["header"]["name"]
    print(f"{enet_path}: encoder identical to the checkpoint's (every layer's codes, biases and shifts), "
          f"crc32 0x{crc:08x}, left unchanged")
    created = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    edec_bytes = write_decoder(model, ck, checkpoint, edec_output, name, crc, created,
                               training="decoder only (train.freeze_encoder), encoder frozen as in the .enet",
                               config=ck["config"])
    if log_src:
        dst = edec_output.with_name(edec_output.stem + ".decoder.train.log")
        shutil.copyfile(log_src, dst)
        print(f"copied {log_src} -> {dst}")
    info = {"enet_bytes": len(enet_bytes), "edec_bytes": len(edec_bytes), "crc32": crc}
    if verify:
        info.update(verify_export(model, enet_path, edec_output, ck["config"], data_override))
    return info


def verify_export(model: Codec, enet_path, edec_path, cfg: dict, data_override=None, frames=None) -> dict:
    """Exported encoder == PyTorch eval encoder (integer codes) and exported decoder == PyTorch decoder."""
    net = read_enet(enet_path)
    dec = read_edec(edec_path)
    if frames is None:
        files = P.list_photos(data_override)
        _, va = P.split_photos(files, cfg["data"]["val_photos"], cfg["data"]["val_seed"])
        frames = P.validation_frames(va, cfg["data"]["val_long_side"], verbose=False)
    # encoder: every patch of the validation frames, integer.py vs the eval model
    got = encode_frames_integer(net, frames, model.patch)
    n_patches, scores = 0, []
    with torch.no_grad():
        for f, codes_int in zip(frames, got):
            x = pad_to_multiple(torch.from_numpy(np.asarray(f))[None].float(), model.patch)
            ref = model.encode(x)[0].double().numpy()
            if not (np.array_equal(ref, np.rint(ref)) and np.array_equal(ref.astype(np.int64), codes_int)):
                bad = int((ref.astype(np.int64) != codes_int).sum())
                raise SystemExit(f"error: integer.py and the PyTorch eval encoder disagree on {bad} code bits")
            n_patches += (x.shape[2] // model.patch) * (x.shape[3] // model.patch)
            # decoder from the file (PyTorch graph built from the .edec) on the integer codes
            y = FrameDecoder.from_edec(dec)(torch.from_numpy(codes_int)[None].float())
            rec = torch.floor(y.clamp(0, 1) * 255 + 0.5)[..., :f.shape[1], :f.shape[2]]
            scores.append(psnr(rec, torch.from_numpy(np.asarray(f))[None]))
    print(f"verified: integer.py == PyTorch eval encoder on {n_patches} real patches "
          f"({len(frames)} held-out photos)")
    # decoder: NumPy reference reading the file vs the PyTorch training module, on a real crop
    c = got[0][:, :32, :32]
    ref = decode_reference(dec, c)
    with torch.no_grad():
        mine = model.decoder(torch.from_numpy(c)[None].float())[0].numpy()
    diff = float(np.abs(ref - mine).max())
    if diff > 1e-4:
        raise SystemExit(f"error: NumPy reference decoder and PyTorch decoder differ by {diff}")
    vp = float(np.mean(scores))
    print(f"verified: NumPy reference decoder (.edec) == PyTorch decoder, max |diff| {diff:.2e}; "
          f"file-based pipeline val PSNR {vp:.3f} dB [{' '.join(f'{s:.2f}' for s in scores)}]")
    return {"verify_patches": n_patches, "decoder_max_diff": diff, "val_psnr_files": vp}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Export a codec checkpoint to .enet (encoder) + .edec (decoder)")
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("-o", "--output", required=True, help="the .enet to write")
    ap.add_argument("--edec", help="the .edec to write (default: OUTPUT with suffix .edec)")
    ap.add_argument("--name", help="network name (default: the config's name)")
    ap.add_argument("--budget", type=int, default=DEFAULT_BUDGET)
    ap.add_argument("--no-verify", action="store_true")
    ap.add_argument("--data", help="shared data directory (validation photos for the self-check)")
    ap.add_argument("--log", help="training log to copy next to the .enet as NAME.train.log "
                                  "(with --decoder-only: next to the .edec as NAME.decoder.train.log)")
    ap.add_argument("--decoder-only", action="store_true",
                    help="OUTPUT is an existing .enet holding exactly the checkpoint's encoder (trained with "
                         "train.freeze_encoder): leave it unchanged, write only the .edec for it")
    a = ap.parse_args(argv)
    torch.set_num_threads(2)
    if a.decoder_only and a.name:
        ap.error("--name: with --decoder-only the name is the existing .enet's")
    export(a.checkpoint, a.output, a.edec, a.name, a.budget, not a.no_verify, a.data, a.log, a.decoder_only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
