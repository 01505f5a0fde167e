"""Data drift of a production window against the training reference, with Evidently 0.7.

Evidently picks a test per column (Kolmogorov-Smirnov or chi-square p-values on small
windows, Wasserstein or Jensen-Shannon distances on large ones) and counts drifted columns;
there is dataset drift when their share reaches `drift_share`. Windows above `max_rows` are
sampled (seeded), so a report costs the same whatever the traffic; the summary says so.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlcycle.config import DatasetConfig


@dataclass
class DriftResult:
    dataset_drift: bool
    drift_share: float  # share of the feature columns that drifted
    drifted_columns: int
    columns: pd.DataFrame  # per column: method, score, threshold, drifted
    sampled: dict[str, str]  # window -> "n of N rows", for the windows that were sampled
    snapshot: Any  # the Evidently snapshot (HTML report)

    @property
    def summary(self) -> dict[str, Any]:
        return {
            "dataset_drift": self.dataset_drift,
            "drift_share": self.drift_share,
            "drifted_columns": self.drifted_columns,
            "columns": self.columns.reset_index().to_dict("records"),
            "sampled": self.sampled,
        }

    def save(self, html: str | Path, summary: str | Path) -> None:
        from mlcycle.io import write_json
        from mlcycle.reporting.page import save_snapshot

        save_snapshot(self.snapshot, html, "Data drift (Evidently)")
        write_json(self.summary, summary)


def labels(values: pd.Series) -> pd.Series:
    """Class values as text, the same whether they came as 1, 1.0 or "1" (a CSV's text)."""

    def label(v: Any) -> str:
        if isinstance(v, float | np.floating) and float(v).is_integer():
            return str(int(v))
        return str(v).strip()

    return values.dropna().map(label)


def comparable(frame: pd.DataFrame, config: DatasetConfig) -> pd.DataFrame:
    """The feature columns typed alike on both sides: a CSV window arrives as text (so batch
    scoring can reject a bad row instead of the file). Numbers are parsed (a value that is not
    one counts as missing here; batch scoring rejects its row and says why), categories are
    text, a whole number written the same whether it came as 7, 7.0 or "7"."""
    out = frame[config.feature_names].copy()
    for name in config.numeric_names:
        out[name] = pd.to_numeric(out[name], errors="coerce").astype(float)
    for name in config.categorical_names:
        out[name] = labels(out[name]).reindex(out.index)
    return out


def _sample(frame: pd.DataFrame, max_rows: int, seed: int) -> tuple[pd.DataFrame, str | None]:
    if len(frame) <= max_rows:
        return frame, None
    return frame.sample(max_rows, random_state=seed), f"{max_rows:,} of {len(frame):,} rows"


def column_verdicts(snapshot_dict: dict) -> pd.DataFrame:
    rows = []
    for metric in snapshot_dict["metrics"]:
        config = metric.get("config", {})
        if not config.get("type", "").endswith("ValueDrift"):
            continue
        method, threshold, score = config["method"], config["threshold"], metric["value"]
        # p-value tests drift below the threshold; distances drift at or above it
        drifted = score < threshold if "p_value" in method else score >= threshold
        rows.append({"column": config["column"], "method": method, "score": float(score),
                     "threshold": float(threshold), "drifted": bool(drifted)})  # fmt: skip
    return pd.DataFrame(rows).set_index("column")


def detect_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    config: DatasetConfig,
    max_rows: int = 20_000,
    drift_share: float = 0.5,
    seed: int = 0,
) -> DriftResult:
    """Compare the feature columns of `current` with `reference`."""
    missing = [c for c in config.feature_names if c not in current.columns]
    if missing:
        raise ValueError(f"the current window lacks feature column(s) {missing}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # evidently's imports warn about their own deprecations
        from evidently import DataDefinition, Dataset, Report
        from evidently.presets import DataDriftPreset

    sampled = {}
    windows = {}
    for name, frame in (("reference", reference), ("current", current)):
        frame, note = _sample(comparable(frame, config), max_rows, seed)
        windows[name] = frame
        if note:
            sampled[name] = note
    definition = DataDefinition(
        numerical_columns=config.numeric_names, categorical_columns=config.categorical_names
    )
    report = Report([DataDriftPreset(columns=config.feature_names, drift_share=drift_share)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snapshot = report.run(
            Dataset.from_pandas(windows["current"], data_definition=definition),
            Dataset.from_pandas(windows["reference"], data_definition=definition),
        )
    raw = json.loads(json.dumps(snapshot.dict(), default=str))
    count = next(m for m in raw["metrics"] if "DriftedColumnsCount" in m["config"]["type"])
    share = float(count["value"]["share"])
    return DriftResult(
        dataset_drift=share >= drift_share,
        drift_share=share,
        drifted_columns=int(count["value"]["count"]),
        columns=column_verdicts(raw),
        sampled=sampled,
        snapshot=snapshot,
    )
