"""Model performance in production: the prediction log joined with its outcomes."""

from __future__ import annotations

import numpy as np
import pandas as pd


def labelled_predictions(log: pd.DataFrame) -> pd.DataFrame:
    """Rows of the prediction log whose outcome has arrived."""
    missing = {"ts", "model_version", "prediction", "probability", "outcome"} - set(log.columns)
    if missing:
        raise ValueError(f"the prediction log lacks column(s) {sorted(missing)}")
    return log[log["outcome"].notna()].astype({"outcome": int})


def weekly_performance(log: pd.DataFrame) -> pd.DataFrame:
    """Accuracy and ROC AUC per week (of the prediction) and model version."""
    from sklearn.metrics import roc_auc_score

    labelled = labelled_predictions(log)
    if labelled.empty:
        return pd.DataFrame(columns=["week", "model_version", "labelled", "accuracy", "roc_auc"])
    week = labelled["ts"].dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time
    rows = []
    for (start, version), part in labelled.groupby([week, "model_version"]):
        one_class = part["outcome"].nunique() < 2
        rows.append(
            {
                "week": start.date().isoformat(),
                "model_version": str(version),
                "labelled": len(part),
                "accuracy": float((part["prediction"] == part["outcome"]).mean()),
                "roc_auc": np.nan if one_class else roc_auc_score(part["outcome"],
                                                                  part["probability"]),
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


def latest(performance: pd.DataFrame, version: str | None) -> tuple[float | None, int]:
    """The champion version's accuracy in the newest week it has labels for, and how many."""
    rows = performance[performance["model_version"] == str(version)]
    if rows.empty:
        return None, 0
    newest = rows.sort_values("week").iloc[-1]
    return float(newest["accuracy"]), int(newest["labelled"])
