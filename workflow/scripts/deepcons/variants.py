"""Variant effects: alt - ref prediction for the genome window around each variant.

Every ALT allele of every VCF record (read with pysam; plain or bgzipped) is one test. The
window is ``width`` bases of the genome centred on the variant (clipped at chromosome
ends, and then reported as ``clipped``). The REF allele must match the genome. SNVs and
indels up to ``max_indel`` bases are scored: the alt window is the ref window with the
allele replaced, extended or cut at its right end to the same length. Records that cannot
be scored (REF mismatch, chromosome missing from the genome, symbolic or long alleles) are
listed with the reason in a separate table and keep their place, unscored, in the output VCF.
"""

from __future__ import annotations

import logging
import re
import zlib
from collections import Counter
from dataclasses import dataclass

import numpy as np

from .atomic import atomic_open, atomic_path
from .errors import InputError
from .evaluation import sigmoid
from .logs import Progress

log = logging.getLogger(__name__)

MAX_INDEL = 50
# reasons a test is not scored that say the VCF and the genome disagree
NOT_IN_GENOME = "chromosome not in the genome"
REF_MISMATCH = "REF does not match the genome"
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
    ref_codes: np.ndarray | None = None
    alt_codes: np.ndarray | None = None


def _unscorable_allele(ref: str, alt: str | None, max_indel: int) -> str | None:
    if alt is None or alt in (".", "*") or alt.startswith("<") or "[" in alt or "]" in alt:
        return "symbolic or missing ALT allele"
    if not set(alt.upper()) <= set("ACGTN") or not set(ref.upper()) <= set("ACGTN"):
        return "allele with letters other than A, C, G, T, N"
    if max(len(ref), len(alt)) > max_indel + 1 and len(ref) != len(alt):
        return f"indel longer than {max_indel} bp"
    return None


def variant_tests(
    vcf_path, genome, width: int, max_indel: int = MAX_INDEL
) -> tuple[list[Test], int]:
    """One :class:`Test` per ALT allele, with its windows or the reason it cannot be scored."""
    import pysam

    from .encoding import codes_of

    sizes = genome.sizes
    tests: list[Test] = []
    _check_not_plain_gzip(vcf_path)
    try:
        vcf = pysam.VariantFile(str(vcf_path))
    except (OSError, ValueError) as err:
        raise InputError(f"cannot be read as VCF ({err})", vcf_path) from None
    n_records = 0
    progress = Progress("VCF records read")
    with vcf:
        check_typed_fields(vcf_path, {name: info.type for name, info in vcf.header.info.items()})
        try:
            for i, rec in enumerate(vcf):
                n_records += 1
                progress.update()
                if rec.pos < 1:
                    line, _ = _data_line(vcf_path, i)
                    raise InputError("POS must be 1 or more", vcf_path, line)
                alts = rec.alts or (None,)
                for j, alt in enumerate(alts):
                    test = Test(i, j, rec.chrom, rec.pos, rec.id or ".", rec.ref, alt or ".")
                    tests.append(test)
                    reason = _unscorable_allele(rec.ref, alt, max_indel)
                    if reason is None and rec.chrom not in sizes:
                        reason = NOT_IN_GENOME
                    if reason is None:
                        reason = _set_windows(test, genome, sizes[rec.chrom], width, codes_of)
                    if reason is not None:
                        test.status = reason
        except InputError:
            raise
        except (OSError, ValueError) as err:  # pysam failed on the record after the last read
            line, text = _data_line(vcf_path, n_records)
            raise InputError(_why_not_vcf(text, err), vcf_path, line) from None
    _check_some_match_the_genome(vcf_path, tests, sizes)
    return tests, n_records


def _check_not_plain_gzip(path) -> None:
    """htslib reads a compressed VCF only in BGZF blocks (bgzip), not gzip's one stream."""
    from .formats import GZIP_MAGIC

    with open(path, "rb") as handle:
        head = handle.read(14)
    # BGZF: a gzip member with an extra field (FLG bit 2) whose subfield is 'BC'
    if head[:2] == GZIP_MAGIC and not (len(head) == 14 and head[3] & 4 and head[12:14] == b"BC"):
        raise InputError(
            "compressed with gzip, not bgzip: recompress it (zcat FILE | bgzip > FILE.vcf.gz) "
            "or give the plain VCF",
            path,
        )


def _check_some_match_the_genome(path, tests: list[Test], sizes: dict) -> None:
    """Refuse a VCF none of whose alleles could be placed on the genome: another naming of
    the chromosomes ('22' for 'chr22') or another build, rather than variants to skip."""
    if not tests or any(t.ref_codes is not None for t in tests):
        return
    first = tests[0]
    line, _ = _data_line(path, first.record)
    if all(t.status == NOT_IN_GENOME for t in tests):
        names = ", ".join(list(sizes)[:3])
        raise InputError(
            f"none of its chromosomes is in the genome (first: {first.chrom!r}; the genome "
            f"has {names}...): a VCF of another naming or assembly",
            path,
            line,
        )
    if all(t.status == NOT_IN_GENOME or t.status.startswith(REF_MISMATCH) for t in tests):
        raise InputError(
            "no REF allele matches the genome (first: "
            f"{first.chrom}:{first.pos} {first.ref}, {first.status}): a VCF of another assembly?",
            path,
            line,
        )


def check_typed_fields(path, info_types: dict[str, str]) -> None:
    """Refuse a QUAL, or a value of an Integer or Float INFO field, that is not a number.

    htslib reads such values as 0 or missing without a word, and the annotated VCF would
    then carry the changed value."""
    from .formats import open_text

    number = 0
    try:
        with open_text(path, errors="replace") as lines:
            for number, text in enumerate(lines, 1):
                _check_typed_line(text, info_types, path, number)
    except (OSError, EOFError, zlib.error) as err:
        raise InputError(f"cannot be read ({err})", path, number + 1) from None


_INTEGER = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|infinity|nan)", re.I)
_INT32 = (-(2**31) + 8, 2**31 - 1)  # the lowest values are htslib's missing and end markers


def _is_number(value: str, kind: str) -> bool:
    if kind == "Float":
        return _FLOAT.fullmatch(value) is not None
    return _INTEGER.fullmatch(value) is not None and _INT32[0] <= int(value) <= _INT32[1]


def _check_typed_line(text: str, info_types: dict[str, str], path, number: int) -> None:
    """check_typed_fields for one line of the file (header lines pass)."""
    if text.startswith("#"):
        return
    fields = text.rstrip("\r\n").split("\t")
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
    """Line number and text of the ``index``-th (from 0) record line of a plain or bgzipped VCF."""
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


def _why_not_vcf(text: str | None, err: Exception) -> str:
    """What is wrong with a VCF record line that pysam could not read."""
    if text is None:
        return f"cannot be read as VCF ({err}; the file may be truncated)"
    fields = text.rstrip("\n").split("\t")
    if len(fields) < 8:
        return f"expected at least 8 tab-separated VCF columns, found {len(fields)}"
    if not fields[1].isdigit():
        return f"POS {fields[1]!r} is not a whole number"
    return f"cannot be read as VCF ({err})"


def _set_windows(test: Test, genome, chrom_size: int, width: int, codes_of) -> str | None:
    p = test.pos - 1
    r, a = len(test.ref), len(test.alt)
    if p + r > chrom_size:
        return "REF runs past the chromosome end"
    chrom = genome.chromosome_codes(test.chrom)
    genome_ref = chrom[p : p + r]
    if not np.array_equal(genome_ref, codes_of(test.ref.upper())):
        from .encoding import sequence_of

        return f"{REF_MISMATCH} (genome has {sequence_of(genome_ref)})"
    start = p - width // 2
    end = start + width
    if start < 0 or end > chrom_size:  # keep the variant where it would be, cut the window
        start, end = max(start, 0), min(end, chrom_size)
        test.status = "clipped"
    test.start, test.end = start, end
    test.ref_codes = chrom[start:end].copy()
    # alt: the allele in place, the right end extended or cut to the same length
    tail_end = end + r - a
    if tail_end > chrom_size:  # a deletion near the end: no bases left to fill the window
        tail_end = chrom_size
        test.status = "clipped"
    test.alt_codes = np.concatenate(
        [chrom[start:p], codes_of(test.alt.upper()), chrom[p + r : max(tail_end, p + r)]]
    )[: end - start]
    return None


def write_variant_tables(
    tests: list[Test], ref_logit: dict, alt_logit: dict, table_path, skipped_path
) -> None:
    with atomic_open(table_path) as out:
        out.write(
            "chrom\tpos\tid\tref\talt\twindow_start\twindow_end\tref_prob\talt_prob\tdelta_prob\tdelta_logit\tstatus\n"
        )
        for k, t in enumerate(tests):
            if t.ref_codes is None:
                continue
            rp, ap = _sigmoid(ref_logit[k]), _sigmoid(alt_logit[k])
            out.write(
                f"{t.chrom}\t{t.pos}\t{t.id}\t{t.ref}\t{t.alt}\t{t.start}\t{t.end}\t{rp:.6f}\t{ap:.6f}\t{ap - rp:.6f}\t{alt_logit[k] - ref_logit[k]:.6f}\t{t.status}\n"
            )
    reasons: Counter = Counter()
    with atomic_open(skipped_path) as out:
        out.write("chrom\tpos\tid\tref\talt\treason\n")
        for t in tests:
            if t.ref_codes is None:
                out.write(f"{t.chrom}\t{t.pos}\t{t.id}\t{t.ref}\t{t.alt}\t{t.status}\n")
                reasons[t.status.split(" (")[0]] += 1
    if reasons:
        log.warning(
            "%d of %d ALT alleles not scored (%s): listed with their reasons in %s",
            reasons.total(),
            len(tests),
            "; ".join(f"{reason}: {count}" for reason, count in reasons.most_common()),
            skipped_path,
        )


def _sigmoid(x: float) -> float:
    return float(sigmoid(x))


def write_annotated_vcf(
    vcf_path, out_path, tests: list[Test], ref_logit: dict, alt_logit: dict
) -> None:
    """The input VCF with DC_* INFO fields added to every record (missing where not scored)."""
    import pysam

    by_record: dict[int, list[tuple[int, Test]]] = {}
    for k, t in enumerate(tests):
        by_record.setdefault(t.record, []).append((k, t))
    chroms, symbolic = set(), False
    with pysam.VariantFile(str(vcf_path)) as vcf:
        for rec in vcf:
            chroms.add(rec.chrom)
            symbolic = symbolic or any(alt.startswith("<") for alt in rec.alts or ())
    with pysam.VariantFile(str(vcf_path)) as vcf:
        # declared before any record is read, so that records and writer share one header
        header = vcf.header
        for chrom in sorted(chroms - set(header.contigs)):  # a VCF may leave contigs undeclared
            header.contigs.add(chrom)
        if symbolic and "END" not in header.info:  # htslib writes END for <DEL>...
            header.info.add("END", 1, "Integer", "End position of the variant")
        for name, number, kind, description in INFO_FIELDS:
            if name not in header.info:  # an earlier DeepCons output keeps its definitions
                header.info.add(name, number, kind, description)
        with (
            atomic_path(out_path, suffix=".vcf") as tmp,
            pysam.VariantFile(str(tmp), "w", header=header) as out,
        ):
            for i, rec in enumerate(vcf):
                for name, *_ in INFO_FIELDS:  # values of an earlier scoring are stale
                    if name in rec.info:
                        del rec.info[name]
                entries = by_record.get(i, [])
                scored_entries = [k for k, _ in entries if k in alt_logit]
                if scored_entries:
                    rec.info["DC_REF"] = round(_sigmoid(ref_logit[scored_entries[0]]), 6)
                if rec.alts:
                    if scored_entries:
                        rec.info["DC_ALT"] = tuple(
                            _rounded(_sigmoid(alt_logit[k])) if k in alt_logit else None
                            for k, _ in entries
                        )
                        rec.info["DC_DELTA"] = tuple(
                            _rounded(_sigmoid(alt_logit[k]) - _sigmoid(ref_logit[k]))
                            if k in alt_logit
                            else None
                            for k, _ in entries
                        )
                        rec.info["DC_DLOGIT"] = tuple(
                            _rounded(alt_logit[k] - ref_logit[k]) if k in alt_logit else None
                            for k, _ in entries
                        )
                    rec.info["DC_STATUS"] = tuple(
                        t.status.replace(" ", "_").replace(";", ",").replace("=", ":")
                        for _, t in entries
                    )
                out.write(rec)


def _rounded(x: float) -> float:
    return round(float(x), 6)


def score_variants(
    model,
    vcf_path,
    genome_path,
    layout,
    width: int,
    batch_size: int = 256,
    device="cpu",
    max_indel: int = MAX_INDEL,
):
    """Tests and their ref/alt logits (dicts keyed by test index) for every ALT of a VCF."""
    from .genome import Genome
    from .scoring import score_sequences

    if width > layout.pad_length:
        raise InputError(
            f"variant window {width} bp is wider than the model's input ({layout.pad_length} bp)",
            "config interpret.variant_window",
        )
    with Genome(genome_path) as genome:
        tests, n_records = variant_tests(vcf_path, genome, width, max_indel)
    todo = [k for k, t in enumerate(tests) if t.ref_codes is not None]
    progress = Progress("variant windows scored (ref and alt)", 2 * len(todo))
    ref_codes, alt_codes = [tests[k].ref_codes for k in todo], [tests[k].alt_codes for k in todo]
    ref = score_sequences(model, ref_codes, layout, batch_size, device, progress)
    alt = score_sequences(model, alt_codes, layout, batch_size, device, progress)
    progress.finish()
    log.info(
        "%d VCF records, %d ALT alleles: %d scored, %d not",
        n_records,
        len(tests),
        len(todo),
        len(tests) - len(todo),
    )
    return (
        tests,
        dict(zip(todo, ref.tolist(), strict=True)),
        dict(zip(todo, alt.tolist(), strict=True)),
    )
