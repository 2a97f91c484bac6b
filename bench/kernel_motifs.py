"""The kernel-to-motif pass (paper section 3.2) over encoded sequences, in one run: window
counts summed from the codes by the compiled loops (ours) against the one-hot windows added
one sequence after another (the PyTorch path, the baseline). Both give the same counts.

    .venv/bin/python bench/kernel_motifs.py [--sequences 4096] [--batch-size 512]

Paper model (1,000 kernels of width 10, 500 of width 20), phastCons-like element lengths
(median about 60 bp); prints sequences per second of both, the ratio, and the time that
hg19's 1.415 M training sequences would take.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))

from deepcons import fastconv_compiled  # noqa: E402
from deepcons.encoding import Layout, encode_rows  # noqa: E402
from deepcons.kernel_motifs import kernel_counts  # noqa: E402
from deepcons.model import build_model  # noqa: E402

HG19_TRAINING = 1_415_000


def timed_counts(model, codes, batch_size):
    kernel_counts(model, codes[:64], batch_size=batch_size)  # warm-up (numba's cache)
    start = time.perf_counter()
    layers = kernel_counts(model, codes, batch_size=batch_size)
    return time.perf_counter() - start, layers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=4096)
    parser.add_argument("--batch-size", type=int, default=512)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = build_model({})
    rng = np.random.default_rng(0)
    lengths = np.clip(rng.lognormal(np.log(60), 0.8, args.sequences).astype(int), 30, 1000)
    codes = encode_rows([rng.integers(0, 4, n).astype(np.uint8) for n in lengths], Layout(1000, 20))
    print(f"{len(codes)} sequences, paper model, {torch.get_num_threads()} threads")

    ours_s, ours = timed_counts(model, codes, args.batch_size)
    compiled = fastconv_compiled.weighted_window_sum
    fastconv_compiled.weighted_window_sum = lambda *a: None  # the one-hot windows instead
    try:
        base_s, base = timed_counts(model, codes, args.batch_size)
    finally:
        fastconv_compiled.weighted_window_sum = compiled
    for (_, a, n_a), (_, b, n_b) in zip(ours, base, strict=True):
        assert np.array_equal(n_a, n_b) and np.allclose(a, b, rtol=1e-6), "counts differ"
    for name, seconds in (("ours (compiled, from codes)", ours_s), ("one-hot windows", base_s)):
        rate = len(codes) / seconds
        print(f"{name:28s} {rate:8.0f} seq/s  hg19: {HG19_TRAINING / rate / 60:5.1f} min")
    print(f"ratio (ours / one-hot windows): {base_s / ours_s:.2f}x; the same counts")


if __name__ == "__main__":
    main()
