"""Benchmark CentriMo's ``--local`` window statistics (every window at every position).

With ``--local`` a motif is tested in ~n_bins**2 / 2 windows: 8 million for 4 kb sequences,
each a binomial tail (an incomplete beta continued fraction) and its Bonferroni adjustment.
This script times, on the same site counts:

* the baseline: the statistics of every window, vectorised with numpy (what the built-in
  CentriMo did before);
* ours (:func:`deepcons.centrimo.analysis._window_stats_all`): one computation per run of
  neighbouring windows with the same sites, copied along the run;

checks that both give the same numbers, and prints the ratio.

Usage: ``.venv/bin/python bench/centrimo_local.py [--sequences N] [--length L] [--motifs M]``
(the defaults, the demo's TSS windows, run in about a minute on 2 CPU cores).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))

from deepcons.centrimo.analysis import _window_stats_all  # noqa: E402
from deepcons.centrimo.statistics import log_binomial_tail_array, logev_array  # noqa: E402
from deepcons.centrimo.windows import local_windows  # noqa: E402


def site_counts(n_seq: int, length: int, width: int, n_motifs: int, rng) -> np.ndarray:
    """Best-site counts in doubled coordinates: one best site per sequence, a tenth of them
    two tied ones (half a site each), a little central enrichment."""
    positions = 2 * length - 1
    counts = np.zeros((n_motifs, positions))
    for m in range(n_motifs):
        centre = rng.normal(length - 1, length / 3, size=n_seq)
        sites = np.clip(centre, width - 1, positions - width).astype(int)
        tied = rng.random(n_seq) < 0.1
        np.add.at(counts[m], sites, np.where(tied, 0.5, 1.0))
        np.add.at(counts[m], rng.integers(width - 1, positions - width, size=n_seq)[tied], 0.5)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=54)
    parser.add_argument("--length", type=int, default=4001)
    parser.add_argument("--motifs", type=int, default=2)
    parser.add_argument("--width", type=int, default=10)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    n_bins = args.length - args.width + 1
    centers, spreads = local_windows(args.length, args.width, 1, n_bins)
    counts = site_counts(args.sequences, args.length, args.width, args.motifs, rng)
    total = counts.sum(axis=1)
    log_n_tests = math.log(spreads.size)
    windows = args.motifs * spreads.size
    print(
        f"{args.motifs} motifs x {spreads.size:,} windows ({args.sequences} sequences of {args.length} bp)"
    )

    start = time.perf_counter()
    sites, log_p, log_adj = _window_stats_all(counts, total, centers, spreads, n_bins, log_n_tests)
    ours = time.perf_counter() - start

    start = time.perf_counter()
    cum = np.concatenate([np.zeros((args.motifs, 1)), np.cumsum(counts, axis=1)], axis=1)
    half = (spreads - 1) // 2
    base_sites = cum[:, centers + half + 1] - cum[:, centers - half]
    base_log_p = log_binomial_tail_array(base_sites, total[:, None], half[None, :] + 1, n_bins)
    base_log_adj = logev_array(log_n_tests, base_log_p)
    baseline = time.perf_counter() - start

    assert np.array_equal(sites, base_sites)
    assert np.array_equal(log_p, base_log_p) and np.array_equal(log_adj, base_log_adj)
    print(f"baseline (every window): {baseline:8.2f} s  {windows / baseline:12,.0f} windows/s")
    print(f"ours (runs of windows):  {ours:8.2f} s  {windows / ours:12,.0f} windows/s")
    print(f"speed-up: {baseline / ours:.1f}x (identical statistics)")


if __name__ == "__main__":
    main()
