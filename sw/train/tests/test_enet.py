"""Bit packing (numerics section 4) on hand-computed cases, .enet writer/reader round trip and errors."""

import json
import struct
import tempfile
import unittest
import zlib
from pathlib import Path

import _common
import numpy as np
import torch

from encvp_train import enet
from encvp_train.export import network_layers
from encvp_train.model import EncoderNet


class TestPacking(unittest.TestCase):
    def test_ternary_hand(self):
        # values 1,-1,0,1 -> codes 01,11,00,01 -> stream bits 1,0,1,1,0,0,1,0 -> 0b01001101
        self.assertEqual(enet.encode_weights([1, -1, 0, 1], 2), bytes([0x4D]))

    def test_quinary_hand(self):
        # 2,-2,-1 -> 010,110,111 -> bits 0,1,0, 0,1,1, 1,1 | 1 -> 0xF2 0x01
        self.assertEqual(enet.encode_weights([2, -2, -1], 3), bytes([0xF2, 0x01]))

    def test_binary_hand(self):
        # +1,-1,-1,+1,+1,+1,-1,+1,-1 -> 1,0,0,1,1,1,0,1 | 0 -> 0xB9 0x00
        self.assertEqual(enet.encode_weights([1, -1, -1, 1, 1, 1, -1, 1, -1], 1), bytes([0xB9, 0x00]))

    def test_bias_hand(self):
        # -3 on 5 bits = 11101, 7 = 00111: stream 1,0,1,1,1, 1,1,1,0,0 -> 0xFD 0x00
        self.assertEqual(enet.pack_signed([-3, 7], 5), bytes([0xFD, 0x00]))
        self.assertEqual(enet.unpack_signed(bytes([0xFD, 0x00]), 2, 5).tolist(), [-3, 7])

    def test_round_trip_random(self):
        rng = np.random.default_rng(0)
        for bits, vals in ((1, [-1, 1]), (2, [-1, 0, 1]), (3, [-2, -1, 0, 1, 2])):
            v = rng.choice(vals, size=1001)
            self.assertEqual(enet.decode_weights(enet.encode_weights(v, bits), v.size, bits).tolist(), v.tolist())
        for w in (2, 7, 13, 24):
            v = rng.integers(-(1 << (w - 1)), 1 << (w - 1), size=77)
            self.assertEqual(enet.unpack_signed(enet.pack_signed(v, w), v.size, w).tolist(), v.tolist())

    def test_unused_codes_rejected(self):
        with self.assertRaises(ValueError):
            enet.decode_weights(bytes([0b10]), 1, 2)
        for code in (0b011, 0b100, 0b101):
            with self.assertRaises(ValueError):
                enet.decode_weights(bytes([code]), 1, 3)

    def test_bias_width(self):
        self.assertEqual(enet.bits_for_signed([0, 1, -2]), 2)
        self.assertEqual(enet.bits_for_signed([2]), 3)
        self.assertEqual(enet.bits_for_signed([-129, 127]), 9)
        self.assertEqual(enet.bits_for_signed([]), 2)


def tiny_enet(tmp: Path, head=True):
    torch.manual_seed(0)
    m = EncoderNet(_common.tiny_model_cfg(head))
    m.calibrate(torch.randint(0, 256, (16, 3, 32, 32)).float())
    m.eval()
    path = tmp / "tiny.enet"
    enet.write_enet(path, name="tiny", task="classify" if head else "compress", input_shape=m.input_shape,
                    layers=network_layers(m), classes=[f"c{i}" for i in range(10)] if head else None,
                    provenance={"test": True})
    return m, path


class TestFile(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def test_round_trip(self):
        m, path = tiny_enet(self.dir)
        net = enet.read_enet(path)
        params = m.integer_params()
        self.assertEqual(len(net["layers"]), len(params))
        for L, p in zip(net["layers"], params):
            self.assertTrue(np.array_equal(L["weights"], p["codes"].numpy()))
            self.assertTrue(np.array_equal(L["bias"], p["bias"].numpy()))
            if "shift" in p:
                self.assertEqual(L["spec"]["shift"], p["shift"])
        h = net["header"]
        self.assertEqual(h["layers"][1]["groups"], 2)
        self.assertEqual(h["input"], {"channels": 3, "height": 32, "width": 32, "bits": 8})
        self.assertEqual(net["layers"][-2]["out_shape"], (12, 3, 3))

    def test_compress_round_trip(self):
        _, path = tiny_enet(self.dir, head=False)
        net = enet.read_enet(path)
        self.assertEqual(net["header"]["task"], "compress")
        self.assertNotIn("classes", net["header"])

    def test_layout(self):
        _, path = tiny_enet(self.dir)
        data = path.read_bytes()
        magic, ver, J, L, crc = struct.unpack_from("<8sIIII", data)
        self.assertEqual((magic, ver), (b"ENCVPNET", 1))
        self.assertEqual(len(data), 24 + J + L)
        self.assertEqual(zlib.crc32(data[24:]), crc)
        h = json.loads(data[24:24 + J])
        l0 = h["layers"][0]
        self.assertEqual(l0["weights"]["bytes"], (8 * 3 * 9 * 3 + 7) // 8)
        self.assertEqual(l0["bias"]["bytes"], (8 * l0["bias_bits"] + 7) // 8)

    def _rewrite(self, path, mutate_header=None, mutate_payload=None, fix_crc=True):
        data = bytearray(path.read_bytes())
        _, _, J, L, _ = struct.unpack_from("<8sIIII", data)
        h = json.loads(data[24:24 + J])
        payload = bytearray(data[24 + J:])
        if mutate_header:
            mutate_header(h)
        if mutate_payload:
            mutate_payload(h, payload)
        js = json.dumps(h).encode()
        body = js + bytes(payload)
        crc = zlib.crc32(body) if fix_crc else 0
        return struct.pack("<8sIIII", b"ENCVPNET", 1, len(js), len(payload), crc) + body

    def assertRejects(self, data, fragment):
        with self.assertRaises(enet.EnetError) as cm:
            enet.read_enet_bytes(bytes(data))
        self.assertIn(fragment, str(cm.exception))

    def test_rejections(self):
        _, path = tiny_enet(self.dir)
        good = path.read_bytes()
        enet.read_enet_bytes(good)
        bad = bytearray(good)
        bad[-1] ^= 0x01
        self.assertRejects(bad, "CRC")
        self.assertRejects(good[:-1], "file size")
        self.assertRejects(b"NOTANET!" + good[8:], "magic")
        self.assertRejects(self._rewrite(path, lambda h: h["layers"][0].update(kernel=4)), "kernel")
        self.assertRejects(self._rewrite(path, lambda h: h["layers"][0].update(extra=1)), "unknown keys")
        self.assertRejects(self._rewrite(path, lambda h: h["layers"][0].pop("shift")), "missing keys")
        self.assertRejects(self._rewrite(path, lambda h: h["layers"][0]["weights"].update(bytes=3)), "bytes")
        self.assertRejects(self._rewrite(path, lambda h: h["layers"][1].update(groups=3)), "groups")
        self.assertRejects(self._rewrite(path, lambda h: h["classes"].pop()), "classes")
        self.assertRejects(self._rewrite(path, lambda h: h["layers"][0].update(shift=25)), "shift")

        def overlap(h):
            h["layers"][1]["weights"]["offset"] = h["layers"][0]["weights"]["offset"]
        self.assertRejects(self._rewrite(path, overlap), "overlaps")

        def unused_code(h, payload):
            # layer 1 is ternary: write the unused code 10 into its first field
            off = h["layers"][1]["weights"]["offset"]
            payload[off] = (payload[off] & ~0b11) | 0b10
        self.assertRejects(self._rewrite(path, mutate_payload=unused_code), "unused weight code")

        def padding(h, payload):
            seg = h["layers"][0]["bias"]  # 8 biases: padding bits exist unless 8*B % 8 == 0
            payload[seg["offset"] + seg["bytes"] - 1] |= 0x80
        if (8 * json.loads(good[24:24 + struct.unpack_from('<I', good, 12)[0]])["layers"][0]["bias_bits"]) % 8 == 0:
            pass
        else:
            self.assertRejects(self._rewrite(path, mutate_payload=padding), "padding")


if __name__ == "__main__":
    unittest.main()
