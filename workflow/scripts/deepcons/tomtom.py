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

Two implementations give the same table. The default one (``method='compiled'``, needs
numba) runs each query through compiled loops (see the "compiled kernels" section): a few
passes over the query's columns x all target columns, each of them vectorised or a single
histogram, in threads over queries (the kernels release the GIL), which also rank the
results and draw the q-values' bootstraps. The other
(``method='numpy'``) is vectorised numpy per query, the reference the compiled kernels are
tested against; it runs where numba is missing. Nothing here imports torch, and numba only
on first use (compiling takes some 10 s once; the machine code is cached on disk).

Where exactness costs: Pearson scores are first computed without MEME's per-sum rounding
and then recomputed with it only where the last bits can change a result (see
:func:`_scaled_pearson`); the numpy Euclidean distance uses scipy's ``cdist``, whose
summation order is MEME's (checked bit for bit by the tests); the compiled kernels
compute the integer scores in float32 and redo in MEME's double precision the few that lie
near a rounding boundary, and take medians and extremes from exact values (see the
section). The null distributions and p-value products are sums whose order is not MEME's
(in neither implementation): they agree with it to about 1e-15, so p-values agree to the
float MEME keeps (complete scores) or to about 1e-13 (incomplete scores).
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
from collections.abc import Callable, Sequence
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
    library's ``log`` (numpy's vectorised log may differ from it in the last bit), and
    powers of ten beyond 10^22 (not doubles) come from the C library's ``pow``.

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
    # beyond 10^22 the power is not a double: take the C library's, as MEME does (numpy's
    # may round the other way)
    inexact = np.abs(power) > 22
    if np.any(inexact):
        factor[inexact] = [math.pow(10.0, p) for p in power[inexact]]
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
    """Per target entry (both strands): best alignment and its raw p-value (complete
    scores: of the maximum of the alignments, before MEME's cast to float; incomplete
    scores: the best alignment's tail, before the correction for the alignments tried)."""

    raw: np.ndarray
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
    """Best alignment and raw p-value of one query against every target entry (numpy; the
    reference the compiled kernels are tested against)."""
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
        raw = _max_of_alignments_pvalue(best, tails, layout, -unit, targets.n_orient)
    else:
        lookup = tails.lookup(layout.window, sums)
        choice = _pick_best(np.where(layout.allowed, lookup, np.inf), layout.overlap)
        raw = lookup[rows, choice]
    return _QueryResult(raw, layout.offset[rows, choice].copy(), layout.overlap[rows, choice])


# --------------------------------------------------------------------------- compiled kernels
#
# The computation of the numpy functions above, one query at a time in compiled loops
# (numba, jitted on first use by :func:`_kernels`; plain Python until then). A query costs
# about width x 22,000 target columns, so what counts is how many passes go over those
# columns and whether they vectorise. Every column score enters as a "key" in [0, 2] that
# orders the scores in reverse: ed and sandelin the squared distance d2, summed as MEME
# does (scores -sqrt(d2) and 2 - d2), pearson 1 - r with r computed without MEME's rounding
# (within 1e-12 of MEME's value, see :func:`_scaled_pearson`). Then, per query column:
#
# * pass 1: keys kept as float32 and in buckets of 1/1024 (a monotone function of the
#   key); the median from the bucket histogram and the exact scores of the one to three
#   buckets that hold the middle ranks; extremes from the float32 keys, redone exactly in
#   the query where they sit so close to MEME's rounding of offset and scale that float32
#   could not tell (as when a target column is the query's: a score of exactly 0).
# * pass 2: the integer scores from the float32 keys, with an error bound: any whose float32
#   value lies within the bound of a rounding boundary is redone with MEME's arithmetic in
#   double precision, so every integer is MEME's. With them the score histogram and the
#   diagonal prefix sums of the alignments.
#
# Then the null model (upper tails of every run of query columns, each the tail of the run
# one column shorter convolved with the new column's score distribution; direct, not FFT,
# so tiny tails keep their relative precision) and every configuration of every target
# entry from the prefix sums, the best one and its p-value.

_NB_BUCKETS = 2049  # keys in [0, 2] (d2 of probabilities; pearson: 1 - r) in 1/1024 buckets
_NB_PAD = 4  # zeros kept around each stored tail (the convolution reads 3 past each end)
_NB_ED, _NB_SANDELIN, _NB_PEARSON = 0, 1, 2
_NB_DISTANCE_CODES = {"ed": _NB_ED, "sandelin": _NB_SANDELIN, "pearson": _NB_PEARSON}


def _nb_round(x):
    """MEME's RND(x, 14) of one value (:func:`round_significant`)."""
    if x == 0.0:
        return 0.0
    magnitude = abs(x)
    power = float(math.ceil((SIGNIFICANT_DIGITS - 1) - math.log(magnitude) / _MEME_LN10))
    factor = math.pow(10.0, power)  # C's pow, as MEME's macro (not repeated products)
    rounded = np.rint(factor * magnitude) / factor
    return rounded if x > 0 else -rounded


def _nb_exact_score(dist, query, i, targets, target_ss, query_ss, j):
    """MEME's score of query column i against target column j.

    ``query`` (q, 8) and ``targets`` (8, n) hold probabilities in 0-3 (pearson: normalised
    centred values) and, for pearson, centred values in 4-7.
    """
    if dist == _NB_PEARSON:
        numerator = _nb_round(query[i, 4] * targets[4, j])
        numerator = _nb_round(numerator + query[i, 5] * targets[5, j])
        numerator = _nb_round(numerator + query[i, 6] * targets[6, j])
        numerator = _nb_round(numerator + query[i, 7] * targets[7, j])
        denominator = math.sqrt(query_ss[i] * target_ss[j])
        return numerator / denominator if denominator != 0 else 0.0
    d0 = query[i, 0] - targets[0, j]
    d1 = query[i, 1] - targets[1, j]
    d2 = query[i, 2] - targets[2, j]
    d3 = query[i, 3] - targets[3, j]
    d2sum = ((d0 * d0 + d1 * d1) + d2 * d2) + d3 * d3
    return 2.0 - d2sum if dist == _NB_SANDELIN else -math.sqrt(d2sum)


def _nb_key_score(dist, key):
    """The score a key stands for (pearson: without MEME's rounding)."""
    if dist == _NB_ED:
        return -math.sqrt(key)
    if dist == _NB_SANDELIN:
        return 2.0 - key
    return 1.0 - key


def _nb_keys(dist, a0, a1, a2, a3, t0, t1, t2, t3, keys32, bucket):
    """Keys of one query column against every target column, as float32 and buckets."""
    if dist == _NB_PEARSON:  # 1 - r: in [0, 2] as d2 is
        for j in range(t0.shape[0]):
            v = 1.0 - (((a0 * t0[j] + a1 * t1[j]) + a2 * t2[j]) + a3 * t3[j])
            keys32[j] = np.float32(v)
            bucket[j] = np.int16(min(max(v * 1024.0, 0.0), 2048.0))
    else:  # MEME's sum over letters of (q - t)^2, in letter order
        for j in range(t0.shape[0]):
            d0 = a0 - t0[j]
            d1 = a1 - t1[j]
            d2 = a2 - t2[j]
            d3 = a3 - t3[j]
            v = ((d0 * d0 + d1 * d1) + d2 * d2) + d3 * d3
            keys32[j] = np.float32(v)
            bucket[j] = np.int16(min(v * 1024.0, 2048.0))


def _nb_key_extremes(keys32):
    """Smallest and largest float32 key (>= 0), through their bits (integer min and max
    vectorise where float ones do not)."""
    bits = keys32.view(np.int32)
    lo = bits[0]
    hi = bits[0]
    for j in range(bits.shape[0]):
        lo = min(lo, bits[j])
        hi = max(hi, bits[j])
    out = np.empty(2, np.int32)
    out[0] = max(lo, 0)  # a key rounded below 0 (pearson) counts as 0
    out[1] = max(hi, 0)
    values = out.view(np.float32)
    return float(values[0]), float(values[1])


def _nb_median(dist, query, i, targets, target_ss, query_ss, bucket, r1, r2, scratch):
    """MEME's median score of query column i: the mean of the scores of key ranks r1 and r2
    (ascending keys, descending scores).

    The bucket histogram places the two ranks; only the keys in their buckets get exact
    scores (pearson: the neighbouring buckets too, as its keys are within 1e-12 of exact).
    """
    histogram, found, values = scratch
    n = bucket.shape[0]
    for k in range(histogram.shape[0]):
        histogram[k] = 0
    for j in range(n):
        histogram[np.uint64(bucket[j])] += 1  # unsigned: no negative-index wraparound
    below = 0
    first = 0
    while below + histogram[first] <= r1:
        below += histogram[first]
        first += 1
    last = first
    upto = below + histogram[first]
    while upto <= r2:
        last += 1
        upto += histogram[last]
    if dist == _NB_PEARSON:
        if first > 0:
            first -= 1
            below -= histogram[first]
        last = min(last + 1, histogram.shape[0] - 1)
    width = np.uint16(last - first)
    lowest = np.int16(first)
    count = 0
    for j in range(n):
        if np.uint16(bucket[j] - lowest) <= width:
            found[count] = j
            count += 1
    for k in range(count):
        values[k] = -_nb_exact_score(dist, query, i, targets, target_ss, query_ss, found[k])
    chosen = values[:count]
    chosen.sort()  # minus scores, ascending: scores descending, as the keys
    low_score = -chosen[r2 - below]  # MEME's rank ``low`` of ascending scores
    high_score = -chosen[r1 - below]
    return (low_score + high_score) / 2.0


def _nb_exact_extreme(dist, query, i, targets, target_ss, query_ss, keys32, key, largest):
    """Exact largest (or smallest) score of query column i, from the float32 keys near the
    smallest (or largest) key."""
    margin = abs(key) * 2.0**-22 + 1e-11  # twice the float32 and pearson errors
    best = -np.inf if largest else np.inf
    for j in range(keys32.shape[0]):
        k = keys32[j]
        if (largest and k <= key + margin) or (not largest and k >= key - margin):
            s = _nb_exact_score(dist, query, i, targets, target_ss, query_ss, j)
            best = max(best, s) if largest else min(best, s)
    return best


def _nb_float32_bins(dist, keys32, median, offset, scale, tolerance, bins):
    """Integer scores in float32, -1 where the float32 value is within ``tolerance`` of a
    rounding boundary (there only MEME's double precision decides)."""
    med32 = np.float32(median)
    off32 = np.float32(offset)
    scale32 = np.float32(scale)
    half = np.float32(0.5)
    two = np.float32(2.0)
    low = np.float32(tolerance)
    high = np.float32(1.0 - tolerance)
    n = keys32.shape[0]
    if dist == _NB_ED:
        for j in range(n):
            v = ((-np.sqrt(keys32[j]) - med32) - off32) * scale32 + half
            b = np.int32(v)
            f = v - np.float32(b)
            bins[j] = b - np.int32((f < low) | (f > high)) * (b + 1)
    elif dist == _NB_SANDELIN:
        for j in range(n):
            v = (((two - keys32[j]) - med32) - off32) * scale32 + half
            b = np.int32(v)
            f = v - np.float32(b)
            bins[j] = b - np.int32((f < low) | (f > high)) * (b + 1)
    else:
        one = np.float32(1.0)
        for j in range(n):
            v = (((one - keys32[j]) - med32) - off32) * scale32 + half
            b = np.int32(v)
            f = v - np.float32(b)
            bins[j] = b - np.int32((f < low) | (f > high)) * (b + 1)


def _nb_settle_and_count(
    dist, query, i, targets, target_ss, query_ss, median, offset, scale, bins, counts
):
    """Redo the unsure (-1) integer scores with MEME's arithmetic; histogram the row.
    False if a score falls outside 0..BINS (it cannot: MEME's scaling maps the extremes to
    0 and BINS; checked, as the histogram is indexed without bounds checks)."""
    row_counts = counts[i]
    for k in range(row_counts.shape[0]):
        row_counts[k] = 0
    for j in range(bins.shape[0]):
        b = bins[j]
        if b < 0:
            s = _nb_exact_score(dist, query, i, targets, target_ss, query_ss, j)
            b = np.int32(((s - median) - offset) * scale + 0.5)
            bins[j] = b
        index = np.uint64(b)  # unsigned: no negative-index wraparound
        if index > BINS:
            return False
        row_counts[index] += 1
    return True


def _nb_diagonal_prefix(previous, current, bins):
    """One row of the diagonal prefix sums: current[j + 1] = previous[j] + bins[j]."""
    current[0] = 0
    for j in range(bins.shape[0]):
        current[j + 1] = previous[j] + bins[j]


def _nb_convolve(padded, length, kernel, width, out):
    """out[x] = sum_l a[x - l] kernel[l], x < length + width - 1, where a is
    padded[_NB_PAD:_NB_PAD + length] with zeros in the three places on either side.

    Four kernel taps per pass over the output (each output value is read and written a
    quarter as often as tap by tap).
    """
    for k in range(length + width - 1):
        out[k] = 0.0
    tap = 0
    while tap + 4 <= width:
        f0 = kernel[tap]
        f1 = kernel[tap + 1]
        f2 = kernel[tap + 2]
        f3 = kernel[tap + 3]
        o = out[tap:]
        for m in range(length + 3):
            o[m] += ((padded[m + 4] * f0 + padded[m + 3] * f1) + padded[m + 2] * f2) + padded[
                m + 1
            ] * f3
        tap += 4
    while tap < width:
        f0 = kernel[tap]
        o = out[tap:]
        for m in range(length):
            o[m] += padded[m + 4] * f0
        tap += 1


def _nb_window_tails(counts, q, n, tails, start, base, length):
    """Upper tails P(sum of the scores of query columns s..e >= base + k) of every run.

    Run w = s * q + e keeps its tail for k = 0..length[w] at tails[start[w]:] (the last one
    0; below base the tail is the total mass). The tail of run s..e is the tail of s..e-1
    convolved with column e's distribution, its part below base (the total) added apart.
    """
    inv_n = 1.0 / n
    low = np.empty(q, np.int64)
    high = np.empty(q, np.int64)
    pmf = np.zeros((q, counts.shape[1] + 1))
    suffix = np.zeros((q, counts.shape[1] + 1))
    for i in range(q):
        lo = -1
        hi = -1
        for k in range(counts.shape[1]):
            if counts[i, k] != 0:
                if lo < 0:
                    lo = k
                hi = k
        low[i] = lo
        high[i] = hi
        for k in range(hi - lo + 1):
            pmf[i, k] = counts[i, lo + k] * inv_n
        acc = 0.0
        for k in range(hi - lo, -1, -1):
            acc += pmf[i, k]
            suffix[i, k] = acc
    pos = _NB_PAD
    for s in range(q):
        b = 0
        t = 0
        for e in range(s, q):
            b += low[e]
            t += high[e]
            w = s * q + e
            start[w] = pos
            base[w] = b
            length[w] = t - b + 1
            pos += t - b + 1 + 2 * _NB_PAD
    for s in range(q):
        st = start[s * q + s]
        size = high[s] - low[s] + 1
        for k in range(1, _NB_PAD + 1):
            tails[st - k] = 0.0
        for k in range(size):
            tails[st + k] = suffix[s, k]
        for k in range(_NB_PAD):
            tails[st + size + k] = 0.0
        for e in range(s + 1, q):
            previous = st
            st = start[s * q + e]
            width = high[e] - low[e] + 1
            total = tails[previous]
            _nb_convolve(tails[previous - _NB_PAD :], size, pmf[e], width, tails[st:])
            for x in range(width - 1):
                tails[st + x] += total * suffix[e, x + 1]
            size += width - 1
            for k in range(1, _NB_PAD + 1):
                tails[st - k] = 0.0
            for k in range(_NB_PAD):
                tails[st + size + k] = 0.0


def _nb_alignments(
    prefix,
    q,
    col_start,
    lengths,
    complete,
    min_overlap,
    internal,
    n_orient,
    unit,
    tails,
    start,
    base,
    length,
    out_p,
    out_offset,
    out_overlap,
):
    """Best configuration of every target entry, its offset, overlap and raw p-value.

    Complete scores: the configuration with the highest complete score (then the largest
    overlap, then the first) and the p-value of the maximum of independent complete scores
    over all configurations and strands, 1 - prod(1 - S), accumulated as p + S (1 - p) in
    four interleaved chains. Incomplete scores: the configuration with the smallest tail
    (then the largest overlap, then the first) and that tail.
    """
    n_entries = lengths.shape[0]
    stride = prefix.shape[1]
    flat = prefix.ravel()
    widest = 0
    for t in range(n_entries):
        widest = max(widest, lengths[t])
    n_configs = q + widest - 1
    # per target width (row wd * n_configs): each configuration's overlap, where its run
    # ends and starts in the flat prefix sums, and where and how its tail is looked up
    size = (widest + 1) * n_configs
    c_overlap = np.empty(size, np.int64)
    c_end = np.empty(size, np.int64)
    c_begin = np.empty(size, np.int64)
    c_start = np.empty(size, np.int64)
    c_shift = np.empty(size, np.int64)
    c_length = np.empty(size, np.int64)
    c_key = np.empty(size, np.int64)
    c_first = np.zeros(widest + 1, np.int64)
    c_last = np.zeros(widest + 1, np.int64)
    seen = np.zeros(widest + 1, np.bool_)
    for t in range(n_entries):
        wd = lengths[t]
        if seen[wd]:
            continue
        seen[wd] = True
        if internal:
            c_first[wd] = min(q, wd)
            c_last[wd] = max(q, wd)
        elif min_overlap > 1:
            least = min(min(min_overlap, q), wd)
            c_first[wd] = least
            c_last[wd] = q + wd - least
        else:
            c_first[wd] = 1
            c_last[wd] = q + wd - 1
        for c in range(1, q + wd):
            if c <= q:
                qs = q - c
                ts = 0
            else:
                qs = 0
                ts = c - q
            ov = min(q - qs, wd - ts)
            w = qs * q + qs + ov - 1
            k = wd * n_configs + c - 1
            c_overlap[k] = ov
            c_end[k] = (qs + ov) * stride + ts + ov
            c_begin[k] = qs * stride + ts
            c_start[k] = start[w]
            c_length[k] = length[w]
            # complete scores: an unaligned query column counts as its median (score 0)
            c_shift[k] = ((q - ov) * unit if complete else 0) - base[w]
            # the best complete score is the largest key (score, overlap, -configuration):
            # (score << 24) + (overlap << 12) + (4095 - configuration index)
            c_key[k] = ((ov * unit) << 24) + (ov << 12) + (4095 - (c - 1))
    for t in range(n_entries):
        wd = lengths[t]
        c0 = col_start[t]
        row = wd * n_configs
        if complete:
            # highest score, then largest overlap, then first: the largest key
            key = np.int64(-(1 << 62))
            for k in range(row + c_first[wd] - 1, row + c_last[wd]):
                total = np.int64(flat[np.uint64(c0 + c_end[k])]) - np.int64(
                    flat[np.uint64(c0 + c_begin[k])]
                )
                key = max(key, (total << 24) + c_key[k])
            best = row + 4095 - (key & 4095)
            best_score = key >> 24
        else:
            best = -1
            best_tail = np.inf
            for k in range(row + c_first[wd] - 1, row + c_last[wd]):
                total = np.int64(flat[np.uint64(c0 + c_end[k])]) - np.int64(
                    flat[np.uint64(c0 + c_begin[k])]
                )
                p = min(max(total + c_shift[k], 0), c_length[k])
                tail = min(tails[np.uint64(c_start[k] + p)], 1.0)
                if tail < best_tail or (tail == best_tail and c_overlap[k] > c_overlap[best]):
                    best_tail = tail
                    best = k
        out_offset[t] = best - row + 1 - q
        out_overlap[t] = c_overlap[best]
        if not complete:
            out_p[t] = best_tail
            continue
        x = best_score - q * unit
        end = row + q + wd - 1
        g0 = 0.0
        g1 = 0.0
        g2 = 0.0
        g3 = 0.0
        k = row
        while k + 4 <= end:
            s0 = min(tails[np.uint64(c_start[k] + min(max(x + c_shift[k], 0), c_length[k]))], 1.0)
            k1 = k + 1
            s1 = min(
                tails[np.uint64(c_start[k1] + min(max(x + c_shift[k1], 0), c_length[k1]))], 1.0
            )
            k2 = k + 2
            s2 = min(
                tails[np.uint64(c_start[k2] + min(max(x + c_shift[k2], 0), c_length[k2]))], 1.0
            )
            k3 = k + 3
            s3 = min(
                tails[np.uint64(c_start[k3] + min(max(x + c_shift[k3], 0), c_length[k3]))], 1.0
            )
            g0 = g0 + s0 * (1.0 - g0)
            g1 = g1 + s1 * (1.0 - g1)
            g2 = g2 + s2 * (1.0 - g2)
            g3 = g3 + s3 * (1.0 - g3)
            k += 4
        while k < end:
            s0 = min(tails[np.uint64(c_start[k] + min(max(x + c_shift[k], 0), c_length[k]))], 1.0)
            g0 = g0 + s0 * (1.0 - g0)
            k += 1
        p = g0
        p = p + g1 * (1.0 - p)
        p = p + g2 * (1.0 - p)
        p = p + g3 * (1.0 - p)
        if n_orient == 2:  # the other strand: the same independent alignments again
            p = p + p * (1.0 - p)
        out_p[t] = p


def _nb_scale_parameters(small, large):
    """MEME's offset ``floor(small)`` and scale ``floor(BINS / (large - offset))``."""
    if large == small:
        small = large - 1.0
    offset = float(math.floor(small))
    return offset, float(math.floor(BINS / (large - offset)))


def _nb_query(
    dist,
    query,
    query_ss,
    targets,
    target_ss,
    col_start,
    lengths,
    complete,
    min_overlap,
    internal,
    n_orient,
    scratch,
    out_p,
    out_offset,
    out_overlap,
):
    """One query against every target entry (see the section comment)."""
    keys32, bucket, histogram, found, values, prefix, bins, counts = scratch[:8]
    tails, start, base, length = scratch[8:]
    q = query.shape[0]
    n = targets.shape[1]
    t0 = targets[0]
    t1 = targets[1]
    t2 = targets[2]
    t3 = targets[3]
    medians = np.zeros(q)
    key_lo = np.empty(q)
    key_hi = np.empty(q)
    low = max(int(math.floor(0.5 * n)) - 1, 0)  # MEME's median ranks, ascending scores
    high = max(int(math.ceil(0.5 * n)) - 1, low)
    small = np.inf
    large = -np.inf
    for i in range(q):
        keys = keys32[i]
        _nb_keys(
            dist, query[i, 0], query[i, 1], query[i, 2], query[i, 3], t0, t1, t2, t3, keys, bucket
        )
        lowest_key, highest_key = _nb_key_extremes(keys)
        key_lo[i] = lowest_key
        key_hi[i] = highest_key
        if complete:
            medians[i] = _nb_median(
                dist,
                query,
                i,
                targets,
                target_ss,
                query_ss,
                bucket,
                n - 1 - high,
                n - 1 - low,
                (histogram, found, values),
            )
        # scores fall as keys grow; shifted as MEME shifts each one (fl(s - median) is
        # monotone in s, so the shifted extremes are those of the shifted scores)
        small = min(small, _nb_key_score(dist, key_hi[i]) - medians[i])
        large = max(large, _nb_key_score(dist, key_lo[i]) - medians[i])
    # small and large (so offset and scale) from float32 keys are within 2^-22 + 1e-11 of
    # MEME's; where that could change a floor, or tell equal extremes apart, redo them
    error = 4e-7
    offset, scale = _nb_scale_parameters(small, large)
    offset_low, scale_low = _nb_scale_parameters(small - error, large - error)
    offset_high, scale_high = _nb_scale_parameters(small + error, large + error)
    if (
        offset_low != offset_high
        or scale_low != scale
        or scale_high != scale
        or large - small <= 2 * error
    ):
        small = np.inf
        large = -np.inf
        for i in range(q):
            top = _nb_exact_extreme(
                dist, query, i, targets, target_ss, query_ss, keys32[i], key_lo[i], True
            )
            bottom = _nb_exact_extreme(
                dist, query, i, targets, target_ss, query_ss, keys32[i], key_hi[i], False
            )
            small = min(small, bottom - medians[i])
            large = max(large, top - medians[i])
        offset, scale = _nb_scale_parameters(small, large)
    # |float32 - double| of ((s - median) - offset) * scale + 0.5 is below
    # (18 scale + 203) 2^-24 for |s|, |median| <= 2; twice that is the margin
    tolerance = 2.0 * (18.0 * scale + 203.0) * 2.0**-24 + 1e-7
    for j in range(n + 1):
        prefix[0, j] = 0
    for i in range(q):
        if tolerance < 0.05:
            _nb_float32_bins(dist, keys32[i], medians[i], offset, scale, tolerance, bins)
        else:
            for j in range(n):
                bins[j] = -1
        if not _nb_settle_and_count(
            dist, query, i, targets, target_ss, query_ss, medians[i], offset, scale, bins, counts
        ):
            return False
        _nb_diagonal_prefix(prefix[i], prefix[i + 1], bins)
    _nb_window_tails(counts[:q], q, n, tails, start, base, length)
    _nb_alignments(
        prefix,
        q,
        col_start,
        lengths,
        complete,
        min_overlap,
        internal,
        n_orient,
        int(offset * scale),
        tails,
        start,
        base,
        length,
        out_p,
        out_offset,
        out_overlap,
    )
    return True


def _tail_storage(q: int) -> int:
    """Doubles :func:`_nb_window_tails` may use for a width-q query."""
    return BINS * q * (q + 1) * (q + 2) // 6 + (1 + 2 * _NB_PAD) * q * (q + 1) // 2 + _NB_PAD


def _scratch(q: int, n: int) -> tuple:
    """Scratch arrays of :func:`_nb_queries` for queries of width <= q against n columns
    (allocated once per thread: fresh pages cost more than the work in them)."""
    return (
        np.empty((q, n), np.float32),  # keys of every query column
        np.empty(n, np.int16),  # a row's key buckets
        np.empty(_NB_BUCKETS, np.int64),  # their histogram
        np.empty(n, np.int64),  # median candidates
        np.empty(n),  # ... their scores
        np.empty((q + 1, n + 1), np.int16 if q * BINS < 1 << 15 else np.int32),  # prefix sums
        np.empty(n, np.int32),  # a row of integer scores
        np.empty((q, BINS + 1), np.int64),  # their histograms
        np.empty(_tail_storage(q)),  # tails of every run of query columns
        np.empty(q * q, np.int64),  # where each run's tail starts
        np.empty(q * q, np.int64),  # its smallest score
        np.empty(q * q, np.int64),  # its number of scores
    )


def _nb_queries(
    dist,
    query_cols,
    query_ss,
    query_start,
    query_width,
    indices,
    targets,
    target_ss,
    col_start,
    lengths,
    complete,
    min_overlap,
    internal,
    n_orient,
    scratch,
    first_row,
    out_p,
    out_offset,
    out_overlap,
):
    """:func:`_nb_query` for queries ``indices`` with the arrays of :func:`_scratch`; query
    ``index`` fills row ``index - first_row`` of the outputs. Returns the first query that
    failed a consistency check, or -1."""
    for index in indices:
        first = query_start[index]
        last = first + query_width[index]
        ok = _nb_query(
            dist,
            query_cols[first:last],
            query_ss[first:last],
            targets,
            target_ss,
            col_start,
            lengths,
            complete,
            min_overlap,
            internal,
            n_orient,
            scratch,
            out_p[index - first_row],
            out_offset[index - first_row],
            out_overlap[index - first_row],
        )
        if not ok:
            return index
    return -1


# MEME's Mersenne Twister (numpy's MT19937 generation, :class:`MemeRandom`'s stream)


def _nb_mt_twist(key):
    """Regenerate the 624 words of the state (MT19937's genrand)."""
    for i in range(227):
        y = (np.int64(key[i]) & 0x80000000) | (np.int64(key[i + 1]) & 0x7FFFFFFF)
        key[i] = np.int64(key[i + 397]) ^ (y >> 1) ^ ((y & 1) * 0x9908B0DF)
    for i in range(227, 623):
        y = (np.int64(key[i]) & 0x80000000) | (np.int64(key[i + 1]) & 0x7FFFFFFF)
        key[i] = np.int64(key[i - 227]) ^ (y >> 1) ^ ((y & 1) * 0x9908B0DF)
    y = (np.int64(key[623]) & 0x80000000) | (np.int64(key[0]) & 0x7FFFFFFF)
    key[623] = np.int64(key[396]) ^ (y >> 1) ^ ((y & 1) * 0x9908B0DF)


def _nb_mt_draws(key, position, skip, out):
    """Advance the generator (state ``key`` at ``position``) by ``skip`` words, then write
    the next len(out) words into ``out``; return the new position."""
    while skip > 0:
        if position == 624:
            _nb_mt_twist(key)
            position = 0
        step = min(skip, 624 - position)
        position += step
        skip -= step
    done = 0
    n = out.shape[0]
    mask_b = np.uint32(0x9D2C5680)
    mask_c = np.uint32(0xEFC60000)
    while done < n:
        if position == 624:
            _nb_mt_twist(key)
            position = 0
        step = min(n - done, 624 - position)
        words = key[position : position + step]
        tempered = out[done : done + step]
        for k in range(step):  # MT19937's tempering, in uint32 (vectorises)
            y = words[k]
            y ^= y >> np.uint32(11)
            y ^= (y << np.uint32(7)) & mask_b
            y ^= (y << np.uint32(15)) & mask_c
            y ^= y >> np.uint32(18)
            tempered[k] = y
        position += step
        done += step
    return position


def _nb_qvalues(sorted_p, pi_zero, positions, out):
    """MEME's q-values (``compute_qvalues``) of the ascending p-values at ``positions``."""
    m = sorted_p.shape[0]
    q = np.empty(m)
    for k in range(m):
        q[k] = min(1.0, (pi_zero * sorted_p[k] * float(m)) / (k + 1.0))
    for k in range(m - 2, -1, -1):
        q[k] = min(q[k], q[k + 1])
    for c in range(positions.shape[0]):
        out[c] = q[positions[c]]


def _nb_bootstrap_qvalues(sorted_p, key, position, lambdas, bootstraps, samples, positions, out):
    """:func:`meme_qvalues` of ``m`` > 100 ascending p-values, pi0 estimated from the
    generator's state ``key`` at ``position`` (not changed): :func:`estimate_pi_zero`
    operation for operation, the draws made and counted on the fly."""
    m = sorted_p.shape[0]
    n_lambda = lambdas.shape[0]
    first_at_least = np.empty(n_lambda, np.int64)
    index = 0
    for i in range(n_lambda):
        while index < m and sorted_p[index] < lambdas[i]:
            index += 1
        first_at_least[i] = index
    pi_zeroes = np.empty(n_lambda)
    minimum = np.inf
    for i in range(n_lambda):
        estimate = (m - first_at_least[i]) / ((1.0 - lambdas[i]) * m)
        pi_zeroes[i] = np.inf if estimate == 0 else estimate
        minimum = min(minimum, pi_zeroes[i])
    pi_zero = 1.0
    if minimum < 1.0:  # else every pi0(lambda), so the estimate, is at least 1
        reached = np.empty(m, np.int64)  # lambdas whose first p >= lambda is at or below
        i = 0
        for k in range(m):
            while i < n_lambda and first_at_least[i] <= k:
                i += 1
            reached[k] = i
        # each bootstrap's draws at once (vectorised: temper, combine, scale), then counted
        state = key.copy()
        words = np.empty(2 * samples, np.uint32)
        picks = np.empty(samples, np.int64)
        scale = float(m)
        counts = np.empty(n_lambda + 1, np.int64)
        errors = np.zeros(n_lambda)
        for _bootstrap in range(bootstraps):
            position = _nb_mt_draws(state, position, 0, words)
            for k in range(samples):
                draw = (float(words[2 * k]) * 4294967296.0 + float(words[2 * k + 1])) * 2.0**-64
                picks[k] = min(np.int64(draw * scale), m - 1)
            for r in range(n_lambda + 1):
                counts[r] = 0
            for k in range(samples):
                counts[np.uint64(reached[np.uint64(picks[k])])] += 1
            at_least = 0
            for i in range(n_lambda - 1, -1, -1):
                at_least += counts[i + 1]
                estimate = at_least / ((1.0 - lambdas[i]) * samples)
                difference = (np.inf if estimate == 0 else estimate) - minimum
                errors[i] += difference * difference
        best = 0
        if not np.isnan(errors[0]):
            lowest = np.inf
            for i in range(n_lambda):
                e = np.inf if np.isnan(errors[i]) else errors[i]
                if e < lowest:
                    lowest = e
                    best = i
        pi_zero = min(max(pi_zeroes[best], 0.0), 1.0)
    _nb_qvalues(sorted_p, pi_zero, positions, out)


def _nb_bootstrap_rows(
    order,
    pvalue,
    lowest,
    positions,
    key,
    position,
    first,
    words_per_query,
    lambdas,
    bootstraps,
    samples,
    out_q,
):
    """:func:`_nb_bootstrap_qvalues` of the rows (queries) whose ``lowest`` pi0(lambda) is
    below 1; row r is query ``first + r`` after the generator state (``key`` at
    ``position``, advanced in place)."""
    n_rows, m = order.shape
    sorted_p = np.empty(m)
    no_words = np.empty(0, np.uint32)
    done = 0
    for r in range(n_rows):
        if not lowest[r] < 1.0:
            continue
        position = _nb_mt_draws(key, position, words_per_query * (first + r - done), no_words)
        done = first + r
        for k in range(m):
            sorted_p[k] = pvalue[r, np.uint64(order[r, k])]
        _nb_bootstrap_qvalues(
            sorted_p, key, position, lambdas, bootstraps, samples, positions[r], out_q[r]
        )


# the convolution of the null model may fuse multiply-adds (its sums are not MEME's
# to the bit anyway, see _nb_window_tails); nothing else may: scores must be MEME's
_NB_OPTIONS = {"_nb_convolve": {"fastmath": {"contract"}}}
_NB_KERNELS = (
    "_nb_round",
    "_nb_exact_score",
    "_nb_key_score",
    "_nb_keys",
    "_nb_key_extremes",
    "_nb_median",
    "_nb_exact_extreme",
    "_nb_float32_bins",
    "_nb_settle_and_count",
    "_nb_diagonal_prefix",
    "_nb_convolve",
    "_nb_window_tails",
    "_nb_alignments",
    "_nb_scale_parameters",
    "_nb_query",
    "_nb_queries",
    "_nb_mt_twist",
    "_nb_mt_draws",
    "_nb_qvalues",
    "_nb_bootstrap_qvalues",
    "_nb_bootstrap_rows",
    "_nb_rank_rows",
)


# --------------------------------------------------------------------------- q-values


def _mt_seed_key(seed: int = _MT_DEFAULT_SEED) -> np.ndarray:
    """mtwist's state after seeding with Knuth's old multiplier (69069), as MT19937's key."""
    key = np.empty(624, dtype=np.uint64)
    key[0] = seed & 0xFFFFFFFF
    for i in range(1, 624):
        key[i] = (69069 * int(key[i - 1])) & 0xFFFFFFFF
    return key.astype(np.uint32)


class MemeRandom:
    """MEME's program-wide Mersenne Twister (``drand_mt``) as Tomtom uses it.

    Tomtom never seeds it, so mtwist seeds itself with 4357 by Knuth's old multiplier
    (69069); ``drand_mt`` is mtwist's 64-bit ``mt_ldrand`` (two 32-bit draws, the first
    high). numpy's MT19937 is the same generator once given the same state (mtwist keeps
    the state reversed but draws the reference sequence).
    """

    def __init__(self, seed: int = _MT_DEFAULT_SEED):
        self._bits = np.random.MT19937()
        self._bits.state = {
            "bit_generator": "MT19937",
            "state": {"key": _mt_seed_key(seed), "pos": 624},
        }

    def words(self, n: int) -> np.ndarray:
        """The 2n 32-bit draws behind ``n`` calls of ``drand_mt``, shape (2n,)."""
        return self._bits.random_raw(2 * n).astype(np.uint32)

    def skip(self, n: int) -> None:
        """Advance past ``n`` calls of ``drand_mt``."""
        self._bits.random_raw(2 * n, output=False)

    @staticmethod
    def doubles(words: np.ndarray) -> np.ndarray:
        """``drand_mt`` values from pairs of draws: (high * 2^32 + low) * 2^-64.

        The sum of two exact doubles rounds once, as C's uint64-to-double conversion does.
        """
        return (words[0::2].astype(np.float64) * 4294967296.0 + words[1::2]) * 2.0**-64

    def ldrand(self, n: int) -> np.ndarray:
        """``n`` doubles in [0, 1)."""
        return self.doubles(self.words(n))

    @staticmethod
    def picks(words: np.ndarray, m: int) -> np.ndarray:
        """``(int)(drand_mt() * m)`` of the draws behind ``words``, capped at m - 1 (a draw
        that rounds to 1.0, where C would overrun)."""
        picks = (MemeRandom.doubles(words) * float(m)).astype(np.int64)
        np.minimum(picks, m - 1, out=picks)
        return picks

    def bootstrap_picks(self, m: int) -> np.ndarray:
        """Indices MEME's pi0 estimate draws from ``m`` sorted p-values: 100 bootstraps of
        1,000 ``(int)(drand_mt() * m)``, shape (100 000,)."""
        return self.picks(self.words(PI_ZERO_DRAWS), m)


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

METHODS = ("auto", "compiled", "numpy")
_KERNEL_LOCK = threading.Lock()
_KERNELS_STATE: dict[str, bool] = {}  # "ready": whether numba compiled (or loaded) them


def _kernels() -> bool:
    """Jit the compiled kernels on first use (numba is imported here, not with the module;
    the machine code is cached on disk next to this file). False without numba."""
    with _KERNEL_LOCK:
        if "ready" not in _KERNELS_STATE:
            try:
                import numba
            except ImportError:
                _KERNELS_STATE["ready"] = False
            else:
                module = globals()
                for name in _NB_KERNELS:
                    options = _NB_OPTIONS.get(name, {})
                    module[name] = numba.njit(nogil=True, cache=True, **options)(module[name])
                _KERNELS_STATE["ready"] = True
        return _KERNELS_STATE["ready"]


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
    method: str = "auto",
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
        Threads over queries; default: the CPUs this process may use, at most 8. The result
        does not depend on it.
    method : {'auto', 'compiled', 'numpy'}
        'compiled': the numba kernels (needs numba; queries of at most 100 columns);
        'numpy': the per-query numpy implementation they are tested against (several times
        slower); 'auto': compiled where it can. Both give MEME's table (the same floats
        with complete scores; with incomplete scores p-values agree to about 1e-13).

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
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    if min_overlap < 0:
        raise ValueError("min_overlap cannot be negative")
    if len(queries) == 0 or len(targets) == 0:
        return _frame({name: np.zeros(0) for name in TSV_COLUMNS})
    complete = not incomplete_scores
    min_overlap = int(min_overlap)
    prepared = _prepare_targets(targets, dist, norc, motif_pseudo, background, target_dbs)
    query_probs = [prepare_probs(query, background, motif_pseudo) for query in queries]
    n_jobs = _default_jobs() if n_jobs is None else max(1, int(n_jobs))
    compiled = method != "numpy" and _compiled_fits(query_probs, prepared) and _kernels()
    if method == "compiled" and not compiled:
        raise ValueError(
            f"method='compiled' needs numba and queries of at most {_NB_MAX_QUERY_WIDTH} columns"
        )
    ranking = _Ranking(prepared, queries, query_probs, complete, min_overlap, internal, compiled)
    if compiled:
        _compare_compiled(query_probs, prepared, dist, ranking, n_jobs)
    else:
        best = _compare_numpy(query_probs, prepared, dist, complete, min_overlap, internal, n_jobs)
        for i in range(0, len(queries), 64):
            ranking.rank(best.raw[i : i + 64], best.offset[i : i + 64], best.overlap[i : i + 64], i)
        ranking.settle_pi_zero()
    return _result_table(ranking, thresh, evalue)


_NB_MAX_QUERY_WIDTH = 100  # the kernels keep every run's tail: ~ 100 q^3 / 6 doubles


def _compiled_fits(query_probs: Sequence[np.ndarray], targets: _Targets) -> bool:
    """Whether the compiled kernels take these motifs (widths within their limits: the
    scratch space grows with the cube of the query width, and a configuration index is
    packed in 12 bits)."""
    widest = max(len(probs) for probs in query_probs)
    return widest <= _NB_MAX_QUERY_WIDTH and widest + int(targets.lengths.max()) < 4096


@dataclass
class _Best:
    """Every query's best alignment with every target entry, shape (queries, entries)."""

    raw: np.ndarray  # complete: p-value of the maximum of alignments; else: the best tail
    offset: np.ndarray
    overlap: np.ndarray


def _compare_compiled(
    query_probs: list[np.ndarray],
    targets: _Targets,
    dist: str,
    ranking: _Ranking,
    n_jobs: int,
) -> None:
    """Every query against every target entry in the compiled kernels, then ranked, in
    ``n_jobs`` threads taking consecutive queries in turn."""
    widths = np.array([len(probs) for probs in query_probs], dtype=np.int64)
    query_start = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(np.int64)
    query, query_ss = _kernel_columns(np.concatenate(query_probs), dist)
    target_cols, target_ss = _kernel_columns(targets.score_inputs.cols, dist)
    target_cols = np.ascontiguousarray(target_cols.T)
    n_queries, n_entries = len(query_probs), len(targets.lengths)
    size = int(np.clip(n_queries // (8 * n_jobs), 1, 16))
    starts = list(range(0, n_queries, size))
    lock = threading.Lock()
    queue = iter(enumerate(starts))
    failures: list[BaseException] = []

    def work() -> None:
        try:
            scratch = _scratch(int(widths.max()), target_cols.shape[1])
            raw = np.empty((size, n_entries))
            offset = np.empty((size, n_entries), np.int32)
            overlap = np.empty((size, n_entries), np.int32)
            while not failures and not ranking.stopped:
                with lock:
                    index, first = next(queue, (None, None))
                if index is None:
                    return
                count = min(size, n_queries - first)
                failed = _nb_queries(
                    _NB_DISTANCE_CODES[dist],
                    query,
                    query_ss,
                    query_start,
                    widths,
                    np.arange(first, first + count, dtype=np.int64),
                    target_cols,
                    target_ss,
                    targets.col_start,
                    targets.lengths,
                    ranking.complete,
                    ranking.min_overlap,
                    ranking.internal,
                    targets.n_orient,
                    scratch,
                    first,
                    raw,
                    offset,
                    overlap,
                )
                if failed >= 0:
                    raise RuntimeError(f"tomtom: inconsistent column scores of query {failed}")
                ranking.rank(raw[:count], offset[:count], overlap[:count], first, index)
        except BaseException as error:
            failures.append(error)
            raise

    if n_jobs == 1 or len(starts) == 1:
        ranking.snapshot(starts)
        work()
        return
    with ThreadPoolExecutor(n_jobs) as pool:
        # a SystemExit (SIGTERM) may come at any line here: from then on, no worker may be
        # left waiting for a snapshot, or leaving the pool would wait for it forever
        try:
            futures = [pool.submit(work) for _ in range(n_jobs)]
            # meanwhile, in this thread: the random generator's state at each piece (MEME
            # draws its pi0 bootstraps query after query)
            ranking.snapshot(starts)
            for future in futures:
                future.result()
        finally:  # after an error, the workers stop at their next piece or snapshot
            ranking.stop()


def _kernel_columns(cols: np.ndarray, dist: str) -> tuple[np.ndarray, np.ndarray]:
    """Columns (n, 8) as the kernels take them: probabilities in 0-3 (pearson: centred and
    normalised values, then the centred values in 4-7) and MEME's rounded sums of squares
    of the centred values (pearson; zeros otherwise)."""
    inputs = _score_inputs(cols, dist)
    out = np.zeros((len(cols), 8))
    if dist == "pearson":
        out[:, :4] = inputs.normalised_t.T
        out[:, 4:] = inputs.centred
        return out, np.ascontiguousarray(inputs.sum_squares, dtype=np.float64)
    out[:, :4] = inputs.cols
    return out, np.zeros(len(cols))


def _compare_numpy(
    query_probs: list[np.ndarray],
    targets: _Targets,
    dist: str,
    complete: bool,
    min_overlap: int,
    internal: bool,
    n_jobs: int,
) -> _Best:
    layouts = {
        q: _layout(q, targets, min_overlap, internal)
        for q in sorted({len(probs) for probs in query_probs})
    }
    shape = (len(query_probs), len(targets.lengths))
    best = _Best(np.empty(shape), np.empty(shape, np.int32), np.empty(shape, np.int32))

    def run(index: int) -> None:
        probs = query_probs[index]
        result = _compare_query(probs, targets, layouts[len(probs)], dist, complete)
        best.raw[index] = result.raw
        best.offset[index] = result.offset
        best.overlap[index] = result.overlap

    try:
        with _single_threaded_blas():
            if n_jobs == 1 or len(query_probs) == 1:
                for index in range(len(query_probs)):
                    run(index)
            else:
                with ThreadPoolExecutor(n_jobs) as pool:
                    # (an exception here, SIGTERM included, cancels the queries not started)
                    list(pool.map(run, range(len(query_probs))))
    finally:
        _WORKSPACE.buffers.clear()  # this thread's scratch arrays: tens of megabytes
    return best


def _allowed_configurations(q: int, lengths: np.ndarray, min_overlap: int, internal: bool):
    """Configurations MEME tries for a width-q query against targets of ``lengths``."""
    if internal:
        return np.maximum(q, lengths) - np.minimum(q, lengths) + 1
    if min_overlap > 1:
        least = np.minimum(np.minimum(min_overlap, q), lengths)
        return (q + lengths - least) - least + 1
    return q + lengths - 1


class _Ranking:
    """p-, E- and q-values, MEME's order and each target's better strand, block by block of
    queries, into the output columns (one row per query and original target)."""

    def __init__(
        self,
        targets: _Targets,
        queries: Sequence[Motif],
        query_probs: Sequence[np.ndarray],
        complete: bool,
        min_overlap: int,
        internal: bool,
        compiled: bool,
    ):
        self.targets = targets
        self.widths = np.array([len(probs) for probs in query_probs], dtype=np.int64)
        self.query_ids = np.array([query.id for query in queries], dtype=object)
        self.query_consensus = np.array([meme_consensus(p) for p in query_probs], dtype=object)
        self.complete = complete
        self.min_overlap = min_overlap
        self.internal = internal
        n_entries = len(targets.lengths)
        # MEME's order: p-value, larger overlap, database, strand-prefixed ID
        self.tie = np.empty(n_entries, dtype=np.int64)
        self.tie[np.lexsort((targets.order_key, targets.db))] = np.arange(n_entries)
        self.compiled = compiled
        # the output columns, one row per query and target (its better strand), in order
        shape = (len(query_probs), n_entries // targets.n_orient)
        self.entry = np.empty(shape, np.int64)
        self.offset = np.empty(shape, np.int64)
        self.pvalue = np.empty(shape)
        self.evalue = np.empty(shape)
        self.qvalue = np.empty(shape)  # pi0 = 1, but where the bootstrap estimate may be less
        self.overlap = np.empty(shape, np.int64)
        self.needy: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.strings: dict[int, dict[str, np.ndarray]] = {}  # by first query of a block
        self.draws = None
        if n_entries > _MIN_PVALUES_FOR_PI0:
            self.draws = _PiZeroDraws(n_entries, _KERNELS_STATE.get("ready", False))
        # compiled: the generator's state at the start of each piece of queries, so that each
        # piece draws its own bootstraps (see :meth:`snapshot`)
        self.piece_starts: list[int] = []
        self.snapshot_keys = np.empty((0, 624), np.uint32)
        self.snapshot_positions = np.empty(0, np.int64)
        self.snapshots_ready = 0
        self.snapshot_condition = threading.Condition()
        self.stopped = False

    def snapshot(self, piece_starts: list[int]) -> None:
        """The generator's state at each piece start, in order (a worker ranking a piece
        waits for its own; MEME draws 100,000 per query, query after query)."""
        self.piece_starts = list(piece_starts)
        self.snapshot_keys = np.empty((len(piece_starts), 624), np.uint32)
        self.snapshot_positions = np.empty(len(piece_starts), np.int64)
        key, position = _mt_seed_key(), 624
        no_words = np.empty(0, np.uint32)
        previous = 0
        for index, start in enumerate(piece_starts):
            if self.draws is not None:
                skip = 2 * PI_ZERO_DRAWS * (start - previous)
                position = _nb_mt_draws(key, position, skip, no_words)
            self.snapshot_keys[index] = key
            self.snapshot_positions[index] = position
            previous = start
            with self.snapshot_condition:
                self.snapshots_ready = index + 1
                self.snapshot_condition.notify_all()

    def stop(self) -> None:
        """No more pieces: wake the workers waiting for a snapshot that will not come (they
        raise; once all is ranked, none waits)."""
        with self.snapshot_condition:
            self.stopped = True
            self.snapshot_condition.notify_all()

    def rank(
        self,
        raw: np.ndarray,
        offset: np.ndarray,
        overlap: np.ndarray,
        first: int,
        piece: int | None = None,
    ) -> None:
        """Rank queries first .. first + len(raw) - 1 (rows of the raw results) into the
        output rows (different threads take different queries). With ``piece`` (compiled),
        queries whose pi0 estimate needs the bootstrap get it here from that piece's
        generator state; otherwise :meth:`settle_pi_zero` does it, in query order."""
        targets = self.targets
        n_rows, n_entries = raw.shape
        rows = slice(first, first + n_rows)
        if self.complete:
            p32 = raw.astype(np.float32)  # MEME keeps it in a float
            pvalue = p32.astype(np.float64)
            # E = p * target_count / norient, evaluated in single precision as in MEME
            evalues = ((p32 * np.float32(n_entries)) / np.float32(targets.n_orient)).astype(float)
        else:
            tries = np.stack(
                [
                    _allowed_configurations(
                        int(q), targets.lengths, self.min_overlap, self.internal
                    )
                    for q in self.widths[rows]
                ]
            )
            pvalue = _extreme_value_pvalue(raw, tries * targets.n_orient)
            evalues = pvalue * float(targets.n_original)
        if self.complete and overlap.max() < 2048 and n_entries <= 1 << 21:
            key = p32.view(np.uint32).astype(np.uint64) << np.uint64(32)  # p >= 0: bits order
            key |= (2047 - overlap).astype(np.uint64) << np.uint64(21)
            key |= self.tie.astype(np.uint64)
            order = np.argsort(key, axis=1)
        else:
            order = np.lexsort((np.broadcast_to(self.tie, raw.shape), -overlap, pvalue), axis=-1)
        positions = np.empty((n_rows, n_entries // targets.n_orient), np.int64)
        lowest = np.full(n_rows, np.inf)
        estimate = n_entries > _MIN_PVALUES_FOR_PI0
        rank_rows = _nb_rank_rows if self.compiled else _rank_rows_numpy
        rank_rows(
            order,
            pvalue,
            evalues,
            offset,
            overlap,
            targets.n_orient,
            _LAMBDAS,
            estimate,
            self.entry[rows],
            self.offset[rows],
            self.pvalue[rows],
            self.evalue[rows],
            self.qvalue[rows],
            self.overlap[rows],
            positions,
            lowest,
        )
        self.add_strings(first, n_rows)
        if not estimate or not (lowest < 1.0).any():
            return
        if piece is None:
            for row in np.flatnonzero(lowest < 1.0):
                self.needy[first + int(row)] = (np.take(pvalue[row], order[row]), positions[row])
            return
        with self.snapshot_condition:
            self.snapshot_condition.wait_for(lambda: self.snapshots_ready > piece or self.stopped)
            if self.stopped:
                raise RuntimeError("tomtom: stopped")
        _nb_bootstrap_rows(
            order,
            pvalue,
            lowest,
            positions,
            self.snapshot_keys[piece].copy(),
            int(self.snapshot_positions[piece]),
            first - self.piece_starts[piece],
            2 * PI_ZERO_DRAWS,
            _LAMBDAS,
            _NUM_BOOTSTRAPS,
            _NUM_BOOTSTRAP_SAMPLES,
            self.qvalue[rows],
        )

    def add_strings(self, first: int, count: int) -> None:
        """The string columns of queries first .. first + count - 1 (in the threads, beside
        the compiled work; joined once all queries are ranked)."""
        rows = slice(first, first + count)
        entry = self.entry[rows].ravel()
        per_query = self.entry.shape[1]
        targets = self.targets
        self.strings[first] = {
            "Query_ID": np.repeat(self.query_ids[rows], per_query),
            "Target_ID": targets.ids[entry],
            "Query_consensus": np.repeat(self.query_consensus[rows], per_query),
            "Target_consensus": targets.consensus[entry],
            "Orientation": targets.strand[entry],
        }

    def settle_pi_zero(self) -> None:
        """q-values of the queries whose pi0 estimate needs MEME's bootstrap draws (numpy:
        in query order, once all are ranked; MEME draws for every query, needed or not)."""
        if self.draws is None:
            return
        for query in sorted(self.needy):
            sorted_p, positions = self.needy.pop(query)
            self.qvalue[query] = meme_qvalues(sorted_p, picks=self.draws.picks(query))[positions]


def _nb_rank_rows(
    order,
    pvalue,
    evalues,
    offset,
    overlap,
    n_orient,
    lambdas,
    estimate,
    out_entry,
    out_offset,
    out_p,
    out_e,
    out_q,
    out_overlap,
    out_position,
    lowest,
):
    """Per row (query): the q-values of its sorted p-values with pi0 = 1 (MEME's
    ``compute_qvalues``), the smallest pi0(lambda) of Storey's estimate (when it is at least
    1, so is the estimate) and, in that order, each target's first strand."""
    n_rows, m = order.shape
    kept = m // n_orient
    sorted_p = np.empty(m)
    q = np.empty(m)
    seen = np.zeros(kept, np.bool_)
    for r in range(n_rows):
        for k in range(m):
            sorted_p[k] = pvalue[r, np.uint64(order[r, k])]
        if estimate:
            low = np.inf
            first_at_least = 0
            for lam in lambdas:
                while first_at_least < m and sorted_p[first_at_least] < lam:
                    first_at_least += 1
                low = min(low, (m - first_at_least) / ((1.0 - lam) * m))
            lowest[r] = low
        for k in range(m):
            q[k] = min(1.0, (sorted_p[k] * float(m)) / (k + 1.0))
        for k in range(m - 2, -1, -1):
            q[k] = min(q[k], q[k + 1])
        for o in range(kept):
            seen[o] = False
        c = 0
        for k in range(m):
            e = np.uint64(order[r, k])  # unsigned: no negative-index wraparound
            o = e // np.uint64(n_orient)
            if not seen[o]:
                seen[o] = True
                out_entry[r, c] = e
                out_offset[r, c] = offset[r, e]
                out_p[r, c] = pvalue[r, e]
                out_e[r, c] = evalues[r, e]
                out_q[r, c] = q[k]
                out_overlap[r, c] = overlap[r, e]
                out_position[r, c] = k
                c += 1


def _rank_rows_numpy(
    order,
    pvalue,
    evalues,
    offset,
    overlap,
    n_orient,
    lambdas,
    estimate,
    out_entry,
    out_offset,
    out_p,
    out_e,
    out_q,
    out_overlap,
    out_position,
    lowest,
):
    """:func:`_nb_rank_rows` in numpy, all rows at once (when numba is not installed)."""
    n_rows, m = order.shape
    sorted_p = np.take_along_axis(pvalue, order, axis=1)
    if estimate:
        first_at_least = np.stack([np.searchsorted(row, lambdas, side="left") for row in sorted_p])
        lowest[:] = ((m - first_at_least) / ((1.0 - lambdas) * m)).min(axis=1)
    fdr = np.minimum(1.0, (sorted_p * float(m)) / (np.arange(m) + 1.0))
    q = np.minimum.accumulate(fdr[:, ::-1], axis=1)[:, ::-1]
    if n_orient == 2:
        position = np.empty_like(order)
        np.put_along_axis(position, order, np.arange(m)[None, :], axis=1)
        first_strand = np.zeros(order.shape, dtype=bool)
        reverse = position[:, 1::2] < position[:, 0::2]
        first_strand[np.arange(n_rows)[:, None], 2 * np.arange(m // 2) + reverse] = True
        in_order = np.take_along_axis(first_strand, order, axis=1)
    else:
        in_order = np.ones(order.shape, dtype=bool)
    out_position[:] = np.nonzero(in_order)[1].reshape(n_rows, -1)
    out_entry[:] = np.take_along_axis(order, out_position, axis=1)
    out_q[:] = np.take_along_axis(q, out_position, axis=1)
    for out, values in (
        (out_offset, offset),
        (out_p, pvalue),
        (out_e, evalues),
        (out_overlap, overlap),
    ):
        out[:] = np.take_along_axis(values, out_entry, axis=1)


def _result_table(ranking: _Ranking, thresh: float | None, evalue: bool) -> pd.DataFrame:
    """The table of the ranked queries (q-values settled)."""
    blocks = [ranking.strings[first] for first in sorted(ranking.strings)]
    columns = {name: np.concatenate([block[name] for block in blocks]) for name in blocks[0]}
    columns["Optimal_offset"] = ranking.offset.ravel()
    columns["p-value"] = ranking.pvalue.ravel()
    columns["E-value"] = ranking.evalue.ravel()
    columns["q-value"] = ranking.qvalue.ravel()
    columns["Overlap"] = ranking.overlap.ravel()
    if thresh is not None:
        keep = columns["E-value" if evalue else "q-value"] <= thresh
        columns = {name: values[keep] for name, values in columns.items()}
    return _frame({name: columns[name] for name in TSV_COLUMNS})


class _PiZeroDraws:
    """MEME's pi0 bootstrap draws, query after query from one generator: every query draws
    its 100,000 (when it has over 100 p-values), whether or not its estimate needs them."""

    def __init__(self, m: int, compiled: bool):
        self.m = m
        self.done = 0  # queries whose draws the generator is past
        self.compiled = compiled
        if self.compiled:
            self.key, self.position = _mt_seed_key(), 624
        else:
            self.rng = MemeRandom()

    def advance(self, query: int) -> None:
        """Skip the draws of the queries before ``query``."""
        if query < self.done:
            raise ValueError("draws are made in query order")
        skip, self.done = query - self.done, query
        if not skip:
            return
        if self.compiled:
            no_words = np.empty(0, dtype=np.uint32)
            self.position = _nb_mt_draws(
                self.key, self.position, 2 * skip * PI_ZERO_DRAWS, no_words
            )
        else:
            self.rng.skip(skip * PI_ZERO_DRAWS)

    def picks(self, query: int) -> np.ndarray:
        """Query ``query``'s draws (queries in increasing order)."""
        self.advance(query)
        self.done = query + 1
        if not self.compiled:
            return self.rng.bootstrap_picks(self.m)
        words = np.empty(2 * PI_ZERO_DRAWS, dtype=np.uint32)
        self.position = _nb_mt_draws(self.key, self.position, 0, words)
        return MemeRandom.picks(words, self.m)


def _frame(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """The result table with fixed dtypes (pandas would otherwise infer string types), each
    column the array given (no copy into consolidated blocks: millions of rows)."""
    return pd.DataFrame(
        {
            name: pd.Series(
                np.asarray(values, dtype=_COLUMN_DTYPES[name]),
                dtype=_COLUMN_DTYPES[name],
                copy=False,
            )
            for name, values in columns.items()
        },
        copy=False,
    )


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
