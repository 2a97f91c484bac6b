"""Benchmark motif clustering on DeepCons-sized input: 1,500 kernel-like motifs, widths 10 and 20.

Times the vectorised all-against-all comparison (compare_matrices) and the clustering
(tree, cut, root motifs), and, as a baseline measured in the same run, the straightforward
per-pair loop (compare_pair on every ordered pair) on a subsample, extrapolated to all pairs.

    .venv/bin/python bench/clustering.py [--n 1500] [--sample 60] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))

from deepcons.clustering import cluster_motifs, compare_matrices, compare_pair  # noqa: E402
from deepcons.meme_io import Motif, reverse_complement  # noqa: E402


def kernel_like_motifs(n: int, seed: int, n_families: int = 120) -> list[Motif]:
    """Motifs as read out of CNN kernels: a core from one of ``n_families`` (5 to 12 columns,
    informative) at a random place, noisy, on a random strand, inside weakly informative
    flanks; widths alternate 10 and 20; nsites between 50 and 2,000."""
    rng = np.random.default_rng(seed)
    cores = [rng.dirichlet(np.full(4, 0.25), size=rng.integers(5, 13)) for _ in range(n_families)]
    motifs = []
    for i in range(n):
        width = 10 if i % 2 == 0 else 20
        probs = rng.dirichlet(np.full(4, 8.0), size=width)
        core = cores[rng.integers(n_families)][:width]
        start = rng.integers(0, width - len(core) + 1)
        probs[start : start + len(core)] = [rng.dirichlet(col * 60 + 0.3) for col in core]
        if rng.random() < 0.5:
            probs = reverse_complement(probs)
        motifs.append(Motif(f"kernel_{i}", probs, nsites=float(rng.integers(50, 2000))))
    return motifs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1500, help="motifs (1500)")
    parser.add_argument("--sample", type=int, default=60, help="motifs in the loop baseline (60)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    motifs = kernel_like_motifs(args.n, args.seed)
    print(f"{args.n} motifs (widths 10 and 20), {os.cpu_count()} CPUs")

    start = time.perf_counter()
    similarity = compare_matrices(motifs, min_width=5)
    t_compare = time.perf_counter() - start
    start = time.perf_counter()
    result = cluster_motifs(motifs, similarity)
    t_cluster = time.perf_counter() - start
    sizes = result.sizes()
    print(f"compare_matrices (all {args.n} x {args.n} pairs): {t_compare:8.2f} s")
    print(f"cluster_motifs (tree, cut, root motifs):   {t_cluster:8.2f} s")
    print(
        f"  -> {result.n_clusters} clusters, largest {sizes.max()}, singletons {(sizes == 1).sum()}"
    )

    # Baseline: the per-pair Python loop on a subsample, extrapolated to n x n pairs.
    rng = np.random.default_rng(args.seed + 1)
    pick = np.sort(rng.choice(args.n, size=min(args.sample, args.n), replace=False))
    start = time.perf_counter()
    loop = {(i, j): compare_pair(motifs[i].probs, motifs[j].probs, 5) for i in pick for j in pick}
    t_loop = time.perf_counter() - start
    t_loop_all = t_loop * (args.n / len(pick)) ** 2
    worst = max(abs(loop[i, j]["Ncor"] - similarity.Ncor[i, j]) for i, j in loop)
    print(
        f"per-pair loop on {len(pick)} x {len(pick)} pairs: {t_loop:8.2f} s "
        f"-> extrapolated to {args.n} x {args.n}: {t_loop_all:8.1f} s"
    )
    print(f"speed-up of compare_matrices over the loop: {t_loop_all / t_compare:8.1f}x")
    print(f"largest |Ncor| difference between the two on the subsample: {worst:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
