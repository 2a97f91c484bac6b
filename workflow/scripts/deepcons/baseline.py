"""The paper's baseline: logistic regression on standardised k-mer counts (section 5.4).

The paper minimises the mean cross-entropy plus ``l2 * ||w||^2`` (a Keras L2 regulariser).
scikit-learn minimises ``C * sum_i loss_i + ||w||^2 / 2``. Dividing the latter by ``C * n``
gives ``mean_i loss_i + ||w||^2 / (2 C n)``, so the two agree when ``C = 1 / (2 * l2 * n)``
(n = number of training sequences); the intercept is not penalised in either.

The fit is scipy's L-BFGS-B on that objective, with scikit-learn's stopping rule (projected
gradient below 1e-4). It logs its progress, which scikit-learn's ``LogisticRegression`` does
not, and it runs on the float32 features in place, where scikit-learn 1.7 (the conda env's)
first copies them to float64 (hg19: 15 GB more). The fitted model is stored as JSON (k-mer
names, scaler, coefficients): nothing is pickled.
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


def standardise_in_place(x: np.ndarray, chunk: int = 8_192) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations of ``x``; ``x`` becomes (x - mean) / sd.

    Sums run a block of rows at a time in float64 (90 MB a block of 1,364 columns), so that
    a 1.4 M x 1,364 matrix needs no second copy of itself (hg19: 7.8 GB in float32).
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
    start = time.monotonic()
    log.info("counting k-mers (k = 1..%d) of %d sequences", kmax, len(codes))
    x = features(codes, kmax, length)
    mean, scale = standardise_in_place(x)
    n = len(labels)
    log.info(
        "logistic regression on %d sequences x %d k-mer features (l2 = %g) after %.0f s of "
        "counting; L-BFGS, at most %d iterations",
        n,
        x.shape[1],
        l2,
        time.monotonic() - start,
        max_iter,
    )
    coef, intercept, iterations = fit_logistic(x, labels, l2, max_iter)
    return {
        "kmax": kmax,
        "length": length,
        "l2": l2,
        "C": c_from_l2(l2, n),
        "n_train": n,
        "kmers": kmer_names(kmax),
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "coef": coef.tolist(),
        "intercept": intercept,
        "iterations": iterations,
    }


def logistic_loss_and_gradient(
    params: np.ndarray, x: np.ndarray, y: np.ndarray, l2: float, chunk: int = 65_536
) -> tuple[float, np.ndarray]:
    """Mean cross-entropy plus ``l2 * ||w||^2`` and its gradient.

    Parameters
    ----------
    params : (d + 1,) float64, the weights then the intercept.
    x : (n, d) float32 features; y : (n,) labels 0/1.

    Products run in float32 a block of rows at a time (so that nothing of the size of ``x``
    is copied) and the blocks' sums add up in float64.
    """
    from scipy.special import expit

    n = len(x)
    w32 = params[:-1].astype(np.float32)
    bias = np.float32(params[-1])
    loss = 0.0
    gradient = np.zeros_like(params)
    for start in range(0, n, chunk):
        z = x[start : start + chunk] @ w32 + bias
        target = y[start : start + chunk]
        z64 = z.astype(np.float64)
        loss += float(np.sum(np.logaddexp(0.0, z64) - target * z64))
        residual = expit(z) - target  # d loss_i / d z_i
        gradient[:-1] += x[start : start + chunk].T @ residual
        gradient[-1] += float(residual.sum(dtype=np.float64))
    loss /= n
    gradient /= n
    weights = params[:-1]
    loss += l2 * float(weights @ weights)
    gradient[:-1] += 2.0 * l2 * weights
    return loss, gradient


def fit_logistic(
    x: np.ndarray, labels: np.ndarray, l2: float, max_iter: int, tol: float = 1e-4, every=10.0
) -> tuple[np.ndarray, float, int]:
    """L-BFGS fit of :func:`logistic_loss_and_gradient`, logging progress every ``every`` s.

    Returns the weights (d,), the intercept and the number of iterations. The stopping rule is
    scikit-learn's: gradient (max-abs) below ``tol``, or a relative change of the loss below
    64 machine epsilons.
    """
    from scipy.optimize import minimize

    classes = np.unique(labels)
    if classes.size != 2 or not set(classes.tolist()) <= {0, 1}:
        raise ValueError(f"logistic regression needs labels 0 and 1, got {classes.tolist()}")
    y = np.asarray(labels, dtype=np.float32)
    start = last = time.monotonic()
    iterations = 0

    def report(intermediate_result):
        nonlocal iterations, last
        iterations += 1
        now = time.monotonic()
        if now - last >= every:
            last = now
            log.info(
                "L-BFGS iteration %d: loss %.6f, %.0f s",
                iterations,
                intermediate_result.fun,
                now - start,
            )

    result = minimize(
        logistic_loss_and_gradient,
        np.zeros(x.shape[1] + 1),
        args=(x, y, l2),
        jac=True,
        method="L-BFGS-B",
        callback=report,
        options={"maxiter": max_iter, "gtol": tol, "ftol": 64 * np.finfo(float).eps, "maxls": 50},
    )
    if not result.success:
        log.warning(
            "L-BFGS stopped before converging, after %d iterations (%s): raise "
            "baseline.max_iter in the config",
            result.nit,
            result.message,
        )
    log.info(
        "fitted in %d iterations, %.0f s: loss %.6f (largest gradient %.2g)",
        result.nit,
        time.monotonic() - start,
        result.fun,
        float(np.max(np.abs(result.jac))),
    )
    return result.x[:-1], float(result.x[-1]), int(result.nit)


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
