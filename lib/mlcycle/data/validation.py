"""Validation: check collected data against the dataset config before anything trains on it.

Problems name the column, what is wrong and example rows (position and id). A few things are
fixed by documented policy rather than rejected, and every fix is reported with its count:

* text in a numeric column that is blank or whitespace becomes missing (NaN);
* text in a numeric column that parses as a number ("42", " 3.5 ") becomes that number;
* the target is normalised to 0/1 (1 = the positive label named in the config);
* categorical values are compared and stored as text.

Anything else that does not fit (unparseable numbers, out-of-range values, unknown categories,
nulls where the config forbids them, duplicate ids, bad target labels) is a problem and stops the
build.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlcycle.config import LOAD_TIME_COLUMN, DatasetConfig

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
        out.append(f"{who}: {df.at[row, column]!r}")
    return out


def _coerce_numeric(series: pd.Series) -> tuple[pd.Series, int, int, pd.Series]:
    """Apply the numeric text policy. Returns values, #blank->NaN, #text->number, bad mask."""
    if pd.api.types.is_bool_dtype(series):
        return series.astype(float), 0, 0, pd.Series(False, index=series.index)
    if pd.api.types.is_numeric_dtype(series):
        return series.astype(float), 0, 0, pd.Series(False, index=series.index)
    is_text = series.map(lambda v: isinstance(v, str))
    text = series.where(is_text).astype("string").str.strip()
    blank = is_text & (text == "").fillna(False).astype(bool)
    parsed = pd.to_numeric(text.where(~blank), errors="coerce")
    converted = is_text & ~blank & parsed.notna()
    bad = is_text & ~blank & parsed.isna()
    other = ~is_text & series.notna()
    numeric_other = pd.to_numeric(series.where(other), errors="coerce")
    bad = bad | (other & numeric_other.isna())
    values = parsed.where(is_text, numeric_other).astype(float)
    return values, int(blank.sum()), int(converted.sum()), bad.astype(bool)


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

    # target
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

    for feat in config.numeric:
        if feat.name not in df.columns:  # event features arrive later
            continue
        values, blanks, converted, bad = _coerce_numeric(df[feat.name])
        if blanks:
            fixes.append(f"'{feat.name}': {blanks} blank text value(s) treated as missing")
        if converted:
            fixes.append(f"'{feat.name}': {converted} number(s) stored as text converted")
        if bad.any():
            problems.append(
                Problem(
                    feat.name,
                    "values that are not numbers",
                    _examples(df, bad, feat.name, idc),
                    int(bad.sum()),
                )
            )
        inf = np.isinf(values)
        if inf.any():
            problems.append(
                Problem(
                    feat.name, "infinite values", _examples(df, inf, feat.name, idc), int(inf.sum())
                )
            )
        lo = feat.min if feat.min is not None else -np.inf
        hi = feat.max if feat.max is not None else np.inf
        out = values.notna() & ~inf & ((values < lo) | (values > hi))
        if out.any():
            problems.append(
                Problem(
                    feat.name,
                    f"{int(out.sum())} value(s) outside the allowed range [{feat.min}, {feat.max}]",
                    _examples(df, out, feat.name, idc),
                    int(out.sum()),
                )
            )
        if not feat.nullable and values.isna().any():
            miss = values.isna() & ~bad
            problems.append(
                Problem(
                    feat.name,
                    "missing values, but the config says nullable: false",
                    _examples(df, miss, feat.name, idc),
                    int(miss.sum()),
                )
            )
        df[feat.name] = values

    for feat in config.categorical:
        col = df[feat.name]
        missing = col.isna()
        text = col.where(missing, col.astype(str))
        if feat.values is not None:
            unknown = ~missing & ~text.isin(feat.values)
            if unknown.any():
                seen = sorted(text[unknown].unique())[:MAX_EXAMPLES]
                problems.append(
                    Problem(
                        feat.name,
                        f"values outside the allowed set {list(feat.values)}: {seen}",
                        _examples(df, unknown, feat.name, idc),
                        int(unknown.sum()),
                    )
                )
        if not feat.nullable and missing.any():
            problems.append(
                Problem(
                    feat.name,
                    "missing values, but the config says nullable: false",
                    _examples(df, missing, feat.name, idc),
                    int(missing.sum()),
                )
            )
        df[feat.name] = text.astype(object)

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
