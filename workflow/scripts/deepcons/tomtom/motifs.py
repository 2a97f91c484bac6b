"""Motifs as Tomtom reads them: pseudocounts, background and consensus."""

from __future__ import annotations

import numpy as np

from ..meme_io import ALPHABET, Motif
from .constants import DEFAULT_NSITES, UNIFORM_BACKGROUND


def symmetric_background(background: np.ndarray | None) -> np.ndarray:
    """Background as MEME uses it for DNA pseudocounts: normalised, strand-symmetric.

    Parameters
    ----------
    background : ndarray, shape (4,), or None
        Letter frequencies A, C, G, T (None: uniform).

    Returns
    -------
    ndarray, shape (4,)
        Frequencies summing to 1 with A = T and C = G (each pair's average), no zeros.
    """
    if background is None:
        return UNIFORM_BACKGROUND.copy()
    bg = np.asarray(background, dtype=float)
    if bg.shape != (4,) or not np.isfinite(bg).all() or np.any(bg < 0) or bg.sum() <= 0:
        raise ValueError(f"background must be 4 finite non-negative frequencies, got {bg!r}")
    bg = bg / bg.sum()
    bg = (bg + bg[::-1]) / 2  # ACGT reversed is each letter's complement
    if np.any(bg == 0):  # MEME keeps backgrounds free of zeros
        bg = (bg + 5e-7) / (bg + 5e-7).sum()
    return bg


def prepare_probs(
    motif: Motif, background: np.ndarray | None = None, motif_pseudo: float = 0.1
) -> np.ndarray:
    """The motif's letter frequencies as Tomtom scores them.

    Rows not summing to 1 within 1e-5 are normalised, then ``motif_pseudo`` pseudocounts
    are added: ``(p * nsites + pseudo * bg) / (nsites + pseudo)`` where nsites is truncated
    to an integer and is 20 when the motif has none (MEME's ``apply_pseudocount_to_motif``).

    Parameters
    ----------
    motif : Motif
        ``probs`` of shape (width, 4), columns A, C, G, T.
    background : ndarray, shape (4,), optional
        Background frequencies for the pseudocount (default uniform).
    motif_pseudo : float
        Total pseudocount per column (0 leaves the frequencies as they are).

    Returns
    -------
    ndarray, shape (width, 4)
    """
    probs = np.array(motif.probs, dtype=float)
    if probs.ndim != 2 or probs.shape[1] != 4 or probs.shape[0] < 1:
        raise ValueError(f"motif {motif.id}: expected a (width, 4) matrix, got {probs.shape}")
    if np.any(probs < 0) or not np.all(np.isfinite(probs)):
        raise ValueError(f"motif {motif.id}: probabilities must be finite and non-negative")
    # Summed in letter order, as MEME's normalize_subarray does.
    totals = ((probs[:, 0] + probs[:, 1]) + probs[:, 2]) + probs[:, 3]
    if np.any(totals <= 0):
        raise ValueError(f"motif {motif.id}: a column has no probability")
    off = np.abs(1.0 - totals) >= 1e-5
    if np.any(off):
        probs[off] = probs[off] / totals[off, None]
    if motif_pseudo < 0:
        raise ValueError("motif_pseudo cannot be negative")
    if motif_pseudo == 0:
        return probs
    bg = UNIFORM_BACKGROUND if background is None else np.asarray(background, dtype=float)
    nsites = motif.nsites if motif.nsites is not None else 0.0
    sites = int(nsites) if nsites > 0 else DEFAULT_NSITES  # MEME keeps it in an int
    return (probs * sites + motif_pseudo * bg) / (sites + motif_pseudo)


def meme_consensus(probs: np.ndarray) -> str:
    """Most probable letter per column, with Tomtom's tie-breaking.

    Tomtom keeps the running maximum in single precision ("to maintain old rounding
    behaviour") and takes a later letter only when it is strictly larger than that float,
    so which of two equal letters wins depends on how their value rounds to a float.

    Parameters
    ----------
    probs : ndarray, shape (width, 4)

    Returns
    -------
    str
        One letter of ACGT per column.
    """
    probs = np.asarray(probs, dtype=float)
    as_float = probs.astype(np.float32).astype(float)
    best = np.zeros(len(probs), dtype=int)
    running = as_float[:, 0]
    for letter in range(1, 4):
        larger = probs[:, letter] > running
        best[larger] = letter
        running = np.where(larger, as_float[:, letter], running)
    return "".join(ALPHABET[i] for i in best)
