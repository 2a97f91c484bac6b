"""Figure helpers shared by the stages: a headless backend and atomic saving."""

from __future__ import annotations

import os
from collections.abc import Iterable

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from .atomic import atomic_path  # noqa: E402

# Metadata fixed so that the same figure gives the same bytes on every run.
_METADATA = {
    ".png": {"Software": None},
    ".pdf": {"CreationDate": None, "Producer": None},
    ".svg": {"Date": None},
}


def save_figure(
    fig, paths: str | os.PathLike | Iterable[str | os.PathLike], dpi: int = 150
) -> None:
    """Save ``fig`` to each path (format from the suffix), atomically, then close it."""
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    for path in paths:
        suffix = os.path.splitext(str(path))[1].lower()
        with atomic_path(path, suffix=suffix) as tmp:
            fig.savefig(tmp, dpi=dpi, bbox_inches="tight", metadata=_METADATA.get(suffix))
    plt.close(fig)


LABEL_COLORS = {1: "#c0392b", 0: "#2c7fb8"}
LABEL_NAMES = {1: "conserved", 0: "non-conserved"}
