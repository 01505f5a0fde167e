"""A model judged on the test set, by task: the headline metrics, what the model card shows
per group of each sensitive feature, the plots and the tables a reader needs.

* binary: ROC, calibration, the confusion matrix and the ranking view (cumulative gain);
* multiclass: a labelled confusion matrix and precision and recall per class;
* regression: predicted against actual, and the residuals against the prediction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from mlcycle.config import DatasetConfig
from mlcycle.task import BINARY, INTERVAL_COVERAGE, MULTICLASS, REGRESSION, Task
from mlcycle.training.metrics import (
    calibration_figure,
    class_predictions,
    confusion,
    confusion_figure,
    gain_figure,
    group_labels,
    group_metrics,
    ranking,
    roc_figure,
    task_metrics,
)

GROUP_METRIC = {BINARY: "accuracy", MULTICLASS: "accuracy", REGRESSION: "mae"}  # the card's

# what the evaluate report shows, said for the run's task only (a reader of a regression
# report has no use for ROC curves)
SHOWN = {
    BINARY: "The plots: ROC, calibration, the confusion matrix and the cumulative gain. Then the "
    "ranking: contacting the highest-scored rows first, the share of all positives found, the "
    "precision there and the lift over a random order.",
    MULTICLASS: "The plot: the confusion matrix, labelled by class. Then precision and recall "
    "per class.",
    REGRESSION: "The plots: predicted against actual, and the residuals against the "
    "prediction. Then the residuals' quantiles.",
}


@dataclass
class TestEvaluation:
    metrics: dict[str, float]
    confusion: dict[str, Any]  # binary: tn/fp/fn/tp; multiclass: labels and matrix
    groups: list[dict]  # per group of each sensitive feature
    figures: dict[str, Figure]
    tables: dict[str, list[dict]] = field(default_factory=dict)  # ranking, per_class, ...
    interval: float | None = None  # regression: the prediction interval's half-width


def evaluate_on_test(
    task: Task,
    output: np.ndarray,
    y: pd.Series,
    X: pd.DataFrame,
    config: DatasetConfig,
    classes: list[str] | tuple[str, ...] = (),
) -> TestEvaluation:
    """Everything the evaluate stage logs, from the model's output on the test rows."""
    metrics = task_metrics(task, y, output, classes)
    sensitive = config.card.sensitive_features
    if task == BINARY:
        counts = confusion(y, output)
        return TestEvaluation(
            metrics,
            counts,
            group_metrics(X, y, output, sensitive),
            {
                "roc": roc_figure(y, output),
                "calibration": calibration_figure(y, output),
                "confusion_matrix": confusion_figure(counts, config.target.labels),
                "cumulative_gain": gain_figure(y, output, config.target.labels[1]),
            },
            {"ranking": ranking(y, output)},
        )
    if task == MULTICLASS:
        truth, labels, _, predicted = class_predictions(y, output, classes)
        matrix = confusion_matrix(truth, predicted, labels=labels)
        return TestEvaluation(
            metrics,
            {"labels": labels, "matrix": matrix.tolist()},
            _group_errors(X, truth, predicted, sensitive, task),
            {"confusion_matrix": labelled_confusion_figure(matrix, labels)},
            {"per_class": per_class(truth, predicted, labels)},
        )
    predicted = np.asarray(output, dtype=float)
    truth = np.asarray(y, dtype=float)
    return TestEvaluation(
        metrics,
        {},
        _group_errors(X, truth, predicted, sensitive, task),
        {
            "predicted_vs_actual": predicted_vs_actual_figure(truth, predicted, config),
            "residuals": residuals_figure(truth, predicted, config),
        },
        {"residuals": residual_quantiles(truth, predicted)},
        interval_halfwidth(truth, predicted),
    )


def interval_halfwidth(
    truth: np.ndarray, predicted: np.ndarray, coverage: float = INTERVAL_COVERAGE
) -> float:
    """Split conformal: the absolute error at rank ceil((n + 1) * coverage) of the n held-out
    rows, so prediction ± it covers a new row's value with probability at least `coverage`
    (when rows are exchangeable); the largest error when n is too small for that."""
    errors = np.sort(np.abs(np.asarray(predicted, float) - np.asarray(truth, float)))
    rank = min(int(np.ceil((len(errors) + 1) * coverage)), len(errors))
    return float(errors[rank - 1])


def per_class(truth: np.ndarray, predicted: np.ndarray, labels: list[str]) -> list[dict]:
    """Precision, recall and F1 of each class, with its support (rows of that class)."""
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=labels, zero_division=0
    )
    return [
        {"class": label, "rows": int(n), "precision": float(p), "recall": float(r), "f1": float(f)}
        for label, p, r, f, n in zip(labels, precision, recall, f1, support, strict=True)
    ]


def residual_quantiles(truth: np.ndarray, predicted: np.ndarray) -> list[dict]:
    """How far off the predictions are (predicted - actual), at a few quantiles."""
    residual = predicted - truth
    return [
        {"quantile": q, "residual": float(np.quantile(residual, q))}
        for q in (0.05, 0.25, 0.5, 0.75, 0.95)
    ]


def _group_errors(
    X: pd.DataFrame,
    truth: np.ndarray,
    predicted: np.ndarray,
    columns: tuple[str, ...],
    task: Task,
    bins: int = 4,
) -> list[dict]:
    """Per group of each sensitive feature: accuracy of the classes, or the mean absolute
    error and the mean residual (a group systematically over- or under-predicted)."""
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise KeyError(f"sensitive feature(s) {missing} are not in the evaluated frame")
    rows = []
    for column in columns:
        labels = group_labels(X[column].reset_index(drop=True), bins).to_numpy()
        for group in sorted(set(labels)):
            mask = labels == group
            row: dict[str, Any] = {"feature": column, "group": str(group), "rows": int(mask.sum())}
            if task == MULTICLASS:
                row["accuracy"] = float((truth[mask] == predicted[mask]).mean())
            else:
                error = predicted[mask] - truth[mask]
                row["mae"] = float(np.abs(error).mean())
                row["mean_residual"] = float(error.mean())
            rows.append(row)
    return rows


def labelled_confusion_figure(matrix: np.ndarray, labels: list[str]) -> Figure:
    """Rows are the actual class, columns the predicted one, each cell a count."""
    size = max(3.5, 0.6 * len(labels) + 2)
    fig = Figure(figsize=(size + 0.5, size))
    ax = fig.subplots()
    ax.imshow(matrix, cmap="Blues")
    top = matrix.max() if matrix.size else 0
    for (i, j), v in np.ndenumerate(matrix):
        ax.text(j, i, str(v), ha="center", va="center", color="white" if v > top / 2 else "black")
    ticks = list(range(len(labels)))
    ax.set_xticks(ticks, labels, rotation=45, ha="right")
    ax.set_yticks(ticks, labels)
    ax.set(xlabel="predicted", ylabel="actual", title="Confusion matrix")
    fig.tight_layout()
    return fig


def predicted_vs_actual_figure(
    truth: np.ndarray, predicted: np.ndarray, config: DatasetConfig
) -> Figure:
    fig = Figure(figsize=(4.5, 4))
    ax = fig.subplots()
    ax.scatter(truth, predicted, s=6, alpha=0.4)
    low = float(min(truth.min(), predicted.min())) if len(truth) else 0.0
    high = float(max(truth.max(), predicted.max())) if len(truth) else 1.0
    ax.plot([low, high], [low, high], "--", color="grey", linewidth=1, label="perfect")
    name = config.target.column
    ax.set(xlabel=f"actual {name}", ylabel=f"predicted {name}", title="Predicted against actual")
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def residuals_figure(truth: np.ndarray, predicted: np.ndarray, config: DatasetConfig) -> Figure:
    fig = Figure(figsize=(4.5, 4))
    ax = fig.subplots()
    ax.scatter(predicted, predicted - truth, s=6, alpha=0.4)
    ax.axhline(0, linestyle="--", color="grey", linewidth=1)
    name = config.target.column
    ax.set(
        xlabel=f"predicted {name}",
        ylabel="residual (predicted - actual)",
        title="Residuals",
    )
    fig.tight_layout()
    return fig
