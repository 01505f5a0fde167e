"""Model performance in production: the prediction log joined with its outcomes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlcycle.task import BINARY, MULTICLASS, REGRESSION

# what production performance is measured by, per task: the first is the one watched
WEEKLY: dict[str, tuple[str, ...]] = {
    BINARY: ("accuracy", "roc_auc"),
    MULTICLASS: ("accuracy", "f1_macro"),
    REGRESSION: ("mae", "rmse"),
}


def task_of_log(rows: pd.DataFrame) -> str:
    """The task of a log's rows (all of one version share it); a log from before the task
    column was binary."""
    if "task" not in rows.columns or rows.empty:
        return BINARY
    return str(rows["task"].iloc[0])


def labelled_predictions(log: pd.DataFrame) -> pd.DataFrame:
    """Rows of the prediction log whose outcome has arrived (a binary log's as 0/1 ints)."""
    missing = {"ts", "model_version", "prediction", "probability", "outcome"} - set(log.columns)
    if missing:
        raise ValueError(f"the prediction log lacks column(s) {sorted(missing)}")
    labelled = log[log["outcome"].notna()]
    if "task" in log.columns and (labelled["task"] != BINARY).any():
        return labelled
    return labelled.astype({"outcome": int})


def figures(task: str, part: pd.DataFrame) -> dict[str, float]:
    """The task's production metrics on labelled rows; NaN where undefined (one class)."""
    from sklearn.metrics import f1_score, roc_auc_score

    if task == REGRESSION:
        error = part["prediction"].astype(float) - part["outcome"].astype(float)
        return {"mae": float(error.abs().mean()), "rmse": float(np.sqrt((error**2).mean()))}
    truth, predicted = part["outcome"], part["prediction"]
    out = {"accuracy": float((predicted == truth).mean())}
    if task == MULTICLASS:
        out["f1_macro"] = float(f1_score(truth.astype(str), predicted.astype(str), average="macro"))
    else:
        one_class = truth.nunique() < 2
        out["roc_auc"] = np.nan if one_class else roc_auc_score(truth, part["probability"])
    return out


def weekly_performance(log: pd.DataFrame) -> pd.DataFrame:
    """The task's metrics per week (of the prediction) and model version: accuracy and ROC
    AUC (binary), accuracy and macro F1 (multiclass), MAE and RMSE (regression)."""
    labelled = labelled_predictions(log)
    if labelled.empty:
        return pd.DataFrame(columns=["week", "model_version", "task", "labelled", "accuracy"])
    week = labelled["ts"].dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time
    rows = []
    for (start, version), part in labelled.groupby([week, "model_version"]):
        task = task_of_log(part)
        rows.append(
            {
                "week": start.date().isoformat(),
                "model_version": str(version),
                "task": task,
                "labelled": len(part),
                **figures(task, part),
            }
        )
    return pd.DataFrame(rows)


def class_accuracy(labelled: pd.DataFrame) -> pd.DataFrame:
    """Per class that happened: how many, and the share predicted right (its recall)."""
    right = labelled["prediction"].astype(str) == labelled["outcome"].astype(str)
    grouped = right.groupby(labelled["outcome"].astype(str))
    return (
        pd.DataFrame({"labelled": grouped.size(), "accuracy": grouped.mean()})
        .rename_axis("class")
        .reset_index()
    )


def latest(
    performance: pd.DataFrame, version: str | None, metric: str = "accuracy"
) -> tuple[float | None, int]:
    """The champion version's `metric` in the newest week it has labels for, and how many."""
    rows = performance[performance["model_version"] == str(version)]
    if rows.empty or metric not in rows.columns:
        return None, 0
    newest = rows.sort_values("week").iloc[-1]
    return float(newest[metric]), int(newest["labelled"])


def performance_report(
    current: pd.DataFrame, reference: pd.DataFrame | None, path: str, task: str = BINARY
) -> bool:
    """Evidently's classification or regression preset on labelled predictions (this window
    against the one before, when there is one), saved as HTML. With too little to measure, a
    page that says so; returns whether there was anything to report."""

    def enough(frame: pd.DataFrame | None) -> bool:
        if frame is None:
            return False
        return len(frame) >= 2 if task == REGRESSION else frame["outcome"].nunique() >= 2

    title = "Regression performance" if task == REGRESSION else "Classification performance"
    if not enough(current):
        why = (
            "No labelled predictions yet: outcomes arrive through the service's "
            "<code>POST /feedback</code>."
            if current.empty
            else f"Only one outcome among {len(current)} labelled predictions: "
            "the metrics need more."
            if task == REGRESSION
            else f"Only one outcome class among {len(current)} labelled predictions: "
            "classification metrics need both."
        )
        from mlcycle.reporting.page import write_page

        write_page(path, title, f"<h1>{title}</h1><p>{why}</p>")
        return False
    reference = reference if enough(reference) else None
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # evidently's imports warn about their own deprecations
        from evidently import (
            BinaryClassification,
            DataDefinition,
            Dataset,
            MulticlassClassification,
            Regression,
            Report,
        )
        from evidently.presets import ClassificationPreset, RegressionPreset

    columns = ["outcome", "prediction"]
    if task == REGRESSION:
        definition = DataDefinition(
            regression=[Regression(target="outcome", prediction="prediction")]
        )
        preset, types = RegressionPreset(), {"outcome": float, "prediction": float}
    elif task == MULTICLASS:
        definition = DataDefinition(classification=[
            MulticlassClassification(target="outcome", prediction_labels="prediction")
        ])  # fmt: skip
        preset, types = ClassificationPreset(), {"outcome": str, "prediction": str}
    else:
        definition = DataDefinition(classification=[
            BinaryClassification(target="outcome", prediction_labels="prediction",
                                 prediction_probas="probability", pos_label=1)
        ])  # fmt: skip
        preset, types = ClassificationPreset(), {"outcome": int, "prediction": int}
        columns.append("probability")

    def dataset(frame: pd.DataFrame):
        return Dataset.from_pandas(frame[columns].astype(types), data_definition=definition)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snapshot = Report([preset]).run(
            dataset(current),
            dataset(reference) if reference is not None and len(reference) else None,
        )
    from mlcycle.reporting.page import save_snapshot

    save_snapshot(snapshot, path, f"{title} (Evidently)")
    return True


LOG_COLUMNS = ["ts", "arm", "model_version", "prediction", "probability", "outcome", "task"]


def read_log(path: str | None, model_name: str | None = None) -> pd.DataFrame:
    """The service's prediction log (of one registered model when named), or an empty one
    when nothing was served yet."""
    from mlcycle.serving.log_database import log_exists

    if not log_exists(path):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in LOG_COLUMNS}).astype(
            {"ts": "datetime64[ns, UTC]"}
        )
    from mlcycle.serving.prediction_log import PredictionLog

    return PredictionLog(path).frame(model_name=model_name)


def last_two_weeks(log: pd.DataFrame, version: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The version's labelled predictions in its newest labelled week, and the week before."""
    labelled = labelled_predictions(log)
    labelled = labelled[labelled["model_version"].astype(str) == str(version)]
    if labelled.empty:
        return labelled, labelled
    week = labelled["ts"].dt.tz_localize(None).dt.to_period("W-SUN")
    newest = week.max()
    return labelled[week == newest], labelled[week == newest - 1]


def performance_figure(performance: pd.DataFrame, metric: str):
    """The task's first production metric per week, one line per model version."""
    from matplotlib.figure import Figure

    from mlcycle.task import metric_name

    fig = Figure(figsize=(7, 2.8))
    ax = fig.subplots()
    for version, part in performance.groupby("model_version"):
        ax.plot(part["week"], part[metric], "-o", label=f"version {version}")
    name = metric_name(metric)
    ax.set(ylabel=name, xlabel="week", title=f"{name} per week and model version")
    ax.legend()
    return fig
