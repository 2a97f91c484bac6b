"""Sequences as compact uint8 codes, in the paper's two-strand layout.

Codes: A=0, C=1, G=2, T=3, anything else (N) = 4. One-hot encoding (N = all zeros) is done
batch by batch where the model runs, never for a whole data set.

The paper's layout of one input row (section 5.2; lengths configurable)::

    [ sequence, padded with N to pad_length ][ spacer_length N ][ reverse complement, padded with N to pad_length ]

so with the defaults a row has 1,000 + 20 + 1,000 = 2,020 columns. Both halves are padded
on the right: base ``i`` of a sequence of length ``L`` sits in column ``i`` and its
complement in column ``pad_length + spacer_length + (L - 1 - i)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N_CODE = 4
LETTERS = "ACGTN"

# Byte -> code, upper and lower case; every other byte is N.
CODE_OF_BYTE = np.full(256, N_CODE, dtype=np.uint8)
for _code, _letters in enumerate(("A", "C", "G", "TU")):  # U is T, as in the MEME suite
    for _letter in _letters:
        CODE_OF_BYTE[ord(_letter)] = _code
        CODE_OF_BYTE[ord(_letter.lower())] = _code
COMPLEMENT_CODE = np.array([3, 2, 1, 0, N_CODE], dtype=np.uint8)
LETTER_OF_CODE = np.frombuffer(LETTERS.encode(), dtype=np.uint8)


@dataclass(frozen=True)
class Layout:
    """Where the two strands of a sequence go in an encoded row."""

    pad_length: int = 1000
    spacer_length: int = 20

    @property
    def width(self) -> int:
        return 2 * self.pad_length + self.spacer_length

    @property
    def reverse_start(self) -> int:
        return self.pad_length + self.spacer_length


def codes_of(sequence: str | bytes) -> np.ndarray:
    """uint8 codes of a sequence, shape (L,)."""
    if isinstance(sequence, str):
        sequence = sequence.encode("ascii", "replace")
    return CODE_OF_BYTE[np.frombuffer(sequence, dtype=np.uint8)]


def sequence_of(codes: np.ndarray) -> str:
    """Letters of a code array (codes >= 4 become N)."""
    codes = np.minimum(np.asarray(codes, dtype=np.uint8), N_CODE)
    return LETTER_OF_CODE[codes].tobytes().decode()


def encode_rows(
    sequences: list[np.ndarray], layout: Layout = Layout(), out: np.ndarray | None = None
) -> np.ndarray:
    """Encode sequences (code arrays of length <= pad_length) into layout rows.

    Returns
    -------
    rows : uint8 array, shape (n, layout.width); written into ``out`` when given.
    """
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    flat = np.concatenate(sequences) if len(sequences) else np.empty(0, np.uint8)
    return encode_flat(flat, lengths, layout, out)


def encode_flat(
    flat: np.ndarray, lengths: np.ndarray, layout: Layout = Layout(), out: np.ndarray | None = None
) -> np.ndarray:
    """Like :func:`encode_rows` for sequences stored end to end in ``flat``, shape (sum(lengths),)."""
    n = len(lengths)
    if out is None:
        out = np.empty((n, layout.width), dtype=np.uint8)
    out[:] = N_CODE
    if n == 0:
        return out
    if lengths.max() > layout.pad_length:
        i = int(np.argmax(lengths))
        raise ValueError(
            f"sequence {i} is {lengths[i]} bp, longer than pad_length={layout.pad_length}"
        )
    row = np.repeat(np.arange(n), lengths)
    start = np.cumsum(lengths) - lengths
    pos = np.arange(flat.size) - np.repeat(start, lengths)
    out[row, pos] = flat
    # the complement of base i lands at reverse_start + (L - 1 - i)
    out[row, layout.reverse_start + np.repeat(lengths, lengths) - 1 - pos] = COMPLEMENT_CODE[flat]
    return out
