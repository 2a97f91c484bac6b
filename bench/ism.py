"""In-silico mutagenesis throughput: all 3L variants of a sequence batched through the model,
against one forward pass per variant, in the same run on the same model.

    .venv/bin/python bench/ism.py [--length 500] [--sequences 2] [--device cpu|cuda]

Prints variants per second of both and the ratio, and checks that they agree.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))

from deepcons.attribution import compute_ism, logits_of_rows  # noqa: E402
from deepcons.encoding import Layout, encode_rows  # noqa: E402
from deepcons.model import build_model  # noqa: E402


def one_at_a_time(model, seq, layout, device, limit):
    """The straightforward way: encode and score each mutant on its own."""
    ref = logits_of_rows(model, encode_rows([seq], layout), 1, device)[0]
    deltas = []
    for pos in range(len(seq)):
        for alt in (a for a in range(4) if a != seq[pos]):
            mutant = seq.copy()
            mutant[pos] = alt
            deltas.append(logits_of_rows(model, encode_rows([mutant], layout), 1, device)[0] - ref)
            if len(deltas) == limit:
                return np.array(deltas)
    return np.array(deltas)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--length", type=int, default=500)
    parser.add_argument("--sequences", type=int, default=2)
    parser.add_argument(
        "--baseline-variants",
        type=int,
        default=150,
        help="variants timed one by one (extrapolated)",
    )
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    torch.manual_seed(0)
    model = build_model({"kernels": {10: 1000, 20: 500}, "hidden": 1500}).to(device).eval()
    layout = Layout()
    rng = np.random.default_rng(0)
    seqs = [rng.integers(0, 4, args.length).astype(np.uint8) for _ in range(args.sequences)]
    compute_ism(model, seqs[0][:50], layout, device=device)  # warm-up
    start = time.perf_counter()
    results = [compute_ism(model, s, layout, batch_size=256, device=device) for s in seqs]
    batched_rate = sum(len(r["position"]) for r in results) / (time.perf_counter() - start)
    start = time.perf_counter()
    single = one_at_a_time(model, seqs[0], layout, device, args.baseline_variants)
    single_rate = len(single) / (time.perf_counter() - start)
    agree = np.allclose(single, results[0]["delta_logit"][: len(single)], atol=1e-4)
    print(f"device {device}, paper model (1,500 kernels), sequences of {args.length} bp")
    print(f"one forward pass per variant: {single_rate:10.1f} variants/s ({len(single)} variants)")
    print(
        f"batched (all 3L at once):     {batched_rate:10.1f} variants/s ({sum(len(r['position']) for r in results)} variants)"
    )
    print(f"ratio: {batched_rate / single_rate:.1f}x; deltas agree: {agree}")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
