"""Rule cluster_kernels: kernel motifs into families (RSAT matrix-clustering; paper Fig. 7)."""

from pathlib import Path

from deepcons.atomic import atomic_write_text
from deepcons.clustering import (
    cluster_motifs,
    compare_matrices,
    run_rsat_matrix_clustering,
    write_clusters,
)
from deepcons.clustering_plots import plot_root_logos, plot_similarity_heatmap
from deepcons.logs import log, run_rule
from deepcons.meme_io import read_meme


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
        outdir = Path(smk.output.clusters).parent
        clusters = run_rsat_matrix_clustering(
            smk.input.meme, outdir, min_width=p.min_width, thresholds=thresholds
        )
        log.info(
            "RSAT matrix-clustering: %d clusters; figures show the built-in clustering",
            len(clusters),
        )
        atomic_write_text(
            smk.output.alignment,
            "# RSAT matrix-clustering gives no member alignment\ncluster\tkernel\tstrand\toffset\twidth\n",
        )
    else:
        write_clusters(
            result, smk.output.clusters, smk.output.newick, smk.output.roots, smk.output.alignment
        )
    plot_similarity_heatmap(result, similarity, [smk.output.heatmap_png, smk.output.heatmap_pdf])
    plot_root_logos(result, [smk.output.logos_png, smk.output.logos_pdf], top=p.top_logos)


run_rule(main, snakemake)
