"""Annotation inputs checked against the genome and written as sorted BED6."""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from collections.abc import Iterable

from .atomic import atomic_open
from .errors import InputError
from .formats import Record, read_records, what_records_are

log = logging.getLogger(__name__)


def check_records(
    records: Iterable[Record],
    path,
    sizes: dict[str, int],
    selected: re.Pattern | None = None,
    unknown_chromosomes: str = "error",
    counts: Counter | None = None,
    need_strand: bool = False,
    unknown_hint: str = "; set input.unknown_chromosomes: drop to skip such rows",
) -> list[Record]:
    """Keep the records on selected chromosomes; refuse coordinates the genome cannot hold.

    Parameters
    ----------
    sizes : lengths of every sequence in the genome FASTA.
    selected : records on chromosomes not matching it are dropped (and counted).
    unknown_chromosomes : ``error`` (default) stops at the first record on a chromosome
        the FASTA does not have; ``drop`` drops and counts them.
    counts : receives ``kept``, ``other_chromosome`` and ``unknown_chromosome`` counts.
    need_strand : refuse records without a + or - strand (gene and hairpin anchors).
    unknown_hint : what the error on an unknown chromosome suggests, after its example.
    """
    counts = Counter() if counts is None else counts
    kept = []
    for record in records:
        # first: rows on chromosomes left out (alt haplotypes...) need not be in the FASTA
        if selected is not None and not selected.fullmatch(record.chrom):
            counts["other_chromosome"] += 1
            continue
        if need_strand and record.strand not in ("+", "-"):
            raise InputError(
                f"expected a strand (+ or -), got {record.strand!r}: TSS, TES and hairpin "
                "windows need it (give BED6+, genePred, GTF or GFF3)",
                path,
                record.line,
            )
        size = sizes.get(record.chrom)
        if size is None:
            if unknown_chromosomes == "drop":
                counts["unknown_chromosome"] += 1
                continue
            example = next(iter(sizes))
            raise InputError(
                f"chromosome {record.chrom!r} is not in the genome FASTA (its sequences are "
                f"named like {example!r}{unknown_hint})",
                path,
                record.line,
            )
        if record.end > size:
            raise InputError(
                f"interval {record.chrom}:{record.start}-{record.end} runs past the end of "
                f"{record.chrom} ({size} bp in the genome FASTA)",
                path,
                record.line,
            )
        counts["kept"] += 1
        kept.append(record)
    return kept


def sort_records(records: list[Record]) -> list[Record]:
    """In ``sort -k1,1 -k2,2n -k3,3n`` order, which bedtools expects."""
    return sorted(records, key=lambda r: (r.chrom, r.start, r.end, r.strand, r.name))


def write_bed6(path: str | os.PathLike, records: Iterable[Record]) -> int:
    n = 0
    with atomic_open(path) as out:
        for r in records:
            out.write(f"{r.chrom}\t{r.start}\t{r.end}\t{r.name}\t{r.score}\t{r.strand}\n")
            n += 1
    return n


def normalize_annotation(
    source,
    kind: str,
    sizes: dict[str, int],
    out_bed,
    selected=None,
    unknown_chromosomes="error",
    cds_out=None,
) -> dict:
    """Read ``source`` (any accepted format for ``kind``), check it and write sorted BED6.

    ``out_bed`` may be None when only the coding parts are wanted.

    When ``cds_out`` is given, the coding parts of the records (BED12 thick parts, genePred
    CDS, GTF/GFF3 CDS lines) are written there too; it is an error when there are none.

    Returns a summary dict (format, counts).
    """
    selected = re.compile(selected) if isinstance(selected, str) else selected
    cds: list[Record] | None = [] if cds_out is not None else None
    fmt, records = read_records(source, kind, cds)
    counts: Counter = Counter()
    need_strand = kind in ("genes", "mirna")
    kept = check_records(records, source, sizes, selected, unknown_chromosomes, counts, need_strand)
    if not kept:
        raise InputError(
            f"no {kind} records left on the selected chromosomes "
            f"({dict(counts) or 'the file has no ' + what_records_are(fmt, kind)})",
            source,
        )
    if out_bed is not None:
        write_bed6(out_bed, sort_records(kept))
    summary = {"kind": kind, "format": fmt, **counts}
    if cds_out is not None:
        cds_kept = check_records(cds, source, sizes, selected, unknown_chromosomes)
        if not cds_kept:
            raise InputError(
                f"no coding (CDS) parts found in input.{kind} ({fmt}); give input.coding_exons, "
                "or genes as BED12 (thick part = CDS), genePred or GTF with CDS lines",
                source,
            )
        summary["cds"] = write_bed6(cds_out, sort_records(cds_kept))
    log.info("%s: %s", kind, summary)
    return summary
