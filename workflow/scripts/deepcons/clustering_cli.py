"""deepcons cluster: the command line of the built-in (or RSAT's) matrix-clustering."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from .atomic import atomic_path
from .clustering import (
    DEFAULT_THRESHOLDS,
    LINKAGES,
    Similarity,
    cluster_motifs,
    compare_matrices,
    run_rsat_matrix_clustering,
    write_clusters,
)
from .errors import InputError
from .meme_io import read_meme


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
