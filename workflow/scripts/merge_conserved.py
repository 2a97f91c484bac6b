"""Rule merge_conserved: the paper's conserved set (flank, merge, drop repeats/coding, size)."""

from deepcons.atomic import atomic_write_text
from deepcons.dataset import drop_n_rich_step, write_bed
from deepcons.errors import InputError
from deepcons.intervals import build_conserved_set
from deepcons.logs import run_rule


def main(smk):
    p = smk.params
    elements, steps = build_conserved_set(
        smk.input.conserved,
        smk.input.repeats,
        smk.input.coding_exons,
        smk.input.sizes,
        flank=p.flank,
        min_length=p.min_length,
        max_length=p.max_length,
    )
    intervals = drop_n_rich_step(smk.input.genome, elements, p.max_n_fraction, steps)
    if not intervals:
        raise InputError(
            "no conserved elements left after filtering: "
            + ", ".join(f"{s}={n}" for s, n, _ in steps.rows),
            smk.input.conserved,
        )
    write_bed(smk.output.bed, intervals, "conserved")
    atomic_write_text(smk.output.steps, steps.to_tsv())


run_rule(main, snakemake)
