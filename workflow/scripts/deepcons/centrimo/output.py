"""MEME's centrimo.tsv and site_counts.txt, and its warnings."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable

from .. import __version__
from ..atomic import atomic_write_text
from .constants import MEME_VERSION
from .results import CentrimoResult, MotifResult

TSV_COLUMNS = (
    "db_index motif_id motif_alt_id consensus E-value adj_p-value log_adj_p-value "
    "bin_location bin_width total_width sites_in_bin total_sites p_success p-value mult_tests"
).split()
NEG_COLUMNS = (
    "neg_sites_in_bin neg_sites neg_adj_pvalue log_neg_adj_pvalue fisher_adj_pvalue "
    "log_fisher_adj_pvalue"
).split()


def format_log_value(loge: float, prec: int = 1) -> str:
    """A natural-log value printed as MEME's ``print_log_value`` (e.g. ``3.5e-64``)."""
    if math.isinf(loge) and loge < 0:
        return f"{0.0:.{prec}f}e0"
    log10_val = loge / math.log(10)
    e = int(math.floor(log10_val))
    m = math.pow(10.0, log10_val - e)
    if m + 0.5 * math.pow(10, -prec) >= 10:
        m = 1.0
        e += 1
    if m == 0:
        e = 0
    return f"{m:.{prec}f}e{e}"


def version_line() -> str:
    return (
        f"# CentriMo (Local Motif Enrichment Analysis): Version {MEME_VERSION} "
        f"(reimplemented in deepcons {__version__})"
    )


def format_centrimo_tsv(result: CentrimoResult, command_line: str = "centrimo") -> str:
    """centrimo.tsv as MEME 5.5.6 writes it (header, rows, then ``#`` comment lines)."""
    header = TSV_COLUMNS + (NEG_COLUMNS if result.has_neg else [])
    lines = ["\t".join(header)]
    for m in result.motifs:
        lines.append(_tsv_row(m, result))
    text = "\n".join(lines) + "\n"
    text += "\n" + version_line() + "\n"
    text += (
        "# The format of this file is described at "
        "https://meme-suite.org/meme/doc/centrimo-output-format.html.\n"
    )
    return text + f"# {command_line}\n"


def _c_round(x: float) -> float:
    """C's ``round``: halves away from zero (Python's ``round`` goes to even)."""
    r = math.floor(abs(x))
    return math.copysign(r + 1.0 if abs(x) - r >= 0.5 else r, x)


def _tsv_row(m: MotifResult, result: CentrimoResult) -> str:
    w = m.best
    parts = [
        f"{m.db_index + 1:4d}\t",
        f"{m.motif.id}\t",
        f"{m.motif.alt}\t{m.consensus}\t",
        format_log_value(w.log_adj_pvalue + math.log(result.n_motifs)) + "\t",
        "   " + format_log_value(w.log_adj_pvalue) + "\t",
        f"{w.log_adj_pvalue:15.2f}\t",
        f"{w.location(result.sequence_length):12.1f}\t{float(w.n_bins):9.1f}\t"
        f"{m.total_width:11d}\t{_c_round(w.sites):12.0f}\t{m.total_sites:11d}\t"
        f"{m.p_success:9.5f}\t",
        format_log_value(w.log_pvalue) + "\t",
        f"{m.mult_tests:10d}",
    ]
    if result.has_neg:
        parts += [
            f"\t{w.neg_sites:12.0f}\t{m.neg_total_sites:11d}\t",
            format_log_value(w.neg_log_adj_pvalue),
            f"\t{w.neg_log_adj_pvalue:15.2f}\t",
            format_log_value(w.fisher_log_adj_pvalue),
            f"\t{w.fisher_log_adj_pvalue:15.2f}\t",
        ]
    return "".join(parts)


def format_site_counts(result: CentrimoResult) -> str:
    """site_counts.txt as MEME writes it: per reported motif, in motif-file order."""
    out = []
    L = result.sequence_length
    for m in sorted(result.motifs, key=lambda r: (r.db_index, r.motif_index)):
        header = f"DB {m.db_index} MOTIF\t{m.motif.id}"
        out.append(header + (f"\t{m.motif.alt}" if m.motif.alt else ""))
        w = m.width
        for i in range(w - 1, 2 * L - 1 - (w - 1), 2):
            pos = (i - L + 1) / 2.0
            if m.neg_site_counts is not None:
                out.append(f"{pos: 6.1f}\t{m.site_counts[i]:g}\t{m.neg_site_counts[i]:g}")
            else:
                out.append(f"{pos: 6.1f}\t{m.site_counts[i]:g}")
    return "".join(line + "\n" for line in out)


def write_centrimo(
    result: CentrimoResult, outdir: str | os.PathLike, command_line: str = "centrimo"
) -> None:
    """Write centrimo.tsv and site_counts.txt into ``outdir`` (atomically)."""
    os.makedirs(outdir, exist_ok=True)
    atomic_write_text(os.path.join(outdir, "site_counts.txt"), format_site_counts(result))
    atomic_write_text(
        os.path.join(outdir, "centrimo.tsv"), format_centrimo_tsv(result, command_line)
    )


def print_warnings(warnings: Iterable[str], stream=sys.stderr) -> None:
    for warning in warnings:
        print(warning, file=stream)
