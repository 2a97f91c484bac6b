"""Nucleotide-level scores of a trained model: saliency maps and in-silico mutagenesis.

Saliency (paper section 3.5): the gradient of the output logit with respect to the one-hot
input, times the input, negatives clipped to 0. The model sees each base twice, at its
forward column ``i`` and, complemented, at its mirror ``reverse_start + L - 1 - i`` in the
reverse-complement half; by default a base's score is the sum of its two clipped columns, so
it counts what the base contributes through either strand (a kernel whose maximum lies in the
reverse-complement half passes its gradient there only). ``strands="forward"`` keeps the
forward column alone, as the authors' published scripts do.

In-silico mutagenesis: every base changed to each of the three others, an N to each of the
four bases (on both strands of the encoded row), the change in logit and in probability, all
variants of a sequence batched through the model.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .encoding import COMPLEMENT_CODE, Layout, encode_rows
from .evaluation import sigmoid
from .model import one_hot


def _batches(n: int, batch_size: int):
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


SALIENCY_STRANDS = ("both", "forward")


def compute_saliency(
    model,
    sequences: list[np.ndarray],
    layout: Layout,
    batch_size: int = 128,
    device="cpu",
    strands: str = "both",
) -> list[np.ndarray]:
    """Saliency of every base of every sequence.

    Parameters
    ----------
    sequences : list of (L_i,) uint8 code arrays, L_i <= layout.pad_length.
    strands : "both" (forward plus mirror column) or "forward" (the forward column only).

    Returns
    -------
    list of (L_i,) float32 arrays: clipped gradient x input.
    """
    if strands not in SALIENCY_STRANDS:
        raise ValueError(f"strands must be one of {SALIENCY_STRANDS}, not {strands!r}")
    model.to(device).eval()
    dtype = next(model.parameters()).dtype
    rows = encode_rows(sequences, layout)
    out: list[np.ndarray] = []
    for part in _batches(len(rows), batch_size):
        x = one_hot(torch.from_numpy(rows[part]).to(device), dtype).requires_grad_(True)
        logits = model.forward_one_hot(x)
        (grad,) = torch.autograd.grad(logits.sum(), x)
        contribution = (grad * x).sum(1).clamp_min(0).detach().cpu().numpy()  # (B, width)
        for b, seq in zip(range(len(contribution)), sequences[part], strict=True):
            length = len(seq)
            score = contribution[b, :length]
            if strands == "both":
                start = layout.reverse_start
                score = score + contribution[b, start : start + length][::-1]
            out.append(score.astype(np.float32))
    return out


def mutant_rows(sequence: np.ndarray, layout: Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The encoded reference row and its single-base mutants: the three other bases at a
    base, all four at an N (3L of them without N).

    Returns
    -------
    rows : (1 + M, width) uint8, the reference first.
    position, alt : (M,) base position and new code of each mutant.
    """
    length = len(sequence)
    reference = encode_rows([sequence], layout)[0]
    alts = [[c for c in range(4) if c != ref] for ref in np.minimum(sequence, 4)]
    position = np.repeat(np.arange(length), [len(a) for a in alts])
    alt = np.concatenate(alts).astype(np.uint8) if length else np.zeros(0, np.uint8)
    rows = np.repeat(reference[None], 1 + len(alt), axis=0)
    index = np.arange(1, 1 + len(alt))
    rows[index, position] = alt
    rows[index, layout.reverse_start + length - 1 - position] = COMPLEMENT_CODE[alt]
    return rows, position, alt


@torch.no_grad()
def logits_of_rows(model, rows: np.ndarray, batch_size: int = 256, device="cpu") -> np.ndarray:
    model.to(device).eval()
    out = [
        model(torch.from_numpy(rows[part]).to(device)).float().cpu().numpy()
        for part in _batches(len(rows), batch_size)
    ]
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def _range_max_table(values: torch.Tensor) -> list[torch.Tensor]:
    """Sparse table of maxima over power-of-two spans: table[j][:, p] = max(values[:, p : p + 2**j])."""
    table = [values]
    span = 1
    while 2 * span <= values.shape[1]:
        prev = table[-1]
        table.append(torch.maximum(prev[:, :-span], prev[:, span:]))
        span *= 2
    return table


def _range_max(table: list[torch.Tensor], left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
    """Max of values[:, left_t : right_t] per query t (empty ranges give -inf): (K, T)."""
    length = (right - left).clamp_min(0)
    level = torch.where(
        length > 0,
        torch.floor(torch.log2(length.clamp_min(1).double())).long(),
        torch.zeros_like(length),
    )
    out = torch.full(
        (table[0].shape[0], len(left)), -torch.inf, dtype=table[0].dtype, device=table[0].device
    )
    for j in torch.unique(level[length > 0]).tolist():
        t = torch.nonzero((level == j) & (length > 0)).squeeze(1)
        span = 1 << j
        out[:, t] = torch.maximum(table[j][:, left[t]], table[j][:, right[t] - span])
    return out


@torch.no_grad()
def _ism_logits_deepcons(
    model, rows: np.ndarray, position: np.ndarray, layout: Layout, length: int, device
) -> np.ndarray:
    """Logits of the reference row and its mutants, recomputing only what a mutation changes.

    A substitution at base i changes the convolution only at the w positions whose window
    covers column i or its mirror; the pooled maximum of a kernel is the larger of the new
    values there and the reference's maximum over every other position (a range-maximum
    table answers that), so each mutant costs 2w positions instead of the whole row.
    """
    dtype = next(model.parameters()).dtype
    ref_x = one_hot(torch.from_numpy(rows[:1]).to(device), dtype)
    mutants = torch.from_numpy(rows[1:]).to(device)
    forward_col = torch.from_numpy(position).to(device)
    mirror_col = layout.reverse_start + length - 1 - forward_col
    pooled = []
    for conv in model.convs:
        w = conv.kernel_size[0]
        ref_conv = F.conv1d(ref_x, conv.weight, conv.bias)[0]  # (K, P)
        n_pos = ref_conv.shape[1]
        table = _range_max_table(ref_conv)
        best = None
        spans = []
        for col in (forward_col, mirror_col):
            first = (col - w + 1).clamp_min(0)  # affected positions: [first, last]
            last = col.clamp_max(n_pos - 1)
            spans.append((first, last))
            # the mutant's columns [first, last + w) give its conv values at [first, last]
            offsets = torch.arange(2 * w - 1, device=device)
            cols = (first[:, None] + offsets).clamp_max(rows.shape[1] - 1)
            window = one_hot(torch.gather(mutants, 1, cols), dtype)  # (T, 4, 2w-1)
            values = F.conv1d(window, conv.weight, conv.bias)  # (T, K, w)
            valid = offsets[:w][None, :] <= (last - first)[:, None]  # (T, w)
            values = values.masked_fill(~valid[:, None, :], -torch.inf).amax(2)  # (T, K)
            best = values if best is None else torch.maximum(best, values)
        (f_first, f_last), (m_first, m_last) = spans
        zero = torch.zeros_like(f_first)
        outside = torch.maximum(
            torch.maximum(
                _range_max(table, zero, f_first),
                _range_max(table, m_last + 1, torch.full_like(m_last, n_pos)),
            ),
            _range_max(table, f_last + 1, m_first),
        ).T  # (T, K): the reference maximum away from both affected spans
        pooled.append(torch.maximum(best, outside).clamp_min(0))
        pooled[-1] = torch.cat([ref_conv.amax(1).clamp_min(0)[None], pooled[-1]])
    logits = model.head(torch.cat(pooled, 1)).squeeze(-1)
    return logits.float().cpu().numpy()


def compute_ism(
    model, sequence: np.ndarray, layout: Layout, batch_size: int = 256, device="cpu"
) -> dict:
    """All single-base substitutions of one sequence.

    The DeepCons architecture is scored incrementally (:func:`_ism_logits_deepcons`);
    others by running every mutant through the model in batches.

    Returns
    -------
    dict with ``position``, ``ref`` (codes), ``alt`` (codes), ``delta_logit`` and
    ``delta_prob`` arrays (one entry per mutant of :func:`mutant_rows`), and ``ref_logit``,
    ``ref_prob`` floats.
    """
    from .model import DeepConsCNN

    rows, position, alt = mutant_rows(sequence, layout)
    model.to(device).eval()
    if isinstance(model, DeepConsCNN):
        logits = _ism_logits_deepcons(model, rows, position, layout, len(sequence), device).astype(
            np.float64
        )
    else:
        logits = logits_of_rows(model, rows, batch_size, device).astype(np.float64)
    prob = sigmoid(logits)
    return {
        "position": position,
        "ref": np.asarray(sequence)[position],
        "alt": alt,
        "delta_logit": logits[1:] - logits[0],
        "delta_prob": prob[1:] - prob[0],
        "ref_logit": float(logits[0]),
        "ref_prob": float(prob[0]),
    }


def ism_matrix(ism: dict, length: int, value: str = "delta_logit") -> np.ndarray:
    """(L, 4) matrix of a value per position and new base; the reference base's cell is 0."""
    matrix = np.zeros((length, 4))
    matrix[ism["position"], ism["alt"]] = ism[value]
    return matrix
