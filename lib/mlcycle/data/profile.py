"""A one-line-per-column profile of a table, readable by people who never see the code."""

from __future__ import annotations

import pandas as pd

from mlcycle.config import DatasetConfig


def _roles(config: DatasetConfig) -> dict[str, str]:
    roles = {config.id: "id", config.timestamp_column: "timestamp", config.target.column: "target"}
    roles |= {name: "numeric feature" for name in config.numeric_names}
    roles |= {name: "categorical feature" for name in config.categorical_names}
    return roles


def _summary(series: pd.Series, role: str) -> str:
    present = series.dropna()
    if present.empty:
        return "all missing"
    if role == "target" and set(present.unique()) <= {0, 1}:
        return f"positive rate {present.astype(float).mean():.1%}"
    if role == "timestamp":
        return f"{present.min()} .. {present.max()}"
    numbers = role == "target" and pd.api.types.is_numeric_dtype(present)
    if role == "numeric feature" or numbers:  # a regression target reads like a feature
        return f"{present.min():.4g} .. {present.max():.4g} (median {present.median():.4g})"
    counts = present.astype(str).value_counts()
    if role == "id":
        return f"{len(counts):,} distinct"
    top = ", ".join(f"{k} {v / len(present):.0%}" for k, v in counts.head(3).items())
    more = f" (+{len(counts) - 3} more)" if len(counts) > 3 else ""
    return f"{len(counts)} values: {top}{more}"


def column_profile(df: pd.DataFrame, config: DatasetConfig) -> pd.DataFrame:
    """Role, type, share missing and a short summary for each configured column present."""
    rows = []
    for column, role in _roles(config).items():
        if column not in df.columns:
            continue
        series = df[column]
        rows.append(
            {
                "column": column,
                "role": role,
                "type": str(series.dtype),
                "missing": f"{series.isna().mean():.1%}",
                "summary": _summary(series, role),
            }
        )
    return pd.DataFrame(rows).set_index("column")
