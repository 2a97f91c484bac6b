"""Sequence logos (logomaker): information content, trimming, and pages of many logos."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .meme_io import information_content
from .plots import plt, save_figure

ALPHABET = "ACGT"


def trim_bounds(probs: np.ndarray, min_bits: float = 0.3) -> tuple[int, int]:
    """[start, end) after dropping flank columns under ``min_bits``; the whole motif if none pass."""
    keep = np.flatnonzero(information_content(probs) >= min_bits)
    if keep.size == 0:
        return 0, len(probs)
    return int(keep[0]), int(keep[-1]) + 1


def draw_logo(
    ax, probs: np.ndarray, width: int | None = None, title: str = "", heights=None
) -> None:
    """An information-content logo of ``probs`` (width, 4), or letters scaled by ``heights``."""
    import logomaker
    import pandas as pd

    if heights is None:
        frame = pd.DataFrame(np.asarray(probs, dtype=float), columns=list(ALPHABET))
        frame = logomaker.transform_matrix(frame, from_type="probability", to_type="information")
        ymax = 2
    else:
        frame = pd.DataFrame(np.asarray(heights, dtype=float), columns=list(ALPHABET))
        ymax = max(float(frame.sum(axis=1).max()), 1e-9)
    logomaker.Logo(frame, ax=ax, color_scheme="classic", show_spines=False)
    ax.set_xlim(-0.5, (width or len(frame)) - 0.5)
    ax.set_ylim(0, ymax)
    ax.set_xticks([])
    ax.tick_params(labelsize=6)
    if title:
        ax.set_title(title, fontsize=8)


def logo_pages(
    motifs, paths, per_page: int = 24, ncols: int = 4, trim_bits: float = 0.3, title: str = ""
) -> None:
    """Trimmed logos of ``motifs`` (objects with .id, .probs), ``per_page`` to a page.

    A ``.pdf`` path gets every page; any other path gets the first page only.
    """
    from matplotlib.backends.backend_pdf import PdfPages

    from .atomic import atomic_path
    from .logs import Progress

    motifs = list(motifs)
    pages = [motifs[i : i + per_page] for i in range(0, len(motifs), per_page)] or [[]]
    for path in [paths] if isinstance(paths, str) else paths:
        if str(path).endswith(".pdf"):
            with (
                atomic_path(path, suffix=".pdf") as tmp,
                PdfPages(tmp, metadata={"CreationDate": None}) as pdf,
            ):
                progress = Progress(f"{Path(path).name}: logo pages", len(pages))
                for number, page in enumerate(pages, 1):
                    fig = _logo_page(page, ncols, trim_bits, f"{title} ({number}/{len(pages)})")
                    pdf.savefig(fig)
                    plt.close(fig)
                    progress.update()
        else:
            save_figure(_logo_page(pages[0], ncols, trim_bits, title), [path])


def _logo_page(motifs, ncols: int, trim_bits: float, title: str):
    nrows = max(1, -(-len(motifs) // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.0 * ncols, 1.35 * nrows), squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    width = max((m.probs.shape[0] for m in motifs), default=1)
    for motif, ax in zip(motifs, axes.ravel(), strict=False):
        start, end = trim_bounds(motif.probs, trim_bits)
        ax.set_axis_on()
        bits = information_content(motif.probs[start:end]).sum()
        draw_logo(ax, motif.probs[start:end], width, f"{motif.id} ({bits:.1f} bits)")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
