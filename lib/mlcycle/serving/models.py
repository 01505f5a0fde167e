"""The models a service serves: registry aliases resolved to concrete versions.

Loaded only as skops with the project's trusted types (mlcycle.registry.trusted), never pickle.
A model answers in its task's terms (`ServedModel.answer`): 0/1 and the positive class's
probability, a class label with every class's probability, or a number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlcycle.registry.aliases import alias_version
from mlcycle.task import BINARY, MULTICLASS, REGRESSION, Task, task_of


@dataclass(frozen=True)
class ServedModel:
    name: str
    alias: str
    version: str
    pipeline: object  # a fitted scikit-learn Pipeline ending in a classifier or a regressor
    known_categories: dict[str, frozenset[str]] = field(default_factory=dict)
    onnx_session: object | None = None  # the fast path, when the version passed parity
    config: object | None = None  # the dataset config, to build ONNX inputs
    task: Task = BINARY
    classes: tuple[str, ...] = ()  # a classifier's labels, in its probabilities' order
    interval: float | None = None  # a regressor's prediction interval half-width, if known

    @property
    def runtime(self) -> str:
        return "onnxruntime" if self.onnx_session is not None else "scikit-learn"

    def output(self, records: list[dict[str, Any]]) -> np.ndarray:
        """The model's raw answer: positive probabilities, class probabilities (rows by
        `classes`) or numbers, from ONNX Runtime when the version passed parity."""
        if self.onnx_session is not None:
            from mlcycle.optimize.onnx_export import onnx_records_output

            return onnx_records_output(self.onnx_session, records, self.config, self.task)
        from mlcycle.serving.request_schema import to_frame

        frame = to_frame(records, self.config)
        if self.task == REGRESSION:
            return self.pipeline.predict(frame)
        proba = self.pipeline.predict_proba(frame)
        return proba[:, 1] if self.task == BINARY else proba

    def answer(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Per record, the response's task-specific fields: `prediction` (0/1, a label or a
        number), `probability` (of the positive or the predicted class) and, for several
        classes, `probabilities` by label."""
        out = self.output(records)
        if self.task == BINARY:
            return [{"prediction": int(p >= 0.5), "probability": float(p)} for p in out]
        if self.task == REGRESSION:
            if self.interval is None:
                return [{"prediction": float(v)} for v in out]
            w = self.interval
            return [{"prediction": float(v), "interval": [float(v) - w, float(v) + w]} for v in out]
        best = out.argmax(axis=1)
        return [
            {
                "prediction": self.classes[b],
                "probability": float(row[b]),
                "probabilities": dict(zip(self.classes, row.tolist(), strict=True)),
            }
            for row, b in zip(out, best, strict=True)
        ]

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
    estimator = pipeline.steps[-1][1]
    if hasattr(estimator, "n_jobs"):
        estimator.n_jobs = 1  # single requests: threads per call cost ~3x the latency
    onnx_session = None
    if config is not None:
        from mlcycle.optimize.onnx_artifact import load_onnx
        from mlcycle.optimize.onnx_export import session

        onnx_bytes = load_onnx(client, name, version)
        onnx_session = session(onnx_bytes) if onnx_bytes else None
    task = task_of(pipeline)
    classes = tuple(map(str, getattr(pipeline, "classes_", ()))) if task == MULTICLASS else ()
    interval = None
    if task == REGRESSION:
        from mlcycle.registry.interval import interval_halfwidth

        interval = interval_halfwidth(client, name, version)
    return ServedModel(
        name,
        alias,
        version,
        pipeline,
        _known_categories(pipeline),
        onnx_session,
        config,
        task,
        classes,
        interval,
    )
