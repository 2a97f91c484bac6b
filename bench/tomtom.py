"""Benchmark the built-in Tomtom against memelite's on DeepCons-sized input.

DeepCons compares ~1,500 kernel motifs (widths 10 and 20) with JASPAR CORE vertebrates
(~879 motifs, widths 5-30). This script makes motifs of that shape (kernel-like queries,
count-based JASPAR-like targets), then, in the same run and on the same matrices:

* times ours with ``dist='ed'`` (MEME 5.5.6's results) and with ``dist='pearson'``,
* times memelite's ``tomtom`` (Euclidean distance, complete scores),
* compares the p-values of every (query, target) pair (best strand): largest and median
  absolute difference of log10 p-value.

Both use numba: each is warmed up on a few queries first (importing numba and compiling,
or loading the compiled code cached on disk), and that one-off time is reported apart.
Each timing is the median of ``--repeat`` runs (other work on the machine adds noise);
the first run of each is the one whose p-values are compared.

memelite adds no pseudocount, so it is given the matrices after MEME's pseudocount, which
ours adds itself. Both use all the CPUs this process may use.

    .venv/bin/python bench/tomtom.py [--queries 1500] [--targets 879] [--jobs N]
        [--repeat 3] [--method auto|compiled|numpy]
        [--target-file resources/motifs/JASPAR2024_CORE_vertebrates.meme]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))

from deepcons.meme_io import Motif, read_meme  # noqa: E402
from deepcons.tomtom import compare_motifs, prepare_probs  # noqa: E402


def kernel_like_motifs(n: int, seed: int) -> list[Motif]:
    """Motifs as read out of CNN kernels: widths alternating 10 and 20, a few informative
    columns among weak ones, nsites 50 to 2,000."""
    rng = np.random.default_rng(seed)
    motifs = []
    for i in range(n):
        width = 10 if i % 2 == 0 else 20
        concentration = rng.choice([0.3, 2.0, 8.0], size=width, p=[0.4, 0.3, 0.3])
        probs = np.array([rng.dirichlet(np.full(4, c)) for c in concentration])
        motifs.append(Motif(f"kernel_{i}", probs, nsites=float(rng.integers(50, 2000))))
    return motifs


def jaspar_like_motifs(n: int, seed: int) -> list[Motif]:
    """Count matrices like JASPAR's: widths 5-30 (mostly 8-20), 8 to 400 sites, columns
    from nearly one letter to nearly uniform, probabilities = counts / sites."""
    rng = np.random.default_rng(seed)
    motifs = []
    for i in range(n):
        width = int(np.clip(rng.gamma(4.0, 3.2), 5, 30))
        sites = int(rng.integers(8, 400))
        concentration = rng.choice([0.15, 0.4, 1.5], size=width, p=[0.5, 0.3, 0.2])
        counts = np.array(
            [rng.multinomial(sites, rng.dirichlet(np.full(4, c))) for c in concentration]
        )
        motifs.append(Motif(f"MA{i:04d}.1", counts / sites, nsites=float(sites)))
    return motifs


class Timer:
    """Wall-clock and CPU seconds (this process, its threads and its finished children):
    CPU time is the fairer figure when other work shares the machine."""

    def __enter__(self):
        self._wall, self._cpu = time.perf_counter(), self._cpu_now()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self._wall
        self.cpu = self._cpu_now() - self._cpu

    @staticmethod
    def _cpu_now() -> float:
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def __str__(self) -> str:
        return f"{self.wall:7.2f} s wall, {self.cpu:7.2f} s CPU"


def timed(function, repeat: int):
    """The first result of ``function()`` and the median wall and CPU seconds of ``repeat``
    calls."""
    result, walls, cpus = None, [], []
    for i in range(repeat):
        with Timer() as timer:
            value = function()
        if i == 0:
            result = value
        walls.append(timer.wall)
        cpus.append(timer.cpu)
    summary = Timer()
    summary.wall, summary.cpu = float(np.median(walls)), float(np.median(cpus))
    return result, summary


def best_strand_pvalues(table, queries, targets) -> np.ndarray:
    """(queries, targets) matrix of our p-values (each row of the table is a best strand)."""
    q_index = {m.id: i for i, m in enumerate(queries)}
    t_index = {m.id: i for i, m in enumerate(targets)}
    out = np.full((len(queries), len(targets)), np.nan)
    rows = table["Query_ID"].map(q_index).to_numpy()
    cols = table["Target_ID"].map(t_index).to_numpy()
    out[rows, cols] = table["p-value"].to_numpy()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1500, help="query motifs (1500)")
    parser.add_argument("--targets", type=int, default=879, help="target motifs (879)")
    parser.add_argument(
        "--target-file", type=Path, help="MEME motif file of real targets (e.g. JASPAR) instead"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=None, help="workers (all CPUs)")
    parser.add_argument("--no-memelite", action="store_true", help="time ours only")
    parser.add_argument("--no-pearson", action="store_true", help="skip the pearson timing")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (median; 3)")
    parser.add_argument(
        "--method", default="auto", choices=("auto", "compiled", "numpy"), help="ours (auto)"
    )
    args = parser.parse_args(argv)
    repeat = max(1, args.repeat)

    queries = kernel_like_motifs(args.queries, args.seed)
    if args.target_file:
        targets = read_meme(args.target_file).motifs[: args.targets]
    else:
        targets = jaspar_like_motifs(args.targets, args.seed + 1)
    n_cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    widths = [m.width for m in targets]
    print(
        f"{len(queries)} queries (widths 10 and 20) x {len(targets)} targets "
        f"(widths {min(widths)}-{max(widths)}, {sum(widths)} columns); {n_cpus} CPUs"
    )

    print(f"timings: median of {repeat} run(s)")
    start = time.perf_counter()
    compare_motifs(queries[:8], targets, dist="ed", n_jobs=args.jobs, method=args.method)
    print(
        "deepcons warm-up (numba import and compile or cache load): "
        f"{time.perf_counter() - start:.1f} s"
    )
    table, t_ours = timed(
        lambda: compare_motifs(queries, targets, dist="ed", n_jobs=args.jobs, method=args.method),
        repeat,
    )
    print(f"deepcons tomtom, dist='ed':            {t_ours}")
    if not args.no_pearson:
        _, t_pearson = timed(
            lambda: compare_motifs(
                queries, targets, dist="pearson", n_jobs=args.jobs, method=args.method
            ),
            repeat,
        )
        print(f"deepcons tomtom, dist='pearson':       {t_pearson}")

    if not args.no_memelite:
        start = time.perf_counter()
        from memelite import tomtom as memelite_tomtom

        q_mats = [prepare_probs(m).T.copy() for m in queries]  # memelite wants (4, width)
        t_mats = [prepare_probs(m).T.copy() for m in targets]
        memelite_tomtom(q_mats[:8], t_mats)
        print(
            "memelite warm-up (numba import and compile or cache load): "
            f"{time.perf_counter() - start:.1f} s"
        )
        result, t_memelite = timed(lambda: memelite_tomtom(q_mats, t_mats), repeat)
        memelite_p = result[0]
        print(f"memelite tomtom (ed, complete scores): {t_memelite}")
        print(
            f"ratio ours (ed) / memelite: {t_ours.wall / t_memelite.wall:.2f} (wall), "
            f"{t_ours.cpu / t_memelite.cpu:.2f} (CPU)"
        )
        ours_p = best_strand_pvalues(table, queries, targets)
        both = np.isfinite(ours_p) & np.isfinite(memelite_p) & (memelite_p > 0) & (ours_p > 0)
        diff = np.abs(np.log10(ours_p[both]) - np.log10(memelite_p[both]))
        print(
            f"|log10 p(ours) - log10 p(memelite)| over {both.sum()} pairs: "
            f"max {diff.max():.3g}, median {np.median(diff):.3g}, "
            f"99th percentile {np.percentile(diff, 99):.3g}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
