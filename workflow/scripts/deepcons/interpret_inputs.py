"""Which sequences the interpret stage scores: a user's FASTA or BED, else the test set's
most confidently conserved sequences."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


def sequences_described(smk) -> str:
    """Which sequences :func:`interpret_sequences` gives, for a figure's title."""
    for kind in ("fasta", "bed"):
        if kind in smk.input.keys():
            return f"the sequences of {Path(smk.input[kind]).name}"
    return "the most confidently conserved test sequences"


def interpret_sequences(smk, layout, count: int, all_user_records: bool):
    """(names, code arrays, probabilities or None) for the rules of the interpret stage.

    ``count`` test sequences; of a user's FASTA or BED, every record when
    ``all_user_records``, else the first ``count``."""
    from .scoring import most_confident_conserved, read_bed_sequences, read_fasta_sequences

    source = smk.input
    if "fasta" in source.keys():
        names, seqs = read_fasta_sequences(source.fasta, layout.pad_length)
    elif "bed" in source.keys():
        names, seqs = read_bed_sequences(source.bed, source.genome, layout.pad_length)
    else:
        return most_confident_conserved(source.predictions, source.test_seq, count)
    if not all_user_records and len(names) > count:
        log.info("the first %d of %d sequences (config interpret.ism_count)", count, len(names))
        names, seqs = names[:count], seqs[:count]
    return names, seqs, None
