"""Scoring sequences with a trained model: inputs from FASTA, BED + genome, or code arrays."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .encoding import COMPLEMENT_CODE, Layout, codes_of, encode_rows
from .errors import InputError


def model_layout(info: dict) -> Layout:
    """The encoding layout a model was trained with (from its model.json)."""
    h = info["hparams"]
    width = int(h.get("input_length", 2020))
    pad = int(h.get("pad_length", (width - 20) // 2))
    return Layout(pad, int(h.get("spacer_length", width - 2 * pad)))


def fasta_records(path, max_length: int) -> Iterator[tuple[str, str]]:
    """(name, sequence) of a FASTA file's records; an empty file, an empty record or one
    longer than the model takes is an error."""
    from .genome import read_fasta

    count = 0
    for name, seq, line in read_fasta(path):
        if len(seq) > max_length:
            raise InputError(
                f"sequence {name!r} is {len(seq)} bp; the model takes at most {max_length} bp",
                path,
                line,
            )
        if not seq:
            raise InputError(f"sequence {name!r} is empty", path, line)
        count += 1
        yield name, seq
    if not count:
        raise InputError("no FASTA records", path)


def fasta_sequences(path, max_length: int) -> Iterator[tuple[str, np.ndarray]]:
    """Name and codes of each of a FASTA file's records (:func:`fasta_records`)."""
    for name, seq in fasta_records(path, max_length):
        yield name, codes_of(seq)


def read_fasta_sequences(path, max_length: int) -> tuple[list[str], list[np.ndarray]]:
    """Names and codes of a FASTA file's records, as two lists."""
    return names_and_codes(fasta_sequences(path, max_length))


def names_and_codes(pairs) -> tuple[list[str], list[np.ndarray]]:
    """The names and the code arrays of (name, codes) pairs, as two lists."""
    names, seqs = [], []
    for name, codes in pairs:
        names.append(name)
        seqs.append(codes)
    return names, seqs


def bed_intervals(bed, max_length: int, sizes: dict[str, int] | None = None) -> list:
    """The records of a BED of intervals to score; an empty file, an empty interval or one
    longer than the model takes is an error, and with ``sizes`` (the genome's) so is one
    the genome cannot hold."""
    from .annotations import check_records
    from .formats import read_records

    _, records = read_records(bed, "conserved", label="interpret.bed")
    if sizes is not None:
        records = check_records(records, bed, sizes, unknown_hint="")
    records = list(records)
    for r in records:
        if r.end - r.start > max_length:
            raise InputError(
                f"interval {r.chrom}:{r.start}-{r.end} is {r.end - r.start} bp; the model "
                f"takes at most {max_length} bp",
                bed,
                r.line,
            )
        if r.end == r.start:
            raise InputError("empty interval", bed, r.line)
    if not records:
        raise InputError("no intervals", bed)
    return records


def check_user_sequences(path, kind: str, max_length: int) -> None:
    """Read a user's ``fasta`` or ``bed`` of sequences to score for its mistakes only, before
    any job (a BED's chromosomes are checked against the genome when its sequences are read)."""
    if kind == "fasta":
        for _ in fasta_records(path, max_length):
            pass
    else:
        bed_intervals(path, max_length)


def bed_sequences(bed, genome_path, max_length: int) -> Iterator[tuple[str, np.ndarray]]:
    """Name and codes of each BED interval of a genome (BED3+, any accepted BED flavour),
    read 5' to 3' on its strand: a BED6 ``-`` interval is reverse complemented. The whole
    BED is checked before the first is read."""
    from .genome import Genome

    with Genome(genome_path) as genome:
        for r in bed_intervals(bed, max_length, genome.sizes):
            name = r.name if r.name not in ("", ".") else f"{r.chrom}:{r.start}-{r.end}"
            codes = genome.region_codes(r.chrom, r.start, r.end)  # a BED in any order
            if r.strand == "-":  # read 5' to 3' on its own strand, as a BED6 user means it
                codes = COMPLEMENT_CODE[codes[::-1]]
                if r.name in ("", "."):
                    name += "(-)"
            yield name, codes


def read_bed_sequences(bed, genome_path, max_length: int) -> tuple[list[str], list[np.ndarray]]:
    """Names and codes of BED intervals of a genome (:func:`bed_sequences`), as two lists."""
    return names_and_codes(bed_sequences(bed, genome_path, max_length))


def score_sequences(
    model,
    sequences: list[np.ndarray],
    layout: Layout,
    batch_size: int = 256,
    device="cpu",
    progress=None,
) -> np.ndarray:
    """Logits of code arrays, encoded in the model's two-strand layout, in batches
    (``progress``, a :class:`deepcons.logs.Progress`, is told of each)."""
    from .attribution import logits_of_rows

    out = []
    for start in range(0, len(sequences), batch_size):
        rows = encode_rows(sequences[start : start + batch_size], layout)
        out.append(logits_of_rows(model, rows, batch_size, device))
        if progress is not None:
            progress.update(len(rows))
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def most_confident_conserved(
    predictions_tsv, seq_path, count: int
) -> tuple[list[str], list[np.ndarray], np.ndarray]:
    """The ``count`` conserved test sequences the CNN is surest of, with their probabilities.

    ``predictions_tsv`` (id label cnn ...) and ``seq_path`` (SEQUENCE<TAB>LABEL) list the
    test split in the same order.
    """
    import pandas as pd

    predictions = pd.read_csv(predictions_tsv, sep="\t")
    with open(seq_path) as handle:
        sequences = [line.split("\t", 1)[0] for line in handle if line.strip()]
    if len(sequences) != len(predictions):
        raise InputError(f"{len(sequences)} sequences but {len(predictions)} predictions", seq_path)
    chosen = (
        predictions[predictions["label"] == 1]
        .sort_values("cnn", ascending=False, kind="stable")
        .head(count)
    )
    return (
        list(chosen["id"]),
        [codes_of(sequences[i]) for i in chosen.index],
        chosen["cnn"].to_numpy(),
    )
