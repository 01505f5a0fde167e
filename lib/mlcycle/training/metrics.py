"""Metrics and plots by task, shared by training (validation split), evaluation and promotion.

A model's output by task (see `mlcycle.training.train.model_output`): binary, the positive
class's probability per row; multiclass, a probability per class (columns in the model's
`classes_` order); regression, the predicted number.
"""

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
    mean_absolute_error,
    mean_absolute_percentage_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
    roc_curve,
    root_mean_squared_error,
)

from mlcycle.task import BINARY, LOWER_IS_BETTER, MULTICLASS, Task


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


def multiclass_metrics(
    y_true: np.ndarray | pd.Series,
    proba: pd.DataFrame | np.ndarray,
    classes: list[str] | tuple[str, ...] = (),
) -> dict[str, float]:
    """Headline metrics from a probability per class: a frame whose columns are the labels
    (`model_output`), or an array in `classes` order. A label the model never learnt (a
    class new in the data) counts as probability 0, so two models with different classes
    are judged on the same rows alike."""
    y, labels, p, pred = class_predictions(y_true, proba, classes)
    scored = {"labels": labels, "zero_division": 0}
    return {
        "accuracy": float(accuracy_score(y, pred)),
        "f1_macro": float(f1_score(y, pred, average="macro", **scored)),
        "f1_weighted": float(f1_score(y, pred, average="weighted", **scored)),
        "precision_macro": float(precision_score(y, pred, average="macro", **scored)),
        "recall_macro": float(recall_score(y, pred, average="macro", **scored)),
        "log_loss": float(log_loss(y, np.clip(p, 1e-15, 1), labels=labels)),
    }


def class_predictions(
    y_true: np.ndarray | pd.Series,
    proba: pd.DataFrame | np.ndarray,
    classes: list[str] | tuple[str, ...] = (),
) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray]:
    """(true labels as text, every label of the model or the data sorted, probabilities in
    that order with 0 for a label the model never learnt, the predicted label per row)."""
    y = np.asarray(y_true).astype(str)
    frame = class_probabilities(proba, classes)
    labels = sorted(set(frame.columns) | set(y))
    p = frame.reindex(columns=labels, fill_value=0.0).to_numpy(dtype=float)
    return y, labels, p, np.asarray(labels)[p.argmax(axis=1)]


def class_probabilities(
    proba: pd.DataFrame | np.ndarray, classes: list[str] | tuple[str, ...] = ()
) -> pd.DataFrame:
    """Probabilities with the class labels as column names (text)."""
    if isinstance(proba, pd.DataFrame):
        return proba.rename(columns=str)
    return pd.DataFrame(np.asarray(proba, dtype=float), columns=[str(c) for c in classes])


def regression_metrics(y_true: np.ndarray | pd.Series, pred: np.ndarray) -> dict[str, float]:
    """Errors in the target's units (MAE, RMSE), R² and, where no true value is zero, MAPE."""
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(pred, dtype=float)
    out = {
        "mae": float(mean_absolute_error(y, p)),
        "rmse": float(root_mean_squared_error(y, p)),
        "r2": float(r2_score(y, p)) if len(y) > 1 else float("nan"),
    }
    if len(y) and not (y == 0).any():
        out["mape"] = float(mean_absolute_percentage_error(y, p))
    return out


def task_metrics(
    task: Task,
    y_true: np.ndarray | pd.Series,
    output: np.ndarray,
    classes: list[str] | tuple[str, ...] = (),
) -> dict[str, float]:
    """The headline metrics of a model's output for its task."""
    if task == BINARY:
        return classification_metrics(y_true, output)
    if task == MULTICLASS:
        return multiclass_metrics(y_true, output, classes)
    return regression_metrics(y_true, output)


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
    ax.set_xticks([0, 1], list(labels))
    ax.set_yticks([0, 1], list(labels))
    ax.set(xlabel="predicted", ylabel="actual", title="Confusion matrix")
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


RANKING_SHARES = (0.05, 0.10, 0.20, 0.30, 0.50)


def ranking(y_true: np.ndarray | pd.Series, proba: np.ndarray,
            shares: tuple[float, ...] = RANKING_SHARES) -> list[dict]:  # fmt: skip
    """What contacting the top-scored share of rows finds, for a model used to rank: the
    precision there, the share of all positives it reaches (cumulative gain), and the lift
    over contacting the same number at random."""
    y = np.asarray(y_true).astype(int)
    order = np.argsort(-np.asarray(proba), kind="stable")
    positives, base = max(int(y.sum()), 1), y.mean() if len(y) else 0.0
    rows = []
    for share in shares:
        k = max(int(round(share * len(y))), 1)
        found = int(y[order[:k]].sum())
        precision = found / k
        rows.append(
            {
                "top_share": share,
                "rows": k,
                "precision": precision,
                "gain": found / positives,
                "lift": precision / base if base else 0.0,
            }
        )
    return rows


def gain_figure(y_true: np.ndarray | pd.Series, proba: np.ndarray, positive: str = "positive"
                ) -> Figure:  # fmt: skip
    """Cumulative gain: the share of all positives found by contacting the top-scored rows."""
    y = np.asarray(y_true).astype(int)
    order = np.argsort(-np.asarray(proba), kind="stable")
    found = np.concatenate([[0], np.cumsum(y[order])]) / max(int(y.sum()), 1)
    contacted = np.linspace(0, 1, len(found))
    fig = Figure(figsize=(4, 3.5))
    ax = fig.subplots()
    ax.plot(contacted, found, label="model")
    ax.plot([0, 1], [0, 1], "--", color="grey", linewidth=1, label="random order")
    ax.set(xlabel="share of rows contacted, highest score first",
           ylabel=f"share of all {positive} found", title="Cumulative gain")  # fmt: skip
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


MISSING_GROUP = "(missing)"


def group_labels(values: pd.Series, bins: int) -> pd.Series:
    """Group labels: categories as they are, numbers cut into quantile bins."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        edges = np.unique(np.nanquantile(values.to_numpy(dtype=float), np.linspace(0, 1, bins + 1)))
        if len(edges) < 2:  # one distinct value: one group
            return values.map(lambda v: f"{v:g}").where(values.notna(), MISSING_GROUP)
        names = [f"{lo:g} to {hi:g}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
        labels = pd.cut(values, edges, labels=names, include_lowest=True).astype(str)
    else:
        labels = values.astype(str)
    return labels.where(values.notna(), MISSING_GROUP)


def group_metrics(
    features: pd.DataFrame,
    y_true: np.ndarray | pd.Series,
    proba: np.ndarray,
    columns: list[str] | tuple[str, ...],
    bins: int = 4,
    threshold: float = 0.5,
) -> list[dict]:
    """Metrics per group of each sensitive feature: a fairness review looks for the gaps.

    The selection rate (share scored positive) beside accuracy and recall shows whether one group
    is flagged more often, and whether the flags are as right for it as for the others.
    """
    missing = [c for c in columns if c not in features.columns]
    if missing:
        raise KeyError(f"sensitive feature(s) {missing} are not in the evaluated frame")
    y = np.asarray(y_true).astype(int)
    p = np.asarray(proba, dtype=float)
    pred = (p >= threshold).astype(int)
    rows = []
    for column in columns:
        labels = group_labels(features[column].reset_index(drop=True), bins).to_numpy()
        for group in sorted(set(labels)):
            mask = labels == group
            yg, pg = y[mask], pred[mask]
            rows.append(
                {
                    "feature": column,
                    "group": str(group),
                    "rows": int(mask.sum()),
                    "positives": int(yg.sum()),
                    "accuracy": float(accuracy_score(yg, pg)),
                    "recall": float(recall_score(yg, pg, zero_division=0)) if yg.any() else None,
                    "selection_rate": float(pg.mean()),
                }
            )
    return rows


def largest_gaps(groups: list[dict], metric: str = "accuracy") -> dict[str, float]:
    """Per feature, the spread of `metric` between its best and worst group."""
    spread: dict[str, list[float]] = {}
    for row in groups:
        if row.get(metric) is not None:
            spread.setdefault(row["feature"], []).append(row[metric])
    return {feature: max(v) - min(v) for feature, v in spread.items()}
