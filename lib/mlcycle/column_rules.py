"""The column rules: how every door reads and judges a feature value.

Training validation (a whole table), batch scoring (row by row) and the service (one request)
all call this module, so a value is accepted, read as missing, or refused the same way at each.
The policy, decided once:

* **Missing**: None, a float NaN, and text that is, once stripped, one of `MISSING_TEXT`
  (blank, "NaN", "N/A", "NA", "null", ...). The CSV readers use the same list.
* **Numbers**: an int or a float, or in a file text that reads as one ("12", " 3.5 "): a CSV
  has no types (a JSON request has, and must send numbers). A boolean is not a number.
  Infinity is refused ("not finite"), and so is a finite value beyond ±1e15 (`SCORABLE_MAX`:
  the models compute in float32, after scaling), and a value outside the config's range.
* **Categories** are text: a number given for one is compared as its text. A value outside the
  config's `values` list is refused; without a list any value goes (the encoder ignores unseen
  ones).
* A missing value in a column marked `nullable: false` is refused.

The vectorised functions serve tables (validation, batch); `parse_value` serves one request
field. Both give the same verdicts and the same problem words (a test runs one table of values
through all three doors).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from mlcycle.config import SCORABLE_MAX, CategoricalFeature, NumericFeature

# Text that means "no value", everywhere (collect's and batch's CSV readers included).
MISSING_TEXT = ("", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "None", "#N/A", "<NA>")
_MISSING = frozenset(MISSING_TEXT)

NOT_A_NUMBER = "not a number"
NOT_FINITE = "not finite"
TOO_LARGE = "too large to score (beyond ±1e15)"
NOT_ALLOWED = "not an allowed value"
NOT_NULLABLE = "missing (not nullable)"
# A category is a label, not a document: longer text is refused, at every door.
MAX_TEXT_LENGTH = 256
TOO_LONG = f"longer than {MAX_TEXT_LENGTH} characters"
NOT_TEXT = "not valid Unicode text (a lone surrogate)"


def is_text(value: str) -> bool:
    """True unless `value` holds a lone surrogate: valid JSON ("\\ud800"), not encodable text."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


NOT_A_VALUE = "not text or a number (a list, a date, bytes that are not UTF-8, ...)"


def _scalar(value: Any) -> bool:
    """A value a column can hold: text, a real number, a boolean or nothing. A list, a mapping,
    bytes, a date or a complex number is not, whatever a table's dtype lets through."""
    return value is None or isinstance(
        value, str | bool | int | float | np.bool_ | np.integer | np.floating | Decimal
    )


def kind_of(problem: str) -> str:
    """The rule a problem broke: 'range' for 'below 18' / 'above 100', else the problem."""
    return "range" if problem.startswith(("below ", "above ")) else problem


class ValueRefused(ValueError):
    """One value broke its column's rule; the message is the problem ('below 18', ...)."""


def missing_values(values: pd.Series) -> pd.Series:
    """True where a value is missing by these rules: None, NaN, or text that, once stripped,
    is one of MISSING_TEXT (blank, "N/A", "null", ...)."""
    text = values.map(lambda v: v.strip() if isinstance(v, str) else None)
    return values.isna() | text.isin(_MISSING)


@dataclass
class NumericColumn:
    """A numeric column read by the rules: values (NaN = missing) and what was found."""

    values: pd.Series  # float
    refused: list[tuple[np.ndarray, str]]  # (row mask, problem), in the order they are checked
    missing_text: int  # text values read as missing
    number_text: int  # numbers given as text, read as numbers


@dataclass
class CategoricalColumn:
    values: pd.Series  # object: str, or None for missing
    refused: list[tuple[np.ndarray, str]]
    missing_text: int


def _below(feat: NumericFeature) -> str:
    return f"below {feat.min:g}"


def _above(feat: NumericFeature) -> str:
    return f"above {feat.max:g}"


def _numeric_problems(feat: NumericFeature, values: np.ndarray) -> list[tuple[np.ndarray, str]]:
    present = ~np.isnan(values)
    finite = np.isfinite(values)
    huge = finite & (np.abs(values) > SCORABLE_MAX)
    usable = finite & ~huge
    out = [(present & ~finite, NOT_FINITE), (huge, TOO_LARGE)]
    if feat.min is not None:
        out.append((usable & (values < feat.min), _below(feat)))
    if feat.max is not None:
        out.append((usable & (values > feat.max), _above(feat)))
    if not feat.nullable:
        out.append((~present, NOT_NULLABLE))
    return out


def read_numeric(feat: NumericFeature, series: pd.Series) -> NumericColumn:
    """Read a numeric column by the policy above."""
    none = np.zeros(len(series), dtype=bool)
    kind = series.dtype.kind
    if (
        pd.api.types.is_bool_dtype(series)
        or kind in "mMc"
        or isinstance(series.dtype, pd.PeriodDtype | pd.IntervalDtype)
    ):  # booleans, times, durations, complex numbers: not numbers a model was trained on
        values = np.full(len(series), np.nan)
        return NumericColumn(pd.Series(values, index=series.index), [(~none, NOT_A_NUMBER)], 0, 0)
    if pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        problems = _numeric_problems(feat, values)
        return NumericColumn(pd.Series(values, index=series.index), problems, 0, 0)
    if pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):  # a CSV's text
        is_text = series.notna().to_numpy()
        is_bool = np.zeros(len(series), dtype=bool)
        text = series.astype("string").str.strip()
    else:
        is_text = series.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        is_bool = series.map(lambda v: isinstance(v, bool | np.bool_)).to_numpy(dtype=bool)
        text = series.where(is_text).astype("string").str.strip()
    missing_text = is_text & text.isin(_MISSING).fillna(False).to_numpy(dtype=bool)
    parsed = pd.to_numeric(text.where(~missing_text), errors="coerce").to_numpy(dtype=float)
    number_text = is_text & ~missing_text & ~np.isnan(parsed)
    other = ~is_text & ~is_bool & series.notna().to_numpy()
    if other.any():  # only scalars are numbers: pd.to_numeric would read a date as its ns
        other &= series.map(_scalar).to_numpy(dtype=bool) | ~other
        odd = ~is_text & ~is_bool & series.notna().to_numpy() & ~other
    else:
        odd = none
    others = pd.to_numeric(series.where(other), errors="coerce").to_numpy(dtype=float)
    values = np.where(is_text, parsed, np.where(is_bool, np.nan, others))
    not_number = (is_text & ~missing_text & np.isnan(parsed)) | (other & np.isnan(others))
    not_number |= is_bool | odd
    problems = [(not_number, NOT_A_NUMBER)]
    problems += [(m & ~not_number, p) for m, p in _numeric_problems(feat, values)]
    return NumericColumn(
        pd.Series(values, index=series.index),
        problems,
        int(missing_text.sum()),
        int(number_text.sum()),
    )


def read_categorical(feat: CategoricalFeature, series: pd.Series) -> CategoricalColumn:
    """Read a categorical column by the policy above."""
    odd = np.zeros(len(series), dtype=bool)
    if pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        text = series  # text already (a CSV, Parquet strings): no per-value work
    else:
        text = series.astype(object).where(series.notna(), None)
        text = text.map(_as_text)
        odd = text.map(lambda v: v is _ODD).to_numpy(dtype=bool)
        if odd.any():
            text = text.where(~odd, None)
    # few distinct values in a categorical column: judge those, not every row
    distinct = [v for v in text.unique() if isinstance(v, str)]
    blank = [v for v in distinct if v.strip() in _MISSING]
    missing_text = text.isin(blank).to_numpy(dtype=bool) if blank else np.zeros(len(text), bool)
    if missing_text.any():
        text = text.where(~missing_text, None)
    missing = text.isna().to_numpy()
    problems = [(odd, NOT_A_VALUE)] if odd.any() else []
    missing &= ~odd
    long = [v for v in distinct if len(v) > MAX_TEXT_LENGTH and v not in blank]  # blank: missing
    if long:
        problems.append((text.isin(long).to_numpy(dtype=bool), TOO_LONG))
    if feat.values is not None:
        problems.append(((~missing & ~text.isin(feat.values).to_numpy()), NOT_ALLOWED))
    if not feat.nullable:
        problems.append((missing, NOT_NULLABLE))
    return CategoricalColumn(text, problems, int(missing_text.sum()))


_ODD = object()  # a categorical value that is no value at all (see _scalar)


def _as_text(value: Any) -> Any:
    """A categorical value as text: a number as its text, bytes decoded as UTF-8, _ODD for
    what is not a single value."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return _ODD
    return str(value) if _scalar(value) else _ODD


def parse_value(feat: NumericFeature | CategoricalFeature, value: Any) -> float | str | None:
    """One request value by the same rules: the value to score (None = missing), or
    ValueRefused with the problem."""
    if isinstance(feat, CategoricalFeature):
        text = _as_text(value)
        if text is _ODD:
            raise ValueRefused(NOT_A_VALUE)
        if text is not None and text.strip() in _MISSING:
            text = None
        if text is None:
            if not feat.nullable:
                raise ValueRefused(NOT_NULLABLE)
            return None
        if not is_text(text):
            raise ValueRefused(NOT_TEXT)
        if len(text) > MAX_TEXT_LENGTH:
            raise ValueRefused(TOO_LONG)
        if feat.values is not None and text not in feat.values:
            raise ValueRefused(NOT_ALLOWED)
        return text
    number = _number(value)
    if number is None or math.isnan(number):
        if not feat.nullable:
            raise ValueRefused(NOT_NULLABLE)
        return None
    if math.isinf(number):
        raise ValueRefused(NOT_FINITE)
    if abs(number) > SCORABLE_MAX:
        raise ValueRefused(TOO_LARGE)
    if feat.min is not None and number < feat.min:
        raise ValueRefused(_below(feat))
    if feat.max is not None and number > feat.max:
        raise ValueRefused(_above(feat))
    return number


def _number(value: Any) -> float | None:
    if type(value) is float:  # the common case first: JSON numbers
        return value
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        raise ValueRefused(NOT_A_NUMBER)
    if isinstance(value, int | float | np.integer | np.floating | Decimal):
        try:
            return float(value)
        except OverflowError:  # an int beyond float's range
            raise ValueRefused(TOO_LARGE) from None
    if isinstance(value, str):
        text = value.strip()
        if text in _MISSING:
            return None
        parsed = pd.to_numeric(pd.Series([text]), errors="coerce").iloc[0]  # as a table would
        if pd.isna(parsed):
            raise ValueRefused(NOT_A_NUMBER)
        return float(parsed)
    raise ValueRefused(NOT_A_NUMBER)
