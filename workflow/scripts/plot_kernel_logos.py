"""Rule plot_kernel_logos: trimmed logos of every kernel (PDF) and the most informative (PNG)."""

from deepcons.logos import information_content, logo_pages
from deepcons.logs import log, run_rule
from deepcons.meme_io import read_meme


def main(smk):
    motifs = read_meme(smk.input.meme).motifs
    log.info("%d kernel motifs: all in %s", len(motifs), smk.output.pdf)
    logo_pages(motifs, [smk.output.pdf], title="Kernel motifs")
    ranked = sorted(motifs, key=lambda m: -information_content(m.probs).sum())
    logo_pages(
        ranked[: smk.params.overview],
        [smk.output.png],
        per_page=smk.params.overview,
        title=f"The {min(len(ranked), smk.params.overview)} most informative kernel motifs",
    )


run_rule(main, snakemake)
