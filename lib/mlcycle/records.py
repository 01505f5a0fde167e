"""The stage records: what a stage writes for the stages, commands and reports after it.

Kedro calls this the data catalog: the contract between steps. Each record is a typed class with
a `record_version`; notebooks write them with `write_record` and lib reads them with
`read_record`, so a missing or renamed field fails loudly where it is read, naming the file and
the field, instead of a KeyError deep in the hub, the model card or deploy. `CATALOG` names the
product key of each (stage, record), the keys pipeline.yaml gives those products (a test checks
the two agree). Fields a record does not declare are kept (`extra="allow"`): a stage may add
figures for people without a new version; a field others read must be declared here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

RECORD_VERSION = 1


class RecordError(ValueError):
    """A stage record is missing, unreadable or lacks a field its readers need."""


class Record(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, protected_namespaces=())

    record_version: int = RECORD_VERSION


class Collection(Record):
    """What the collect stage took in: its source, `as_of` and training window, row counts."""

    source: str
    as_of: str  # the time the build saw the data as of (resolved)
    as_of_setting: str = ""  # the setting as given ('' = the data's newest), for the next build
    window_start: str | None
    train_window_days: int | None
    rows: int
    events: int
    rows_after_as_of: int
    rows_before_window: int
    data_fingerprint: str
    notes: list[str] = []


class Validation(Record):
    """What the validate stage found: the verdict, and the target's task for every stage
    after it (stated by the dataset config or inferred from the values, and why)."""

    dataset: str
    source: str
    rows: int
    passed: bool
    problems: list[dict[str, Any]]
    fixes: list[str]
    notes: list[str]
    task: str | None  # binary | multiclass | regression; None when the target was unreadable
    task_reason: str = ""
    task_stated: bool = False
    classes: list[str] = []  # multiclass: the labels, sorted


class CandidateRun(Record):
    """One trained candidate's MLflow run (the candidate stage)."""

    run_id: str
    experiment_id: str
    tracking_uri: str
    model_uri: str
    model_name: str
    model_family: str
    model_params: dict[str, Any] = {}
    valid_metrics: dict[str, float]
    sources: dict[str, int] = {}  # training rows by source: the table, production labels
    task: str = "binary"  # what the model predicts (the validate stage's task)
    classes: list[str] = []  # a classifier's labels, in the order of its probabilities


class TrainingRun(CandidateRun):
    """The chosen candidate (the select stage): its run, and how it was chosen."""

    selected_from: str
    selection_metric: str
    candidates: list[dict[str, Any]]


class Gate(BaseModel):
    """The quality gate's verdict, inside an Evaluation."""

    model_config = ConfigDict(extra="allow", frozen=True)

    metric: str
    value: float
    threshold: float
    passed: bool


class Evaluation(Record):
    """Test-set metrics and the quality gate (the evaluate stage)."""

    run_id: str
    test_rows: int
    metrics: dict[str, float]
    confusion: dict[str, Any]
    groups: list[dict[str, Any]]
    gate: Gate
    task: str = "binary"
    tables: dict[str, list[dict[str, Any]]] = {}  # ranking, per_class or residuals, by task


class Registration(Record):
    """What the register stage did in the registry."""

    model_name: str
    version: str
    champion_before: str | None
    champion_after: str | None
    promoted: bool
    reason: str
    metric: str
    challenger_score: float | None  # None: not registered (nothing new)
    champion_score: float | None
    registered: bool = True  # False: the same training as the champion's, nothing new
    beats_champion: bool = False  # the rule says it wins (promoted, rolled out or for review)
    rollout: str | None = None  # the experiment key of the rollout it is in
    compared_on: str = ""  # which test rows challenger and champion were scored on

    @property
    def verdict(self) -> str:
        """What happened to the version, in a few words."""
        if not self.registered:
            return "nothing new registered"
        if self.promoted:
            return "promoted to champion"
        return "rolled out" if self.rollout else "kept as challenger"


class OnnxExports(Record):
    """The optimize stage: ONNX exports with their parity, runtimes, quantization."""

    exports: dict[str, dict[str, Any]]  # by registered version
    runtimes: list[dict[str, Any]] | None
    quantization: list[dict[str, Any]] | None


class MonitoringDecision(Record):
    """The monitor stage's retraining decision."""

    retrain: bool
    reasons: list[str]
    figures: dict[str, Any]
    window: str
    champion: str | None


# (stage, product key) -> the record it holds
CATALOG: dict[tuple[str, str], type[Record]] = {
    ("collect", "summary"): Collection,
    ("validate", "summary"): Validation,
    ("candidate", "run"): CandidateRun,
    ("select", "run"): TrainingRun,
    ("evaluate", "metrics"): Evaluation,
    ("register", "registry"): Registration,
    ("optimize", "summary"): OnnxExports,
    ("monitor", "decision"): MonitoringDecision,
}

R = TypeVar("R", bound=Record)


def write_record(record: Record, path: str | Path) -> None:
    """Write a record atomically (never a half-written file). Returns nothing, so a notebook
    cell that ends with it shows no path of the build machine."""
    from mlcycle.io import write_json

    write_json(record.model_dump(mode="json"), path)


def record_kind(stage: str, key: str) -> type[Record] | None:
    """The record a stage's product holds (a grid's tasks, `candidate-3`, by their stage)."""
    from mlcycle.project import grid_order

    return CATALOG.get((grid_order(stage)[0], key))


def read_record(path: str | Path, kind: type[R]) -> R:
    """Read and check a record; RecordError names the file and what is wrong."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise RecordError(f"{path} does not exist: has the stage that writes it run?") from None
    except (OSError, ValueError) as exc:
        raise RecordError(f"{path} is not a readable {kind.__name__} record: {exc}") from None
    try:
        return kind.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"'{'.'.join(map(str, e['loc']))}' {e['msg'].lower()}" for e in exc.errors()
        )
        raise RecordError(f"{path}: not a valid {kind.__name__} record: {problems}") from None
