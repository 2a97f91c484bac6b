"""Rule measure_strand_bias: forward-strand fraction of the genes of the top TSS and TES kernels."""

import pandas as pd

from deepcons.atomic import atomic_open
from deepcons.logs import log, run_rule
from deepcons.positional import plot_strand_bias, read_window_table, strand_bias


def main(smk):
    tables, expected = [], {}
    for anchor, sites_path, windows_path in zip(
        ("tss", "tes"), smk.input.sites, smk.input.windows, strict=True
    ):
        windows = read_window_table(windows_path)
        sites = pd.read_csv(
            sites_path, sep="\t", dtype={"kernel": str, "window": str, "evalue": str}
        )
        tables.append(strand_bias(sites, windows, anchor))
        expected[anchor] = float((windows["strand"] == "+").mean())
        log.info(
            "%s: %d kernels, genes on + strand overall: %.3f",
            anchor,
            len(tables[-1]),
            expected[anchor],
        )
    table = pd.concat(tables)
    with atomic_open(smk.output.tsv) as out:
        table.to_csv(out, sep="\t", index=False)
    plot_strand_bias(table, expected, [smk.output.png, smk.output.pdf])


run_rule(main, snakemake)
