"""Score a file with the model behind a registry alias, streaming: read a batch, check its
rows, score the good ones, write them and the rejects, repeat. Memory stays flat with input
size; the outputs appear only when complete.

    mlcycle batch INPUT OUTPUT [--alias champion] [--engine local|spark]
    make batch INPUT=customers.parquet OUTPUT=predictions.parquet
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from mlcycle.batch.output import atomic_parquet, write_text
from mlcycle.batch.reader import open_input
from mlcycle.batch.rows import CheckedBatch, check_rows
from mlcycle.config import DatasetConfig
from mlcycle.task import BINARY, MULTICLASS, REGRESSION, Task, task_of


@dataclass
class Summary:
    input: str
    output: str
    rejects: str
    model_name: str
    model_version: str
    alias: str
    engine: str
    scored_at: str
    rows_read: int = 0
    rows_scored: int = 0
    rows_rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    rows_per_second: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    version: str
    alias: str
    uri: str  # models:/name/version: the exact version, even if the alias moves meanwhile
    pipeline: Any
    interval: float | None = None  # a regressor's prediction interval half-width, if known


def resolve_alias(tracking_uri: str, name: str, alias: str) -> str:
    """The version behind `alias` now, so a run scores with one version even if the alias
    moves meanwhile; this process then uses that registry (local and Spark engines alike)."""
    from mlcycle.registry.aliases import alias_version
    from mlcycle.tracking import connect

    version = alias_version(connect(tracking_uri), name, alias)
    if version is None:
        raise LookupError(
            f"no model '{name}' with alias '{alias}' in {tracking_uri}: run `make run` first, "
            "or pass --tracking-uri / --model-name / --alias"
        )
    return version


def load_registered(tracking_uri: str, name: str, alias: str, n_jobs: int = -1) -> RegisteredModel:
    """The version behind `alias`, loaded only as skops with the project's trusted types
    (UntrustedModelError otherwise: nothing of it runs)."""
    from mlcycle.registry.trusted import load_trusted

    version = resolve_alias(tracking_uri, name, alias)
    uri = f"models:/{name}/{version}"
    pipeline = load_trusted(uri, f"version {version} of '{name}'")
    classifier = pipeline.steps[-1][1]
    if hasattr(classifier, "n_jobs"):
        classifier.n_jobs = n_jobs  # batches are large: use the cores
    interval = None
    if task_of(pipeline) == REGRESSION:
        from mlcycle.registry.interval import interval_halfwidth
        from mlcycle.tracking import connect

        interval = interval_halfwidth(connect(tracking_uri), name, version)
    return RegisteredModel(name, version, alias, uri, pipeline, interval)


def output_schema(
    id_column: str,
    id_type: pa.DataType,
    task: Task = BINARY,
    classes: Sequence[str] = (),
    interval: bool = False,
) -> pa.Schema:
    """The output layout by task: the id, the prediction (0/1, a class label or a number),
    for a regressor with a known interval its bounds, for a classifier the probability of
    what it predicts (binary: of the positive class) and, for classes, every class's
    probability; then the model and the scoring time."""
    prediction = {BINARY: pa.int64(), MULTICLASS: pa.string(), REGRESSION: pa.float64()}[task]
    fields = [(id_column, id_type), ("prediction", prediction)]
    if task == REGRESSION and interval:
        fields += [(INTERVAL_COLUMNS[0], pa.float64()), (INTERVAL_COLUMNS[1], pa.float64())]
    if task != REGRESSION:
        fields.append(("probability", pa.float64()))
    fields += [(probability_column(c), pa.float64()) for c in classes if task == MULTICLASS]
    fields += [
        ("model_name", pa.string()),
        ("model_version", pa.string()),
        ("scored_at", pa.timestamp("us", tz="UTC")),
    ]
    return pa.schema(fields)


INTERVAL_COLUMNS = ("interval_low", "interval_high")  # a regressor's prediction interval


def probability_column(label: str) -> str:
    """Where a class's probability goes in a multiclass output: `probability_<label>`."""
    return f"probability_{label}"


def rejects_schema(columns: list[str]) -> pa.Schema:
    return pa.schema(
        [("row", pa.int64())] + [(c, pa.string()) for c in columns] + [("reason", pa.string())]
    )


def predictions_table(
    frame: pd.DataFrame,
    output: np.ndarray,
    model: RegisteredModel,
    config: DatasetConfig,
    scored_at: datetime,
    id_type: pa.DataType,
    task: Task = BINARY,
) -> pa.Table:
    """Scored rows in the output layout. A classifier's label is scikit-learn's (argmax of
    the probabilities), so it equals `predict` exactly, ties included."""
    n = len(frame)
    columns = {config.id: pa.array(frame[config.id].to_numpy(), type=id_type, from_pandas=True)}
    if task == REGRESSION:
        values = np.asarray(output, dtype=np.float64)
        columns["prediction"] = pa.array(values)
        if model.interval is not None:
            columns[INTERVAL_COLUMNS[0]] = pa.array(values - model.interval)
            columns[INTERVAL_COLUMNS[1]] = pa.array(values + model.interval)
    else:
        classes = np.asarray(model.pipeline.classes_)
        picked = output.argmax(axis=1)
        if task == BINARY:
            columns["prediction"] = pa.array(classes[picked].astype(np.int64))
            columns["probability"] = pa.array(output[:, list(classes).index(1)],
                                              type=pa.float64())  # fmt: skip
        else:
            columns["prediction"] = pa.array(classes[picked].astype(str))
            columns["probability"] = pa.array(output[np.arange(n), picked], type=pa.float64())
            for j, label in enumerate(classes):
                columns[probability_column(str(label))] = pa.array(output[:, j],
                                                                   type=pa.float64())  # fmt: skip
    columns["model_name"] = pa.array([model.name] * n, type=pa.string())
    columns["model_version"] = pa.array([model.version] * n, type=pa.string())
    columns["scored_at"] = pa.array(
        np.full(n, np.datetime64(scored_at.replace(tzinfo=None), "us")),
        type=pa.timestamp("us", tz="UTC"),
    )
    return pa.table(columns)


def default_paths(output: str) -> tuple[str, str]:
    stem = output[: -len(".parquet")] if output.endswith(".parquet") else output
    return f"{stem}.rejects.parquet", f"{stem}.summary.json"


def _progress(total: int | None):
    disable = not sys.stderr.isatty() or bool(os.environ.get("CI"))
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="rows", unit_scale=True, disable=disable, desc="scoring")


def _stages(pipeline: Any, task: Task = BINARY):
    """(features -> model input, model input -> output): a scikit-learn Pipeline splits
    into its preprocessing and its final estimator, so the two can overlap across batches.
    The result is exactly `pipeline.predict_proba` (a regressor's: `pipeline.predict`)."""
    from sklearn.pipeline import Pipeline

    method = "predict" if task == REGRESSION else "predict_proba"
    if isinstance(pipeline, Pipeline) and len(pipeline.steps) > 1:
        return pipeline[:-1].transform, getattr(pipeline.steps[-1][1], method)
    return (lambda X: X), getattr(pipeline, method)


# rows per model call, in whole batches. A forest pays a cost per call: 1M rows scored 65,536
# at a time took 4.17 s against 3.70 s in one call, and 3.83 s 262,144 at a time.
SCORE_ROWS = 262_144


def _group_sizes(batches_per_call: int) -> Iterator[int]:
    """Batches per model call: 1, 2, 4, ... up to `batches_per_call`, so the model starts on
    the first batch while the next ones are prepared, and reaches whole calls soon after."""
    size = 1
    while True:
        yield size
        size = min(size * 2, batches_per_call)


def _prepared(
    batches: Iterator[pa.RecordBatch], config: DatasetConfig, prepare, batches_per_call: int
) -> Iterator[list[tuple[int, CheckedBatch, Any]]]:
    """Groups of (rows, checked batch, model input) for one model call each, in order. A helper
    thread reads, checks and preprocesses up to a call's worth of batches ahead of the one
    being scored; a prepared batch keeps only its ids and its model input."""
    position = 0

    def next_batch():
        nonlocal position
        batch = next(it, None)
        if batch is None:
            return None
        checked = check_rows(batch.to_pandas(), config, first_row=position)
        position += batch.num_rows
        features = prepare(checked.frame[config.feature_names]) if len(checked.frame) else None
        checked.frame = checked.frame[[config.id]]  # what the output still needs
        return batch.num_rows, checked, features

    it = iter(batches)
    with ThreadPoolExecutor(1, thread_name_prefix="batch-prepare") as pool:
        ahead = deque(pool.submit(next_batch) for _ in range(batches_per_call))
        for size in _group_sizes(batches_per_call):
            group = []
            while len(group) < size and (item := ahead.popleft().result()) is not None:
                ahead.append(pool.submit(next_batch))
                group.append(item)
            if group:
                yield group
            if len(group) < size:
                return


def _scored(group: list[tuple[int, CheckedBatch, Any]], predict_proba) -> list[Any]:
    """Each batch's probabilities (None for a batch without scorable rows), from one call
    where the model inputs can be stacked (arrays), else from one call a batch."""
    inputs = [features for _, _, features in group if features is not None]
    if len(inputs) > 1 and all(isinstance(x, np.ndarray) for x in inputs):
        proba = predict_proba(np.concatenate(inputs))
        parts = iter(np.split(proba, np.cumsum([len(x) for x in inputs])[:-1]))
        return [None if features is None else next(parts) for _, _, features in group]
    return [None if f is None else predict_proba(f) for _, _, f in group]


def score_file(
    input_path: str,
    output_path: str,
    model: RegisteredModel,
    config: DatasetConfig,
    rejects_path: str | None = None,
    summary_path: str | None = None,
    batch_size: int = 65_536,
    fmt: str | None = None,
    score_rows: int = SCORE_ROWS,
) -> Summary:
    """Score `input_path` into `output_path` (Parquet) on this machine, batch by batch."""
    default_rejects, default_summary = default_paths(output_path)
    rejects_path = rejects_path or default_rejects
    summary_path = summary_path or default_summary
    columns = [config.id, *config.feature_names]
    scored_at = datetime.now(UTC)
    summary = Summary(
        input_path, output_path, rejects_path, model.name, model.version, model.alias,
        "local", scored_at.isoformat(),
    )  # fmt: skip
    started = time.perf_counter()
    task = task_of(model.pipeline)
    classes = [str(c) for c in getattr(model.pipeline, "classes_", ())]
    with open_input(input_path, columns, batch_size, fmt) as source:
        id_type = source.schema.field(config.id).type
        with (
            atomic_parquet(
                output_path,
                output_schema(config.id, id_type, task, classes, model.interval is not None),
            ) as out,
            atomic_parquet(rejects_path, rejects_schema(columns)) as bad,
            _progress(source.total_rows) as bar,
        ):
            prepare, predict_proba = _stages(model.pipeline, task)

            def write(group, probas):
                for (_, checked, _), proba in zip(group, probas, strict=True):
                    if proba is not None:
                        table = predictions_table(
                            checked.frame, proba, model, config, scored_at, id_type, task
                        )
                        out.write(table)
                    if len(checked.rejects):
                        bad.write(pa.Table.from_pandas(checked.rejects, preserve_index=False))

            # three stages overlap: prepare the next batches, score a group, write the last
            per_call = max(1, score_rows // batch_size)
            with ThreadPoolExecutor(1, thread_name_prefix="batch-write") as writer:
                pending = None
                for group in _prepared(source.batches, config, prepare, per_call):
                    probas = _scored(group, predict_proba)
                    if pending is not None:
                        pending.result()  # at most one group waits: memory stays bounded
                    pending = writer.submit(write, group, probas)
                    for rows, checked, _ in group:
                        summary.rows_read += rows
                        for reason, count in checked.reasons.items():
                            summary.reasons[reason] = summary.reasons.get(reason, 0) + count
                        bar.update(rows)
                if pending is not None:
                    pending.result()
        summary.rows_scored, summary.rows_rejected = out.rows, bad.rows
    summary.seconds = round(time.perf_counter() - started, 3)
    summary.rows_per_second = round(summary.rows_read / max(summary.seconds, 1e-9), 1)
    write_text(summary_path, json.dumps(summary.to_dict(), indent=2) + "\n")
    return summary
