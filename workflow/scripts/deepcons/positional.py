"""Positional and strand bias of kernels around anchors (paper section 3.4, Figs. 4 and 5)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from .plots import plt, save_figure

ANCHOR_TITLES = {"tss": "TSS", "tes": "TES", "mirna": "miRNA hairpin"}


def read_centrimo_tsv(path) -> pd.DataFrame:
    """MEME's centrimo.tsv, comment lines dropped; E-values as floats."""
    with open(path) as handle:
        text = "".join(line for line in handle if line.strip() and not line.startswith("#"))
    table = (
        # index_col=False: MEME ends each row with a tab, which would make the first column the index
        pd.read_csv(io.StringIO(text), sep="\t", skipinitialspace=True, index_col=False)
        if text
        else pd.DataFrame()
    )
    if table.empty:
        return pd.DataFrame(
            columns=[
                "motif_id",
                "E-value",
                "bin_location",
                "bin_width",
                "sites_in_bin",
                "total_sites",
            ]
        )
    table.columns = [c.strip() for c in table.columns]
    table["motif_id"] = table["motif_id"].astype(str).str.strip()
    table["E-value"] = table["E-value"].astype(float)
    return table


def read_window_table(path) -> pd.DataFrame:
    """windows.tsv of an anchor: id chrom start end anchor strand name."""
    return pd.read_csv(path, sep="\t", dtype={"id": str, "chrom": str, "strand": str, "name": str})


def read_site_counts(path) -> dict[str, pd.DataFrame]:
    """site_counts.txt: motif id -> DataFrame(position, count[, neg_count])."""
    out: dict[str, pd.DataFrame] = {}
    current, rows = None, []
    with open(path) as handle:
        lines = handle.readlines()
    for line in lines:
        if line.startswith("DB "):
            if current is not None:
                out[current] = _site_frame(rows)
            current, rows = line.split()[3], []
        elif line.strip() and not line.startswith("#") and current is not None:
            rows.append([float(x) for x in line.split()])
    if current is not None:
        out[current] = _site_frame(rows)
    return out


def _site_frame(rows) -> pd.DataFrame:
    columns = ["position", "count", "neg_count"][: len(rows[0])] if rows else ["position", "count"]
    return pd.DataFrame(rows, columns=columns)


def strand_bias(central_sites: pd.DataFrame, windows: pd.DataFrame, anchor: str) -> pd.DataFrame:
    """Per kernel: how many windows have their best site in the best central window, and the
    fraction of those windows whose gene lies on the forward strand.

    A window whose tied best sites fall partly in the central window counts by its share.
    """
    columns = ["anchor", "kernel", "rank", "evalue", "n_sites", "fraction_forward"]
    if central_sites.empty:
        return pd.DataFrame(columns=columns)
    strand = dict(zip(windows["id"], windows["strand"], strict=True))
    sites = central_sites.assign(
        share=central_sites["plus"] + central_sites["minus"],
        forward=[strand[w] == "+" for w in central_sites["window"]],
    )
    grouped = sites.groupby(["kernel", "rank", "evalue"], sort=False)
    table = grouped.apply(
        lambda g: pd.Series(
            {
                "n_sites": len(g),
                "fraction_forward": float((g["share"] * g["forward"]).sum() / g["share"].sum()),
            }
        ),
        include_groups=False,
    ).reset_index()
    table.insert(0, "anchor", anchor)
    table["n_sites"] = table["n_sites"].astype(int)
    table["fraction_forward"] = table["fraction_forward"].round(4)
    return table.sort_values("rank")[columns]


def plot_site_distributions(per_anchor: dict, paths, top: int = 4, smooth: int = 21) -> None:
    """The paper's Fig. 4: best-site positions of the ``top`` most biased kernels per anchor.

    per_anchor : anchor -> (centrimo table, site counts dict).
    """
    anchors = [a for a in per_anchor if per_anchor[a] is not None]
    fig, axes = plt.subplots(
        max(len(anchors), 1), top, figsize=(3.2 * top, 2.4 * max(len(anchors), 1)), squeeze=False
    )
    kernel = np.ones(smooth) / smooth
    for row, anchor in enumerate(anchors):
        table, counts = per_anchor[anchor]
        best = table.head(top)
        if best.empty:  # say so, rather than leave a blank row
            _note(
                axes[row, 0], f"{ANCHOR_TITLES.get(anchor, anchor)}: no kernel reported by CentriMo"
            )
        for col in range(top):
            ax = axes[row, col]
            if col >= len(best):
                ax.set_axis_off()
                continue
            motif = best.iloc[col]
            sites = counts[motif["motif_id"]]
            ax.plot(sites["position"], np.convolve(sites["count"], kernel, mode="same"), lw=1)
            half = motif["bin_width"] / 2
            ax.axvspan(
                motif["bin_location"] - half,
                motif["bin_location"] + half,
                color="C1",
                alpha=0.2,
                lw=0,
            )
            ax.set_title(f"{motif['motif_id']}  E = {motif['E-value']:.2g}", fontsize=8)
            ax.tick_params(labelsize=7)
            if col == 0:
                ax.set_ylabel(f"{ANCHOR_TITLES.get(anchor, anchor)}\nbest sites", fontsize=8)
            if row == len(anchors) - 1:
                ax.set_xlabel("position relative to the anchor (bp)", fontsize=8)
    fig.suptitle(
        "Site distributions of the most centrally enriched kernels (CentriMo)", fontsize=10
    )
    fig.tight_layout()
    save_figure(fig, paths)


def plot_strand_bias(table: pd.DataFrame, expected: dict[str, float], paths) -> None:
    """The paper's Fig. 5: forward-strand fraction of the genes against kernel rank."""
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for i, anchor in enumerate(("tss", "tes")):
        sub = table[table["anchor"] == anchor]
        ax.plot(
            sub["rank"],
            sub["fraction_forward"],
            "o",
            ms=3,
            color=f"C{i}",
            label=ANCHOR_TITLES[anchor],
        )
        if anchor in expected:
            ax.axhline(expected[anchor], color=f"C{i}", ls=":", lw=1)
    ax.axhline(0.5, color="grey", lw=0.8)
    if table.empty:
        _note(ax, "no kernel is biased at E < positional.evalue:\nnone to measure", axis_off=False)
    ax.set(
        xlabel="kernel rank (CentriMo E-value)",
        ylabel="fraction of genes on + strand",
        ylim=(-0.02, 1.02),
    )
    ax.legend(frameon=False)
    ax.set_title("Strand bias of the most positionally biased kernels", fontsize=10)
    save_figure(fig, paths)


def _note(ax, text: str, axis_off: bool = True) -> None:
    """A figure panel that says why it has nothing to show."""
    # an empty plot's note sits above its reference lines (at 0.5)
    x, y, align = (0.0, 0.5, "left") if axis_off else (0.5, 0.75, "center")
    ax.text(x, y, text, transform=ax.transAxes, ha=align, va="center", color="dimgrey")
    if axis_off:
        ax.set_axis_off()
    else:
        ax.set_xticks([])
