"""Which device a step runs on: ``auto`` (CUDA when available), ``cpu`` or ``cuda``."""

from __future__ import annotations

from .errors import InputError


def resolve_device(name: str):
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError(
            f"device {name!r} asked for (train.device or --device), but PyTorch sees no CUDA "
            "device here: use auto or cpu, or install a CUDA build of PyTorch"
        )
    return torch.device(name)
