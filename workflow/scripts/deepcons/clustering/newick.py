"""The tree as Newick text, and its leaves read back."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from .tree import node_children

_NEWICK_SPECIAL = re.compile(r"[\s()\[\]':;,]")


def newick_label(label: str) -> str:
    if _NEWICK_SPECIAL.search(label):
        return "'" + label.replace("'", "''") + "'"
    return label


def format_newick(linkage: np.ndarray, labels: Sequence[str], digits: int = 6) -> str:
    """Newick text of a scipy linkage tree; branch length = parent height - child height.

    Built without recursion, so that deep trees of thousands of leaves are fine.
    """
    n = len(labels)
    if n == 1:
        return newick_label(labels[0]) + ";"
    children = node_children(linkage, n)
    height = np.concatenate([np.zeros(n), linkage[:, 2]])
    text: dict[int, str] = {leaf: newick_label(str(labels[leaf])) for leaf in range(n)}
    for t, (left, right) in enumerate(children):
        parts = []
        for child in (left, right):
            length = max(0.0, float(height[n + t] - height[child]))
            parts.append(f"{text.pop(child)}:{length:.{digits}g}")
        text[n + t] = "(" + ",".join(parts) + ")"
    return text[2 * n - 2] + ";"


def parse_newick_leaves(newick: str) -> list[str]:
    """Leaf labels of a Newick tree, left to right (quoted labels unquoted)."""
    leaves, i, text = [], 0, newick.strip()
    previous = "("
    while i < len(text):
        ch = text[i]
        if ch == "'":
            j, label = i + 1, []
            while j < len(text):
                if text[j] == "'" and j + 1 < len(text) and text[j + 1] == "'":
                    label.append("'")
                    j += 2
                elif text[j] == "'":
                    break
                else:
                    label.append(text[j])
                    j += 1
            if previous in "(,":
                leaves.append("".join(label))
            i, previous = j + 1, "x"
        elif ch in "(),;":
            i, previous = i + 1, ch
        elif ch == ":":
            j = i + 1
            while j < len(text) and text[j] not in "(),;":
                j += 1
            i, previous = j, ":"
        elif ch.isspace():
            i += 1
        else:
            j = i
            while j < len(text) and text[j] not in "():,;" and not text[j].isspace():
                j += 1
            if previous in "(,":
                leaves.append(text[i:j])
            i, previous = j, "x"
    return leaves
