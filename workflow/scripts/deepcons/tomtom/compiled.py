"""Every query against every target in the compiled loops (:mod:`.loops`), in threads."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import loops
from .ranking import Ranking
from .scores import score_inputs
from .targets import Targets

MAX_QUERY_WIDTH = 100  # the kernels keep every run's tail: ~ 100 q^3 / 6 doubles


def compiled_fits(query_probs: Sequence[np.ndarray], targets: Targets) -> bool:
    """Whether the compiled kernels take these motifs (widths within their limits: the
    scratch space grows with the cube of the query width, and a configuration index is
    packed in 12 bits)."""
    widest = max(len(probs) for probs in query_probs)
    return widest <= MAX_QUERY_WIDTH and widest + int(targets.lengths.max()) < 4096


def compare_compiled(
    query_probs: list[np.ndarray],
    targets: Targets,
    dist: str,
    ranking: Ranking,
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
            scratch = loops.scratch_space(int(widths.max()), target_cols.shape[1])
            raw = np.empty((size, n_entries))
            offset = np.empty((size, n_entries), np.int32)
            overlap = np.empty((size, n_entries), np.int32)
            while not failures and not ranking.stopped:
                with lock:
                    index, first = next(queue, (None, None))
                if index is None:
                    return
                count = min(size, n_queries - first)
                failed = loops.nb_queries(
                    loops.DISTANCE_CODES[dist],
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
    inputs = score_inputs(cols, dist)
    out = np.zeros((len(cols), 8))
    if dist == "pearson":
        out[:, :4] = inputs.normalised_t.T
        out[:, 4:] = inputs.centred
        return out, np.ascontiguousarray(inputs.sum_squares, dtype=np.float64)
    out[:, :4] = inputs.cols
    return out, np.zeros(len(cols))
