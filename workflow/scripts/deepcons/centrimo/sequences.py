"""Sequences as CentriMo reads them (FASTA, MEME's rules for letters)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np

from ..errors import InputError
from ..formats import open_text
from ..motif_scan import encode_sequences

# MEME keeps letters, digits and "-*." in a sequence (non-letters become N) and skips the rest.
_FASTA_SKIP = {c: None for c in range(128) if not (chr(c).isalnum() or chr(c) in "-*.")}


def iter_fasta(path: str | os.PathLike) -> Iterator[tuple[str, str]]:
    """Stream (name, sequence) records from a FASTA file (plain or gzipped) of any wrapping.

    The name is the header up to the first white space; sequences are upper-cased. As in
    MEME, white space and punctuation other than ``-*.`` are dropped, and every kept
    character other than A, C, G, T and U is treated as ambiguous (no site contains it).

    Raises
    ------
    InputError
        If the file has text before its first header, a header without a name, or no
        sequence at all.
    """
    name: str | None = None
    chunks: list[str] = []
    n_records = 0
    try:
        with open_text(path, encoding="ascii") as handle:
            for lineno, line in enumerate(handle, start=1):
                if line.startswith(">"):
                    if name is not None:
                        yield name, "".join(chunks).upper()
                        n_records += 1
                    fields = line[1:].split()
                    if not fields:
                        raise InputError("FASTA header without a sequence name", path, lineno)
                    name, chunks = fields[0], []
                elif line.strip():
                    if name is None:
                        raise InputError(
                            "not a FASTA file: sequence text before the first '>' header",
                            path,
                            lineno,
                        )
                    chunks.append(line.translate(_FASTA_SKIP))
    except UnicodeDecodeError as err:
        raise InputError(f"not a FASTA file: non-ASCII byte ({err.reason})", path) from None
    if name is not None:
        yield name, "".join(chunks).upper()
        n_records += 1
    if n_records == 0:
        raise InputError("no sequences found (expected FASTA '>' headers)", path)


def read_fasta(path: str | os.PathLike) -> tuple[list[str], list[str]]:
    """All records of a FASTA file as (names, sequences); see :func:`iter_fasta`."""
    names, seqs = [], []
    for name, seq in iter_fasta(path):
        names.append(name)
        seqs.append(seq)
    return names, seqs


def as_codes(sequences) -> tuple[np.ndarray, np.ndarray]:
    """(codes (n, L) uint8, lengths (n,)) of strings or of an encoded array."""
    if isinstance(sequences, tuple) and len(sequences) == 2:
        return encode_sequences(np.asarray(sequences[0]), np.asarray(sequences[1]))
    if isinstance(sequences, np.ndarray):
        return encode_sequences(sequences)
    return encode_sequences(list(sequences))
