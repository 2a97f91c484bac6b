"""Vectorised scanning of many integer PSSMs over many sequences, keeping each best site.

CentriMo (and anything that asks "where is each sequence's best match?") needs, for every
(sequence, motif) pair, the best site score over both strands and *every* site that ties
with it. Scoring one motif at a time is slow at the paper's scale (1,500 motifs x 54,000
windows x 4,000 bp), so here all motifs of one width are scored at once: a 1-D
convolution of the one-hot sequences with every PSSM, computed as one matrix product of the
unfolded windows (im2col; faster than ``conv1d`` with 4 input channels, on CPU and GPU), a
batch of sequences at a time (torch, CPU or GPU). The scores are reduced to the best sites
on the fly: the score tensor of all sequences is never kept. On CPU, where numba is
installed, compiled integer loops (:mod:`deepcons.motif_scan_compiled`) do the same several
times faster; both give identical results (tests compare them with a brute-force scan).

Exactness: the matrices are integers (CentriMo's scaled log-odds, each cell in [0, 1000])
and the inputs 0/1, so every product and partial sum is an integer below 2**24, which
float32 represents exactly whatever the summation order; the matrix product runs at full
float32 precision (TF32 is switched off during the scan) and the result is rounded to the
nearest integer anyway. ``tests/test_centrimo.py`` checks the scan against a brute-force
integer computation.

torch is imported inside the functions only (the package rule: sequence and motif modules
never import torch at import time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .encoding import CODE_OF_BYTE, N_CODE

# Codes of the one-byte sequence encoding are A, C, G, T = 0..3; every code >= INVALID is a
# letter that no site may contain (N, IUPAC ambiguity codes, gaps, padding).
INVALID = N_CODE
NO_SITE = -1  # best score of a pair without any valid site

_ENCODE = CODE_OF_BYTE  # A, C, G, T (and U) -> 0..3; anything else -> INVALID (4)


def encode_sequences(
    sequences: Sequence[str] | np.ndarray, lengths: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """One byte per base: A C G T (and U) -> 0..3, anything else -> 4 (invalid).

    Parameters
    ----------
    sequences : list of str, or (n, L) integer array
        Strings of any lengths (case-insensitive), or an already encoded array whose
        values 0..3 are A, C, G, T and any other value is invalid.
    lengths : (n,) int array, optional
        Lengths of the rows of an encoded array (default: all ``L``).

    Returns
    -------
    codes : (n, L_max) uint8
        Encoded sequences, shorter ones padded with ``INVALID``.
    lengths : (n,) int64
    """
    if isinstance(sequences, np.ndarray):
        if sequences.ndim != 2:
            raise ValueError(f"expected an (n, L) code array, got shape {sequences.shape}")
        codes = np.where((sequences >= 0) & (sequences < INVALID), sequences, INVALID)
        codes = codes.astype(np.uint8)
        if lengths is None:
            lengths = np.full(codes.shape[0], codes.shape[1], dtype=np.int64)
        lengths = np.asarray(lengths, dtype=np.int64)
        for i, n in enumerate(lengths):
            codes[i, n:] = INVALID
        return codes, lengths
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    width = int(lengths.max()) if len(lengths) else 0
    codes = np.full((len(sequences), width), INVALID, dtype=np.uint8)
    for i, seq in enumerate(sequences):
        raw = np.frombuffer(seq.encode("ascii", "replace"), dtype=np.uint8)
        codes[i, : len(raw)] = _ENCODE[raw]
    return codes, lengths


@dataclass
class BestSites:
    """The best site(s) of every (sequence, motif) pair.

    Coordinates are 0-based starts on the given (+) strand, whatever the strand of the
    site. Ties are listed in the order CentriMo finds them: by start, then + before -.

    Attributes
    ----------
    score : (n_seq, n_motif) int32
        Best integer score over both strands; ``NO_SITE`` when no site is valid (the
        sequence is shorter than the motif or every window holds an invalid letter).
    n_best : (n_seq, n_motif) int32
        Number of sites (position x strand) that reach the best score; 0 without a site.
    start : (n_seq, n_motif) int32
        Start of the first best site (-1 without a site).
    strand : (n_seq, n_motif) int8
        +1 or -1, the strand of the first best site (0 without a site).
    tie_seq, tie_motif, tie_start : (n_ties,) int32
        Every best site of the pairs with ``n_best > 1``, sorted by motif, sequence,
        start, then + before -.
    tie_strand : (n_ties,) int8
    """

    score: np.ndarray
    n_best: np.ndarray
    start: np.ndarray
    strand: np.ndarray
    tie_seq: np.ndarray
    tie_motif: np.ndarray
    tie_start: np.ndarray
    tie_strand: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.score.shape


def _empty_best_sites(n_seq: int, n_motif: int) -> BestSites:
    return BestSites(
        np.full((n_seq, n_motif), NO_SITE, dtype=np.int32),
        np.zeros((n_seq, n_motif), dtype=np.int32),
        np.full((n_seq, n_motif), -1, dtype=np.int32),
        np.zeros((n_seq, n_motif), dtype=np.int8),
        np.zeros(0, dtype=np.int32),
        np.zeros(0, dtype=np.int32),
        np.zeros(0, dtype=np.int32),
        np.zeros(0, dtype=np.int8),
    )


def _check_matrices(matrices: Sequence[np.ndarray]) -> list[np.ndarray]:
    out = []
    for i, m in enumerate(matrices):
        m = np.asarray(m)
        if m.ndim != 2 or m.shape[1] != 4 or m.shape[0] < 1:
            raise ValueError(f"matrix {i}: expected shape (width, 4), got {m.shape}")
        if not np.all(np.equal(np.mod(m, 1), 0)):
            raise ValueError(f"matrix {i}: scores must be integers")
        if m.min() < 0 or m.max(axis=1).sum() >= 2**24:
            raise ValueError(f"matrix {i}: scores must be >= 0 with a best score below 2**24")
        out.append(m.astype(np.int64))
    return out


# Score of an invalid letter: a power of two (exact in float32 and TF32) larger than any
# valid site score, so that every site holding an invalid letter scores below zero.
_INVALID_PENALTY = 2.0**25


def _weight_matrix(strands: list[np.ndarray]) -> np.ndarray:
    """(S * M, 5 * w) float32 matrix of the stacked (M, w, 4) matrices of each strand.

    Column ``5 * j + a`` is letter ``a`` at motif column ``j``; rows are strand-major.
    """
    mats = np.concatenate(strands)  # (S * M, w, 4)
    n_cols, width, _ = mats.shape
    full = np.empty((n_cols, width, INVALID + 1), dtype=np.float32)
    full[:, :, :INVALID] = mats
    full[:, :, INVALID] = -_INVALID_PENALTY
    return full.reshape(n_cols, width * (INVALID + 1))


def _default_batch_size(n_columns: int, length: int, device: str) -> int:
    # Keep one batch's score tensor (float32) and its tie mask near 256 MB on CPU, 2 GB on GPU.
    budget = 2**31 if device.startswith("cuda") else 2**28
    per_sequence = max(1, n_columns * length * 5)
    return int(max(1, min(4096, budget // per_sequence)))


def scan_best_sites(
    codes: np.ndarray,
    lengths: np.ndarray,
    matrices: Sequence[np.ndarray],
    *,
    rc_matrices: Sequence[np.ndarray] | None = None,
    both_strands: bool = True,
    device: str = "cpu",
    batch_size: int | None = None,
    method: str = "auto",
) -> BestSites:
    """Best integer site score of each motif in each sequence, with all tied best sites.

    Parameters
    ----------
    codes : (n_seq, L) uint8
        Encoded sequences (see :func:`encode_sequences`).
    lengths : (n_seq,) int
        Sequence lengths; codes beyond them are ignored.
    matrices : list of (w_m, 4) integer arrays
        Non-negative integer score matrices (columns A, C, G, T), any widths.
    rc_matrices : list of (w_m, 4) integer arrays, optional
        Matrices scored on the reverse strand (as a + strand matrix placed at the same
        start); default: the reverse complement of each matrix.
    both_strands : bool
        Score the reverse strand too.
    device : str
        torch device, e.g. ``"cpu"`` or ``"cuda"``.
    batch_size : int, optional
        Sequences per batch (default: sized to the memory of the device).
    method : {'auto', 'compiled', 'matmul'}
        ``compiled``: integer loops (:mod:`deepcons.motif_scan_compiled`, CPU, needs numba);
        ``matmul``: the matrix product of one-hot windows (torch, CPU or GPU); ``auto``:
        compiled on CPU where numba is installed, else matmul. The results are identical.

    Returns
    -------
    BestSites
    """
    import torch

    lengths = np.asarray(lengths, dtype=np.int64)
    codes = np.minimum(np.asarray(codes), INVALID).astype(np.uint8)
    if np.any(lengths < codes.shape[1]):
        codes[np.arange(codes.shape[1]) >= lengths[:, None]] = INVALID
    n_seq = codes.shape[0]
    fwd = _check_matrices(matrices)
    if both_strands:
        rev = (
            _check_matrices(rc_matrices)
            if rc_matrices is not None
            else [m[::-1, ::-1].copy() for m in fwd]
        )
        if [m.shape for m in rev] != [m.shape for m in fwd]:
            raise ValueError("rc_matrices must have the shapes of matrices")
    result = _empty_best_sites(n_seq, len(fwd))
    if n_seq == 0 or not fwd:
        return result
    torch_device = torch.device(device)
    ties: list[tuple[np.ndarray, ...]] = []
    if method not in ("auto", "compiled", "matmul"):
        raise ValueError(f"method must be auto, compiled or matmul, not {method!r}")
    compiled = None
    if method != "matmul" and torch_device.type == "cpu":
        from .motif_scan_compiled import kernels

        compiled = kernels()
    if method == "compiled" and compiled is None:
        raise ValueError("method='compiled' needs numba and device='cpu'")
    if compiled is not None:
        _scan_groups_compiled(codes, lengths, fwd, rev if both_strands else None, result, ties)
        if ties:
            _set_ties(result, *[np.concatenate(p) for p in zip(*ties, strict=True)])
        return result
    precision = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("highest")  # no TF32: exact for any integer matrix
    try:
        _scan_groups(
            codes,
            lengths,
            fwd,
            rev if both_strands else None,
            torch_device,
            batch_size,
            result,
            ties,
        )
    finally:
        torch.set_float32_matmul_precision(precision)
    if ties:
        _set_ties(result, *[np.concatenate(p) for p in zip(*ties, strict=True)])
    return result


def _scan_groups(codes, lengths, fwd, rev, torch_device, batch_size, result, ties) -> None:
    """Scan every width group of motifs over every batch of sequences."""
    import torch

    from .logs import Progress

    n_seq = codes.shape[0]
    device = torch_device.type
    progress = Progress("motif scan (sequences x motifs)", n_seq * len(fwd), every=30.0)
    for width in sorted({m.shape[0] for m in fwd}):
        index = np.array([i for i, m in enumerate(fwd) if m.shape[0] == width])
        strands = [np.stack([fwd[i] for i in index])]
        if rev is not None:
            strands.append(np.stack([rev[i] for i in index]))
        weight_t = torch.from_numpy(_weight_matrix(strands)).to(torch_device)
        batch = batch_size or _default_batch_size(weight_t.shape[0], codes.shape[1], device)
        for s0 in range(0, n_seq, batch):
            s1 = min(n_seq, s0 + batch)
            length = int(lengths[s0:s1].max())
            if length < width:
                continue
            block = torch.from_numpy(codes[s0:s1, :length]).to(torch_device)
            _scan_block(block, weight_t, len(strands), width, s0, index, result, ties)
            progress.update((s1 - s0) * len(index))


def _scan_groups_compiled(codes, lengths, fwd, rev, result, ties, chunk: int = 2048) -> None:
    """:func:`_scan_groups` with the compiled integer loops (CPU)."""
    import torch

    from .logs import Progress
    from .motif_scan_compiled import kernels
    from .numba_parallel import set_threads

    best_sites, tied_sites = kernels()
    set_threads(torch.get_num_threads())
    n_seq = codes.shape[0]
    both = rev is not None
    strands = [fwd, rev] if both else [fwd]
    progress = Progress("motif scan (sequences x motifs)", n_seq * len(fwd), every=30.0)
    for width in sorted({m.shape[0] for m in fwd}):
        index = np.array([i for i, m in enumerate(fwd) if m.shape[0] == width])
        table = np.stack([np.stack([st[i] for i in index], axis=-1) for st in strands])
        table = np.ascontiguousarray(table.astype(np.int32))  # (S, w, 4, M)
        for s0 in range(0, n_seq, chunk):
            rows = slice(s0, min(n_seq, s0 + chunk))
            block, block_lengths = codes[rows], lengths[rows]
            n = block.shape[0]
            score = np.empty((n, len(index)), np.int32)
            n_best, start = np.empty_like(score), np.empty_like(score)
            strand = np.empty((n, len(index)), np.int8)
            best_sites(block, block_lengths, table, both, score, n_best, start, strand)
            seq, motif = np.nonzero(n_best > 1)
            if len(seq):
                counts = n_best[seq, motif]
                offset = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
                tie_start = np.empty(int(counts.sum()), np.int32)
                tie_strand = np.empty(len(tie_start), np.int8)
                target = score[seq, motif]
                args = (block, block_lengths, table, both, seq, motif, target, offset)
                tied_sites(*args, tie_start, tie_strand)
                ties.append(
                    (
                        np.repeat(seq + s0, counts),
                        np.repeat(index[motif], counts),
                        tie_start,
                        tie_strand,
                    )
                )
            result.score[rows, index] = score
            result.n_best[rows, index] = n_best
            result.start[rows, index] = start
            result.strand[rows, index] = strand
            progress.update(n * len(index))


def _set_ties(result: BestSites, seq, motif, start, strand) -> None:
    """Store tie lists in canonical order: by motif, sequence, start, then + before -."""
    order = np.lexsort((-np.asarray(strand), start, seq, motif))
    result.tie_seq = np.asarray(seq)[order].astype(np.int32)
    result.tie_motif = np.asarray(motif)[order].astype(np.int32)
    result.tie_start = np.asarray(start)[order].astype(np.int32)
    result.tie_strand = np.asarray(strand)[order].astype(np.int8)


def _scan_block(block, weight, n_strands, width, s0, index, result, ties) -> None:
    """Score one batch of sequences with one width group and fold it into ``result``.

    Parameters
    ----------
    block : (B, L) uint8 tensor
        Encoded sequences.
    weight : (n_strands * M, 5 * width) float32 tensor
        Column ``5 * j + a`` holds the score of letter ``a`` at motif column ``j``; letter
        4 (invalid) scores ``-_INVALID_PENALTY`` so that any site holding it is negative.
    """
    import torch
    import torch.nn.functional as F

    n_batch, length = block.shape
    n_group = weight.shape[0] // n_strands
    n_pos = length - width + 1
    onehot = F.one_hot(block.long(), INVALID + 1).to(weight.dtype)  # (B, L, 5)
    windows = onehot.unfold(1, width, 1).transpose(2, 3)  # (B, P, width, 5)
    windows = windows.reshape(n_batch * n_pos, width * (INVALID + 1))
    # positions last: reductions over a contiguous axis are several times faster
    scores = (weight @ windows.T).round_().view(n_strands, n_group, n_batch, n_pos)
    best_s, first_s = scores.max(dim=-1)  # (S, M, B): best of each strand, *a* position
    best = best_s.amax(dim=0)  # (M, B)
    has = best >= 0
    # Ties are rare: hide each strand's best position and look for another as good.
    scores.scatter_(-1, first_s[..., None], float(NO_SITE) - 1)
    second = scores.amax(dim=-1)
    scores.scatter_(-1, first_s[..., None], best_s[..., None])
    on_best = best_s == best[None]
    tied = has & ((on_best.sum(dim=0) > 1) | ((second == best[None]) & on_best).any(dim=0))
    strand_idx = on_best.to(torch.uint8).argmax(dim=0)  # + strand first if both
    start = first_s.gather(0, strand_idx[None])[0]
    best_np = best.T.to(torch.int32).cpu().numpy()  # (B, M)
    has_np = has.T.cpu().numpy()
    start_np = start.T.cpu().numpy().astype(np.int64)
    strand_np = np.where(strand_idx.T.cpu().numpy() == 0, 1, -1)
    n_best = has_np.astype(np.int32)
    multi = tied.nonzero()  # (K, 2): motif, sequence
    if len(multi):
        # every best site of the (few) pairs with several, in CentriMo's order
        m, b = multi[:, 0], multi[:, 1]
        rows = scores[:, m, b, :] == best[m, b][None, :, None]  # (S, K, P)
        hit = rows.permute(1, 2, 0).nonzero().cpu().numpy()  # (k, p, s) sorted
        pair = multi.cpu().numpy()
        counts = np.bincount(hit[:, 0], minlength=len(pair))
        lead = np.concatenate([[0], np.cumsum(counts)[:-1]])
        seq_i, mot_i = pair[:, 1], pair[:, 0]
        n_best[seq_i, mot_i] = counts
        start_np[seq_i, mot_i] = hit[lead, 1]
        strand_np[seq_i, mot_i] = np.where(hit[lead, 2] == 0, 1, -1)
        ties.append(
            (
                seq_i[hit[:, 0]] + s0,
                index[mot_i[hit[:, 0]]],
                hit[:, 1],
                np.where(hit[:, 2] == 0, 1, -1),
            )
        )
    rows_out = slice(s0, s0 + n_batch)
    result.score[rows_out, index] = np.where(has_np, best_np, NO_SITE)
    result.n_best[rows_out, index] = n_best
    result.start[rows_out, index] = np.where(has_np, start_np, -1)
    result.strand[rows_out, index] = np.where(has_np, strand_np, 0)


def brute_force_best_sites(
    codes: np.ndarray,
    lengths: np.ndarray,
    matrices: Sequence[np.ndarray],
    *,
    rc_matrices: Sequence[np.ndarray] | None = None,
    both_strands: bool = True,
) -> BestSites:
    """Reference implementation of :func:`scan_best_sites`: plain loops, integer arithmetic.

    Slow (pure numpy per motif and sequence); meant for tests and small inputs.
    """
    fwd = _check_matrices(matrices)
    rev = None
    if both_strands:
        rev = (
            _check_matrices(rc_matrices)
            if rc_matrices is not None
            else [m[::-1, ::-1].copy() for m in fwd]
        )
    n_seq = codes.shape[0]
    result = _empty_best_sites(n_seq, len(fwd))
    ties = []
    for m, matrix in enumerate(fwd):
        width = matrix.shape[0]
        for s in range(n_seq):
            seq = codes[s, : lengths[s]].astype(np.int64)
            best, sites = -1, []
            for i in range(len(seq) - width + 1):
                window = seq[i : i + width]
                if np.any(window >= INVALID):
                    continue
                candidates = [(1, matrix)] + ([(-1, rev[m])] if rev is not None else [])
                for strand, mat in candidates:
                    score = int(mat[np.arange(width), window].sum())
                    if score > best:
                        best, sites = score, [(i, strand)]
                    elif score == best:
                        sites.append((i, strand))
            if sites:
                result.score[s, m] = best
                result.n_best[s, m] = len(sites)
                result.start[s, m], result.strand[s, m] = sites[0]
                if len(sites) > 1:
                    ties.extend((s, m, i, strand) for i, strand in sites)
    if ties:
        arr = np.array(ties)
        _set_ties(result, arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3])
    return result
