"""The windows CentriMo tests: central (or local) ones, in doubled coordinates (step 4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def window_range(
    n_bins: int, min_region: int | None = None, max_region: int | None = None
) -> tuple[int, int, list[str]]:
    """MEME's smallest and largest window (in bins) for a motif with ``n_bins`` positions.

    Windows must put whole bins at both ends of a central window, so their width has the
    parity of ``n_bins``; ``--minreg`` is rounded up and ``--maxreg`` down to it, and the
    largest window leaves at least one bin out.

    Returns
    -------
    min_win, max_win : int
    warnings : list of str
    """
    warnings = []
    max_win = n_bins - 1
    if max_region and max_region >= n_bins:
        warnings.append(f"--maxreg ({max_region}) too large for motif; setting to {max_win}")
    elif max_region:
        max_win = max_region
    min_win = 1
    if min_region and min_region >= max_win:
        min_win = max_win - 1
        warnings.append(f"--minreg ({min_region}) too large; setting to {min_win}")
    elif min_region:
        min_win = min_region
    odd = n_bins % 2
    if odd == (min_win + 1) % 2:
        min_win += 1
    if odd == (max_win + 1) % 2:
        max_win -= 1
    return min_win, max_win, warnings


def central_windows(seq_len: int, width: int, min_win: int, max_win: int) -> np.ndarray:
    """Spreads (doubled widths ``2 * bins - 1``) of the central windows, smallest first."""
    return np.arange(2 * min_win - 1, 2 * max_win - 1 + 1, 4, dtype=np.int64)


def local_windows(
    seq_len: int, width: int, min_win: int, max_win: int
) -> tuple[np.ndarray, np.ndarray]:
    """(centers, spreads) of all windows of ``--local``, in MEME's order."""
    centers, spreads = [], []
    first = width - 1 + (min_win - 1)
    last = 2 * seq_len - width - 1 - (min_win - 1)
    for spread in range(2 * min_win - 1, 2 * max_win - 1 + 1, 2):
        pos = np.arange(first, last + 1, 2, dtype=np.int64)
        centers.append(pos)
        spreads.append(np.full(pos.size, spread, dtype=np.int64))
        first, last = first + 1, last - 1
    if not centers:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(centers), np.concatenate(spreads)


@dataclass
class Window:
    """One tested window and its statistics (positions in doubled coordinates).

    ``center`` is ``2 * offset + L - 1`` for a window centred ``offset`` bases from the
    sequence centre; the window covers doubled positions ``center +- (spread - 1) / 2``,
    i.e. ``n_bins = (spread + 1) / 2`` possible site positions.
    """

    center: int
    spread: int
    n_bins: int
    sites: float
    log_pvalue: float
    log_adj_pvalue: float
    neg_sites: float = 0.0
    neg_log_pvalue: float = 0.0
    neg_log_adj_pvalue: float = 0.0
    fisher_log_pvalue: float = 0.0
    fisher_log_adj_pvalue: float = 0.0

    def location(self, seq_len: int) -> float:
        """Centre relative to the sequence centre, in bases (MEME's ``bin_location``)."""
        return (self.center - seq_len + 1) / 2.0

    @property
    def left(self) -> int:
        return self.center - (self.spread - 1) // 2

    @property
    def right(self) -> int:
        return self.center + (self.spread - 1) // 2
