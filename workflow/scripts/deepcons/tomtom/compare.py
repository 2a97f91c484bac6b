"""compare_motifs: the entry point, which picks an implementation and runs it."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..meme_io import Motif
from . import loops
from .compiled import MAX_QUERY_WIDTH, compare_compiled, compiled_fits
from .motifs import prepare_probs
from .output import TSV_COLUMNS, result_frame
from .ranking import Ranking, result_table
from .reference import compare_numpy
from .scores import check_distance
from .targets import prepare_targets

METHODS = ("auto", "compiled", "numpy")


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
        strand-symmetric by :func:`.motifs.symmetric_background`); default uniform.
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
    check_distance(dist)
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    if min_overlap < 0:
        raise ValueError("min_overlap cannot be negative")
    if len(queries) == 0 or len(targets) == 0:
        return result_frame({name: np.zeros(0) for name in TSV_COLUMNS})
    complete = not incomplete_scores
    min_overlap = int(min_overlap)
    prepared = prepare_targets(targets, dist, norc, motif_pseudo, background, target_dbs)
    query_probs = [prepare_probs(query, background, motif_pseudo) for query in queries]
    n_jobs = _default_jobs() if n_jobs is None else max(1, int(n_jobs))
    compiled = method != "numpy" and compiled_fits(query_probs, prepared) and loops.load()
    if method == "compiled" and not compiled:
        raise ValueError(
            f"method='compiled' needs numba and queries of at most {MAX_QUERY_WIDTH} columns"
        )
    ranking = Ranking(prepared, queries, query_probs, complete, min_overlap, internal, compiled)
    if compiled:
        compare_compiled(query_probs, prepared, dist, ranking, n_jobs)
    else:
        best = compare_numpy(query_probs, prepared, dist, complete, min_overlap, internal, n_jobs)
        for i in range(0, len(queries), 64):
            ranking.rank(best.raw[i : i + 64], best.offset[i : i + 64], best.overlap[i : i + 64], i)
        ranking.settle_pi_zero()
    return result_table(ranking, thresh, evalue)


def _default_jobs() -> int:
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        available = os.cpu_count() or 1
    return max(1, min(available, 8))
