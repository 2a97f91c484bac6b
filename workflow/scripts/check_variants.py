"""Rule check_variants: interpret.vcf read whole, and refused as score_variants would refuse
it, before that job replaces its earlier results; the counts of what it will score."""

from deepcons.atomic import atomic_open
from deepcons.logs import log, run_rule
from deepcons.variants import check_vcf


def main(smk):
    counts = check_vcf(smk.input.vcf, smk.input.genome, smk.params.window)
    log.info("%s", ", ".join(f"{what} {n:,}" for what, n in counts.items()))
    with atomic_open(smk.output.tsv) as out:
        out.write("what\tcount\n")
        out.writelines(f"{what}\t{n}\n" for what, n in counts.items())


run_rule(main, snakemake)
