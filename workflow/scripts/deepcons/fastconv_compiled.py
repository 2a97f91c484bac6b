"""The forward pass of the fused conv + global max layer on CPU, from the base codes (numba).

On one-hot input a convolution is a table lookup: the value of kernel k at position p is
``sum_j W[k, code(p + j), j]`` (an N adds nothing), w adds where ``F.conv1d`` does 4w
multiply-adds, most of them by zero. Here those sums are computed for all kernels at once
(the kernels are the innermost, contiguous axis, so the adds vectorise) and folded at once
into each kernel's running maximum and its first position, one sequence per thread. As in
:mod:`deepcons.fastconv`, windows that are all N are not computed: their value is exactly 0,
and the first of them enters the maximum as a candidate (first position on ties).

The values equal ``F.conv1d``'s up to the order of the float additions. The functions are
plain Python until :func:`kernel` compiles them (numba: :mod:`deepcons.numba_parallel`);
without numba ``kernel()`` is None and the PyTorch path runs.
"""

from __future__ import annotations

import numpy as np

from .numba_parallel import compile_parallel, set_threads

N_CODE = 4  # codes >= 4 are N (deepcons.encoding)


def conv_max_from_codes(codes, table, values, argmax):
    """values[b, k] = max over p of sum_j table[j, codes[b, p + j], k]; argmax its first p.

    codes : (B, L) uint8; table : (w, 4, K) float, ``table[j, c, k] = W[k, c, j]``;
    values : (B, K) output of the table's dtype; argmax : (B, K) int64 output.
    """
    width = table.shape[0]
    n_kernels = table.shape[2]
    length = codes.shape[1]
    for b in _prange(codes.shape[0]):
        best = np.full(n_kernels, -np.inf, table.dtype)
        best_at = np.zeros(n_kernels, np.int64)
        acc = np.empty(n_kernels, table.dtype)
        first_empty = -1
        last_base = -1
        for end in range(length):
            if codes[b, end] < N_CODE:
                last_base = end
            p = end - width + 1
            if p < 0:
                continue
            if last_base < p:  # all N: exactly 0, counted once below
                if first_empty < 0:
                    first_empty = p
                continue
            acc[:] = 0
            for j in range(width):
                letter = codes[b, p + j]
                if letter < N_CODE:
                    for k in range(n_kernels):
                        acc[k] += table[j, letter, k]
            for k in range(n_kernels):
                if acc[k] > best[k]:  # strict: the first maximum wins
                    best[k] = acc[k]
                    best_at[k] = p
        if first_empty >= 0:
            for k in range(n_kernels):
                if best[k] < 0 or (best[k] == 0 and first_empty < best_at[k]):
                    best[k] = 0
                    best_at[k] = first_empty
        values[b] = best
        argmax[b] = best_at


def window_sums_from_codes(codes, starts, weights, out):
    """out[k, c, j] = sum over b of weights[k, b] where codes[b, starts[k, b] + j] == c.

    codes : (B, L) uint8; starts : (K, B) int64 window starts; weights : (K, B) float;
    out : (K, 4, w) zeros of the weights' dtype. One kernel per thread, its sequences in
    order: the sums are those of adding the one-hot windows one sequence after another.
    """
    width = out.shape[2]
    for k in _prange(weights.shape[0]):
        for b in range(weights.shape[1]):
            weight = weights[k, b]
            if weight == 0:
                continue
            start = starts[k, b]
            for j in range(width):
                letter = codes[b, start + j]
                if letter < N_CODE:
                    out[k, letter, j] += weight


_prange = range  # numba.prange once compiled


def _compiled() -> tuple | None:
    return compile_parallel(globals(), ("conv_max_from_codes", "window_sums_from_codes"))


def kernel():
    """The compiled :func:`conv_max_from_codes`, or None where numba is not installed."""
    compiled = _compiled()
    return None if compiled is None else compiled[0]


def conv_max_argmax(codes, weight, bias=None):
    """(B, K) maxima over positions of conv1d(one_hot(codes), weight) + bias, and their first
    positions (int64), or None where numba is missing (the caller then uses PyTorch)."""
    import torch

    compiled = kernel()
    if compiled is None:
        return None
    set_threads(torch.get_num_threads())
    table = weight.detach().permute(2, 1, 0).contiguous().numpy()  # (w, 4, K)
    codes_np = codes.contiguous().numpy()
    values = np.empty((codes_np.shape[0], table.shape[2]), table.dtype)
    argmax = np.empty(values.shape, np.int64)
    compiled(codes_np, table, values, argmax)
    values_t = torch.from_numpy(values)
    if bias is not None:
        values_t = values_t + bias.detach()
    return values_t, torch.from_numpy(argmax)


def weighted_window_sum(codes, argmax, weights, width: int):
    """(K, 4, width): sum over b of ``weights[b, k]`` times the one-hot window of ``codes``
    at ``argmax[b, k]``, in the weights' dtype, or None where numba is missing."""
    import torch

    compiled = _compiled()
    if compiled is None:
        return None
    set_threads(torch.get_num_threads())
    weights_kb = weights.detach().t().contiguous().numpy()
    out = np.zeros((weights_kb.shape[0], N_CODE, width), weights_kb.dtype)
    compiled[1](codes.contiguous().numpy(), argmax.t().contiguous().numpy(), weights_kb, out)
    return torch.from_numpy(out)
