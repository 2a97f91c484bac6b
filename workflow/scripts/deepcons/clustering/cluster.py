"""cluster_motifs: steps 1-4 end to end, into a ClusteringResult."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform

from ..errors import InputError
from ..meme_io import Motif
from .newick import format_newick
from .roots import align_cluster, member_weights, root_matrix
from .similarity import DIRECT, Similarity, compare_matrices, motif_arrays
from .tree import (
    LINKAGES,
    accepted_nodes,
    check_thresholds,
    cluster_nodes,
    leaf_ranges,
    node_children,
    node_statistics,
    subtree_leaves,
)


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


def name_clusters(members: list[np.ndarray]) -> tuple[list[int], list[str]]:
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
    thresholds = check_thresholds(thresholds)
    motifs = list(motifs)
    ids, mats, nsites = motif_arrays(motifs)
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
    children = node_children(z, n)
    order, start, size = leaf_ranges(children, n)
    stats = node_statistics(sim, children, order, start, size, thresholds, linkage, tree_metric)
    accepted = accepted_nodes(children, n, stats, thresholds)
    stats["accepted"] = accepted
    heads = cluster_nodes(children, n, accepted)
    members = [np.sort(subtree_leaves(h, order, start, size)) for h in heads]
    ranking, names = name_clusters(members)
    assignments = np.zeros(n, dtype=np.int64)
    clusters, roots, alignment = {}, [], []
    for k, c in enumerate(ranking):
        name, head = names[k], heads[c]
        assignments[members[c]] = k
        clusters[name] = [ids[m] for m in members[c]]
        frame = align_cluster(head, children, n, sim, tree)
        weights = member_weights(members[c], nsites, weighting)
        probs, left = root_matrix(frame, mats, weights, trim_ic)
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
