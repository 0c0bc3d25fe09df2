"""Ablation report: label placement of the accuracy-versus-memory plot, and the plot itself."""

import tempfile
import unittest
from pathlib import Path

import _common  # noqa: F401  (puts sw/train on the path)

from encvp_train.report import _clusters, plot, spread_labels


class TestLabels(unittest.TestCase):
    def test_spread_keeps_order_gap_and_centre(self):
        ys = [60.28, 59.93, 59.68, 58.14, 58.09, 57.02, 70.92]
        out = spread_labels(ys, 0.7)
        order = sorted(range(len(ys)), key=lambda i: ys[i])
        for a, b in zip(order, order[1:]):
            self.assertGreaterEqual(out[b] - out[a], 0.7 - 1e-9)   # same order, at least the gap
        self.assertAlmostEqual(sum(out) / len(out), sum(ys) / len(ys))  # not shifted as a block
        self.assertEqual(spread_labels([1.0, 5.0], 0.5), [1.0, 5.0])    # far apart: untouched

    def test_clusters(self):
        xs = [1.03, 0.26, 1.02, 0.52, 1.04]
        self.assertEqual(_clusters(xs, 0.1), [[1], [3], [2, 0, 4]])

    def test_plot_writes_png(self):
        rows = [{"run": f"ablation-r{i}", "weight_bits": b, "exportable": i != 2, "test_acc": acc}
                for i, (b, acc) in enumerate([(262352, 52.3), (1036592, 60.3), (1041768, 70.9),
                                              (1022938, 59.7)])]
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / "p.png"
            plot(rows, str(out))
            self.assertEqual(out.read_bytes()[:8], b"\x89PNG\r\n\x1a\n")


if __name__ == "__main__":
    unittest.main()
