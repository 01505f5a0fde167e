"""The models a service serves: registry aliases resolved to concrete versions.

Loaded only as skops with the project's trusted types (mlcycle.registry.trusted), never pickle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlcycle.registry.aliases import alias_version
from mlcycle.task import BINARY, task_of


class UnservableModelError(ValueError):
    """A registered version this service cannot answer for: a regression or multiclass model
    (the service answers binary models; batch scoring takes every task)."""


@dataclass(frozen=True)
class ServedModel:
    name: str
    alias: str
    version: str
    pipeline: object  # a fitted scikit-learn Pipeline ending in a classifier
    known_categories: dict[str, frozenset[str]] = field(default_factory=dict)
    onnx_session: object | None = None  # the fast path, when the version passed parity
    config: object | None = None  # the dataset config, to build ONNX inputs

    @property
    def runtime(self) -> str:
        return "onnxruntime" if self.onnx_session is not None else "scikit-learn"

    def positive_proba(self, records: list[dict[str, Any]]) -> np.ndarray:
        if self.onnx_session is not None:
            from mlcycle.optimize.onnx_export import onnx_records_proba

            return onnx_records_proba(self.onnx_session, records, self.config)
        from mlcycle.serving.request_schema import to_frame

        return self.pipeline.predict_proba(to_frame(records, self.config))[:, 1]

    def unseen(self, records: list[dict[str, Any]]) -> dict[str, int]:
        """How many values per categorical feature the model never saw in training."""
        out = {}
        for name, known in self.known_categories.items():
            count = sum(1 for r in records if r[name] is not None and str(r[name]) not in known)
            if count:
                out[name] = count
        return out


def _known_categories(pipeline: object) -> dict[str, frozenset[str]]:
    try:
        preprocess = pipeline.named_steps["preprocess"]
        _, categorical, columns = next(t for t in preprocess.transformers_ if t[0] == "categorical")
    except (AttributeError, KeyError, StopIteration):
        return {}
    encoder = categorical.named_steps["onehot"]
    return {
        c: frozenset(map(str, cats)) for c, cats in zip(columns, encoder.categories_, strict=True)
    }


def load_alias(
    client, name: str, alias: str, config: object = None, version: str | None = None
) -> ServedModel | None:
    """`version` (default: the one behind `alias`; None when the alias is not set), served as
    the `alias` arm. With the dataset config, a version whose ONNX export passed parity is
    served through ONNX Runtime."""
    from mlcycle.registry.trusted import load_trusted

    version = version or alias_version(client, name, alias)
    if version is None:
        return None
    pipeline = load_trusted(f"models:/{name}/{version}", f"version {version} of '{name}'")
    task = task_of(pipeline)
    if task != BINARY:
        raise UnservableModelError(
            f"version {version} of '{name}' is a {task} model: this service answers binary "
            "models only so far; score it in batch (make batch) meanwhile"
        )
    classifier = pipeline.steps[-1][1]
    if hasattr(classifier, "n_jobs"):
        classifier.n_jobs = 1  # single requests: threads per call cost ~3x the latency
    onnx_session = None
    if config is not None:
        from mlcycle.optimize.onnx_artifact import load_onnx
        from mlcycle.optimize.onnx_export import session

        onnx_bytes = load_onnx(client, name, version)
        onnx_session = session(onnx_bytes) if onnx_bytes else None
    return ServedModel(
        name, alias, version, pipeline, _known_categories(pipeline), onnx_session, config
    )
