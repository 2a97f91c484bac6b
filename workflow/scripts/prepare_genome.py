"""Rule prepare_genome: normalise the genome FASTA, index it, list sizes and N gaps."""

from deepcons.genome import prepare_genome
from deepcons.logs import run_rule


def main(smk):
    prepare_genome(smk.input.fasta, smk.output.fasta, smk.output.sizes, smk.output.gaps)


run_rule(main, snakemake)
