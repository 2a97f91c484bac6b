"""The paper's baseline: logistic regression on standardised k-mer counts (section 5.4).

The paper minimises the mean cross-entropy plus ``l2 * ||w||^2`` (a Keras L2 regulariser).
scikit-learn minimises ``C * sum_i loss_i + ||w||^2 / 2``. Dividing the latter by ``C * n``
gives ``mean_i loss_i + ||w||^2 / (2 C n)``, so the two agree when ``C = 1 / (2 * l2 * n)``
(n = number of training sequences); the intercept is not penalised in either.

The fitted model is stored as JSON (k-mer names, scaler, coefficients): nothing is pickled.
"""

from __future__ import annotations

import json
import logging
import time

import numpy as np

from .atomic import atomic_open
from .kmers import count_kmers, kmer_names

log = logging.getLogger(__name__)


def c_from_l2(l2: float, n: int) -> float:
    """scikit-learn's C equivalent to an L2 penalty ``l2`` on the mean loss of n samples."""
    return float("inf") if l2 == 0 else 1.0 / (2.0 * l2 * n)


def features(codes: np.ndarray, kmax: int, length: int | None = None) -> np.ndarray:
    """float32 k-mer counts of the forward part (first ``length`` columns) of encoded rows."""
    forward = codes if length is None else codes[:, :length]
    return count_kmers(forward, kmax, dtype=np.float32)


def standardise_in_place(x: np.ndarray, chunk: int = 65_536) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations of ``x``; ``x`` becomes (x - mean) / sd.

    Sums run a block of rows at a time in float64, so that a 1.4 M x 1,364 matrix needs no
    second copy of itself (hg19: 7.8 GB in float32).
    """
    total = np.zeros(x.shape[1])
    squares = np.zeros(x.shape[1])
    for start in range(0, len(x), chunk):
        block = x[start : start + chunk].astype(np.float64)
        total += block.sum(axis=0)
        squares += np.square(block).sum(axis=0)
    mean = total / len(x)
    scale = np.sqrt(np.maximum(squares / len(x) - mean**2, 0.0))
    scale[scale == 0] = 1.0  # a k-mer never seen: its standardised count is 0
    for start in range(0, len(x), chunk):
        block = x[start : start + chunk]
        block -= mean.astype(np.float32)
        block /= scale.astype(np.float32)
    return mean.astype(np.float32), scale.astype(np.float32)


def fit_baseline(
    codes: np.ndarray,
    labels: np.ndarray,
    kmax: int = 5,
    l2: float = 1e-6,
    max_iter: int = 1000,
    length: int | None = None,
) -> dict:
    from sklearn.linear_model import LogisticRegression

    start = time.monotonic()
    log.info("counting k-mers (k = 1..%d) of %d sequences", kmax, len(codes))
    x = features(codes, kmax, length)
    mean, scale = standardise_in_place(x)
    n = len(labels)
    c = c_from_l2(l2, n)
    log.info(
        "logistic regression on %d sequences x %d k-mer features, C = %.4g (l2 = %g), after "
        "%.0f s of counting; scikit-learn's L-BFGS (at most %d iterations) reports when done",
        n,
        x.shape[1],
        c,
        l2,
        time.monotonic() - start,
        max_iter,
    )
    start = time.monotonic()
    model = LogisticRegression(C=c, solver="lbfgs", max_iter=max_iter)  # C = inf: no penalty
    model.fit(x, np.asarray(labels))
    log.info("fitted in %d iterations, %.0f s", int(model.n_iter_[0]), time.monotonic() - start)
    return {
        "kmax": kmax,
        "length": length,
        "l2": l2,
        "C": c,
        "n_train": n,
        "kmers": kmer_names(kmax),
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "coef": model.coef_.ravel().tolist(),
        "intercept": float(model.intercept_[0]),
        "iterations": int(model.n_iter_[0]),
    }


def baseline_logits(fitted: dict, codes: np.ndarray) -> np.ndarray:
    x = features(codes, fitted["kmax"], fitted["length"])
    z = (x - np.asarray(fitted["mean"], dtype=np.float32)) / np.asarray(
        fitted["scale"], dtype=np.float32
    )
    return z.astype(np.float64) @ np.asarray(fitted["coef"]) + fitted["intercept"]


def save_baseline(path, fitted: dict) -> None:
    with atomic_open(path) as out:
        json.dump(fitted, out)
        out.write("\n")


def load_baseline(path) -> dict:
    with open(path) as handle:
        return json.load(handle)
