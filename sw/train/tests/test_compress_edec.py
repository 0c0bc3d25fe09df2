""".edec writer/reader round trip and errors; PyTorch decoder == NumPy reference decoder reading the file."""

import json
import struct
import tempfile
import unittest
import zlib
from pathlib import Path

import _common  # noqa: F401
import _compress_common as CC
import numpy as np
import torch
import torch.nn.functional as F

from encvp_train import edec as E
from encvp_train.codec import Codec, FrameDecoder, decoder_ops, psnr


def small_decoder(c=4, seed=0) -> FrameDecoder:
    torch.manual_seed(seed)
    d = FrameDecoder(decoder_ops(c, width=12, blocks=2, half_width=8, half_blocks=1, full_width=6))
    with torch.no_grad():                       # not the small residual init: exercise every branch
        for conv in d.convs:
            conv.weight.normal_(0, (1.5 / conv.weight[0].numel()) ** 0.5)
            conv.bias.normal_(0, 0.1)
    return d.eval()


def edec_bytes(d: FrameDecoder, crc=0x12345678) -> bytes:
    return E.write_edec(None, name="t-decoder", code_channels=d.code_channels, upscale=d.upscale,
                        encoder_name="t", encoder_crc32=crc, ops=d.export_ops(), provenance={"x": 1})


def rebuild(data: bytes, header=None, payload=None, fix_crc=True, version=E.VERSION, magic=E.MAGIC) -> bytes:
    """Re-assemble a file from a (modified) header and payload, with a correct CRC unless told otherwise."""
    _, _, J, L, crc = struct.unpack_from(E.HEADER_FMT, data)
    h = json.loads(data[24:24 + J]) if header is None else header
    p = data[24 + J:] if payload is None else payload
    js = json.dumps(h).encode()
    body = js + p
    return struct.pack(E.HEADER_FMT, magic, version, len(js), len(p), zlib.crc32(body) if fix_crc else crc) + body


class TestRoundTrip(unittest.TestCase):
    def test_round_trip(self):
        d = small_decoder()
        data = edec_bytes(d)
        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / "t.edec"
            p.write_bytes(data)
            dec = E.read_edec(p)
        h = dec["header"]
        self.assertEqual((h["name"], h["code_channels"], h["upscale"]), ("t-decoder", 4, 4))
        self.assertEqual(h["encoder"], {"name": "t", "crc32": 0x12345678})
        self.assertEqual(dec["crc32"], zlib.crc32(data[24:]))
        self.assertEqual(data[:8], b"ENCVPDEC")
        self.assertEqual([o["op"] for o in dec["ops"]], [o["op"] for o in d.ops])
        convs = [o for o in dec["ops"] if o["op"] == "conv"]
        self.assertEqual(len(convs), len(d.convs))
        for o, c in zip(convs, d.convs):
            self.assertTrue(np.array_equal(o["weights"], c.weight.detach().numpy()))
            self.assertTrue(np.array_equal(o["bias"], c.bias.detach().numpy()))
        # payload is little-endian float32 in [out][in][k][k] order at the stated offsets
        _, _, J, L, _ = struct.unpack_from(E.HEADER_FMT, data)
        first = json.loads(data[24:24 + J])["ops"][1]
        w0 = struct.unpack_from("<f", data, 24 + J + first["weights"]["offset"] + 4 * (1 * 4 * 9 + 2 * 9 + 1 * 3 + 2))[0]
        self.assertEqual(w0, float(d.convs[0].weight[1, 2, 1, 2]))
        self.assertEqual(first["weights"]["bytes"], 12 * 4 * 9 * 4)
        self.assertEqual(E.summary(dec).split(":")[0], "decoder 't-decoder'")

    def test_enet_crc(self):
        self.assertEqual(E.enet_crc(b"ENCVPNET" + bytes(12) + struct.pack("<I", 0xDEADBEEF)), 0xDEADBEEF)


class TestReaderErrors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data = edec_bytes(small_decoder())
        _, _, J, _, _ = struct.unpack_from(E.HEADER_FMT, cls.data)
        cls.h = json.loads(cls.data[24:24 + J])
        cls.payload = cls.data[24 + J:]

    def hdr(self):
        return json.loads(json.dumps(self.h))

    def bad(self, data, fragment):
        with self.assertRaises(E.EdecError) as cm:
            E.read_edec_bytes(data)
        self.assertIn(fragment, str(cm.exception))

    def test_container(self):
        self.bad(self.data[:20], "too short")
        self.bad(rebuild(self.data, magic=b"ENCVPNET"), "bad magic")
        self.bad(rebuild(self.data, version=2), "unsupported version")
        self.bad(self.data[:-1], "file size")
        flipped = bytearray(self.data)
        flipped[-5] ^= 0x40
        self.bad(bytes(flipped), "CRC-32 mismatch")
        self.bad(rebuild(self.data, payload=self.payload + b"\0\0\0\0", fix_crc=False), "CRC-32 mismatch")
        raw = b"{not json"
        body = raw + self.payload
        self.bad(struct.pack(E.HEADER_FMT, E.MAGIC, 1, len(raw), len(self.payload), zlib.crc32(body)) + body,
                 "not valid UTF-8 JSON")

    def test_keys(self):
        h = self.hdr()
        h["colour"] = 1
        self.bad(rebuild(self.data, h), "unknown keys ['colour']")
        h = self.hdr()
        del h["upscale"]
        self.bad(rebuild(self.data, h), "missing keys ['upscale']")
        h = self.hdr()
        h["encoder"]["crc32"] = -1
        self.bad(rebuild(self.data, h), "encoder.crc32")
        h = self.hdr()
        h["ops"][1]["stride"] = 1
        self.bad(rebuild(self.data, h), "op 1 (conv): unknown keys ['stride']")
        h = self.hdr()
        del h["ops"][1]["relu"]
        self.bad(rebuild(self.data, h), "missing keys ['relu']")
        h = self.hdr()
        h["ops"][1]["relu"] = 1
        self.bad(rebuild(self.data, h), "relu: must be true or false")
        h = self.hdr()
        h["ops"][2] = {"op": "upsample"}
        self.bad(rebuild(self.data, h), "unknown op 'upsample'")

    def test_graph(self):
        h = self.hdr()
        h["ops"][0], h["ops"][1] = h["ops"][1], h["ops"][0]
        self.bad(rebuild(self.data, h), "input_pm1 must be the first op")
        h = self.hdr()
        h["ops"].pop()
        self.bad(rebuild(self.data, h), "output must be the last op")
        h = self.hdr()
        h["code_channels"] = 3
        self.bad(rebuild(self.data, h), "op 1 (conv).in: 4 != 3 channels")
        h = self.hdr()
        h["upscale"] = 2
        self.bad(rebuild(self.data, h), "the header says upscale 2")
        h = self.hdr()
        i = next(k for k, o in enumerate(h["ops"]) if o["op"] == "add")
        h["ops"].insert(i + 1, {"op": "add"})
        self.bad(rebuild(self.data, h), "add without a matching mark")
        h = self.hdr()
        h["ops"].insert(3, {"op": "mark"})
        self.bad(rebuild(self.data, h), "never added")
        # a pixel_shuffle between mark and add changes the shape
        h = self.hdr()
        ps = next(k for k, o in enumerate(h["ops"]) if o["op"] == "pixel_shuffle")
        h["ops"].insert(ps - 1, {"op": "mark"})
        h["ops"].insert(ps + 3, {"op": "add"})
        self.bad(rebuild(self.data, h), "shape mismatch")
        h = self.hdr()
        h["ops"][-2]["out"] = 4
        self.bad(rebuild(self.data, h), "bytes")
        h = self.hdr()
        ps = next(k for k, o in enumerate(h["ops"]) if o["op"] == "pixel_shuffle")
        h["ops"][ps]["factor"] = 3
        self.bad(rebuild(self.data, h), "not divisible by 3^2")
        h = self.hdr()
        h["ops"][1]["kernel"] = 2
        self.bad(rebuild(self.data, h), "must be odd")

    def test_output_channels(self):
        d = FrameDecoder(decoder_ops(4, 8, 1, 4, 1, 4))
        ops = d.export_ops()
        ops[-2]["out"] = 4
        ops[-2]["weights"] = np.zeros((4, 4, 3, 3), np.float32)
        ops[-2]["bias"] = np.zeros(4, np.float32)
        with self.assertRaises(E.EdecError) as cm:
            E.write_edec(None, name="x", code_channels=4, upscale=4, encoder_name="e", encoder_crc32=0, ops=ops)
        self.assertIn("expected 3 (RGB)", str(cm.exception))

    def test_segments(self):
        h = self.hdr()
        h["ops"][1]["weights"]["offset"] = len(self.payload) - 8
        self.bad(rebuild(self.data, h), "outside the payload")
        h = self.hdr()
        h["ops"][1]["bias"]["offset"] = h["ops"][1]["weights"]["offset"] + 4
        self.bad(rebuild(self.data, h), "overlaps")
        h = self.hdr()
        h["ops"][1]["bias"]["bytes"] += 4
        self.bad(rebuild(self.data, h), "bias.bytes")
        p = bytearray(self.payload)
        p[h["ops"][1]["weights"]["offset"]:h["ops"][1]["weights"]["offset"] + 4] = struct.pack("<f", float("nan"))
        self.bad(rebuild(self.data, payload=bytes(p)), "NaN or infinity")


class TestReferenceDecoder(unittest.TestCase):
    def test_primitives(self):
        rng = np.random.default_rng(0)
        x = rng.normal(size=(2, 5, 7, 9)).astype(np.float64)
        for k in (1, 3, 5):
            w = rng.normal(size=(4, 5, k, k))
            b = rng.normal(size=4)
            ref = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), padding=k // 2).numpy()
            self.assertLess(np.abs(E.conv2d_same(x, w, b, max_rows=20) - ref).max(), 1e-10)
        y = rng.normal(size=(2, 12, 3, 5))
        self.assertTrue(np.array_equal(E.pixel_shuffle(y, 2), F.pixel_shuffle(torch.from_numpy(y), 2).numpy()))

    def test_torch_equals_reference(self):
        d = small_decoder(seed=3)
        dec = E.read_edec_bytes(edec_bytes(d))
        codes = np.random.default_rng(1).integers(0, 2, (2, 4, 9, 13))
        ref = E.decode_reference(dec, codes)
        ref64 = E.decode_reference(dec, codes, np.float64)
        with torch.no_grad():
            mine = d(torch.from_numpy(codes).float()).numpy()
            from_file = FrameDecoder.from_edec(dec)(torch.from_numpy(codes).float()).numpy()
        self.assertEqual(ref.shape, (2, 3, 36, 52))
        self.assertGreater(np.abs(mine).max(), 0.1)       # not a degenerate (all-zero) output
        self.assertLess(np.abs(ref - mine).max(), 1e-4)
        self.assertLess(np.abs(ref64 - mine).max(), 1e-4)
        self.assertTrue(np.array_equal(from_file, mine))
        # the reconstructions as 8-bit images agree to far better than 60 dB
        a, b = E.to_pixels(ref), E.to_pixels(mine)
        self.assertGreater(psnr(a, b), 60.0)
        self.assertEqual(E.decode_reference(dec, codes[0]).shape, (3, 36, 52))
        with self.assertRaises(ValueError):
            E.decode_reference(dec, codes * 2)
        with self.assertRaises(ValueError):
            E.decode_reference(dec, codes[:, :3])

    def test_real_decoder_from_codec(self):
        # the full-size decoder of the design, exported from a Codec, on real-image codes
        torch.manual_seed(0)
        m = Codec(CC.full_model_cfg(4))
        x, _ = CC.real_or_synthetic(1, 64, 80)
        x = torch.from_numpy(x).float()
        m.calibrate(x)
        m.eval()
        with torch.no_grad():
            y, codes = m(x)
        dec = E.read_edec_bytes(E.write_edec(None, name="d", code_channels=4, upscale=4, encoder_name="e",
                                             encoder_crc32=1, ops=m.decoder.export_ops()))
        ref = E.decode_reference(dec, codes[0].numpy().astype(np.int64))
        self.assertLess(np.abs(ref - y[0].numpy()).max(), 1e-4)
        self.assertEqual(E.receptive_radius(dec), 39)   # 8 convs at 1/4, 3 at 1/2, 1 at full resolution

    def test_to_pixels(self):
        self.assertEqual(E.to_pixels(np.array([-1, 0, 0.5, 1 / 510, 0.999 / 510, 2])).tolist(), [0, 0, 128, 1, 0, 255])


if __name__ == "__main__":
    unittest.main()
