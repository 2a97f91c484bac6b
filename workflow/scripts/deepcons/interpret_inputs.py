"""Which sequences the interpret stage scores: a user's FASTA or BED, else the test set's
most confidently conserved sequences."""

from __future__ import annotations


def interpret_sequences(smk, layout, count: int):
    """(names, code arrays, probabilities or None) for the rules of the interpret stage."""
    from .scoring import most_confident_conserved, read_bed_sequences, read_fasta_sequences

    source = smk.input
    if "fasta" in source.keys():
        names, seqs = read_fasta_sequences(source.fasta, layout.pad_length)
        return names[:count], seqs[:count], None
    if "bed" in source.keys():
        names, seqs = read_bed_sequences(source.bed, source.genome, layout.pad_length)
        return names[:count], seqs[:count], None
    return most_confident_conserved(source.predictions, source.test_seq, count)
