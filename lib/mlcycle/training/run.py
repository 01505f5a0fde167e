"""What a training run records besides the model: lineage tags and dataset inputs."""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import pandas as pd

from mlcycle.config import DatasetConfig
from mlcycle.fingerprint import data_fingerprint, git_commit


def feature_set_digest(config: DatasetConfig) -> str:
    """Identifies the feature set (names and kinds) a model was trained on."""
    text = "|".join(config.numeric_names) + "#" + "|".join(config.categorical_names)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def lineage_tags(config: DatasetConfig, train: pd.DataFrame) -> dict[str, str]:
    """Tags that answer 'where did this model come from': code, data and feature set."""
    project = config.path.parent if config.path else Path.cwd()
    return {
        "lineage.git_commit": git_commit(Path(__file__).parent),
        "lineage.data_fingerprint": data_fingerprint(train),
        "lineage.dataset": config.name,
        "lineage.dataset_config": str(config.path or ""),
        "lineage.feature_set": feature_set_digest(config),
        "lineage.project": str(project),
    }


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
            mlflow.log_input(dataset, context=context)  # the schema is inferred here
