"""Training at GPU speed: plain PyTorch, our training step and the FLOP floor, in one run.

Synthetic data of hg19's shape (uint8 rows of 2,020 columns: a sequence of 30-1000 bp, its
reverse complement from column 1,020, N padding) and the paper's model (1,000 kernels of
width 10, 500 of width 20, dense 1,500). Measured, in sequences per second:

  plain  float32 one-hot batches made on the host and copied to the device, nn.Conv1d ->
         ReLU -> max -> head, Adagrad (what a plain PyTorch implementation does);
  ours   deepcons.training.train itself: codes kept on the device, one-hot inside the model,
         the fused conv + ReLU + global max layer (Triton kernels on CUDA: bf16 operands,
         fp32 accumulation, argmax-window backward; on CPU compiled table lookups from the
         base codes), TF32 head; all-N windows skipped (they are exactly 0), and, for
         comparison, the same step computing every window with PyTorch's conv1d in blocks;
  floor  the forward conv FLOPs of a whole row (2 x 80,000 multiply-adds per position x 2,011
         positions, 0.32 GFLOP) at the device's peak (--peak-tflops, 800 for an H100 in bf16,
         or --measure-peak: a large bf16 matmul). Skipping all-N windows does less work than
         that, so ours can pass 100 % of this floor: --lengths phastcons (real element lengths,
         median 57 bp) leaves about a tenth of the windows, uniform 30-1,000 bp about half.

Also the fused layer alone (forward, then forward + backward) in TFLOP/s, and with --sweep
the forward kernel's launch configurations (CUDA; those that spill registers are left out).

    .venv/bin/python bench/train_gpu.py                      # CPU: small sizes, a smoke test
    .venv/bin/python bench/train_gpu.py --device cuda [--sequences 131072] [--batch-size 512]
        [--peak-tflops 800 | --measure-peak] [--sweep] [--lengths uniform|phastcons]

Targets on an H100: ours >= 20x plain and >= 30 % of the floor (an hg19 epoch, 1.415 M
sequences, in under 5 s). On CPU the numbers only show that everything runs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))

from deepcons import fastconv  # noqa: E402
from deepcons.model import build_model, one_hot  # noqa: E402
from deepcons.training import Checkpoint, TrainSettings, train  # noqa: E402

PAPER = {"kernels": {10: 1000, 20: 500}, "hidden": 1500}
HG19_TRAIN = 1_415_000
WIDTH = 2020


def element_lengths(kind: str, n: int, rng) -> np.ndarray:
    """Sequence lengths: ``uniform`` over 30-1,000 bp, or ``phastcons``, drawn from the demo's
    conserved elements of 30-1,000 bp (hg19 chr22; median 57 bp, 90 % under 140 bp)."""
    if kind == "uniform":
        return rng.integers(30, 1001, n)
    bed = Path(__file__).resolve().parents[1] / "resources" / "demo" / "conserved.bed"
    spans = np.loadtxt(bed, usecols=(1, 2), dtype=np.int64, ndmin=2)
    lengths = spans[:, 1] - spans[:, 0]
    return rng.choice(lengths[(lengths >= 30) & (lengths <= 1000)], n)


def add_lengths_option(parser: argparse.ArgumentParser) -> None:
    """--lengths, the choice of :func:`element_lengths`."""
    parser.add_argument(
        "--lengths",
        choices=["uniform", "phastcons"],
        default="uniform",
        help="sequence lengths: uniform over 30-1,000 bp, or as the demo's phastCons elements",
    )


def synthetic_rows(n: int, seed: int = 0, lengths: str = "uniform"):
    """hg19-shaped encoded rows and random labels."""
    rng = np.random.default_rng(seed)
    codes = np.full((n, WIDTH), 4, dtype=np.uint8)
    for i, length in enumerate(element_lengths(lengths, n, rng)):
        seq = rng.integers(0, 4, length).astype(np.uint8)
        codes[i, :length] = seq
        codes[i, 1020 : 1020 + length] = 3 - seq[::-1]
    return codes, rng.integers(0, 2, n).astype(np.uint8)


def conv_flops(kernels: dict, width: int = WIDTH) -> float:
    """Forward FLOPs of the conv layer for one sequence (2 per multiply-add)."""
    return float(sum(2 * n * 4 * w * (width - w + 1) for w, n in kernels.items()))


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure_peak(device) -> float:
    """TFLOP/s of a large matmul (bf16 on CUDA, float32 on CPU): the best of several runs."""
    n, dtype = (8192, torch.bfloat16) if device.type == "cuda" else (1024, torch.float32)
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    a @ b
    sync(device)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(10 if device.type == "cuda" else 1):
            a @ b
        sync(device)
        best = min(best, (time.perf_counter() - start) / (10 if device.type == "cuda" else 1))
    return 2 * n**3 / best / 1e12


def plain_loop(hparams, codes, labels, batch_size, device) -> float:
    """A plain PyTorch loop: host float32 one-hot batches, nn.Conv1d -> ReLU -> max."""
    torch.manual_seed(0)
    model = build_model(hparams, fast=False).to(device)
    optimizer = torch.optim.Adagrad(model.parameters(), lr=0.005)
    order = np.random.default_rng(0).permutation(len(codes))
    model.train()
    sync(device)
    start = time.perf_counter()
    for first in range(0, len(codes), batch_size):
        index = order[first : first + batch_size]
        x = F.one_hot(torch.from_numpy(codes[index]).long(), 5)[..., :4].transpose(1, 2).float()
        y = torch.from_numpy(labels[index].astype(np.float32))
        logits = model.forward_one_hot(x.to(device))
        loss = F.binary_cross_entropy_with_logits(logits, y.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    sync(device)
    return len(codes) / (time.perf_counter() - start)


def our_loop(hparams, codes, labels, batch_size, device) -> float:
    """deepcons.training.train for one epoch; its own measure of the training loop."""
    torch.manual_seed(0)
    model = build_model(hparams, fast=True)
    settings = TrainSettings(
        batch_size=batch_size, max_epochs=1, patience=1, seed=0, device=str(device)
    )
    with tempfile.TemporaryDirectory() as tmp:
        _, state = train(
            model,
            (codes, labels),
            (codes[:batch_size], labels[:batch_size]),
            settings,
            Checkpoint(tmp),
            "bench",
        )
    return state.history[0]["train_seq_per_s"]


def fused_layer(hparams, codes, device, reps: int) -> tuple[float, float]:
    """Sequences per second of the fused conv layer: forward only, forward + backward."""
    torch.manual_seed(0)
    model = build_model(hparams, fast=True).to(device)
    codes_t = torch.from_numpy(codes).to(device)
    x = one_hot(codes_t)
    convs = list(model.convs)

    def forward():
        return [fastconv.conv_global_max(x, c.weight, c.bias, codes=codes_t)[0] for c in convs]

    def step():
        outs = forward()
        torch.autograd.backward(outs, [torch.ones_like(o) for o in outs])

    rates = []
    for fn in (forward, step):
        fn()
        sync(device)
        start = time.perf_counter()
        for _ in range(reps):
            fn()
        sync(device)
        rates.append(len(codes) * reps / (time.perf_counter() - start))
    return rates[0], rates[1]


def sweep(codes, device) -> dict:
    """Forward kernel time of each launch configuration, per kernel width (CUDA only).

    Configurations that spill registers when compiled for this GPU's architecture are left
    out before any is timed (deepcons.triton_offline); num_stages is not swept: the kernel's
    loop has no software pipelining, and the compiled code was the same for 1, 2 and 3.
    Returns the best configuration per width, as FORWARD_CONFIG_BY_WIDTH takes it.
    """
    from triton.testing import do_bench

    from deepcons import fastconv_triton as ft
    from deepcons import triton_offline

    major, minor = torch.cuda.get_device_capability(device)
    x = one_hot(torch.from_numpy(codes).to(device))
    print("\nforward kernel sweep (median of do_bench; TFLOP/s of the conv work of whole rows):")
    best = {}
    for width, n in PAPER["kernels"].items():
        weight = torch.randn(n, 4, width, device=device)
        bias = torch.randn(n, device=device)
        flops = 2 * n * 4 * width * (codes.shape[1] - width + 1) * len(codes)
        results = []
        for bk in (64, 128, 256):
            for bp in (32, 64, 128, 256):
                for warps in (4, 8):
                    cfg = {"BLOCK_K": bk, "BLOCK_P": bp, "num_warps": warps, "num_stages": 2}
                    try:
                        compiled = triton_offline.forward_kernel(
                            width, config=cfg, arch=10 * major + minor
                        )
                        used = triton_offline.resources(compiled)
                    except Exception as err:  # out of resources, no cuobjdump, ...
                        print(f"  w={width} {cfg}: not compiled offline ({type(err).__name__})")
                        used = None
                    if used is not None and (used.stack_bytes or used.spill_stores):
                        print(f"  w={width} {cfg}: spills ({used.stack_bytes} B), left out")
                        continue
                    try:
                        ms = do_bench(
                            lambda c=cfg, w=weight, b=bias: ft.conv_max_argmax(x, w, b, config=c),
                            return_mode="median",
                        )
                    except Exception as err:
                        print(f"  w={width} {cfg}: {type(err).__name__}")
                        continue
                    results.append((flops / (ms / 1e3) / 1e12, cfg, used))
        results.sort(key=lambda r: -r[0])
        for tflops, cfg, used in results[:6]:
            regs = f"{used.registers} registers" if used else ""
            print(f"  w={width} {tflops:7.1f} TFLOP/s  {cfg}  {regs}")
        if results:
            best[width] = results[0][1]
    print(f"FORWARD_CONFIG_BY_WIDTH = {best!r}")
    return best


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--sequences", type=int, help="for our loop (CUDA 131072, CPU 256)")
    parser.add_argument("--plain-sequences", type=int, help="for the plain loop (8192, 64)")
    parser.add_argument("--batch-size", type=int, help="(CUDA 512, CPU 32)")
    parser.add_argument("--peak-tflops", type=float, default=800.0, help="bf16 peak (H100)")
    parser.add_argument("--measure-peak", action="store_true", help="measure the peak instead")
    parser.add_argument("--sweep", action="store_true", help="tune the forward kernel (CUDA)")
    parser.add_argument(
        "--sweep-only", action="store_true", help="only the sweep, not the training benchmark"
    )
    add_lengths_option(parser)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    n_ours = args.sequences or (131072 if cuda else 256)
    n_plain = args.plain_sequences or (8192 if cuda else 64)
    batch = args.batch_size or (512 if cuda else 32)
    codes, labels = synthetic_rows(max(n_ours, n_plain), lengths=args.lengths)
    flops = conv_flops(PAPER["kernels"])
    filled = 1 - fastconv.empty_windows(one_hot(torch.from_numpy(codes[:1024])), 10).float().mean()

    if args.sweep_only:
        if not (cuda and fastconv.use_triton(torch.zeros(1, 4, 8, device=device))):
            print("--sweep-only needs a CUDA device and Triton")
            return 1
        sweep(codes[: 4 * batch], device)
        return 0
    if cuda:
        name = torch.cuda.get_device_name(device)
        path = (
            "Triton kernels"
            if fastconv.use_triton(torch.zeros(1, 4, 8, device=device))
            else ("blocked PyTorch (Triton not importable)")
        )
        if path.startswith("Triton"):
            from deepcons import fastconv_triton as ft

            path += f", {ft.DEFAULT_PRECISION} operands"
    else:
        name = f"CPU, {torch.get_num_threads()} threads"
        path = "blocked PyTorch"
    if args.measure_peak or not cuda:
        peak = measure_peak(device)
        peak_note = "measured: bf16 matmul" if cuda else "measured: float32 matmul"
    else:
        peak, peak_note = args.peak_tflops, "--peak-tflops"
    print(f"device: {name}; fused layer: {path}")
    print(
        f"paper model, rows of {WIDTH} columns, batch {batch}; "
        f"conv forward {flops / 1e9:.3f} GFLOP per sequence"
    )
    print(
        f"sequence lengths: {args.lengths}; windows with a base (not all N): {100 * filled:.0f} %"
    )
    if not cuda:
        print(
            "NOTE: no GPU here: small sizes on CPU, a smoke test of the code path. "
            "The targets (>= 20x plain, >= 30 % of the floor) need a CUDA device: "
            "run with --device cuda on an H100."
        )

    # warm up both paths (allocators, cuDNN, Triton compilation)
    plain_loop(PAPER, codes[: 2 * batch], labels[: 2 * batch], batch, device)
    our_loop(PAPER, codes[: 2 * batch], labels[: 2 * batch], batch, device)

    plain = plain_loop(PAPER, codes[:n_plain], labels[:n_plain], batch, device)
    ours = our_loop(PAPER, codes[:n_ours], labels[:n_ours], batch, device)
    fastconv.SKIP_EMPTY_WINDOWS = False  # the same step computing the all-N windows too
    ours_dense = our_loop(PAPER, codes[:n_ours], labels[:n_ours], batch, device)
    fastconv.SKIP_EMPTY_WINDOWS = True
    floor = peak * 1e12 / flops
    layer_codes = codes[: (4 * batch if cuda else batch)]
    fwd, fwd_bwd = fused_layer(PAPER, layer_codes, device, reps=10 if cuda else 3)

    def row(label, rate):
        epoch = HG19_TRAIN / rate
        return f"{label:<44}{rate:12.1f} seq/s   hg19 epoch {epoch:10.1f} s"

    print(row(f"plain PyTorch ({n_plain} sequences)", plain))
    print(row(f"deepcons training step ({n_ours} sequences)", ours))
    print(row("  the same, every window computed (PyTorch blocks)", ours_dense))
    print(row(f"FLOP floor ({peak:.3g} TFLOP/s, {peak_note})", floor))
    print(
        f"fused conv layer alone: forward {fwd:.1f} seq/s ({fwd * flops / 1e12:.2f} TFLOP/s), "
        f"forward + backward {fwd_bwd:.1f} seq/s"
    )
    print(f"ratio ours / plain: {ours / plain:.2f}x (target on an H100: >= 20x)")
    print(f"ratio ours / floor: {100 * ours / floor:.1f} % (target on an H100: >= 30 %)")
    if args.sweep:
        if cuda and path.startswith("Triton"):
            sweep(codes[: 4 * batch], device)
        else:
            print("--sweep needs a CUDA device and Triton")
    return 0


if __name__ == "__main__":
    sys.exit(main())
