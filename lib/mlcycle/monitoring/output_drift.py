"""Drift of what the model predicts and of what happens, against training.

Feature drift says the inputs moved. These two say whether the answers moved (the model's
predictions on the window against its predictions on the training rows: the probability of the
positive class, the predicted class, or the number) and whether the target did (the window's
own target when it has one, else the outcomes fed back to the service, against the training
target). Evidently's ValueDrift picks the test as it does for the features: K-S or chi-square
p-values on small samples, distances on large ones.
"""

from __future__ import annotations

import json
import math
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlcycle.config import DatasetConfig
from mlcycle.monitoring.drift import column_verdicts, labels
from mlcycle.task import BINARY, MULTICLASS, REGRESSION

MIN_ROWS = 30  # fewer values on either side: not judged


@dataclass
class OutputDrift:
    table: pd.DataFrame  # per output: current source, rows, method, score, threshold, drifted
    reference: pd.DataFrame  # the training side: columns prediction and target
    current: pd.DataFrame
    numeric: set[str]  # which of the two are numbers (the rest are labels)

    def figure(self) -> Any:
        """Training against now, one panel each for the prediction and the target."""
        from mlcycle.monitoring.drift_plots import distributions_figure

        return distributions_figure(self.reference, self.current, ["prediction", "target"],
                                    self.numeric)  # fmt: skip

    @property
    def summary(self) -> list[dict[str, Any]]:
        rows = self.table.reset_index().to_dict("records")
        return [{k: None if _missing(v) else v for k, v in r.items()} for r in rows]


def _missing(value: Any) -> bool:
    return value is None or isinstance(value, float) and math.isnan(value)


def _values(values: pd.Series, numeric: bool) -> pd.Series:
    if numeric:
        return pd.to_numeric(values, errors="coerce").dropna().astype(float)
    return labels(values)


def model_predictions(pipeline: Any, frame: pd.DataFrame, config: DatasetConfig, task: str):
    """What a model predicts for each row, as output drift compares it: the positive class's
    probability, the predicted class, or the number."""
    from mlcycle.training.train import model_output

    out = model_output(pipeline, frame[config.feature_names], task)
    if task == MULTICLASS:
        return out.idxmax(axis=1).astype(str)
    return pd.Series(np.asarray(out, dtype=float), index=frame.index)


def scored_predictions(predictions: pd.DataFrame, task: str) -> pd.Series:
    """The same from a batch output file (mlcycle.batch.score's columns)."""
    return predictions["probability" if task == BINARY else "prediction"]


def window_predictions(window: str, model: Any, config: DatasetConfig) -> pd.DataFrame:
    """A window scored as batch scoring would (its row checks reject what it rejects), in a
    temporary folder: the monitor's own, not a product."""
    from mlcycle.batch.score import score_file

    with tempfile.TemporaryDirectory(prefix="mlcycle-monitor-") as folder:
        out = str(Path(folder) / "predictions.parquet")
        score_file(window, out, model, config)
        return pd.read_parquet(out)


def window_target(window: str, config: DatasetConfig) -> pd.Series | None:
    """The window's target column when it has one (a labelled window), else None."""
    from mlcycle.batch.reader import InputSchemaError, open_input

    try:
        with open_input(window, [config.target.column]) as source:
            return pd.concat(b.to_pandas() for b in source.batches)[config.target.column]
    except InputSchemaError:  # no target column: an unlabelled window
        return None


def value_drift(
    reference: pd.Series, current: pd.Series, numeric: bool, max_rows: int, seed: int
) -> dict[str, Any]:
    """One column's drift verdict; not judged (drifted None) with under MIN_ROWS a side."""
    ref, cur = _values(reference, numeric), _values(current, numeric)
    verdict: dict[str, Any] = {"reference_rows": len(ref), "current_rows": len(cur),
                               "method": "", "score": float("nan"),
                               "threshold": float("nan"), "drifted": None}  # fmt: skip
    if min(len(ref), len(cur)) < MIN_ROWS:
        verdict["method"] = f"not judged: under {MIN_ROWS} values"
        return verdict
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # evidently's imports warn about their own deprecations
        from evidently import DataDefinition, Dataset, Report
        from evidently.metrics import ValueDrift

    kind = "numerical_columns" if numeric else "categorical_columns"
    definition = DataDefinition(**{kind: ["value"]})

    def dataset(values: pd.Series):
        if len(values) > max_rows:
            values = values.sample(max_rows, random_state=seed)
        frame = values.rename("value").reset_index(drop=True).to_frame()
        return Dataset.from_pandas(frame, data_definition=definition)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snapshot = Report([ValueDrift(column="value")]).run(dataset(cur), dataset(ref))
    row = column_verdicts(json.loads(json.dumps(snapshot.dict(), default=str))).iloc[0]
    verdict.update(method=row["method"], score=row["score"], threshold=row["threshold"],
                   drifted=bool(row["drifted"]))  # fmt: skip
    return verdict


def output_drift(
    task: str,
    predictions: tuple[pd.Series, pd.Series, str],
    target: tuple[pd.Series, pd.Series | None, str],
    max_rows: int = 20_000,
    seed: int = 0,
) -> OutputDrift:
    """`predictions` and `target`: (training side, current side, where the current side
    comes from). A target with no current side (no labelled window, no outcomes yet) is
    reported as not judged."""
    numeric = {"prediction"} if task != MULTICLASS else set()
    if task == REGRESSION:
        numeric.add("target")
    rows, reference, current = [], {}, {}
    for output, (ref, cur, source) in (("prediction", predictions), ("target", target)):
        cur = cur if cur is not None else pd.Series(dtype=object)
        verdict = value_drift(ref, cur, output in numeric, max_rows, seed)
        rows.append({"output": output, "current": source, **verdict})
        reference[output] = _values(ref, output in numeric).reset_index(drop=True)
        current[output] = _values(cur, output in numeric).reset_index(drop=True)
    return OutputDrift(
        pd.DataFrame(rows).set_index("output"),
        pd.DataFrame(reference),
        pd.DataFrame(current),
        numeric,
    )


def registered_version(name: str, version: str) -> Any:
    """A registered version for scoring (skops with trusted types only, as batch loads it)."""
    from mlcycle.batch.score import RegisteredModel
    from mlcycle.registry.trusted import load_trusted

    uri = f"models:/{name}/{version}"
    pipeline = load_trusted(uri, f"version {version} of '{name}'")
    return RegisteredModel(name, str(version), "", uri, pipeline)


def outputs_of_window(
    window: str,
    scored: pd.DataFrame,
    reference: pd.DataFrame,
    config: DatasetConfig,
    task: str,
    outcomes: tuple[pd.Series, str],
    rescore: bool = False,
    max_rows: int = 20_000,
    seed: int = 0,
) -> OutputDrift:
    """The monitor's output drift: `scored` is the batch stage's output (`rescore`: the
    window is another, so the version that scored it scores the window too); the target's
    current side is the window's own target, else `outcomes` (values, where from)."""
    if scored.empty:
        current = (pd.Series(dtype=float), "the window: no row scored")
        reference_predictions = pd.Series(dtype=float)
    else:
        model = registered_version(config.model_name, str(scored["model_version"].iloc[0]))
        if rescore:
            scored = window_predictions(window, model, config)
        current = (scored_predictions(scored, task), f"the window, scored by v{model.version}")
        reference_predictions = model_predictions(model.pipeline, reference, config, task)
    labelled = window_target(window, config)
    target_now = (labelled, "the window's target") if labelled is not None else outcomes
    return output_drift(
        task,
        (reference_predictions, *current),
        (reference[config.target.column], *target_now),
        max_rows,
        seed,
    )
