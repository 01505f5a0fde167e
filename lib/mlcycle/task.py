"""What a model predicts: a binary label, one of several classes, or a number.

The dataset config may say it (`target.task`); when it does not, the task is inferred from the
target's values when the data is validated, and the inference is stated with its reason, so a
user who disagrees knows what to write. The rules, in order:

* two distinct values (or booleans) are binary;
* numbers with a fraction are regression;
* whole numbers are classes up to `MAX_WHOLE_NUMBER_CLASSES` distinct values (a rating, a plan
  tier), and amounts beyond it (days, counts, spend);
* text is classes, up to `MAX_CLASSES` distinct labels; more is refused, since it is neither;
* numbers with a little text among them (up to `NOT_NUMBERS_SHARE`) are numbers: validation
  then names the rows that are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pandas as pd

Task = Literal["binary", "multiclass", "regression"]
BINARY: Task = "binary"
MULTICLASS: Task = "multiclass"
REGRESSION: Task = "regression"

MAX_CLASSES = 50  # more text labels than this: not a classification target the project trains
MAX_WHOLE_NUMBER_CLASSES = 10  # whole numbers with more distinct values are amounts
DEFAULT_MIN_CLASS_ROWS = 10  # a class with fewer rows cannot be learnt, split and evaluated
NOT_NUMBERS_SHARE = 0.1  # numbers with up to this share of text are numbers with bad values


class TaskInferenceError(ValueError):
    """A target whose task cannot be inferred: the message says what to write in the config."""


@dataclass(frozen=True)
class TaskChoice:
    """The task and why: `stated` when the config said it, else the inference's reason."""

    task: Task
    reason: str
    stated: bool = False

    def __str__(self) -> str:
        if self.stated:
            return f"task {self.task} (as the dataset config states)"
        override = "'target.task' in the dataset config overrides it"
        return f"task {self.task} (inferred: {self.reason}; {override})"


def _shown(values: list, limit: int = 6) -> str:
    head = ", ".join(map(str, values[:limit]))
    return head + (f", … ({len(values)} in all)" if len(values) > limit else "")


def infer_task(values: pd.Series, column: str = "target") -> TaskChoice:
    """The task a target column implies (see the module's rules); missing values are ignored
    (text that means no value is the caller's to drop: `column_rules.missing_values`).
    Raises TaskInferenceError for text with more labels than classes can hold."""
    import pandas as pd

    present = values.dropna()
    distinct = present.unique()
    if len(distinct) <= 2 or pd.api.types.is_bool_dtype(values):
        labels = sorted(map(str, distinct))
        return TaskChoice(BINARY, f"{len(distinct)} distinct values ({_shown(labels)})")
    numbers = pd.to_numeric(present, errors="coerce") if present.dtype == object else present
    odd = int(numbers.isna().sum())  # text among numbers: validation names those rows
    if pd.api.types.is_numeric_dtype(numbers) and odd <= NOT_NUMBERS_SHARE * len(numbers):
        numbers = numbers.dropna().astype(float)
        whole = bool(((numbers % 1) == 0).all())
        count = int(numbers.nunique())
        if not whole:
            more = f"; {odd} value(s) are not numbers" if odd else ""
            return TaskChoice(REGRESSION, f"numbers with a fraction ({count} distinct{more})")
        if count > MAX_WHOLE_NUMBER_CLASSES:
            return TaskChoice(
                REGRESSION,
                f"{count} distinct whole numbers, more than {MAX_WHOLE_NUMBER_CLASSES}: read "
                "as amounts (say 'task: multiclass' if they are classes)",
            )
        shown = _shown(sorted(int(v) for v in numbers.unique()))
        return TaskChoice(
            MULTICLASS,
            f"{count} distinct whole numbers ({shown}): read as classes (say 'task: "
            "regression' if they are amounts)",
        )
    labels = sorted(map(str, distinct))
    if len(labels) > MAX_CLASSES:
        raise TaskInferenceError(
            f"column '{column}' has {len(labels)} distinct text labels ({_shown(labels)}): "
            f"more than {MAX_CLASSES} classes, and not numbers; set 'target.task' in the "
            "dataset config, or map the labels to fewer classes"
        )
    return TaskChoice(MULTICLASS, f"{len(labels)} text labels ({_shown(labels)})")


def task_of(model: object) -> Task:
    """What a fitted model predicts, read from the model itself (a registered version carries
    its task with it): a regressor's numbers, a 0/1 classifier's binary label, or classes."""
    from sklearn.base import is_regressor

    if is_regressor(model) or not hasattr(model, "classes_"):
        return REGRESSION
    return BINARY if [str(c) for c in model.classes_] == ["0", "1"] else MULTICLASS


def choose_task(stated: Task | None, values: pd.Series, column: str = "target") -> TaskChoice:
    """The config's task when it states one, else the inferred one."""
    if stated is not None:
        return TaskChoice(stated, "stated", stated=True)
    return infer_task(values, column)


# --- what a model of each task is judged by -------------------------------------------------

LOWER_IS_BETTER = frozenset({"log_loss", "mae", "rmse", "mape"})  # errors; the rest: higher
METRICS: dict[Task, tuple[str, ...]] = {
    BINARY: ("accuracy", "roc_auc", "precision", "recall", "f1", "log_loss"),
    MULTICLASS: (
        "accuracy",
        "f1_macro",
        "f1_weighted",
        "precision_macro",
        "recall_macro",
        "log_loss",
    ),  # fmt: skip
    REGRESSION: ("mae", "rmse", "r2", "mape"),  # mape only where no true value is zero
}
AUTO = "auto"  # a metric setting that means: the task's own

# A regressor's prediction interval: split conformal on the test set. The half-width is the
# test rows' absolute error at this coverage, logged on the version's run by `evaluate`; the
# service and batch scoring give prediction ± it.
INTERVAL_COVERAGE = 0.9
INTERVAL_METRIC = "test_interval_halfwidth"


@dataclass(frozen=True)
class Judged:
    """The metrics a task is judged by when the settings say `auto`."""

    selection: str  # picks the candidate on the validation split
    gate: str  # the quality gate on the test set
    gate_threshold: float  # at least (at most for an error)
    promotion: str  # a challenger must beat the champion on it


JUDGED: dict[Task, Judged] = {
    BINARY: Judged("roc_auc", "accuracy", 0.85, "roc_auc"),
    MULTICLASS: Judged("f1_macro", "f1_macro", 0.5, "f1_macro"),
    REGRESSION: Judged("rmse", "r2", 0.5, "rmse"),  # r2: scale-free, 0 = predicting the mean
}


def metric_for(task: Task, setting: str | None, role: str) -> str:
    """The metric a setting names for `role` (selection, gate or promotion): the task's own
    for `auto` or nothing; otherwise it must be one of the task's metrics."""
    if setting in (None, "", AUTO):
        return getattr(JUDGED[task], role)
    if setting not in METRICS[task]:
        raise ValueError(
            f"setting {role}_metric: {setting!r} is not a metric of a {task} model; choose one "
            f"of {', '.join(METRICS[task])}, or {AUTO} ({getattr(JUDGED[task], role)})"
        )
    return setting


def gate_for(task: Task, metric: str | None, threshold: float | str | None) -> tuple[str, float]:
    """The gate's (metric, threshold): an `auto` metric with no threshold is the task's own
    gate; a threshold given applies to whichever metric the gate checks."""
    chosen = metric_for(task, metric, "gate")
    if threshold in (None, "", "None"):
        if metric not in (None, "", AUTO):
            raise ValueError(f"setting gate_threshold is required with gate_metric {metric!r}")
        return chosen, JUDGED[task].gate_threshold
    return chosen, float(threshold)


# --- how a task's figures are shown -------------------------------------------------------

HEADLINE: dict[Task, tuple[str, str]] = {  # the two metrics a one-line summary shows
    BINARY: ("accuracy", "roc_auc"),
    MULTICLASS: ("accuracy", "f1_macro"),
    REGRESSION: ("rmse", "r2"),
}
METRIC_NAMES = {
    "roc_auc": "ROC AUC", "f1_macro": "macro F1", "f1_weighted": "weighted F1",
    "precision_macro": "macro precision", "recall_macro": "macro recall",
    "log_loss": "log loss", "mae": "MAE", "rmse": "RMSE", "r2": "R²", "mape": "MAPE",
}  # fmt: skip


def metric_name(metric: str) -> str:
    """A metric as a reader names it: ROC AUC, macro F1, RMSE, R²."""
    return METRIC_NAMES.get(metric, metric)


def headline(task: str, metrics: dict[str, float], first: int = 0) -> str:
    """The task's two headline metrics, e.g. "accuracy 0.878, ROC AUC 0.934" (from the
    `first`: 1 shows the second alone)."""
    shown = [m for m in HEADLINE.get(task, HEADLINE[BINARY])[first:] if m in metrics]
    return ", ".join(f"{metric_name(m)} {metrics[m]:.3f}" for m in shown)
