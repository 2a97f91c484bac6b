"""Training throughput: our loop against a plain PyTorch loop, same model and data, one run.

Ours: uint8 codes kept on the device, one-hot encoded inside the model, the fused
conv + global-max layer whose backward pass uses only the argmax windows.
Plain: float32 one-hot tensors from a standard DataLoader, nn.Conv1d -> ReLU -> max.

    .venv/bin/python bench/train.py [--sequences 1536] [--device cpu|cuda] [--kernels paper|small]
        [--lengths uniform|phastcons]

Prints sequences per second of both and the ratio (target on CPU: at least 2x).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))

from train_gpu import add_lengths_option, our_loop, synthetic_rows  # noqa: E402  (bench/ is on the path)

from deepcons.model import build_model  # noqa: E402

PAPER = {"kernels": {10: 1000, 20: 500}, "hidden": 1500}
SMALL = {"kernels": {10: 128, 20: 64}, "hidden": 128}


class OneHotDataset(torch.utils.data.Dataset):
    """What a plain implementation does: a float32 one-hot tensor per sequence."""

    def __init__(self, codes, labels):
        self.codes, self.labels = codes, labels

    def __len__(self):
        return len(self.codes)

    def __getitem__(self, i):
        x = F.one_hot(torch.from_numpy(self.codes[i].astype(np.int64)), 5)[:, :4].T.float()
        return x, torch.tensor(float(self.labels[i]))


def plain_loop(hparams, codes, labels, batch_size, device) -> float:
    torch.manual_seed(0)
    model = build_model(hparams, fast=False).to(device)
    optimizer = torch.optim.Adagrad(model.parameters(), lr=0.005)
    loader = torch.utils.data.DataLoader(
        OneHotDataset(codes, labels), batch_size=batch_size, shuffle=True
    )
    model.train()
    start = time.perf_counter()
    for x, y in loader:
        logits = model.forward_one_hot(x.to(device))
        loss = F.binary_cross_entropy_with_logits(logits, y.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return len(codes) / (time.perf_counter() - start)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sequences", type=int, default=1536)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--kernels", choices=["paper", "small"], default="paper")
    add_lengths_option(parser)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    hparams = PAPER if args.kernels == "paper" else SMALL
    codes, labels = synthetic_rows(args.sequences, lengths=args.lengths)
    # warm up both paths (allocators, kernels)
    plain_loop(
        hparams, codes[: args.batch_size], labels[: args.batch_size], args.batch_size, device
    )
    our_loop(
        hparams,
        codes[: args.batch_size * 2],
        labels[: args.batch_size * 2],
        args.batch_size,
        device,
    )
    plain = plain_loop(hparams, codes, labels, args.batch_size, device)
    ours = our_loop(hparams, codes, labels, args.batch_size, device)
    print(
        f"device {device}, model {args.kernels} ({sum(hparams['kernels'].values())} kernels), {args.sequences} sequences x 2020 columns ({args.lengths} lengths), batch {args.batch_size}, {torch.get_num_threads()} threads"
    )
    print(f"plain PyTorch loop (float32 one-hot DataLoader): {plain:10.1f} seq/s")
    print(f"deepcons training loop:                          {ours:10.1f} seq/s")
    print(f"ratio (ours / plain): {ours / plain:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
