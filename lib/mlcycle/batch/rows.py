"""Row checks for batch scoring: which rows the model can score, and why the others cannot.

Per row, not per file: a bad value rejects its own row with a reason naming the column and
the value, and the rest of the batch is scored. Unseen categories are not rejections (the
encoder ignores them), unless the dataset config lists the allowed values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlcycle.config import SCORABLE_MAX, DatasetConfig


@dataclass
class CheckedBatch:
    frame: pd.DataFrame  # the scorable rows: id + features with the model's dtypes
    rejects: pd.DataFrame  # the others: row, every input column as text, reason
    reasons: dict[str, int]  # rejection counts by problem ("income: not a number", ...)


def _numeric(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers, and the mask of values that were present but are not numbers."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype(float), pd.Series(False, index=values.index)
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float), pd.Series(False, index=values.index)
    text = values.astype("string").str.strip()
    parsed = pd.to_numeric(text.where(text != ""), errors="coerce").astype(float)
    return parsed, (text.notna() & (text != "") & parsed.isna()).astype(bool)


def _shown(values: pd.Series, i: int) -> str:
    value = values.iloc[i]
    return repr(value.item() if isinstance(value, np.generic) else value)


def check_rows(batch: pd.DataFrame, config: DatasetConfig, first_row: int = 0) -> CheckedBatch:
    """Split one input batch into scorable rows and rejects; `first_row` is the batch's
    position in the whole input, so every reject names its row in the file."""
    n = len(batch)
    problems: list[tuple[np.ndarray, str, pd.Series]] = []  # (mask, problem, values)
    clean = pd.DataFrame(index=batch.index)

    ids = batch[config.id]
    problems.append((ids.isna().to_numpy(), f"{config.id}: missing", ids))
    clean[config.id] = ids

    for feat in config.numeric:
        raw = batch[feat.name]
        values, not_number = _numeric(raw)
        problems.append((not_number.to_numpy(), f"{feat.name}: not a number", raw))
        finite = np.isfinite(values.to_numpy())
        problems.append((~finite & values.notna().to_numpy(), f"{feat.name}: not finite", raw))
        huge = finite & (np.abs(values.to_numpy()) > SCORABLE_MAX)
        problems.append((huge, f"{feat.name}: too large to score (beyond float32)", raw))
        finite &= ~huge
        if not feat.nullable:
            missing = values.isna().to_numpy() & ~not_number.to_numpy()
            problems.append((missing, f"{feat.name}: missing (not nullable)", raw))
        if feat.min is not None:
            problems.append(
                ((values < feat.min).to_numpy() & finite, f"{feat.name}: below {feat.min}", raw)
            )
        if feat.max is not None:
            problems.append(
                ((values > feat.max).to_numpy() & finite, f"{feat.name}: above {feat.max}", raw)
            )
        clean[feat.name] = values

    for feat in config.categorical:
        raw = batch[feat.name]
        text = raw  # text already (Parquet strings, CSV): no per-value work on the hot path
        if pd.api.types.infer_dtype(raw, skipna=True) not in ("string", "empty"):
            text = raw.astype(object).where(raw.notna(), None)
            text = text.map(lambda v: v if v is None or isinstance(v, str) else str(v))
        if not feat.nullable:
            problems.append((text.isna().to_numpy(), f"{feat.name}: missing (not nullable)", raw))
        if feat.values is not None:
            bad = (text.notna() & ~text.isin(feat.values)).to_numpy()
            problems.append((bad, f"{feat.name}: not an allowed value", raw))
        clean[feat.name] = text

    rejected = np.zeros(n, dtype=bool)
    reasons: dict[str, int] = {}
    per_row: dict[int, list[str]] = {}  # only rejected rows: most batches have none
    for mask, problem, raw in problems:
        if not mask.any():
            continue
        rejected |= mask
        reasons[problem] = int(mask.sum())
        for i in np.flatnonzero(mask):
            per_row.setdefault(int(i), []).append(
                problem if "missing" in problem else f"{problem} ({_shown(raw, i)})"
            )

    bad_rows = np.flatnonzero(rejected)
    rejects = (
        batch.iloc[bad_rows].astype(object).astype(str).where(batch.iloc[bad_rows].notna(), None)
    )
    rejects.insert(0, "row", bad_rows + first_row)
    rejects["reason"] = ["; ".join(per_row[i]) for i in bad_rows]
    return CheckedBatch(
        clean[~rejected].reset_index(drop=True), rejects.reset_index(drop=True), reasons
    )
