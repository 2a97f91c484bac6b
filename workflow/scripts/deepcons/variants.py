"""Variant effects: alt - ref prediction for the genome window around each variant.

Every ALT allele of every VCF record (read with pysam; plain, gzip or bgzip) is one test. The
window is ``width`` bases of the genome centred on the variant (clipped at chromosome
ends, and then reported as ``clipped``). The REF allele must match the genome. SNVs and
indels up to ``max_indel`` bases are scored: the alt window is the ref window with the
allele replaced, extended or cut at its right end to the same length. Records that cannot
be scored (REF mismatch, chromosome missing from the genome, symbolic or long alleles) are
listed with the reason in a separate table and keep their place, unscored, in the output VCF.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .atomic import atomic_open, atomic_path
from .encoding import codes_of, sequence_of
from .errors import InputError
from .evaluation import sigmoid
from .logs import Progress

log = logging.getLogger(__name__)

MAX_INDEL = 50
# reasons a test is not scored that say the VCF and the genome disagree
NOT_IN_GENOME = "chromosome not in the genome"
REF_MISMATCH = "REF does not match the genome"
PLACED = ("scored", "clipped")  # statuses of the alleles whose windows are on the genome
INFO_FIELDS = [
    ("DC_REF", "1", "Float", "DeepCons probability of conservation of the reference window"),
    (
        "DC_ALT",
        "A",
        "Float",
        "DeepCons probability of conservation of the window with each ALT allele",
    ),
    ("DC_DELTA", "A", "Float", "DeepCons delta probability, ALT - REF"),
    ("DC_DLOGIT", "A", "Float", "DeepCons delta logit, ALT - REF"),
    (
        "DC_STATUS",
        "A",
        "String",
        "DeepCons scoring of each ALT: scored, clipped (window cut at a chromosome end) or why it was not scored",
    ),
]


@dataclass
class Test:
    record: int  # index of the VCF record
    allele: int  # index of the ALT allele
    chrom: str
    pos: int  # 1-based, as in the VCF
    id: str
    ref: str
    alt: str
    start: int = 0
    end: int = 0
    status: str = "scored"
    ref_codes: np.ndarray | None = None  # the windows, until they are scored
    alt_codes: np.ndarray | None = None
    ref_logit: float | None = None
    alt_logit: float | None = None


def _unscorable_allele(ref: str, alt: str | None, max_indel: int) -> str | None:
    if alt is None or alt in (".", "*") or alt.startswith("<") or "[" in alt or "]" in alt:
        return "symbolic or missing ALT allele"
    if not set(alt.upper()) <= set("ACGTN") or not set(ref.upper()) <= set("ACGTN"):
        return "allele with letters other than A, C, G, T, N"
    if max(len(ref), len(alt)) > max_indel + 1 and len(ref) != len(alt):
        return f"indel longer than {max_indel} bp"
    return None


def _is_plain_gzip(path) -> bool:
    """Whether ``path`` is gzip's one stream rather than bgzip's blocks (BGZF: gzip members
    with an extra field, FLG bit 2, whose subfield is 'BC')."""
    from .formats import GZIP_MAGIC

    with open(path, "rb") as handle:
        head = handle.read(14)
    return head[:2] == GZIP_MAGIC and not (len(head) == 14 and head[3] & 4 and head[12:14] == b"BC")


@contextlib.contextmanager
def _readable_by_htslib(path):
    """The path pysam should open: ``path``, or for a gzip (not bgzip) VCF a bgzipped copy in
    the temporary folder. pysam asks the file for its offset on opening, which gzip's one
    stream cannot give; recompressing costs seconds where scoring takes minutes."""
    import gzip
    import tempfile

    import pysam

    if not _is_plain_gzip(path):
        yield path
        return
    log.info("%s is compressed with gzip, not bgzip: reading a bgzipped copy of it", path)
    with tempfile.TemporaryDirectory(prefix="deepcons.vcf.") as folder:
        copy = Path(folder) / "input.vcf.gz"
        with gzip.open(path, "rb") as source, pysam.BGZFile(str(copy), "wb") as target:
            while block := _read_block(source, path):
                target.write(block)  # a full disk is the disk's error, not the VCF's
        yield copy


def _read_block(source, path) -> bytes:
    try:
        return source.read(1 << 20)
    except (OSError, EOFError, zlib.error) as err:
        raise InputError(f"cannot be decompressed ({err})", path) from None


@dataclass
class _TextFacts:
    """What a pass over the VCF's text learns before pysam reads a record: the annotated
    VCF's header must declare every chromosome, INFO key, FILTER and FORMAT key the records
    use (htslib writes no record with an undeclared one) and, for a symbolic ALT, END."""

    records: int = 0
    chroms: set[str] = field(default_factory=set)
    info_values: dict[str, bool] = field(default_factory=dict)  # key: whether it has a value
    first_use: dict[tuple[str, str], int] = field(default_factory=dict)  # (INFO, key): line
    symbolic: bool = False

    def add(self, fields: list[str], number: int) -> None:
        self.records += 1
        self.chroms.add(fields[0])
        if len(fields) > 4 and "<" in fields[4]:
            self.symbolic |= any(alt.startswith("<") for alt in fields[4].split(","))
        if len(fields) > 6:
            for name in fields[6].split(";"):
                self.first_use.setdefault(("FILTER", name), number)
        if len(fields) > 7 and fields[7] != ".":
            for entry in fields[7].split(";"):
                key, equals, _ = entry.partition("=")
                self.info_values[key] = self.info_values.get(key, False) or bool(equals)
                self.first_use.setdefault(("INFO", key), number)
        if len(fields) > 8:
            for key in fields[8].split(":"):
                self.first_use.setdefault(("FORMAT", key), number)


def check_text(path, header) -> _TextFacts:
    """Refuse a QUAL, or a value of an Integer or Float INFO field, that is not a number,
    and return the :class:`_TextFacts` of the file.

    htslib reads such values as 0 or missing without a word, and the annotated VCF would
    then carry the changed value."""
    from .formats import open_text

    info_types = {name: info.type for name, info in header.info.items()}
    facts = _TextFacts()
    number = 0
    try:
        with open_text(path, errors="replace") as lines:
            for number, text in enumerate(lines, 1):
                if text.startswith("#"):
                    continue
                fields = text.rstrip("\r\n").split("\t")
                facts.add(fields, number)
                _check_typed_fields(fields, info_types, path, number)
    except (OSError, EOFError, zlib.error) as err:
        raise InputError(f"cannot be read ({err})", path, number + 1) from None
    return facts


_INTEGER = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|infinity|nan)", re.I)
_INT32 = (-(2**31) + 8, 2**31 - 1)  # the lowest values are htslib's missing and end markers


def _is_number(value: str, kind: str) -> bool:
    if kind == "Float":
        return _FLOAT.fullmatch(value) is not None
    return _INTEGER.fullmatch(value) is not None and _INT32[0] <= int(value) <= _INT32[1]


def _check_typed_fields(fields: list[str], info_types: dict[str, str], path, number: int) -> None:
    """check_text's refusals for the fields of one record line."""
    if len(fields) < 8:
        return  # reported by the record reader, with the column count
    if fields[5] != "." and not _is_number(fields[5], "Float"):
        raise InputError(f"QUAL {fields[5]!r} is not a number (or '.')", path, number)
    if fields[7] == ".":
        return
    for entry in fields[7].split(";"):
        key, _, value = entry.partition("=")
        kind = info_types.get(key)
        if kind not in ("Integer", "Float") or not value:
            continue
        for item in value.split(","):
            if item != "." and not _is_number(item, kind):
                raise InputError(
                    f"INFO {key}={value}: {item!r} is not a valid {kind} value "
                    "(as the header declares it)",
                    path,
                    number,
                )


def _data_line(path, index: int) -> tuple[int | None, str | None]:
    """Line number and text of the ``index``-th (from 0) record line of a plain, gzip or bgzip VCF."""
    from .formats import open_text

    seen = 0
    with open_text(path, errors="replace") as lines:
        for number, text in enumerate(lines, 1):
            if text.startswith("#"):
                continue
            if seen == index:
                return number, text
            seen += 1
    return None, None


def _why_record_unreadable(text: str | None, err: Exception) -> str:
    """What is wrong with a VCF record line that pysam could not read."""
    if text is None:
        return f"cannot be read as VCF ({err}; the file may be truncated)"
    fields = text.rstrip("\n").split("\t")
    if len(fields) < 8:
        return f"expected at least 8 tab-separated VCF columns, found {len(fields)}"
    if not fields[1].isdigit():
        return f"POS {fields[1]!r} is not a whole number"
    return f"cannot be read as VCF ({err})"


TABLE, SKIPPED, ANNOTATED = "variants.tsv", "variants_not_scored.tsv", "variants.vcf"
TABLE_HEADER = (
    "chrom\tpos\tid\tref\talt\twindow_start\twindow_end"
    "\tref_prob\talt_prob\tdelta_prob\tdelta_logit\tstatus\n"
)
TESTS_PER_CHUNK = 8192


def score_vcf(
    model,
    vcf_path,
    genome_path,
    layout,
    width: int,
    outdir,
    batch_size: int = 256,
    device="cpu",
    max_indel: int = MAX_INDEL,
    tests_per_chunk: int = TESTS_PER_CHUNK,
) -> None:
    """Score every ALT of a VCF and write ``outdir``/variants.tsv, variants_not_scored.tsv and
    variants.vcf (the input with DC_* INFO fields), under temporary names until the last
    record is written: bad input leaves none of them.

    The records stream through in chunks of about ``tests_per_chunk`` alleles, so a
    genome-wide VCF needs no more memory than a small one, in any order of chromosomes."""
    import pysam

    from .genome import Genome

    if width > layout.pad_length:
        raise InputError(
            f"variant window {width} bp is wider than the model's input ({layout.pad_length} bp)",
            "config interpret.variant_window",
        )
    summary = _Summary()
    with _opened(vcf_path) as (vcf, facts):
        progress = Progress("VCF records done", facts.records)
        with (
            Genome(genome_path) as genome,
            atomic_path(Path(outdir) / ANNOTATED, suffix=".vcf") as annotated_tmp,
            pysam.VariantFile(str(annotated_tmp), "w", header=vcf.header) as annotated,
            atomic_open(Path(outdir) / TABLE) as table,
            atomic_open(Path(outdir) / SKIPPED) as skipped,
        ):
            table.write(TABLE_HEADER)
            skipped.write("chrom\tpos\tid\tref\talt\treason\n")

            records = _records_with_tests(vcf, vcf_path, genome, width, max_indel)
            for chunk in _chunks(records, tests_per_chunk):
                _score_chunk(model, chunk, layout, batch_size, device)
                for record, tests in chunk:
                    summary.add(tests)
                    _write_rows(tests, table, skipped)
                    _annotate(record, tests)
                    annotated.write(record)
                progress.update(len(chunk))
            _refuse_if_nothing_placed(vcf_path, summary, genome.sizes)
    progress.finish()
    summary.log(Path(outdir) / SKIPPED)


def check_vcf(vcf_path, genome_path, width: int, max_indel: int = MAX_INDEL) -> dict[str, int]:
    """Read a VCF as :func:`score_vcf` does, without a model, and refuse it as that would
    (record, line and reason): the workflow checks the VCF in a job of its own, so that a bad
    one is refused before Snakemake removes the earlier scores.

    Returns
    -------
    dict : records, ALT alleles, alleles to score, and alleles not scored by reason.
    """
    from .genome import Genome

    summary = _Summary()
    with _opened(vcf_path) as (vcf, facts), Genome(genome_path) as genome:
        progress = Progress("VCF records checked", facts.records)
        for _, tests in _records_with_tests(vcf, vcf_path, genome, width, max_indel):
            for test in tests:
                test.ref_codes = test.alt_codes = None  # the windows are read, not kept
            summary.add(tests)
            progress.update()
        _refuse_if_nothing_placed(vcf_path, summary, genome.sizes)
    progress.finish()
    return {
        "records": summary.records,
        "alt_alleles": summary.placed + summary.reasons.total(),
        "to_score": summary.placed,
        **{f"not_scored: {reason}": n for reason, n in summary.reasons.most_common()},
    }


@contextlib.contextmanager
def _opened(vcf_path):
    """(pysam reader, _TextFacts) of a VCF that passed the checks made before any record is
    read; its header declares what the records use."""
    with _readable_by_htslib(vcf_path) as readable, _open_vcf(readable, vcf_path) as vcf:
        if vcf.is_bcf:
            raise InputError(
                "a BCF file: give it as VCF (bcftools view FILE -Oz -o FILE.vcf.gz)", vcf_path
            )
        facts = check_text(vcf_path, vcf.header)
        _declare_annotations(vcf.header, facts, vcf_path)
        yield vcf, facts


def _open_vcf(readable, path):
    """pysam's reader of ``readable``, which holds the text of the VCF ``path``. What htslib
    says while opening it (on stderr, itself) goes to the log, less its note that a bgzipped
    VCF has no index: none is needed here."""
    import pysam

    with _stderr_captured() as said:
        try:
            vcf = pysam.VariantFile(str(readable))
        except (OSError, ValueError) as err:
            vcf, error = None, InputError(*_why_cannot_open(path, err))
    notes = [line.replace(str(readable), str(path)) for line in said]
    notes = [line for line in notes if "idx_find_and_load" not in line]
    if notes:
        log.warning("htslib on opening %s:\n%s", path, "\n".join(notes))
    if vcf is None:
        raise error
    return vcf


@contextlib.contextmanager
def _stderr_captured():
    """Capture what is written to file descriptor 2 (by C code too) in the block; yields the
    list that holds its lines once the block has ended."""
    import tempfile

    lines: list[str] = []
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            lines += [line for line in capture.read().decode(errors="replace").splitlines() if line]


def _why_cannot_open(path, err: Exception) -> tuple[str, str, int | None]:
    """What is wrong with a file pysam cannot open as VCF (InputError's arguments): its
    first line, when that is not a VCF's."""
    from .formats import open_text

    try:
        with open_text(path, errors="replace") as lines:
            first = next(lines, None)
    except (OSError, EOFError, zlib.error):
        return f"cannot be read as VCF ({err})", path, None
    if first is None or not first.startswith("##fileformat=VCF"):
        found = "an empty file" if first is None else repr(first.rstrip("\r\n")[:40])
        return f"not a VCF: its first line must be ##fileformat=VCFv4.x, found {found}", path, 1
    return f"cannot be read as VCF ({err})", path, None


# in a key, what would end or break its header line (##INFO=<ID=key,...>)
_BREAKS_A_HEADER_LINE = re.compile(r"[,<>=]")


def _declare_annotations(header, facts: _TextFacts, path) -> None:
    """Add what the annotated records need to the reader's header, before any record is
    read, so that the records and the writer share one header."""
    for chrom in sorted(facts.chroms - set(header.contigs)):  # a VCF may leave them undeclared
        header.contigs.add(chrom)
    declared = {"INFO": header.info, "FILTER": header.filters, "FORMAT": header.formats}
    # declared below whatever the input says: ours, and END (an Integer htslib reads)
    skipped = {("INFO", name) for name, *_ in INFO_FIELDS} | {("INFO", "END")}
    skipped |= {("INFO", ""), ("FILTER", "."), ("FILTER", "PASS"), ("FORMAT", ".")}
    undeclared = "Used in the input VCF without a header line"
    for (kind, key), line in sorted(facts.first_use.items()):
        if (kind, key) in skipped or key in declared[kind]:
            continue
        if _BREAKS_A_HEADER_LINE.search(key):
            raise InputError(
                f"{kind} {key!r} has no header line, and one cannot be written for it: "
                f"declare it (##{kind}=<ID=...>) or rename it",
                path,
                line,
            )
        if kind == "INFO":
            flag = not facts.info_values[key]
            header.info.add(key, 0 if flag else ".", "Flag" if flag else "String", undeclared)
        elif kind == "FILTER":
            header.filters.add(key, None, None, undeclared)
        else:
            header.formats.add(key, 1 if key == "GT" else ".", "String", undeclared)
    end_used = facts.symbolic or ("INFO", "END") in facts.first_use
    if end_used and "END" not in header.info:  # htslib writes END for <DEL>...
        header.info.add("END", 1, "Integer", "End position of the variant")
    for name, number, kind, description in INFO_FIELDS:
        if name not in header.info:  # an earlier DeepCons output keeps its definitions
            header.info.add(name, number, kind, description)


def _records_with_tests(vcf, vcf_path, genome, width: int, max_indel: int):
    """Each record of ``vcf`` with one :class:`Test` per ALT allele: its windows, or why it
    cannot be scored."""
    sizes = genome.sizes
    index = -1
    try:
        for index, record in enumerate(vcf):
            if record.pos < 1:
                line, _ = _data_line(vcf_path, index)
                raise InputError("POS must be 1 or more", vcf_path, line)
            tests = []
            for allele, alt in enumerate(record.alts or (None,)):
                test = Test(
                    index,
                    allele,
                    record.chrom,
                    record.pos,
                    record.id or ".",
                    record.ref,
                    alt or ".",
                )
                reason = _unscorable_allele(record.ref, alt, max_indel)
                if reason is None and record.chrom not in sizes:
                    reason = NOT_IN_GENOME
                if reason is None:
                    reason = _set_windows(test, genome, sizes[record.chrom], width)
                if reason is not None:
                    test.status = reason
                tests.append(test)
            yield record, tests
    except InputError:
        raise
    except (OSError, ValueError) as err:  # pysam failed on the record after the last one read
        line, text = _data_line(vcf_path, index + 1)
        raise InputError(_why_record_unreadable(text, err), vcf_path, line) from None


def _chunks(records_with_tests, tests_per_chunk: int):
    """Lists of (record, tests) with about ``tests_per_chunk`` tests each (and a last one,
    maybe empty)."""
    chunk, size = [], 0
    for record, tests in records_with_tests:
        chunk.append((record, tests))
        size += len(tests)
        if size >= tests_per_chunk:
            yield chunk
            chunk, size = [], 0
    yield chunk


def _set_windows(test: Test, genome, chrom_size: int, width: int) -> str | None:
    """Give ``test`` its ref and alt windows, or return why it cannot have them."""
    p = test.pos - 1
    r, a = len(test.ref), len(test.alt)
    if p + r > chrom_size:
        return "REF runs past the chromosome end"
    start = p - width // 2
    end = start + width
    clipped = start < 0 or end > chrom_size  # keep the variant where it would be, cut the window
    start, end = max(start, 0), min(end, chrom_size)
    # alt: the allele in place, the right end extended or cut to the same length
    tail_end = end + r - a
    if tail_end > chrom_size:  # a deletion near the end: no bases left to fill the window
        tail_end, clipped = chrom_size, True
    tail_end = max(tail_end, p + r)
    bases = genome.region_codes(test.chrom, start, max(end, tail_end))
    genome_ref = bases[p - start : p + r - start]
    if not np.array_equal(genome_ref, codes_of(test.ref.upper())):
        return f"{REF_MISMATCH} (genome has {sequence_of(genome_ref)})"
    test.start, test.end = start, end
    test.status = "clipped" if clipped else "scored"
    test.ref_codes = bases[: end - start]
    test.alt_codes = np.concatenate(
        [bases[: p - start], codes_of(test.alt.upper()), bases[p + r - start : tail_end - start]]
    )[: end - start]
    return None


def _score_chunk(model, chunk, layout, batch_size: int, device) -> None:
    """Logits of the ref and alt windows of a chunk's placed tests; the windows are let go."""
    from .scoring import score_sequences

    placed = [t for _, tests in chunk for t in tests if t.ref_codes is not None]
    ref = score_sequences(model, [t.ref_codes for t in placed], layout, batch_size, device)
    alt = score_sequences(model, [t.alt_codes for t in placed], layout, batch_size, device)
    for test, ref_logit, alt_logit in zip(placed, ref.tolist(), alt.tolist(), strict=True):
        test.ref_logit, test.alt_logit = ref_logit, alt_logit
        test.ref_codes = test.alt_codes = None


def _write_rows(tests: list[Test], table, skipped) -> None:
    for t in tests:
        if t.ref_logit is None:
            skipped.write(f"{t.chrom}\t{t.pos}\t{t.id}\t{t.ref}\t{t.alt}\t{t.status}\n")
            continue
        rp, ap = _sigmoid(t.ref_logit), _sigmoid(t.alt_logit)
        table.write(
            f"{t.chrom}\t{t.pos}\t{t.id}\t{t.ref}\t{t.alt}\t{t.start}\t{t.end}\t{rp:.6f}\t{ap:.6f}"
            f"\t{ap - rp:.6f}\t{t.alt_logit - t.ref_logit:.6f}\t{t.status}\n"
        )


def _annotate(record, tests: list[Test]) -> None:
    """Set the record's DC_* INFO fields from its tests (missing where not scored)."""
    for name, *_ in INFO_FIELDS:  # values of an earlier scoring are stale
        if name in record.info:
            del record.info[name]
    scored = [t for t in tests if t.ref_logit is not None]
    if scored:
        record.info["DC_REF"] = round(_sigmoid(scored[0].ref_logit), 6)
    if not record.alts:
        return
    if scored:

        def per_allele(value):
            return tuple(None if t.ref_logit is None else _rounded(value(t)) for t in tests)

        record.info["DC_ALT"] = per_allele(lambda t: _sigmoid(t.alt_logit))
        record.info["DC_DELTA"] = per_allele(
            lambda t: _sigmoid(t.alt_logit) - _sigmoid(t.ref_logit)
        )
        record.info["DC_DLOGIT"] = per_allele(lambda t: t.alt_logit - t.ref_logit)
    record.info["DC_STATUS"] = tuple(
        t.status.replace(" ", "_").replace(";", ",").replace("=", ":") for t in tests
    )


def _sigmoid(x: float) -> float:
    return float(sigmoid(x))


def _rounded(x: float) -> float:
    return round(float(x), 6)


@dataclass
class _Summary:
    """Counts over the whole VCF, for the log and for refusing a VCF placed nowhere."""

    records: int = 0
    placed: int = 0  # alleles with windows on the genome: scored, or to be
    reasons: Counter = field(default_factory=Counter)
    first: Test | None = None
    only_missing: bool = True  # every allele on a chromosome the genome lacks
    only_unplaced: bool = True  # ... or with a REF that differs from the genome

    def add(self, tests: list[Test]) -> None:
        self.records += 1
        for t in tests:
            self.first = self.first or t
            if t.status in PLACED:
                self.placed += 1
            else:
                self.reasons[t.status.split(" (")[0]] += 1
            self.only_missing &= t.status == NOT_IN_GENOME
            self.only_unplaced &= t.status == NOT_IN_GENOME or t.status.startswith(REF_MISMATCH)

    def log(self, skipped_path) -> None:
        total = self.placed + self.reasons.total()
        if self.reasons:
            log.warning(
                "%d of %d ALT alleles not scored (%s): listed with their reasons in %s",
                self.reasons.total(),
                total,
                "; ".join(f"{reason}: {count}" for reason, count in self.reasons.most_common()),
                skipped_path,
            )
        log.info(
            "%d VCF records, %d ALT alleles: %d scored, %d not",
            self.records,
            total,
            self.placed,
            self.reasons.total(),
        )


def _refuse_if_nothing_placed(path, summary: _Summary, sizes: dict) -> None:
    """Refuse a VCF none of whose alleles could be placed on the genome: another naming of
    the chromosomes ('22' for 'chr22') or another build, rather than variants to skip."""
    first = summary.first
    if first is None or summary.placed:
        return
    line, _ = _data_line(path, first.record)
    if summary.only_missing:
        names = ", ".join(list(sizes)[:3])
        raise InputError(
            f"none of its chromosomes is in the genome (first: {first.chrom!r}; the genome "
            f"has {names}...): a VCF of another naming or assembly",
            path,
            line,
        )
    if summary.only_unplaced:
        raise InputError(
            "no REF allele matches the genome (first: "
            f"{first.chrom}:{first.pos} {first.ref}, {first.status}): a VCF of another assembly?",
            path,
            line,
        )
