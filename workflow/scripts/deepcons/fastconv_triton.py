"""Triton kernels for the fused conv + ReLU + global max layer (GPU), and its autograd Function.

The layer (see :mod:`deepcons.fastconv`) is

    y[b, k] = relu(max_p sum_{c, j} W[k, c, j] x[b, c, p + j] + bias[k])

Forward (:func:`_conv_max_kernel`): one program per (sequence, block of BLOCK_K kernels). It
keeps its kernels in registers as a (BLOCK_K, R) matrix, R = C * w reduction rows ordered
``r = j * C + c``, and walks the sequence a tile of BLOCK_P positions at a time: the tile's
(R, BLOCK_P) im2col matrix is loaded straight from ``x`` (row r is the contiguous strip
``x[b, c, p0 + j :]``, served by L1/L2: a sequence is 16 KB in bf16), multiplied on the
tensor cores (``tl.dot``: bf16 or TF32 operands, fp32 accumulation) and folded at once into
an element-wise running maximum and the first tile where each element reached it. The
(kernels, positions) activation map never leaves registers; at the end each row is reduced
to its maximum and its *first* position, exactly what ``F.conv1d`` -> ``max`` gives. tl.dot
wants power-of-two tiles of at least 16, so R is a power-of-two part plus a padded tail
(C = 4, w = 10: 32 + 16 rows for 40; w = 20: 64 + 16 for 80, no padding). Whole tiles run
without any mask; the partial last tile, if any, runs once more with masks.

All-N tiles are skipped. An encoded row is a 30-1,000 bp sequence and its reverse complement in
2,020 columns, the rest N (all-zero columns), and phastCons elements are short, so most tiles
hold only all-N windows, whose value is exactly 0 for every kernel. The wrapper marks, per
sequence, the tiles that hold a window with a base (:func:`live_tiles`, from the input) and the
first all-N window; the kernel computes only the marked tiles and folds in that window's 0 at
the end (first position on ties). The result is the same; the work is that of the real bases.

Cost model (sm_90a, compiled offline with Triton 3.9 and read in SASS): with 128 x 128
tiles and 8 warps the main loop is 3 HGMMA (w = 10; 5 for w = 20) plus about 280 (w = 10)
to 340 (w = 20) instructions a thread per tile: 3 per (kernel, position) for the running
maximum and its tile (compare, select, max) and the rest for the 20-40 gathered loads and
shared-memory stores of the im2col tile; about 240-250 registers, no spills with Triton 3.6
or 3.9 (:mod:`deepcons.triton_offline` reads this on any machine; a test checks it). The
tensor cores need
about 384 cycles a tile per SM (w = 10), the issue slots about 560 (two warps a scheduler),
so the kernel is bound by the epilogue at roughly half the bf16 peak if loads and the
tensor cores overlap well (what bench/train_gpu.py measures; --sweep tries other tiles).

Backward (:func:`_window_sum_kernel`): the pooled output depends on one window per
(sequence, kernel), so

    dL/dW[k, c, j] = sum_b g[b, k] x[b, c, a[b, k] + j],  g = dL/dy [y > 0],  a = argmax
    dL/dbias[k]    = sum_b g[b, k]

One program per (block of kernels, slice of the batch) gathers those windows (only where
g != 0) and accumulates them in fp32 registers; the slices' partial sums are added in a fixed
order (deterministic, no atomics). Nothing of size (B, K, C, w) is materialised: about
B * K * C * w multiply-adds, 1/2000 of the forward's. The input gradient (saliency only) is
the scatter of :func:`deepcons.fastconv.grad_input`.

The same Python kernel functions run on CUDA tensors (compiled) and on CPU tensors through
Triton's interpreter (the tests), whatever TRITON_INTERPRET says. The interpreter cannot
multiply bf16 tiles and truncates fp32 -> bf16, so there the weights are rounded to bf16
(to nearest even, as a GPU does) beforehand and the bf16 tiles are multiplied in fp32, which
is the same arithmetic (products of bf16 values are exact in fp32).

Precision (``precision`` argument, default :data:`DEFAULT_PRECISION`, environment variable
``DEEPCONS_CONV_PRECISION``): ``"bf16"`` (x and W rounded to bf16: one-hot x is exact, the
values are those of bf16-rounded weights, about 2**-9 relative per weight), ``"tf32"``
(about 2**-11), ``"ieee"`` (fp32 FMAs, no tensor cores: for checks). The backward pass is
fp32 whatever the precision.
"""

from __future__ import annotations

import os

import torch
import torch.nn.functional as F
import triton
import triton.language as tl
from triton.runtime.interpreter import InterpretedFunction

from .fastconv import empty_windows, first_empty_window, grad_input

PRECISIONS = ("bf16", "tf32", "ieee")
DEFAULT_PRECISION = os.environ.get("DEEPCONS_CONV_PRECISION", "bf16")
if DEFAULT_PRECISION not in PRECISIONS:
    raise ValueError(
        f"DEEPCONS_CONV_PRECISION must be one of {PRECISIONS}, not {DEFAULT_PRECISION!r}"
    )

# Launch configuration of the forward kernel on a GPU (bench/train_gpu.py --sweep tunes it).
# 128 x 128 tiles, 8 warps: 240-250 registers a thread for w = 10 and 20 and no spills
# (sm_90a, Triton 3.6 and 3.9, compiled offline: tests/test_fastconv_triton.py), and about
# 4.4 (w = 10) to 5.3 (w = 20) SASS instructions per (kernel, position) in the main loop.
# FORWARD_CONFIG_BY_WIDTH overrides it for one kernel width. Not yet timed on a GPU.
FORWARD_CONFIG = {"BLOCK_K": 128, "BLOCK_P": 128, "num_warps": 8, "num_stages": 2}
FORWARD_CONFIG_BY_WIDTH: dict[int, dict] = {}
# Both kernels: multiply-adds fused into FMAs (Triton 3.9 warns that its default will change).
LAUNCH_OPTIONS = {"enable_fp_fusion": True}
# Backward: kernels per program; the batch is split into slices of at least
# BACKWARD_MIN_SLICE sequences so that up to BACKWARD_PROGRAMS programs run.
BACKWARD_BLOCK_K = 32
BACKWARD_PROGRAMS = 1024
BACKWARD_MIN_SLICE = 8

# Reductions go through tl.reduce with Triton's own combine functions rather than tl.max and
# tl.min: those are jit functions that the interpreter can only call when TRITON_INTERPRET was
# set before Triton was imported, whereas tl.reduce is patched by the interpreter at run time.
_max_combine = tl.standard._elementwise_max
_min_combine = tl.standard._elementwise_min


def _conv_max_kernel(
    x_ptr,
    w_ptr,
    bias_ptr,
    out_ptr,
    arg_ptr,
    live_ptr,
    empty_ptr,
    K,
    L,
    n_pos,
    n_full,
    n_tiles,
    sxb,
    sxc,
    sxl,
    C: tl.constexpr,
    WIDTH: tl.constexpr,
    R1: tl.constexpr,
    R2: tl.constexpr,
    BLOCK_K: tl.constexpr,
    BLOCK_P: tl.constexpr,
    OPERAND: tl.constexpr,
    PRECISION: tl.constexpr,
    UPCAST: tl.constexpr,
    HAS_BIAS: tl.constexpr,
    RELU: tl.constexpr,
    SKIP_EMPTY: tl.constexpr,
):
    """out[b, k] = max_p conv(x, W)[b, k, p] + bias[k] (ReLU'd if RELU); arg = first argmax p.

    x: (B, C, L), strides (sxb, sxc, sxl); W: (K, C, WIDTH) contiguous. n_full tiles of
    BLOCK_P positions are whole, n_tiles - n_full (0 or 1) is partial. With SKIP_EMPTY, tile t
    of sequence b is computed only where live[b, t] != 0 (it has a window that is not all N),
    and empty[b] (-1 for none) is the sequence's first all-N window, a candidate of value 0.
    Grid: (B, cdiv(K, BLOCK_K)).
    """
    pid_b = tl.program_id(0).to(tl.int64)
    pid_k = tl.program_id(1)
    k = pid_k * BLOCK_K + tl.arange(0, BLOCK_K)
    k_ok = k < K
    x_row = x_ptr + pid_b * sxb
    cols = tl.arange(0, BLOCK_P)
    RC: tl.constexpr = C * WIDTH

    # The block's kernels as (BLOCK_K, R1) and (BLOCK_K, R2) matrices, column r = j * C + c
    # (padding columns are 0), kept in registers for the whole sequence.
    r1 = tl.arange(0, R1)
    w1 = tl.load(
        w_ptr + k[:, None] * RC + (r1 % C)[None, :] * WIDTH + (r1 // C)[None, :],
        mask=k_ok[:, None] & (r1 < RC)[None, :],
        other=0.0,
    ).to(OPERAND)
    if UPCAST:
        w1 = w1.to(tl.float32)
    r2 = R1 + tl.arange(0, R2 if R2 > 0 else 16)  # (unused when R2 == 0)
    if R2 > 0:
        w2 = tl.load(
            w_ptr + k[:, None] * RC + (r2 % C)[None, :] * WIDTH + (r2 // C)[None, :],
            mask=k_ok[:, None] & (r2 < RC)[None, :],
            other=0.0,
        ).to(OPERAND)
        if UPCAST:
            w2 = w2.to(tl.float32)
    # im2col rows: row r of a tile is x[b, c, p0 + j : p0 + j + BLOCK_P]
    x1_at = x_row + (r1 % C)[:, None] * sxc + (r1 // C)[:, None] * sxl  # (R1, 1) pointers
    x2_at = x_row + (r2 % C)[:, None] * sxc + (r2 // C)[:, None] * sxl

    # Element-wise running maximum over the tiles and the first tile that reached it.
    run = tl.full((BLOCK_K, BLOCK_P), float("-inf"), tl.float32)
    tile = tl.full((BLOCK_K, BLOCK_P), 0, tl.int32)
    # phase 0: the whole tiles, without any mask; phase 1: the partial last tile, if any
    for phase in tl.static_range(2):
        first_tile = 0 if phase == 0 else n_full
        last_tile = n_full if phase == 0 else n_tiles
        for t in range(first_tile, last_tile):
            if SKIP_EMPTY:
                live = tl.load(live_ptr + pid_b * n_tiles + t) != 0
            else:
                live = True
            if live:
                p = t * BLOCK_P + cols
                if phase == 0:
                    ok1 = (r1 < RC)[:, None]
                    ok2 = (r2 < RC)[:, None]
                else:
                    ok1 = (r1 < RC)[:, None] & ((p[None, :] + (r1 // C)[:, None]) < L)
                    ok2 = (r2 < RC)[:, None] & ((p[None, :] + (r2 // C)[:, None]) < L)
                # both loads before the first product: their latencies overlap
                xt1 = tl.load(x1_at + p[None, :] * sxl, mask=ok1, other=0.0).to(OPERAND)
                if R2 > 0:
                    xt2 = tl.load(x2_at + p[None, :] * sxl, mask=ok2, other=0.0).to(OPERAND)
                if UPCAST:
                    xt1 = xt1.to(tl.float32)
                    if R2 > 0:
                        xt2 = xt2.to(tl.float32)
                acc = tl.dot(w1, xt1, input_precision=PRECISION, out_dtype=tl.float32)
                if R2 > 0:
                    acc = tl.dot(w2, xt2, acc, input_precision=PRECISION, out_dtype=tl.float32)
                if phase == 1:
                    acc = tl.where((p < n_pos)[None, :], acc, float("-inf"))
                # strict: each element keeps the first tile that reached its maximum. (This
                # order, select before max, keeps the SASS at compare + select + max.)
                tile = tl.where(acc > run, t, tile)
                run = tl.maximum(run, acc)

    best = tl.reduce(run, 1, _max_combine)  # (BLOCK_K,)
    where = tile * BLOCK_P + cols[None, :]
    first = tl.reduce(tl.where(run == best[:, None], where, 2147483647), 1, _min_combine)
    if SKIP_EMPTY:  # the skipped tiles' value, exactly 0, from the first all-N window on
        at = tl.load(empty_ptr + pid_b)
        take = (at >= 0) & ((best < 0) | ((best == 0) & (at < first)))
        best = tl.where(take, 0.0, best)
        first = tl.where(take, at, first)
    if HAS_BIAS:
        best += tl.load(bias_ptr + k, mask=k_ok, other=0.0).to(tl.float32)
    if RELU:
        best = tl.maximum(best, 0.0)
    out_at = pid_b * K + k
    tl.store(out_ptr + out_at, best, mask=k_ok)
    tl.store(arg_ptr + out_at, first.to(tl.int64), mask=k_ok)


def _window_sum_kernel(
    x_ptr,
    arg_ptr,
    g_ptr,
    out_ptr,
    gw_ptr,
    gb_ptr,
    B,
    K,
    b_per_program,
    sxb,
    sxc,
    sxl,
    C: tl.constexpr,
    WIDTH: tl.constexpr,
    RP: tl.constexpr,
    BLOCK_K: tl.constexpr,
    RELU_MASK: tl.constexpr,
):
    """Partial sums over a slice of the batch of g[b, k] * x[b, :, a[b, k] : a[b, k] + WIDTH].

    g = grad (times [out > 0] when RELU_MASK). Writes gw[s] (K, RP) with column r = j * C + c
    and gb[s] (K,) for slice s = program_id(1). Grid: (cdiv(K, BLOCK_K), n_slices).
    """
    pid_k = tl.program_id(0)
    pid_s = tl.program_id(1)
    k = pid_k * BLOCK_K + tl.arange(0, BLOCK_K)
    k_ok = k < K
    r = tl.arange(0, RP)
    r_ok = r < C * WIDTH
    x_off = (r % C)[None, :] * sxc + (r // C)[None, :] * sxl  # (1, RP)
    sxb64 = sxb.to(tl.int64)
    acc = tl.full((BLOCK_K, RP), 0.0, tl.float32)
    acc_b = tl.full((BLOCK_K,), 0.0, tl.float32)
    K64 = K.to(tl.int64)
    b0 = pid_s * b_per_program
    b1 = tl.minimum(b0 + b_per_program, B)
    for b in range(b0, b1):
        at = b * K64 + k
        g = tl.load(g_ptr + at, mask=k_ok, other=0.0).to(tl.float32)
        if RELU_MASK:
            y = tl.load(out_ptr + at, mask=k_ok, other=0.0)
            g = tl.where(y > 0, g, 0.0)
        a = tl.load(arg_ptr + at, mask=k_ok, other=0)
        live = k_ok & (g != 0)
        xv = tl.load(
            x_ptr + b * sxb64 + a[:, None] * sxl + x_off,
            mask=live[:, None] & r_ok[None, :],
            other=0.0,
        ).to(tl.float32)
        acc += g[:, None] * xv
        acc_b += g
    base = pid_s * K64
    tl.store(gw_ptr + (base + k[:, None]) * RP + r[None, :], acc, mask=k_ok[:, None])
    tl.store(gb_ptr + base + k, acc_b, mask=k_ok)


# Integer arguments equal to 1 would become compile-time constants; those that are converted
# to int64 inside must stay tensors.
_NO_SPECIALIZE = {_conv_max_kernel: [], _window_sum_kernel: ["K", "sxb"]}
_COMPILED = {f: triton.jit(f, do_not_specialize=d) for f, d in _NO_SPECIALIZE.items()}
_INTERPRETED = {f: InterpretedFunction(f, do_not_specialize=d) for f, d in _NO_SPECIALIZE.items()}


def _kernel(fn, device: torch.device):
    """The compiled kernel for CUDA tensors, Triton's interpreter for CPU tensors."""
    return _COMPILED[fn] if device.type == "cuda" else _INTERPRETED[fn]


def _next_pow2(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


def reduction_split(rows: int) -> tuple[int, int]:
    """(R1, R2): a power-of-two part and a padded power-of-two tail covering ``rows``, each >= 16."""
    if rows <= 16:
        return 16, 0
    r1 = 1 << (rows.bit_length() - 1)
    rest = rows - r1
    return r1, 0 if rest == 0 else max(16, _next_pow2(rest))


def _operand(precision: str):
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
    # (the input precision of tl.dot only matters for fp32 operands)
    return (tl.bfloat16, "tf32") if precision == "bf16" else (tl.float32, precision)


def forward_launch(
    channels: int,
    width: int,
    precision: str | None = None,
    relu: bool = False,
    has_bias: bool = True,
    skip_empty: bool = True,
    interpret: bool = False,
    config: dict | None = None,
) -> tuple[dict, dict]:
    """The forward kernel's compile-time constants and launch options for one layer shape.

    ``config`` overrides BLOCK_K, BLOCK_P, num_warps and num_stages (also used by
    :mod:`deepcons.triton_offline` to compile the same kernel without a GPU).
    """
    precision = precision or DEFAULT_PRECISION
    operand, tl_precision = _operand(precision)
    cfg = {**FORWARD_CONFIG, **FORWARD_CONFIG_BY_WIDTH.get(width, {})}
    if precision == "ieee":  # fp32 FMAs, no tensor cores: smaller tiles, no register spills
        cfg.update(BLOCK_K=64, BLOCK_P=64, num_warps=4)
    if interpret:
        cfg.update(BLOCK_K=16, BLOCK_P=32)
    cfg.update(config or {})
    r1, r2 = reduction_split(channels * width)
    constants = {
        "C": channels,
        "WIDTH": width,
        "R1": r1,
        "R2": r2,
        "BLOCK_K": cfg["BLOCK_K"],
        "BLOCK_P": cfg["BLOCK_P"],
        "OPERAND": operand,
        "PRECISION": tl_precision,
        "UPCAST": interpret,
        "HAS_BIAS": has_bias,
        "RELU": relu,
        "SKIP_EMPTY": skip_empty,
    }
    options = {"num_warps": cfg["num_warps"], "num_stages": cfg["num_stages"]}
    return constants, {**options, **LAUNCH_OPTIONS}


def live_tiles(x: torch.Tensor, width: int, block_p: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, n_tiles) int8: 1 where a tile of ``block_p`` positions has a window that is not all
    N; (B,) int32: each sequence's first all-N window, -1 for none."""
    empty = empty_windows(x, width)
    B, n_pos = empty.shape
    n_tiles = triton.cdiv(n_pos, block_p)
    tiles = F.pad(empty, (0, n_tiles * block_p - n_pos), value=True)
    live = ~tiles.view(B, n_tiles, block_p).all(dim=2)
    return live.to(torch.int8), first_empty_window(empty).to(torch.int32)


def conv_max_argmax(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    precision: str | None = None,
    relu: bool = False,
    config: dict | None = None,
    skip_empty: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Maximum over positions of conv1d(x, weight) + bias, and its first position.

    Same contract as :func:`deepcons.fastconv.conv_max_argmax` ((B, K) float32 values,
    (B, K) int64 argmax); with ``relu`` the values are clamped at 0. ``skip_empty=False``
    computes the all-N tiles too (for measurements: the result is the same).
    """
    if x.dim() != 3 or weight.dim() != 3 or x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"expected x (B, C, L) and weight (K, C, w), got {x.shape}, {weight.shape}"
        )
    B, C, L = x.shape
    K, _, width = weight.shape
    n_pos = L - width + 1
    if n_pos < 1:
        raise ValueError(f"input of length {L} is shorter than the kernel width {width}")
    interpret = x.device.type != "cuda"
    constants, options = forward_launch(
        C, width, precision, relu, bias is not None, skip_empty, interpret, config
    )
    weight = weight.detach().contiguous()
    bias_arg = bias.detach().contiguous() if bias is not None else weight
    out = torch.empty(B, K, device=x.device, dtype=torch.float32)
    argmax = torch.empty(B, K, device=x.device, dtype=torch.int64)
    if B == 0 or K == 0:
        return out, argmax
    x = x.detach()
    block_p = constants["BLOCK_P"]
    if skip_empty:
        live, empty_at = live_tiles(x, width, block_p)
    else:
        live = empty_at = out  # (not read)
    if constants["OPERAND"] == tl.bfloat16:
        # bf16 input: half the bytes of the (R, BLOCK_P) gathers, no conversion in the loop
        # (one-hot codes are exact in bf16)
        x = x.to(torch.bfloat16)
        if interpret:  # the interpreter truncates fp32 -> bf16; a GPU rounds to nearest even
            weight = weight.to(torch.bfloat16).to(weight.dtype)
    grid = (B, triton.cdiv(K, constants["BLOCK_K"]))
    _kernel(_conv_max_kernel, x.device)[grid](
        x,
        weight,
        bias_arg,
        out,
        argmax,
        live,
        empty_at,
        K,
        L,
        n_pos,
        n_pos // block_p,
        triton.cdiv(n_pos, block_p),
        x.stride(0),
        x.stride(1),
        x.stride(2),
        **constants,
        **options,
    )
    return out, argmax


def window_sum(
    x: torch.Tensor,
    argmax: torch.Tensor,
    grad: torch.Tensor,
    width: int,
    out: torch.Tensor | None = None,
    n_slices: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """sum_b g[b, k] * x[b, :, a[b, k] : a[b, k] + width] and sum_b g[b, k], in fp32.

    g is ``grad``, times ``out > 0`` when ``out`` is given (the ReLU's mask).

    Returns
    -------
    (K, C, width) window sums and (K,) sums of g, float32.
    """
    B, C, _ = x.shape
    K = argmax.shape[1]
    rp = _next_pow2(C * width)
    if n_slices is None:
        n_slices = min(
            B // BACKWARD_MIN_SLICE, BACKWARD_PROGRAMS // triton.cdiv(K, BACKWARD_BLOCK_K)
        )
    n_slices = max(1, min(n_slices, B))
    per = triton.cdiv(B, n_slices)
    n_slices = triton.cdiv(B, per) if B else 1
    # every element is written by the kernel (no memset), except without any sequence
    alloc = torch.empty if B else torch.zeros
    gw = alloc(n_slices, K, rp, device=x.device, dtype=torch.float32)
    gb = alloc(n_slices, K, device=x.device, dtype=torch.float32)
    if B and K:
        x = x.detach()
        grad = grad.contiguous()
        argmax = argmax.contiguous()
        out_arg = out.detach().contiguous() if out is not None else grad
        grid = (triton.cdiv(K, BACKWARD_BLOCK_K), n_slices)
        _kernel(_window_sum_kernel, x.device)[grid](
            x,
            argmax,
            grad,
            out_arg,
            gw,
            gb,
            B,
            K,
            per,
            x.stride(0),
            x.stride(1),
            x.stride(2),
            C=C,
            WIDTH=width,
            RP=rp,
            BLOCK_K=BACKWARD_BLOCK_K,
            RELU_MASK=out is not None,
            num_warps=4,
            **LAUNCH_OPTIONS,
        )
    grad_w = gw.sum(0)[:, : C * width].reshape(K, width, C).transpose(1, 2).contiguous()
    return grad_w, gb.sum(0)


class ConvGlobalMaxTriton(torch.autograd.Function):
    """relu(max over positions of conv1d(x, weight) + bias) with the Triton kernels."""

    @staticmethod
    def forward(ctx, x, weight, bias, precision, skip_empty):
        out, argmax = conv_max_argmax(x, weight, bias, precision, relu=True, skip_empty=skip_empty)
        out = out.to(weight.dtype)
        ctx.save_for_backward(x, weight, argmax, out)
        ctx.mark_non_differentiable(argmax)
        return out, argmax

    @staticmethod
    def backward(ctx, grad_out, _grad_argmax):
        x, weight, argmax, out = ctx.saved_tensors
        width = weight.shape[-1]
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[1] or ctx.needs_input_grad[2]:
            gw, gb = window_sum(x, argmax, grad_out, width, out=out)
            if ctx.needs_input_grad[1]:
                grad_w = gw.to(weight.dtype)
            if ctx.needs_input_grad[2]:
                grad_b = gb.to(weight.dtype)
        if ctx.needs_input_grad[0]:
            g = grad_out * (out > 0)
            grad_x = grad_input(x, weight, argmax, g)
        return grad_x, grad_w, grad_b, None, None


def conv_global_max(x, weight, bias=None, precision: str | None = None, skip_empty: bool = True):
    """Fused conv + ReLU + global max with the Triton kernels: ((B, K) values, (B, K) argmax)."""
    return ConvGlobalMaxTriton.apply(x, weight, bias, precision, skip_empty)
