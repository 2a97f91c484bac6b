"""Rule summarize_positional: kernels centrally enriched per anchor, and the paper's Fig. 4."""

import pandas as pd

from deepcons.atomic import atomic_open
from deepcons.logs import log, run_rule
from deepcons.meme_io import read_meme
from deepcons.positional import plot_site_distributions, read_centrimo_tsv, read_site_counts


def main(smk):
    n_kernels = len(read_meme(smk.input.kernels))
    rows, per_anchor = [], {}
    for anchor, tsv, counts, windows in zip(
        smk.params.anchors, smk.input.tsv, smk.input.counts, smk.input.window_counts, strict=True
    ):
        table = read_centrimo_tsv(tsv)
        window_counts = pd.read_csv(windows, sep="\t").iloc[0]
        biased = int((table["E-value"] < smk.params.evalue).sum())
        rows.append(
            {
                "anchor": anchor,
                "windows": int(window_counts["windows"]),
                "dropped_off_end": int(window_counts["off_chromosome_end"]),
                "dropped_gap": int(window_counts["overlaps_gap"]),
                "duplicates": int(window_counts["duplicate_position"]),
                "kernels": n_kernels,
                "kernels_reported": len(table),
                "kernels_biased": biased,
                "evalue_threshold": smk.params.evalue,
            }
        )
        log.info(
            "%s: %d of %d kernels biased at E < %g", anchor, biased, n_kernels, smk.params.evalue
        )
        per_anchor[anchor] = (table, read_site_counts(counts))
    with atomic_open(smk.output.summary) as out:
        pd.DataFrame(rows).to_csv(out, sep="\t", index=False)
    plot_site_distributions(per_anchor, [smk.output.png, smk.output.pdf], top=smk.params.top)


run_rule(main, snakemake)
