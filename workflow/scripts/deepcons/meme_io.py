"""Read and write motif files in the MEME suite's text format (minimal and full).

Only what the MEME suite's own programs read is kept: the alphabet (DNA only), the strands,
the background letter frequencies and each motif's letter-probability matrix with its
``nsites`` and ``E``. Log-odds matrices are skipped, as MEME's parsers do when a
probability matrix is present. Matrices are kept as written (rows summing to 1 within
rounding); the programs that need exact sums normalise them themselves.
"""

from __future__ import annotations

import math
import os
import re
import zlib
from dataclasses import dataclass, field

import numpy as np

from .errors import InputError

ALPHABET = "ACGT"
UNIFORM = np.full(4, 0.25)

_KEY_VALUE = re.compile(r"(\w+)\s*=\s*(\S+)")


@dataclass
class Motif:
    """A position probability matrix ``probs`` of shape (width, 4), columns A, C, G, T."""

    id: str
    probs: np.ndarray
    alt: str = ""
    nsites: float | None = None
    evalue: float = 0.0
    url: str = ""
    # the line of its MOTIF header, when read from a file (for messages)
    line: int | None = field(default=None, compare=False, repr=False)

    @property
    def width(self) -> int:
        return int(self.probs.shape[0])

    def consensus(self) -> str:
        """Most probable letter of each column (the first on ties, as MEME prints it)."""
        return "".join(ALPHABET[i] for i in np.argmax(self.probs, axis=1))


@dataclass
class MotifFile:
    motifs: list[Motif]
    background: np.ndarray = field(default_factory=lambda: UNIFORM.copy())
    strands: str = "+ -"
    version: str = "4"

    def __iter__(self):
        return iter(self.motifs)

    def __len__(self):
        return len(self.motifs)


def read_meme(path: str | os.PathLike) -> MotifFile:
    """Parse a MEME motif file; raise :class:`InputError` naming the line on bad content."""
    from .formats import open_text

    try:
        with open_text(path) as handle:  # plain or gzipped
            lines = handle.read().splitlines()
    except UnicodeDecodeError:
        raise InputError("not a text file (a MEME motif file was expected)", path) from None
    except (OSError, EOFError, zlib.error) as err:
        raise InputError(f"cannot be read ({err})", path) from None
    return parse_meme(lines, path)


def parse_meme(lines: list[str], path: object = "<motifs>") -> MotifFile:
    version = None
    background = UNIFORM.copy()
    strands = "+ -"
    motifs: list[Motif] = []
    current: dict | None = None
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        lineno = i + 1
        i += 1
        if not line or line.startswith("#"):
            continue
        if line.startswith("MEME version"):
            version = line.split()[2] if len(line.split()) > 2 else "4"
        elif line.startswith("ALPHABET"):
            letters = line.split("=", 1)[1].strip() if "=" in line else ""
            if letters and letters.upper() not in ("ACGT", "DNA"):
                raise InputError(
                    f"only the DNA alphabet ACGT is supported, got {letters!r}", path, lineno
                )
        elif line.startswith("strands:"):
            strands = " ".join(line.split(":", 1)[1].split()) or "+ -"
        elif line.startswith("Background letter frequencies"):
            background, i = _parse_background(lines, i, path)
        elif line.startswith("MOTIF"):
            _check_matrix_read(current, path)
            tokens = line.split()
            if len(tokens) < 2:
                raise InputError("MOTIF line without an identifier", path, lineno)
            current = {"id": tokens[1], "alt": " ".join(tokens[2:3]), "line": lineno}
        elif line.startswith("letter-probability matrix"):
            if current is None:
                raise InputError("letter-probability matrix before any MOTIF line", path, lineno)
            width, nsites, evalue = _parse_matrix_header(line, path, lineno)
            probs, i = _parse_matrix_rows(lines, i, current["id"], width, path, lineno)
            motifs.append(
                Motif(current["id"], probs, current["alt"], nsites, evalue, line=current["line"])
            )
            current = None
        elif line.startswith("URL") and motifs:
            motifs[-1].url = line.split(None, 1)[1] if len(line.split()) > 1 else ""
    if version is None:
        raise InputError("not a MEME motif file: no 'MEME version' line", path, 1)
    _check_matrix_read(current, path)
    if not motifs:
        raise InputError("no motifs (no MOTIF line followed by a letter-probability matrix)", path)
    return MotifFile(motifs, background, strands, version)


def _parse_background(lines: list[str], i: int, path) -> tuple[np.ndarray, int]:
    """The letter frequencies that follow the header (lines from ``i``); the next line's index."""
    values_line = i + 1
    values = []
    while i < len(lines) and len(values) < 8:
        tokens = lines[i].split()
        if not tokens or tokens[0] == "MOTIF":
            break
        values.extend(tokens)
        i += 1
    freqs = dict(zip(values[0::2], values[1::2], strict=False))
    try:
        background = np.array([float(freqs[b]) for b in ALPHABET])
    except (KeyError, ValueError):
        raise InputError(
            "background frequencies must give A, C, G and T", path, values_line
        ) from None
    if not np.isfinite(background).all() or (background < 0).any() or background.sum() <= 0:
        raise InputError(
            "background frequencies must be non-negative numbers with a positive sum, "
            f"got {background.tolist()}",
            path,
            values_line,
        )
    return background, i


def _parse_matrix_header(line: str, path, lineno: int) -> tuple[int, float | None, float]:
    """Width, nsites (None when absent) and E-value of a ``letter-probability matrix:`` line."""
    params = dict(_KEY_VALUE.findall(line.split(":", 1)[1] if ":" in line else ""))
    try:
        width = int(params["w"])
    except (KeyError, ValueError):
        raise InputError("letter-probability matrix without w= width", path, lineno) from None
    try:
        alength = int(params.get("alength", 4))
        nsites = float(params["nsites"]) if "nsites" in params else None
        evalue = float(params["E"]) if "E" in params else 0.0
    except ValueError:
        raise InputError("expected numbers for alength=, nsites= and E=", path, lineno) from None
    if alength != 4:
        raise InputError(f"expected alength= 4, got {alength}", path, lineno)
    if width < 1:
        raise InputError(f"expected a width w= of at least 1, got {width}", path, lineno)
    return width, nsites, evalue


def _parse_matrix_rows(
    lines: list[str], i: int, motif_id: str, width: int, path, header_line: int
) -> tuple[np.ndarray, int]:
    """The ``width`` rows of probabilities from line index ``i`` on (blank lines skipped),
    shape (width, 4); the index of the line after them."""
    rows = []
    while len(rows) < width:
        if i >= len(lines):
            raise InputError(f"motif {motif_id}: expected {width} matrix rows, file ended", path, i)
        row_line = lines[i].strip()
        i += 1
        if not row_line:
            continue
        try:
            row = [float(x) for x in row_line.split()]
        except ValueError:
            raise InputError(
                f"motif {motif_id}: expected 4 numbers in a matrix row, got {row_line!r}", path, i
            ) from None
        if len(row) != 4:
            raise InputError(
                f"motif {motif_id}: expected 4 numbers in a matrix row, got {len(row)}", path, i
            )
        if not all(math.isfinite(x) for x in row):
            raise InputError(
                f"motif {motif_id}: expected finite numbers in a matrix row, got {row_line!r}",
                path,
                i,
            )
        rows.append(row)
    _check_no_extra_row(lines, i, motif_id, width, path)
    probs = np.array(rows, dtype=float)
    if np.any(probs < 0):
        raise InputError(f"motif {motif_id}: negative probability", path, header_line)
    sums = probs.sum(axis=1, keepdims=True)
    if np.any(np.abs(sums - 1) > 0.1):
        raise InputError(
            f"motif {motif_id}: matrix rows must sum to 1 (got {sums.ravel().round(3)})",
            path,
            header_line,
        )
    return probs, i


def unique_ids(motifs: list[Motif], path, discarded=None) -> list[Motif]:
    """The motifs of one file without those whose ID repeats an earlier one, as MEME reads a
    file; ``discarded(message)`` is told of each dropped motif."""
    seen: set[str] = set()
    kept = []
    for motif in motifs:
        if motif.id in seen:
            if discarded is not None:
                discarded(f"Discarding motif '{motif.id}' in file '{path}' (non-unique ID).")
            continue
        seen.add(motif.id)
        kept.append(motif)
    return kept


def read_motif_database(paths, discarded=None) -> list[Motif]:
    """The motifs of several MEME files, each read as MEME reads it (:func:`unique_ids`). One
    ID in two files is an error: a match (tomtom.tsv names targets by ID) would be ambiguous."""
    motifs, source = [], {}
    for path in paths:
        for motif in unique_ids(read_meme(path).motifs, path, discarded):
            if motif.id in source:
                raise InputError(
                    f"motif ID {motif.id} is also in {source[motif.id]}: known motifs need "
                    "distinct IDs across the database files",
                    path,
                    motif.line,
                )
            source[motif.id] = path
            motifs.append(motif)
    return motifs


def _check_matrix_read(motif: dict | None, path) -> None:
    """A MOTIF must have its letter-probability matrix before the next MOTIF or the end."""
    if motif is not None:
        raise InputError(
            f"motif {motif['id']} has no 'letter-probability matrix:' line", path, motif["line"]
        )


def _check_no_extra_row(lines: list[str], i: int, motif_id: str, width: int, path) -> None:
    """Refuse a matrix with more rows than its w= (the extra ones would be dropped)."""
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i < len(lines):
        tokens = lines[i].split()
        try:
            [float(x) for x in tokens]
        except ValueError:
            return
        if len(tokens) == 4:
            raise InputError(f"motif {motif_id}: more matrix rows than its w= {width}", path, i + 1)


def format_meme(
    motifs: list[Motif], background: np.ndarray | None = None, strands: str = "+ -"
) -> str:
    """MEME minimal motif format, as the MEME suite's programs and memelite read it."""
    bg = UNIFORM if background is None else np.asarray(background, dtype=float)
    out = [
        "MEME version 4",
        "",
        "ALPHABET= ACGT",
        "",
        f"strands: {strands}",
        "",
        "Background letter frequencies",
        " ".join(f"{b} {p:.6f}" for b, p in zip(ALPHABET, bg, strict=True)),
        "",
    ]
    for motif in motifs:
        header = f"MOTIF {motif.id}" + (f" {motif.alt}" if motif.alt else "")
        nsites = motif.nsites if motif.nsites is not None else 20
        out.append(header)
        out.append(
            f"letter-probability matrix: alength= 4 w= {motif.width} "
            f"nsites= {nsites:g} E= {motif.evalue:g}"
        )
        for row in motif.probs:
            out.append(" " + " ".join(f"{p:.6f}" for p in row))
        if motif.url:
            out.append(f"URL {motif.url}")
        out.append("")
    return "\n".join(out) + "\n"


def write_meme(
    path: str | os.PathLike, motifs: list[Motif], background=None, strands="+ -"
) -> None:
    from .atomic import atomic_write_text

    atomic_write_text(path, format_meme(motifs, background, strands))


def information_content(probs: np.ndarray) -> np.ndarray:
    """Bits of each column of a (width, 4) matrix against a uniform background, shape (width,).

    Columns are normalised to sum to 1 first; an all-zero column has 0 bits.
    """
    p = np.asarray(probs, dtype=float)
    sums = p.sum(axis=1, keepdims=True)
    p = np.divide(p, sums, out=np.zeros_like(p), where=sums > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
    return np.where(sums[:, 0] > 0, 2.0 + plogp.sum(axis=1), 0.0)


def reverse_complement(probs: np.ndarray) -> np.ndarray:
    """Reverse complement of a (width, 4) ACGT matrix."""
    return probs[::-1, ::-1].copy()
