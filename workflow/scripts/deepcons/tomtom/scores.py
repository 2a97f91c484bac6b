"""Column-column scores and their scaling into Tomtom's integer bins (steps 2-4)."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import cdist

from .constants import BINS, DISTANCES, MEME_LN10, SIGNIFICANT_DIGITS


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
        exponent = np.log(magnitude) / MEME_LN10
        near_integer = np.abs(exponent - np.rint(exponent)) < 1e-9
    if np.any(near_integer):
        exponent[near_integer] = [
            math.log(v) / MEME_LN10 if v > 0 else -np.inf for v in magnitude[near_integer]
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
class ScoreInputs:
    """What a distance needs of one side's columns, computed once."""

    cols: np.ndarray  # (n, 4) frequencies
    cols_t: np.ndarray  # (4, n) the same, letter-major
    centred: np.ndarray | None = None  # (n, 4) frequencies - 1/4 (pearson)
    sum_squares: np.ndarray | None = None  # (n,) MEME-rounded sum of squared centred values
    normalised_t: np.ndarray | None = None  # (4, n) centred / sqrt(sum_squares), 0 if 0


def score_inputs(cols: np.ndarray, dist: str) -> ScoreInputs:
    cols = np.ascontiguousarray(cols, dtype=float)
    inputs = ScoreInputs(cols, np.ascontiguousarray(cols.T))
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


def _pearson_exact(query: ScoreInputs, target: ScoreInputs, rows, cols) -> np.ndarray:
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


def _distance_scores(query: ScoreInputs, target: ScoreInputs, dist: str, out, spare) -> None:
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
    check_distance(dist)
    query, target = score_inputs(query_probs, dist), score_inputs(target_cols, dist)
    if dist == "pearson":
        rows, cols = np.arange(len(query.cols))[:, None], np.arange(len(target.cols))[None, :]
        return _pearson_exact(query, target, rows, cols)
    out = np.empty((len(query.cols), len(target.cols)))
    _distance_scores(query, target, dist, out, np.empty_like(out))
    return out


def check_distance(dist: str) -> None:
    if dist not in DISTANCES:
        raise ValueError(f"unknown distance {dist!r}; expected one of {', '.join(DISTANCES)}")


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


WORKSPACE = _Workspace()


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


def scaled_distance(
    query: ScoreInputs,
    target: ScoreInputs,
    dist: str,
    complete: bool,
    ws: _Workspace,
    scaled: np.ndarray,
) -> tuple[float, float]:
    """Integer column scores of ``ed`` or ``sandelin`` into ``scaled``; see
    :func:`scaled_pearson`."""
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


def scaled_pearson(
    query: ScoreInputs,
    target: ScoreInputs,
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
    check_distance(dist)
    query, target = score_inputs(query_probs, dist), score_inputs(target_cols, dist)
    ws = _Workspace()
    scaled = np.empty((len(query.cols), len(target.cols)), dtype=np.int32)
    if dist != "pearson":
        offset, scale = scaled_distance(query, target, dist, complete, ws, scaled)
        return scaled, offset, scale
    if not exact:
        offset, scale = scaled_pearson(query, target, complete, ws, scaled)
        return scaled, offset, scale
    scores = column_scores(query_probs, target_cols, dist)
    if complete:
        lower, upper = _order_statistics(scores, *_median_ranks(len(target_cols)), scores.copy())
        scores -= ((lower + upper) / 2.0)[:, None]
    offset, scale = _scale_parameters(float(scores.min()), float(scores.max()))
    scaled = np.empty(scores.shape, dtype=np.int32)
    _scale_into(scores, offset, scale, scaled)
    return scaled, offset, scale
