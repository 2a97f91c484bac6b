"""Cluster motifs into families as RSAT matrix-clustering does (Castro-Mondragon et al. 2017).

The method, step by step, with the choices made where RSAT leaves room:

1. **Pairwise comparison** (RSAT compare-matrices, as its C version ``compare-matrices-quick``
   computes it). Each matrix is turned into frequencies (every column divided by its sum).
   For each pair, every offset with at least ``min_width`` aligned columns and both strands
   of the second matrix are tried; for each, ``cor`` is the Pearson correlation between the
   aligned ``4 x w`` submatrices flattened into vectors of ``4 w`` cells, and
   ``Ncor = cor * w / (w1 + w2 - w)`` corrects it for the part of both matrices left out of
   the alignment. The alignment with the highest ``Ncor`` is kept (ties: the wider overlap,
   then the direct strand, then the leftmost offset).
2. **Tree**: hierarchical clustering (scipy, average linkage by default) on the distance
   ``1 - Ncor``.
3. **Cut**: walking the tree from the leaves, a node is accepted when the pairs it joins
   (one motif from each child) pass every threshold (``cor >= 0.75`` and ``Ncor >= 0.55`` by
   default, the stand-alone matrix-clustering's defaults) and both children are accepted.
   With average linkage the mean over those pairs is tested, with complete linkage the
   farthest pair and with single linkage the closest pair (``check.alignment`` of RSAT's R
   package TFBMclust; the newer stand-alone R version averages over all pairs inside the
   node instead). Clusters are the maximal accepted subtrees; the other motifs are singletons.
4. **Root motifs**: within each cluster the members are aligned progressively following the
   tree's merge order, as RSAT does: when two subtrees merge, the most similar pair across
   them (highest tree metric) fixes the offset and strand of the second subtree relative to
   the first. The aligned frequency columns are averaged where members cover them, weighted
   by ``nsites`` (RSAT's ``-calc sum`` of counts; equal weights when a member of the cluster
   lacks ``nsites`` or with ``weighting='equal'``), and flank columns whose information
   content is below ``trim_ic`` bits (0.3) are trimmed from both ends (RSAT shaves at 0.15 and
   leaves singletons whole; here singletons are trimmed too).

:func:`run_rsat_matrix_clustering` runs the real RSAT program instead, where it is installed,
and converts its tables to the same outputs.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform

from .atomic import atomic_open, atomic_write_text
from .errors import InputError
from .meme_io import Motif, format_meme, information_content, read_meme, reverse_complement

__all__ = [
    "DEFAULT_THRESHOLDS",
    "ClusteringResult",
    "Similarity",
    "cluster_motifs",
    "compare_matrices",
    "compare_pair",
    "format_newick",
    "information_content",
    "main",
    "parse_newick_leaves",
    "read_cluster_table",
    "read_rsat_clusters",
    "read_transfac",
    "rsat_matrix_clustering_command",
    "run_rsat_matrix_clustering",
    "write_cluster_table",
    "write_clusters",
]

#: RSAT matrix-clustering stand-alone defaults (lower thresholds, all must pass).
DEFAULT_THRESHOLDS: dict[str, float] = {"cor": 0.75, "Ncor": 0.55}
#: Metrics a threshold or the tree can use.
METRICS = ("cor", "Ncor", "w")
LINKAGES = ("average", "complete", "single")
DIRECT, REVERSE = 1, -1

# Rows of the similarity blocks computed at once: bounds memory to a few (rows x n) arrays.
_BLOCK_CELLS = 2_000_000
_EPS = 1e-12


# ----------------------------------------------------------------------------------------
# Pairwise comparison
# ----------------------------------------------------------------------------------------


@dataclass
class Similarity:
    """All-against-all comparison of ``n`` motifs (RSAT compare-matrices' metrics).

    Attributes
    ----------
    ids : list of str, length n
    widths : ndarray of int, shape (n,)
    cor : ndarray of float, shape (n, n)
        Pearson correlation over the aligned cells of the best alignment.
    Ncor : ndarray of float, shape (n, n)
        ``cor * w / (w_i + w_j - w)`` of the best alignment (the one maximising it).
    offset : ndarray of int, shape (n, n)
        ``offset[i, j]``: position of the first column of motif ``j`` (reverse-complemented
        when ``strand[i, j] == -1``) relative to the first column of motif ``i``; negative
        when ``j`` starts before ``i``. As compare-matrices reports it.
    strand : ndarray of int8, shape (n, n)
        ``1`` when ``j`` aligns on the direct strand (RSAT's ``D``), ``-1`` when its reverse
        complement does (``R``).
    w : ndarray of int, shape (n, n)
        Number of aligned columns of the best alignment.
    min_width : int
        The minimum number of aligned columns that was required.
    """

    ids: list[str]
    widths: np.ndarray
    cor: np.ndarray
    Ncor: np.ndarray
    offset: np.ndarray
    strand: np.ndarray
    w: np.ndarray
    min_width: int = 5

    def __len__(self) -> int:
        return len(self.ids)

    def metric(self, name: str) -> np.ndarray:
        """The (n, n) matrix of metric ``name`` (``cor``, ``Ncor`` or ``w``)."""
        if name not in METRICS:
            raise InputError(f"unknown metric {name!r}; expected one of {', '.join(METRICS)}")
        return np.asarray(getattr(self, name), dtype=float)


def _frequencies(probs: np.ndarray) -> np.ndarray:
    """Columns divided by their sums (compare-matrices' ``crude_freq``); empty columns stay 0."""
    probs = np.asarray(probs, dtype=float)
    sums = probs.sum(axis=1, keepdims=True)
    return np.divide(probs, sums, out=np.zeros_like(probs), where=sums > 0)


def _motif_arrays(motifs: Iterable) -> tuple[list[str], list[np.ndarray], list[float | None]]:
    """Ids, (width, 4) frequency matrices and nsites of motifs (Motif objects or arrays)."""
    ids, mats, nsites = [], [], []
    for i, motif in enumerate(motifs):
        if isinstance(motif, Motif):
            ident, probs, sites = motif.id, motif.probs, motif.nsites
        else:
            ident, probs, sites = f"motif_{i + 1}", motif, None
        probs = np.asarray(probs, dtype=float)
        if probs.ndim != 2 or probs.shape[1] != 4 or probs.shape[0] < 1:
            raise InputError(f"motif {ident}: expected a (width, 4) matrix, got {probs.shape}")
        if not np.all(np.isfinite(probs)) or np.any(probs < 0):
            raise InputError(f"motif {ident}: matrix entries must be finite and non-negative")
        ids.append(str(ident))
        mats.append(_frequencies(probs))
        nsites.append(None if sites is None else float(sites))
    if not ids:
        raise InputError("no motifs to compare")
    seen: set[str] = set()
    duplicates = sorted({i for i in ids if i in seen or seen.add(i)})
    if duplicates:
        raise InputError(
            f"motif identifiers must be unique; repeated: {', '.join(duplicates[:10])}"
        )
    return ids, mats, nsites


def compare_pair(p1: np.ndarray, p2: np.ndarray, min_width: int = 5) -> dict:
    """Best alignment of two matrices, one offset and strand at a time (the reference definition).

    Straightforward and slow; :func:`compare_matrices` computes the same for all pairs at once.

    Parameters
    ----------
    p1, p2 : ndarray, shape (w1, 4) and (w2, 4)
        Letter frequencies (or counts), columns A, C, G, T.
    min_width : int
        Minimum number of aligned columns (lowered to the narrower width if needed).

    Returns
    -------
    dict
        ``cor``, ``Ncor``, ``offset`` (of ``p2``'s first column relative to ``p1``'s),
        ``strand`` (1 direct, -1 reverse complement) and ``w`` (aligned columns).
    """
    f1, f2 = _frequencies(p1), _frequencies(p2)
    w1, w2 = len(f1), len(f2)
    mw = max(1, min(min_width, w1, w2))
    best = {"cor": 0.0, "Ncor": -np.inf, "offset": 0, "strand": DIRECT, "w": 0}
    for strand, g2 in ((DIRECT, f2), (REVERSE, reverse_complement(f2))):
        for offset in range(mw - w2, w1 - mw + 1):
            start1, start2 = max(0, offset), max(0, -offset)
            w = min(w1, offset + w2) - start1
            x = f1[start1 : start1 + w].ravel()
            y = g2[start2 : start2 + w].ravel()
            n = x.size
            cov = x @ y / n - x.sum() * y.sum() / n**2
            var_x = x @ x / n - (x.sum() / n) ** 2
            var_y = y @ y / n - (y.sum() / n) ** 2
            cor = cov / np.sqrt(var_x * var_y) if min(var_x, var_y) > _EPS else 0.0
            ncor = cor * w / (w1 + w2 - w)
            if ncor > best["Ncor"] or (ncor == best["Ncor"] and w > best["w"]):
                best = {"cor": cor, "Ncor": ncor, "offset": offset, "strand": strand, "w": w}
    return best


def _standardised_windows(mats: np.ndarray, start: int, width: int) -> np.ndarray:
    """Columns ``start .. start + width - 1`` of each motif as z-scores over their 4 w cells.

    Parameters
    ----------
    mats : ndarray, shape (n, w_total, 4)

    Returns
    -------
    ndarray, shape (n, 4 width)
        Centred and divided by ``sqrt(4 width) * sd``, so that the dot product of two rows is
        their Pearson correlation; rows of a constant window (e.g. uniform columns, no
        variance) are 0, giving a correlation of 0 as compare-matrices reports.
    """
    x = mats[:, start : start + width, :].reshape(len(mats), -1)
    x = x - x.mean(axis=1, keepdims=True)
    norm = np.sqrt((x**2).sum(axis=1, keepdims=True))
    var = norm**2 / x.shape[1]
    return np.divide(x, norm, out=np.zeros_like(x), where=var > _EPS)


def _compare_block(a: np.ndarray, b: np.ndarray, min_width: int) -> dict[str, np.ndarray]:
    """Best alignments of every motif of ``a`` against every motif of ``b`` (one width each).

    Parameters
    ----------
    a : ndarray, shape (na, wa, 4)
    b : ndarray, shape (nb, wb, 4)

    Returns
    -------
    dict of ndarray, shape (na, nb)
        ``cor``, ``Ncor``, ``offset``, ``strand``, ``w``.

    Notes
    -----
    For one offset and strand the correlations of all pairs are one matrix product of the
    standardised overlapping windows, ``(na, 4w) @ (4w, nb)``.
    """
    na, wa, _ = a.shape
    nb, wb, _ = b.shape
    mw = max(1, min(min_width, wa, wb))
    shape = (na, nb)
    best = {
        "Ncor": np.full(shape, -np.inf),
        "cor": np.zeros(shape),
        "offset": np.zeros(shape, dtype=np.int32),
        "strand": np.full(shape, DIRECT, dtype=np.int8),
        "w": np.zeros(shape, dtype=np.int32),
    }
    for strand in (DIRECT, REVERSE):
        bo = b if strand == DIRECT else b[:, ::-1, ::-1]
        for offset in range(mw - wb, wa - mw + 1):
            start_a, start_b = max(0, offset), max(0, -offset)
            w = min(wa, offset + wb) - start_a
            cor = _standardised_windows(a, start_a, w) @ _standardised_windows(bo, start_b, w).T
            ncor = cor * (w / (wa + wb - w))
            better = ncor > best["Ncor"]
            tie = ncor == best["Ncor"]
            tie &= best["w"] < w
            better |= tie
            np.copyto(best["Ncor"], ncor, where=better)
            np.copyto(best["cor"], cor, where=better)
            best["offset"][better] = offset
            best["strand"][better] = strand
            best["w"][better] = w
    return best


def compare_matrices(motifs: Iterable, min_width: int = 5) -> Similarity:
    """Compare all motifs with all others on both strands, as RSAT compare-matrices does.

    Parameters
    ----------
    motifs : iterable of Motif or of ndarray of shape (width, 4)
        ``n`` motifs; identifiers must be unique (arrays are named ``motif_1``...).
    min_width : int
        Minimum number of aligned columns (RSAT's ``-lth w``); for a motif narrower than
        that, its own width.

    Returns
    -------
    Similarity
        ``n x n`` matrices of ``cor``, ``Ncor``, ``offset``, ``strand`` and ``w``.

    Notes
    -----
    Motifs are grouped by width; each pair of groups is compared by one matrix product per
    offset and strand (:func:`_compare_block`). Only the pairs ``(i, j)`` of the upper
    triangle (in width order) are computed; ``(j, i)`` is the same alignment seen from ``j``
    (same ``cor``, ``Ncor``, ``w`` and strand; offset ``-offset`` on the direct strand,
    ``offset + w_j - w_i`` on the reverse one), so the result is exactly symmetric.
    """
    if int(min_width) < 1:
        raise InputError(f"min_width must be at least 1, got {min_width}")
    ids, mats, _ = _motif_arrays(motifs)
    widths = np.array([len(m) for m in mats])
    n = len(ids)
    order = np.argsort(widths, kind="stable")
    sorted_widths = widths[order]
    out = {
        "cor": np.zeros((n, n)),
        "Ncor": np.zeros((n, n)),
        "offset": np.zeros((n, n), dtype=np.int32),
        "strand": np.full((n, n), DIRECT, dtype=np.int8),
        "w": np.zeros((n, n), dtype=np.int32),
    }
    bounds = np.flatnonzero(np.diff(sorted_widths)) + 1
    starts = np.concatenate([[0], bounds])
    stops = np.concatenate([bounds, [n]])
    groups = [np.stack([mats[k] for k in order[s:e]]) for s, e in zip(starts, stops, strict=True)]
    for ga, (sa, ea) in enumerate(zip(starts, stops, strict=True)):
        for gb in range(ga, len(groups)):
            sb, eb = starts[gb], stops[gb]
            rows = max(1, _BLOCK_CELLS // max(1, eb - sb))
            for r0 in range(0, ea - sa, rows):
                r1 = min(ea - sa, r0 + rows)
                block = _compare_block(groups[ga][r0:r1], groups[gb], min_width)
                for key, value in block.items():
                    out[key][sa + r0 : sa + r1, sb:eb] = value
    _mirror_upper(out, sorted_widths)
    inverse = np.argsort(order)
    result = {key: value[np.ix_(inverse, inverse)] for key, value in out.items()}
    return Similarity(ids=ids, widths=widths, min_width=int(min_width), **result)


def _mirror_upper(out: dict[str, np.ndarray], widths: np.ndarray) -> None:
    """Fill the lower triangle from the upper one: (j, i) is the alignment (i, j) seen from j."""
    i, j = np.triu_indices(len(widths), 1)
    for key in ("cor", "Ncor", "strand", "w"):
        out[key][j, i] = out[key][i, j]
    offset, strand = out["offset"][i, j], out["strand"][i, j]
    out["offset"][j, i] = np.where(strand == DIRECT, -offset, offset + widths[j] - widths[i])


# ----------------------------------------------------------------------------------------
# Tree and its partition
# ----------------------------------------------------------------------------------------


@dataclass
class ClusteringResult:
    """Motif families found by :func:`cluster_motifs`.

    Attributes
    ----------
    ids : list of str, length n
        Motif identifiers, in input order.
    assignments : ndarray of int, shape (n,)
        Index into ``cluster_names`` of each motif's cluster.
    cluster_names : list of str, length k
        ``cluster_1``, ``cluster_2``... by decreasing size, then first member (input order).
    clusters : dict of str to list of str
        Members of each cluster, in input order.
    newick : str
        The whole tree in Newick format (leaf labels: motif ids; branch lengths: heights).
    roots : list of Motif, length k
        Root motif of each cluster (id = cluster name; ``nsites`` = sum over members).
    linkage : ndarray, shape (n - 1, 4)
        scipy linkage matrix on the distance ``1 - tree_metric``.
    leaf_order : ndarray of int, shape (n,)
        Motif indices in dendrogram order (each cluster is a contiguous run).
    node_stats : dict of str to ndarray, shape (n - 1,)
        For each tree node: the value of each threshold metric that was tested (mean, farthest
        or closest pair, depending on the linkage) and ``accepted``.
    alignment : list of tuple
        ``(cluster, motif id, strand, offset, width)`` per motif: strand ``+``/``-`` of the
        motif in its cluster's root, offset of its first column relative to the root's first
        column (negative when it reaches past a trimmed flank).
    thresholds : dict
    linkage_method : str
    tree_metric : str
    """

    ids: list[str]
    assignments: np.ndarray
    cluster_names: list[str]
    clusters: dict[str, list[str]]
    newick: str
    roots: list[Motif]
    linkage: np.ndarray
    leaf_order: np.ndarray
    node_stats: dict[str, np.ndarray] = field(default_factory=dict)
    alignment: list[tuple[str, str, str, int, int]] = field(default_factory=list)
    thresholds: dict[str, float] = field(default_factory=dict)
    linkage_method: str = "average"
    tree_metric: str = "Ncor"

    @property
    def n_clusters(self) -> int:
        return len(self.cluster_names)

    def sizes(self) -> np.ndarray:
        """Number of members of each cluster, shape (k,)."""
        return np.bincount(self.assignments, minlength=self.n_clusters)


def _check_thresholds(thresholds: Mapping[str, float] | None) -> dict[str, float]:
    if thresholds is None:
        return dict(DEFAULT_THRESHOLDS)
    checked = {}
    for key, value in thresholds.items():
        if key not in METRICS:
            raise InputError(
                f"unknown threshold metric {key!r}; expected one of {', '.join(METRICS)}"
            )
        checked[key] = float(value)
    return checked


def _node_children(linkage: np.ndarray, n: int) -> np.ndarray:
    """Children of each internal node, shape (n - 1, 2); ids < n are leaves."""
    return linkage[:, :2].astype(np.int64) if n > 1 else np.zeros((0, 2), dtype=np.int64)


def _leaf_ranges(children: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dendrogram leaf order (left child first) and each node's (start, size) in it.

    Returns
    -------
    order : ndarray, shape (n,)
    start, size : ndarray, shape (2n - 1,)
        Node ``t`` (leaf if ``t < n``) covers ``order[start[t] : start[t] + size[t]]``.
    """
    total = 2 * n - 1
    size = np.ones(total, dtype=np.int64)
    for t, (left, right) in enumerate(children):
        size[n + t] = size[left] + size[right]
    start = np.zeros(total, dtype=np.int64)
    # Parents come after their children, so walking down from the root fills every start.
    for t in range(len(children) - 1, -1, -1):
        left, right = children[t]
        start[left] = start[n + t]
        start[right] = start[n + t] + size[left]
    order = np.empty(n, dtype=np.int64)
    order[start[:n]] = np.arange(n)
    return order, start, size


def _node_statistics(
    sim: Similarity,
    children: np.ndarray,
    order: np.ndarray,
    start: np.ndarray,
    size: np.ndarray,
    thresholds: dict[str, float],
    linkage: str,
    tree_metric: str,
) -> dict[str, np.ndarray]:
    """Per node, the value of each threshold metric over the pairs it joins (RSAT's rule).

    Average linkage: the mean over all pairs with one motif in each child. Complete: the
    values of the farthest pair (lowest tree metric). Single: the closest pair.
    """
    metrics = sorted(set(thresholds) | {"cor", "Ncor"})  # both always, for diagnostics
    reordered = {m: sim.metric(m)[np.ix_(order, order)] for m in metrics}
    stats = {m: np.zeros(len(children)) for m in metrics}
    for t, (left, right) in enumerate(children):
        rows = slice(start[left], start[left] + size[left])
        cols = slice(start[right], start[right] + size[right])
        if linkage == "average":
            for m in metrics:
                stats[m][t] = reordered[m][rows, cols].mean()
        else:
            tree_block = reordered[tree_metric][rows, cols]
            pick = np.argmin(tree_block) if linkage == "complete" else np.argmax(tree_block)
            r, c = np.unravel_index(pick, tree_block.shape)
            for m in metrics:
                stats[m][t] = reordered[m][rows, cols][r, c]
    return stats


def _accepted_nodes(
    children: np.ndarray, n: int, stats: dict[str, np.ndarray], thresholds
) -> np.ndarray:
    """Nodes passing every threshold whose children (internal ones) are accepted too."""
    passes = np.ones(len(children), dtype=bool)
    for metric, value in thresholds.items():
        passes &= stats[metric] >= value
    accepted = np.zeros(len(children), dtype=bool)
    for t, (left, right) in enumerate(children):
        ok = passes[t]
        for child in (left, right):
            if child >= n:
                ok = ok and accepted[child - n]
        accepted[t] = ok
    return accepted


def _cluster_nodes(children: np.ndarray, n: int, accepted: np.ndarray) -> list[int]:
    """Tree nodes (leaf ids < n, internal ids >= n) heading the clusters."""
    parent_accepted = np.zeros(2 * n - 1, dtype=bool)
    for t, (left, right) in enumerate(children):
        if accepted[t]:
            parent_accepted[left] = parent_accepted[right] = True
    heads = [n + t for t in range(len(children)) if accepted[t] and not parent_accepted[n + t]]
    heads += [leaf for leaf in range(n) if not parent_accepted[leaf]]
    return heads


def _subtree_nodes(node: int, children: np.ndarray, n: int) -> list[int]:
    """Internal nodes of the subtree under ``node``, children before parents."""
    found, stack = [], [node]
    while stack:
        t = stack.pop()
        if t >= n:
            found.append(t)
            stack.extend(children[t - n])
    return sorted(found)


def _subtree_leaves(node: int, order, start, size) -> np.ndarray:
    return order[start[node] : start[node] + size[node]]


# ----------------------------------------------------------------------------------------
# Root motifs
# ----------------------------------------------------------------------------------------


def _place(frame: dict, member: int) -> tuple[int, int]:
    k = frame["members"].index(member)
    return frame["strands"][k], frame["starts"][k]


def _merge_frames(fa: dict, fb: dict, sim: Similarity, tree: np.ndarray) -> dict:
    """Align subtree ``fb`` onto ``fa`` by their most similar pair (RSAT's progressive alignment).

    A frame lists members with their strand (1 or -1) and the start of their (possibly
    reverse-complemented) matrix in the frame's coordinates.
    """
    a_members, b_members = fa["members"], fb["members"]
    block = tree[np.ix_(a_members, b_members)]
    ia, ib = np.unravel_index(np.argmax(block), block.shape)
    a, b = a_members[ia], b_members[ib]
    widths = sim.widths
    strand_a, start_a = _place(fa, a)
    offset, strand_ab = int(sim.offset[a, b]), int(sim.strand[a, b])
    if strand_a == DIRECT:
        start_b, strand_b = start_a + offset, strand_ab
    else:
        # a is reverse-complemented in the frame: mirror the pair's alignment with it.
        start_b, strand_b = start_a + widths[a] - offset - widths[b], -strand_ab
    old_strand_b, old_start_b = _place(fb, b)
    if strand_b == old_strand_b:
        shift = start_b - old_start_b
        new_starts = [s + shift for s in fb["starts"]]
        new_strands = list(fb["strands"])
    else:
        # Flip fb's frame: position p maps to c - p, chosen so that b lands at start_b.
        c = start_b + old_start_b + widths[b] - 1
        new_starts = [c - (s + widths[m] - 1) for s, m in zip(fb["starts"], b_members, strict=True)]
        new_strands = [-s for s in fb["strands"]]
    starts = fa["starts"] + new_starts
    low = min(starts)
    return {
        "members": a_members + b_members,
        "strands": fa["strands"] + new_strands,
        "starts": [s - low for s in starts],
    }


def _align_cluster(head: int, children, n: int, sim: Similarity, tree: np.ndarray) -> dict:
    frames: dict[int, dict] = {}

    def frame_of(node: int) -> dict:
        if node < n:
            return {"members": [node], "strands": [DIRECT], "starts": [0]}
        return frames.pop(node)

    for t in _subtree_nodes(head, children, n):
        left, right = children[t - n]
        frames[t] = _merge_frames(frame_of(left), frame_of(right), sim, tree)
    return frame_of(head)


def _root_matrix(
    frame: dict, mats: list[np.ndarray], weights: Mapping[int, float], trim_ic: float
) -> tuple[np.ndarray, int]:
    """Weighted average of the aligned members where they cover a column; low-IC flanks cut.

    Returns
    -------
    probs : ndarray, shape (width, 4)
    left : int
        Columns trimmed from the left of the alignment.
    """
    widths = [len(mats[m]) for m in frame["members"]]
    length = max(s + w for s, w in zip(frame["starts"], widths, strict=True))
    total = np.zeros((length, 4))
    weight = np.zeros(length)
    for member, strand, start in zip(
        frame["members"], frame["strands"], frame["starts"], strict=True
    ):
        mat = mats[member] if strand == DIRECT else reverse_complement(mats[member])
        total[start : start + len(mat)] += weights[member] * mat
        weight[start : start + len(mat)] += weights[member]
    probs = np.divide(
        total, weight[:, None], out=np.full_like(total, 0.25), where=weight[:, None] > 0
    )
    probs = _frequencies(probs)
    probs[probs.sum(axis=1) == 0] = 0.25
    keep = np.flatnonzero(information_content(probs) >= trim_ic)
    if len(keep) == 0:  # nothing informative: keep the alignment whole rather than nothing
        return probs, 0
    return probs[keep[0] : keep[-1] + 1], int(keep[0])


def _member_weights(members: Sequence[int], nsites: list[float | None], weighting: str) -> dict:
    """Weight of each member in its root: its nsites, or 1 for all when one of them lacks it."""
    known = [nsites[m] for m in members]
    if weighting == "equal" or any(s is None or s <= 0 for s in known):
        return dict.fromkeys(members, 1.0)
    return {m: float(s) for m, s in zip(members, known, strict=True)}


# ----------------------------------------------------------------------------------------
# Newick
# ----------------------------------------------------------------------------------------

_NEWICK_SPECIAL = re.compile(r"[\s()\[\]':;,]")


def _newick_label(label: str) -> str:
    if _NEWICK_SPECIAL.search(label):
        return "'" + label.replace("'", "''") + "'"
    return label


def format_newick(linkage: np.ndarray, labels: Sequence[str], digits: int = 6) -> str:
    """Newick text of a scipy linkage tree; branch length = parent height - child height.

    Built without recursion, so that deep trees of thousands of leaves are fine.
    """
    n = len(labels)
    if n == 1:
        return _newick_label(labels[0]) + ";"
    children = _node_children(linkage, n)
    height = np.concatenate([np.zeros(n), linkage[:, 2]])
    text: dict[int, str] = {leaf: _newick_label(str(labels[leaf])) for leaf in range(n)}
    for t, (left, right) in enumerate(children):
        parts = []
        for child in (left, right):
            length = max(0.0, float(height[n + t] - height[child]))
            parts.append(f"{text.pop(child)}:{length:.{digits}g}")
        text[n + t] = "(" + ",".join(parts) + ")"
    return text[2 * n - 2] + ";"


def parse_newick_leaves(newick: str) -> list[str]:
    """Leaf labels of a Newick tree, left to right (quoted labels unquoted)."""
    leaves, i, text = [], 0, newick.strip()
    previous = "("
    while i < len(text):
        ch = text[i]
        if ch == "'":
            j, label = i + 1, []
            while j < len(text):
                if text[j] == "'" and j + 1 < len(text) and text[j + 1] == "'":
                    label.append("'")
                    j += 2
                elif text[j] == "'":
                    break
                else:
                    label.append(text[j])
                    j += 1
            if previous in "(,":
                leaves.append("".join(label))
            i, previous = j + 1, "x"
        elif ch in "(),;":
            i, previous = i + 1, ch
        elif ch == ":":
            j = i + 1
            while j < len(text) and text[j] not in "(),;":
                j += 1
            i, previous = j, ":"
        elif ch.isspace():
            i += 1
        else:
            j = i
            while j < len(text) and text[j] not in "():,;" and not text[j].isspace():
                j += 1
            if previous in "(,":
                leaves.append(text[i:j])
            i, previous = j, "x"
    return leaves


# ----------------------------------------------------------------------------------------
# Clustering
# ----------------------------------------------------------------------------------------


def _name_clusters(members: list[np.ndarray]) -> tuple[list[int], list[str]]:
    """Order clusters by decreasing size, then first member; name them cluster_1..."""
    ranking = sorted(range(len(members)), key=lambda c: (-len(members[c]), int(members[c].min())))
    return ranking, [f"cluster_{k + 1}" for k in range(len(members))]


def cluster_motifs(
    motifs: Iterable,
    similarity: Similarity | None = None,
    thresholds: Mapping[str, float] | None = None,
    linkage: str = "average",
    tree_metric: str = "Ncor",
    min_width: int = 5,
    trim_ic: float = 0.3,
    weighting: str = "nsites",
) -> ClusteringResult:
    """Cluster motifs into families and build one root motif per family (RSAT matrix-clustering).

    Parameters
    ----------
    motifs : iterable of Motif or of ndarray of shape (width, 4)
        ``n`` motifs with unique identifiers.
    similarity : Similarity, optional
        From :func:`compare_matrices` on the same motifs; computed when omitted.
    thresholds : mapping of str to float, optional
        Lower thresholds every accepted node must pass, among ``cor``, ``Ncor`` and ``w``;
        default ``{'cor': 0.75, 'Ncor': 0.55}``. An empty mapping accepts every node.
    linkage : {'average', 'complete', 'single'}
        Agglomeration rule of the tree and the matching node test.
    tree_metric : {'Ncor', 'cor'}
        Similarity whose ``1 - value`` is the tree's distance (RSAT's ``-metric_build_tree``).
    min_width : int
        Minimum aligned columns, used when ``similarity`` is computed here.
    trim_ic : float
        Flank columns of a root motif with less information (bits) than this are trimmed.
    weighting : {'nsites', 'equal'}
        Weight of each member in its root motif's columns.

    Returns
    -------
    ClusteringResult
    """
    if linkage not in LINKAGES:
        raise InputError(f"linkage must be one of {', '.join(LINKAGES)}, got {linkage!r}")
    if weighting not in ("nsites", "equal"):
        raise InputError(f"weighting must be 'nsites' or 'equal', got {weighting!r}")
    if tree_metric not in ("Ncor", "cor"):
        raise InputError(f"tree_metric must be 'Ncor' or 'cor', got {tree_metric!r}")
    thresholds = _check_thresholds(thresholds)
    motifs = list(motifs)
    ids, mats, nsites = _motif_arrays(motifs)
    sim = similarity if similarity is not None else compare_matrices(motifs, min_width=min_width)
    if list(sim.ids) != ids:
        raise InputError("the similarity was computed on other motifs (identifiers differ)")
    n = len(ids)
    tree = sim.metric(tree_metric)
    if n > 1:
        # Symmetric by construction; min() keeps RSAT's rule (largest distance) if it is not.
        distance = np.clip(1.0 - np.minimum(tree, tree.T), 0.0, None)
        np.fill_diagonal(distance, 0.0)
        z = hierarchy.linkage(squareform(distance, checks=False), method=linkage)
    else:
        z = np.zeros((0, 4))
    children = _node_children(z, n)
    order, start, size = _leaf_ranges(children, n)
    stats = _node_statistics(sim, children, order, start, size, thresholds, linkage, tree_metric)
    accepted = _accepted_nodes(children, n, stats, thresholds)
    stats["accepted"] = accepted
    heads = _cluster_nodes(children, n, accepted)
    members = [np.sort(_subtree_leaves(h, order, start, size)) for h in heads]
    ranking, names = _name_clusters(members)
    assignments = np.zeros(n, dtype=np.int64)
    clusters, roots, alignment = {}, [], []
    for k, c in enumerate(ranking):
        name, head = names[k], heads[c]
        assignments[members[c]] = k
        clusters[name] = [ids[m] for m in members[c]]
        frame = _align_cluster(head, children, n, sim, tree)
        weights = _member_weights(members[c], nsites, weighting)
        probs, left = _root_matrix(frame, mats, weights, trim_ic)
        known = [nsites[m] for m in members[c] if nsites[m] is not None]
        roots.append(Motif(name, probs, nsites=float(sum(known)) if known else None))
        rows = sorted(zip(frame["members"], frame["strands"], frame["starts"], strict=True))
        for member, strand, first in rows:
            sign = "+" if strand == DIRECT else "-"
            alignment.append((name, ids[member], sign, int(first) - left, int(sim.widths[member])))
    return ClusteringResult(
        ids=ids,
        assignments=assignments,
        cluster_names=names,
        clusters=clusters,
        newick=format_newick(z, ids),
        roots=roots,
        linkage=z,
        leaf_order=order,
        node_stats=stats,
        alignment=alignment,
        thresholds=thresholds,
        linkage_method=linkage,
        tree_metric=tree_metric,
    )


# ----------------------------------------------------------------------------------------
# Output
# ----------------------------------------------------------------------------------------


def write_cluster_table(clusters: Mapping[str, Sequence[str]], path: str | os.PathLike) -> None:
    """``cluster<TAB>kernel`` table, one row per motif, clusters in the mapping's order."""
    with atomic_open(path) as handle:
        handle.write("cluster\tkernel\n")
        for name, ids in clusters.items():
            for ident in ids:
                handle.write(f"{name}\t{ident}\n")


def read_cluster_table(path: str | os.PathLike) -> dict[str, list[str]]:
    """Read a ``cluster<TAB>kernel`` table back into {cluster: [motif ids]}."""
    clusters: dict[str, list[str]] = {}
    with open(path) as handle:
        header = handle.readline().rstrip("\n").split("\t")
        if header[:2] != ["cluster", "kernel"]:
            raise InputError("expected the header 'cluster<TAB>kernel'", path, 1)
        for lineno, line in enumerate(handle, start=2):
            if not line.strip():
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 2:
                raise InputError("expected two tab-separated fields", path, lineno)
            clusters.setdefault(fields[0], []).append(fields[1])
    return clusters


def align_clusters(
    motifs: Sequence,
    clusters: Mapping[str, Sequence[str]],
    min_width: int = 5,
    linkage: str = "average",
    tree_metric: str = "Ncor",
) -> list[tuple[str, str, str, int, int]]:
    """Align the members of clusters found elsewhere (RSAT), as :func:`cluster_motifs` aligns
    its own: progressively along the members' tree, onto the root built from them.

    Returns ``(cluster, motif id, strand, offset, width)`` rows, as
    :attr:`ClusteringResult.alignment`.
    """
    by_id = {m.id: m for m in motifs}
    rows = []
    for name, members in clusters.items():
        group = [by_id[i] for i in members]
        # no thresholds: every node of the members' tree is accepted, one cluster
        result = cluster_motifs(
            group, thresholds={}, linkage=linkage, tree_metric=tree_metric, min_width=min_width
        )
        rows.extend((name, *row[1:]) for row in result.alignment)
    return rows


def _write_alignment(rows: Sequence[tuple], path: str | os.PathLike) -> None:
    with atomic_open(path) as handle:
        handle.write("cluster\tkernel\tstrand\toffset\twidth\n")
        for row in rows:
            handle.write("\t".join(str(x) for x in row) + "\n")


def write_clusters(
    result: ClusteringResult,
    clusters_tsv: str | os.PathLike,
    newick_path: str | os.PathLike,
    roots_meme: str | os.PathLike,
    alignment_tsv: str | os.PathLike | None = None,
) -> None:
    """Write the cluster table, the Newick tree, the root motifs (MEME) and, optionally, the
    members' alignment to their root (``cluster kernel strand offset width``); all atomically."""
    write_cluster_table(result.clusters, clusters_tsv)
    atomic_write_text(newick_path, result.newick + "\n")
    atomic_write_text(roots_meme, format_meme(result.roots))
    if alignment_tsv is not None:
        _write_alignment(result.alignment, alignment_tsv)


# ----------------------------------------------------------------------------------------
# The real RSAT matrix-clustering
# ----------------------------------------------------------------------------------------

RSAT_TITLE = "deepcons"


def _find_rsat(executable: str | None) -> list[str]:
    """Command prefix running matrix-clustering: the program itself, or ``rsat matrix-clustering``."""
    candidates = [executable] if executable else ["matrix-clustering", "rsat"]
    for name in candidates:
        path = shutil.which(name)
        if path:
            return [path, "matrix-clustering"] if Path(name).name == "rsat" else [path]
    raise InputError(
        "motif_tools: rsat needs RSAT's matrix-clustering, but neither "
        f"{' nor '.join(repr(c) for c in candidates)} is on PATH; install RSAT "
        "(e.g. the rsat-core conda package or its Docker image) or use the built-in "
        "clustering (motif_tools other than rsat, or 'deepcons cluster' without --engine rsat)"
    )


def rsat_matrix_clustering_command(
    motifs_meme: str | os.PathLike,
    prefix: str | os.PathLike,
    *,
    min_width: int = 5,
    thresholds: Mapping[str, float] | None = None,
    linkage: str = "average",
    tree_metric: str = "Ncor",
    quick: bool = True,
    heatmap: bool = False,
    title: str = RSAT_TITLE,
    executable: Sequence[str] = ("matrix-clustering",),
) -> list[str]:
    """Arguments of an RSAT matrix-clustering run equivalent to :func:`cluster_motifs`.

    ``-matrix TITLE FILE meme`` reads the MEME file (RSAT prefixes each motif id with
    ``TITLE_m<k>_``); ``-calc sum`` merges the aligned count matrices into root motifs;
    ``-quick`` uses compare-matrices-quick (advised above 300 motifs); ``-return newick``
    adds ``PREFIX_trees/tree.newick``.
    """
    thresholds = _check_thresholds(thresholds)
    if linkage not in LINKAGES:
        raise InputError(f"linkage must be one of {', '.join(LINKAGES)}, got {linkage!r}")
    command = [*executable, "-v", "1", "-matrix", title, str(motifs_meme), "meme"]
    command += ["-hclust_method", linkage, "-calc", "sum", "-metric_build_tree", tree_metric]
    command += ["-lth", "w", str(int(min_width))]
    for metric in ("cor", "Ncor"):
        if metric in thresholds:
            command += ["-lth", metric, f"{thresholds[metric]:g}"]
    if quick:
        command.append("-quick")
    command += ["-return", "newick,heatmap" if heatmap else "newick"]
    command += ["-title", title, "-o", str(prefix)]
    return command


def _rsat_index(rsat_id: str, ids: Sequence[str], title: str) -> int:
    """Index of the input motif behind an RSAT identifier.

    RSAT renames motifs ``<title>_m<k>_<id>`` (k counting from 1 in file order, the id with
    some characters replaced); the number is trusted first, then the name itself.
    """
    match = re.match(rf"^{re.escape(title)}_m(\d+)_(.*)$", rsat_id)
    if match and 1 <= int(match.group(1)) <= len(ids):
        return int(match.group(1)) - 1
    if rsat_id in ids:
        return list(ids).index(rsat_id)
    stripped = rsat_id[len(title) + 1 :] if rsat_id.startswith(title + "_") else rsat_id
    sanitised = [re.sub(r"[^0-9A-Za-z]", "_", i) for i in ids]
    for candidate in (stripped, re.sub(r"[^0-9A-Za-z]", "_", stripped)):
        if candidate in ids:
            return list(ids).index(candidate)
        if candidate in sanitised:
            return sanitised.index(candidate)
    raise InputError(f"RSAT motif {rsat_id!r} matches none of the input motifs")


def read_rsat_clusters(
    clusters_tab: str | os.PathLike, ids: Sequence[str], title: str = RSAT_TITLE
) -> dict[str, list[str]]:
    """Clusters of RSAT's ``PREFIX_tables/clusters.tab``, with the input motifs' ids.

    That file (written by matrix-clustering's R step with ``write.table``) has one line per
    cluster, no header: ``cluster_<k><TAB><id>,<id>,...``. Clusters are renamed as
    :func:`cluster_motifs` names them (decreasing size, then first member); motifs the table
    omits become singletons, with a warning.
    """
    groups: list[np.ndarray] = []
    seen: set[int] = set()
    with open(clusters_tab) as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip() or line.startswith((";", "#")):
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 2:
                raise InputError("expected 'cluster<TAB>id,id,...'", clusters_tab, lineno)
            members = [
                _rsat_index(x.strip(), ids, title) for x in fields[-1].split(",") if x.strip()
            ]
            repeated = seen.intersection(members)
            if repeated:
                raise InputError(
                    f"motif {ids[min(repeated)]} is in two clusters", clusters_tab, lineno
                )
            seen.update(members)
            groups.append(np.array(sorted(members)))
    missing = [i for i in range(len(ids)) if i not in seen]
    if missing:
        warnings.warn(
            f"{clusters_tab}: {len(missing)} motifs in no cluster, kept as singletons", stacklevel=2
        )
        groups += [np.array([i]) for i in missing]
    ranking, names = _name_clusters(groups)
    return {names[k]: [ids[m] for m in groups[c]] for k, c in enumerate(ranking)}


def read_transfac(path: str | os.PathLike) -> list[Motif]:
    """Minimal TRANSFAC reader for RSAT's root motifs: ``AC``/``ID`` lines, a ``P0`` header,
    numbered count rows and ``//``; counts become frequencies and their row sum ``nsites``."""
    motifs: list[Motif] = []
    ident, rows, letters = None, [], None
    with open(path) as handle:
        for lineno, raw in enumerate(handle, start=1):
            tokens = raw.split()
            if not tokens:
                continue
            key = tokens[0]
            if key in ("AC", "ID") and len(tokens) > 1:
                ident = tokens[1] if key == "AC" or ident is None else ident
            elif key in ("P0", "PO"):
                letters = [t.upper() for t in tokens[1:5]]
                if sorted(letters) != list("ACGT"):
                    raise InputError(f"expected the letters A C G T after {key}", path, lineno)
            elif letters is not None and key.isdigit() and len(tokens) >= 5:
                try:
                    counts = dict(zip(letters, (float(x) for x in tokens[1:5]), strict=True))
                except ValueError:
                    raise InputError("expected 4 numbers in a matrix row", path, lineno) from None
                rows.append([counts[b] for b in "ACGT"])
            elif key == "//":
                if rows:
                    counts = np.array(rows)
                    total = float(counts.sum(axis=1).max())
                    motifs.append(
                        Motif(
                            ident or f"motif_{len(motifs) + 1}", _frequencies(counts), nsites=total
                        )
                    )
                ident, rows, letters = None, [], None
    if rows:
        counts = np.array(rows)
        motifs.append(
            Motif(
                ident or f"motif_{len(motifs) + 1}",
                _frequencies(counts),
                nsites=float(counts.sum(axis=1).max()),
            )
        )
    return motifs


def _rsat_roots(
    roots_tf: Path, rsat_clusters_tab: Path, clusters: dict[str, list[str]], ids, title: str
) -> list[Motif]:
    """RSAT's root motifs renamed after our cluster names (matched through their members)."""
    rsat_names = {}
    with open(rsat_clusters_tab) as handle:
        for line in handle:
            fields = line.rstrip("\n").split("\t")
            if len(fields) >= 2 and not line.startswith((";", "#")):
                first = min(
                    _rsat_index(x.strip(), ids, title) for x in fields[-1].split(",") if x.strip()
                )
                rsat_names[fields[0]] = first
    ours = {ids.index(members[0]): name for name, members in clusters.items()}
    roots = []
    for motif in read_transfac(roots_tf):
        match = re.search(r"(cluster_\d+)$", motif.id)
        first = rsat_names.get(match.group(1)) if match else None
        motif.id = ours.get(first, motif.id)
        roots.append(motif)
    order = {name: k for k, name in enumerate(clusters)}
    return sorted(roots, key=lambda m: order.get(m.id, len(order)))


def run_rsat_matrix_clustering(
    motifs_meme: str | os.PathLike,
    outdir: str | os.PathLike,
    *,
    min_width: int = 5,
    thresholds: Mapping[str, float] | None = None,
    linkage: str = "average",
    tree_metric: str = "Ncor",
    quick: bool = True,
    executable: str | None = None,
    title: str = RSAT_TITLE,
) -> dict[str, list[str]]:
    """Run RSAT matrix-clustering and convert its results to this module's outputs.

    Writes, in ``outdir``: ``clusters.tsv`` (``cluster kernel``), ``cluster_roots.meme``
    (from RSAT's ``PREFIX_cluster_root_motifs.tf`` when it wrote one), ``tree.newick``
    (RSAT's tree, leaves renamed to the input ids, when it wrote one) and
    ``cluster_alignment.tsv`` (RSAT's clusters aligned by :func:`align_clusters`, on the
    built-in roots of those clusters, not on RSAT's). RSAT's own files stay under
    ``outdir/rsat/``.

    Raises
    ------
    InputError
        When matrix-clustering is not on PATH, fails, or its tables cannot be read.
    """
    prefix_cmd = _find_rsat(executable)
    motifs = read_meme(motifs_meme).motifs
    ids = [m.id for m in motifs]
    outdir = Path(outdir)
    prefix = outdir / "rsat" / title
    prefix.parent.mkdir(parents=True, exist_ok=True)
    command = rsat_matrix_clustering_command(
        motifs_meme,
        prefix,
        min_width=min_width,
        thresholds=thresholds,
        linkage=linkage,
        tree_metric=tree_metric,
        quick=quick,
        title=title,
        executable=prefix_cmd,
    )
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise InputError(
            f"RSAT matrix-clustering failed (exit {done.returncode}): "
            f"{(done.stderr or done.stdout).strip()[-2000:]}"
        )
    tables = Path(f"{prefix}_tables")
    clusters_tab = tables / "clusters.tab"
    if not clusters_tab.exists():
        raise InputError(f"RSAT matrix-clustering wrote no {clusters_tab}")
    clusters = read_rsat_clusters(clusters_tab, ids, title)
    write_cluster_table(clusters, outdir / "clusters.tsv")
    alignment = align_clusters(motifs, clusters, min_width, linkage, tree_metric)
    _write_alignment(alignment, outdir / "cluster_alignment.tsv")
    roots_tf = Path(f"{prefix}_cluster_root_motifs.tf")
    if roots_tf.exists():
        roots = _rsat_roots(roots_tf, clusters_tab, clusters, ids, title)
        atomic_write_text(outdir / "cluster_roots.meme", format_meme(roots))
    newick = Path(f"{prefix}_trees") / "tree.newick"
    if newick.exists():
        atomic_write_text(outdir / "tree.newick", _rename_newick(newick.read_text(), ids, title))
    return clusters


def _rename_newick(text: str, ids: Sequence[str], title: str) -> str:
    """Replace RSAT's leaf labels by the input motif ids (labels it cannot map stay)."""

    def rename(match: re.Match) -> str:
        try:
            return match.group(1) + _newick_label(ids[_rsat_index(match.group(2), ids, title)])
        except InputError:
            return match.group(0)

    return re.sub(r"([(,]\s*)([^(),:;\s']+)", rename, text.strip()) + "\n"


# ----------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------


def _threshold_value(text: str) -> float | None:
    if text.lower() in ("none", "off", "no"):
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'none', got {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deepcons cluster",
        description="Cluster motifs into families as RSAT matrix-clustering does: pairwise "
        "cor/Ncor, average-linkage tree on 1 - Ncor, bottom-up cut, one root motif per family.",
    )
    parser.add_argument("motifs", help="motifs in MEME format")
    parser.add_argument("-o", "--outdir", required=True, help="output directory")
    parser.add_argument("--min-width", type=int, default=5, help="minimum aligned columns (5)")
    parser.add_argument(
        "--cor",
        type=_threshold_value,
        default=DEFAULT_THRESHOLDS["cor"],
        help="lower threshold on the mean cor of a node, or 'none' (0.75)",
    )
    parser.add_argument(
        "--ncor",
        type=_threshold_value,
        default=DEFAULT_THRESHOLDS["Ncor"],
        help="lower threshold on the mean Ncor of a node, or 'none' (0.55)",
    )
    parser.add_argument(
        "--min-mean-width",
        type=_threshold_value,
        default=None,
        help="lower threshold on the mean aligned width of a node (none)",
    )
    parser.add_argument("--linkage", choices=LINKAGES, default="average")
    parser.add_argument("--tree-metric", choices=("Ncor", "cor"), default="Ncor")
    parser.add_argument(
        "--trim-ic",
        type=float,
        default=0.3,
        help="trim root-motif flank columns below this many bits (0.3)",
    )
    parser.add_argument(
        "--weighting",
        choices=("nsites", "equal"),
        default="nsites",
        help="weight of members in root motifs (nsites)",
    )
    parser.add_argument(
        "--engine",
        choices=("builtin", "rsat"),
        default="builtin",
        help="builtin (as motif_tools: builtin), or RSAT's matrix-clustering (on PATH)",
    )
    parser.add_argument(
        "--plots",
        action="store_true",
        help="also draw the similarity heatmap and the root logos (PNG and PDF)",
    )
    parser.add_argument("--top-logos", type=int, default=24, help="root logos drawn (24)")
    parser.add_argument(
        "--save-similarity",
        action="store_true",
        help="also write similarity.npz (ids, cor, Ncor, offset, strand, w)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """``deepcons cluster [options] -o OUTDIR motifs.meme``."""
    args = _parser().parse_args(argv)
    thresholds = {
        key: value
        for key, value in (("cor", args.cor), ("Ncor", args.ncor), ("w", args.min_mean_width))
        if value is not None
    }
    outdir = Path(args.outdir)
    try:
        if args.engine == "rsat":
            if args.plots:
                print("deepcons cluster: --plots is ignored with --engine rsat", file=sys.stderr)
            clusters = run_rsat_matrix_clustering(
                args.motifs,
                outdir,
                min_width=args.min_width,
                thresholds=thresholds,
                linkage=args.linkage,
                tree_metric=args.tree_metric,
            )
            print(
                f"deepcons cluster: {sum(map(len, clusters.values()))} motifs in "
                f"{len(clusters)} clusters (RSAT) -> {outdir}",
                file=sys.stderr,
            )
            return 0
        motifs = read_meme(args.motifs).motifs
        similarity = compare_matrices(motifs, min_width=args.min_width)
        result = cluster_motifs(
            motifs,
            similarity,
            thresholds=thresholds,
            linkage=args.linkage,
            tree_metric=args.tree_metric,
            trim_ic=args.trim_ic,
            weighting=args.weighting,
        )
    except (InputError, OSError) as error:
        print(f"deepcons cluster: error: {error}", file=sys.stderr)
        return 1
    write_clusters(
        result,
        outdir / "clusters.tsv",
        outdir / "tree.newick",
        outdir / "cluster_roots.meme",
        outdir / "cluster_alignment.tsv",
    )
    if args.save_similarity:
        _save_similarity(similarity, outdir / "similarity.npz")
    if args.plots:
        from .clustering_plots import plot_root_logos, plot_similarity_heatmap

        plot_similarity_heatmap(
            result,
            similarity,
            [outdir / "similarity_heatmap.png", outdir / "similarity_heatmap.pdf"],
        )
        plot_root_logos(
            result,
            [outdir / "cluster_root_logos.png", outdir / "cluster_root_logos.pdf"],
            top=args.top_logos,
        )
    print(
        f"deepcons cluster: {len(result.ids)} motifs in {result.n_clusters} clusters -> {outdir}",
        file=sys.stderr,
    )
    return 0


def _save_similarity(similarity: Similarity, path: Path) -> None:
    from .atomic import atomic_path

    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(
            handle,
            ids=np.array(similarity.ids),
            widths=similarity.widths,
            cor=similarity.cor,
            Ncor=similarity.Ncor,
            offset=similarity.offset,
            strand=similarity.strand,
            w=similarity.w,
        )


if __name__ == "__main__":
    sys.exit(main())
