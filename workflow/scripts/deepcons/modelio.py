"""Model files: safetensors weights plus a JSON of hyper-parameters and provenance.

Nothing is ever unpickled: weights are read by safetensors, which refuses anything that is
not its own format, and their SHA-256 must match the one recorded in the JSON, so a
tampered or swapped weights file is refused too.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from pathlib import Path

from .atomic import atomic_open, atomic_path
from .errors import InputError

WEIGHTS = "model.safetensors"
METADATA = "model.json"


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 22) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for name in ("torch", "numpy", "safetensors", "scikit-learn", "snakemake", "deepcons"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            pass
    return versions


def save_model(model, hparams: dict, directory_or_weights, provenance: dict | None = None) -> Path:
    """Write ``model.safetensors`` and ``model.json`` (or the given weights path + .json)."""
    from safetensors.torch import save_file

    weights, metadata = model_paths(directory_or_weights)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    # weights first, then their description: a kill between the two leaves a description
    # whose checksum does not match, which loading refuses
    with atomic_path(weights, suffix=".safetensors") as tmp:
        save_file(state, str(tmp))
        digest = sha256_file(tmp)
    info = {
        "format": "deepcons-model-1",
        "hparams": hparams,
        "weights": weights.name,
        "weights_sha256": digest,
        "parameters": int(sum(v.numel() for v in state.values())),
        "provenance": {**(provenance or {}), "versions": package_versions()},
    }
    with atomic_open(metadata) as out:
        json.dump(info, out, indent=2, sort_keys=True, default=str)
        out.write("\n")
    return weights


def model_paths(directory_or_weights) -> tuple[Path, Path]:
    """(weights, metadata) for a model directory or a ``*.safetensors`` path."""
    path = Path(directory_or_weights)
    if path.suffix == ".safetensors":
        return path, path.with_suffix(".json")
    return path / WEIGHTS, path / METADATA


def read_metadata(directory_or_weights) -> dict:
    _, metadata = model_paths(directory_or_weights)
    try:
        with open(metadata) as handle:
            info = json.load(handle)
    except (OSError, json.JSONDecodeError) as err:
        raise InputError(f"not a deepcons model description ({err})", metadata) from None
    if info.get("format") != "deepcons-model-1":
        raise InputError("not a deepcons model description (format key missing)", metadata)
    return info


def load_model(directory_or_weights, device="cpu", fast: bool = True):
    """Rebuild a model from its files; returns (model in eval mode, metadata).

    Raises InputError when the weights are not a safetensors file, do not match the
    recorded checksum, or do not fit the recorded architecture.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from .model import build_model

    weights, _ = model_paths(directory_or_weights)
    info = read_metadata(directory_or_weights)
    if not weights.exists():
        raise InputError("weights file missing", weights)
    if sha256_file(weights) != info["weights_sha256"]:
        raise InputError(
            "weights do not match the checksum in the model description (modified or replaced file)",
            weights,
        )
    try:
        state = load_file(str(weights), device="cpu")
    except (SafetensorError, OSError, ValueError) as err:
        raise InputError(f"not a safetensors weights file ({err})", weights) from None
    model = build_model(info["hparams"], fast=fast)
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise InputError(f"weights do not fit the model description: {err}", weights) from None
    return model.to(device).eval(), info
