"""p-, E- and q-values of every query's matches, in MEME's order, into the result table."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..meme_io import Motif
from . import loops
from .motifs import meme_consensus
from .output import TSV_COLUMNS, result_frame
from .qvalues import (
    LAMBDAS,
    MIN_PVALUES_FOR_PI0,
    NUM_BOOTSTRAP_SAMPLES,
    NUM_BOOTSTRAPS,
    PI_ZERO_DRAWS,
    PiZeroDraws,
    meme_qvalues,
    mt_seed_key,
)
from .reference import extreme_value_pvalue
from .targets import Targets


def _allowed_configurations(q: int, lengths: np.ndarray, min_overlap: int, internal: bool):
    """Configurations MEME tries for a width-q query against targets of ``lengths``."""
    if internal:
        return np.maximum(q, lengths) - np.minimum(q, lengths) + 1
    if min_overlap > 1:
        least = np.minimum(np.minimum(min_overlap, q), lengths)
        return (q + lengths - least) - least + 1
    return q + lengths - 1


class Ranking:
    """p-, E- and q-values, MEME's order and each target's better strand, block by block of
    queries, into the output columns (one row per query and original target)."""

    def __init__(
        self,
        targets: Targets,
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
        if n_entries > MIN_PVALUES_FOR_PI0:
            self.draws = PiZeroDraws(n_entries, loops.loaded())
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
        key, position = mt_seed_key(), 624
        no_words = np.empty(0, np.uint32)
        previous = 0
        for index, start in enumerate(piece_starts):
            if self.draws is not None:
                skip = 2 * PI_ZERO_DRAWS * (start - previous)
                position = loops.nb_mt_draws(key, position, skip, no_words)
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
            pvalue = extreme_value_pvalue(raw, tries * targets.n_orient)
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
        estimate = n_entries > MIN_PVALUES_FOR_PI0
        rank_rows = loops.nb_rank_rows if self.compiled else _rank_rows_numpy
        rank_rows(
            order,
            pvalue,
            evalues,
            offset,
            overlap,
            targets.n_orient,
            LAMBDAS,
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
        loops.nb_bootstrap_rows(
            order,
            pvalue,
            lowest,
            positions,
            self.snapshot_keys[piece].copy(),
            int(self.snapshot_positions[piece]),
            first - self.piece_starts[piece],
            2 * PI_ZERO_DRAWS,
            LAMBDAS,
            NUM_BOOTSTRAPS,
            NUM_BOOTSTRAP_SAMPLES,
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
    """:func:`loops.nb_rank_rows` in numpy, all rows at once (when numba is not installed)."""
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


def result_table(ranking: Ranking, thresh: float | None, evalue: bool) -> pd.DataFrame:
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
    return result_frame({name: columns[name] for name in TSV_COLUMNS})
