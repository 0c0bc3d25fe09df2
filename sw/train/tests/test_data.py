"""Data loaders: the official binary format on generated files, the split, augmentation."""

import tempfile
import unittest
from pathlib import Path

import _common
import numpy as np
import torch

from encvp_train import data as D


def write_bin(path: Path, x: np.ndarray, y: np.ndarray) -> None:
    rec = np.concatenate([y.astype(np.uint8)[:, None], x.reshape(len(y), -1)], axis=1)
    path.write_bytes(rec.tobytes())


class TestBinary(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name) / "cifar-10-batches-bin"
        self.dir.mkdir()
        rng = np.random.default_rng(0)
        self.x = rng.integers(0, 256, (6 * 3, 3, 32, 32), dtype=np.uint8)
        self.y = rng.integers(0, 10, 6 * 3)
        for i in range(5):
            write_bin(self.dir / f"data_batch_{i + 1}.bin", self.x[3 * i:3 * i + 3], self.y[3 * i:3 * i + 3])
        write_bin(self.dir / "test_batch.bin", self.x[15:], self.y[15:])

    def tearDown(self):
        self.tmp.cleanup()

    def test_record_layout(self):
        # one hand-made record: label 7, R plane all 1, G plane 2, B plane pixel (0, 1) = 200
        rec = np.zeros(3073, dtype=np.uint8)
        rec[0] = 7
        rec[1:1025] = 1
        rec[1025:2049] = 2
        rec[2049 + 1] = 200
        p = self.dir / "one.bin"
        p.write_bytes(rec.tobytes())
        x, y = D.read_cifar10_bin_file(p)
        self.assertEqual(y.tolist(), [7])
        self.assertEqual(x.shape, (1, 3, 32, 32))
        self.assertTrue((x[0, 0] == 1).all() and (x[0, 1] == 2).all())
        self.assertEqual(int(x[0, 2, 0, 1]), 200)
        self.assertEqual(int(x[0, 2].sum()), 200)

    def test_splits(self):
        x, y = D.load_cifar10_bin(self.dir, "train")
        self.assertTrue(np.array_equal(x, self.x[:15]) and np.array_equal(y, self.y[:15]))
        x, y = D.load_split("test", source=f"bin:{self.dir.parent}")   # the parent works too
        self.assertTrue(np.array_equal(x, self.x[15:]) and np.array_equal(y, self.y[15:]))

    def test_errors(self):
        (self.dir / "data_batch_3.bin").unlink()
        with self.assertRaisesRegex(D.DataError, "data_batch_3"):
            D.load_cifar10_bin(self.dir, "train")
        (self.dir / "test_batch.bin").write_bytes(b"\x00" * 100)
        with self.assertRaisesRegex(D.DataError, "multiple"):
            D.load_cifar10_bin(self.dir, "test")


class TestSplit(unittest.TestCase):
    def test_fixed_disjoint(self):
        tr, va = D.train_val_split(50000, 5000)
        tr2, va2 = D.train_val_split(50000, 5000)
        self.assertTrue(np.array_equal(va, va2) and np.array_equal(tr, tr2))
        self.assertEqual(len(va), 5000)
        self.assertEqual(len(np.intersect1d(tr, va)), 0)
        self.assertEqual(len(np.union1d(tr, va)), 50000)


class TestAugment(unittest.TestCase):
    def test_cutout(self):
        x = torch.full((64, 3, 32, 32), 200, dtype=torch.uint8)
        g = torch.Generator().manual_seed(1)
        out = D.augment_batch(x, g, pad=0, flip=False, cutout=8)
        sizes = set()
        for b in range(64):
            z = out[b] == 0
            self.assertTrue(torch.equal(z[0], z[1]) and torch.equal(z[0], z[2]))   # all channels
            ys, xs = torch.nonzero(z[0], as_tuple=True)
            h, w = int(ys.max() - ys.min() + 1), int(xs.max() - xs.min() + 1)
            self.assertEqual(len(ys), h * w)                  # one filled rectangle ...
            self.assertTrue(4 <= h <= 8 and 4 <= w <= 8)      # ... of the square, cut by the border
            self.assertTrue(torch.all(out[b][~z] == 200))     # nothing else touched
            sizes.add((h, w))
        self.assertIn((8, 8), sizes)
        self.assertGreater(len(sizes), 1)                     # some squares do cross the border
        self.assertTrue(torch.equal(D.augment_batch(x, g, pad=0, flip=False, cutout=0), x))

    def test_crop_flip(self):
        x = torch.arange(2 * 3 * 32 * 32, dtype=torch.int64).reshape(2, 3, 32, 32) % 251
        x = x.to(torch.uint8)
        g = torch.Generator().manual_seed(0)
        out = D.augment_batch(x, g)
        self.assertEqual(out.shape, x.shape)
        self.assertEqual(out.dtype, torch.uint8)
        # no padding, no flip: identity
        self.assertTrue(torch.equal(D.augment_batch(x, g, pad=0, flip=False), x))
        # every output is a (possibly flipped) shifted window of the zero-padded input
        xp = torch.nn.functional.pad(x, (4, 4, 4, 4))
        for b in range(2):
            found = any(torch.equal(out[b], cand[:, oy:oy + 32, ox:ox + 32])
                        for cand in (xp[b], xp[b].flip(2)) for oy in range(9) for ox in range(9))
            self.assertTrue(found)


@unittest.skipUnless(_common.jpeg_available(), _common.SKIP_NO_DATA)
class TestJpeg(unittest.TestCase):
    def test_test_split(self):
        x, y = D.load_cifar10_jpeg("test", verbose=False)
        self.assertEqual(x.shape, (10000, 3, 32, 32))
        self.assertEqual(x.dtype, np.uint8)
        self.assertEqual(np.bincount(y).tolist(), [1000] * 10)


if __name__ == "__main__":
    unittest.main()
