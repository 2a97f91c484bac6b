"""Each sequence's best sites: threshold values and counts at doubled positions (step 3)."""

from __future__ import annotations

import math

import numpy as np

from ..motif_scan import NO_SITE, BestSites
from .pssm import ScaledPSSM, pvalue_table
from .statistics import logev


def _doubled_position(start, strand, width: int, seq_len: int, flip: bool) -> np.ndarray:
    """Doubled site-centre positions; with ``flip`` - strand sites are reflected."""
    start = np.asarray(start, dtype=np.int64)
    pos = 2 * start + width - 1
    if flip:
        pos = np.where(np.asarray(strand) < 0, 2 * (seq_len - start) - width - 1, pos)
    return pos


def counted_sites(best: BestSites, passing: np.ndarray, m: int, width: int, seq_len, flip):
    """(row, doubled position, strand, weight) of every counted best site of motif m."""
    col_pass = passing[:, m]
    single = col_pass & (best.n_best[:, m] == 1)
    rows_1 = np.nonzero(single)[0]
    lo, hi = np.searchsorted(best.tie_motif, [m, m + 1])
    t_seq = best.tie_seq[lo:hi].astype(np.int64)
    keep = col_pass[t_seq]
    t_seq = t_seq[keep]
    t_start = best.tie_start[lo:hi][keep]
    t_strand = best.tie_strand[lo:hi][keep]
    seq = np.concatenate([rows_1, t_seq])
    start = np.concatenate([best.start[rows_1, m], t_start])
    strand = np.concatenate([best.strand[rows_1, m], t_strand]).astype(np.int8)
    weight = np.concatenate([np.ones(rows_1.size), 1.0 / best.n_best[t_seq, m]])
    pos = _doubled_position(start, strand, width, seq_len, flip)
    return seq, pos, strand, weight


def count_sites(
    best: BestSites,
    passing: np.ndarray,
    values,
    m: int,
    width: int,
    seq_len: int,
    flip: bool,
) -> np.ndarray:
    """Best-site counts of motif m at each doubled position, summed in MEME's order.

    MEME adds the sequences' counts from the best score down (ties by sequence number);
    the order only matters for fractional counts, so it is followed when there are any.
    ``values(best, m)`` gives the (n_seq,) scores that MEME sorts by.

    Returns
    -------
    (2 * seq_len - 1,) float64
    """
    seq, pos, _, weight = counted_sites(best, passing, m, width, seq_len, flip)
    if np.any(weight != 1.0):
        rank = np.empty(best.score.shape[0], dtype=np.int64)
        order = np.lexsort((np.arange(rank.size), -values(best, m)))
        rank[order] = np.arange(rank.size)
        within = np.arange(seq.size)  # rows of one sequence are already in site order
        key = np.lexsort((within, rank[seq]))
        pos, weight = pos[key], weight[key]
    return np.bincount(pos, weights=weight, minlength=2 * seq_len - 1)


def score_values(
    pssm: ScaledPSSM,
    scores: np.ndarray,
    use_pvalues: bool,
    bg: np.ndarray,
    seq_len: int,
    both_strands: bool,
    pv_cache: dict,
    key: int,
) -> np.ndarray:
    """The value MEME compares with the threshold for each best scaled score.

    Bits (``score / scale + w * offset``), or with ``use_pvalues`` minus the site p-value
    adjusted for the ``2 (L - w + 1)`` sites of a sequence. NaN where there is no site.
    """
    out = np.full(scores.shape, np.nan)
    has = scores != NO_SITE
    if not use_pvalues:
        out[has] = scores[has] / pssm.scale + pssm.width * pssm.offset
        return out
    if key not in pv_cache:
        pv_cache[key] = pvalue_table(pssm, bg)
    table = pv_cache[key]
    end = seq_len - pssm.width + 1
    log_ntests = math.log(2 * end) if both_strands else math.log(end)
    uniq, inverse = np.unique(np.minimum(scores[has], table.size - 1), return_inverse=True)
    # few distinct scores: compute each with MEME's scalar arithmetic
    adjusted = [-math.exp(logev(log_ntests, math.log(table[u]))) for u in uniq]
    out[has] = np.asarray(adjusted)[inverse]
    return out


def motif_threshold(
    pssm: ScaledPSSM, threshold: float, use_pvalues: bool, use_lo_fraction: bool
) -> float:
    """The per-motif threshold on :func:`score_values` (MEME's ``score_thresh``)."""
    if use_pvalues:
        return -threshold
    if use_lo_fraction:
        # a hair under the fraction: a site at exactly that fraction of the maximum, its bits
        # summed in another order, must not be lost to the last bit of a double
        return (1 - 1e-15) * threshold * pssm.max_bits
    return threshold


def weak_motif_warning(
    motif, m, n, pssm, threshold, use_pvalues, bg, seq_len, both, pv_cache
) -> str | None:
    """MEME's message for a motif whose best possible site cannot pass the threshold."""
    where = f"Skipping motif {motif.id} ({m + 1}/{n}) of width {pssm.width}"
    if use_pvalues:
        if m not in pv_cache:
            pv_cache[m] = pvalue_table(pssm, bg)
        log_ntests = math.log(2 * seq_len) if both else math.log(seq_len)
        min_adj = math.exp(logev(log_ntests, math.log(pv_cache[m][pssm.max_score])))
        if min_adj > -threshold:
            return (
                f"{where} because its minimum adjusted p-value ({min_adj:.3g}) is greater "
                f"than the score threshold ({-threshold:.3g})."
            )
    elif pssm.max_bits < threshold:
        return (
            f"{where} because its maximum score ({pssm.max_bits:.2f}) is less than the "
            f"score threshold ({threshold:.2f})."
        )
    return None
