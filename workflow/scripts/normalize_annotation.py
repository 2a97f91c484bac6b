"""Rules normalize_annotation and derive_coding_exons: any accepted format -> sorted BED6."""

from deepcons.annotations import normalize_annotation
from deepcons.genome import read_sizes
from deepcons.logs import run_rule


def main(smk):
    derive = smk.rule == "derive_coding_exons"
    normalize_annotation(
        smk.input.source,
        "genes" if derive else smk.wildcards.kind,
        read_sizes(smk.input.sizes),
        None if derive else smk.output.bed,
        selected=smk.params.chromosomes,
        unknown_chromosomes=smk.params.unknown_chromosomes,
        cds_out=smk.output.bed if derive else None,
    )


run_rule(main, snakemake)
