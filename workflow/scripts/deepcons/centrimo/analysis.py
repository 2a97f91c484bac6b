"""run_centrimo: scan, count and test every motif's windows, all motifs at once."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..logs import Progress
from ..meme_io import Motif
from ..motif_scan import NO_SITE, BestSites, scan_best_sites
from .background import normalize_frequencies, sequence_background, symmetrize
from .constants import (
    DEFAULT_EVALUE_THRESH,
    DEFAULT_LO_FRACTION,
    DEFAULT_PSEUDOCOUNT,
    DEFAULT_PVALUE_THRESH,
    DEFAULT_SCORE_THRESH,
)
from .pssm import build_pssms, consensus
from .results import CentrimoResult, MotifResult
from .sequences import as_codes
from .sites import (
    count_sites,
    motif_threshold,
    score_values,
    weak_motif_warning,
)
from .statistics import (
    LOGMAXPROD,
    log_binomial_tail,
    log_binomial_tail_array,
    log_fisher_pvalue,
    logev,
    logev_array,
)
from .windows import Window, central_windows, local_windows, window_range


def _window_stats_all(
    counts: np.ndarray,
    total: np.ndarray,
    centers: np.ndarray,
    spreads: np.ndarray,
    n_bins: int,
    log_n_tests: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sites, log binomial p-values and log adjusted p-values of every window for a group
    of motifs.

    Windows come spread by spread, centre after centre: next to each other they mostly hold
    the same sites, so each statistic is computed once per run of equal (sites, bins) and
    copied along it (the same numbers: it depends on nothing else). With ``--local``'s
    ~n_bins**2 / 2 windows that is tens of times less work.

    Parameters
    ----------
    counts : (M, 2L - 1) site counts
    total : (M,) total sites
    centers, spreads : (n_windows,)
    log_n_tests : log of the number of windows (the Bonferroni factor)

    Returns
    -------
    sites, log_p, log_adj : (M, n_windows)
    """
    cum = np.concatenate([np.zeros((counts.shape[0], 1)), np.cumsum(counts, axis=1)], axis=1)
    left = centers - (spreads - 1) // 2
    right = centers + (spreads - 1) // 2
    sites = cum[:, right + 1] - cum[:, left]
    bins = (spreads - 1) // 2 + 1
    starts = np.ones(sites.shape, dtype=bool)
    starts[:, 1:] = (sites[:, 1:] != sites[:, :-1]) | (bins[1:] != bins[:-1])[None, :]
    motif, window = np.nonzero(starts)
    run_log_p = log_binomial_tail_array(sites[motif, window], total[motif], bins[window], n_bins)
    run_log_adj = logev_array(log_n_tests, run_log_p)
    run = (np.cumsum(starts.ravel()) - 1).reshape(sites.shape)
    return sites, run_log_p[run], run_log_adj[run]


def run_centrimo(
    sequences,
    motifs: Sequence[Motif],
    *,
    neg_sequences=None,
    background=None,
    motif_pseudo: float = DEFAULT_PSEUDOCOUNT,
    score_threshold: float | None = None,
    use_pvalues: bool = False,
    use_lo_fraction: bool = False,
    local: bool = False,
    flip: bool = False,
    norc: bool = False,
    min_region: int | None = None,
    max_region: int | None = None,
    ethresh: float = DEFAULT_EVALUE_THRESH,
    seqlen: int | None = None,
    db_index: Sequence[int] | None = None,
    n_motifs: int | None = None,
    device: str = "cpu",
    batch_size: int | None = None,
) -> CentrimoResult:
    """Central (or local) motif enrichment, as the MEME suite's ``centrimo``.

    Parameters
    ----------
    sequences : list of str, (n, L) uint8 code array, or (codes, lengths)
        Sequences (codes 0..3 = A, C, G, T, other values = N). Only sequences of one
        length are analysed, as in MEME: ``seqlen``, by default that of the first; the
        others are skipped (their indices are in ``result.skipped``).
    motifs : list of Motif
        Motifs (``probs`` (w, 4) as read, ``nsites``).
    neg_sequences : same types as ``sequences``, optional
        Control sequences (``--neg``); the same length is required.
    background : None, "uniform", or (4,) array
        None: letter frequencies of ``sequences`` with a pseudocount of 1 (MEME's default).
        Otherwise (``--bfile``) the frequencies, symmetrised unless ``norc`` and with
        MEME's 5e-7 pseudocount.
    motif_pseudo : float
        Pseudocount added to the motifs (``--motif-pseudo``).
    score_threshold : float, optional
        ``--score``; defaults to 5 bits, 0.25 with ``use_lo_fraction``, 0.05 with
        ``use_pvalues``.
    use_pvalues, use_lo_fraction, local, flip, norc : bool
        As the options of the same names.
    min_region, max_region : int, optional
        ``--minreg`` and ``--maxreg`` (window widths in bins).
    ethresh : float
        Report motifs whose best window has an E-value at most this.
    db_index : list of int, optional
        Motif file index of each motif (default 0).
    n_motifs : int, optional
        E-value multiplier (default ``len(motifs)``).
    device, batch_size
        Passed to :func:`deepcons.motif_scan.scan_best_sites`.

    Returns
    -------
    CentrimoResult
    """
    score_threshold = _checked_score_threshold(
        score_threshold, use_pvalues, use_lo_fraction, min_region, max_region
    )
    motifs = list(motifs)
    if not motifs:
        raise ValueError("no motifs")
    n_motifs = len(motifs) if n_motifs is None else n_motifs
    db_index = [0] * len(motifs) if db_index is None else list(db_index)
    both = not norc
    warnings: list[str] = []

    codes, lengths = as_codes(sequences)
    if codes.shape[0] == 0:
        raise ValueError("no sequences")
    pssm_bg, pseudo_bg = _backgrounds(background, codes, lengths, both)
    seq_len = int(seqlen or lengths[0])
    used = np.nonzero(lengths == seq_len)[0]
    skipped = np.nonzero(lengths != seq_len)[0].tolist()
    if used.size == 0:
        raise ValueError(f"no sequence has the expected length ({seq_len})")
    neg = None
    if neg_sequences is not None:
        neg_codes, neg_lengths = as_codes(neg_sequences)
        neg_used = np.nonzero(neg_lengths == seq_len)[0]
        if neg_used.size == 0:
            raise ValueError(f"no control sequence has the expected length ({seq_len})")
        neg = (neg_codes[neg_used, :seq_len], neg_used, np.nonzero(neg_lengths != seq_len)[0])

    pssms, probs_list = build_pssms(motifs, seq_len, pseudo_bg, pssm_bg, motif_pseudo, warnings)
    scanned = [i for i, p in enumerate(pssms) if p is not None]

    def scan(c: np.ndarray) -> BestSites:
        full = scan_best_sites(
            c,
            np.full(c.shape[0], seq_len),
            [pssms[i].matrix for i in scanned],
            rc_matrices=[pssms[i].rc_matrix for i in scanned] if both else None,
            both_strands=both,
            device=device,
            batch_size=batch_size,
        )
        return _expand_columns(full, scanned, len(motifs))

    best = scan(codes[used, :seq_len])
    neg_best = scan(neg[0]) if neg is not None else None

    pv_cache: dict = {}
    n_cols = len(motifs)

    def values(sites: BestSites, m: int) -> np.ndarray:
        return score_values(
            pssms[m], sites.score[:, m], use_pvalues, pssm_bg, seq_len, both, pv_cache, m
        )

    passing = np.zeros(best.score.shape, dtype=bool)
    neg_passing = None if neg_best is None else np.zeros(neg_best.score.shape, dtype=bool)
    thresholds = np.full(n_cols, np.nan)
    for m in scanned:
        thresholds[m] = motif_threshold(pssms[m], score_threshold, use_pvalues, use_lo_fraction)
        warning = weak_motif_warning(
            motifs[m],
            m,
            len(motifs),
            pssms[m],
            thresholds[m],
            use_pvalues,
            pssm_bg,
            seq_len,
            both,
            pv_cache,
        )
        if warning:
            warnings.append(warning)
        passing[:, m] = values(best, m) >= thresholds[m]
        if neg_best is not None:
            neg_passing[:, m] = values(neg_best, m) >= thresholds[m]

    log_pvalue_thresh = (
        min(0.0, math.log(ethresh) - math.log(n_motifs)) if ethresh > 0 else -math.inf
    )
    context = _Context(
        best,
        passing,
        neg_best,
        neg_passing,
        values,
        seq_len,
        flip,
        log_pvalue_thresh,
        motifs,
        db_index,
        probs_list,
        pssms,
        thresholds,
    )
    results: list[MotifResult] = []
    by_width: dict[int, list[int]] = {}
    for m in scanned:
        by_width.setdefault(pssms[m].width, []).append(m)
    progress = Progress("CentriMo: motifs analysed", len(scanned))
    for width, group in by_width.items():
        centers, spreads = _windows(seq_len, width, local, min_region, max_region, warnings)
        if spreads.size == 0:
            progress.update(len(group))
            continue
        # bound the (motifs x windows) arrays: --local has ~n_bins**2 / 2 windows
        chunk = max(1, _WINDOW_BUDGET // spreads.size)
        for c0 in range(0, len(group), chunk):
            results += _analyse_motifs(context, group[c0 : c0 + chunk], width, centers, spreads)
            progress.update(len(group[c0 : c0 + chunk]))
    results.sort(key=lambda r: (r.best.log_adj_pvalue, r.db_index, r.motif_index, r.best.center))
    return CentrimoResult(
        motifs=results,
        n_motifs=n_motifs,
        sequence_length=seq_len,
        sequence_index=used,
        skipped=skipped,
        best_sites=best,
        passing=passing,
        background=pssm_bg,
        pssms=pssms,
        flip=flip,
        neg_sequence_index=None if neg is None else neg[1],
        neg_skipped=[] if neg is None else neg[2].tolist(),
        neg_best_sites=neg_best,
        neg_passing=neg_passing,
        warnings=warnings,
    )


_WINDOW_BUDGET = 2**24  # motifs x windows evaluated at once


def _checked_score_threshold(
    score_threshold, use_pvalues: bool, use_lo_fraction: bool, min_region, max_region
) -> float:
    """The site score threshold (``--score`` or its default for the score kind), after
    checking the options that cannot go together."""
    if use_pvalues and use_lo_fraction:
        raise ValueError("use_pvalues and use_lo_fraction are exclusive")
    if score_threshold is None:
        score_threshold = (
            DEFAULT_PVALUE_THRESH
            if use_pvalues
            else DEFAULT_LO_FRACTION
            if use_lo_fraction
            else DEFAULT_SCORE_THRESH
        )
    if use_lo_fraction and not 0 < score_threshold <= 1:
        raise ValueError("with use_lo_fraction the score threshold must be in (0, 1]")
    if max_region and min_region and min_region >= max_region:
        raise ValueError("min_region must be smaller than max_region")
    return score_threshold


def _windows(
    seq_len: int, width: int, local: bool, min_region, max_region, warnings: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Centres and spreads (in positions) of the windows tested for motifs of one width:
    all centred ones, or with ``local`` all positions too; warnings about the region options
    go to ``warnings``."""
    min_win, max_win, warn = window_range(seq_len - width + 1, min_region, max_region)
    warnings.extend(dict.fromkeys(warn))
    if local:
        return local_windows(seq_len, width, min_win, max_win)
    spreads = central_windows(seq_len, width, min_win, max_win)
    return np.full(spreads.size, seq_len - 1, dtype=np.int64), spreads


@dataclass
class _Context:
    """What the window statistics of any motif need (internal to :func:`run_centrimo`)."""

    best: BestSites
    passing: np.ndarray
    neg_best: BestSites | None
    neg_passing: np.ndarray | None
    values: object  # (BestSites, motif) -> (n_seq,) threshold scores
    seq_len: int
    flip: bool
    log_pvalue_thresh: float
    motifs: list
    db_index: list
    probs_list: list
    pssms: list
    thresholds: np.ndarray


def _analyse_motifs(
    ctx: _Context, group: list[int], width: int, centers: np.ndarray, spreads: np.ndarray
) -> list[MotifResult]:
    """Counts, window statistics and best windows of motifs of one width.

    Parameters
    ----------
    group : list of int
        Input motif indices, all of width ``width``.
    centers, spreads : (n_windows,) int64
        The windows to test (doubled coordinates).
    """
    seq_len, flip = ctx.seq_len, ctx.flip
    n_bins = seq_len - width + 1
    counts = np.stack(
        [count_sites(ctx.best, ctx.passing, ctx.values, m, width, seq_len, flip) for m in group]
    )
    total = ctx.passing[:, group].sum(axis=0).astype(np.int64)
    neg_counts = neg_total = None
    if ctx.neg_best is not None:
        neg_counts = np.stack(
            [
                count_sites(ctx.neg_best, ctx.neg_passing, ctx.values, m, width, seq_len, flip)
                for m in group
            ]
        )
        neg_total = ctx.neg_passing[:, group].sum(axis=0).astype(np.int64)
    log_n_tests = math.log(spreads.size)
    sites, log_p, log_adj = _window_stats_all(counts, total, centers, spreads, n_bins, log_n_tests)
    results = []
    for k, m in enumerate(group):
        if total[k] == 0:
            continue  # no sites in the positive set, hence no windows
        windows = _best_windows(
            sites[k],
            log_p[k],
            log_adj[k],
            int(total[k]),
            centers,
            spreads,
            n_bins,
            log_n_tests,
            ctx.log_pvalue_thresh,
            None if neg_counts is None else neg_counts[k],
            None if neg_total is None else int(neg_total[k]),
        )
        if not windows:
            continue
        results.append(
            MotifResult(
                motif_index=m,
                db_index=ctx.db_index[m],
                motif=ctx.motifs[m],
                consensus=consensus(ctx.probs_list[m]),
                pssm=ctx.pssms[m],
                score_threshold=float(ctx.thresholds[m]),
                total_width=n_bins,
                mult_tests=int(spreads.size),
                total_sites=int(total[k]),
                neg_total_sites=0 if neg_total is None else int(neg_total[k]),
                windows=windows,
                site_counts=counts[k],
                neg_site_counts=None if neg_counts is None else neg_counts[k],
            )
        )
    return results


def _backgrounds(background, codes, lengths, both: bool) -> tuple[np.ndarray, np.ndarray]:
    """(PSSM background, pseudocount background) as MEME derives them."""
    if background is None:
        bg = sequence_background(codes, lengths)
        pssm_bg = symmetrize(bg) if both else bg
        pseudo_bg = normalize_frequencies(symmetrize(pssm_bg) if both else pssm_bg)
        return pssm_bg, pseudo_bg
    if isinstance(background, str):
        if background.strip("-").lower() != "uniform":
            raise ValueError(f"unknown background {background!r}")
        background = np.full(4, 0.25)
    bg = np.asarray(background, dtype=np.float64)
    if bg.shape != (4,) or np.any(bg < 0) or bg.sum() <= 0:
        raise ValueError("background must give 4 non-negative frequencies (A, C, G, T)")
    bg = normalize_frequencies(symmetrize(bg) if both else bg)
    return bg, bg


def _expand_columns(best: BestSites, columns: list[int], n_cols: int) -> BestSites:
    """Place the best sites of the scanned motifs at their input columns."""
    if len(columns) == n_cols:
        return best
    n = best.score.shape[0]
    out = BestSites(
        np.full((n, n_cols), NO_SITE, dtype=np.int32),
        np.zeros((n, n_cols), dtype=np.int32),
        np.full((n, n_cols), -1, dtype=np.int32),
        np.zeros((n, n_cols), dtype=np.int8),
        best.tie_seq,
        np.asarray(columns, dtype=np.int32)[best.tie_motif],
        best.tie_start,
        best.tie_strand,
    )
    out.score[:, columns] = best.score
    out.n_best[:, columns] = best.n_best
    out.start[:, columns] = best.start
    out.strand[:, columns] = best.strand
    return out


def _best_windows(
    sites: np.ndarray,
    log_p: np.ndarray,
    log_adj: np.ndarray,
    total: int,
    centers: np.ndarray,
    spreads: np.ndarray,
    n_bins: int,
    log_n_tests: float,
    log_pvalue_thresh: float,
    neg_counts: np.ndarray | None,
    neg_total: int | None,
) -> list[Window]:
    """The significant non-overlapping windows of one motif, best first (exact values).

    ``sites``, ``log_p`` and ``log_adj`` (n_windows,) come from the vectorised statistics;
    the candidates for the best window and those near the threshold are recomputed with
    the scalar port of MEME.
    """
    log_p, log_adj = log_p.copy(), log_adj.copy()
    bins = (spreads - 1) // 2 + 1
    # windows whose adjusted p-value is clamped to 1 far from the boundary need no check
    settled = (log_n_tests + log_p) > LOGMAXPROD + 1e-6
    tol = 1e-9 * np.maximum(1.0, np.abs(log_adj))
    near = (np.abs(log_adj - log_pvalue_thresh) <= tol) & ~settled
    candidate = log_adj <= log_pvalue_thresh + tol
    if not candidate.any():
        return []
    best_screen = log_adj[candidate].min()
    top = candidate & (log_adj <= best_screen + 1e-9 * max(1.0, abs(best_screen))) & ~settled
    exact = near | top
    for i in np.nonzero(exact)[0]:
        log_p[i] = log_binomial_tail(sites[i], total, int(bins[i]), n_bins)
        log_adj[i] = logev(log_n_tests, log_p[i])
    keep = np.nonzero(log_adj <= log_pvalue_thresh)[0]
    if keep.size == 0:
        return []
    order = keep[np.lexsort((centers[keep], spreads[keep], log_adj[keep]))]
    chosen = _remove_redundant(order, centers, spreads)
    cum_neg = None
    if neg_counts is not None:
        cum_neg = np.concatenate([[0.0], np.cumsum(neg_counts)])
    windows = []
    for rank, i in enumerate(chosen):
        if rank > 0 and not exact[i]:
            log_p[i] = log_binomial_tail(sites[i], total, int(bins[i]), n_bins)
            log_adj[i] = logev(log_n_tests, log_p[i])
        win = Window(
            int(centers[i]),
            int(spreads[i]),
            int(bins[i]),
            float(sites[i]),
            float(log_p[i]),
            float(log_adj[i]),
        )
        if cum_neg is not None:
            left, right = win.left, win.right
            win.neg_sites = float(cum_neg[right + 1] - cum_neg[left])
            win.neg_log_pvalue = log_binomial_tail(win.neg_sites, neg_total, win.n_bins, n_bins)
            win.neg_log_adj_pvalue = logev(log_n_tests, win.neg_log_pvalue)
            win.fisher_log_pvalue = log_fisher_pvalue(
                int(math.floor(win.sites + 0.5)),
                total,
                int(math.floor(win.neg_sites + 0.5)),
                neg_total,
            )
            win.fisher_log_adj_pvalue = logev(log_n_tests, win.fisher_log_pvalue)
        windows.append(win)
    return windows


def _remove_redundant(order: np.ndarray, centers: np.ndarray, spreads: np.ndarray) -> list[int]:
    """Drop windows overlapping a better one (``order`` is best to worst)."""
    kept: list[int] = []
    lefts, rights = [], []
    for i in order:
        half = (spreads[i] - 1) // 2
        left, right = centers[i] - half, centers[i] + half
        if any(r >= left and right >= le for le, r in zip(lefts, rights, strict=True)):
            continue
        kept.append(int(i))
        lefts.append(left)
        rights.append(right)
    return kept
