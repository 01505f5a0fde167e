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


def classification_report(current: pd.DataFrame, reference: pd.DataFrame | None, path: str) -> bool:
    """Evidently's classification preset on labelled predictions (this window against the one
    before, when there is one), saved as HTML. With no labelled rows, a page that says so;
    returns whether there was anything to report."""

    def both_classes(frame: pd.DataFrame | None) -> bool:
        return frame is not None and frame["outcome"].nunique() == 2

    if not both_classes(current):
        why = (
            "No labelled predictions yet: outcomes arrive through the service's "
            "<code>POST /feedback</code>."
            if current.empty
            else f"Only one outcome class among {len(current)} labelled predictions: "
            "classification metrics need both."
        )
        from mlcycle.reporting.page import write_page

        title = "Classification performance"
        write_page(path, title, f"<h1>{title}</h1><p>{why}</p>")
        return False
    reference = reference if both_classes(reference) else None
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # evidently's imports warn about their own deprecations
        from evidently import BinaryClassification, DataDefinition, Dataset, Report
        from evidently.presets import ClassificationPreset

    definition = DataDefinition(
        classification=[
            BinaryClassification(target="outcome", prediction_labels="prediction",
                                 prediction_probas="probability", pos_label=1)
        ]
    )  # fmt: skip
    columns = ["outcome", "prediction", "probability"]

    def dataset(frame: pd.DataFrame):
        return Dataset.from_pandas(frame[columns].astype({"outcome": int, "prediction": int}),
                                   data_definition=definition)  # fmt: skip

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snapshot = Report([ClassificationPreset()]).run(
            dataset(current),
            dataset(reference) if reference is not None and len(reference) else None,
        )
    from mlcycle.reporting.page import save_snapshot

    save_snapshot(snapshot, path, "Classification performance (Evidently)")
    return True


LOG_COLUMNS = ["ts", "arm", "model_version", "prediction", "probability", "outcome"]


def read_log(path: str | None) -> pd.DataFrame:
    """The service's prediction log, or an empty one when nothing was served yet."""
    from mlcycle.serving.log_database import log_exists

    if not log_exists(path):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in LOG_COLUMNS}).astype(
            {"ts": "datetime64[ns, UTC]"}
        )
    from mlcycle.serving.prediction_log import PredictionLog

    return PredictionLog(path).frame()


def last_two_weeks(log: pd.DataFrame, version: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The version's labelled predictions in its newest labelled week, and the week before."""
    labelled = labelled_predictions(log)
    labelled = labelled[labelled["model_version"].astype(str) == str(version)]
    if labelled.empty:
        return labelled, labelled
    week = labelled["ts"].dt.tz_localize(None).dt.to_period("W-SUN")
    newest = week.max()
    return labelled[week == newest], labelled[week == newest - 1]
