"""Synthetic labelled sequences with a motif planted in the positives."""

from __future__ import annotations

import numpy as np

from deepcons.encoding import Layout, codes_of, encode_rows


def planted_dataset(n=600, length=60, motif="TGACTCA", seed=0, layout=None):
    """Random sequences; half carry ``motif`` at a random place (label 1).

    Returns encoded rows (n, layout.width), labels (n,), the raw code arrays and the
    motif start in each positive (-1 in negatives).
    """
    layout = layout or Layout(80, 4)
    rng = np.random.default_rng(seed)
    motif_codes = codes_of(motif)
    seqs, labels, starts = [], [], []
    for i in range(n):
        seq = rng.integers(0, 4, length).astype(np.uint8)
        label = i % 2
        start = -1
        if label:
            start = int(rng.integers(0, length - len(motif_codes)))
            seq[start : start + len(motif_codes)] = motif_codes
        seqs.append(seq)
        labels.append(label)
        starts.append(start)
    return encode_rows(seqs, layout), np.array(labels, dtype=np.uint8), seqs, np.array(starts)
