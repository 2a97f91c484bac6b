"""The numpy implementation, one query at a time: the reference the compiled kernels
are tested against, and the fallback without numba (steps 5-6)."""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache

import numpy as np

from .constants import BINS
from .scores import WORKSPACE, scaled_distance, scaled_pearson, score_inputs
from .targets import Targets


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
    existing_target: np.ndarray  # target of each existing configuration, row by row
    existing_window: np.ndarray  # its window
    existing_unaligned: np.ndarray  # its unaligned query columns
    row_starts: np.ndarray  # (N,) first of each target's existing configurations


def _layout(q: int, targets: Targets, min_overlap: int, internal: bool) -> _Layout:
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


def extreme_value_pvalue(p: np.ndarray, n: np.ndarray) -> np.ndarray:
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
    probs: np.ndarray, targets: Targets, layout: _Layout, dist: str, complete: bool
) -> _QueryResult:
    """Best alignment and raw p-value of one query against every target entry (numpy; the
    reference the compiled kernels are tested against)."""
    ws = WORKSPACE
    q = len(probs)
    query = score_inputs(probs, dist)
    # scaled scores inside a zero top row and left column: the alignment prefix sums' room
    prefix = ws.array("prefix", (q + 1, targets.n_columns + 1), np.int32)
    prefix[0] = 0
    prefix[:, 0] = 0
    scaled = prefix[1:, 1:]
    if dist == "pearson":
        offset, scale = scaled_pearson(query, targets.score_inputs, complete, ws, scaled)
    else:
        offset, scale = scaled_distance(query, targets.score_inputs, dist, complete, ws, scaled)
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


@dataclass
class _Best:
    """Every query's best alignment with every target entry, shape (queries, entries)."""

    raw: np.ndarray  # complete: p-value of the maximum of alignments; else: the best tail
    offset: np.ndarray
    overlap: np.ndarray


def compare_numpy(
    query_probs: list[np.ndarray],
    targets: Targets,
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
        WORKSPACE.buffers.clear()  # this thread's scratch arrays: tens of megabytes
    return best


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
