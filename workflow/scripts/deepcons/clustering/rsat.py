"""The real RSAT matrix-clustering, where it is installed, converted to the same outputs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..atomic import atomic_write_text
from ..errors import InputError
from ..meme_io import Motif, format_meme, read_meme
from .cluster import name_clusters
from .newick import newick_label
from .output import align_clusters, write_alignment, write_cluster_table
from .similarity import frequencies
from .tree import LINKAGES, check_thresholds

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
    """Arguments of an RSAT matrix-clustering run equivalent to :func:`.cluster.cluster_motifs`.

    ``-matrix TITLE FILE meme`` reads the MEME file (RSAT prefixes each motif id with
    ``TITLE_m<k>_``); ``-calc sum`` merges the aligned count matrices into root motifs;
    ``-quick`` uses compare-matrices-quick (advised above 300 motifs); ``-return newick``
    adds ``PREFIX_trees/tree.newick``.
    """
    thresholds = check_thresholds(thresholds)
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
    :func:`.cluster.cluster_motifs` names them (decreasing size, then first member); motifs the table
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
    ranking, names = name_clusters(groups)
    return {names[k]: [ids[m] for m in groups[c]] for k, c in enumerate(ranking)}


def read_transfac(path: str | os.PathLike) -> list[Motif]:
    """Minimal TRANSFAC reader for RSAT's root motifs: ``AC``/``ID`` lines, a ``P0`` header,
    numbered count rows and ``//``; counts become frequencies, and the largest row sum
    ``nsites``."""
    motifs: list[Motif] = []
    ident, rows, letters = None, [], None

    def finish() -> None:
        if rows:
            counts = np.array(rows)
            name = ident or f"motif_{len(motifs) + 1}"
            motifs.append(Motif(name, frequencies(counts), nsites=float(counts.sum(axis=1).max())))

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
                finish()
                ident, rows, letters = None, [], None
    finish()
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
    """Run RSAT matrix-clustering and convert its results to the package's outputs.

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
    write_alignment(alignment, outdir / "cluster_alignment.tsv")
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
            return match.group(1) + newick_label(ids[_rsat_index(match.group(2), ids, title)])
        except InputError:
            return match.group(0)

    return re.sub(r"([(,]\s*)([^(),:;\s']+)", rename, text.strip()) + "\n"
