"""What a training run records besides the model: lineage tags and dataset inputs."""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from mlcycle.config import DatasetConfig
from mlcycle.fingerprint import data_fingerprint, git_commit


def feature_set_digest(config: DatasetConfig) -> str:
    """Identifies the feature set (names and kinds) a model was trained on."""
    text = "|".join(config.numeric_names) + "#" + "|".join(config.categorical_names)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def lineage_tags(
    config: DatasetConfig,
    train: pd.DataFrame,
    collection: Any = None,
    split: str = "",
    sources: dict[str, int] | None = None,
) -> dict[str, str]:
    """Tags that answer 'where did this model come from': code, data and feature set; with
    the collect stage's record, what time the data was as of and how it was split; and the
    training rows per source (`lineage.rows.<source>`)."""
    project = config.path.parent if config.path else Path.cwd()
    tags = {
        "lineage.git_commit": git_commit(Path(__file__).parent),
        "lineage.data_fingerprint": data_fingerprint(train, config),
        "lineage.dataset": config.name,
        "lineage.dataset_config": str(config.path or ""),
        "lineage.feature_set": feature_set_digest(config),
        "lineage.project": str(project),
    }
    if collection is not None:
        tags |= {
            "lineage.as_of": collection.as_of,
            "lineage.window_start": collection.window_start or "",
            "lineage.source": collection.source[:500],
            "lineage.source_rows": str(collection.rows),
        }
    if split:
        tags["lineage.split"] = split
    tags |= {f"lineage.rows.{source}": str(n) for source, n in (sources or {}).items()}
    return tags


def log_dataset_inputs(config: DatasetConfig, splits: dict[str, tuple[pd.DataFrame, str]]) -> None:
    """Log each split as an MLflow dataset input (schema, digest, source path)."""
    import mlflow

    for context, (frame, source) in splits.items():
        with warnings.catch_warnings():
            # benign: a local path matches two equivalent source types, and the 0/1 target is
            # an integer column (the model signature declares its own float inputs)
            warnings.filterwarnings("ignore", message="The specified dataset source")
            warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
            dataset = mlflow.data.from_pandas(
                frame,
                source=str(source),
                name=f"{config.name}-{context}",
                targets=config.target.column,
            )
            _log_input_retrying(dataset, context)  # the schema is inferred here


def _log_input_retrying(dataset, context: str, attempts: int = 5) -> None:
    """mlflow.log_input, again when a parallel run registered the same dataset first.

    A tracking server creates a dataset row on first use; candidates of a grid log identical
    training data at the same moment, and all but one insert then hit the unique key. The row
    exists by then, so the retry links to it.
    """
    import time

    import mlflow
    from mlflow.exceptions import MlflowException

    for attempt in range(attempts):
        try:
            mlflow.log_input(dataset, context=context)
            return
        except MlflowException as exc:
            if "duplicate key" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


def run_name(family: str, params: dict[str, Any] | None, dataset: str, when: Any = None) -> str:
    """A run name that says what the run is: the family, the parameters the grid set, the
    dataset and when (a build's runs are told apart in the MLflow UI without opening them)."""
    from datetime import UTC, datetime

    stamp = (when or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M")
    shown = " ".join(f"{k}={v}" for k, v in sorted((params or {}).items()))
    return " · ".join(part for part in (f"{family} {shown}".strip(), dataset, stamp) if part)[:250]


def estimator_params(model: Any) -> dict[str, str]:
    """The fitted estimator's effective hyperparameters (defaults included), as MLflow params:
    what the model was, not only what was overridden."""
    estimator = model[-1] if hasattr(model, "steps") else model
    out = {}
    for key, value in estimator.get_params(deep=False).items():
        if value is None or isinstance(value, bool | int | float | str):
            out[f"estimator.{key}"] = str(value)[:500]
    return out
