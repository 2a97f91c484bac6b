"""Rule cluster_kernels: kernel motifs into families (RSAT matrix-clustering; paper Fig. 7)."""

import tempfile
from pathlib import Path

from deepcons.atomic import atomic_write_text
from deepcons.clustering import (
    cluster_motifs,
    compare_matrices,
    run_rsat_matrix_clustering,
    write_clusters,
)
from deepcons.clustering_plots import plot_root_logos, plot_similarity_heatmap
from deepcons.errors import InputError
from deepcons.logs import log, run_rule
from deepcons.meme_io import read_meme


def run_rsat(smk, thresholds) -> None:
    """RSAT matrix-clustering in a scratch folder; its tables converted into the outputs."""
    p = smk.params
    with tempfile.TemporaryDirectory() as scratch:
        clusters = run_rsat_matrix_clustering(
            smk.input.meme, scratch, min_width=p.min_width, thresholds=thresholds
        )
        for name, output in (
            ("clusters.tsv", smk.output.clusters),
            ("tree.newick", smk.output.newick),
            ("cluster_roots.meme", smk.output.roots),
            ("cluster_alignment.tsv", smk.output.alignment),
        ):
            if not (Path(scratch) / name).exists():
                raise InputError(f"RSAT matrix-clustering wrote no {name}", scratch)
            atomic_write_text(output, (Path(scratch) / name).read_text())
    log.info("RSAT matrix-clustering: %d clusters", len(clusters))


def main(smk):
    p = smk.params
    motifs = read_meme(smk.input.meme).motifs
    thresholds = {"cor": p.cor, "Ncor": p.ncor}
    similarity = compare_matrices(motifs, min_width=p.min_width)
    result = cluster_motifs(motifs, similarity, thresholds=thresholds, min_width=p.min_width)
    log.info(
        "%d kernels -> %d clusters (cor >= %g, Ncor >= %g)",
        len(motifs),
        result.n_clusters,
        p.cor,
        p.ncor,
    )
    if p.engine == "rsat":
        run_rsat(smk, thresholds)
    else:
        write_clusters(
            result, smk.output.clusters, smk.output.newick, smk.output.roots, smk.output.alignment
        )
    # the figures show the built-in similarity and clustering, with RSAT too
    if p.engine == "rsat":
        log.info("the heatmap and root logos show the built-in clustering")
    plot_similarity_heatmap(result, similarity, [smk.output.heatmap_png, smk.output.heatmap_pdf])
    plot_root_logos(result, [smk.output.logos_png, smk.output.logos_pdf], top=p.top_logos)


run_rule(main, snakemake)
