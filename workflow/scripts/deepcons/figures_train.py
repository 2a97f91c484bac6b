"""Figures of the training stage: the learning curve and the ROC curves (paper Fig. 2)."""

from __future__ import annotations

import numpy as np

from .plots import plt, save_figure


def plot_learning_curve(history: list[dict], paths, best_epoch: int | None = None) -> None:
    epochs = [row["epoch"] for row in history]
    fig, (ax_loss, ax_auc) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax_loss.plot(epochs, [r["train_loss"] for r in history], "o-", ms=3, label="train")
    ax_loss.plot(epochs, [r["valid_loss"] for r in history], "o-", ms=3, label="validation")
    ax_auc.plot(epochs, [r["valid_auc"] for r in history], "o-", ms=3, color="C2")
    for ax in (ax_loss, ax_auc):
        if best_epoch:
            ax.axvline(best_epoch, color="grey", ls=":", lw=1)
        ax.set_xlabel("epoch")
    ax_loss.set(ylabel="binary cross-entropy", title="Loss")
    ax_auc.set(ylabel="AUC", title="Validation AUC")
    ax_loss.legend(frameon=False)
    save_figure(fig, paths)


def plot_roc(curves: dict[str, tuple[np.ndarray, np.ndarray, float]], paths) -> None:
    """curves: model name -> (false positive rates, true positive rates, AUC)."""
    fig, ax = plt.subplots(figsize=(4.6, 4.4))
    for name, (fpr, tpr, auc) in curves.items():
        ax.plot(fpr, tpr, lw=1.6, label=f"{name} (AUC = {auc:.3f})")
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=0.8)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", xlim=(0, 1), ylim=(0, 1.01))
    ax.set_title("Test set ROC")
    ax.legend(loc="lower right", frameon=False)
    save_figure(fig, paths)
