"""MEME's tomtom.tsv: thresholds, writing and reading."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from .. import __version__
from ..atomic import atomic_write_text
from .constants import MEME_VERSION

TSV_COLUMNS = [
    "Query_ID",
    "Target_ID",
    "Optimal_offset",
    "p-value",
    "E-value",
    "q-value",
    "Overlap",
    "Query_consensus",
    "Target_consensus",
    "Orientation",
]
_COLUMN_DTYPES = {
    "Query_ID": object,
    "Target_ID": object,
    "Optimal_offset": np.int64,
    "p-value": np.float64,
    "E-value": np.float64,
    "q-value": np.float64,
    "Overlap": np.int64,
    "Query_consensus": object,
    "Target_consensus": object,
    "Orientation": object,
}
FORMAT_URL = "https://meme-suite.org/meme/doc/tomtom-output-format.html"


def result_frame(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """The result table with fixed dtypes (pandas would otherwise infer string types), each
    column the array given (no copy into consolidated blocks: millions of rows)."""
    return pd.DataFrame(
        {
            name: pd.Series(
                np.asarray(values, dtype=_COLUMN_DTYPES[name]),
                dtype=_COLUMN_DTYPES[name],
                copy=False,
            )
            for name, values in columns.items()
        },
        copy=False,
    )


def apply_threshold(table: pd.DataFrame, thresh: float = 0.5, evalue: bool = False) -> pd.DataFrame:
    """Rows MEME prints: q-value (E-value with ``evalue``) at most ``thresh``.

    MEME stops at a query's first match over the threshold; its rows are sorted by p-value
    and q- and E-values grow with p, so this keeps the same rows.
    """
    column = "E-value" if evalue else "q-value"
    return table[table[column] <= thresh].reset_index(drop=True)


def _meme_g(value: float) -> str:
    """``%g`` of a double that MEME first copied into a float."""
    return f"{float(np.float32(value)):g}"


def format_tsv(table: pd.DataFrame, command_line: str | None = None) -> str:
    """MEME's tomtom.tsv: header, one line per row, a blank line and three comment lines.

    Parameters
    ----------
    table : DataFrame
        From :func:`.compare.compare_motifs` (thresholded as wanted).
    command_line : str, optional
        The command as typed, for the last comment line (default ``tomtom``).
    """
    lines = ["\t".join(TSV_COLUMNS)]
    for row in table[TSV_COLUMNS].itertuples(index=False, name=None):
        query, target, offset, p, e, q, overlap, query_cons, target_cons, strand = row
        lines.append(
            f"{query}\t{target}\t{int(offset)}\t{_meme_g(p)}\t{_meme_g(e)}\t{_meme_g(q)}"
            f"\t{int(overlap)}\t{query_cons}\t{target_cons}\t{strand}"
        )
    lines += [
        "",
        f"# Tomtom (Motif Comparison Tool): Version {MEME_VERSION} "
        f"(reimplemented in deepcons {__version__})",
        f"# The format of this file is described at {FORMAT_URL}.",
        f"# {command_line or 'tomtom'}",
    ]
    return "\n".join(lines) + "\n"


def write_tsv(
    path: str | os.PathLike, table: pd.DataFrame, command_line: str | None = None
) -> None:
    """Write :func:`format_tsv` to ``path`` atomically."""
    atomic_write_text(path, format_tsv(table, command_line))


def read_tsv(path: str | os.PathLike) -> pd.DataFrame:
    """Read a tomtom.tsv (MEME's or ours) into the columns of :func:`.compare.compare_motifs`."""
    return pd.read_csv(path, sep="\t", comment="#", skip_blank_lines=True)
