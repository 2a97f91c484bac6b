"""The target motifs, both strands, as one block of columns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..meme_io import Motif
from .motifs import meme_consensus, prepare_probs
from .scores import ScoreInputs, score_inputs


@dataclass
class Targets:
    """All target motifs, both strands, in MEME's order (each original then its RC)."""

    ids: np.ndarray  # (N,) object: target motif IDs
    original: np.ndarray  # (N,) index of the original target motif
    strand: np.ndarray  # (N,) '+' or '-'
    lengths: np.ndarray  # (N,) widths
    col_start: np.ndarray  # (N,) first column in the score matrices
    db: np.ndarray  # (N,) database (file) index
    order_key: np.ndarray  # (N,) rank of MEME's strand-prefixed ID (last sort key)
    consensus: np.ndarray  # (N,) object: consensus of each strand's matrix
    score_inputs: ScoreInputs  # all target columns
    n_original: int
    n_orient: int

    @property
    def n_columns(self) -> int:
        return int(self.lengths.sum())


def prepare_targets(
    targets: Sequence[Motif],
    dist: str,
    norc: bool,
    motif_pseudo: float,
    background: np.ndarray | None,
    target_dbs: Sequence[int] | None,
) -> Targets:
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
    return Targets(
        ids=np.array(ids, dtype=object),
        original=np.array(original, dtype=np.int64),
        strand=np.array(strand, dtype=object),
        lengths=lengths_arr,
        col_start=np.concatenate([[0], np.cumsum(lengths_arr)[:-1]]).astype(np.int64),
        db=np.array(db, dtype=np.int64),
        order_key=order_key,
        consensus=np.array(consensus, dtype=object),
        score_inputs=score_inputs(np.concatenate(cols), dist),
        n_original=len(targets),
        n_orient=len(strands),
    )
