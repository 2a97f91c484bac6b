"""Labelled sequence sets: extraction, N filtering, the stratified split and the files.

A :class:`SequenceSet` keeps its sequences end to end in one uint8 code array with their
lengths, so that 1.8 M sequences cost their bases and not 1.8 M Python objects.

Files of a split ``S`` in the dataset folder (the README's outputs):

``S.seq``          ``SEQUENCE<TAB>LABEL``, no header (the DeepCons data release layout)
``S.codes.npy``    uint8 (n, width) rows in the paper's two-strand layout (memory-mappable)
``S.labels.npy``   uint8 (n,)
``S.index.tsv``    ``id label length gc n_fraction``, one row per sequence, same order
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atomic import atomic_open, atomic_path
from .encoding import LETTER_OF_CODE, N_CODE, Layout, codes_of, encode_flat
from .errors import InputError

log = logging.getLogger(__name__)

SPLITS = ("train", "valid", "test")
SEQUENCE_LETTERS = set("ACGTUNRYKMSWBDHV")  # everything but ACGT(U) is read as N
ENCODE_CHUNK = 20_000  # rows encoded at a time: bounds the index arrays' memory


@dataclass
class SequenceSet:
    """Sequences end to end: ``flat`` uint8 codes, ``lengths`` (n,), ``labels`` (n,), ``ids``."""

    flat: np.ndarray
    lengths: np.ndarray
    labels: np.ndarray
    ids: list[str]

    def __len__(self) -> int:
        return len(self.lengths)

    @property
    def offsets(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.lengths)])

    def codes(self, i: int) -> np.ndarray:
        offsets = self.offsets
        return self.flat[offsets[i] : offsets[i + 1]]

    def per_sequence_sum(self, mask: np.ndarray) -> np.ndarray:
        """Sum of a per-base boolean/number array over each sequence, shape (n,)."""
        sums = np.zeros(len(self), dtype=np.int64)
        nonempty = self.lengths > 0
        starts = self.offsets[:-1][nonempty]
        if starts.size:
            sums[nonempty] = np.add.reduceat(mask.astype(np.int64), starts)
        return sums

    def n_fraction(self) -> np.ndarray:
        return self.per_sequence_sum(self.flat == N_CODE) / np.maximum(self.lengths, 1)

    def gc_fraction(self) -> np.ndarray:
        gc = self.per_sequence_sum((self.flat == 1) | (self.flat == 2))
        acgt = self.lengths - self.per_sequence_sum(self.flat == N_CODE)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(acgt > 0, gc / np.maximum(acgt, 1), np.nan)

    def subset(self, index: np.ndarray) -> SequenceSet:
        index = np.asarray(index, dtype=np.int64)
        offsets = self.offsets
        lengths = self.lengths[index]
        starts = offsets[:-1][index]
        gather = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(
            lengths.sum()
        )
        return SequenceSet(
            self.flat[gather], lengths, self.labels[index], [self.ids[i] for i in index]
        )

    @staticmethod
    def concat(parts: list[SequenceSet]) -> SequenceSet:
        return SequenceSet(
            np.concatenate([p.flat for p in parts]),
            np.concatenate([p.lengths for p in parts]),
            np.concatenate([p.labels for p in parts]),
            [i for p in parts for i in p.ids],
        )


def read_bed3(path: str | os.PathLike) -> list[tuple[str, int, int]]:
    out = []
    with open(path) as handle:
        for line in handle:
            if line.strip():
                f = line.split("\t")
                out.append((f[0], int(f[1]), int(f[2])))
    return out


def extract(genome, intervals: list[tuple[str, int, int]], label: int) -> SequenceSet:
    """Sequences of ``intervals`` (in their order) from a :class:`deepcons.genome.Genome`."""
    by_chrom: dict[str, list[int]] = {}
    for i, (chrom, _, _) in enumerate(intervals):
        by_chrom.setdefault(chrom, []).append(i)
    slices: list[np.ndarray | None] = [None] * len(intervals)
    for chrom, members in by_chrom.items():
        codes = genome.chromosome_codes(chrom)
        for i in members:
            _, start, end = intervals[i]
            # a copy: a view would keep the whole chromosome alive (all of hg19, 3.1 GB)
            slices[i] = codes[start:end].copy()
    pieces = [s for s in slices if s is not None]
    lengths = np.array([len(s) for s in pieces], dtype=np.int64)
    flat = np.concatenate(pieces) if pieces else np.empty(0, np.uint8)
    ids = [f"{c}:{s}-{e}" for c, s, e in intervals]
    return SequenceSet(flat, lengths, np.full(len(intervals), label, dtype=np.uint8), ids)


def drop_n_rich(genome, intervals: list[tuple[str, int, int]], max_n_fraction: float):
    """The intervals whose sequence has at most ``max_n_fraction`` N, and how many were dropped."""
    n_fraction = extract(genome, intervals, 0).n_fraction()
    keep = n_fraction <= max_n_fraction
    return [iv for iv, k in zip(intervals, keep, strict=True) if k], int((~keep).sum())


def drop_n_rich_step(
    genome_path, bedtool, max_n_fraction: float, steps
) -> list[tuple[str, int, int]]:
    """The intervals of ``bedtool`` with at most ``max_n_fraction`` N, recorded as a step."""
    from .genome import Genome

    intervals = [(i.chrom, i.start, i.end) for i in bedtool]
    with Genome(genome_path) as genome:
        intervals, _ = drop_n_rich(genome, intervals, max_n_fraction)
    steps.add_intervals(f"n_fraction_at_most_{max_n_fraction:g}", intervals)
    return intervals


def write_bed(path, intervals: list[tuple[str, int, int]], prefix: str) -> None:
    """BED4 with names ``{prefix}_{i}`` (1-based, file order)."""
    with atomic_open(path) as out:
        for i, (chrom, start, end) in enumerate(intervals, 1):
            out.write(f"{chrom}\t{start}\t{end}\t{prefix}_{i}\n")


def read_seq_table(path: str | os.PathLike, max_length: int) -> SequenceSet:
    """A ``SEQUENCE<TAB>LABEL`` file (the DeepCons data release layout), checked line by line."""
    from .formats import data_lines

    pieces, labels, ids = [], [], []
    name = Path(path).name
    for lineno, fields in data_lines(path):  # blank and '#' lines skipped
        if len(fields) != 2:
            raise InputError(
                f"expected SEQUENCE<TAB>LABEL, got {len(fields)} columns", path, lineno
            )
        sequence, label = fields
        if label not in ("0", "1"):
            raise InputError(f"expected label 0 or 1, got {label!r}", path, lineno)
        bad = set(sequence.upper()) - SEQUENCE_LETTERS
        if not sequence or bad:
            raise InputError(
                f"expected a DNA sequence (A, C, G, T, N or IUPAC codes), got {sorted(bad) or 'nothing'}",
                path,
                lineno,
            )
        if len(sequence) > max_length:
            raise InputError(
                f"sequence of {len(sequence)} bp is longer than dataset.pad_length={max_length}",
                path,
                lineno,
            )
        pieces.append(codes_of(sequence.upper()))
        labels.append(int(label))
        ids.append(f"{name}:{lineno}")
    if not pieces:
        raise InputError("no sequences", path)
    lengths = np.array([len(p) for p in pieces], dtype=np.int64)
    return SequenceSet(np.concatenate(pieces), lengths, np.array(labels, dtype=np.uint8), ids)


def stratified_split(
    labels: np.ndarray, fractions: dict[str, float], random_state: int
) -> dict[str, np.ndarray]:
    """Indices of each split, the same fractions within each label, in random order.

    Fractions are normalised to sum to 1; each label's counts are rounded so that train
    takes the remainder. The result depends only on ``labels``, ``fractions`` and ``random_state``.
    """
    total = sum(fractions[s] for s in SPLITS)
    rng = np.random.default_rng(random_state)
    parts: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        n_valid = int(round(len(members) * fractions["valid"] / total))
        n_test = int(round(len(members) * fractions["test"] / total))
        parts["valid"].append(members[:n_valid])
        parts["test"].append(members[n_valid : n_valid + n_test])
        parts["train"].append(members[n_valid + n_test :])
    return {
        s: rng.permutation(np.concatenate(parts[s])) if parts[s] else np.empty(0, np.int64)
        for s in SPLITS
    }


def write_split(
    directory: str | os.PathLike, split: str, data: SequenceSet, layout: Layout
) -> None:
    """Write the four files of one split (module docstring), each atomically."""
    directory = Path(directory)
    n = len(data)
    offsets = data.offsets
    letters = LETTER_OF_CODE[np.minimum(data.flat, N_CODE)].tobytes().decode()
    with atomic_open(directory / f"{split}.seq") as out:
        for i in range(n):
            out.write(f"{letters[offsets[i] : offsets[i + 1]]}\t{data.labels[i]}\n")
    with atomic_path(directory / f"{split}.codes.npy") as tmp:
        rows = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(n, layout.width))
        for start in range(0, n, ENCODE_CHUNK):
            stop = min(start + ENCODE_CHUNK, n)
            flat = data.flat[offsets[start] : offsets[stop]]
            encode_flat(flat, data.lengths[start:stop], layout, out=rows[start:stop])
        rows.flush()
        del rows
    with atomic_path(directory / f"{split}.labels.npy") as tmp:
        np.save(tmp, data.labels.astype(np.uint8))
    gc, nf = data.gc_fraction(), data.n_fraction()
    with atomic_open(directory / f"{split}.index.tsv") as out:
        out.write("id\tlabel\tlength\tgc\tn_fraction\n")
        for i in range(n):
            out.write(
                f"{data.ids[i]}\t{data.labels[i]}\t{data.lengths[i]}\t{gc[i]:.4f}\t{nf[i]:.4f}\n"
            )
    log.info(
        "%s: %d sequences (%d conserved, %d not)",
        split,
        n,
        int(data.labels.sum()),
        n - int(data.labels.sum()),
    )


def write_dataset_info(path, layout: Layout, counts: dict, extra: dict | None = None) -> None:
    info = {
        "pad_length": layout.pad_length,
        "spacer_length": layout.spacer_length,
        "width": layout.width,
        "splits": counts,
    }
    info.update(extra or {})
    with atomic_open(path) as out:
        json.dump(info, out, indent=2, sort_keys=True)
        out.write("\n")


def read_dataset_info(path) -> dict:
    with open(path) as handle:
        return json.load(handle)


def load_split(directory, split: str, mmap: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Encoded rows (n, width) uint8 (memory-mapped) and labels (n,) of a split."""
    directory = Path(directory)
    codes = np.load(directory / f"{split}.codes.npy", mmap_mode="r" if mmap else None)
    labels = np.load(directory / f"{split}.labels.npy")
    return codes, labels
