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

Modules, in the order of the steps: :mod:`.similarity` (1), :mod:`.tree` (2-3),
:mod:`.roots` (4), :mod:`.cluster` (all four), :mod:`.newick` and :mod:`.output` (the
files), :mod:`.rsat` (the real program). The command line is :mod:`deepcons.clustering_cli`.
"""

from .cluster import ClusteringResult, cluster_motifs
from .newick import format_newick, parse_newick_leaves
from .output import align_clusters, read_cluster_table, write_cluster_table, write_clusters
from .rsat import (
    read_rsat_clusters,
    read_transfac,
    rsat_matrix_clustering_command,
    run_rsat_matrix_clustering,
)
from .similarity import METRICS, Similarity, compare_matrices, compare_pair
from .tree import DEFAULT_THRESHOLDS, LINKAGES

__all__ = [
    "ClusteringResult",
    "DEFAULT_THRESHOLDS",
    "LINKAGES",
    "METRICS",
    "Similarity",
    "align_clusters",
    "cluster_motifs",
    "compare_matrices",
    "compare_pair",
    "format_newick",
    "parse_newick_leaves",
    "read_cluster_table",
    "read_rsat_clusters",
    "read_transfac",
    "rsat_matrix_clustering_command",
    "run_rsat_matrix_clustering",
    "write_cluster_table",
    "write_clusters",
]
