"""Production outcomes as training rows, from a real prediction log."""

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from mlcycle.monitoring.labelled_traffic import (
    PRODUCTION,
    TABLE,
    production_rows,
    with_production_rows,
)
from mlcycle.serving.prediction_log import Prediction, PredictionLog


@pytest.fixture
def log(tmp_path, churn_config, tiny_data):
    from mlcycle.features.table import build_model_table

    rows = build_model_table(tiny_data.customers.head(6), tiny_data.events, churn_config)
    features = rows[churn_config.feature_names].astype(object).where(rows.notna(), None)
    path = tmp_path / "predictions.db"
    log = PredictionLog(path)
    records = [
        Prediction(f"r{i}", f"u{i}", "champion", churn_config.model_name, "1",
                   features.iloc[i].to_dict(), 1, 0.8)
        for i in range(5)
    ] + [Prediction("other", "u9", "champion", "another_model", "1", {}, 1, 0.8)]  # fmt: skip
    log.record(records)
    for i, outcome in ((0, 1), (1, 0), (2, 1), (4, 0)):  # r3 has no outcome yet
        log.record_feedback(f"r{i}", outcome)
    log.record_feedback("other", 1)
    log.close()
    return path


def test_labelled_predictions_up_to_as_of_become_training_rows(log, churn_config):
    now = datetime.now(UTC)
    rows = production_rows(log, churn_config, str(now + timedelta(minutes=1)))
    assert rows[churn_config.id].tolist() == ["u0", "u1", "u2", "u4"]  # labelled, this model
    assert rows[churn_config.target.column].tolist() == [1, 0, 1, 0]
    c = churn_config
    assert list(rows.columns) == [c.id, c.timestamp_column, *c.feature_names, c.target.column]
    # served after as_of: not known to the build
    assert production_rows(log, churn_config, str(now - timedelta(days=1))).empty
    assert production_rows(log.parent / "none.db", churn_config, str(now)).empty
    assert len(production_rows(log, churn_config, "")) == 4  # no as_of: all known now


def test_they_join_the_training_split_counted_by_source(log, churn_config, tiny_data):
    from mlcycle.features.table import build_model_table

    train = build_model_table(tiny_data.customers.head(20), tiny_data.events, churn_config)
    served = production_rows(log, churn_config, str(datetime.now(UTC) + timedelta(minutes=1)))
    joined, counts = with_production_rows(train, served)
    assert counts == {TABLE: 20, PRODUCTION: 4} and len(joined) == 24
    pd.testing.assert_frame_equal(joined.head(20), train.reset_index(drop=True),
                                  check_dtype=False)  # fmt: skip
    assert with_production_rows(train, False) == (train, {TABLE: 20})
    from mlcycle.monitoring.labelled_traffic import training_split

    assert training_split(train, "", churn_config, None)[1] == {TABLE: 20}
    assert training_split(train, log, churn_config, None)[1] == counts


def test_a_log_of_another_feature_set_is_named(tmp_path, churn_config):
    path = tmp_path / "old.db"
    log = PredictionLog(path)
    log.record([Prediction("r0", "u0", "champion", churn_config.model_name, "1", {"age": 3},
                           1, 0.9)])  # fmt: skip
    log.record_feedback("r0", 1)
    log.close()
    with pytest.raises(ValueError, match="lack.*another feature set"):
        production_rows(path, churn_config, str(datetime.now(UTC) + timedelta(minutes=1)))


@pytest.mark.parametrize(("task", "outcomes"), [("regression", [120.5, 80]),
                                                 ("multiclass", ["gold", 2])])  # fmt: skip
def test_a_regressors_or_classes_outcomes_become_targets_of_their_type(
    tmp_path, task_tables, task, outcomes
):
    config, table = task_tables[task]
    features = table[config.feature_names].head(2).astype(object)
    features = features.where(features.notna(), None)
    path = tmp_path / "log.db"
    log = PredictionLog(path)
    prediction = 100.0 if task == "regression" else "basic"
    log.record([Prediction(f"r{i}", f"u{i}", "champion", config.model_name, "1",
                           features.iloc[i].to_dict(), prediction, None, task=task)
                for i in range(2)])  # fmt: skip
    for i, outcome in enumerate(outcomes):
        log.record_feedback(f"r{i}", outcome)
    rows = production_rows(path, config, "")
    want = [120.5, 80.0] if task == "regression" else ["gold", "2"]
    assert rows[config.target.column].tolist() == want
    # a log that also holds another task's outcomes for this model is refused by name
    log.record([Prediction("b", "u", "champion", config.model_name, "1", features.iloc[0].to_dict(),
                           1, 0.9)])  # fmt: skip
    log.record_feedback("b", 1)
    with pytest.raises(ValueError, match=f"outcomes of {' and '.join(sorted(['binary', task]))}"):
        production_rows(path, config, "")
