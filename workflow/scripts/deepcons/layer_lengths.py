"""Lengths through the conv/pool blocks of the DeepSEA-like model, without PyTorch: the
workflow checks a config with it before any job runs, and the model builds its layers by it."""

from __future__ import annotations


def deepsea_output_length(input_length: int, blocks: int, width: int, pool: int) -> int:
    """Columns left after ``blocks`` x (valid conv of ``width``, max-pool of ``pool``, stride
    ``pool``); below 1 when the input is too short."""
    length = input_length
    for _ in range(blocks):
        length = (length - width + 1) // pool
        if length < 1:
            return length
    return length
