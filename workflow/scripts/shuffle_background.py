"""Rule shuffle_background: the conserved set shuffled away from repeats, exons, elements, gaps."""

import pybedtools

from deepcons.atomic import atomic_write_text
from deepcons.dataset import drop_n_rich_step, write_bed
from deepcons.errors import InputError
from deepcons.intervals import StepCounts, shuffle_background
from deepcons.logs import run_rule


def main(smk):
    p = smk.params
    steps = StepCounts()
    steps.add("conserved_set", pybedtools.BedTool(smk.input.conserved))
    placed, n_unplaced = shuffle_background(
        smk.input.conserved,
        [
            smk.input.repeats,
            smk.input.coding_exons,
            smk.input.elements,
            smk.input.conserved,
            smk.input.gaps,
        ],
        smk.input.sizes,
        random_state=p.seed,
        max_tries=p.max_tries,
    )
    steps.add("shuffled", placed)
    steps.rows.append(("unplaced", n_unplaced, 0))
    intervals = drop_n_rich_step(smk.input.genome, placed, p.max_n_fraction, steps)
    if not intervals:
        raise InputError(
            "no background interval could be placed (is the genome mostly excluded?)",
            smk.input.sizes,
        )
    write_bed(smk.output.bed, intervals, "background")
    atomic_write_text(smk.output.steps, steps.to_tsv())


run_rule(main, snakemake)
