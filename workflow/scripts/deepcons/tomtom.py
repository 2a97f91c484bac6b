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
   convolution of the per-column score histograms (the targets' columns as an "infinite
   alphabet" with uniform weights); its upper tail gives an alignment's p-value.
6. Incomplete scores: the best alignment (offset) is the one with the smallest p-value, and
   the target's p-value is ``1 - (1 - p)^n`` over the ``n`` alignments tried (both strands).
   Complete scores: the best alignment has the largest complete score, and its p-value is
   that of the maximum of independent complete scores over all alignments and strands.
7. E = p x number of targets; q-values are Storey's (bootstrap pi0 estimate, drawn from
   MEME's own Mersenne Twister sequence) over the query's p-values against all targets and
   strands.

Everything is vectorised over target columns, alignments and targets; the only Python loop
is over queries, which run in forked worker processes (threads where the platform cannot
fork). Nothing here imports torch.

Where exactness costs: Pearson scores are first computed without MEME's per-sum rounding
and then recomputed with it only where the last bits can change a result (see
:func:`_scaled_pearson`); the Euclidean distance uses scipy's ``cdist``, whose summation
order is MEME's (checked bit for bit by the tests).
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from scipy.spatial.distance import cdist

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
_COLUMN_DTYPES = {
    "Query_ID": object,
    "Target_ID": object,
    "Optimal_offset": np.int64,
    "p-value": np.float64,
    "E-value": np.float64,
    "q-value": np.float64,
    "Overlap": np.int64,
    "Query_consensus": object,
    "Target_consensus": object,
    "Orientation": object,
}
FORMAT_URL = "https://meme-suite.org/meme/doc/tomtom-output-format.html"

BINS = 100  # integer range of one scaled column score (MEME's BINS)
DEFAULT_NSITES = 20  # site count assumed when a motif gives none (DEFAULT_SITE_COUNT)
SIGNIFICANT_DIGITS = 14  # MEME's RNDDIG: Pearson sums are rounded to this many digits
_MEME_LN10 = 2.30258509299405  # MEME's mylog10 divides by this truncated ln(10)
MIN_TARGETS = 50  # MEME warns that p-values are inaccurate with fewer target motifs

# q-value constants of MEME's qvalue.h
_MIN_PVALUES_FOR_PI0 = 100
_NUM_BOOTSTRAPS = 100
_NUM_BOOTSTRAP_SAMPLES = 1000
_NUM_LAMBDA = 100
_MAX_LAMBDA = 0.5
_MT_DEFAULT_SEED = 4357  # mtwist seeds itself with this when never seeded (Tomtom never is)
PI_ZERO_DRAWS = _NUM_BOOTSTRAPS * _NUM_BOOTSTRAP_SAMPLES  # drand_mt calls per pi0 estimate

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
        Frequencies summing to 1 with A = T and C = G (each pair's average), no zeros.
    """
    if background is None:
        return UNIFORM_BACKGROUND.copy()
    bg = np.asarray(background, dtype=float)
    if bg.shape != (4,) or np.any(bg < 0) or bg.sum() <= 0:
        raise ValueError(f"background must be 4 non-negative frequencies, got {bg!r}")
    bg = bg / bg.sum()
    bg = (bg + bg[::-1]) / 2  # ACGT reversed is each letter's complement
    if np.any(bg == 0):  # MEME keeps backgrounds free of zeros
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
    if np.any(probs < 0) or not np.all(np.isfinite(probs)):
        raise ValueError(f"motif {motif.id}: probabilities must be finite and non-negative")
    # Summed in letter order, as MEME's normalize_subarray does.
    totals = ((probs[:, 0] + probs[:, 1]) + probs[:, 2]) + probs[:, 3]
    if np.any(totals <= 0):
        raise ValueError(f"motif {motif.id}: a column has no probability")
    off = np.abs(1.0 - totals) >= 1e-5
    if np.any(off):
        probs[off] = probs[off] / totals[off, None]
    if motif_pseudo < 0:
        raise ValueError("motif_pseudo cannot be negative")
    if motif_pseudo == 0:
        return probs
    bg = UNIFORM_BACKGROUND if background is None else np.asarray(background, dtype=float)
    nsites = motif.nsites if motif.nsites is not None else 0.0
    sites = int(nsites) if nsites > 0 else DEFAULT_NSITES  # MEME keeps it in an int
    return (probs * sites + motif_pseudo * bg) / (sites + motif_pseudo)


def meme_consensus(probs: np.ndarray) -> str:
    """Most probable letter per column, with Tomtom's tie-breaking.

    Tomtom keeps the running maximum in single precision ("to maintain old rounding
    behaviour") and takes a later letter only when it is strictly larger than that float,
    so which of two equal letters wins depends on how their value rounds to a float.

    Parameters
    ----------
    probs : ndarray, shape (width, 4)

    Returns
    -------
    str
        One letter of ACGT per column.
    """
    probs = np.asarray(probs, dtype=float)
    as_float = probs.astype(np.float32).astype(float)
    best = np.zeros(len(probs), dtype=int)
    running = as_float[:, 0]
    for letter in range(1, 4):
        larger = probs[:, letter] > running
        best[larger] = letter
        running = np.where(larger, as_float[:, letter], running)
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
    cols_t: np.ndarray  # (4, n) the same, letter-major
    centred: np.ndarray | None = None  # (n, 4) frequencies - 1/4 (pearson)
    sum_squares: np.ndarray | None = None  # (n,) MEME-rounded sum of squared centred values
    normalised_t: np.ndarray | None = None  # (4, n) centred / sqrt(sum_squares), 0 if 0


def _score_inputs(cols: np.ndarray, dist: str) -> _ScoreInputs:
    cols = np.ascontiguousarray(cols, dtype=float)
    inputs = _ScoreInputs(cols, np.ascontiguousarray(cols.T))
    if dist == "pearson":
        centred = cols - 0.25
        total = round_significant(centred[:, 0] ** 2)
        for letter in range(1, 4):
            total = round_significant(total + centred[:, letter] ** 2)
        inverse = np.zeros(len(total))
        np.divide(1.0, np.sqrt(total), out=inverse, where=total != 0)
        inputs.centred = centred
        inputs.sum_squares = total
        inputs.normalised_t = np.ascontiguousarray((centred * inverse[:, None]).T)
    return inputs


def _pearson_exact(query: _ScoreInputs, target: _ScoreInputs, rows, cols) -> np.ndarray:
    """MEME's Pearson scores of query columns ``rows`` against target columns ``cols``.

    ``rows`` and ``cols`` index pairs (equal shapes) or broadcast ((q, 1) and (1, t)).
    """
    qc, tc = query.centred[rows], target.centred[cols]
    numerator = round_significant(qc[..., 0] * tc[..., 0])
    for letter in range(1, 4):
        numerator = round_significant(numerator + qc[..., letter] * tc[..., letter])
    denominator = np.sqrt(query.sum_squares[rows] * target.sum_squares[cols])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator != 0, numerator / denominator, 0.0)


def _distance_scores(query: _ScoreInputs, target: _ScoreInputs, dist: str, out, spare) -> None:
    """``ed`` or ``sandelin`` scores of all column pairs into ``out``, shape (q, t).

    MEME sums the squared differences in letter order. scipy's ``cdist`` Euclidean
    distance does exactly that (and the tests check it bit for bit), in one compiled pass.
    """
    if dist == "ed":
        cdist(query.cols, target.cols, "euclidean", out=out)
        np.negative(out, out=out)
        return
    q_cols, t_cols = query.cols, target.cols_t
    np.subtract(q_cols[:, 0, None], t_cols[0], out=out)
    np.multiply(out, out, out=out)
    for letter in range(1, 4):
        np.subtract(q_cols[:, letter, None], t_cols[letter], out=spare)
        np.multiply(spare, spare, out=spare)
        np.add(out, spare, out=out)
    np.subtract(2.0, out, out=out)


def _squared_distances_in_letter_order(query_probs: np.ndarray, target_cols: np.ndarray):
    """MEME's ``sum over letters of (q - t)^2``, one letter after the other (reference)."""
    total = (query_probs[:, 0, None] - target_cols[None, :, 0]) ** 2
    for letter in range(1, 4):
        total = total + (query_probs[:, letter, None] - target_cols[None, :, letter]) ** 2
    return total


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
        MEME's values to the last bit.
    """
    _check_distance(dist)
    query, target = _score_inputs(query_probs, dist), _score_inputs(target_cols, dist)
    if dist == "pearson":
        rows, cols = np.arange(len(query.cols))[:, None], np.arange(len(target.cols))[None, :]
        return _pearson_exact(query, target, rows, cols)
    out = np.empty((len(query.cols), len(target.cols)))
    _distance_scores(query, target, dist, out, np.empty_like(out))
    return out


def _check_distance(dist: str) -> None:
    if dist not in DISTANCES:
        raise ValueError(f"unknown distance {dist!r}; expected one of {', '.join(DISTANCES)}")


# --------------------------------------------------------------------------- workspace


class _Workspace(threading.local):
    """Per-thread scratch arrays, reused from query to query.

    Fresh multi-megabyte arrays cost page faults on every query (and serialise threads in
    the kernel); reusing them halves the time of the per-query passes.
    """

    def __init__(self):
        self.buffers: dict[tuple[str, str], np.ndarray] = {}

    def array(self, name: str, shape: tuple[int, ...], dtype=np.float64) -> np.ndarray:
        """An uninitialised array of ``shape`` backed by this thread's buffer ``name``."""
        dtype = np.dtype(dtype)
        size = math.prod(shape)
        key = (name, dtype.str)
        buffer = self.buffers.get(key)
        if buffer is None or buffer.size < size:
            buffer = np.empty(max(size, 1), dtype=dtype)
            self.buffers[key] = buffer
        return buffer[:size].reshape(shape)


_WORKSPACE = _Workspace()


# --------------------------------------------------------------------------- scaling


def _median_ranks(n: int) -> tuple[int, int]:
    """Ranks MEME averages as the median: ``floor(n/2) - 1`` and ``ceil(n/2) - 1``.

    The lower median for even ``n``; for odd ``n`` the middle value and the one below.
    """
    low = max(math.floor(0.5 * n) - 1, 0)
    return low, max(math.ceil(0.5 * n) - 1, low)


def _order_statistics(values: np.ndarray, low: int, high: int, scratch: np.ndarray):
    """Row-wise values at ranks ``low`` and ``high`` (high is low or low + 1)."""
    np.copyto(scratch, values)
    scratch.partition(high, axis=1)  # one selection; numpy's two-kth selection is far slower
    upper = scratch[:, high].copy()
    lower = upper if low == high else scratch[:, :high].max(axis=1)
    return lower, upper


def _scale_parameters(small: float, large: float) -> tuple[float, float]:
    """MEME's offset ``floor(min)`` and scale ``floor(BINS / (max - offset))``."""
    if large == small:
        small = large - 1
    offset = math.floor(small)
    return float(offset), float(math.floor(BINS / (large - offset)))


def _scale_into(values: np.ndarray, offset: float, scale: float, out: np.ndarray) -> None:
    """``out = nint((values - offset) * scale)`` in place on ``values`` (MEME's
    raw_to_scaled of a non-negative value: ``(int)(x + 0.5)``)."""
    values -= offset
    values *= scale
    values += 0.5
    np.copyto(out, values, casting="unsafe")  # truncation: the floor of a positive value


def _scaled_distance(
    query: _ScoreInputs,
    target: _ScoreInputs,
    dist: str,
    complete: bool,
    ws: _Workspace,
    scaled: np.ndarray,
) -> tuple[float, float]:
    """Integer column scores of ``ed`` or ``sandelin`` into ``scaled``; see
    :func:`_scaled_pearson`."""
    shape = (len(query.cols), len(target.cols))
    scores = ws.array("scores", shape)
    _distance_scores(query, target, dist, scores, ws.array("spare", shape))
    if complete:
        lower, upper = _order_statistics(scores, *_median_ranks(shape[1]), ws.array("spare", shape))
        scores -= ((lower + upper) / 2.0)[:, None]
    offset, scale = _scale_parameters(float(scores.min()), float(scores.max()))
    _scale_into(scores, offset, scale, scaled)
    return offset, scale


# Bound on |unrounded - MEME| Pearson score: MEME rounds each of its 4 running sums to 14
# significant digits (relative change <= 5e-14 of sums bounded by the denominator), so the
# scores differ by less than 3e-13.
_PEARSON_APPROXIMATION_ERROR = 1e-12


def _scaled_pearson(
    query: _ScoreInputs,
    target: _ScoreInputs,
    complete: bool,
    ws: _Workspace,
    scaled: np.ndarray,
) -> tuple[float, float]:
    """Integer Pearson column scores, exactly MEME's, without rounding every running sum.

    The scores are first computed without MEME's 14-digit rounding (one matrix product),
    within ``_PEARSON_APPROXIMATION_ERROR`` of MEME's. MEME's own values are then computed
    only where they can change a result: around each row's median, around the smallest and
    largest shifted score, and where a scaled score lies so close to a rounding boundary
    that the difference could move it to the next integer.

    ``scaled`` (int32, shape (q, t)) receives MEME's integers in 0..BINS,
    ``nint((score - median - offset) * scale)`` (no median in incomplete-score mode).

    Returns
    -------
    offset, scale : float
        MEME's scaling parameters (integers).
    """
    shape = (len(query.cols), len(target.cols))
    margin = 2 * _PEARSON_APPROXIMATION_ERROR
    approx = ws.array("scores", shape)
    np.matmul(query.normalised_t.T, target.normalised_t, out=approx)
    mask = ws.array("mask", shape, np.bool_)

    def exact(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return _pearson_exact(query, target, rows, cols)

    median = np.zeros(shape[0])
    if complete:
        median = _median_with_fixups(approx, margin, exact, mask, ws.array("spare", shape))
        approx -= median[:, None]

    def exact_shifted(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return exact(rows, cols) - median[rows]  # MEME subtracts the median in place

    small = float(exact_shifted(*_near_extreme(approx, margin, largest=False)).min())
    large = float(exact_shifted(*_near_extreme(approx, margin, largest=True)).max())
    offset, scale = _scale_parameters(small, large)

    approx -= offset
    approx *= scale
    approx += 0.5
    np.copyto(scaled, approx, casting="unsafe")  # truncation: the floor of a positive value
    floor = ws.array("spare", shape)
    np.copyto(floor, scaled)
    # Where the fractional part is within the error of 0 or 1 the exact value may round
    # the other way: redo those with MEME's arithmetic.
    approx -= floor
    approx -= 0.5
    np.abs(approx, out=approx)
    np.greater(approx, 0.5 - 2 * margin * scale, out=mask)
    rows, cols = _nonzero(mask)
    if len(rows):
        value = (exact_shifted(rows, cols) - offset) * scale + 0.5
        scaled[rows, cols] = np.floor(value).astype(np.int32)
    return offset, scale


def _nonzero(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.nonzero`` of a 2-D mask, quicker when (as here) almost nothing is set."""
    if not mask.any():
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty
    return np.divmod(np.flatnonzero(mask), mask.shape[1])


def _near_extreme(
    values: np.ndarray, margin: float, largest: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the values within ``margin`` of the matrix's smallest (largest) one."""
    if largest:
        row_extreme = values.max(axis=1)
        rows = np.flatnonzero(row_extreme >= row_extreme.max() - margin)
        limit = row_extreme.max() - margin
        hits = [np.flatnonzero(values[row] >= limit) for row in rows]
    else:
        row_extreme = values.min(axis=1)
        rows = np.flatnonzero(row_extreme <= row_extreme.min() + margin)
        limit = row_extreme.min() + margin
        hits = [np.flatnonzero(values[row] <= limit) for row in rows]
    return np.repeat(rows, [len(h) for h in hits]), np.concatenate(hits)


def _median_with_fixups(
    approx: np.ndarray,
    margin: float,
    exact: Callable[[np.ndarray, np.ndarray], np.ndarray],
    mask: np.ndarray,
    scratch: np.ndarray,
) -> np.ndarray:
    """MEME's row medians of exact scores that ``approx`` gives to within ``margin / 2``.

    Values certainly below the lower middle order statistic are counted, and the two
    order statistics are read off the exact values of those within ``margin`` of them.
    """
    q, n = approx.shape
    low, high = _median_ranks(n)
    lower, upper = _order_statistics(approx, low, high, scratch)
    floor, ceiling = (lower - margin)[:, None], (upper + margin)[:, None]
    np.less(approx, floor, out=mask)
    below = np.count_nonzero(mask, axis=1)
    np.greater_equal(approx, floor, out=mask)
    mask &= approx <= ceiling
    rows, cols = _nonzero(mask)
    values = exact(rows, cols)
    order = np.lexsort((values, rows))
    values, rows = values[order], rows[order]
    first = np.searchsorted(rows, np.arange(q))
    return (values[first + low - below] + values[first + high - below]) / 2.0


def scaled_column_scores(
    query_probs: np.ndarray,
    target_cols: np.ndarray,
    dist: str,
    complete: bool = True,
    exact: bool = False,
) -> tuple[np.ndarray, float, float]:
    """MEME's integer column scores of one query: median-shifted (complete) and scaled.

    Parameters
    ----------
    query_probs : ndarray, shape (q, 4)
    target_cols : ndarray, shape (t, 4)
        All target columns Tomtom compares with (both strands).
    dist : {'pearson', 'ed', 'sandelin'}
    complete : bool
        Shift each row by its median (complete-score mode).
    exact : bool
        Compute every Pearson score with MEME's rounding (slow; the default computes only
        those that matter and gives the same result).

    Returns
    -------
    scaled : ndarray of int32, shape (q, t)
    offset, scale : float
    """
    _check_distance(dist)
    query, target = _score_inputs(query_probs, dist), _score_inputs(target_cols, dist)
    ws = _Workspace()
    scaled = np.empty((len(query.cols), len(target.cols)), dtype=np.int32)
    if dist != "pearson":
        offset, scale = _scaled_distance(query, target, dist, complete, ws, scaled)
        return scaled, offset, scale
    if not exact:
        offset, scale = _scaled_pearson(query, target, complete, ws, scaled)
        return scaled, offset, scale
    scores = column_scores(query_probs, target_cols, dist)
    if complete:
        lower, upper = _order_statistics(scores, *_median_ranks(len(target_cols)), scores.copy())
        scores -= ((lower + upper) / 2.0)[:, None]
    offset, scale = _scale_parameters(float(scores.min()), float(scores.max()))
    scaled = np.empty(scores.shape, dtype=np.int32)
    _scale_into(scores, offset, scale, scaled)
    return scaled, offset, scale


# --------------------------------------------------------------------------- null model


@cache
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
    padded = np.zeros((n, blocks + 2, width))
    padded.reshape(n, -1)[:, width : width + length] = rows
    pairs = np.concatenate([padded[:, :-1], padded[:, 1:]], axis=2)  # [block j-1, block j]
    matrix = np.zeros(width + 1)
    matrix[:width] = kernel
    out = pairs.reshape(n * (blocks + 1), 2 * width) @ matrix[_kernel_index(width)]
    return out.reshape(n, (blocks + 1) * width)[:, : length + width - 1]


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
    ``get_pv_lookup_new``). Columns are trimmed to the bins they use, which keeps every
    convolution as short as the scores allow; the runs ending at the same column share their
    last convolution, so each column costs one blocked matrix product.

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
    current = np.zeros((0, 1))  # pmfs of the runs [s, end - 1], s < end, zero-padded
    current_base = np.zeros(0, dtype=np.int64)
    for end in range(q):
        kernel = column_pmf[end, low[end] : high[end] + 1]
        grown = _convolve_rows(current, kernel) if end else np.zeros((0, len(kernel)))
        current = np.zeros((end + 1, grown.shape[1]))
        current[:end] = grown
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
    col_start: np.ndarray  # (N,) first column in the score matrices
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
    # MEME breaks p-value and overlap ties by database, then by strcmp of "+ID" / "-ID".
    st_ids = np.array([(s + i).encode() for s, i in zip(strand, ids, strict=True)], dtype=object)
    order_key = np.unique(st_ids, return_inverse=True)[1].astype(np.int64)
    return _Targets(
        ids=np.array(ids, dtype=object),
        original=np.array(original, dtype=np.int64),
        strand=np.array(strand, dtype=object),
        lengths=lengths_arr,
        col_start=np.concatenate([[0], np.cumsum(lengths_arr)[:-1]]).astype(np.int64),
        db=np.array(db, dtype=np.int64),
        order_key=order_key,
        consensus=np.array(consensus, dtype=object),
        score_inputs=_score_inputs(np.concatenate(cols), dist),
        n_original=len(targets),
        n_orient=len(strands),
    )


@dataclass
class _Layout:
    """Every alignment ("configuration") of a width-q query with every target.

    Arrays are (N targets, q + longest - 1); configuration c (column c - 1) puts query
    column i against target column i + c - q, as MEME's ``compare_motifs`` numbers them.
    """

    exists: np.ndarray  # configuration exists for this target's width
    allowed: np.ndarray  # ... and satisfies -min-overlap / -internal
    overlap: np.ndarray  # aligned columns
    offset: np.ndarray  # target column under query column 0 (MEME's Optimal_offset)
    window: np.ndarray  # s * q + e of the aligned query columns s..e
    run_end: np.ndarray  # flat index in the diagonal prefix sums: end of the aligned run
    run_before: np.ndarray  # ... and just before its start
    n_allowed: np.ndarray  # (N,) allowed configurations
    existing_target: np.ndarray  # target of each existing configuration, row by row
    existing_window: np.ndarray  # its window
    existing_unaligned: np.ndarray  # its unaligned query columns
    row_starts: np.ndarray  # (N,) first of each target's existing configurations


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
    # An alignment's score is a difference of two prefix sums along one diagonal of the
    # (q + 1, T + 1) matrix of scaled scores padded with a zero row and column on top/left.
    row_length = targets.n_columns + 1
    first_column = targets.col_start[:, None] + target_start  # of the aligned target run
    run_end = (query_start + overlap) * row_length + first_column + overlap
    run_before = query_start * row_length + first_column
    window = query_start * q + query_start + overlap - 1
    unaligned = q - overlap
    return _Layout(
        exists=exists,
        allowed=allowed,
        overlap=overlap,
        offset=np.broadcast_to(config - q, exists.shape),
        window=window,
        run_end=np.where(exists, run_end, 0),
        run_before=np.where(exists, run_before, 0),
        n_allowed=allowed.sum(axis=1),
        existing_target=np.nonzero(exists)[0],
        existing_window=window[exists],
        existing_unaligned=unaligned[exists],
        row_starts=np.concatenate([[0], np.cumsum(exists.sum(axis=1))[:-1]]),
    )


def _alignment_scores(prefix: np.ndarray, layout: _Layout) -> np.ndarray:
    """Summed scaled score of every alignment, shape (N, configurations).

    ``prefix`` holds, shape (q + 1, T + 1), the scaled scores below a zero row and right of
    a zero column; it is turned in place into sums along diagonals, so that an alignment's
    sum is one difference (targets are contiguous, so a run never leaves its target).
    """
    for row in range(1, len(prefix)):
        prefix[row, 1:] += prefix[row - 1, :-1]
    flat = prefix.ravel()
    return flat[layout.run_end] - flat[layout.run_before]


# --------------------------------------------------------------------------- per query


@dataclass
class _QueryResult:
    """Per target entry (both strands): best alignment and its statistics."""

    pvalue: np.ndarray
    evalue: np.ndarray
    offset: np.ndarray
    overlap: np.ndarray


def _pick_best(score: np.ndarray, overlap: np.ndarray) -> np.ndarray:
    """Column of the best entry per row: lowest ``score``, then largest overlap, then first.

    ``score`` must be +inf where a configuration is not allowed.
    """
    best = score.min(axis=1, keepdims=True)
    ties = score == best
    tied_overlap = np.where(ties, overlap, -1).max(axis=1, keepdims=True)
    return np.argmax(ties & (overlap == tied_overlap), axis=1)


def _extreme_value_pvalue(p: np.ndarray, n: np.ndarray) -> np.ndarray:
    """MEME's ``EV(p, n)``: p-value of the best of ``n`` independent tries."""
    pn = p * n
    with np.errstate(invalid="ignore"):
        return np.where(pn < 0.001, pn, 1.0 - np.power(1.0 - p, n.astype(float)))


def _max_of_alignments_pvalue(
    best: np.ndarray, tails: _WindowTails, layout: _Layout, unit: int, n_orient: int
) -> np.ndarray:
    """P(max over all alignments and strands of the complete score >= best), per target.

    An alignment's complete score is its run's sum shifted by ``unit`` per unaligned query
    column; alignments are taken as independent (MEME's
    ``calc_shifted_scores_pvalues_per_query``, which ignores -min-overlap here).
    ``1 - prod(1 - S)`` is computed as ``-expm1(sum(log1p(-S)))`` so tiny tails stay exact.
    """
    score = best[layout.existing_target] - layout.existing_unaligned * unit
    tail = tails.lookup(layout.existing_window, score)
    np.minimum(tail, 1.0, out=tail)
    with np.errstate(divide="ignore"):
        np.log1p(np.negative(tail, out=tail), out=tail)
    return -np.expm1(n_orient * np.add.reduceat(tail, layout.row_starts))


def _best_complete_alignment(complete_score: np.ndarray, layout: _Layout) -> np.ndarray:
    """Column of each target's best allowed alignment: highest complete score, then the
    largest overlap, then the first (MEME's order of preference), via one integer key."""
    key = complete_score.astype(np.int64)
    key *= -1024
    key -= layout.overlap  # overlaps are below 1024
    key[~layout.allowed] = np.iinfo(np.int64).max
    return np.argmin(key, axis=1)


def _compare_query(
    probs: np.ndarray, targets: _Targets, layout: _Layout, dist: str, complete: bool
) -> _QueryResult:
    """Best alignment, p-value and E-value of one query against every target entry."""
    ws = _WORKSPACE
    q = len(probs)
    query = _score_inputs(probs, dist)
    # scaled scores inside a zero top row and left column: the alignment prefix sums' room
    prefix = ws.array("prefix", (q + 1, targets.n_columns + 1), np.int32)
    prefix[0] = 0
    prefix[:, 0] = 0
    scaled = prefix[1:, 1:]
    if dist == "pearson":
        offset, scale = _scaled_pearson(query, targets.score_inputs, complete, ws, scaled)
    else:
        offset, scale = _scaled_distance(query, targets.score_inputs, dist, complete, ws, scaled)
    index = ws.array("histogram_index", scaled.shape, np.intp)
    np.add(scaled, (np.arange(q) * (BINS + 1))[:, None], out=index)
    counts = np.bincount(index.ravel(), minlength=q * (BINS + 1)).reshape(q, BINS + 1)
    tails = _window_tails(counts * (1.0 / scaled.shape[1]), cap=not complete)
    sums = _alignment_scores(prefix, layout)
    rows = np.arange(len(sums))
    if complete:
        # MEME's complete score adds offset * scale per aligned column to the scaled sum;
        # measured from q * offset * scale, unaligned columns count as their median (0).
        unit = int(offset * scale)
        complete_score = sums + layout.overlap * unit
        choice = _best_complete_alignment(complete_score, layout)
        best = complete_score[rows, choice] - q * unit
        pvalue = _max_of_alignments_pvalue(best, tails, layout, -unit, targets.n_orient)
        pvalue = pvalue.astype(np.float32)  # MEME keeps it in a float
        # E = p * target_count / norient, evaluated in single precision as in MEME
        evalue = (pvalue * np.float32(len(targets.lengths))) / np.float32(targets.n_orient)
        pvalue, evalue = pvalue.astype(np.float64), evalue.astype(np.float64)
    else:
        lookup = tails.lookup(layout.window, sums)
        choice = _pick_best(np.where(layout.allowed, lookup, np.inf), layout.overlap)
        pvalue = _extreme_value_pvalue(lookup[rows, choice], layout.n_allowed * targets.n_orient)
        evalue = pvalue * float(targets.n_original)
    return _QueryResult(
        pvalue, evalue, layout.offset[rows, choice].copy(), layout.overlap[rows, choice]
    )


# --------------------------------------------------------------------------- q-values


class MemeRandom:
    """MEME's program-wide Mersenne Twister (``drand_mt``) as Tomtom uses it.

    Tomtom never seeds it, so mtwist seeds itself with 4357 by Knuth's old multiplier
    (69069); ``drand_mt`` is mtwist's 64-bit ``mt_ldrand`` (two 32-bit draws, the first
    high). numpy's MT19937 is the same generator once given the same state (mtwist keeps
    the state reversed but draws the reference sequence).
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
        return (words[0::2].astype(np.float64) * 4294967296.0 + words[1::2]) * 2.0**-64

    def ldrand(self, n: int) -> np.ndarray:
        """``n`` doubles in [0, 1)."""
        return self.doubles(self.words(n))

    def bootstrap_picks(self, m: int) -> np.ndarray:
        """Indices MEME's pi0 estimate draws from ``m`` sorted p-values.

        100 bootstraps of 1,000 ``(int)(drand_mt() * m)``, shape (100 000,), uint16 when
        ``m`` allows (they travel to worker processes).
        """
        picks = (self.ldrand(PI_ZERO_DRAWS) * float(m)).astype(np.int64)
        np.minimum(picks, m - 1, out=picks)  # a draw that rounds to 1.0 (C would overrun)
        return picks.astype(np.uint16 if m <= 65536 else np.int64)


_LAMBDAS = ((np.arange(_NUM_LAMBDA) + 1.0) / _NUM_LAMBDA) * _MAX_LAMBDA
_BOOTSTRAP_ROWS = np.repeat(np.arange(_NUM_BOOTSTRAPS), _NUM_BOOTSTRAP_SAMPLES) * (_NUM_LAMBDA + 1)


def estimate_pi_zero(
    sorted_pvalues: np.ndarray, rng: MemeRandom | None = None, picks: np.ndarray | None = None
) -> float:
    """Storey's (2002) bootstrap estimate of the null proportion, as MEME's qvalue.c.

    Parameters
    ----------
    sorted_pvalues : ndarray, shape (m,)
        Ascending.
    rng : MemeRandom, optional
        Generator to draw the 100 bootstraps of 1,000 p-values from (a fresh one if
        neither it nor ``picks`` is given).
    picks : ndarray, shape (100 000,), optional
        The drawn indices instead (:meth:`MemeRandom.bootstrap_picks`).

    Returns
    -------
    float
        pi0 in [0, 1].
    """
    m = len(sorted_pvalues)
    first_at_least = np.searchsorted(sorted_pvalues, _LAMBDAS, side="left")

    def pi_zero(n_greater: np.ndarray, n_values: int) -> np.ndarray:
        estimate = n_greater / ((1.0 - _LAMBDAS) * n_values)
        return np.where(estimate == 0, np.inf, estimate)  # MEME: no estimate -> HUGE_VAL

    pi_zeroes = pi_zero(m - first_at_least, m)
    minimum = pi_zeroes.min()
    if picks is None:
        picks = (rng if rng is not None else MemeRandom()).bootstrap_picks(m)
    # p[pick] >= lambda  <=>  pick >= first_at_least[lambda] (p sorted): count each
    # bootstrap's picks by how many lambdas they reach.
    reached = np.searchsorted(first_at_least, np.arange(m), side="right")[picks]
    counts = np.bincount(_BOOTSTRAP_ROWS + reached, minlength=_NUM_BOOTSTRAPS * (_NUM_LAMBDA + 1))
    counts = counts.reshape(_NUM_BOOTSTRAPS, _NUM_LAMBDA + 1)
    at_least = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1][:, 1:]
    with np.errstate(invalid="ignore"):
        squared = (pi_zero(at_least, _NUM_BOOTSTRAP_SAMPLES) - minimum) ** 2
    errors = np.zeros(_NUM_LAMBDA)
    for row in squared:  # in bootstrap order, as the C loop adds them
        errors += row
    best = 0  # the C loop keeps the first strict minimum and never leaves a NaN start
    if not np.isnan(errors[0]):
        best = int(np.argmin(np.where(np.isnan(errors), np.inf, errors)))
    return float(min(max(pi_zeroes[best], 0.0), 1.0))


def meme_qvalues(
    sorted_pvalues: np.ndarray, rng: MemeRandom | None = None, picks: np.ndarray | None = None
) -> np.ndarray:
    """MEME's ``compute_qvalues``: Storey's q-values, pi0 estimated above 100 p-values.

    Parameters
    ----------
    sorted_pvalues : ndarray, shape (m,)
        Ascending p-values.
    rng, picks : optional
        Draws for pi0's bootstraps, as in :func:`estimate_pi_zero`.

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
        pi_zero = estimate_pi_zero(p, rng, picks)
    fdr = np.minimum(1.0, (pi_zero * p * float(m)) / (np.arange(m) + 1.0))
    if m == 1:
        return fdr
    return np.minimum.accumulate(fdr[::-1])[::-1]


# --------------------------------------------------------------------------- public API


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
        strand-symmetric by :func:`symmetric_background`); default uniform.
    internal : bool
        Only alignments where one motif lies inside the other (``-internal``).
    target_dbs : sequence of int, optional
        Database (file) index of each target, used only to break ties as MEME does.
    thresh : float, optional
        Keep only rows with q-value (E-value with ``evalue``) <= thresh; None keeps all.
    evalue : bool
        Threshold on E-values instead of q-values.
    n_jobs : int, optional
        Worker processes (or threads) over queries; default: the CPUs this process may
        use, at most 8. The result does not depend on it.

    Returns
    -------
    pandas.DataFrame
        MEME's tomtom.tsv columns, one row per (query, target) with the target's better
        strand; queries in input order, each query's rows by increasing p-value (ties: larger
        overlap, database, strand-prefixed ID). p-, E- and q-values are the doubles MEME
        computes (complete-score p-values are single precision, as in MEME); the writer
        prints them as MEME does, through a float.
    """
    _check_distance(dist)
    if min_overlap < 0:
        raise ValueError("min_overlap cannot be negative")
    if len(queries) == 0 or len(targets) == 0:
        return _frame({name: np.zeros(0) for name in TSV_COLUMNS})
    complete = not incomplete_scores
    prepared = _prepare_targets(targets, dist, norc, motif_pseudo, background, target_dbs)
    query_probs = [prepare_probs(query, background, motif_pseudo) for query in queries]
    layouts = {
        q: _layout(q, prepared, int(min_overlap), internal)
        for q in sorted({len(probs) for probs in query_probs})
    }

    def process(index: int, picks: np.ndarray | None) -> _QueryRows:
        probs = query_probs[index]
        result = _compare_query(probs, prepared, layouts[len(probs)], dist, complete)
        rows = _query_rows(index, result, prepared, picks)
        if thresh is not None:
            rows = rows.select((rows.evalue if evalue else rows.qvalue) <= thresh)
        return rows

    # MEME draws pi0's bootstraps from one generator, query after query: draw them here, in
    # that order, and hand each query its own.
    rng = MemeRandom()
    n_entries = len(prepared.lengths)
    uses_draws = n_entries > _MIN_PVALUES_FOR_PI0

    def next_picks() -> np.ndarray | None:
        return rng.bootstrap_picks(n_entries) if uses_draws else None

    n_jobs = _default_jobs() if n_jobs is None else max(1, int(n_jobs))
    try:
        with _single_threaded_blas():
            if n_jobs == 1 or len(queries) == 1:
                pieces = [process(index, next_picks()) for index in range(len(queries))]
            else:
                pieces = list(_run_parallel(process, len(queries), next_picks, n_jobs))
    finally:
        _WORKSPACE.buffers.clear()  # this thread's scratch arrays: tens of megabytes
    return _assemble(pieces, queries, query_probs, prepared)


@dataclass
class _QueryRows:
    """One query's output rows: target entries (best strand each) and their statistics."""

    query: np.ndarray  # query index per row
    entry: np.ndarray  # target entry (original and strand) per row
    offset: np.ndarray
    pvalue: np.ndarray
    evalue: np.ndarray
    qvalue: np.ndarray
    overlap: np.ndarray

    def select(self, rows: np.ndarray) -> _QueryRows:
        return _QueryRows(*(values[rows] for values in vars(self).values()))


def _query_rows(
    query: int, result: _QueryResult, targets: _Targets, picks: np.ndarray | None
) -> _QueryRows:
    """Sort one query's matches as MEME does, add q-values, keep each target's best strand."""
    order = np.lexsort((targets.order_key, targets.db, -result.overlap, result.pvalue))
    qvalue = np.empty(len(order))
    qvalue[order] = meme_qvalues(result.pvalue[order], picks=picks)
    _, first = np.unique(targets.original[order], return_index=True)
    keep = order[np.sort(first)]
    return _QueryRows(
        np.full(len(keep), query),
        keep,
        result.offset[keep],
        result.pvalue[keep],
        result.evalue[keep],
        qvalue[keep],
        result.overlap[keep],
    )


def _assemble(
    pieces: list[_QueryRows],
    queries: Sequence[Motif],
    query_probs: Sequence[np.ndarray],
    targets: _Targets,
) -> pd.DataFrame:
    """The result table from all queries' rows (strings looked up once, at the end)."""
    rows = _QueryRows(
        *(
            np.concatenate(column)
            for column in zip(*(vars(p).values() for p in pieces), strict=True)
        )
    )
    query_ids = np.array([query.id for query in queries], dtype=object)
    query_consensus = np.array([meme_consensus(probs) for probs in query_probs], dtype=object)
    return _frame(
        {
            "Query_ID": query_ids[rows.query],
            "Target_ID": targets.ids[rows.entry],
            "Optimal_offset": rows.offset,
            "p-value": rows.pvalue,
            "E-value": rows.evalue,
            "q-value": rows.qvalue,
            "Overlap": rows.overlap,
            "Query_consensus": query_consensus[rows.query],
            "Target_consensus": targets.consensus[rows.entry],
            "Orientation": targets.strand[rows.entry],
        }
    )


def _frame(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """The result table with fixed dtypes (pandas would otherwise infer string types)."""
    return pd.DataFrame(
        {
            name: pd.Series(
                np.asarray(values, dtype=_COLUMN_DTYPES[name]),
                dtype=_COLUMN_DTYPES[name],
                copy=False,
            )
            for name, values in columns.items()
        }
    )


# The per-query function of the compare_motifs call that is forking workers: a forked
# worker inherits it (with the prepared targets) instead of receiving it pickled.
_FORKED_TASK: Callable | None = None
_FORK_LOCK = threading.Lock()


def _run_forked(index: int, picks: np.ndarray | None) -> _QueryRows:
    return _FORKED_TASK(index, picks)


def _run_parallel(
    process: Callable[[int, np.ndarray | None], _QueryRows],
    n_queries: int,
    next_picks: Callable[[], np.ndarray | None],
    n_jobs: int,
) -> Iterator[_QueryRows]:
    """``process`` every query on ``n_jobs`` workers; yield the results in query order.

    Forked processes where the platform forks and no other thread runs (much of the
    per-query work is short numpy calls, which threads serialise on the GIL), threads
    otherwise. Each query's bootstrap draws are made here, in query order; a bounded
    look-ahead keeps memory small.
    """
    use_fork = (
        n_queries >= 4 * n_jobs
        and "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon  # a pool worker cannot fork
        and threading.active_count() == 1  # forking beside other threads risks deadlocks
        and _FORK_LOCK.acquire(blocking=False)  # one forking call at a time
    )
    pending: deque = deque()
    if use_fork:
        global _FORKED_TASK
        try:
            _FORKED_TASK = process
            with multiprocessing.get_context("fork").Pool(n_jobs) as pool:
                for index in range(n_queries):
                    pending.append(pool.apply_async(_run_forked, (index, next_picks())))
                    if len(pending) >= 4 * n_jobs:
                        yield pending.popleft().get()
                while pending:
                    yield pending.popleft().get()
        finally:
            _FORKED_TASK = None
            _FORK_LOCK.release()
        return
    with ThreadPoolExecutor(n_jobs) as pool:
        for index in range(n_queries):
            pending.append(pool.submit(process, index, next_picks()))
            if len(pending) >= 2 * n_jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _default_jobs() -> int:
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        available = os.cpu_count() or 1
    return max(1, min(available, 8))


@contextlib.contextmanager
def _single_threaded_blas():
    """Keep BLAS to one thread: its products here are small, and BLAS threads spin and
    slow down the threads over queries. Optional: without threadpoolctl only slower."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def apply_threshold(table: pd.DataFrame, thresh: float = 0.5, evalue: bool = False) -> pd.DataFrame:
    """Rows MEME prints: q-value (E-value with ``evalue``) at most ``thresh``.

    MEME stops at a query's first match over the threshold; its rows are sorted by p-value
    and q- and E-values grow with p, so this keeps the same rows.
    """
    column = "E-value" if evalue else "q-value"
    return table[table[column] <= thresh].reset_index(drop=True)


def _meme_g(value: float) -> str:
    """``%g`` of a double that MEME first copied into a float."""
    return f"{float(np.float32(value)):g}"


def format_tsv(table: pd.DataFrame, command_line: str | None = None) -> str:
    """MEME's tomtom.tsv: header, one line per row, a blank line and three comment lines.

    Parameters
    ----------
    table : DataFrame
        From :func:`compare_motifs` (thresholded as wanted).
    command_line : str, optional
        The command as typed, for the last comment line (default ``tomtom``).
    """
    from . import __version__

    lines = ["\t".join(TSV_COLUMNS)]
    for row in table[TSV_COLUMNS].itertuples(index=False, name=None):
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


def write_tsv(
    path: str | os.PathLike, table: pd.DataFrame, command_line: str | None = None
) -> None:
    """Write :func:`format_tsv` to ``path`` atomically."""
    from .atomic import atomic_write_text

    atomic_write_text(path, format_tsv(table, command_line))


def read_tsv(path: str | os.PathLike) -> pd.DataFrame:
    """Read a tomtom.tsv (MEME's or ours) into the columns of :func:`compare_motifs`."""
    return pd.read_csv(path, sep="\t", comment="#", skip_blank_lines=True)
