"""Validation: check collected data against the dataset config before anything trains on it.

Problems name the column, what is wrong and example rows (position and id). A few things are
fixed by documented policy rather than rejected, and every fix is reported with its count:

* text that means "no value" (blank, "NaN", "N/A", ...) becomes missing;
* text in a numeric column that parses as a number ("42", " 3.5 ") becomes that number;
* the target is normalised to 0/1 (1 = the positive label named in the config);
* categorical values are compared and stored as text.

The feature rules are `mlcycle.column_rules`, the same the service and batch scoring apply.
Anything else that does not fit (unparseable numbers, booleans or out-of-range values in numeric
columns, unknown categories, nulls where the config forbids them, a feature missing in more rows
than `max_missing_share`, duplicate ids, bad target labels) is a problem and stops the build; a
`target.positive` that is not a label of the target is a mistake in the config (ConfigError).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlcycle.column_rules import (
    NOT_A_NUMBER,
    NOT_ALLOWED,
    NOT_FINITE,
    NOT_NULLABLE,
    TOO_LARGE,
    kind_of,
    missing_values,
    read_categorical,
    read_numeric,
)
from mlcycle.config import (
    LOAD_TIME_COLUMN,
    CategoricalFeature,
    ConfigError,
    DatasetConfig,
    NumericFeature,
)
from mlcycle.task import BINARY, MULTICLASS, TaskInferenceError, choose_task

MAX_EXAMPLES = 5


class DataValidationError(ValueError):
    """The data does not satisfy the dataset config; the message lists every problem."""


@dataclass
class Problem:
    column: str
    message: str
    examples: list[str] = field(default_factory=list)
    rows: int = 0  # how many rows have it

    def __str__(self) -> str:
        text = f"column '{self.column}': {self.message}"
        if self.examples:
            text += f"; e.g. {', '.join(self.examples)}"
        return text


@dataclass
class ValidationReport:
    dataset: str
    source: str
    rows: int
    problems: list[Problem] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    task: str | None = None  # binary | multiclass | regression, once the target was read
    task_reason: str = ""  # why: the inference's reason, or "stated"
    task_stated: bool = False  # the dataset config said it
    classes: list[str] = field(default_factory=list)  # multiclass: the labels, sorted

    @property
    def passed(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "source": self.source,
            "rows": self.rows,
            "passed": self.passed,
            "problems": [
                {"column": p.column, "message": p.message, "rows": p.rows, "examples": p.examples}
                for p in self.problems
            ],
            "fixes": self.fixes,
            "notes": self.notes,
            "task": self.task,
            "task_reason": self.task_reason,
            "task_stated": self.task_stated,
            "classes": self.classes,
        }

    def message(self) -> str:
        lines = [
            f"Data validation failed for dataset '{self.dataset}' ({self.source}): "
            f"{len(self.problems)} problem(s) in {self.rows} rows"
        ]
        lines += [f"  - {p}" for p in self.problems]
        lines.append("Nothing downstream ran. Fix the data or the dataset config.")
        return "\n".join(lines)

    def raise_if_failed(self) -> None:
        if self.problems:
            raise DataValidationError(self.message())


def _examples(df: pd.DataFrame, mask: pd.Series, column: str, id_column: str) -> list[str]:
    rows = df.index[mask.to_numpy()][:MAX_EXAMPLES]
    out = []
    for row in rows:
        ident = df.at[row, id_column] if id_column in df.columns else None
        who = f"row {row}" + (f" ({id_column}={ident!r})" if ident is not None else "")
        value = df.at[row, column]
        out.append(f"{who}: {value.item() if isinstance(value, np.generic) else value!r}")
    return out


def _normalise_target(
    series: pd.Series, positive: Any
) -> tuple[pd.Series | None, str | None, pd.Series]:
    """Map the target to 0/1 (1 = positive). Returns (values, error, rows to show)."""
    none = pd.Series(False, index=series.index)
    present = series.notna()
    text = series.map(str).where(present)
    labels = sorted(text.dropna().unique())
    if positive is not None:
        pos = str(positive)
        if pos not in labels:
            return None, f"the positive label {positive!r} never occurs (labels: {labels})", none
        if len(labels) > 2:
            negative = text[present & (text != pos)].value_counts().index[0]  # most common
            odd = present & ~text.isin([pos, negative])
            return None, f"expected two labels, found {len(labels)}: {labels}", odd
        return (text == pos).astype(float).where(present), None, none
    if pd.api.types.is_bool_dtype(series) or set(labels) <= {"True", "False"}:
        return text.map({"True": 1.0, "False": 0.0}), None, none
    numeric = pd.to_numeric(series, errors="coerce")
    bad = present & ~numeric.isin([0, 1])
    if not bad.any():
        return numeric, None, none
    if numeric.isna().all() and len(labels) == 2:
        hint = f"string labels {labels}: name the positive one with 'target.positive' in the config"
        return None, hint, bad
    return None, "values other than 0/1 (set 'target.positive' for other labels)", bad


def _missing_fix(name: str, count: int) -> str:
    return f"'{name}': {count} blank text value(s) treated as missing"


def _check_positive(config: DatasetConfig, series: pd.Series) -> None:
    """A `target.positive` that is no label of the target is a typo in the config, not data."""
    positive = config.target.positive
    labels = sorted(series.dropna().map(str).unique())
    if positive is None or str(positive) in labels:
        return
    near = difflib.get_close_matches(str(positive), labels, n=1, cutoff=0.5)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    raise ConfigError(
        f"dataset config {config.path}: 'target.positive': the positive label {positive!r} "
        f"never occurs in column '{config.target.column}' (labels: {labels[:10]}){hint}"
    )


def _wording(feat: NumericFeature | CategoricalFeature, kind: str, rows: int) -> str:
    """The table-level sentence for a rule a column broke (the rules' words, counted)."""
    if kind == "range":
        return f"{rows} value(s) outside the allowed range [{_g(feat.min)}, {_g(feat.max)}]"
    if kind == NOT_ALLOWED:
        return f"values outside the allowed set {list(feat.values)}"
    return {
        NOT_A_NUMBER: "values that are not numbers",
        NOT_FINITE: "infinite values",
        TOO_LARGE: "values too large to score (beyond ±1e15)",
        NOT_NULLABLE: "missing values, but the config says nullable: false",
    }[kind]


def _g(bound: float | None) -> str:
    return "None" if bound is None else f"{bound:g}"


def _report_column(
    df: pd.DataFrame,
    feat: NumericFeature | CategoricalFeature,
    refused: list[tuple[np.ndarray, str]],
    idc: str,
    problems: list[Problem],
) -> None:
    by_kind: dict[str, np.ndarray] = {}
    for mask, problem in refused:
        kind = kind_of(problem)
        by_kind[kind] = by_kind[kind] | mask if kind in by_kind else mask
    for kind, mask in by_kind.items():
        if not mask.any():
            continue
        series = pd.Series(mask, index=df.index)
        message = _wording(feat, kind, int(mask.sum()))
        if kind == NOT_ALLOWED:
            seen = sorted(map(str, df.loc[series, feat.name].unique()))[:MAX_EXAMPLES]
            message += f": {seen}"
        problems.append(
            Problem(feat.name, message, _examples(df, series, feat.name, idc), int(mask.sum()))
        )


def _check_missing_share(
    feat: NumericFeature | CategoricalFeature, missing: pd.Series, problems: list[Problem]
) -> None:
    """A feature (nearly) never filled in cannot be learnt from; the model card would hide it."""
    if missing.empty:
        return
    share = float(missing.mean())
    if share > feat.max_missing_share:
        problems.append(
            Problem(
                feat.name,
                f"{int(missing.sum())} of {len(missing)} values are missing ({share:.0%}), more "
                f"than max_missing_share {feat.max_missing_share:g}: fix the data, drop the "
                "feature from the config, or raise max_missing_share",
                rows=int(missing.sum()),
            )
        )


def _validate_target(df: pd.DataFrame, config: DatasetConfig, report: ValidationReport) -> None:
    """The target by its task (stated by the config, implied by `target.positive`, or
    inferred and said so in the notes):
    binary normalised to 0/1, classes as text with enough rows each, regression as finite
    numbers. Problems go to the report; the column in `df` is replaced by its normalised form."""
    tcol = config.target.column
    try:
        choice = choose_task(config.target.stated_task, df[tcol][~missing_values(df[tcol])], tcol)
    except TaskInferenceError as exc:
        report.problems.append(Problem(tcol, str(exc).replace(f"column '{tcol}' has ", "")))
        return
    report.task, report.task_reason, report.task_stated = (
        choice.task, choice.reason, choice.stated,
    )  # fmt: skip
    report.notes.append(f"target '{tcol}': {choice}")
    if choice.task == BINARY:
        _binary_target(df, config, report)
    elif choice.task == MULTICLASS:
        _class_target(df, config, report)
    else:
        _regression_target(df, config, report)


def _missing_target(df: pd.DataFrame, config: DatasetConfig, missing: pd.Series) -> Problem:
    tcol = config.target.column
    return Problem(
        tcol, "missing target values", _examples(df, missing, tcol, config.id), int(missing.sum())
    )


def _class_target(df: pd.DataFrame, config: DatasetConfig, report: ValidationReport) -> None:
    """Classes are text labels (a whole-number class 3 is the label "3"); each needs
    `target.min_class_rows` rows to be learnt, split and evaluated."""
    tcol = config.target.column
    present = ~missing_values(df[tcol])
    labels = df[tcol].map(_label).where(present)
    if not present.all():
        report.problems.append(_missing_target(df, config, ~present))
    counts = labels.value_counts()
    if len(counts) < 3:
        report.problems.append(
            Problem(
                tcol,
                f"{len(counts)} class(es) ({sorted(counts.index)}): a multiclass target needs "
                "at least three; set 'target.task: binary' for two",
            )
        )
    few = counts[counts < config.target.min_class_rows]
    if len(few) and len(counts) >= 3:
        shown = ", ".join(f"{label!r}: {n}" for label, n in few.sort_index().items())
        report.problems.append(
            Problem(
                tcol,
                f"classes with fewer than target.min_class_rows={config.target.min_class_rows} "
                f"rows ({shown}): merge them, drop their rows or lower min_class_rows",
                _examples(df, labels.isin(few.index), tcol, config.id),
                int(few.sum()),
            )
        )
    report.classes = sorted(counts.index)
    df[tcol] = labels.astype(object)


def _label(value: Any) -> str:
    """A class label as text: 3.0 read from a CSV is the class "3", not "3.0"."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _regression_target(df: pd.DataFrame, config: DatasetConfig, report: ValidationReport) -> None:
    """A number per row, finite; text that reads as a number becomes it (as for features)."""
    tcol = config.target.column
    raw = df[tcol]
    present = ~missing_values(raw)
    is_bool = raw.map(lambda v: isinstance(v, bool | np.bool_))
    values = pd.to_numeric(raw.where(~is_bool & present), errors="coerce")
    text = present & values.isna()
    if text.any():
        report.problems.append(
            Problem(
                tcol,
                "values that are not numbers (a regression target is a number per row)",
                _examples(df, text, tcol, config.id),
                int(text.sum()),
            )
        )
    infinite = values.notna() & ~np.isfinite(values.astype(float))
    if infinite.any():
        report.problems.append(
            Problem(tcol, "infinite values", _examples(df, infinite, tcol, config.id),
                    int(infinite.sum()))
        )  # fmt: skip
    if not present.all():
        report.problems.append(_missing_target(df, config, ~present))
    finite = values[present & ~text & ~infinite]
    if finite.nunique() < 2 and not text.any():
        report.problems.append(
            Problem(
                tcol, f"the target is constant ({finite.unique()[:1].tolist()}): nothing to learn"
            )
        )
    df[tcol] = values.astype(float)


def _binary_target(df: pd.DataFrame, config: DatasetConfig, report: ValidationReport) -> None:
    """Normalised to 0/1, 1 = `target.positive` (or a 0/1 or boolean column as it is)."""
    problems, fixes, idc = report.problems, report.fixes, config.id
    _check_positive(config, df[config.target.column])
    target, err, bad = _normalise_target(df[config.target.column], config.target.positive)
    tcol = config.target.column
    if err:
        problems.append(Problem(tcol, err, _examples(df, bad, tcol, idc), int(bad.sum())))
    else:
        null_t = target.isna()
        if null_t.any():
            problems.append(
                Problem(
                    tcol,
                    "missing target values",
                    _examples(df, null_t, tcol, idc),
                    int(null_t.sum()),
                )
            )
        elif target.nunique() < 2:
            problems.append(
                Problem(
                    tcol, f"only one class present ({int(target.iloc[0])}); training needs both"
                )
            )
        already_01 = {str(v) for v in df[tcol].dropna().unique()} <= {"0", "1"}
        if config.target.positive is not None and not (
            already_01 and str(config.target.positive) == "1"
        ):
            fixes.append(f"target '{tcol}': {config.target.positive!r} -> 1, other label -> 0")
        df[tcol] = target.astype("Int64") if null_t.any() else target.astype(int)


def validate(
    raw: pd.DataFrame, config: DatasetConfig, source: str = ""
) -> tuple[pd.DataFrame, ValidationReport]:
    """Return the validated, type-normalised table and a report of problems and fixes."""
    df = raw.copy()
    report = ValidationReport(
        config.name, source or str(config.source.path or "generator"), len(df)
    )
    problems, fixes = report.problems, report.fixes
    idc = config.id

    required = [idc, config.target.column]
    if config.timestamp:
        required.append(config.timestamp)
    required += config.table_features
    for col in required:
        if col not in df.columns:
            role = (
                "id"
                if col == idc
                else "target"
                if col == config.target.column
                else "timestamp"
                if col == config.timestamp
                else "feature"
            )
            problems.append(Problem(col, f"missing from the data (the config names it as {role})"))
    if problems:  # without the columns, row-level checks would only repeat the message
        return df, report
    extra = sorted(
        set(df.columns) - set(required) - set(config.event_features) - {LOAD_TIME_COLUMN}
    )
    if extra:
        report.notes.append(f"columns not in the config, ignored: {extra}")

    # id: present and unique per snapshot
    null_id = df[idc].isna()
    if null_id.any():
        problems.append(
            Problem(
                idc,
                f"{int(null_id.sum())} missing ids",
                rows=int(null_id.sum()),
                examples=[f"row {r}" for r in df.index[null_id][:MAX_EXAMPLES]],
            )
        )
    df[idc] = df[idc].where(null_id, df[idc].astype(str))

    if config.timestamp:
        ts = pd.to_datetime(df[config.timestamp], errors="coerce", utc=True).dt.tz_localize(None)
        bad_ts = ts.isna()
        if bad_ts.any():
            problems.append(
                Problem(
                    config.timestamp,
                    "missing or unparseable timestamps",
                    _examples(df, bad_ts, config.timestamp, idc),
                    int(bad_ts.sum()),
                )
            )
        df[config.timestamp] = ts
        key = [idc, config.timestamp]
    else:
        key = [idc]
    dup = df.duplicated(key, keep=False) & ~null_id
    if dup.any():
        problems.append(
            Problem(
                idc,
                f"duplicate ids ({int(dup.sum())} rows share an id"
                + (" and timestamp)" if config.timestamp else ")"),
                _examples(df, dup, idc, idc),
                int(dup.sum()),
            )
        )

    _validate_target(df, config, report)

    for feat in config.numeric:
        if feat.name not in df.columns:  # event features arrive later
            continue
        column = read_numeric(feat, df[feat.name])
        _report_column(df, feat, column.refused, idc, problems)
        if column.missing_text:
            fixes.append(_missing_fix(feat.name, column.missing_text))
        if column.number_text:
            fixes.append(f"'{feat.name}': {column.number_text} number(s) stored as text converted")
        _check_missing_share(feat, column.values.isna(), problems)
        df[feat.name] = column.values

    for feat in config.categorical:
        column = read_categorical(feat, df[feat.name])
        _report_column(df, feat, column.refused, idc, problems)
        if column.missing_text:
            fixes.append(_missing_fix(feat.name, column.missing_text))
        _check_missing_share(feat, column.values.isna(), problems)
        df[feat.name] = column.values

    return df, report


def validate_events(events: pd.DataFrame, id_column: str) -> list[Problem]:
    """Check the event log's schema; the generator's and any user-supplied log alike."""
    problems = []
    for col in (id_column, "event_timestamp", "event_type", "amount"):
        if col not in events.columns:
            problems.append(Problem(col, "missing from the event log"))
    if problems or events.empty:
        return problems
    ts = pd.to_datetime(events["event_timestamp"], errors="coerce")
    if ts.isna().any():
        bad = ts.isna()
        problems.append(
            Problem(
                "event_timestamp",
                "unparseable event timestamps in the event log",
                _examples(events, bad, "event_timestamp", id_column),
                int(bad.sum()),
            )
        )
    return problems
