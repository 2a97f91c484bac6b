"""Kernels with a significant known-motif match: the best match table and the paper's Fig. 3."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .logos import draw_logo, information_content
from .meme_io import Motif, reverse_complement
from .plots import plt, save_figure


def read_tomtom(path) -> pd.DataFrame:
    """MEME's tomtom.tsv (comment lines dropped)."""
    from .tomtom import read_tsv

    return read_tsv(path)


def best_matches(tomtom: pd.DataFrame, names: dict[str, str], evalue: float) -> pd.DataFrame:
    """One row per kernel with a match at E < ``evalue``: its best target and how many it has."""
    hits = tomtom[tomtom["E-value"] < evalue]
    columns = [
        "kernel",
        "target",
        "tf_name",
        "evalue",
        "pvalue",
        "qvalue",
        "offset",
        "overlap",
        "orientation",
        "n_matches",
    ]
    if hits.empty:
        return pd.DataFrame(columns=columns)
    counts = hits.groupby("Query_ID").size()
    best = hits.sort_values(["E-value", "Target_ID"]).drop_duplicates("Query_ID")
    table = pd.DataFrame(
        {
            "kernel": best["Query_ID"],
            "target": best["Target_ID"],
            "tf_name": [names.get(t, "") for t in best["Target_ID"]],
            "evalue": best["E-value"],
            "pvalue": best["p-value"],
            "qvalue": best["q-value"],
            "offset": best["Optimal_offset"],
            "overlap": best["Overlap"],
            "orientation": best["Orientation"],
            "n_matches": [int(counts[q]) for q in best["Query_ID"]],
        }
    )
    return table.sort_values(["evalue", "kernel"]).reset_index(drop=True)[columns]


def plot_matches(
    matches: pd.DataFrame,
    kernels: dict[str, Motif],
    known: dict[str, Motif],
    paths,
    top: int = 12,
    ncols: int = 3,
) -> None:
    """The paper's Fig. 3: each known motif's logo above the aligned kernel logo, with E-value."""
    rows = matches.head(top)
    n = max(len(rows), 1)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    height = 2.6 * nrows + 0.4
    fig = plt.figure(figsize=(4.8 * ncols, height))
    # a fixed 0.6 inch above the panels for the title, whatever the number of rows
    grid = fig.add_gridspec(
        nrows, ncols, hspace=0.7, wspace=0.6, top=1 - 0.6 / height, bottom=0.3 / height
    )
    if rows.empty:
        ax = fig.add_subplot(grid[0, 0])
        ax.text(
            0.5,
            0.5,
            "no kernel matches a known motif\nat the chosen E-value",
            ha="center",
            va="center",
        )
        ax.set_axis_off()
    for i, row in enumerate(rows.itertuples(index=False)):
        cell = grid[i // ncols, i % ncols].subgridspec(2, 1, hspace=0.15)
        target = known[row.target].probs
        if row.orientation == "-":
            target = reverse_complement(target)
        query = kernels[row.kernel].probs
        # query column j sits over target column j + offset
        left = min(0, int(row.offset))
        right = max(len(target), int(row.offset) + len(query))
        for k, (probs, start, label) in enumerate(
            (
                (
                    target,
                    0,
                    f"{row.tf_name or row.target} ({row.target}{', rc' if row.orientation == '-' else ''})",
                ),
                (query, int(row.offset), row.kernel),
            )
        ):
            ax = fig.add_subplot(cell[k])
            heights = np.zeros((right - left, 4))
            heights[start - left : start - left + len(probs)] = (
                probs * information_content(probs)[:, None]
            )
            draw_logo(ax, None, right - left, heights=heights)
            ax.set_ylim(0, 2)
            ax.set_ylabel(label, fontsize=7, rotation=0, ha="right", va="center")
            if k == 0:
                ax.set_title(f"E = {row.evalue:.2g}", fontsize=8)
    fig.suptitle("Kernels that match known motifs (TOMTOM)", fontsize=10)
    save_figure(fig, paths)
