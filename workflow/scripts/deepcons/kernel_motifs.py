"""Kernels to motifs (paper section 3.2): activation-weighted windows at each kernel's maximum.

For every sequence and every first-layer kernel, the input window at the kernel's maximum
activation, weighted by that (ReLU'd) activation, is added to the kernel's count matrix,
which starts at 1e-5 everywhere; rows are then normalised to probabilities. ``nsites`` is the
number of sequences that activate the kernel at all.
"""

from __future__ import annotations

import numpy as np
import torch

from .fastconv import conv_max_argmax, weighted_window_sum
from .meme_io import Motif
from .model import one_hot

PSEUDOCOUNT = 1e-5


@torch.no_grad()
def kernel_counts(model, codes, batch_size: int = 256, device="cpu", progress=None):
    """Activation-weighted window counts of every first-layer kernel.

    Parameters
    ----------
    codes : (n, L) uint8 encoded rows (a memory-mapped array is fine).

    Returns
    -------
    list of (width, counts (K, w, 4) float64, nsites (K,) int64), one per conv layer.
    """
    model.to(device).eval()
    layers = list(model.convs)
    counts = [
        torch.zeros(c.out_channels, 4, c.kernel_size[0], dtype=torch.float64, device=device)
        for c in layers
    ]
    nsites = [torch.zeros(c.out_channels, dtype=torch.int64, device=device) for c in layers]
    for start in range(0, len(codes), batch_size):
        # a copy: the codes may be a read-only memory map, which torch will not wrap
        batch = torch.from_numpy(np.array(codes[start : start + batch_size])).to(device)
        x = one_hot(batch, layers[0].weight.dtype)
        for i, conv in enumerate(layers):
            values, argmax = conv_max_argmax(x, conv.weight, conv.bias, codes=batch)
            activation = values.clamp_min(0)
            width = conv.kernel_size[0]
            counts[i] += weighted_window_sum(x, argmax, activation, width, batch).double()
            nsites[i] += (activation > 0).sum(0)
        if progress is not None:
            progress.update(len(batch))
    return [
        (conv.kernel_size[0], c.transpose(1, 2).cpu().numpy(), s.cpu().numpy())
        for conv, c, s in zip(layers, counts, nsites, strict=True)
    ]


def counts_to_motifs(layer_counts, ids: list[str]) -> list[Motif]:
    """Probability matrices (pseudocount 1e-5, rows normalised) named by ``ids`` in order."""
    motifs = []
    for _, counts, nsites in layer_counts:
        probs = counts + PSEUDOCOUNT
        probs = probs / probs.sum(axis=2, keepdims=True)
        for k in range(len(probs)):
            motifs.append(Motif(ids[len(motifs)], probs[k], nsites=float(nsites[k])))
    return motifs


def kernel_motifs(model, codes, batch_size: int = 256, device="cpu", progress=None) -> list[Motif]:
    """The paper's motif of every first-layer kernel, ids ``k{width}_{index}``."""
    return counts_to_motifs(
        kernel_counts(model, codes, batch_size, device, progress), model.kernel_ids()
    )
