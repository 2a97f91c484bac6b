"""Windows centred on genomic anchors: gene TSSs and TESs, miRNA hairpins.

Strand conventions (as the paper): a gene's TSS is its first base in the direction of
transcription (``start`` on +, ``end - 1`` on -) and its TES its last base (``end - 1`` on
+, ``start`` on -); a hairpin's anchor is its middle base. Windows are taken in genome
orientation whatever the gene's strand, ``width // 2`` bases left of the anchor and the
rest to its right, so the anchor sits at the window's centre. Identical positions (same
chromosome, position and strand) are counted once; windows that run off a chromosome end
or overlap an assembly gap are dropped and counted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from .atomic import atomic_open

log = logging.getLogger(__name__)


@dataclass
class Window:
    id: str
    chrom: str
    start: int
    end: int
    anchor: int
    strand: str
    name: str


def read_bed6(path) -> list[tuple[str, int, int, str, str]]:
    """(chrom, start, end, name, strand) of each row of a normalised BED6."""
    rows = []
    with open(path) as handle:
        for line in handle:
            if line.strip():
                f = line.rstrip("\n").split("\t")
                rows.append((f[0], int(f[1]), int(f[2]), f[3], f[5] if len(f) > 5 else "."))
    return rows


def anchor_position(start: int, end: int, strand: str, anchor: str) -> int:
    if anchor == "mirna":
        return (start + end - 1) // 2
    if strand not in ("+", "-"):
        raise ValueError(f"a {anchor.upper()} needs a strand, got {strand!r}")
    first_base = strand == "+"
    if anchor == "tss":
        return start if first_base else end - 1
    if anchor == "tes":
        return end - 1 if first_base else start
    raise ValueError(f"unknown anchor {anchor!r}")


def make_windows(
    records, anchor: str, width: int, sizes: dict[str, int]
) -> tuple[list[Window], dict]:
    """Windows of ``width`` bp centred on each record's anchor, with the counts of what was dropped."""
    seen: set[tuple[str, int, str]] = set()
    windows: list[Window] = []
    counts = {"records": 0, "duplicate_position": 0, "off_chromosome_end": 0}
    for chrom, start, end, name, strand in records:
        counts["records"] += 1
        pos = anchor_position(start, end, strand, anchor)
        key = (chrom, pos, strand)
        if key in seen:
            counts["duplicate_position"] += 1
            continue
        seen.add(key)
        left = pos - width // 2
        right = left + width
        if left < 0 or right > sizes[chrom]:
            counts["off_chromosome_end"] += 1
            continue
        windows.append(
            Window(f"{anchor}_{len(windows) + 1}", chrom, left, right, pos, strand, name)
        )
    return windows, counts


def drop_gap_windows(windows: list[Window], gaps_bed) -> tuple[list[Window], int]:
    """Windows that overlap no gap (bedtools intersect -v), and how many were dropped."""
    import pybedtools

    if not windows:
        return windows, 0
    bed = pybedtools.BedTool([(w.chrom, w.start, w.end, w.id) for w in windows])
    keep = {i.name for i in bed.intersect(pybedtools.BedTool(str(gaps_bed)), v=True)}
    kept = [w for w in windows if w.id in keep]
    return kept, len(windows) - len(kept)


def window_codes(genome, windows: list[Window]) -> np.ndarray:
    """uint8 codes of every window, shape (n, width), from a :class:`deepcons.genome.Genome`."""
    if not windows:
        return np.zeros((0, 0), dtype=np.uint8)
    out = np.empty((len(windows), windows[0].end - windows[0].start), dtype=np.uint8)
    order = sorted(range(len(windows)), key=lambda i: windows[i].chrom)  # one chromosome at a time
    for i in order:
        w = windows[i]
        out[i] = genome.chromosome_codes(w.chrom)[w.start : w.end]
    return out


def write_windows(windows: list[Window], codes: np.ndarray, fasta_path, table_path) -> None:
    from .encoding import sequence_of

    with atomic_open(fasta_path) as out:
        for w, row in zip(windows, codes, strict=True):
            out.write(
                f">{w.id} {w.chrom}:{w.start}-{w.end}({w.strand}) {w.name}\n{sequence_of(row)}\n"
            )
    with atomic_open(table_path) as out:
        out.write("id\tchrom\tstart\tend\tanchor\tstrand\tname\n")
        for w in windows:
            out.write(f"{w.id}\t{w.chrom}\t{w.start}\t{w.end}\t{w.anchor}\t{w.strand}\t{w.name}\n")
