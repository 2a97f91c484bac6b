"""Accuracy, AUC and ROC curves of models on the held-out splits."""

from __future__ import annotations

import numpy as np


def metrics(labels: np.ndarray, logits: np.ndarray) -> dict:
    """n, accuracy (probability >= 0.5, i.e. logit >= 0) and AUC."""
    from sklearn.metrics import roc_auc_score

    labels = np.asarray(labels).astype(int)
    logits = np.asarray(logits, dtype=float)
    accuracy = float(np.mean((logits >= 0).astype(int) == labels)) if len(labels) else float("nan")
    auc = float(roc_auc_score(labels, logits)) if len(np.unique(labels)) == 2 else float("nan")
    return {"n": int(len(labels)), "accuracy": accuracy, "auc": auc}


def roc_curve(labels, logits):
    from sklearn.metrics import roc_curve as sk_roc_curve

    fpr, tpr, _ = sk_roc_curve(np.asarray(labels).astype(int), np.asarray(logits, dtype=float))
    return fpr, tpr


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))
