"""Best sites of many integer PSSMs in many sequences, in compiled loops (numba, CPU).

The CPU path of :func:`deepcons.motif_scan.scan_best_sites`. The matrix-product scan there
multiplies every one-hot window by every matrix, most of it by zeros, and then passes over
the whole score tensor several times to find maxima and ties. Here a site's score is what it
is: the sum of one table entry per column, ``sum_j T[j, letter(p + j)]``, in integer
arithmetic, for all motifs of one width at once (the motifs are the innermost, contiguous
axis, so the adds vectorise), and each score is folded into the running best, its count and
its first site as soon as it is computed. Sites are visited in CentriMo's order (by start,
then + before -), so the first best site is CentriMo's. Pairs with several best sites are
rescanned, for that motif alone, to list them all.

The functions are plain Python until :func:`kernels` compiles them (numba, parallel over
sequences: :mod:`deepcons.numba_parallel`). Without numba, ``kernels()`` is None and the
matrix-product scan is used.
"""

from __future__ import annotations

import numpy as np

from .numba_parallel import compile_parallel

INVALID = 4  # codes >= INVALID: letters no site may hold (deepcons.motif_scan.INVALID)


def best_sites(codes, lengths, table, both_strands, score, n_best, start, strand):
    """Fold every site of every sequence into the best score, its count and its first site.

    Parameters
    ----------
    codes : (n, L) uint8; lengths : (n,) int64.
    table : (S, w, 4, M) int32, strand-major: ``table[0]`` the + strand matrices,
        ``table[1]`` (when ``both_strands``) those scored on the - strand at the same start.
    score, n_best, start : (n, M) int32 outputs; strand : (n, M) int8 output. Pairs without
        a site get score -1, n_best 0, start -1, strand 0.
    """
    n_strands = 2 if both_strands else 1
    width = table.shape[1]
    n_motifs = table.shape[3]
    for s in _prange(codes.shape[0]):
        best = np.full(n_motifs, -1, np.int32)
        count = np.zeros(n_motifs, np.int32)
        first = np.full(n_motifs, -1, np.int32)
        first_strand = np.zeros(n_motifs, np.int8)
        acc = np.empty(n_motifs, np.int32)
        # (tied_sites walks the windows the same way: a shared jitted helper for the walk,
        # iterator or array of starts, made this loop 30-40 % slower)
        last_invalid = -1
        for end in range(lengths[s]):
            if codes[s, end] >= INVALID:
                last_invalid = end
            p = end - width + 1
            if p < 0 or last_invalid >= p:
                continue
            for k in range(n_strands):
                for m in range(n_motifs):
                    acc[m] = table[k, 0, codes[s, p], m]
                for j in range(1, width):
                    letter = codes[s, p + j]
                    for m in range(n_motifs):
                        acc[m] += table[k, j, letter, m]
                sign = 1 if k == 0 else -1
                for m in range(n_motifs):
                    if acc[m] > best[m]:
                        best[m] = acc[m]
                        count[m] = 1
                        first[m] = p
                        first_strand[m] = sign
                    elif acc[m] == best[m]:
                        count[m] += 1
        score[s] = best
        n_best[s] = count
        start[s] = first
        strand[s] = first_strand


def tied_sites(
    codes, lengths, table, both_strands, seq, motif, target, offset, out_start, out_strand
):
    """Every site scoring ``target[i]`` of motif ``motif[i]`` in sequence ``seq[i]``, written
    from ``offset[i]`` on into ``out_start`` / ``out_strand``, in CentriMo's order."""
    n_strands = 2 if both_strands else 1
    width = table.shape[1]
    for i in _prange(seq.shape[0]):
        s, m, at = seq[i], motif[i], offset[i]
        last_invalid = -1
        for end in range(lengths[s]):
            if codes[s, end] >= INVALID:
                last_invalid = end
            p = end - width + 1
            if p < 0 or last_invalid >= p:
                continue
            for k in range(n_strands):
                total = 0
                for j in range(width):
                    total += table[k, j, codes[s, p + j], m]
                if total == target[i]:
                    out_start[at] = p
                    out_strand[at] = 1 if k == 0 else -1
                    at += 1


_prange = range  # numba.prange once compiled


def kernels():
    """The compiled (best_sites, tied_sites), or None where numba is not installed."""
    return compile_parallel(globals(), ("best_sites", "tied_sites"))
