"""Figures and a browsable page of nucleotide scores (paper Fig. 6, ISM heatmaps)."""

from __future__ import annotations

import html

import numpy as np

from .encoding import LETTERS
from .logos import draw_logo
from .plots import plt, save_figure

ROW_BASES = 100  # bases per logo row


def saliency_heights(codes: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """(L, 4) letter heights: each base's score on its own letter (N shows nothing)."""
    heights = np.zeros((len(codes), 4))
    known = codes < 4
    heights[np.flatnonzero(known), codes[known]] = scores[known]
    return heights


def plot_saliency_logos(
    names, sequences, scores, paths, max_sequences: int = 8, of: str = "the sequences scored"
) -> None:
    """The paper's Fig. 6: sequences drawn as logos with letter height = saliency; ``of``
    says which sequences they are, in the title."""
    shown = list(zip(names, sequences, scores, strict=True))[:max_sequences]
    panels = [
        (name, codes[i : i + ROW_BASES], s[i : i + ROW_BASES], i)
        for name, codes, s in shown
        for i in range(0, len(codes), ROW_BASES)
    ]
    fig, axes = plt.subplots(
        max(len(panels), 1), 1, figsize=(14, 1.1 * max(len(panels), 1)), squeeze=False
    )
    for ax, (name, codes, s, offset) in zip(axes[:, 0], panels, strict=False):
        draw_logo(ax, None, ROW_BASES, heights=saliency_heights(codes, s))
        ax.set_ylim(0, max(float(s.max()), 1e-6))
        ax.set_ylabel(
            f"{name}\n{offset + 1}-{offset + len(codes)}",
            fontsize=6,
            rotation=0,
            ha="right",
            va="center",
        )
    fig.suptitle(f"Saliency (gradient x input) of {of}", fontsize=10)
    fig.tight_layout()
    save_figure(fig, paths)


def plot_ism_heatmap(name: str, codes: np.ndarray, matrix: np.ndarray, paths) -> None:
    """Delta logit of every substitution: bases on the y axis, positions on the x axis."""
    limit = max(float(np.abs(matrix).max()), 1e-6)
    width = min(max(len(codes) / 12, 6), 40)
    fig, ax = plt.subplots(figsize=(width, 2.2))
    image = ax.imshow(
        matrix.T, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest"
    )
    ax.set_yticks(range(4), list("ACGT"))
    known = codes < 4
    ax.scatter(
        np.flatnonzero(known), codes[known], s=4, color="black", marker=".", label="reference"
    )
    ax.set_xlabel("position")
    ax.set_title(f"In-silico mutagenesis of {name}: change in logit", fontsize=9)
    fig.colorbar(image, ax=ax, label="alt - ref logit", fraction=0.03)
    save_figure(fig, paths)


def saliency_html(names, sequences, scores, probabilities=None) -> str:
    """A self-contained page: each base shaded and sized by its score; every name escaped."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>DeepCons saliency</title>',
        "<style>body{font-family:sans-serif;margin:2em}h2{font-size:1em;margin-bottom:.2em}"
        ".seq{font-family:monospace;line-height:2.2em;word-break:break-all}"
        ".seq span{display:inline-block;width:.75em;text-align:center;vertical-align:bottom}"
        ".A{color:#109648}.C{color:#255c99}.G{color:#f7b32b}.T{color:#d62839}.N{color:#999}"
        "input{margin-bottom:1em;width:30em}</style></head><body>",
        "<h1>Saliency maps</h1>",
        "<p>Gradient &times; input of the conservation logit, negatives clipped, both strands "
        "summed; letter size and shading grow with the score.</p>",
        '<input id="filter" placeholder="filter by name" oninput="for(const d of document.querySelectorAll(\'.entry\'))'
        "d.style.display=d.dataset.name.toLowerCase().includes(this.value.toLowerCase())?'':'none'\">",
    ]
    for i, (name, codes, s) in enumerate(zip(names, sequences, scores, strict=True)):
        top = max(float(s.max()), 1e-9)
        label = html.escape(str(name))
        prob = "" if probabilities is None else f" &middot; p(conserved) = {probabilities[i]:.3f}"
        parts.append(
            f'<div class="entry" data-name="{label}"><h2>{label} ({len(codes)} bp{prob})</h2><div class="seq">'
        )
        for code, score in zip(codes, s, strict=True):
            letter = LETTERS[min(int(code), 4)]
            level = score / top
            parts.append(
                f'<span class="{letter}" style="font-size:{0.7 + 1.3 * level:.2f}em;'
                f'background:rgba(255,80,0,{0.6 * level:.2f})" title="{score:.4g}">{letter}</span>'
            )
        parts.append("</div></div>")
    parts.append("</body></html>")
    return "".join(parts)
