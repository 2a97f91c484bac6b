"""Rule encode_dataset: labelled sequences -> split .seq tables and uint8 encoded arrays."""

from pathlib import Path

from deepcons.dataset import (
    SPLITS,
    SequenceSet,
    extract,
    read_bed3,
    read_seq_table,
    stratified_split,
    write_dataset_info,
    write_split,
)
from deepcons.encoding import Layout
from deepcons.errors import InputError
from deepcons.genome import Genome
from deepcons.logs import run_rule


def from_genome(smk) -> SequenceSet:
    with Genome(smk.input.genome) as genome:
        positives = extract(genome, read_bed3(smk.input.conserved), 1)
        negatives = extract(genome, read_bed3(smk.input.background), 0)
    return SequenceSet.concat([positives, negatives])


def main(smk):
    p = smk.params
    layout = Layout(p.pad_length, p.spacer_length)
    out_dir = Path(smk.output.info).parent
    if p.mode == "genome":
        data = from_genome(smk)
        splits = {
            s: data.subset(i) for s, i in stratified_split(data.labels, p.split, p.seed).items()
        }
    elif len(smk.input.sequences) == 1:
        data = read_seq_table(smk.input.sequences[0], layout.pad_length)
        if len(set(data.labels.tolist())) < 2:  # the file's fault, not the split's
            raise InputError(
                f"every sequence has label {data.labels[0]}; both 0 and 1 are needed",
                smk.input.sequences[0],
            )
        splits = {
            s: data.subset(i) for s, i in stratified_split(data.labels, p.split, p.seed).items()
        }
    else:
        splits = {
            s: read_seq_table(path, layout.pad_length)
            for s, path in zip(SPLITS, smk.input.sequences, strict=True)
        }
    given = p.mode == "sequences" and len(smk.input.sequences) == len(SPLITS)  # three files
    for i, (split, part) in enumerate(splits.items()):
        source = smk.input.sequences[i] if given else "config dataset.split"
        if len(part) == 0:
            raise InputError(f"the {split} split is empty: too few sequences", source)
        if len(set(part.labels.tolist())) < 2:
            raise InputError(
                f"the {split} split holds only one label; both 0 and 1 are needed", source
            )
    for split, part in splits.items():
        write_split(out_dir, split, part, layout)
    counts = {s: {"n": len(d), "conserved": int(d.labels.sum())} for s, d in splits.items()}
    write_dataset_info(smk.output.info, layout, counts, {"mode": p.mode})


run_rule(main, snakemake)
