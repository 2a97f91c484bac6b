"""Background letter frequencies (step 1)."""

from __future__ import annotations

import os

import numpy as np

from ..errors import InputError
from ..motif_scan import INVALID
from .constants import BG_PSEUDO


def sequence_background(codes: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Letter frequencies of sequences with one pseudocount per letter (MEME's default).

    Parameters
    ----------
    codes : (n, L) uint8
    lengths : (n,) int

    Returns
    -------
    (4,) float64, ``(count + 1) / (total + 4)`` for A, C, G, T.
    """
    valid = np.arange(codes.shape[1]) < np.asarray(lengths)[:, None]
    counts = np.bincount(codes[valid & (codes < INVALID)], minlength=4)[:4].astype(np.float64)
    return (counts + 1.0) / (counts.sum() + 4.0)


def symmetrize(bg: np.ndarray) -> np.ndarray:
    """Average each letter with its complement (A with T, C with G), as MEME does."""
    bg = np.array(bg, dtype=np.float64)
    at, cg = (bg[0] + bg[3]) / 2.0, (bg[1] + bg[2]) / 2.0
    return np.array([at, cg, cg, at])


def normalize_frequencies(bg: np.ndarray, pseudo: float = BG_PSEUDO) -> np.ndarray:
    """Add ``pseudo`` to every letter and renormalise (MEME's ``normalize_frequencies``)."""
    bg = np.asarray(bg, dtype=np.float64)
    total = pseudo * 4
    for value in bg:
        total += value
    out = np.array([(value + pseudo) / total for value in bg])
    s = 0.0
    for value in out:
        s += value
    return out if s == 1.0 else out / s


def read_background_file(path: str | os.PathLike) -> np.ndarray:
    """Order-0 frequencies of a MEME background file (lines ``A 0.25``; ``#`` comments)."""
    freqs: dict[str, float] = {}
    try:
        with open(path) as handle:
            for lineno, line in enumerate(handle, start=1):
                tokens = line.split("#", 1)[0].split()
                if not tokens:
                    continue
                if len(tokens) != 2:
                    raise InputError("expected 'SYMBOLS FREQUENCY' on each line", path, lineno)
                try:
                    value = float(tokens[1])
                except ValueError:
                    raise InputError(f"bad frequency {tokens[1]!r}", path, lineno) from None
                if len(tokens[0]) == 1:
                    freqs[tokens[0].upper()] = value
    except UnicodeDecodeError:
        raise InputError("not a background file (binary content)", path) from None
    missing = [b for b in "ACGT" if b not in freqs]
    if missing:
        raise InputError(f"background file gives no frequency for {', '.join(missing)}", path)
    return np.array([freqs[b] for b in "ACGT"])
