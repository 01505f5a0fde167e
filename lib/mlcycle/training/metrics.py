"""Classification metrics and plots shared by training (validation split) and evaluation."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

# metrics where a lower value is better; everything else is higher-is-better
LOWER_IS_BETTER = frozenset({"log_loss"})


def classification_metrics(
    y_true: np.ndarray | pd.Series, proba: np.ndarray, threshold: float = 0.5
) -> dict[str, float]:
    """Headline metrics from positive-class probabilities."""
    y = np.asarray(y_true).astype(int)
    p = np.asarray(proba, dtype=float)
    pred = (p >= threshold).astype(int)
    both = len(np.unique(y)) == 2
    return {
        "accuracy": float(accuracy_score(y, pred)),
        "roc_auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "precision": float(precision_score(y, pred, zero_division=0)),
        "recall": float(recall_score(y, pred, zero_division=0)),
        "f1": float(f1_score(y, pred, zero_division=0)),
        "log_loss": float(log_loss(y, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1])),
    }


def is_better(metric: str, candidate: float, reference: float) -> bool:
    if metric in LOWER_IS_BETTER:
        return candidate < reference
    return candidate > reference


def confusion(y_true: np.ndarray | pd.Series, proba: np.ndarray, threshold: float = 0.5) -> dict:
    tn, fp, fn, tp = confusion_matrix(
        np.asarray(y_true).astype(int), (np.asarray(proba) >= threshold).astype(int), labels=[0, 1]
    ).ravel()
    return {"tn": int(tn), "fp": int(fp), "fn": int(fn), "tp": int(tp)}


def confusion_figure(counts: dict, labels: tuple[str, str] = ("0", "1")) -> Figure:
    fig = Figure(figsize=(4, 3.5))
    ax = fig.subplots()
    grid = np.array([[counts["tn"], counts["fp"]], [counts["fn"], counts["tp"]]])
    ax.imshow(grid, cmap="Blues")
    for (i, j), v in np.ndenumerate(grid):
        ax.text(
            j, i, str(v), ha="center", va="center", color="white" if v > grid.max() / 2 else "black"
        )
    ax.set_xticks([0, 1], [f"pred {labels[0]}", f"pred {labels[1]}"])
    ax.set_yticks([0, 1], [f"true {labels[0]}", f"true {labels[1]}"])
    ax.set_title("Confusion matrix")
    fig.tight_layout()
    return fig


def roc_figure(y_true: np.ndarray | pd.Series, proba: np.ndarray) -> Figure:
    fpr, tpr, _ = roc_curve(np.asarray(y_true).astype(int), proba)
    fig = Figure(figsize=(4, 3.5))
    ax = fig.subplots()
    ax.plot(fpr, tpr, label=f"AUC = {roc_auc_score(y_true, proba):.3f}")
    ax.plot([0, 1], [0, 1], "--", color="grey", linewidth=1)
    ax.set(xlabel="False positive rate", ylabel="True positive rate", title="ROC curve")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def calibration_figure(y_true: np.ndarray | pd.Series, proba: np.ndarray, bins: int = 10) -> Figure:
    frac_pos, mean_pred = calibration_curve(
        np.asarray(y_true).astype(int), proba, n_bins=bins, strategy="quantile"
    )
    fig = Figure(figsize=(4, 3.5))
    ax = fig.subplots()
    ax.plot(mean_pred, frac_pos, "o-", label="model")
    ax.plot([0, 1], [0, 1], "--", color="grey", linewidth=1, label="perfectly calibrated")
    ax.set(
        xlabel="Mean predicted probability", ylabel="Observed positive rate", title="Calibration"
    )
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig
