"""Rule summarize_matches: the best known match of each kernel, and the paper's Fig. 3."""

from deepcons.atomic import atomic_open
from deepcons.logs import log, run_rule
from deepcons.meme_io import read_meme, read_motif_database
from deepcons.motif_matches import best_matches, plot_matches, read_tomtom


def main(smk):
    known = {m.id: m for m in read_motif_database(smk.input.database)}
    kernels = {m.id: m for m in read_meme(smk.input.kernels).motifs}
    matches = best_matches(
        read_tomtom(smk.input.tomtom), {k: m.alt for k, m in known.items()}, smk.params.evalue
    )
    with atomic_open(smk.output.table) as out:
        matches.to_csv(out, sep="\t", index=False)
    log.info(
        "%d of %d kernels match a known motif at E < %g",
        len(matches),
        len(kernels),
        smk.params.evalue,
    )
    if len(matches):
        log.info(
            "best: %s", ", ".join(f"{r.kernel}={r.tf_name}" for r in matches.head(10).itertuples())
        )
    plot_matches(matches, kernels, known, [smk.output.png, smk.output.pdf], top=smk.params.top)


run_rule(main, snakemake)
