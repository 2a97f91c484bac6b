"""The genome FASTA: normalised once to an indexed plain file, its sizes and its gaps.

Input may be plain, gzip or bgzip FASTA (recognised by its magic bytes). The normalised copy
is upper case with 60 letters a line, so that pyfaidx can index it and every later step can
read any interval at random.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .atomic import atomic_open
from .errors import InputError
from .formats import open_text

log = logging.getLogger(__name__)

LINE_WIDTH = 60
# IUPAC DNA letters; everything but ACGT is treated as N downstream.
_VALID = re.compile(rb"^[ACGTNRYKMSWBDHVU\-\.\*]*$")


def read_fasta(path: str | os.PathLike) -> Iterator[tuple[str, str, int]]:
    """Yield (name, sequence, header line number) of each record, sequence upper case.

    Raises InputError on a sequence line before any header, an empty name, a duplicated
    name or letters that are not IUPAC DNA.
    """
    name, chunks, header_line = None, [], 0
    seen: set[str] = set()
    with open_text(path) as handle:
        try:
            for lineno, line in enumerate(handle, 1):
                if line.startswith(">"):
                    if name is not None:
                        yield name, _joined(chunks), header_line
                    fields = line[1:].split()
                    if not fields:
                        raise InputError("FASTA header without a name", path, lineno)
                    name, chunks, header_line = fields[0], [], lineno
                    if name in seen:
                        raise InputError(f"sequence name {name!r} appears twice", path, lineno)
                    seen.add(name)
                    continue
                line = line.strip().upper()
                if not line:
                    continue
                if name is None:
                    raise InputError(
                        "expected a FASTA header ('>name') before sequence lines", path, lineno
                    )
                if not _VALID.match(line.encode()):
                    bad = sorted(set(line) - set("ACGTNRYKMSWBDHVU-.*"))
                    raise InputError(f"unexpected letters {bad} in sequence {name!r}", path, lineno)
                chunks.append(line)
        except (OSError, EOFError, UnicodeDecodeError) as err:
            raise InputError(f"cannot be read as FASTA ({err})", path) from None
    if name is not None:
        yield name, _joined(chunks), header_line


def _joined(chunks: list[str]) -> str:
    """The record's sequence; the lines are let go at once, not kept beside it (chr1: 0.5 GB)."""
    sequence = "".join(chunks)
    chunks.clear()
    return sequence


# byte -> whether it is a gap letter (anything but ACGT)
_IS_GAP = np.ones(256, dtype=bool)
_IS_GAP[np.frombuffer(b"ACGT", dtype=np.uint8)] = False


def n_runs(sequence: str) -> np.ndarray:
    """Half-open (start, end) of every run of N (or other non-ACGT letter), shape (k, 2).

    About 3 bytes a base at the peak (the bytes, their gap flags, where the flags change),
    so that chr1 fits in 1 GB."""
    is_gap = _IS_GAP[np.frombuffer(sequence.encode(), dtype=np.uint8)]
    if not len(is_gap):
        return np.empty((0, 2), dtype=np.int64)
    changes = np.flatnonzero(is_gap[1:] != is_gap[:-1]) + 1
    starts = changes[is_gap[changes]]
    ends = changes[~is_gap[changes]]
    if is_gap[0]:
        starts = np.concatenate([[0], starts])
    if is_gap[-1]:
        ends = np.concatenate([ends, [len(is_gap)]])
    return np.stack([starts, ends], axis=1)


def prepare_genome(source, fasta_out, sizes_out, gaps_out) -> dict[str, int]:
    """Normalise ``source`` into ``fasta_out`` (+ .fai), chromosome sizes and N-run gaps.

    Returns the chromosome sizes. All outputs appear only when all are complete.
    """
    fasta_out = Path(fasta_out)
    sizes: dict[str, int] = {}
    gap_count = 0
    fai_out = fasta_out.with_name(fasta_out.name + ".fai")
    # The .fai is written alongside (samtools layout: name, length, offset, bases and bytes
    # a line), since the line layout of the normalised file is known. It is closed last:
    # pyfaidx warns about an index older than its FASTA.
    with atomic_open(fai_out) as fai, atomic_open(fasta_out) as out, atomic_open(gaps_out) as gaps:
        offset = 0
        for name, seq, _ in read_fasta(source):
            sizes[name] = len(seq)
            header = f">{name}\n"
            out.write(header)
            offset += len(header)
            line_bases = min(LINE_WIDTH, len(seq))  # samtools records a shorter lone line as is
            fai.write(f"{name}\t{len(seq)}\t{offset}\t{line_bases}\t{line_bases + 1}\n")
            for i in range(0, len(seq), LINE_WIDTH):
                out.write(seq[i : i + LINE_WIDTH])
                out.write("\n")
            offset += len(seq) + -(-len(seq) // LINE_WIDTH)
            runs = n_runs(seq)
            gap_count += len(runs)
            gaps.writelines(f"{name}\t{s}\t{e}\n" for s, e in runs)
            log.info(
                "%s: %d bp, %d N runs (%d bp)",
                name,
                len(seq),
                len(runs),
                int((runs[:, 1] - runs[:, 0]).sum()),
            )
            del seq  # not held while the next record is read
        if not sizes:
            raise InputError("no FASTA records found", source)
    with atomic_open(sizes_out) as out:
        out.writelines(f"{name}\t{size}\n" for name, size in sizes.items())
    log.info("genome: %d sequences, %d bp, %d gaps", len(sizes), sum(sizes.values()), gap_count)
    return sizes


def read_sizes(path: str | os.PathLike) -> dict[str, int]:
    sizes = {}
    with open(path) as handle:
        for line in handle:
            name, size = line.split("\t")[:2]
            sizes[name] = int(size)
    return sizes


class Genome:
    """Random access to an indexed FASTA, one chromosome held in memory as codes at a time."""

    def __init__(self, fasta: str | os.PathLike):
        import pyfaidx

        self.path = str(fasta)
        try:
            self._fasta = pyfaidx.Fasta(
                self.path, as_raw=True, sequence_always_upper=True, rebuild=False
            )
        except pyfaidx.FastaNotFoundError:
            raise InputError("no such FASTA file", self.path) from None
        except (pyfaidx.FastaIndexingError, pyfaidx.UnsupportedCompressionFormat) as err:
            # the workflow's own genome is rewritten by prepare_genome; this is a user's FASTA
            raise InputError(
                f"cannot be indexed ({err}); expected a plain or bgzip FASTA whose lines have "
                "one length within each record",
                self.path,
            ) from None
        self._chrom: str | None = None
        self._codes: np.ndarray | None = None

    @property
    def sizes(self) -> dict[str, int]:
        return {name: len(record) for name, record in self._fasta.items()}

    def chromosome_codes(self, chrom: str) -> np.ndarray:
        """uint8 codes (encoding.codes_of) of a whole chromosome, cached for the last one."""
        from .encoding import codes_of

        if chrom != self._chrom:
            self._codes = codes_of(self._fasta[chrom][:])
            self._chrom = chrom
        return self._codes

    def region_codes(self, chrom: str, start: int, end: int) -> np.ndarray:
        """uint8 codes of ``chrom[start:end]``, read from the file (any order is as fast)."""
        from .encoding import codes_of

        return codes_of(self._fasta[chrom][start:end])

    def close(self) -> None:
        self._fasta.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
