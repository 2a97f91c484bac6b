"""Motif-motif comparison that reproduces the MEME suite's Tomtom (version 5.5.6).

Tomtom (Gupta et al. 2007, Genome Biology 8:R24) scores every alignment of a query motif
against every target motif (and its reverse complement) as a sum of column-column scores,
and turns the best alignment's score into a p-value with a null distribution built from the
query's own scores against all target columns. This module follows the MEME suite's C code
step by step, so that its tables are the program's tables, not an approximation of them:

1. Motifs get a pseudocount of ``motif_pseudo`` (0.1) weighted by their ``nsites`` (20 when
   absent, truncated to an integer as MEME does), spread by the background.
2. Each query column is scored against every target column of both strands (``pearson``,
   ``ed`` or ``sandelin``); Pearson's running sums are rounded to 14 significant digits as
   MEME 5 does, so that near-ties break the same way.
3. In complete-score mode (the default) each query column's scores are shifted by their
   (MEME-style) median, so that leaving a column unaligned scores 0.
4. All scores of a query are scaled into integers 0..100 with one offset and scale.
5. The null distribution of the summed score of every run of query columns ``[s, e]`` is the
   convolution of the per-column score histograms (targets' columns as an "infinite
   alphabet" with uniform weight); its upper tail gives the alignment's p-value.
6. Incomplete scores: the best alignment (offset) is the one with the smallest p-value, and
   the target's p-value is ``1 - (1 - p)^n`` over the ``n`` alignments tried (both strands).
   Complete scores: the best alignment has the largest complete score, and its p-value is
   that of the maximum of independent complete scores over all alignments and strands.
7. E = p x number of targets; q-values are Storey's (bootstrap pi0 estimate, MEME's
   Mersenne-Twister draws) over the query's p-values against all targets and strands.

Everything is vectorised over target columns, alignments and targets; the only Python loop
is over queries. Nothing here imports torch.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import as_strided

from .meme_io import ALPHABET, Motif

MEME_VERSION = "5.5.6"
DISTANCES = ("pearson", "ed", "sandelin")
TSV_COLUMNS = [
    "Query_ID",
    "Target_ID",
    "Optimal_offset",
    "p-value",
    "E-value",
    "q-value",
    "Overlap",
    "Query_consensus",
    "Target_consensus",
    "Orientation",
]
FORMAT_URL = "https://meme-suite.org/meme/doc/tomtom-output-format.html"

BINS = 100  # integer range of one scaled column score (MEME's BINS)
DEFAULT_NSITES = 20  # site count assumed when a motif gives none (DEFAULT_SITE_COUNT)
SIGNIFICANT_DIGITS = 14  # MEME's RNDDIG: Pearson sums are rounded to this many digits
_MEME_LN10 = 2.30258509299405  # MEME's mylog10 divides by this truncated ln(10)

# q-value constants of MEME's qvalue.h
_MIN_PVALUES_FOR_PI0 = 100
_NUM_BOOTSTRAPS = 100
_NUM_BOOTSTRAP_SAMPLES = 1000
_NUM_LAMBDA = 100
_MAX_LAMBDA = 0.5
_MT_DEFAULT_SEED = 4357  # mtwist's seed when the program never seeds it (Tomtom does not)

UNIFORM_BACKGROUND = np.full(4, 0.25)


# --------------------------------------------------------------------------- motifs


def symmetric_background(background: np.ndarray | None) -> np.ndarray:
    """Background as MEME uses it for DNA pseudocounts: normalised, strand-symmetric.

    Parameters
    ----------
    background : ndarray, shape (4,), or None
        Letter frequencies A, C, G, T (None: uniform).

    Returns
    -------
    ndarray, shape (4,)
        Frequencies summing to 1 with A = T and C = G (the average of each pair), no zeros.
    """
    if background is None:
        return UNIFORM_BACKGROUND.copy()
    bg = np.asarray(background, dtype=float)
    if bg.shape != (4,) or np.any(bg < 0) or bg.sum() <= 0:
        raise ValueError(f"background must be 4 non-negative frequencies, got {bg!r}")
    bg = bg / bg.sum()
    bg = (bg + bg[::-1]) / 2  # ACGT reversed is the complement of each letter
    if np.any(bg == 0):  # MEME replaces zeros so that log-odds stay finite
        bg = (bg + 5e-7) / (bg + 5e-7).sum()
    return bg


def prepare_probs(
    motif: Motif, background: np.ndarray | None = None, motif_pseudo: float = 0.1
) -> np.ndarray:
    """The motif's letter frequencies as Tomtom scores them.

    Rows not summing to 1 within 1e-5 are normalised, then ``motif_pseudo`` pseudocounts
    are added: ``(p * nsites + pseudo * bg) / (nsites + pseudo)`` where nsites is truncated
    to an integer and is 20 when the motif has none (MEME's ``apply_pseudocount_to_motif``).

    Parameters
    ----------
    motif : Motif
        ``probs`` of shape (width, 4), columns A, C, G, T.
    background : ndarray, shape (4,), optional
        Background frequencies for the pseudocount (default uniform).
    motif_pseudo : float
        Total pseudocount per column (0 leaves the frequencies as they are).

    Returns
    -------
    ndarray, shape (width, 4)
    """
    probs = np.array(motif.probs, dtype=float)
    if probs.ndim != 2 or probs.shape[1] != 4 or probs.shape[0] < 1:
        raise ValueError(f"motif {motif.id}: expected a (width, 4) matrix, got {probs.shape}")
    # Sequential sum in letter order, as MEME's normalize_subarray.
    totals = ((probs[:, 0] + probs[:, 1]) + probs[:, 2]) + probs[:, 3]
    off = np.abs(1.0 - totals) >= 1e-5
    if np.any(off):
        probs[off] = probs[off] / totals[off, None]
    if motif_pseudo < 0:
        raise ValueError("motif_pseudo cannot be negative")
    if motif_pseudo == 0:
        return probs
    bg = UNIFORM_BACKGROUND if background is None else np.asarray(background, dtype=float)
    nsites = motif.nsites if motif.nsites is not None else 0.0
    sites = int(nsites) if nsites > 0 else DEFAULT_NSITES  # MEME stores it in an int
    total = sites + motif_pseudo
    return (probs * sites + motif_pseudo * bg) / total


def meme_consensus(probs: np.ndarray) -> str:
    """Most probable letter per column, with MEME's tie-breaking.

    Tomtom keeps the running maximum in single precision ("to maintain old rounding
    behaviour") and takes a later letter only when it is strictly larger than that float,
    so which of two equal letters wins depends on how the value rounds to float32.

    Parameters
    ----------
    probs : ndarray, shape (width, 4)

    Returns
    -------
    str
        One letter of ACGT per column.
    """
    probs = np.asarray(probs, dtype=float)
    best = np.zeros(len(probs), dtype=int)
    running = probs[:, 0].astype(np.float32).astype(float)
    for letter in range(1, 4):
        larger = probs[:, letter] > running
        best[larger] = letter
        running = np.where(larger, probs[:, letter].astype(np.float32).astype(float), running)
    return "".join(ALPHABET[i] for i in best)


# --------------------------------------------------------------------------- column scores


def round_significant(x: np.ndarray, digits: int = SIGNIFICANT_DIGITS) -> np.ndarray:
    """MEME's ``RND(x, digits, y)``: round to ``digits`` significant decimal digits.

    The decimal exponent comes from ``log(|x|) / 2.30258509299405`` exactly as in MEME's
    macro; values whose exponent falls within 1e-9 of an integer are redone with the C
    library's ``log`` (numpy's vectorised log may differ from it in the last bit).

    Parameters
    ----------
    x : ndarray, any shape

    Returns
    -------
    ndarray, same shape
    """
    x = np.asarray(x, dtype=float)
    magnitude = np.abs(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = np.log(magnitude) / _MEME_LN10
        near_integer = np.abs(exponent - np.rint(exponent)) < 1e-9
    if np.any(near_integer):
        exponent = exponent.copy()
        exponent[near_integer] = [
            math.log(v) / _MEME_LN10 if v > 0 else -np.inf for v in magnitude[near_integer]
        ]
    power = np.ceil((digits - 1) - exponent)
    power[~np.isfinite(power)] = 0.0
    factor = np.power(10.0, power)
    rounded = np.rint(factor * magnitude) / factor
    return np.where(x > 0, rounded, np.where(x < 0, -rounded, 0.0))


@dataclass
class _ScoreInputs:
    """What a distance needs of one side's columns, computed once."""

    cols: np.ndarray  # (n, 4) frequencies
    centred: np.ndarray | None = None  # (n, 4) frequencies - 1/4 (pearson)
    sum_squares: np.ndarray | None = None  # (n,) rounded sum of squared centred values


def _score_inputs(cols: np.ndarray, dist: str) -> _ScoreInputs:
    cols = np.ascontiguousarray(cols, dtype=float)
    if dist != "pearson":
        return _ScoreInputs(cols)
    centred = cols - 0.25
    total = round_significant(centred[:, 0] ** 2)
    for letter in range(1, 4):
        total = round_significant(total + centred[:, letter] ** 2)
    return _ScoreInputs(cols, centred, total)


def _column_scores(query: _ScoreInputs, target: _ScoreInputs, dist: str) -> np.ndarray:
    """Scores of every query column against every target column, MEME's arithmetic.

    Returns
    -------
    ndarray, shape (query columns, target columns)
        Larger is more similar.
    """
    if dist == "pearson":
        qc, tc = query.centred, target.centred
        numerator = round_significant(qc[:, 0, None] * tc[None, :, 0])
        for letter in range(1, 4):
            numerator = round_significant(numerator + qc[:, letter, None] * tc[None, :, letter])
        denominator = np.sqrt(query.sum_squares[:, None] * target.sum_squares[None, :])
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(denominator != 0, numerator / denominator, 0.0)
    qcols, tcols = query.cols, target.cols
    # Squared differences summed in letter order, as the C loop does.
    total = (qcols[:, 0, None] - tcols[None, :, 0]) ** 2
    for letter in range(1, 4):
        total += (qcols[:, letter, None] - tcols[None, :, letter]) ** 2
    if dist == "ed":
        np.sqrt(total, out=total)
        return np.negative(total, out=total)
    if dist == "sandelin":
        return np.subtract(2.0, total, out=total)
    raise ValueError(f"unknown distance {dist!r}; expected one of {', '.join(DISTANCES)}")


def column_scores(query_probs: np.ndarray, target_cols: np.ndarray, dist: str) -> np.ndarray:
    """Column-column similarity of Tomtom's distance ``dist`` (larger is more similar).

    Parameters
    ----------
    query_probs : ndarray, shape (q, 4)
    target_cols : ndarray, shape (t, 4)
    dist : {'pearson', 'ed', 'sandelin'}

    Returns
    -------
    ndarray, shape (q, t)
    """
    if dist not in DISTANCES:
        raise ValueError(f"unknown distance {dist!r}; expected one of {', '.join(DISTANCES)}")
    return _column_scores(_score_inputs(query_probs, dist), _score_inputs(target_cols, dist), dist)


# --------------------------------------------------------------------------- null model


def _shift_by_median(scores: np.ndarray) -> None:
    """Subtract each row's MEME-style median in place (complete-score mode).

    MEME averages the sorted values at ``floor(n/2) - 1`` and ``ceil(n/2) - 1``: the lower
    median for even ``n``, and for odd ``n`` the middle value averaged with the one below.
    """
    n = scores.shape[1]
    low = max(math.floor(0.5 * n) - 1, 0)
    high = max(math.ceil(0.5 * n) - 1, low)
    # One selection (two kth values cost numpy four times as much); the value below
    # position ``high`` is then the largest of the partition's left part.
    ordered = np.partition(scores, high, axis=1)
    upper = ordered[:, high]
    lower = upper if low == high else ordered[:, :high].max(axis=1)
    scores -= ((lower + upper) / 2.0)[:, None]


def _scale_scores(scores: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Scale scores to integers in 0..BINS as MEME's ``scale_score_matrix``.

    Returns
    -------
    scaled : ndarray of int32, same shape
        ``nint((score - offset) * scale)``.
    offset : float
        ``floor(min)``, an integer.
    scale : float
        ``floor(BINS / (max - offset))``, an integer.
    """
    offset, scale = _scale_parameters(float(scores.min()), float(scores.max()))
    scaled = (scores - offset) * scale
    scaled += 0.5  # nint of a non-negative value, as (int)(x + 0.5)
    return np.floor(scaled, out=scaled).astype(np.int32), float(offset), float(scale)


def _scale_parameters(small: float, large: float) -> tuple[float, float]:
    """MEME's offset ``floor(min)`` and scale ``floor(BINS / (max - offset))``."""
    if large == small:
        small = large - 1
    offset = math.floor(small)
    return float(offset), float(math.floor(BINS / (large - offset)))


def _scaled_exactly(scores: np.ndarray, complete: bool) -> tuple[np.ndarray, float, float]:
    """Median-shift (complete scores) and scale exact column scores; see
    :func:`_scaled_with_fixups` for the meaning of the results."""
    if complete:
        _shift_by_median(scores)
    scaled, offset, scale = _scale_scores(scores)
    return scaled, offset, scale


# Bound on |approximate - exact| Pearson score: MEME rounds each of the 4 running sums to
# 14 significant digits (relative change <= 5e-14, on sums bounded by the denominator),
# so the unrounded score differs by < 3e-13.
_PEARSON_APPROXIMATION_ERROR = 1e-12


def _pearson_exact_at(
    query: _ScoreInputs, target: _ScoreInputs, rows: np.ndarray, cols: np.ndarray
) -> np.ndarray:
    """MEME's Pearson score of the (query column, target column) pairs ``(rows, cols)``.

    Elementwise the same operations as :func:`_column_scores`, so the same bits.
    """
    qc, tc = query.centred[rows], target.centred[cols]
    numerator = round_significant(qc[:, 0] * tc[:, 0])
    for letter in range(1, 4):
        numerator = round_significant(numerator + qc[:, letter] * tc[:, letter])
    denominator = np.sqrt(query.sum_squares[rows] * target.sum_squares[cols])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator != 0, numerator / denominator, 0.0)


def _scaled_with_fixups(
    query: _ScoreInputs, target: _ScoreInputs, complete: bool
) -> tuple[np.ndarray, float, float]:
    """Scaled Pearson scores, exactly MEME's, without rounding every running sum.

    The scores are computed once without MEME's 14-digit rounding (one matrix product),
    which is within ``_PEARSON_APPROXIMATION_ERROR`` of MEME's. MEME's values are then
    computed only where they can change a result: around each row's median, around the
    smallest and largest shifted score, and where a scaled score lies so close to a rounding
    boundary that the difference could move it to the next integer.

    Returns
    -------
    scaled : ndarray of int32, shape (q, T)
        MEME's integer scores in 0..BINS.
    offset, scale : float
        MEME's scaling: scaled = nint((score - median - offset) * scale).
    """
    eta = _PEARSON_APPROXIMATION_ERROR
    q_inverse = np.zeros(len(query.sum_squares))
    np.divide(1.0, np.sqrt(query.sum_squares), out=q_inverse, where=query.sum_squares != 0)
    t_inverse = np.zeros(len(target.sum_squares))
    np.divide(1.0, np.sqrt(target.sum_squares), out=t_inverse, where=target.sum_squares != 0)
    approx = (query.centred * q_inverse[:, None]) @ (target.centred * t_inverse[:, None]).T

    def exact(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return _pearson_exact_at(query, target, rows, cols)

    if complete:
        median = _median_with_fixups(approx, eta, exact)
        approx -= median[:, None]
    else:
        median = np.zeros(len(approx))

    def exact_shifted(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return exact(rows, cols) - median[rows]  # MEME subtracts the median in place

    margin = 2 * eta
    small_approx, large_approx = float(approx.min()), float(approx.max())
    rows, cols = np.nonzero(approx <= small_approx + margin)
    small = float(exact_shifted(rows, cols).min())
    rows, cols = np.nonzero(approx >= large_approx - margin)
    large = float(exact_shifted(rows, cols).max())
    offset, scale = _scale_parameters(small, large)

    approx -= offset
    approx *= scale
    approx += 0.5
    scaled = np.floor(approx)
    approx -= scaled  # fractional part: near 0 or 1, the exact value may round the other way
    tolerance = 2 * margin * scale
    rows, cols = np.nonzero(np.abs(approx - 0.5) > 0.5 - tolerance)
    scaled = scaled.astype(np.int32)
    if len(rows):
        value = (exact_shifted(rows, cols) - offset) * scale + 0.5
        scaled[rows, cols] = np.floor(value).astype(np.int32)
    return scaled, offset, scale


def _median_with_fixups(approx: np.ndarray, eta: float, exact) -> np.ndarray:
    """MEME's row medians of exact scores known to within ``eta`` by ``approx``.

    Values certainly below (above) the two middle order statistics are counted; the order
    statistics are then read off the exact values of the few in between.
    """
    q, n = approx.shape
    low = max(math.floor(0.5 * n) - 1, 0)
    high = max(math.ceil(0.5 * n) - 1, low)
    ordered = np.partition(approx, high, axis=1)
    upper = ordered[:, high]
    lower = upper if low == high else ordered[:, :high].max(axis=1)
    floor_, ceiling = lower - 2 * eta, upper + 2 * eta
    below = np.count_nonzero(approx < floor_[:, None], axis=1)
    rows, cols = np.nonzero((approx >= floor_[:, None]) & (approx <= ceiling[:, None]))
    values = exact(rows, cols)
    order = np.lexsort((values, rows))
    values, rows = values[order], rows[order]
    first = np.searchsorted(rows, np.arange(q))
    return (values[first + low - below] + values[first + high - below]) / 2.0


@lru_cache(maxsize=None)
def _kernel_index(width: int) -> np.ndarray:
    """Index of the kernel entry in each cell of the blocked convolution matrix.

    For blocks of ``width`` values and a kernel of ``width`` entries, output block ``j`` is
    ``[block j-1, block j] @ M`` with ``M`` of shape (2 width, width); -1 marks zeros.
    """
    s = np.arange(2 * width)[:, None]
    r = np.arange(width)[None, :]
    index = np.where(s < width, r + width - s, r - (s - width))
    valid = np.where(s < width, s > r, r >= s - width)
    return np.where(valid, index, -1)


def _convolve_rows(rows: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Full convolution of each row with ``kernel`` as one blocked matrix product.

    Direct (not FFT) so that tiny tail probabilities keep their relative precision; the
    blocking turns it into one BLAS product of about twice the direct work.

    Parameters
    ----------
    rows : ndarray, shape (n, L)
    kernel : ndarray, shape (K,)

    Returns
    -------
    ndarray, shape (n, L + K - 1)
    """
    n, length = rows.shape
    width = len(kernel)
    if width == 1:
        return rows * kernel[0]
    blocks = -(-length // width)
    padded = np.zeros((n, (blocks + 2) * width))
    padded[:, width : width + length] = rows
    itemsize = padded.itemsize
    pairs = as_strided(
        padded,
        shape=(n, blocks + 1, 2 * width),
        strides=(padded.strides[0], width * itemsize, itemsize),
    ).reshape(n * (blocks + 1), 2 * width)
    matrix = np.append(kernel, 0.0)[_kernel_index(width)]
    out = (pairs @ matrix).reshape(n, (blocks + 1) * width)
    return out[:, : length + width - 1]


@dataclass
class _WindowTails:
    """Upper tails ``P(sum of scaled scores of query columns s..e >= k)``, all windows.

    Window ``w = s * q + e`` keeps its tail for k = base[w] .. base[w] + length[w] - 1 at
    ``values[start[w]:]``, followed by a 0; below ``base`` the tail is the total mass.
    """

    values: np.ndarray  # concatenated tails, each followed by a 0
    start: np.ndarray  # (q * q,)
    base: np.ndarray  # (q * q,) smallest possible summed score
    length: np.ndarray  # (q * q,)

    def lookup(self, window: np.ndarray, score: np.ndarray) -> np.ndarray:
        """Tail at ``score`` for each ``window`` (broadcast shapes)."""
        position = np.clip(score - self.base[window], 0, self.length[window])
        return self.values[self.start[window] + position]


def _window_tails(column_pmf: np.ndarray, cap: bool) -> _WindowTails:
    """Null distributions of the summed score of every run of query columns.

    Each run's distribution is the convolution of its columns' score distributions (MEME's
    ``get_pv_lookup_new``); columns are trimmed to the bins they use, which keeps every
    convolution as short as the scores allow. The windows ending at the same column share
    their last convolution, so each column costs one blocked matrix product.

    Parameters
    ----------
    column_pmf : ndarray, shape (q, BINS + 1)
        Distribution of each query column's scaled score over all target columns.
    cap : bool
        Cap tails at 1 (MEME's p-value lookup table) or leave them as summed.
    """
    q = len(column_pmf)
    used = column_pmf > 0
    low = np.argmax(used, axis=1)
    high = column_pmf.shape[1] - 1 - np.argmax(used[:, ::-1], axis=1)
    start = np.zeros((q, q), dtype=np.int64)
    base = np.zeros((q, q), dtype=np.int64)
    length = np.zeros((q, q), dtype=np.int64)
    blocks = []
    offset = 0
    current = np.zeros((0, 1))  # pmfs of windows [s, end - 1] for s < end, zero-padded
    current_base = np.zeros(0, dtype=np.int64)
    for end in range(q):
        kernel = column_pmf[end, low[end] : high[end] + 1]
        if end:
            grown = _convolve_rows(current, kernel)
            current = np.zeros((end + 1, grown.shape[1]))
            current[:end] = grown
        else:
            current = np.zeros((1, len(kernel)))
        current[end, : len(kernel)] = kernel
        current_base = np.append(current_base + low[end], low[end])
        width = current.shape[1]
        block = np.zeros((end + 1, width + 1))  # last column: 0 above every support
        np.cumsum(current[:, ::-1], axis=1, out=block[:, width - 1 :: -1])
        if cap:
            np.minimum(block, 1.0, out=block)
        start[: end + 1, end] = offset + np.arange(end + 1) * (width + 1)
        base[: end + 1, end] = current_base
        length[: end + 1, end] = width
        blocks.append(block.ravel())
        offset += block.size
    return _WindowTails(np.concatenate(blocks), start.ravel(), base.ravel(), length.ravel())


# --------------------------------------------------------------------------- targets


@dataclass
class _Targets:
    """All target motifs, both strands, in MEME's order (each original then its RC)."""

    ids: np.ndarray  # (N,) object: target motif IDs
    original: np.ndarray  # (N,) index of the original target motif
    strand: np.ndarray  # (N,) '+' or '-'
    lengths: np.ndarray  # (N,) widths
    col_start: np.ndarray  # (N,) first column in ``scores``
    db: np.ndarray  # (N,) database (file) index
    order_key: np.ndarray  # (N,) rank of MEME's strand-prefixed ID (last sort key)
    consensus: np.ndarray  # (N,) object: consensus of each strand's matrix
    score_inputs: _ScoreInputs  # all target columns
    n_original: int
    n_orient: int

    @property
    def n_columns(self) -> int:
        return int(self.lengths.sum())


def _prepare_targets(
    targets: Sequence[Motif],
    dist: str,
    norc: bool,
    motif_pseudo: float,
    background: np.ndarray | None,
    target_dbs: Sequence[int] | None,
) -> _Targets:
    if target_dbs is None:
        target_dbs = [0] * len(targets)
    if len(target_dbs) != len(targets):
        raise ValueError("target_dbs must give one database index per target")
    strands = ("+",) if norc else ("+", "-")
    ids, original, strand, lengths, db, consensus, cols = [], [], [], [], [], [], []
    for index, motif in enumerate(targets):
        probs = prepare_probs(motif, background, motif_pseudo)
        for sign in strands:
            matrix = probs if sign == "+" else probs[::-1, ::-1]
            ids.append(motif.id)
            original.append(index)
            strand.append(sign)
            lengths.append(len(matrix))
            db.append(int(target_dbs[index]))
            consensus.append(meme_consensus(matrix))
            cols.append(matrix)
    lengths_arr = np.array(lengths, dtype=np.int64)
    st_ids = [(s + i).encode() for s, i in zip(strand, ids, strict=True)]
    # MEME breaks p-value and overlap ties by database, then strcmp of "+ID"/"-ID".
    order_key = np.unique(np.array(st_ids, dtype=object), return_inverse=True)[1]
    return _Targets(
        ids=np.array(ids, dtype=object),
        original=np.array(original, dtype=np.int64),
        strand=np.array(strand, dtype=object),
        lengths=lengths_arr,
        col_start=np.concatenate([[0], np.cumsum(lengths_arr)[:-1]]).astype(np.int64),
        db=np.array(db, dtype=np.int64),
        order_key=order_key.astype(np.int64),
        consensus=np.array(consensus, dtype=object),
        score_inputs=_score_inputs(np.concatenate(cols), dist),
        n_original=len(targets),
        n_orient=len(strands),
    )


@dataclass
class _Layout:
    """Every alignment ("configuration") of a width-q query with every target.

    Arrays are (N targets, q + longest - 1); configuration c (column c - 1) puts query
    column i against target column i + c - q.
    """

    exists: np.ndarray  # configuration exists for this target's width
    allowed: np.ndarray  # ... and satisfies -min-overlap / -internal
    overlap: np.ndarray  # aligned columns
    offset: np.ndarray  # target column of query column 0 (MEME's Optimal_offset)
    window: np.ndarray  # s * q + e of the aligned query columns s..e
    unaligned: np.ndarray  # q - overlap
    position: np.ndarray  # index into the diagonal sums of the padded score matrix
    n_allowed: np.ndarray  # (N,) allowed configurations
    column_map: np.ndarray  # (T,) column of each target column in the padded matrix
    padded_width: int


def _layout(q: int, targets: _Targets, min_overlap: int, internal: bool) -> _Layout:
    lengths = targets.lengths[:, None]
    config = np.arange(1, q + int(targets.lengths.max()))[None, :]
    exists = config <= q + lengths - 1
    query_start = np.where(config <= q, q - config, 0)
    target_start = np.where(config <= q, 0, config - q)
    overlap = np.maximum(np.minimum(q - query_start, lengths - target_start), 1)
    if internal:
        first, last = np.minimum(q, lengths), np.maximum(q, lengths)
    elif min_overlap > 1:
        least = np.minimum(np.minimum(min_overlap, q), lengths)
        first, last = least, q + lengths - least
    else:
        first, last = 1, q + lengths - 1
    allowed = exists & (config >= first) & (config <= last)
    # Targets sit in one row of width padded_width, separated by q - 1 zero columns, so
    # that the sum along a diagonal of the (q, padded_width) matrix is one alignment score.
    gap = q - 1
    starts = targets.col_start + gap * (np.arange(len(targets.lengths)) + 1)
    padded_width = targets.n_columns + gap * (len(targets.lengths) + 1)
    column_map = np.repeat(starts - targets.col_start, targets.lengths) + np.arange(
        targets.n_columns
    )
    offset = config - q
    position = np.where(exists, starts[:, None] + offset, 0)
    return _Layout(
        exists=exists,
        allowed=allowed,
        overlap=overlap,
        offset=np.broadcast_to(offset, exists.shape),
        window=query_start * q + query_start + overlap - 1,
        unaligned=q - overlap,
        position=position,
        n_allowed=allowed.sum(axis=1),
        column_map=column_map,
        padded_width=padded_width,
    )


def _alignment_scores(scaled: np.ndarray, layout: _Layout) -> np.ndarray:
    """Summed scaled score of every alignment, shape (N, configurations)."""
    q = scaled.shape[0]
    padded = np.zeros((q, layout.padded_width), dtype=np.int32)
    padded[:, layout.column_map] = scaled
    n_diagonals = layout.padded_width - q + 1
    itemsize = padded.itemsize
    diagonals = as_strided(
        padded, shape=(q, n_diagonals), strides=((layout.padded_width + 1) * itemsize, itemsize)
    ).sum(axis=0, dtype=np.int32)
    return diagonals[layout.position]


def _pick_best(score: np.ndarray, overlap: np.ndarray) -> np.ndarray:
    """Column of the best entry per row: lowest ``score``, then largest overlap, then first.

    ``score`` must be +inf where a configuration is not allowed.
    """
    best = score.min(axis=1, keepdims=True)
    ties = score == best
    tied_overlap = np.where(ties, overlap, -1)
    return np.argmax(ties & (overlap == tied_overlap.max(axis=1, keepdims=True)), axis=1)


def _extreme_value_pvalue(p: np.ndarray, n: np.ndarray) -> np.ndarray:
    """MEME's ``EV(p, n)``: p-value of the best of ``n`` independent tries."""
    pn = p * n
    with np.errstate(invalid="ignore"):
        return np.where(pn < 0.001, pn, 1.0 - np.power(1.0 - p, n.astype(float)))


# --------------------------------------------------------------------------- q-values


class MemeRandom:
    """MEME's program-wide Mersenne Twister (``drand_mt``), as Tomtom uses it.

    Tomtom never seeds it, so mtwist seeds itself with 4357 by Knuth's old multiplier;
    ``drand_mt`` is mtwist's 64-bit ``mt_ldrand`` (two 32-bit draws). numpy's MT19937 is
    the same generator once given the same state, in the reference implementation's order.
    """

    def __init__(self, seed: int = _MT_DEFAULT_SEED):
        key = np.empty(624, dtype=np.uint64)
        key[0] = seed & 0xFFFFFFFF
        for i in range(1, 624):
            key[i] = (69069 * int(key[i - 1])) & 0xFFFFFFFF
        self._bits = np.random.MT19937()
        self._bits.state = {
            "bit_generator": "MT19937",
            "state": {"key": key.astype(np.uint32), "pos": 624},
        }

    def words(self, n: int) -> np.ndarray:
        """The 2n 32-bit draws behind ``n`` calls of ``drand_mt``, shape (2n,)."""
        return self._bits.random_raw(2 * n).astype(np.uint32)

    @staticmethod
    def doubles(words: np.ndarray) -> np.ndarray:
        """``drand_mt`` values from pairs of draws: (high * 2^32 + low) * 2^-64.

        The sum of two exact doubles rounds once, as C's uint64-to-double conversion does.
        """
        high = words[0::2].astype(np.float64)
        return (high * 4294967296.0 + words[1::2]) * 2.0**-64

    def ldrand(self, n: int) -> np.ndarray:
        """``n`` doubles in [0, 1), each from two 32-bit draws (high word first)."""
        return self.doubles(self.words(n))


_BOOTSTRAP_ROWS = np.repeat(np.arange(_NUM_BOOTSTRAPS), _NUM_BOOTSTRAP_SAMPLES) * (_NUM_LAMBDA + 1)
_LAMBDAS = ((np.arange(_NUM_LAMBDA) + 1.0) / _NUM_LAMBDA) * _MAX_LAMBDA
PI_ZERO_DRAWS = _NUM_BOOTSTRAPS * _NUM_BOOTSTRAP_SAMPLES  # drand_mt calls per estimate


def estimate_pi_zero(sorted_pvalues: np.ndarray, draws: MemeRandom | np.ndarray) -> float:
    """Storey's (2002) bootstrap estimate of the null proportion, as MEME's qvalue.c.

    Parameters
    ----------
    sorted_pvalues : ndarray, shape (m,)
        Ascending.
    draws : MemeRandom or ndarray of uint32, shape (2 * PI_ZERO_DRAWS,)
        The generator to draw 100 bootstraps of 1,000 p-values from, or its draws.

    Returns
    -------
    float
        pi0 in [0, 1].
    """
    m = len(sorted_pvalues)
    first_at_least = np.searchsorted(sorted_pvalues, _LAMBDAS, side="left")

    def pi_zero(n_greater: np.ndarray, n_values: int) -> np.ndarray:
        estimate = n_greater / ((1.0 - _LAMBDAS) * n_values)
        return np.where(estimate == 0, np.inf, estimate)

    pi_zeroes = pi_zero(m - first_at_least, m)
    minimum = pi_zeroes.min()
    if isinstance(draws, MemeRandom):
        draws = draws.words(PI_ZERO_DRAWS)
    picks = (MemeRandom.doubles(draws) * float(m)).astype(np.int64)  # (int)(drand * n)
    np.minimum(picks, m - 1, out=picks)
    # p[pick] >= lambda  <=>  pick >= first_at_least[lambda] (p sorted), so count the picks
    # of each bootstrap by how many lambdas they reach.
    reached = np.searchsorted(first_at_least, np.arange(m), side="right")[picks]
    counts = np.bincount(_BOOTSTRAP_ROWS + reached, minlength=_NUM_BOOTSTRAPS * (_NUM_LAMBDA + 1))
    counts = counts.reshape(_NUM_BOOTSTRAPS, _NUM_LAMBDA + 1)
    at_least = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1][:, 1:]  # picks reaching lambda l
    boot = pi_zero(at_least, _NUM_BOOTSTRAP_SAMPLES)
    with np.errstate(invalid="ignore"):
        squared = (boot - minimum) ** 2
    errors = np.zeros(_NUM_LAMBDA)
    for row in squared:  # in bootstrap order, as the C loop adds them
        errors += row
    best = 0  # the C loop keeps the first strict minimum, and never leaves a NaN start
    if not np.isnan(errors[0]):
        best = int(np.argmin(np.where(np.isnan(errors), np.inf, errors)))
    return float(min(max(pi_zeroes[best], 0.0), 1.0))


def meme_qvalues(
    sorted_pvalues: np.ndarray, draws: MemeRandom | np.ndarray | None = None
) -> np.ndarray:
    """MEME's ``compute_qvalues`` (estimating pi0 when there are more than 100 p-values).

    Parameters
    ----------
    sorted_pvalues : ndarray, shape (m,)
        Ascending p-values.
    draws : MemeRandom or ndarray, optional
        Generator (or its draws) for pi0's bootstraps; a fresh MEME generator if None.

    Returns
    -------
    ndarray, shape (m,)
    """
    p = np.asarray(sorted_pvalues, dtype=float)
    m = len(p)
    if m == 0:
        return p.copy()
    pi_zero = 1.0
    if m > _MIN_PVALUES_FOR_PI0:
        pi_zero = estimate_pi_zero(p, draws if draws is not None else MemeRandom())
    fdr = np.minimum(1.0, (pi_zero * p * float(m)) / (np.arange(m) + 1.0))
    if m == 1:
        return fdr
    return np.minimum.accumulate(fdr[::-1])[::-1]


# --------------------------------------------------------------------------- comparison


@dataclass
class _QueryResult:
    """Per target entry (both strands): best alignment and its statistics."""

    pvalue: np.ndarray
    evalue: np.ndarray
    offset: np.ndarray
    overlap: np.ndarray


def _compare_query(
    probs: np.ndarray,
    targets: _Targets,
    layout: _Layout,
    dist: str,
    complete: bool,
) -> _QueryResult:
    q = len(probs)
    query_inputs = _score_inputs(probs, dist)
    if dist == "pearson":
        scaled, offset, scale = _scaled_with_fixups(query_inputs, targets.score_inputs, complete)
    else:
        scores = _column_scores(query_inputs, targets.score_inputs, dist)
        scaled, offset, scale = _scaled_exactly(scores, complete)
    n_columns = scaled.shape[1]
    counts = np.bincount(
        (scaled + (np.arange(q) * (BINS + 1))[:, None]).ravel(), minlength=q * (BINS + 1)
    )
    column_pmf = counts.reshape(q, BINS + 1) * (1.0 / n_columns)
    tails = _window_tails(column_pmf, cap=not complete)
    sums = _alignment_scores(scaled, layout)
    rows = np.arange(len(sums))
    if complete:
        # Score of the unaligned query columns at their (shifted) median, i.e. raw 0.
        unit = int(offset * scale)  # integer, <= 0
        complete_score = sums + layout.overlap * unit
        choice = _pick_best(np.where(layout.allowed, -complete_score, np.inf), layout.overlap)
        best = complete_score[rows, choice] - q * unit
        pvalue = _max_of_alignments_pvalue(best, tails, layout, -unit, targets.n_orient)
        pvalue = pvalue.astype(np.float32)
        n_all = np.float32(len(targets.lengths))
        evalue = (pvalue * n_all) / np.float32(targets.n_orient)  # float arithmetic in C
        return _QueryResult(
            pvalue.astype(float),
            evalue.astype(float),
            layout.offset[rows, choice],
            layout.overlap[rows, choice],
        )
    lookup = tails.lookup(layout.window, sums)
    choice = _pick_best(np.where(layout.allowed, lookup, np.inf), layout.overlap)
    tries = layout.n_allowed * targets.n_orient
    pvalue = _extreme_value_pvalue(lookup[rows, choice], tries)
    evalue = pvalue * float(targets.n_original)
    return _QueryResult(
        pvalue, evalue, layout.offset[rows, choice], layout.overlap[rows, choice]
    )


def _max_of_alignments_pvalue(
    best: np.ndarray, tails: _WindowTails, layout: _Layout, unit: int, n_orient: int
) -> np.ndarray:
    """P(max over all alignments and strands of the complete score >= best), per target.

    Each alignment's complete score is its window's sum shifted by ``unit`` per unaligned
    query column; the alignments are taken as independent (MEME's
    ``calc_shifted_scores_pvalues_per_query``, which ignores -min-overlap here).
    ``1 - prod(1 - S)`` is computed as ``-expm1(sum(log1p(-S)))`` to keep tiny tails exact.
    """
    tail = np.minimum(tails.lookup(layout.window, best[:, None] - layout.unaligned * unit), 1.0)
    with np.errstate(divide="ignore"):
        log_below = np.log1p(-tail)
    log_below = np.where(layout.exists, log_below, 0.0)
    return -np.expm1(n_orient * log_below.sum(axis=1))


def compare_motifs(
    queries: Sequence[Motif],
    targets: Sequence[Motif],
    dist: str = "pearson",
    min_overlap: int = 1,
    incomplete_scores: bool = False,
    norc: bool = False,
    motif_pseudo: float = 0.1,
    background: np.ndarray | None = None,
    internal: bool = False,
    target_dbs: Sequence[int] | None = None,
    thresh: float | None = None,
    evalue: bool = False,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Compare query motifs with target motifs as MEME suite 5.5.6's ``tomtom``.

    Parameters
    ----------
    queries, targets : sequence of Motif
        ``probs`` of shape (width, 4), ACGT; ``nsites`` weighs the pseudocount (20 if None).
        Target IDs should be unique within a database (MEME drops repeats when reading).
    dist : {'pearson', 'ed', 'sandelin'}
        Column similarity (MEME's ``-dist``; its command-line default is ``ed``).
    min_overlap : int
        Minimum aligned columns (``-min-overlap``; capped at the shorter motif's width).
    incomplete_scores : bool
        Score only aligned columns (``-incomplete-scores``); default complete scores.
    norc : bool
        Do not compare with reverse complements of the targets (``-norc``).
    motif_pseudo : float
        Pseudocount added to every motif (``-motif-pseudo``).
    background : ndarray, shape (4,), optional
        Letter frequencies for the pseudocount (the CLI uses the query file's, made
        strand-symmetric); default uniform.
    internal : bool
        Only alignments where one motif lies inside the other (``-internal``).
    target_dbs : sequence of int, optional
        Database (file) index of each target, used only to break ties as MEME does.
    thresh : float, optional
        Keep only rows with q-value (E-value with ``evalue``) <= thresh; None keeps all.
    evalue : bool
        Threshold on E-values instead of q-values.
    n_jobs : int, optional
        Threads over queries (default: the CPUs this process may use, at most 8). The
        result does not depend on it.

    Returns
    -------
    pandas.DataFrame
        MEME's tomtom.tsv columns, one row per (query, target) with the target's better
        strand; queries in input order, each query's rows by increasing p-value (ties: larger
        overlap, database, strand-prefixed ID). p-, E- and q-values are the doubles MEME
        computes (complete-score p-values are single precision, as in MEME); the writer
        prints them as MEME does, through a float.
    """
    if dist not in DISTANCES:
        raise ValueError(f"unknown distance {dist!r}; expected one of {', '.join(DISTANCES)}")
    if min_overlap < 0:
        raise ValueError("min_overlap cannot be negative")
    if len(queries) == 0 or len(targets) == 0:
        return pd.DataFrame({name: pd.Series(dtype=_COLUMN_DTYPES[name]) for name in TSV_COLUMNS})
    complete = not incomplete_scores
    prepared = _prepare_targets(targets, dist, norc, motif_pseudo, background, target_dbs)
    query_probs = [prepare_probs(query, background, motif_pseudo) for query in queries]
    layouts = {
        q: _layout(q, prepared, int(min_overlap), internal)
        for q in sorted({len(probs) for probs in query_probs})
    }

    def process(index: int, draws: np.ndarray | None) -> dict[str, np.ndarray]:
        probs = query_probs[index]
        result = _compare_query(probs, prepared, layouts[len(probs)], dist, complete)
        rows = _query_rows(
            queries[index].id, meme_consensus(probs), result, prepared, draws
        )
        if thresh is not None:
            kept = rows["E-value" if evalue else "q-value"] <= thresh
            rows = {name: values[kept] for name, values in rows.items()}
        return rows

    # MEME draws pi0's bootstraps from one generator, query after query: draw them here in
    # that order and hand each query its own.
    rng = MemeRandom()
    uses_draws = len(prepared.lengths) > _MIN_PVALUES_FOR_PI0

    def draws_for_next() -> np.ndarray | None:
        return rng.words(PI_ZERO_DRAWS) if uses_draws else None

    n_jobs = _default_jobs() if n_jobs is None else max(1, int(n_jobs))
    pieces: list[dict[str, np.ndarray]] = []
    with _single_threaded_blas():
        if n_jobs == 1 or len(queries) == 1:
            pieces = [process(i, draws_for_next()) for i in range(len(queries))]
        else:
            with ThreadPoolExecutor(n_jobs) as pool:
                pending: deque = deque()
                for index in range(len(queries)):
                    pending.append(pool.submit(process, index, draws_for_next()))
                    if len(pending) >= 2 * n_jobs:  # bounded look-ahead keeps memory small
                        pieces.append(pending.popleft().result())
                pieces.extend(future.result() for future in pending)
    return pd.DataFrame(
        {
            name: np.concatenate([piece[name] for piece in pieces]).astype(
                _COLUMN_DTYPES[name], copy=False
            )
            for name in TSV_COLUMNS
        }
    )


_COLUMN_DTYPES = {
    "Query_ID": object,
    "Target_ID": object,
    "Optimal_offset": np.int64,
    "p-value": float,
    "E-value": float,
    "q-value": float,
    "Overlap": np.int64,
    "Query_consensus": object,
    "Target_consensus": object,
    "Orientation": object,
}


def _default_jobs() -> int:
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(available, 8))


@contextlib.contextmanager
def _single_threaded_blas():
    """Keep BLAS to one thread: the products here are small, and threads over queries do
    better than BLAS threads, which spin and slow them down."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: results are the same, only slower
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _query_rows(
    query_id: str,
    query_consensus: str,
    result: _QueryResult,
    targets: _Targets,
    draws: np.ndarray | None,
) -> dict[str, np.ndarray]:
    """Sort one query's matches as MEME does, add q-values, keep each target's best strand."""
    order = np.lexsort((targets.order_key, targets.db, -result.overlap, result.pvalue))
    qvalue = np.empty(len(order))
    qvalue[order] = meme_qvalues(result.pvalue[order], draws)
    _, first = np.unique(targets.original[order], return_index=True)
    keep = order[np.sort(first)]
    return {
        "Query_ID": np.full(len(keep), query_id, dtype=object),
        "Target_ID": targets.ids[keep],
        "Optimal_offset": result.offset[keep],
        "p-value": result.pvalue[keep],
        "E-value": result.evalue[keep],
        "q-value": qvalue[keep],
        "Overlap": result.overlap[keep],
        "Query_consensus": np.full(len(keep), query_consensus, dtype=object),
        "Target_consensus": targets.consensus[keep],
        "Orientation": targets.strand[keep],
    }


def apply_threshold(table: pd.DataFrame, thresh: float = 0.5, evalue: bool = False) -> pd.DataFrame:
    """Rows MEME prints: q-value (or E-value with ``evalue``) at most ``thresh``.

    MEME stops at the first match over the threshold; rows are sorted by p-value within a
    query and q- and E-values grow with p, so this is the same as keeping those at or below.
    """
    column = "E-value" if evalue else "q-value"
    return table[table[column] <= thresh].reset_index(drop=True)


# --------------------------------------------------------------------------- output


def _meme_g(value: float) -> str:
    """``%g`` of a double that MEME first copied into a float."""
    return "%g" % float(np.float32(value))


def format_tsv(table: pd.DataFrame, command_line: str | None = None) -> str:
    """MEME's tomtom.tsv: header, one line per row, a blank line and three comment lines.

    Parameters
    ----------
    table : DataFrame
        From :func:`compare_motifs` (thresholded as wanted).
    command_line : str, optional
        The command as typed, for the last comment line (default: ``tomtom``).
    """
    from . import __version__

    lines = ["\t".join(TSV_COLUMNS)]
    for row in table.itertuples(index=False, name=None):
        query, target, offset, p, e, q, overlap, query_cons, target_cons, strand = row
        lines.append(
            f"{query}\t{target}\t{int(offset)}\t{_meme_g(p)}\t{_meme_g(e)}\t{_meme_g(q)}"
            f"\t{int(overlap)}\t{query_cons}\t{target_cons}\t{strand}"
        )
    lines += [
        "",
        f"# Tomtom (Motif Comparison Tool): Version {MEME_VERSION} "
        f"(reimplemented in deepcons {__version__})",
        f"# The format of this file is described at {FORMAT_URL}.",
        f"# {command_line or 'tomtom'}",
    ]
    return "\n".join(lines) + "\n"


def write_tsv(path: str | os.PathLike, table: pd.DataFrame, command_line: str | None = None) -> None:
    """Write :func:`format_tsv` to ``path`` atomically."""
    from .atomic import atomic_write_text

    atomic_write_text(path, format_tsv(table, command_line))


def read_tsv(path: str | os.PathLike) -> pd.DataFrame:
    """Read a tomtom.tsv (MEME's or ours) into the columns of :func:`compare_motifs`."""
    return pd.read_csv(path, sep="\t", comment="#", skip_blank_lines=True)
