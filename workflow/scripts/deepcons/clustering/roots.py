"""Root motifs (step 4): members aligned along the tree, averaged and trimmed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..meme_io import information_content, reverse_complement
from .similarity import DIRECT, Similarity, frequencies
from .tree import subtree_nodes


def _place(frame: dict, member: int) -> tuple[int, int]:
    k = frame["members"].index(member)
    return frame["strands"][k], frame["starts"][k]


def _merge_frames(fa: dict, fb: dict, sim: Similarity, tree: np.ndarray) -> dict:
    """Align subtree ``fb`` onto ``fa`` by their most similar pair (RSAT's progressive alignment).

    A frame lists members with their strand (1 or -1) and the start of their (possibly
    reverse-complemented) matrix in the frame's coordinates.
    """
    a_members, b_members = fa["members"], fb["members"]
    block = tree[np.ix_(a_members, b_members)]
    ia, ib = np.unravel_index(np.argmax(block), block.shape)
    a, b = a_members[ia], b_members[ib]
    widths = sim.widths
    strand_a, start_a = _place(fa, a)
    offset, strand_ab = int(sim.offset[a, b]), int(sim.strand[a, b])
    if strand_a == DIRECT:
        start_b, strand_b = start_a + offset, strand_ab
    else:
        # a is reverse-complemented in the frame: mirror the pair's alignment with it.
        start_b, strand_b = start_a + widths[a] - offset - widths[b], -strand_ab
    old_strand_b, old_start_b = _place(fb, b)
    if strand_b == old_strand_b:
        shift = start_b - old_start_b
        new_starts = [s + shift for s in fb["starts"]]
        new_strands = list(fb["strands"])
    else:
        # Flip fb's frame: position p maps to c - p, chosen so that b lands at start_b.
        c = start_b + old_start_b + widths[b] - 1
        new_starts = [c - (s + widths[m] - 1) for s, m in zip(fb["starts"], b_members, strict=True)]
        new_strands = [-s for s in fb["strands"]]
    starts = fa["starts"] + new_starts
    low = min(starts)
    return {
        "members": a_members + b_members,
        "strands": fa["strands"] + new_strands,
        "starts": [s - low for s in starts],
    }


def align_cluster(head: int, children, n: int, sim: Similarity, tree: np.ndarray) -> dict:
    frames: dict[int, dict] = {}

    def frame_of(node: int) -> dict:
        if node < n:
            return {"members": [node], "strands": [DIRECT], "starts": [0]}
        return frames.pop(node)

    for t in subtree_nodes(head, children, n):
        left, right = children[t - n]
        frames[t] = _merge_frames(frame_of(left), frame_of(right), sim, tree)
    return frame_of(head)


def root_matrix(
    frame: dict, mats: list[np.ndarray], weights: Mapping[int, float], trim_ic: float
) -> tuple[np.ndarray, int]:
    """Weighted average of the aligned members where they cover a column; low-IC flanks cut.

    Returns
    -------
    probs : ndarray, shape (width, 4)
    left : int
        Columns trimmed from the left of the alignment.
    """
    widths = [len(mats[m]) for m in frame["members"]]
    length = max(s + w for s, w in zip(frame["starts"], widths, strict=True))
    total = np.zeros((length, 4))
    weight = np.zeros(length)
    for member, strand, start in zip(
        frame["members"], frame["strands"], frame["starts"], strict=True
    ):
        mat = mats[member] if strand == DIRECT else reverse_complement(mats[member])
        total[start : start + len(mat)] += weights[member] * mat
        weight[start : start + len(mat)] += weights[member]
    probs = np.divide(
        total, weight[:, None], out=np.full_like(total, 0.25), where=weight[:, None] > 0
    )
    probs = frequencies(probs)
    probs[probs.sum(axis=1) == 0] = 0.25
    keep = np.flatnonzero(information_content(probs) >= trim_ic)
    if len(keep) == 0:  # nothing informative: keep the alignment whole rather than nothing
        return probs, 0
    return probs[keep[0] : keep[-1] + 1], int(keep[0])


def member_weights(members: Sequence[int], nsites: list[float | None], weighting: str) -> dict:
    """Weight of each member in its root: its nsites, or 1 for all when one of them lacks it."""
    known = [nsites[m] for m in members]
    if weighting == "equal" or any(s is None or s <= 0 for s in known):
        return dict.fromkeys(members, 1.0)
    return {m: float(s) for m, s in zip(members, known, strict=True)}
