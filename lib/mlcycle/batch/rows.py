"""Row checks for batch scoring: which rows the model can score, and why the others cannot.

Per row, not per file: a bad value rejects its own row with a reason naming the column and
the value, and the rest of the batch is scored. The rules themselves (what is missing, what is
a number, ranges, allowed values) are `mlcycle.column_rules`, the same at every door.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlcycle.column_rules import NOT_NULLABLE, read_categorical, read_numeric
from mlcycle.config import DatasetConfig


@dataclass
class CheckedBatch:
    frame: pd.DataFrame  # the scorable rows: id + features with the model's dtypes
    rejects: pd.DataFrame  # the others: row, every input column as text, reason
    reasons: dict[str, int]  # rejection counts by problem ("income: not a number", ...)


def _shown(values: pd.Series, i: int) -> str:
    value = values.iloc[i]
    return repr(value.item() if isinstance(value, np.generic) else value)


def check_rows(batch: pd.DataFrame, config: DatasetConfig, first_row: int = 0) -> CheckedBatch:
    """Split one input batch into scorable rows and rejects; `first_row` is the batch's
    position in the whole input, so every reject names its row in the file."""
    n = len(batch)
    problems: list[tuple[np.ndarray, str, pd.Series]] = []  # (mask, problem, values)
    clean: dict[str, pd.Series] = {}  # the frame is made once, not column by column

    ids = batch[config.id]
    problems.append((ids.isna().to_numpy(), f"{config.id}: missing", ids))
    clean[config.id] = ids

    for feat in config.numeric:
        raw = batch[feat.name]
        column = read_numeric(feat, raw)
        problems += [(mask, f"{feat.name}: {problem}", raw) for mask, problem in column.refused]
        clean[feat.name] = column.values

    for feat in config.categorical:
        raw = batch[feat.name]
        column = read_categorical(feat, raw)
        problems += [(mask, f"{feat.name}: {problem}", raw) for mask, problem in column.refused]
        clean[feat.name] = column.values

    rejected = np.zeros(n, dtype=bool)
    reasons: dict[str, int] = {}
    per_row: dict[int, list[str]] = {}  # only rejected rows: most batches have none
    for mask, problem, raw in problems:
        if not mask.any():
            continue
        rejected |= mask
        reasons[problem] = int(mask.sum())
        missing = problem.endswith(NOT_NULLABLE) or problem == f"{config.id}: missing"
        for i in np.flatnonzero(mask):
            per_row.setdefault(int(i), []).append(
                problem if missing else f"{problem} ({_shown(raw, i)})"
            )

    bad_rows = np.flatnonzero(rejected)
    rejects = (
        batch.iloc[bad_rows].astype(object).astype(str).where(batch.iloc[bad_rows].notna(), None)
    )
    rejects.insert(0, "row", bad_rows + first_row)
    rejects["reason"] = ["; ".join(per_row[i]) for i in bad_rows]
    scorable = pd.DataFrame(clean, index=batch.index)
    # most batches have no reject and a 0..n-1 index: no further copy of the batch for them
    if len(bad_rows) or not scorable.index.equals(pd.RangeIndex(n)):
        scorable = scorable[~rejected].reset_index(drop=True)
    return CheckedBatch(scorable, rejects.reset_index(drop=True), reasons)
