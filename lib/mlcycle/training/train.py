"""Training: fit the configured pipeline and log it to MLflow as a probability model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline

from mlcycle.config import DatasetConfig
from mlcycle.training.model import build_pipeline


@dataclass(frozen=True)
class XY:
    X: pd.DataFrame
    y: pd.Series


def features_and_target(df: pd.DataFrame, config: DatasetConfig) -> XY:
    """The model's input columns, in config order, with stable dtypes, and the 0/1 target."""
    X = df[config.feature_names].copy()
    for name in config.numeric_names:
        X[name] = X[name].astype(float)
    for name in config.categorical_names:
        X[name] = X[name].astype(object).where(X[name].notna(), None)
    return XY(X, df[config.target.column].astype(int))


def fit(
    train: pd.DataFrame,
    config: DatasetConfig,
    family: str = "random_forest",
    params: dict[str, Any] | None = None,
) -> Pipeline:
    data = features_and_target(train, config)
    model = build_pipeline(config, family, params)
    model.fit(data.X, data.y)
    return model


def positive_proba(model: Pipeline, X: pd.DataFrame) -> np.ndarray:
    return model.predict_proba(X)[:, 1]


def permutation_importances(
    model: Pipeline, X: pd.DataFrame, y: pd.Series, max_rows: int = 2000, seed: int = 42
) -> pd.Series:
    """Drop in ROC AUC when each original column is shuffled (works for every family)."""
    if len(X) > max_rows:
        X = X.sample(max_rows, random_state=seed)
        y = y.loc[X.index]
    result = permutation_importance(
        model, X, y, scoring="roc_auc", n_repeats=5, random_state=seed, n_jobs=1
    )
    return pd.Series(result.importances_mean, index=X.columns).sort_values(ascending=False)


def importance_figure(importances: pd.Series, top: int = 20) -> Figure:
    shown = importances.head(top)[::-1]
    fig = Figure(figsize=(6, 0.3 * len(shown) + 1.2))
    ax = fig.subplots()
    ax.barh(shown.index, shown.values)
    ax.set(xlabel="Mean drop in ROC AUC when shuffled", title="Permutation feature importance")
    fig.tight_layout()
    return fig


def log_probability_model(model: Pipeline, X_example: pd.DataFrame, name: str = "model"):
    """Log with an explicit probability signature, skops serialisation and pinned requirements."""
    import mlflow
    import sklearn
    import skops
    import skops.io
    from mlflow.models import infer_signature

    example = X_example.head(5)
    signature = infer_signature(example, model.predict_proba(example))
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
        pyfunc_predict_fn="predict_proba",
    )
