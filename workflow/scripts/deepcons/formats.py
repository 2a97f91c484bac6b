"""Recognise annotation formats from their content and normalise them to BED records.

Accepted formats, recognised from the columns of the first data line (and the GFF version
header), never from the file name:

======================  =====================================================================
``bed``                 BED3+ (BED6 when a strand column is present), 0-based half-open
``bed12``               BED12; thickStart/thickEnd mark the CDS
``phastcons``           UCSC phastConsElements table: bin chrom start end name score
``rmsk``                UCSC rmsk table (17 columns, genoName/genoStart/genoEnd)
``genepred``            UCSC genePred / refGene (with or without the bin column)
``gtf``                 GTF 2.2 (1-based, inclusive; ``key "value";`` attributes)
``gff3``                GFF3 (1-based, inclusive; ``key=value;`` attributes)
======================  =====================================================================

Every parser yields :class:`Record` tuples and raises :class:`InputError` naming the file
and line of the first row that is not what was expected.
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from .errors import InputError

GZIP_MAGIC = b"\x1f\x8b"

# Which formats make sense for which input of the workflow (config keys input.*).
ACCEPTED = {
    "conserved": ("bed", "bed12", "phastcons"),
    "repeats": ("bed", "bed12", "rmsk"),
    "coding_exons": ("bed", "bed12"),
    "genes": ("bed", "bed12", "genepred", "gtf", "gff3"),
    "mirna": ("gff3", "bed", "bed12"),
}

_INT = re.compile(r"^-?\d+$")
_STRANDS = {"+", "-", "."}


class Record(NamedTuple):
    chrom: str
    start: int
    end: int
    name: str = "."
    score: str = "0"
    strand: str = "."
    line: int = 0


def open_text(path: str | os.PathLike, encoding: str | None = None, errors: str | None = None):
    """Open a plain, gzip or bgzip text file for reading, recognised by its magic bytes."""
    if _is_gzip(path):
        return gzip.open(path, "rt", encoding=encoding, errors=errors)
    return open(path, encoding=encoding, errors=errors)


def open_bytes(path: str | os.PathLike):
    """Open a plain, gzip or bgzip file for reading its bytes (decompressed)."""
    return gzip.open(path, "rb") if _is_gzip(path) else open(path, "rb")


def _is_gzip(path: str | os.PathLike) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def data_lines(
    path: str | os.PathLike, stop_at: str | None = None
) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, tab-separated fields) of the data lines of a text table.

    Blank lines, ``#`` comments and UCSC ``track``/``browser`` lines are skipped; the table
    ends at a line starting with ``stop_at`` (GFF3's ``##FASTA`` section), if given.
    """
    lineno = 0
    # bytes, decoded line by line: a decoding error then names its own line
    with open_bytes(path) as handle:
        try:
            for lineno, raw in enumerate(handle, 1):
                try:
                    line = raw.decode().rstrip("\r\n")
                except UnicodeDecodeError:
                    raise InputError("not UTF-8 text", path, lineno) from None
                if stop_at is not None and line.startswith(stop_at):
                    return
                if not line or line.startswith(("#", "track ", "browser ")):
                    continue
                yield lineno, line.split("\t")
        except (OSError, EOFError, zlib.error) as err:
            raise InputError(
                f"cannot be read after line {lineno} ({err}; is it truncated?)", path
            ) from None


def _is_int(text: str) -> bool:
    return bool(_INT.match(text))


def detect_format(path: str | os.PathLike) -> str:
    """Name of the format of an annotation table (see the module docstring)."""
    gff_version = None
    with open_text(path) as handle:
        try:
            head = handle.read(1 << 16)
        except (OSError, EOFError, UnicodeDecodeError) as err:
            raise InputError(f"cannot be read as a text table ({err})", path) from None
    for line in head.splitlines()[:5]:
        if line.startswith("##gff-version"):
            gff_version = line.split()[1] if len(line.split()) > 1 else "3"
    for lineno, fields in data_lines(path):
        return _format_of_fields(fields, gff_version, path, lineno)
    raise InputError("no data lines: the file is empty", path)


def _format_of_fields(fields: list[str], gff_version, path, lineno) -> str:
    n = len(fields)
    if n == 9 and _is_int(fields[3]) and _is_int(fields[4]) and fields[6] in _STRANDS:
        if gff_version == "3" or "=" in fields[8] and '"' not in fields[8]:
            return "gff3"
        return "gtf"
    if (
        n >= 16
        and _is_int(fields[0])
        and _is_int(fields[6])
        and _is_int(fields[7])
        and fields[9] in _STRANDS
    ):
        return "rmsk"
    for offset in (1, 0):  # genePred with and without the leading bin column
        if (
            n >= 10 + offset
            and fields[2 + offset] in ("+", "-")
            and all(_is_int(fields[i + offset]) for i in (3, 4, 5, 6, 7))
            and fields[8 + offset].rstrip(",").replace(",", "").replace("-", "").isdigit()
        ):
            return "genepred"
    if (
        n in (5, 6)
        and _is_int(fields[0])
        and not _is_int(fields[1])
        and _is_int(fields[2])
        and _is_int(fields[3])
    ):
        return "phastcons"
    if n >= 3 and _is_int(fields[1]) and _is_int(fields[2]):
        if n >= 12 and _is_int(fields[6]) and _is_int(fields[7]) and _is_int(fields[9]):
            return "bed12"
        return "bed"
    raise InputError(
        "unrecognised format: expected BED (chrom, start, end, ...), a UCSC table "
        "(phastConsElements, rmsk, genePred), GTF or GFF3; got "
        f"{n} columns: {' | '.join(fields[:6])}",
        path,
        lineno,
    )


def _coords(fields: list[str], i_start: int, i_end: int, path, lineno, one_based=False):
    try:
        start, end = int(fields[i_start]), int(fields[i_end])
    except (ValueError, IndexError):
        raise InputError(
            f"expected integer start and end in columns {i_start + 1} and {i_end + 1}, got "
            f"{fields[i_start : i_end + 1] if len(fields) > i_end else fields}",
            path,
            lineno,
        ) from None
    if one_based:
        if start < 1:
            raise InputError(
                f"GTF/GFF coordinates are 1-based: start must be >= 1, got {start}", path, lineno
            )
        start -= 1
    if start < 0:
        raise InputError(f"start {fields[i_start]} is negative", path, lineno)
    if end < start:
        raise InputError(f"end ({end}) is before start ({start})", path, lineno)
    return start, end


def _need_columns(fields, n, what, path, lineno):
    if len(fields) < n:
        raise InputError(
            f"expected at least {n} columns for {what}, got {len(fields)}", path, lineno
        )


def _strand(value: str, path, lineno) -> str:
    if value not in _STRANDS:
        raise InputError(f"expected strand +, - or ., got {value!r}", path, lineno)
    return value


def _parse_bed(rows, path, cds: list | None = None) -> Iterator[Record]:
    for lineno, f in rows:
        _need_columns(f, 3, "BED", path, lineno)
        start, end = _coords(f, 1, 2, path, lineno)
        name = f[3] if len(f) > 3 else "."
        score = f[4] if len(f) > 4 else "0"
        strand = _strand(f[5], path, lineno) if len(f) > 5 else "."
        if cds is not None and len(f) >= 12:
            _bed12_cds(f, start, end, path, lineno, cds)
        yield Record(f[0], start, end, name, score, strand, lineno)


def _bed12_cds(f, start, end, path, lineno, cds: list) -> None:
    thick_start, thick_end = _coords(f, 6, 7, path, lineno)
    try:
        count = int(f[9])
        sizes = [int(x) for x in f[10].rstrip(",").split(",")]
        starts = [int(x) for x in f[11].rstrip(",").split(",")]
    except ValueError:
        raise InputError(
            "expected an integer blockCount and comma-separated integers in blockSizes/blockStarts",
            path,
            lineno,
        ) from None
    if len(sizes) != len(starts) or len(sizes) != count:
        raise InputError("blockCount does not match blockSizes/blockStarts", path, lineno)
    exons = [(start + s, start + s + z) for s, z in zip(starts, sizes, strict=True)]
    _add_cds(f[0], exons, thick_start, thick_end, f[3], f[5], cds, lineno)


def _add_cds(chrom, exons, cds_start, cds_end, name, strand, cds: list, lineno: int) -> None:
    """Append the coding parts of ``exons`` (those inside [cds_start, cds_end))."""
    if cds_end <= cds_start:
        return  # non-coding transcript
    for exon_start, exon_end in exons:
        s, e = max(exon_start, cds_start), min(exon_end, cds_end)
        if s < e:
            cds.append(Record(chrom, s, e, name, "0", strand, lineno))


def _parse_phastcons(rows, path) -> Iterator[Record]:
    for lineno, f in rows:
        _need_columns(f, 4, "a phastConsElements table", path, lineno)
        start, end = _coords(f, 2, 3, path, lineno)
        yield Record(
            f[1], start, end, f[4] if len(f) > 4 else ".", f[5] if len(f) > 5 else "0", ".", lineno
        )


def _parse_rmsk(rows, path) -> Iterator[Record]:
    for lineno, f in rows:
        _need_columns(f, 11, "an rmsk table", path, lineno)
        start, end = _coords(f, 6, 7, path, lineno)
        yield Record(f[5], start, end, f[10], f[1], _strand(f[9], path, lineno), lineno)


def _parse_genepred(rows, path, cds: list | None) -> Iterator[Record]:
    offset = None
    for lineno, f in rows:
        if offset is None:
            offset = 1 if len(f) >= 11 and f[3] in ("+", "-") else 0
        o = offset
        _need_columns(f, 10 + o, "a genePred table", path, lineno)
        start, end = _coords(f, 3 + o, 4 + o, path, lineno)
        strand = _strand(f[2 + o], path, lineno)
        name = f[11 + o] if len(f) > 11 + o and f[11 + o] else f[o]
        if cds is not None:
            cds_start, cds_end = _coords(f, 5 + o, 6 + o, path, lineno)
            try:
                exon_starts = [int(x) for x in f[8 + o].rstrip(",").split(",")]
                exon_ends = [int(x) for x in f[9 + o].rstrip(",").split(",")]
            except ValueError:
                raise InputError(
                    "expected comma-separated integers in exonStarts/exonEnds", path, lineno
                ) from None
            if len(exon_starts) != len(exon_ends):
                raise InputError("exonStarts and exonEnds differ in length", path, lineno)
            _add_cds(
                f[1 + o],
                list(zip(exon_starts, exon_ends, strict=True)),
                cds_start,
                cds_end,
                name,
                strand,
                cds,
                lineno,
            )
        yield Record(f[1 + o], start, end, name, "0", strand, lineno)


_GTF_ATTR = re.compile(r'(\S+)\s+"([^"]*)"')


def _gff_attributes(text: str, gtf: bool) -> dict[str, str]:
    if gtf:
        return dict(_GTF_ATTR.findall(text))
    out = {}
    for part in text.strip().strip(";").split(";"):
        if "=" in part:
            key, value = part.split("=", 1)
            out[key.strip()] = value.strip()
    return out


def _parse_gff(
    rows, path, gtf: bool, features: Iterable[str], cds: list | None
) -> Iterator[Record]:
    """Transcripts (GTF/GFF3 genes) or hairpins (miRBase GFF3) as BED6 records.

    GTF transcripts are built from their exons when no ``transcript`` line is given.
    """
    features = set(features)
    transcripts: dict[tuple, list] = {}
    order: list[tuple] = []
    for lineno, f in rows:
        _need_columns(f, 9, "GTF/GFF3", path, lineno)
        start, end = _coords(f, 3, 4, path, lineno, one_based=True)
        strand = _strand(f[6], path, lineno)
        feature = f[2]
        attrs = _gff_attributes(f[8], gtf)
        if gtf:
            tid = attrs.get("transcript_id")
            if tid is None:
                continue  # gene-level lines carry no transcript
            name = attrs.get("gene_name", attrs.get("gene_id", tid))
            key = (f[0], strand, tid)  # the same id at another locus is another transcript
            if key not in transcripts:
                transcripts[key] = [f[0], start, end, name, strand, False, lineno]
                order.append(key)
            entry = transcripts[key]
            if feature == "transcript":
                entry[1], entry[2], entry[5] = start, end, True
            elif feature == "exon" and not entry[5]:
                entry[1], entry[2] = min(entry[1], start), max(entry[2], end)
            if feature == "CDS" and cds is not None:
                cds.append(Record(f[0], start, end, name, "0", strand, lineno))
        elif feature in features:
            name = attrs.get("Name", attrs.get("ID", "."))
            yield Record(f[0], start, end, name, "0", strand, lineno)
        elif feature == "CDS" and cds is not None:
            cds.append(Record(f[0], start, end, attrs.get("Name", "."), "0", strand, lineno))
    for key in order:
        chrom, start, end, name, strand, _, lineno = transcripts[key]
        yield Record(chrom, start, end, name, "0", strand, lineno)


def _gff_features(kind: str) -> tuple[str, ...]:
    return ("miRNA_primary_transcript",) if kind == "mirna" else ("mRNA", "transcript")


def what_records_are(fmt: str, kind: str) -> str:
    """What a record of ``kind`` is in a file of format ``fmt`` (for messages)."""
    if fmt == "gff3":
        return " or ".join(_gff_features(kind)) + " features"
    if fmt == "gtf":
        return "lines with a transcript_id"
    return "data rows"


def read_records(
    path: str | os.PathLike, kind: str, cds: list | None = None, label: str | None = None
) -> tuple[str, Iterator[Record]]:
    """Recognise the format of ``path`` and return it with an iterator over its records.

    Parameters
    ----------
    kind : one of ``ACCEPTED``'s keys; decides which formats are allowed and, for GFF3,
        which features are records (hairpins for ``mirna``, mRNAs/transcripts for ``genes``).
    cds : a list that receives the coding parts of the records (BED12 thick, genePred CDS,
        GTF/GFF3 CDS lines), when given.
    label : the config key the file was given as, for messages (default ``input.<kind>``).
    """
    fmt = detect_format(path)
    if fmt not in ACCEPTED[kind]:
        raise InputError(
            f"recognised as {fmt}, which is not accepted for {label or 'input.' + kind} "
            f"(accepted: {', '.join(ACCEPTED[kind])})",
            path,
        )
    rows = data_lines(path, stop_at="##FASTA" if fmt == "gff3" else None)
    if fmt in ("bed", "bed12"):
        records = _parse_bed(rows, path, cds)
    elif fmt == "phastcons":
        records = _parse_phastcons(rows, path)
    elif fmt == "rmsk":
        records = _parse_rmsk(rows, path)
    elif fmt == "genepred":
        records = _parse_genepred(rows, path, cds)
    else:
        records = _parse_gff(rows, path, fmt == "gtf", _gff_features(kind), cds)
    return fmt, records
