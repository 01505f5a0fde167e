"""Production outcomes as training data: the prediction log's labelled rows, as served.

With `production_labels: true`, the predictions whose outcome came back through /feedback join
the training split as a second source: the features exactly as the service saw them, the time
they were served, the outcome as the target. With an `as_of` setting, only rows served at or
before it count (by the log's clock), so a replayed build sees what it would have seen; without
one, everything labelled so far.

They carry a selection bias: only customers the service scored, and whose outcome came back,
are in it (and where scores drive action, the model chose them). So they only ever join the
training split; validation and the test set stay the table's own rows, the newest ones, and a
model is never judged on the population it selected.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mlcycle.config import DatasetConfig
from mlcycle.task import BINARY
from mlcycle.training.train import TARGET_DTYPES

TABLE, PRODUCTION = "table", "production"


def production_rows(log_path: str | Path, config: DatasetConfig, as_of: str | None
                    ) -> pd.DataFrame:  # fmt: skip
    """Labelled predictions of this dataset's model served up to `as_of` (None or '': all
    that is known now), in the training frame's columns (id, time, features, target). Empty
    when there is no log yet."""
    from mlcycle.serving.log_database import log_exists
    from mlcycle.serving.prediction_log import PredictionLog

    columns = [config.id, config.timestamp_column, *config.feature_names, config.target.column]
    if not log_exists(log_path):
        return pd.DataFrame(columns=columns)
    log = PredictionLog(log_path).frame()
    log = log[log["outcome"].notna() & (log["model_name"] == config.model_name)]
    served = log["ts"].dt.tz_convert("UTC").dt.tz_localize(None)
    if as_of:
        cutoff = pd.Timestamp(as_of)
        cutoff = cutoff.tz_convert("UTC").tz_localize(None) if cutoff.tzinfo else cutoff
        log = log[served <= cutoff]
    if log.empty:
        return pd.DataFrame(columns=columns)
    features = pd.DataFrame(list(log["features"]), index=log.index)
    missing = [c for c in config.feature_names if c not in features.columns]
    if missing:
        raise ValueError(
            f"the prediction log's features lack {missing}: it was written for another feature "
            "set; turn production_labels off or start a new log"
        )
    tasks = sorted(set(log["task"])) if "task" in log.columns else [BINARY]
    if len(tasks) > 1:
        raise ValueError(
            f"the prediction log holds outcomes of {' and '.join(tasks)} predictions of "
            f"'{config.model_name}': it was written for another task too; turn "
            "production_labels off or start a new log"
        )
    rows = features[config.feature_names].assign(**{
        config.id: log["user_id"].fillna(log["request_id"]).astype(str),
        config.timestamp_column: served[log.index],
        config.target.column: log["outcome"].astype(TARGET_DTYPES[tasks[0]]),
    })  # fmt: skip
    return rows[columns].reset_index(drop=True)


def with_production_rows(train: pd.DataFrame, production: pd.DataFrame | None | bool
                         ) -> tuple[pd.DataFrame, dict[str, int]]:  # fmt: skip
    """The training split with the production rows appended (none: False or None), and the
    rows per source."""
    if production is None or production is False:
        return train, {TABLE: len(train)}
    counts = {TABLE: len(train), PRODUCTION: len(production)}
    if production.empty:
        return train, counts
    extra = production.reindex(columns=train.columns)
    return pd.concat([train, extra], ignore_index=True), counts


def training_split(train: pd.DataFrame, log_path: str | Path | None, config: DatasetConfig,
                   as_of: str | None) -> tuple[pd.DataFrame, dict[str, int]]:  # fmt: skip
    """The training split, with the labelled rows of the log at `log_path` ('' or None: no
    production labels), and the rows per source."""
    served = production_rows(log_path, config, as_of) if log_path else None
    return with_production_rows(train, served)
