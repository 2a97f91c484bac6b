"""The tree and its partition (steps 2-3): which nodes pass the thresholds."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..errors import InputError
from .similarity import METRICS, Similarity

#: RSAT matrix-clustering stand-alone defaults (lower thresholds, all must pass).
DEFAULT_THRESHOLDS: dict[str, float] = {"cor": 0.75, "Ncor": 0.55}
LINKAGES = ("average", "complete", "single")


def check_thresholds(thresholds: Mapping[str, float] | None) -> dict[str, float]:
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


def node_children(linkage: np.ndarray, n: int) -> np.ndarray:
    """Children of each internal node, shape (n - 1, 2); ids < n are leaves."""
    return linkage[:, :2].astype(np.int64) if n > 1 else np.zeros((0, 2), dtype=np.int64)


def leaf_ranges(children: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def node_statistics(
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


def accepted_nodes(
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


def cluster_nodes(children: np.ndarray, n: int, accepted: np.ndarray) -> list[int]:
    """Tree nodes (leaf ids < n, internal ids >= n) heading the clusters."""
    parent_accepted = np.zeros(2 * n - 1, dtype=bool)
    for t, (left, right) in enumerate(children):
        if accepted[t]:
            parent_accepted[left] = parent_accepted[right] = True
    heads = [n + t for t in range(len(children)) if accepted[t] and not parent_accepted[n + t]]
    heads += [leaf for leaf in range(n) if not parent_accepted[leaf]]
    return heads


def subtree_nodes(node: int, children: np.ndarray, n: int) -> list[int]:
    """Internal nodes of the subtree under ``node``, children before parents."""
    found, stack = [], [node]
    while stack:
        t = stack.pop()
        if t >= n:
            found.append(t)
            stack.extend(children[t - n])
    return sorted(found)


def subtree_leaves(node: int, order, start, size) -> np.ndarray:
    return order[start[node] : start[node] + size[node]]
