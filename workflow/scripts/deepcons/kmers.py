"""Counts of all k-mers (k = 1..kmax) per sequence, vectorised over whole batches.

k-mers are read on the forward strand and those that contain N are not counted, so the
N padding of encoded rows adds nothing. Feature order: k = 1 first, then each k's k-mers in
lexicographic order (A < C < G < T), as :func:`kmer_names` lists them.
"""

from __future__ import annotations

import itertools

import numpy as np

from .encoding import N_CODE

CHUNK = 8192  # rows counted at a time


def kmer_names(kmax: int) -> list[str]:
    return ["".join(p) for k in range(1, kmax + 1) for p in itertools.product("ACGT", repeat=k)]


def n_features(kmax: int) -> int:
    return sum(4**k for k in range(1, kmax + 1))


def count_kmers(codes: np.ndarray, kmax: int = 5, dtype=np.uint16) -> np.ndarray:
    """k-mer counts of each row.

    Parameters
    ----------
    codes : (n, L) uint8 codes (A=0 .. T=3, N=4); only the forward part of an encoded row
        needs to be passed, but N padding anywhere is harmless.

    Returns
    -------
    counts : (n, sum_k 4**k) array of ``dtype``.
    """
    codes = np.asarray(codes)
    out = np.zeros((len(codes), n_features(kmax)), dtype=dtype)
    for start in range(0, len(codes), CHUNK):
        out[start : start + CHUNK] = _count_chunk(np.asarray(codes[start : start + CHUNK]), kmax)
    return out


def _count_chunk(codes: np.ndarray, kmax: int) -> np.ndarray:
    n, length = codes.shape
    acgt = codes < N_CODE
    base = codes.astype(np.int64) * acgt  # N -> 0 in the index; masked out below
    parts = []
    index, valid = base, acgt
    rows = np.arange(n)[:, None]
    for k in range(1, kmax + 1):
        if k > 1:
            # extend every (k-1)-mer starting at p by the base at p + k - 1
            index = index[:, :-1] * 4 + base[:, k - 1 :]
            valid = valid[:, :-1] & acgt[:, k - 1 :]
        if index.shape[1] == 0:
            parts.append(np.zeros((n, 4**k), dtype=np.int64))
            continue
        flat = (rows * 4**k + index)[valid]
        parts.append(np.bincount(flat, minlength=n * 4**k).reshape(n, 4**k))
    return np.concatenate(parts, axis=1)
