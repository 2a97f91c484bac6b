"""Pairwise comparison (step 1): RSAT compare-matrices' cor and Ncor of every pair."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..meme_io import Motif, reverse_complement

#: Metrics a threshold or the tree can use.
METRICS = ("cor", "Ncor", "w")
DIRECT, REVERSE = 1, -1

# Rows of the similarity blocks computed at once: bounds memory to a few (rows x n) arrays.
_BLOCK_CELLS = 2_000_000
_EPS = 1e-12


@dataclass
class Similarity:
    """All-against-all comparison of ``n`` motifs (RSAT compare-matrices' metrics).

    Attributes
    ----------
    ids : list of str, length n
    widths : ndarray of int, shape (n,)
    cor : ndarray of float, shape (n, n)
        Pearson correlation over the aligned cells of the best alignment.
    Ncor : ndarray of float, shape (n, n)
        ``cor * w / (w_i + w_j - w)`` of the best alignment (the one maximising it).
    offset : ndarray of int, shape (n, n)
        ``offset[i, j]``: position of the first column of motif ``j`` (reverse-complemented
        when ``strand[i, j] == -1``) relative to the first column of motif ``i``; negative
        when ``j`` starts before ``i``. As compare-matrices reports it.
    strand : ndarray of int8, shape (n, n)
        ``1`` when ``j`` aligns on the direct strand (RSAT's ``D``), ``-1`` when its reverse
        complement does (``R``).
    w : ndarray of int, shape (n, n)
        Number of aligned columns of the best alignment.
    min_width : int
        The minimum number of aligned columns that was required.
    """

    ids: list[str]
    widths: np.ndarray
    cor: np.ndarray
    Ncor: np.ndarray
    offset: np.ndarray
    strand: np.ndarray
    w: np.ndarray
    min_width: int = 5

    def __len__(self) -> int:
        return len(self.ids)

    def metric(self, name: str) -> np.ndarray:
        """The (n, n) matrix of metric ``name`` (``cor``, ``Ncor`` or ``w``)."""
        if name not in METRICS:
            raise InputError(f"unknown metric {name!r}; expected one of {', '.join(METRICS)}")
        return np.asarray(getattr(self, name), dtype=float)


def frequencies(probs: np.ndarray) -> np.ndarray:
    """Columns divided by their sums (compare-matrices' ``crude_freq``); empty columns stay 0."""
    probs = np.asarray(probs, dtype=float)
    sums = probs.sum(axis=1, keepdims=True)
    return np.divide(probs, sums, out=np.zeros_like(probs), where=sums > 0)


def motif_arrays(motifs: Iterable) -> tuple[list[str], list[np.ndarray], list[float | None]]:
    """Ids, (width, 4) frequency matrices and nsites of motifs (Motif objects or arrays)."""
    ids, mats, nsites = [], [], []
    for i, motif in enumerate(motifs):
        if isinstance(motif, Motif):
            ident, probs, sites = motif.id, motif.probs, motif.nsites
        else:
            ident, probs, sites = f"motif_{i + 1}", motif, None
        probs = np.asarray(probs, dtype=float)
        if probs.ndim != 2 or probs.shape[1] != 4 or probs.shape[0] < 1:
            raise InputError(f"motif {ident}: expected a (width, 4) matrix, got {probs.shape}")
        if not np.all(np.isfinite(probs)) or np.any(probs < 0):
            raise InputError(f"motif {ident}: matrix entries must be finite and non-negative")
        ids.append(str(ident))
        mats.append(frequencies(probs))
        nsites.append(None if sites is None else float(sites))
    if not ids:
        raise InputError("no motifs to compare")
    seen: set[str] = set()
    duplicates = sorted({i for i in ids if i in seen or seen.add(i)})
    if duplicates:
        raise InputError(
            f"motif identifiers must be unique; repeated: {', '.join(duplicates[:10])}"
        )
    return ids, mats, nsites


def compare_pair(p1: np.ndarray, p2: np.ndarray, min_width: int = 5) -> dict:
    """Best alignment of two matrices, one offset and strand at a time (the reference definition).

    Straightforward and slow; :func:`compare_matrices` computes the same for all pairs at once.

    Parameters
    ----------
    p1, p2 : ndarray, shape (w1, 4) and (w2, 4)
        Letter frequencies (or counts), columns A, C, G, T.
    min_width : int
        Minimum number of aligned columns (lowered to the narrower width if needed).

    Returns
    -------
    dict
        ``cor``, ``Ncor``, ``offset`` (of ``p2``'s first column relative to ``p1``'s),
        ``strand`` (1 direct, -1 reverse complement) and ``w`` (aligned columns).
    """
    f1, f2 = frequencies(p1), frequencies(p2)
    w1, w2 = len(f1), len(f2)
    mw = max(1, min(min_width, w1, w2))
    best = {"cor": 0.0, "Ncor": -np.inf, "offset": 0, "strand": DIRECT, "w": 0}
    for strand, g2 in ((DIRECT, f2), (REVERSE, reverse_complement(f2))):
        for offset in range(mw - w2, w1 - mw + 1):
            start1, start2 = max(0, offset), max(0, -offset)
            w = min(w1, offset + w2) - start1
            x = f1[start1 : start1 + w].ravel()
            y = g2[start2 : start2 + w].ravel()
            n = x.size
            cov = x @ y / n - x.sum() * y.sum() / n**2
            var_x = x @ x / n - (x.sum() / n) ** 2
            var_y = y @ y / n - (y.sum() / n) ** 2
            cor = cov / np.sqrt(var_x * var_y) if min(var_x, var_y) > _EPS else 0.0
            ncor = cor * w / (w1 + w2 - w)
            if ncor > best["Ncor"] or (ncor == best["Ncor"] and w > best["w"]):
                best = {"cor": cor, "Ncor": ncor, "offset": offset, "strand": strand, "w": w}
    return best


def _standardised_windows(mats: np.ndarray, start: int, width: int) -> np.ndarray:
    """Columns ``start .. start + width - 1`` of each motif as z-scores over their 4 w cells.

    Parameters
    ----------
    mats : ndarray, shape (n, w_total, 4)

    Returns
    -------
    ndarray, shape (n, 4 width)
        Centred and divided by ``sqrt(4 width) * sd``, so that the dot product of two rows is
        their Pearson correlation; rows of a constant window (e.g. uniform columns, no
        variance) are 0, giving a correlation of 0 as compare-matrices reports.
    """
    x = mats[:, start : start + width, :].reshape(len(mats), -1)
    x = x - x.mean(axis=1, keepdims=True)
    norm = np.sqrt((x**2).sum(axis=1, keepdims=True))
    var = norm**2 / x.shape[1]
    return np.divide(x, norm, out=np.zeros_like(x), where=var > _EPS)


def _compare_block(a: np.ndarray, b: np.ndarray, min_width: int) -> dict[str, np.ndarray]:
    """Best alignments of every motif of ``a`` against every motif of ``b`` (one width each).

    Parameters
    ----------
    a : ndarray, shape (na, wa, 4)
    b : ndarray, shape (nb, wb, 4)

    Returns
    -------
    dict of ndarray, shape (na, nb)
        ``cor``, ``Ncor``, ``offset``, ``strand``, ``w``.

    Notes
    -----
    For one offset and strand the correlations of all pairs are one matrix product of the
    standardised overlapping windows, ``(na, 4w) @ (4w, nb)``.
    """
    na, wa, _ = a.shape
    nb, wb, _ = b.shape
    mw = max(1, min(min_width, wa, wb))
    shape = (na, nb)
    best = {
        "Ncor": np.full(shape, -np.inf),
        "cor": np.zeros(shape),
        "offset": np.zeros(shape, dtype=np.int32),
        "strand": np.full(shape, DIRECT, dtype=np.int8),
        "w": np.zeros(shape, dtype=np.int32),
    }
    for strand in (DIRECT, REVERSE):
        bo = b if strand == DIRECT else b[:, ::-1, ::-1]
        for offset in range(mw - wb, wa - mw + 1):
            start_a, start_b = max(0, offset), max(0, -offset)
            w = min(wa, offset + wb) - start_a
            cor = _standardised_windows(a, start_a, w) @ _standardised_windows(bo, start_b, w).T
            ncor = cor * (w / (wa + wb - w))
            better = ncor > best["Ncor"]
            tie = ncor == best["Ncor"]
            tie &= best["w"] < w
            better |= tie
            np.copyto(best["Ncor"], ncor, where=better)
            np.copyto(best["cor"], cor, where=better)
            best["offset"][better] = offset
            best["strand"][better] = strand
            best["w"][better] = w
    return best


def compare_matrices(motifs: Iterable, min_width: int = 5) -> Similarity:
    """Compare all motifs with all others on both strands, as RSAT compare-matrices does.

    Parameters
    ----------
    motifs : iterable of Motif or of ndarray of shape (width, 4)
        ``n`` motifs; identifiers must be unique (arrays are named ``motif_1``...).
    min_width : int
        Minimum number of aligned columns (RSAT's ``-lth w``); for a motif narrower than
        that, its own width.

    Returns
    -------
    Similarity
        ``n x n`` matrices of ``cor``, ``Ncor``, ``offset``, ``strand`` and ``w``.

    Notes
    -----
    Motifs are grouped by width; each pair of groups is compared by one matrix product per
    offset and strand (:func:`_compare_block`). Only the pairs ``(i, j)`` of the upper
    triangle (in width order) are computed; ``(j, i)`` is the same alignment seen from ``j``
    (same ``cor``, ``Ncor``, ``w`` and strand; offset ``-offset`` on the direct strand,
    ``offset + w_j - w_i`` on the reverse one), so the result is exactly symmetric.
    """
    if int(min_width) < 1:
        raise InputError(f"min_width must be at least 1, got {min_width}")
    ids, mats, _ = motif_arrays(motifs)
    widths = np.array([len(m) for m in mats])
    n = len(ids)
    order = np.argsort(widths, kind="stable")
    sorted_widths = widths[order]
    out = {
        "cor": np.zeros((n, n)),
        "Ncor": np.zeros((n, n)),
        "offset": np.zeros((n, n), dtype=np.int32),
        "strand": np.full((n, n), DIRECT, dtype=np.int8),
        "w": np.zeros((n, n), dtype=np.int32),
    }
    bounds = np.flatnonzero(np.diff(sorted_widths)) + 1
    starts = np.concatenate([[0], bounds])
    stops = np.concatenate([bounds, [n]])
    groups = [np.stack([mats[k] for k in order[s:e]]) for s, e in zip(starts, stops, strict=True)]
    for ga, (sa, ea) in enumerate(zip(starts, stops, strict=True)):
        for gb in range(ga, len(groups)):
            sb, eb = starts[gb], stops[gb]
            rows = max(1, _BLOCK_CELLS // max(1, eb - sb))
            for r0 in range(0, ea - sa, rows):
                r1 = min(ea - sa, r0 + rows)
                block = _compare_block(groups[ga][r0:r1], groups[gb], min_width)
                for key, value in block.items():
                    out[key][sa + r0 : sa + r1, sb:eb] = value
    _mirror_upper(out, sorted_widths)
    inverse = np.argsort(order)
    result = {key: value[np.ix_(inverse, inverse)] for key, value in out.items()}
    return Similarity(ids=ids, widths=widths, min_width=int(min_width), **result)


def _mirror_upper(out: dict[str, np.ndarray], widths: np.ndarray) -> None:
    """Fill the lower triangle from the upper one: (j, i) is the alignment (i, j) seen from j."""
    i, j = np.triu_indices(len(widths), 1)
    for key in ("cor", "Ncor", "strand", "w"):
        out[key][j, i] = out[key][i, j]
    offset, strand = out["offset"][i, j], out["strand"][i, j]
    out["offset"][j, i] = np.where(strand == DIRECT, -offset, offset + widths[j] - widths[i])
