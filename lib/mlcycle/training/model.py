"""The model: one scikit-learn Pipeline built from the dataset config.

The same object is trained, registered, batch-scored and served, so preprocessing can never
drift between training and prediction.
"""

from __future__ import annotations

from typing import Any

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from mlcycle.config import DatasetConfig
from mlcycle.task import BINARY, REGRESSION, Task

# the defaults a family has whatever it predicts. They suit a 2-core machine: n_jobs=1 keeps
# single-row prediction fast (n_jobs=-1 makes it ~3x slower: thread start-up per call).
_FOREST = {"n_estimators": 100, "min_samples_leaf": 3, "n_jobs": 1, "random_state": 42}
_BOOSTING = {"max_iter": 200, "learning_rate": 0.1, "random_state": 42}
_MLP = {"hidden_layer_sizes": (64, 32), "early_stopping": True, "max_iter": 300,
        "random_state": 42}  # fmt: skip

# Trees split on thresholds, so scaling changes none of their answers, and leaving it out
# keeps their ONNX export exact: scikit-learn compares float32 casts of what it is given, and
# the export would compute the scaler in float32 where scikit-learn computes it in float64,
# moving rows across thresholds (a forest regressor missed parity by 9% of its spread).
SCALE_FREE = frozenset({"random_forest", "hist_gradient_boosting"})

# family -> (estimator class, defaults)
FAMILIES: dict[str, tuple[type, dict[str, Any]]] = {
    "random_forest": (RandomForestClassifier, _FOREST),
    "hist_gradient_boosting": (HistGradientBoostingClassifier, _BOOSTING),
    "logistic_regression": (LogisticRegression, {"max_iter": 1000, "C": 1.0}),
    # a small neural network: what ONNX Runtime's dynamic quantization applies to (optimize)
    "mlp": (MLPClassifier, _MLP),
}
# the same families for numbers: the grid's `random_forest` means the regressor for a
# regression target; `linear` is ridge regression (the counterpart of logistic regression)
REGRESSORS: dict[str, tuple[type, dict[str, Any]]] = {
    "random_forest": (RandomForestRegressor, _FOREST),
    "hist_gradient_boosting": (HistGradientBoostingRegressor, _BOOSTING),
    "linear": (Ridge, {"alpha": 1.0}),
    "mlp": (MLPRegressor, _MLP),
}


def families(task: Task = BINARY) -> dict[str, tuple[type, dict[str, Any]]]:
    """The model families of a task: classifiers (binary and multiclass) or regressors."""
    return REGRESSORS if task == REGRESSION else FAMILIES


def build_pipeline(
    config: DatasetConfig,
    family: str = "random_forest",
    params: dict[str, Any] | None = None,
    task: Task = BINARY,
) -> Pipeline:
    """Preprocessing (impute numeric, and scale it for families that need it; impute +
    one-hot categorical) then the model: a classifier, or for a regression target a
    regressor."""
    known = families(task)
    if family not in known:
        raise ValueError(
            f"unknown model family {family!r} for a {task} target; choose one of {sorted(known)}"
        )
    estimator_cls, defaults = known[family]
    transformers = []
    if config.numeric_names:
        steps = [("impute", SimpleImputer(strategy="median"))]
        if family not in SCALE_FREE:
            steps.append(("scale", StandardScaler()))
        numeric = Pipeline(steps)
        transformers.append(("numeric", numeric, config.numeric_names))
    if config.categorical_names:
        categorical = Pipeline(
            [
                ("impute", SimpleImputer(strategy="constant", fill_value="missing")),
                # dense output: HistGradientBoosting needs it; the tables here are narrow
                ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
            ]
        )
        transformers.append(("categorical", categorical, config.categorical_names))
    preprocess = ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False)
    return Pipeline(
        [
            ("preprocess", preprocess),
            (
                "regressor" if task == REGRESSION else "classifier",
                estimator_cls(**{**defaults, **(params or {})}),
            ),
        ]
    )
