"""The clustering's files: cluster table, member alignment, root motifs and tree."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from ..atomic import atomic_open, atomic_write_text
from ..errors import InputError
from ..meme_io import format_meme
from .cluster import ClusteringResult, cluster_motifs


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
    """Align the members of clusters found elsewhere (RSAT), as :func:`.cluster.cluster_motifs` aligns
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


def write_alignment(rows: Sequence[tuple], path: str | os.PathLike) -> None:
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
        write_alignment(result.alignment, alignment_tsv)
