"""Training with Adagrad and early stopping, resumable after a kill at any point.

After every epoch the whole training state (model, optimiser, best weights, early-stopping
counters, random-number generators, history) is written atomically into one safetensors
file in the checkpoint folder, outside the rule's outputs. A rerun with the same
configuration and data continues from the last completed epoch and, on CPU, ends with the
same weights as an uninterrupted run.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .atomic import atomic_path, remove_stale_temporaries
from .devices import resolve_device
from .errors import InputError
from .logs import Progress

log = logging.getLogger(__name__)

CHECKPOINT = "state.safetensors"
HISTORY_COLUMNS = ["epoch", "train_loss", "valid_loss", "valid_auc", "seconds", "train_seq_per_s"]


@dataclass
class TrainSettings:
    batch_size: int = 128
    max_epochs: int = 100
    patience: int = 10
    learning_rate: float = 0.005
    seed: int = 1
    device: str = "auto"
    eval_batch_size: int = 512


@dataclass
class TrainState:
    epoch: int = 0  # completed epochs
    best_epoch: int = 0
    best_loss: float = math.inf
    bad_epochs: int = 0
    stopped_early: bool = False
    history: list[dict] = field(default_factory=list)


def fingerprint(*parts) -> str:
    """A short hash of JSON-able parts (configuration, data hashes)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def hash_files(paths) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            while block := handle.read(1 << 24):
                digest.update(block)
    return digest.hexdigest()


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    if len(np.unique(labels)) < 2:
        return float("nan")
    return float(roc_auc_score(labels, scores))


class Checkpoint:
    """The training state in ``directory/state.safetensors`` (tensors + JSON metadata)."""

    def __init__(self, directory: str | os.PathLike):
        self.path = Path(directory) / CHECKPOINT

    def save(self, model, best_state, optimizer, shuffle_gen, state: TrainState, key: str) -> None:
        from safetensors.torch import save_file

        tensors = {
            f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()
        }
        tensors.update({f"best.{k}": v.detach().cpu().contiguous() for k, v in best_state.items()})
        for i, p in enumerate(optimizer.param_groups[0]["params"]):
            for name, value in optimizer.state.get(p, {}).items():
                tensors[f"optim.{i}.{name}"] = torch.as_tensor(value).detach().cpu().contiguous()
        tensors["rng.torch"] = torch.get_rng_state()
        tensors["rng.shuffle"] = shuffle_gen.get_state()
        if torch.cuda.is_available():
            tensors["rng.cuda"] = torch.cuda.get_rng_state()
        meta = {"state": json.dumps(asdict(state)), "key": key}
        with atomic_path(self.path, suffix=".safetensors") as tmp:
            save_file(tensors, str(tmp), metadata=meta)

    def load(self, model, optimizer, shuffle_gen, key: str) -> tuple[TrainState, dict] | None:
        """Restore everything saved; None when there is no checkpoint or it is for other work."""
        from safetensors import safe_open

        remove_stale_temporaries(self.path)
        if not self.path.exists():
            return None
        try:
            with safe_open(str(self.path), framework="pt") as f:
                meta = f.metadata() or {}
                tensors = {k: f.get_tensor(k) for k in f.keys()}
        except Exception as err:  # a damaged checkpoint only costs the epochs it held
            log.warning("checkpoint %s unreadable (%s); starting over", self.path, err)
            return None
        if meta.get("key") != key:
            log.info(
                "checkpoint %s is for another configuration or data set; starting over", self.path
            )
            return None
        model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
        best = {k[5:]: v for k, v in tensors.items() if k.startswith("best.")}
        params = optimizer.param_groups[0]["params"]
        for name, value in tensors.items():
            if name.startswith("optim."):
                _, i, field_name = name.split(".", 2)
                param = params[int(i)]
                # Adagrad keeps its step count on the CPU, its sums beside the parameter
                optimizer.state[param][field_name] = (
                    value if field_name == "step" else value.to(param.device)
                )
        torch.set_rng_state(tensors["rng.torch"])
        shuffle_gen.set_state(tensors["rng.shuffle"])
        if "rng.cuda" in tensors and torch.cuda.is_available():
            torch.cuda.set_rng_state(tensors["rng.cuda"])
        state = TrainState(**json.loads(meta["state"]))
        return state, best

    def remove(self) -> None:
        if self.path.exists():
            self.path.unlink()


def evaluate(
    model, codes: torch.Tensor, labels: torch.Tensor, batch_size: int
) -> tuple[float, float, np.ndarray]:
    """Mean BCE loss, AUC and logits of a whole split (eval mode, no gradients)."""
    model.eval()
    logits = []
    with torch.no_grad():
        for start in range(0, len(codes), batch_size):
            logits.append(model(codes[start : start + batch_size]).float())
    logits = torch.cat(logits)
    loss = F.binary_cross_entropy_with_logits(logits, labels.float()).item()
    scores = logits.cpu().numpy()
    return loss, roc_auc(labels.cpu().numpy(), scores), scores


def _progress(total: int, desc: str):
    """A tqdm bar in an interactive terminal; in a log, a line every 30 s (done, rate, time left)."""
    if not sys.stderr.isatty():
        return Progress(desc, total, every=30.0, logger=log)
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="seq", leave=False, dynamic_ncols=True)


def _on_device(array: np.ndarray, device, dtype=None) -> torch.Tensor:
    """A data set in memory on ``device``: read once from its (read-only) memory map."""
    return torch.from_numpy(np.array(array, dtype=dtype)).to(device)


def check_finite(model, total_loss: float, epoch: int) -> None:
    """Stop with one clear line when training diverged (a NaN or infinite loss or weight)."""
    if math.isfinite(total_loss) and all(bool(p.isfinite().all()) for p in model.parameters()):
        return
    raise InputError(
        f"training diverged in epoch {epoch} (a loss or weight is NaN or infinite): "
        "lower train.learning_rate",
        "config train.learning_rate",
    )


def train(
    model,
    train_data: tuple[np.ndarray, np.ndarray],
    valid_data: tuple[np.ndarray, np.ndarray],
    settings: TrainSettings,
    checkpoint: Checkpoint,
    key: str,
    on_epoch: Callable[[TrainState], None] | None = None,
):
    """Train ``model`` until early stopping; return (best weights, TrainState).

    Parameters
    ----------
    train_data, valid_data : (codes (n, L) uint8, labels (n,)) arrays (memory-mapped is fine).
    checkpoint : where the resumable state lives between epochs.
    key : identifies the configuration and data; a checkpoint with another key is ignored.
    on_epoch : called after each epoch (history written, figure drawn...).
    """
    args = (model, train_data, valid_data, settings, checkpoint, key, on_epoch)
    # --- CUDA only (CPU untouched): the dense head's matmuls in TF32, fp32 accumulation ---
    # (the fused conv layer's operands are chosen by deepcons.fastconv_triton: bf16)
    if resolve_device(settings.device).type != "cuda":
        return _train(*args)
    previous = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = True
    try:
        return _train(*args)
    finally:
        torch.backends.cuda.matmul.allow_tf32 = previous


def _step(optimizer, device) -> None:
    """The optimizer's update; on CPU on one thread. PyTorch splits the square root of
    Adagrad's sums (over 2,048 values) between threads, and on several threads the update
    was, now and then, not the same bit for bit; on one it is (and it is quick anyway)."""
    if device.type != "cpu" or torch.get_num_threads() == 1:
        optimizer.step()
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        optimizer.step()
    finally:
        torch.set_num_threads(threads)


def _train(model, train_data, valid_data, settings, checkpoint, key, on_epoch):
    """:func:`train` itself."""
    device = resolve_device(settings.device)
    torch.manual_seed(settings.seed)
    model.to(device)
    # Codes stay uint8 on the device; batches are one-hot encoded inside the model.
    train_codes = _on_device(train_data[0], device)
    train_labels = _on_device(train_data[1], device, np.float32)
    valid_codes = _on_device(valid_data[0], device)
    valid_labels = _on_device(valid_data[1], device, np.float32)
    optimizer = torch.optim.Adagrad(model.parameters(), lr=settings.learning_rate)
    shuffle_gen = torch.Generator().manual_seed(settings.seed)
    state, best_state = TrainState(), copy.deepcopy(model.state_dict())
    restored = checkpoint.load(model, optimizer, shuffle_gen, key)
    if restored is not None:
        state, best_state = restored
        log.info(
            "resumed from the checkpoint after epoch %d (best epoch %d, valid loss %.4f)",
            state.epoch,
            state.best_epoch,
            state.best_loss,
        )
    n = len(train_codes)
    log.info(
        "training on %s: %d train, %d valid sequences, batch %d",
        device,
        n,
        len(valid_codes),
        settings.batch_size,
    )
    while state.epoch < settings.max_epochs and not state.stopped_early:
        epoch = state.epoch + 1
        start = time.monotonic()
        order = torch.randperm(n, generator=shuffle_gen).to(device)
        total_loss = _train_epoch(
            model, optimizer, train_codes, train_labels, order, settings.batch_size, epoch
        )
        train_seconds = time.monotonic() - start
        check_finite(model, total_loss, epoch)
        valid_loss, valid_auc, _ = evaluate(
            model, valid_codes, valid_labels, settings.eval_batch_size
        )
        seconds = time.monotonic() - start
        row = {
            "epoch": epoch,
            "train_loss": round(total_loss / n, 6),
            "valid_loss": round(valid_loss, 6),
            "valid_auc": round(valid_auc, 6),
            "seconds": round(seconds, 3),
            "train_seq_per_s": round(n / max(train_seconds, 1e-9), 1),
        }
        state.history.append(row)
        state.epoch = epoch
        if valid_loss < state.best_loss:
            state.best_loss, state.best_epoch, state.bad_epochs = valid_loss, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            state.bad_epochs += 1
            state.stopped_early = state.bad_epochs >= settings.patience
        log.info(
            "epoch %d/%d: train loss %.4f, valid loss %.4f, valid AUC %.4f, %.1f s (%.0f seq/s)%s",
            epoch,
            settings.max_epochs,
            row["train_loss"],
            valid_loss,
            valid_auc,
            seconds,
            row["train_seq_per_s"],
            " *" if state.best_epoch == epoch else "",
        )
        checkpoint.save(model, best_state, optimizer, shuffle_gen, state, key)
        if on_epoch is not None:
            on_epoch(state)
    if state.stopped_early:
        log.info(
            "early stop after epoch %d: no lower validation loss for %d epochs",
            state.epoch,
            settings.patience,
        )
    log.info("best epoch %d, valid loss %.4f", state.best_epoch, state.best_loss)
    model.load_state_dict(best_state)
    return best_state, state


def _train_epoch(model, optimizer, codes, labels, order, batch_size: int, epoch: int) -> float:
    """One pass over the training rows in ``order``, a step a batch; the summed loss."""
    device = codes.device
    model.train()
    total_loss = torch.zeros((), device=device)
    progress = _progress(len(order), f"epoch {epoch}")
    for first in range(0, len(order), batch_size):
        index = order[first : first + batch_size]
        logits = model(codes[index])
        loss = F.binary_cross_entropy_with_logits(logits, labels[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        _step(optimizer, device)
        total_loss += loss.detach() * len(index)
        progress.update(len(index))
    progress.close()
    if device.type == "cuda":  # the queued kernels belong to this epoch's time
        torch.cuda.synchronize(device)
    return total_loss.item()


def write_history(path, history: list[dict]) -> None:
    from .atomic import atomic_open

    with atomic_open(path) as out:
        out.write("\t".join(HISTORY_COLUMNS) + "\n")
        for row in history:
            out.write("\t".join(str(row[c]) for c in HISTORY_COLUMNS) + "\n")
