"""Figures of motif clustering: the similarity heatmap with its tree (the paper's Fig. 7) and
a page of the largest clusters' root logos.

Both take a :class:`~deepcons.clustering.ClusteringResult`; every figure is written to one or
several paths (the format follows each suffix, e.g. ``.png`` and ``.pdf``), atomically.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.colors import TwoSlopeNorm
from matplotlib.patches import Rectangle

from .clustering import ClusteringResult, Similarity
from .logos import draw_logo
from .meme_io import information_content
from .plots import plt, save_figure

__all__ = ["dendrogram_segments", "plot_root_logos", "plot_similarity_heatmap"]

# Above this many motifs, tick labels would be unreadable: none are drawn.
MAX_LABELLED = 60


def dendrogram_segments(linkage: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Line segments of a dendrogram, without recursion (scipy's recurses, deep trees fail).

    Parameters
    ----------
    linkage : ndarray, shape (n - 1, 4)
    order : ndarray of int, shape (n,)
        Leaves left to right; leaf ``order[k]`` is drawn at ``x = k + 0.5``.

    Returns
    -------
    segments : ndarray, shape (3 (n - 1), 2, 2)
        Two vertical legs and one horizontal bar per node, ``(x, height)`` end points.
    node : ndarray of int, shape (3 (n - 1),)
        The tree node (row of ``linkage``) each segment belongs to.
    """
    n = len(order)
    x = np.zeros(2 * n - 1)
    x[np.asarray(order)] = np.arange(n) + 0.5
    height = np.concatenate([np.zeros(n), linkage[:, 2]]) if n > 1 else np.zeros(1)
    segments, node = [], []
    for t, (left, right) in enumerate(linkage[:, :2].astype(int)):
        h = height[n + t]
        x[n + t] = (x[left] + x[right]) / 2
        segments += [
            [(x[left], height[left]), (x[left], h)],
            [(x[right], height[right]), (x[right], h)],
            [(x[left], h), (x[right], h)],
        ]
        node += [t, t, t]
    return np.array(segments).reshape(-1, 2, 2), np.array(node, dtype=int)


def _cluster_runs(result: ClusteringResult) -> list[tuple[int, int, int]]:
    """(cluster index, first position, size) of each cluster along the dendrogram order."""
    along = result.assignments[result.leaf_order]
    runs, start = [], 0
    for k in range(1, len(along) + 1):
        if k == len(along) or along[k] != along[start]:
            runs.append((int(along[start]), start, k - start))
            start = k
    return runs


def plot_similarity_heatmap(
    result: ClusteringResult,
    similarity: Similarity,
    paths,
    metric: str = "Ncor",
    title: str | None = None,
    dpi: int = 200,
) -> None:
    """Heatmap of ``metric`` in dendrogram order, the tree on top, clusters outlined.

    Links inside a cluster are drawn in black and the others in grey; every cluster of two
    or more motifs is outlined on the diagonal. Motif names label the axes only when there
    are at most 60 motifs.
    """
    order = result.leaf_order
    n = len(order)
    values = similarity.metric(metric)[np.ix_(order, order)]
    fig = plt.figure(figsize=(9, 10))
    grid = fig.add_gridspec(
        2, 2, height_ratios=[1.2, 6], width_ratios=[30, 1], hspace=0.02, wspace=0.03
    )
    ax_tree = fig.add_subplot(grid[0, 0])
    ax_heat = fig.add_subplot(grid[1, 0])
    ax_bar = fig.add_subplot(grid[1, 1])

    if n > 1:
        segments, node = dendrogram_segments(result.linkage, order)
        accepted = np.asarray(result.node_stats.get("accepted", np.zeros(n - 1, bool)), dtype=bool)
        colours = np.where(accepted[node][:, None], [[0, 0, 0, 1]], [[0.6, 0.6, 0.6, 1]])
        ax_tree.add_collection(LineCollection(segments, colors=colours, linewidths=0.5))
        ax_tree.set_ylim(0, max(1e-9, float(result.linkage[:, 2].max())) * 1.02)
    ax_tree.set_xlim(0, n)
    ax_tree.set_xticks([])
    ax_tree.set_ylabel(f"1 - {result.tree_metric}")
    for side in ("top", "right", "bottom"):
        ax_tree.spines[side].set_visible(False)

    # Best-alignment similarities are mostly positive: spend the colours on [low, 1], 0 white.
    low = min(-0.05, float(np.floor(values.min() * 10) / 10))
    image = ax_heat.imshow(
        values,
        cmap="RdBu_r",
        norm=TwoSlopeNorm(vcenter=0.0, vmin=low, vmax=1.0),
        interpolation="nearest",
        aspect="auto",
        extent=(0, n, n, 0),
        rasterized=True,
    )
    boxes = [
        Rectangle((start, start), size, size)
        for _, start, size in _cluster_runs(result)
        if size > 1
    ]
    ax_heat.add_collection(
        PatchCollection(boxes, facecolor="none", edgecolor="black", linewidth=0.6 if n > 200 else 1)
    )
    if n <= MAX_LABELLED:
        labels = [result.ids[i] for i in order]
        ticks = np.arange(n) + 0.5
        ax_heat.set_xticks(ticks, labels, rotation=90, fontsize=6)
        ax_heat.set_yticks(ticks, labels, fontsize=6)
    else:
        ax_heat.set_xticks([])
        ax_heat.set_yticks([])
    ax_heat.set_xlabel(f"{n} motifs, {result.n_clusters} clusters (dendrogram order)")
    fig.colorbar(image, cax=ax_bar, label=metric)
    ax_tree.set_title(title or f"Motif similarity ({metric}), {result.linkage_method} linkage")
    save_figure(fig, paths, dpi)


def plot_root_logos(
    result: ClusteringResult,
    paths,
    top: int = 24,
    ncols: int = 4,
    dpi: int = 150,
) -> None:
    """Information-content logos of the ``top`` largest clusters' root motifs, with sizes."""
    sizes = result.sizes()
    shown = list(range(min(top, result.n_clusters)))  # clusters are numbered by size
    nrows = max(1, -(-len(shown) // ncols))
    width = max([result.roots[k].width for k in shown], default=1)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 1.5 * nrows), squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    for k, ax in zip(shown, axes.ravel(), strict=False):
        ax.set_axis_on()
        root = result.roots[k]
        draw_logo(ax, root.probs, width)
        ax.set_yticks([0, 1, 2])
        ic = information_content(root.probs).sum()
        ax.set_title(f"{root.id}  (n = {sizes[k]}, {ic:.1f} bits)", fontsize=8)
        ax.tick_params(labelsize=6)
    fig.suptitle(
        f"Root motifs of the {len(shown)} largest of {result.n_clusters} clusters", fontsize=10
    )
    fig.tight_layout()
    save_figure(fig, paths, dpi)
