"""Motifs as integer-scaled log-odds PSSMs, and their score p-values (step 2)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .constants import DEFAULT_SITE_COUNT, PSSM_RANGE

# MEME's constants, kept verbatim because the printed values depend on them.
_LOG2_E = 1.44269504  # my_log2(x) = log(x) * 1.44269504
_SMALL_POS = 1e-300  # my_log2(0)
_LOG_SMALL = -0.5e10
_LOG_ZERO = -1.0e10


def prepare_motif_probs(
    probs: np.ndarray, nsites: float | None, background: np.ndarray, pseudocount: float
) -> np.ndarray:
    """Motif letter probabilities after MEME's normalisation and pseudocount.

    Rows that do not sum to 1 within 1e-5 are renormalised; then
    ``p' = (p * nsites + pseudocount * bg) / (nsites + pseudocount)`` with ``nsites``
    truncated to an integer (20 when absent or not positive).

    Parameters
    ----------
    probs : (w, 4) float
    nsites : float or None
    background : (4,) float
    pseudocount : float

    Returns
    -------
    (w, 4) float64
    """
    probs = np.array(probs, dtype=np.float64)
    for row in probs:
        total = 0.0
        for value in row:
            total += value
        if total == 0.0:
            raise ValueError("motif row of zeros")
        if abs(1.0 - total) > 0.00001:
            row /= total
    if pseudocount == 0:
        return probs
    sites = int(nsites) if nsites is not None and nsites > 0 else DEFAULT_SITE_COUNT
    total = sites + pseudocount
    return (probs * sites + pseudocount * np.asarray(background)) / total


_IUPAC = {
    frozenset("AC"): "M",
    frozenset("AG"): "R",
    frozenset("AT"): "W",
    frozenset("CG"): "S",
    frozenset("CT"): "Y",
    frozenset("GT"): "K",
    frozenset("ACG"): "V",
    frozenset("ACT"): "H",
    frozenset("AGT"): "D",
    frozenset("CGT"): "B",
    frozenset("ACGT"): "N",
}


def consensus(probs: np.ndarray) -> str:
    """MEME's one-letter consensus: the letters within half of the best, as IUPAC code."""
    out = []
    for row in np.asarray(probs, dtype=np.float64):
        order = sorted(range(4), key=lambda j: (-row[j], j))
        best = row[order[0]]
        chosen = [order[0]]
        for j in order[1:]:  # MEME stops at the first letter below half the best
            if row[j] < best * 0.5:
                break
            chosen.append(j)
        if len(chosen) == 1:
            out.append("ACGT"[chosen[0]])
        else:
            out.append(_IUPAC[frozenset("ACGT"[j] for j in chosen)])
    return "".join(out)


def _my_log2(x: float) -> float:
    """MEME's ``my_log2``: ln(x) * 1.44269504, and 1e-300 (sic) for x == 0."""
    if x > 0.0:
        lx = math.log(x)
        return (_LOG_ZERO if lx < _LOG_SMALL else lx) * _LOG2_E
    if x < 0.0:
        raise ValueError(f"log of a negative value ({x})")
    return _SMALL_POS


@dataclass(frozen=True)
class ScaledPSSM:
    """A motif's integer log-odds matrices, as CentriMo scores with them.

    Attributes
    ----------
    matrix, rc_matrix : (w, 4) int64
        Scaled scores of the motif and of its reverse complement, each cell in [0, 1000].
    scale, offset : float
        ``bits = scaled / scale + w * offset``.
    max_score : int
        Largest reachable scaled site score.
    """

    matrix: np.ndarray
    rc_matrix: np.ndarray
    scale: float
    offset: float
    max_score: int

    @property
    def width(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def max_bits(self) -> float:
        return self.max_score / self.scale + self.width * self.offset


def _scale_matrix(probs: np.ndarray, bg: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Scaled integer log2-odds matrix of probabilities (MEME's ``build_motif_pssm``)."""
    w = probs.shape[0]
    raw = np.empty((w, 4))
    for a in range(4):
        for j in range(w):
            raw[j, a] = _my_log2(float(probs[j, a]) / float(bg[a]))
    small, large = float(raw.min()), float(raw.max())
    if large == small:
        small = large - 1
    offset = small = math.floor(small)
    scale = math.floor(PSSM_RANGE / (large - small))
    scaled = np.empty((w, 4), dtype=np.int64)
    for j in range(w):
        for a in range(4):
            x = (raw[j, a] - offset) * scale
            scaled[j, a] = int(x + 0.5) if x >= 0 else int(x - 0.5)
    return scaled, float(scale), float(offset)


def build_pssm(probs: np.ndarray, bg: np.ndarray) -> ScaledPSSM:
    """Integer PSSMs of a motif (after pseudocounts) and of its reverse complement.

    Parameters
    ----------
    probs : (w, 4) float
        Motif probabilities, columns A, C, G, T.
    bg : (4,) float
        Background frequencies.
    """
    probs = np.asarray(probs, dtype=np.float64)
    matrix, scale, offset = _scale_matrix(probs, bg)
    rc_matrix, _, _ = _scale_matrix(probs[::-1, ::-1], bg)
    reachable = np.where(np.asarray(bg) > 0, matrix, -1)
    return ScaledPSSM(matrix, rc_matrix, scale, offset, int(reachable.max(axis=1).sum()))


def pvalue_table(pssm: ScaledPSSM, bg: np.ndarray) -> np.ndarray:
    """P(score >= s) of a random site for every scaled score s (MEME's ``get_pv_lookup``).

    Returns
    -------
    (w * 1000 + 1,) float64
    """
    w = pssm.width
    size = w * PSSM_RANGE + 1
    pdf = np.zeros(size)
    pdf[0] = 1.0
    for i in range(w):
        top = i * PSSM_RANGE
        new = np.zeros(size)
        for a in range(4):
            s = int(pssm.matrix[i, a])
            new[s : s + top + 1] += pdf[: top + 1] * bg[a]
        pdf = new
    return np.minimum(1.0, np.cumsum(pdf[::-1])[::-1])


def build_pssms(motifs, seq_len, pseudo_bg, pssm_bg, motif_pseudo, warnings):
    """(PSSMs, pseudocounted probabilities) per motif; None for motifs too wide (as MEME)."""
    pssms: list[ScaledPSSM | None] = []
    probs_list: list[np.ndarray | None] = []
    for i, motif in enumerate(motifs):
        if motif.width >= seq_len - 1:
            warnings.append(
                f"Skipping motif {motif.id} ({i + 1}/{len(motifs)}) of width {motif.width} "
                f"because it is too wide for the sequences (>= {seq_len - 1})."
            )
            pssms.append(None)
            probs_list.append(None)
            continue
        probs = prepare_motif_probs(motif.probs, motif.nsites, pseudo_bg, motif_pseudo)
        probs_list.append(probs)
        pssms.append(build_pssm(probs, pssm_bg))
    return pssms, probs_list
