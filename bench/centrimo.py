"""Benchmark the built-in CentriMo at the paper's shape (kernel motifs x 4 kb windows).

The paper scans 1,500 kernel motifs (widths 10 and 20) over ~54,000 windows of 4,000 bp
around gene TSSs, and again around TESs. This script times a sample of synthetic windows
of that shape and extrapolates:

* the scan (:func:`deepcons.motif_scan.scan_best_sites`, all motifs at once, reduced to
  best sites on the fly; the forward strand, as the workflow scans by default, or with
  ``--both-strands`` both): on CPU its compiled integer loops, and the matrix
  product of one-hot windows (the GPU path, also timed on CPU for comparison); on GPU when
  available;
* the whole analysis (:func:`deepcons.centrimo.run_centrimo`: scan + window statistics);
* a straightforward baseline measured in the same run: one motif at a time with numpy's
  ``sliding_window_view``, best site and ties per sequence.

Usage: ``.venv/bin/python bench/centrimo.py [--device cpu|cuda] [--windows N] [--both-strands]``
(the defaults run in under a minute on 2 CPU cores).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))

from deepcons.centrimo import build_pssm, run_centrimo  # noqa: E402
from deepcons.meme_io import Motif  # noqa: E402
from deepcons.motif_scan import scan_best_sites  # noqa: E402

PAPER_WINDOWS = 54_000
PAPER_MOTIFS = 1_500
PAPER_LENGTH = 4_000


def synthetic_motifs(n: int, rng: np.random.Generator) -> list[Motif]:
    """Half width 10, half width 20, sharp enough to give CentriMo something to count."""
    return [
        Motif(f"kernel{i}", rng.dirichlet(np.full(4, 0.3), size=10 if i % 2 == 0 else 20))
        for i in range(n)
    ]


def numpy_baseline(codes: np.ndarray, fwd: list[np.ndarray], rev: list[np.ndarray] | None):
    """One motif at a time: scores of all sites of all sequences (``rev`` None: forward
    strand only), best and tie count."""
    best = np.empty((codes.shape[0], len(fwd)), dtype=np.int64)
    n_best = np.empty_like(best)
    for m, f in enumerate(fwd):
        strands = [f] if rev is None else [f, rev[m]]
        width = f.shape[0]
        windows = np.lib.stride_tricks.sliding_window_view(codes, width, axis=1)  # (n, P, w)
        cols = np.arange(width)
        scores = np.concatenate([matrix[cols, windows].sum(-1) for matrix in strands], axis=1)
        best[:, m] = scores.max(axis=1)
        n_best[:, m] = (scores == best[:, m, None]).sum(axis=1)
    return best, n_best


def rate(pairs: int, seconds: float) -> str:
    return f"{pairs / seconds:,.0f} windows x motifs / s"


def extrapolate(pairs_per_second: float) -> str:
    seconds = PAPER_WINDOWS * PAPER_MOTIFS / pairs_per_second
    return f"{seconds / 3600:.2f} h per run ({seconds / 60:.1f} min), x2 for TSS + TES"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None, help="cpu or cuda (default: both if present)")
    parser.add_argument("--windows", type=int, default=48, help="synthetic windows to scan")
    parser.add_argument("--motifs", type=int, default=PAPER_MOTIFS)
    parser.add_argument("--length", type=int, default=PAPER_LENGTH)
    parser.add_argument("--baseline-motifs", type=int, default=12, help="motifs for the baseline")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument(
        "--both-strands",
        action="store_true",
        help="scan both strands (CentriMo's default; the workflow's positional.both_strands)",
    )
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    devices = (
        [args.device] if args.device else ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    )
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 4, size=(args.windows, args.length), dtype=np.uint8)
    lengths = np.full(args.windows, args.length)
    motifs = synthetic_motifs(args.motifs, rng)
    pssms = [build_pssm(m.probs, np.full(4, 0.25)) for m in motifs]
    fwd = [p.matrix for p in pssms]
    rev = [p.rc_matrix for p in pssms]
    pairs = args.windows * args.motifs
    print(
        f"{args.windows} windows x {args.length} bp, {args.motifs} motifs (widths 10 and 20), "
        f"torch threads {torch.get_num_threads()}"
    )

    results = {}
    scan_rates = {}
    for device in devices:
        scan_options = {"both_strands": args.both_strands, "device": device}
        scan_best_sites(codes[:2], lengths[:2], fwd[:4], rc_matrices=rev[:4], **scan_options)
        if device == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        sites = scan_best_sites(codes, lengths, fwd, rc_matrices=rev, **scan_options)
        if device == "cuda":
            torch.cuda.synchronize()
        scan_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        run_centrimo(codes, motifs, background="uniform", norc=not args.both_strands, device=device)
        full_s = time.perf_counter() - t0
        results[device] = sites
        scan_rates[device] = pairs / scan_s
        print(f"[{device}] scan:         {scan_s:7.2f} s  {rate(pairs, scan_s)}")
        print(f"[{device}]   paper scale: {extrapolate(pairs / scan_s)}")
        stats_s = max(0.0, full_s - scan_s)
        paper_s = PAPER_WINDOWS * PAPER_MOTIFS / (pairs / scan_s) + stats_s * (
            PAPER_MOTIFS / args.motifs
        )
        print(
            f"[{device}] run_centrimo: {full_s:7.2f} s  (scan + {stats_s:.2f} s of window "
            f"statistics, which grow with motifs, not windows)"
        )
        print(
            f"[{device}]   paper scale: {paper_s / 3600:.2f} h per run "
            f"({paper_s / 60:.1f} min), x2 for TSS + TES"
        )

    n_base = min(args.baseline_motifs, args.motifs)
    t0 = time.perf_counter()
    base_best, base_n = numpy_baseline(
        codes, fwd[:n_base], rev[:n_base] if args.both_strands else None
    )
    base_s = time.perf_counter() - t0
    base_pairs = args.windows * n_base
    print(
        f"[numpy baseline, {n_base} motifs one at a time] {base_s:7.2f} s  "
        f"{rate(base_pairs, base_s)}"
    )
    print(f"  paper scale: {extrapolate(base_pairs / base_s)}")
    for sites in results.values():
        assert np.array_equal(sites.score[:, :n_base], base_best), "scan differs from baseline"
        assert np.array_equal(sites.n_best[:, :n_base], base_n), "tie counts differ"
    if "cpu" in scan_rates:
        t0 = time.perf_counter()
        matmul = scan_best_sites(
            codes, lengths, fwd, rc_matrices=rev, both_strands=args.both_strands, method="matmul"
        )
        matmul_s = time.perf_counter() - t0
        assert np.array_equal(matmul.score, results["cpu"].score), "matmul scan differs"
        assert np.array_equal(matmul.tie_start, results["cpu"].tie_start), "matmul ties differ"
        print(
            f"[cpu] matrix-product scan (torch, the GPU path): {matmul_s:7.2f} s  "
            f"{rate(pairs, matmul_s)}; compiled / matrix product: "
            f"{scan_rates['cpu'] / (pairs / matmul_s):.1f}x"
        )
        t0 = time.perf_counter()
        scan_best_sites(
            codes,
            lengths,
            fwd[:n_base],
            rc_matrices=rev[:n_base],
            both_strands=args.both_strands,
            device="cpu",
        )
        same_s = time.perf_counter() - t0
        print(
            f"speed ratio, vectorised cpu scan / baseline: {base_s / same_s:.1f}x on the same "
            f"{n_base} motifs, {scan_rates['cpu'] / (base_pairs / base_s):.1f}x per "
            f"window x motif with all {args.motifs} motifs at once"
        )
    if "cuda" in scan_rates:
        print(
            f"speed ratio, cuda scan / baseline: "
            f"{scan_rates['cuda'] / (base_pairs / base_s):.1f}x per window x motif"
        )
    print("baseline and vectorised scan agree on best scores and tie counts")


if __name__ == "__main__":
    main()
