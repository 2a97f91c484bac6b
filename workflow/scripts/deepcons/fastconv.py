"""Convolution + ReLU + global max pooling in one step, with an argmax-window backward pass.

Because the pooling is a global max, each (sequence, kernel) output depends on one window of
the input only: the one at the kernel's maximum. So

    y[b, k]    = relu(max_p (W[k] * x[b, :, p:p+w]) + bias[k])
    dL/dW[k]   = sum_b g[b, k] * x[b, :, a:a+w],   a = argmax_p, g = dL/dy * [y > 0]
    dL/dx[b]  += g[b, k] * W[k]  placed at a

The forward pass never keeps the (batch, kernels, positions) activation map: it is computed
a block of positions at a time and reduced to its maximum and argmax at once. The backward
pass gathers the argmax windows instead of correlating the whole map with the input, which
is where a plain implementation spends as long as in the forward pass.

Windows that lie wholly in N (all-zero columns) are skipped: encoded rows are mostly N padding
(a 30-1,000 bp sequence and its reverse complement in 2,020 columns; phastCons elements are
short), and such a window's value is exactly 0 whatever the kernel. Each block of positions
is computed only for the sequences that have a base in it; instead each sequence's first
all-N window enters the maximum as a candidate of value 0 (ties go to the first position, as
everywhere). The result is unchanged: it equals ``F.conv1d`` -> ``relu`` -> ``amax`` up to
the order of floating-point sums (tests compare values, positions and gradients). Kernels
with a NaN or infinite weight compute every window, so that NaN shows as it does in conv1d.

On CPU, given the base codes of ``x``, the forward pass runs the compiled table lookups of
:mod:`deepcons.fastconv_compiled` (numba) where they are installed, and the backward pass
sums the kernels' weight gradients from the codes of their argmax windows there too.

On CUDA tensors, when Triton is importable, :func:`conv_max_argmax` and
:func:`conv_global_max` run the Triton kernels of :mod:`deepcons.fastconv_triton` instead
(conv, max and argmax in registers; bf16 operands by default, fp32 accumulation). The
environment variable ``DEEPCONS_FASTCONV=torch`` forces the blocked PyTorch path everywhere.
"""

from __future__ import annotations

import functools
import os

import torch
import torch.nn.functional as F

# Positions of the activation map computed at a time by the PyTorch path (one-hot input, as
# in saliency; codes on CPU take the compiled loops): bounds memory to batch x kernels x BLOCK
# floats.
BLOCK = 64
# Skip all-N windows (see above); False computes them (for measurements: same result).
SKIP_EMPTY_WINDOWS = True

_TRITON_DTYPES = (torch.float32, torch.float16, torch.bfloat16)


@functools.cache
def _triton_module():
    """deepcons.fastconv_triton, or None where Triton is not installed."""
    try:
        from . import fastconv_triton
    except ImportError:
        return None
    return fastconv_triton


@functools.cache
def _tensor_cores(device_index: int) -> bool:
    """bf16 and TF32 tensor cores: compute capability 8.0 (Ampere) or later."""
    return torch.cuda.get_device_capability(device_index)[0] >= 8


@functools.cache
def _compiled_module():
    from . import fastconv_compiled

    return fastconv_compiled


def _from_codes_allowed(codes: torch.Tensor, weight: torch.Tensor) -> bool:
    """CPU tensors, finite kernels (NaN must show as in conv1d), skipping not switched off."""
    return (
        SKIP_EMPTY_WINDOWS
        and codes.device.type == "cpu"
        and weight.device.type == "cpu"
        and codes.dtype == torch.uint8
        and bool(torch.isfinite(weight).all())
    )


def use_triton(x: torch.Tensor) -> bool:
    """Whether the Triton kernels handle ``x``: a float32/16 tensor on an Ampere or later
    GPU, with Triton importable and ``DEEPCONS_FASTCONV`` not ``torch``."""
    return (
        x.is_cuda
        and x.dtype in _TRITON_DTYPES
        and os.environ.get("DEEPCONS_FASTCONV", "") != "torch"
        and _triton_module() is not None
        and _tensor_cores(x.device.index if x.device.index is not None else 0)
    )


def conv_max_argmax(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    block: int = BLOCK,
    codes: torch.Tensor | None = None,
):
    """Maximum over positions of a valid 1-D convolution, and where it is.

    Parameters
    ----------
    x : (B, C, L) float input.
    weight : (K, C, w) kernels.
    bias : (K,) or None.
    codes : (B, L) uint8 base codes of which ``x`` is the one-hot encoding, optional: on
        CPU they let the compiled table-lookup loops (:mod:`deepcons.fastconv_compiled`)
        compute the result.

    Returns
    -------
    values : (B, K) maximum of conv(x) + bias over the L - w + 1 positions.
    argmax : (B, K) int64 position of the first maximum.
    """
    if use_triton(x):  # GPU: the Triton kernel (``block`` does not apply)
        values, argmax = _triton_module().conv_max_argmax(
            x, weight, bias, skip_empty=SKIP_EMPTY_WINDOWS
        )
        return values.to(x.dtype), argmax
    if codes is not None and _from_codes_allowed(codes, weight):
        found = _compiled_module().conv_max_argmax(codes, weight, bias)
        if found is not None:
            return found
    width = weight.shape[-1]
    n_pos = x.shape[-1] - width + 1
    if n_pos < 1:
        raise ValueError(f"input of length {x.shape[-1]} is shorter than the kernel width {width}")
    # (0 * inf or NaN is NaN, not 0: non-finite kernels compute every window, as conv1d)
    skip = SKIP_EMPTY_WINDOWS and bool(torch.isfinite(weight).all())
    empty = empty_windows(x, width) if skip else None  # (B, n_pos)
    best = torch.full((x.shape[0], weight.shape[0]), -torch.inf, dtype=x.dtype, device=x.device)
    best_at = torch.zeros(best.shape, dtype=torch.int64, device=x.device)
    for start in range(0, n_pos, block):
        stop = min(start + block, n_pos)
        # only the sequences with a base in this block (the candidate below counts the others)
        live = ~empty[:, start:stop].all(dim=1) if skip else None
        if live is not None and not live.any():
            continue
        rows = None if live is None or live.all() else live.nonzero().squeeze(1)
        part = x[:, :, start : stop + width - 1]
        out = F.conv1d(part if rows is None else part[rows], weight)
        values, where = out.max(dim=2)
        where = where + start
        old, old_at = (best, best_at) if rows is None else (best[rows], best_at[rows])
        # strict: the first maximum wins, as in a single pass; NaN wins and stays, as in max()
        better = (values > old) | (values.isnan() & ~old.isnan())
        new, new_at = torch.where(better, values, old), torch.where(better, where, old_at)
        if rows is None:
            best, best_at = new, new_at
        else:
            best[rows], best_at[rows] = new, new_at
    if skip:
        best, best_at = merge_empty_window(best, best_at, first_empty_window(empty))
    if bias is not None:
        best = best + bias
    return best, best_at


def empty_windows(x: torch.Tensor, width: int) -> torch.Tensor:
    """(B, L - width + 1) bool: True where the window starting there is all zeros (N)."""
    filled = (x != 0).any(dim=1).to(torch.int32)  # (B, L)
    counts = F.pad(filled.cumsum(dim=1, dtype=torch.int32), (1, 0))  # (B, L + 1)
    return counts[:, width:] == counts[:, :-width]


def first_empty_window(empty: torch.Tensor) -> torch.Tensor:
    """(B,) int64: the first all-N window of each sequence, -1 where there is none."""
    first = empty.to(torch.uint8).argmax(dim=1)  # the first True (0 where there is none)
    return torch.where(empty.any(dim=1), first, -1)


def merge_empty_window(best, best_at, empty_at):
    """Fold each sequence's first all-N window (value exactly 0, at ``empty_at``, -1 for none)
    into the (B, K) maxima ``best`` and their first positions ``best_at``."""
    at = empty_at.unsqueeze(1)
    take = (at >= 0) & ((best < 0) | ((best == 0) & (at < best_at)))
    return best.masked_fill(take, 0), torch.where(take, at, best_at)


def gather_windows(x: torch.Tensor, argmax: torch.Tensor, width: int) -> torch.Tensor:
    """Input windows at each (sequence, kernel) argmax.

    Parameters
    ----------
    x : (B, C, L); argmax : (B, K) start positions.

    Returns
    -------
    (B, K, C, width) windows.
    """
    B, C, _ = x.shape
    positions = argmax.unsqueeze(-1) + torch.arange(width, device=x.device)  # (B, K, w)
    index = positions.reshape(B, 1, -1).expand(B, C, -1)  # (B, C, K*w)
    windows = torch.gather(x, 2, index).reshape(B, C, argmax.shape[1], width)
    return windows.permute(0, 2, 1, 3)


def weighted_window_sum(x, argmax, weights, width: int, codes=None) -> torch.Tensor:
    """(K, C, width): sum over b of weights[b, k] times the window of x at argmax[b, k].

    ``codes``, the base codes ``x`` encodes, let the compiled loops read the windows'
    letters on CPU (the same sums, without the (B, K, C, w) windows)."""
    if x.shape[0] == 0:
        return x.new_zeros(argmax.shape[1], x.shape[1], width)
    if codes is not None and _from_codes_allowed(codes, weights):
        found = _compiled_module().weighted_window_sum(codes, argmax, weights, width)
        if found is not None:
            return found
    weighted = weights[:, :, None, None] * gather_windows(x, argmax, width)  # (B, K, C, w)
    if x.is_cuda:  # one reduction, the same from run to run on a GPU
        return weighted.sum(0)
    # Added one sequence after another: the same order whatever the memory alignment, so
    # training is reproducible bit for bit (a .sum(0) may vectorise differently from run to
    # run; einsum makes this a batched matmul, several times slower).
    total = weighted[0].clone()
    for row in weighted[1:]:
        total += row
    return total


class ConvGlobalMax(torch.autograd.Function):
    """relu(max over positions of conv1d(x, weight) + bias), argmax-window backward."""

    @staticmethod
    def forward(ctx, x, weight, bias, block, codes=None):
        with torch.no_grad():
            values, argmax = conv_max_argmax(x, weight, bias, block, codes)
        out = values.clamp_min(0)
        ctx.save_for_backward(x, weight, argmax, out)
        ctx.codes = codes
        ctx.mark_non_differentiable(argmax)
        return out, argmax

    @staticmethod
    def backward(ctx, grad_out, _grad_argmax):
        x, weight, argmax, out = ctx.saved_tensors
        width = weight.shape[-1]
        g = grad_out * (out > 0)  # ReLU
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[1]:
            grad_w = weighted_window_sum(x, argmax, g, width, ctx.codes)
        if ctx.needs_input_grad[2]:
            grad_b = g.sum(0)
        if ctx.needs_input_grad[0]:
            grad_x = grad_input(x, weight, argmax, g)
        return grad_x, grad_w, grad_b, None, None


def grad_input(x, weight, argmax, g) -> torch.Tensor:
    """dL/dx: each g[b, k] * W[k] added at its argmax window (g already ReLU-masked)."""
    B, C, L = x.shape
    K, _, width = weight.shape
    contrib = g[:, :, None, None] * weight[None]  # (B, K, C, w)
    positions = argmax.unsqueeze(-1) + torch.arange(width, device=x.device)  # (B, K, w)
    index = positions[:, :, None, :].expand(B, K, C, width).permute(0, 2, 1, 3).reshape(B, C, -1)
    src = contrib.permute(0, 2, 1, 3).reshape(B, C, -1).to(x.dtype)
    return torch.zeros_like(x).scatter_add_(2, index, src)


def conv_global_max(x, weight, bias=None, block: int = BLOCK, codes=None):
    """Fused conv + ReLU + global max: (B, C, L) -> ((B, K) values, (B, K) argmax).

    CUDA tensors go to the Triton kernels where Triton is installed (``block`` does not
    apply there); CPU tensors with their ``codes`` to the compiled loops where numba is
    installed; everything else to the blocked PyTorch implementation.
    """
    if use_triton(x):
        return _triton_module().conv_global_max(x, weight, bias, skip_empty=SKIP_EMPTY_WINDOWS)
    return ConvGlobalMax.apply(x, weight, bias, block, codes)


def conv_global_max_reference(x, weight, bias=None):
    """The plain PyTorch composition the fused layer must equal."""
    out = F.relu(F.conv1d(x, weight, bias))
    values, argmax = out.max(dim=2)
    return values, argmax
