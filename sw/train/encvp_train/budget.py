"""Weight-memory budget (docs/numerics.md section 5).

    weight_bits = sum over layers ( n_weights * W + n_channels * B + 5 )

with ``B`` the bias width.  Before training ``B`` is the configured cap ``bias_bits_max`` (the
training clamps biases to it, so this is a guaranteed upper bound); after training it is the exact
width the export will use.  The padded SRAM image (each segment padded to 32 bits) is reported too.
"""

from __future__ import annotations

DEFAULT_BUDGET = 1 << 20  # 1 Mbit


def _pad32(bits: int) -> int:
    return (bits + 31) // 32 * 32


def budget_rows(model, bias_bits: list[int] | None = None) -> list[dict]:
    """One row per layer: name, shape, n_weights, W, n_channels, B, bits, padded bits, MACs."""
    rows = []
    cin = model.input_shape[0]
    _, h, w = model.input_shape
    nl = len(model.layers) + (model.head is not None)
    if bias_bits is None:
        bias_bits = [model.cfg.get("bias_bits_max", 16)] * nl
    for i, (l, (co, ho, wo)) in enumerate(zip(model.layers, model.shapes)):
        s = l.spec
        nw = co * (cin // s.groups) * s.kernel ** 2
        hc, wc = (ho * 2, wo * 2) if s.pool else (ho, wo)
        B = bias_bits[i]
        rows.append({"name": s.name, "type": "conv",
                     "shape": f"{cin}->{co} k{s.kernel} s{s.stride} g{s.groups}{' P' if s.pool else ''} @{hc}x{wc}",
                     "n_weights": nw, "W": s.wbits, "A": s.abits, "n_channels": co, "B": B,
                     "bits": nw * s.wbits + co * B + 5,
                     "padded_bits": _pad32(nw * s.wbits) + _pad32(co * B),
                     "macs": nw * hc * wc})
        cin = co
    if model.head is not None:
        hd = model.head
        nw = hd.classes * cin
        B = bias_bits[-1]
        rows.append({"name": "fc", "type": "fc", "shape": f"{cin}->{hd.classes}", "n_weights": nw,
                     "W": hd.wbits, "A": None, "n_channels": hd.classes, "B": B,
                     "bits": nw * hd.wbits + hd.classes * B + 5,
                     "padded_bits": _pad32(nw * hd.wbits) + _pad32(hd.classes * B), "macs": nw})
    return rows


def format_budget(rows: list[dict], budget: int = DEFAULT_BUDGET, title: str = "") -> str:
    """Human-readable table with totals and the verdict against ``budget``."""
    out = []
    if title:
        out.append(title)
    out.append(f"{'layer':<8} {'shape':<34} {'weights':>8} {'W':>2} {'A':>2} {'ch':>5} {'B':>3} "
               f"{'bits':>9} {'MMACs':>7}")
    for r in rows:
        out.append(f"{r['name']:<8} {r['shape']:<34} {r['n_weights']:>8} {r['W']:>2} "
                   f"{'' if r['A'] is None else r['A']:>2} {r['n_channels']:>5} {r['B']:>3} "
                   f"{r['bits']:>9} {r['macs'] / 1e6:>7.2f}")
    total = sum(r["bits"] for r in rows)
    padded = sum(r["padded_bits"] for r in rows)
    nweights = sum(r["n_weights"] for r in rows)
    macs = sum(r["macs"] for r in rows)
    verdict = "fits" if total <= budget else "EXCEEDS"
    out.append(f"total: {nweights} weights, {total} weight bits ({total / budget * 100:.1f}% of {budget}, "
               f"{verdict}); padded SRAM image {padded} bits; {macs / 1e6:.1f} M MACs/image")
    return "\n".join(out)


def total_bits(rows: list[dict]) -> int:
    return sum(r["bits"] for r in rows)
