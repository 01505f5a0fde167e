"""Training: fit the configured pipeline and log it to MLflow, by task: a classifier logged as
a probability model, a regressor as a model of numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline

from mlcycle.config import DatasetConfig
from mlcycle.task import BINARY, MULTICLASS, REGRESSION, Task
from mlcycle.training.model import build_pipeline


@dataclass(frozen=True)
class XY:
    X: pd.DataFrame
    y: pd.Series


TARGET_DTYPES = {BINARY: int, MULTICLASS: str, REGRESSION: float}  # as validation left it


def features_and_target(df: pd.DataFrame, config: DatasetConfig, task: Task = BINARY) -> XY:
    """The model's input columns, in config order, with stable dtypes, and the target as its
    task has it: 0/1, a class label (text) or a number."""
    X = df[config.feature_names].copy()
    for name in config.numeric_names:
        X[name] = X[name].astype(float)
    for name in config.categorical_names:
        X[name] = X[name].astype(object).where(X[name].notna(), None)
    return XY(X, df[config.target.column].astype(TARGET_DTYPES[task]))


def fit(
    train: pd.DataFrame,
    config: DatasetConfig,
    family: str = "random_forest",
    params: dict[str, Any] | None = None,
    task: Task = BINARY,
) -> Pipeline:
    data = features_and_target(train, config, task)
    model = build_pipeline(config, family, params, task)
    model.fit(data.X, data.y)
    return model


def fit_and_validate(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    config: DatasetConfig,
    family: str,
    params: dict[str, Any] | None,
    task: Task,
) -> tuple[Pipeline, XY, dict[str, float]]:
    """A candidate: fitted on `train`, and its task's metrics on `valid` (with that split's
    features and target, for what is computed on it next)."""
    from mlcycle.training.metrics import task_metrics

    model = fit(train, config, family, params, task)
    xy = features_and_target(valid, config, task)
    return model, xy, task_metrics(task, xy.y, model_output(model, xy.X, task))


def positive_proba(model: Pipeline, X: pd.DataFrame) -> np.ndarray:
    return model.predict_proba(X)[:, 1]


def model_output(model: Pipeline, X: pd.DataFrame, task: Task = BINARY) -> Any:
    """What the metrics of a task read: the positive class's probability (binary), a
    probability per class in a frame whose columns are the labels (multiclass), or the
    predicted number (regression)."""
    if task == BINARY:
        return positive_proba(model, X)
    if task == MULTICLASS:
        return pd.DataFrame(model.predict_proba(X), columns=classes_of(model), index=X.index)
    return model.predict(X)


def classes_of(model: Pipeline) -> list[str]:
    """A classifier's labels in the order of its probability columns; [] for a regressor."""
    classes = getattr(model, "classes_", None)
    return [] if classes is None else [str(c) for c in classes]


# the score permutation importance drops, by task: scikit-learn's scorer and its name
IMPORTANCE_SCORING = {
    BINARY: ("roc_auc", "ROC AUC"),
    MULTICLASS: ("f1_macro", "macro F1"),
    REGRESSION: ("r2", "R²"),
}


def permutation_importances(
    model: Pipeline,
    X: pd.DataFrame,
    y: pd.Series,
    max_rows: int = 2000,
    seed: int = 42,
    task: Task = BINARY,
) -> pd.Series:
    """Drop in the task's score (ROC AUC, macro F1, R²) when each original column is
    shuffled (works for every family)."""
    if len(X) > max_rows:
        X = X.sample(max_rows, random_state=seed)
        y = y.loc[X.index]
    result = permutation_importance(
        model, X, y, scoring=IMPORTANCE_SCORING[task][0], n_repeats=5, random_state=seed, n_jobs=1
    )
    return pd.Series(result.importances_mean, index=X.columns).sort_values(ascending=False)


def importance_figure(importances: pd.Series, top: int = 20, task: Task = BINARY) -> Figure:
    shown = importances.head(top)[::-1]
    fig = Figure(figsize=(6, 0.3 * len(shown) + 1.2))
    ax = fig.subplots()
    ax.barh(shown.index, shown.values)
    score = IMPORTANCE_SCORING[task][1]
    ax.set(xlabel=f"Mean drop in {score} when shuffled", title="Permutation feature importance")
    fig.tight_layout()
    return fig


def log_probability_model(model: Pipeline, X_example: pd.DataFrame, name: str = "model"):
    """Log with an explicit signature (probabilities out for a classifier, numbers for a
    regressor), skops serialisation and pinned requirements."""
    import mlflow
    import sklearn
    import skops
    import skops.io
    from mlflow.models import infer_signature

    example = X_example.head(5)
    method = "predict_proba" if hasattr(model, "predict_proba") else "predict"
    signature = infer_signature(example, getattr(model, method)(example))
    trusted = skops.io.get_untrusted_types(data=skops.io.dumps(model))
    requirements = [
        f"mlflow=={mlflow.__version__}",
        f"scikit-learn=={sklearn.__version__}",
        f"skops=={skops.__version__}",
        f"numpy=={np.__version__}",
        f"pandas=={pd.__version__}",
    ]
    return mlflow.sklearn.log_model(
        model,
        name=name,
        signature=signature,
        input_example=example,
        pip_requirements=requirements,
        serialization_format="skops",
        skops_trusted_types=trusted,
        pyfunc_predict_fn=method,
    )
