"""Drift of the prediction and of the target, by task."""

import numpy as np
import pandas as pd
import pytest

from mlcycle.monitoring.output_drift import (
    MIN_ROWS,
    model_predictions,
    output_drift,
    scored_predictions,
    value_drift,
)


def test_a_shifted_number_drifts_the_same_one_does_not_and_a_few_are_not_judged():
    rng = np.random.default_rng(0)
    reference = pd.Series(rng.normal(100, 10, 600))
    same = value_drift(reference, pd.Series(rng.normal(100, 10, 300)), True, 20_000, 0)
    moved = value_drift(reference, pd.Series(rng.normal(115, 10, 300)), True, 20_000, 0)
    assert same["drifted"] is False and moved["drifted"] is True
    assert moved["method"].startswith("K-S") and moved["current_rows"] == 300
    few = value_drift(reference, pd.Series(rng.normal(100, 10, MIN_ROWS - 1)), True, 20_000, 0)
    assert few["drifted"] is None and few["method"] == f"not judged: under {MIN_ROWS} values"


def test_labels_compare_as_text_whatever_type_they_arrive_in():
    """A CSV window's target arrives as text ("1"), training's as numbers (1, 1.0)."""
    rng = np.random.default_rng(1)
    labels = rng.choice([0, 1, 2], 400)
    same = value_drift(pd.Series(labels), pd.Series(labels[:200].astype(str)), False, 20_000, 0)
    assert same["drifted"] is False and same["method"].startswith("chi-square")
    floats = value_drift(pd.Series(labels.astype(float)), pd.Series(labels[:200]), False, 20_000, 0)
    assert floats["drifted"] is False
    skewed = value_drift(pd.Series(labels), pd.Series(np.r_[labels[:100], [2] * 100]), False,
                         20_000, 0)  # fmt: skip
    assert skewed["drifted"] is True


@pytest.mark.parametrize("task", ["regression", "multiclass"])
def test_each_tasks_prediction_and_target_are_compared_as_it_predicts_them(task_tables, task):
    from mlcycle.training.train import fit

    config, table = task_tables[task]
    family = "linear" if task == "regression" else "logistic_regression"
    model = fit(table.iloc[:200], config, family, {}, task)
    reference, window = table.iloc[:200], table.iloc[200:]
    target = config.target.column
    if task == "regression":  # the window: only the biggest spenders
        window = window[window[target] > window[target].quantile(0.6)]
    else:  # the window: one class much more common than in training
        top = window[target].value_counts().index[-1]
        window = pd.concat([window, window[window[target] == top]] * 3)
    predicted = model_predictions(model, window, config, task)
    if task == "multiclass":
        assert set(predicted) <= set(map(str, model.classes_))
    else:
        np.testing.assert_allclose(predicted, model.predict(window[config.feature_names]))
    drift = output_drift(
        task,
        (model_predictions(model, reference, config, task), predicted, "the window"),
        (reference[target], window[target].astype(str), "the window's target"),
    )
    table_ = drift.table
    assert table_.loc["prediction", "drifted"] and table_.loc["target", "drifted"]
    assert table_.loc["target", "current"] == "the window's target"
    assert drift.numeric == ({"prediction", "target"} if task == "regression" else set())
    assert [r["output"] for r in drift.summary] == ["prediction", "target"]
    assert drift.figure().axes  # training against now, a panel each


def test_a_target_with_nothing_to_compare_is_not_judged_and_says_so():
    rng = np.random.default_rng(2)
    drift = output_drift("binary", (pd.Series(rng.random(100)), pd.Series(rng.random(100)), "w"),
                         (pd.Series(rng.integers(0, 2, 100)), None, "no outcomes yet"))  # fmt: skip
    row = drift.summary[1]
    assert row["drifted"] is None and row["current"] == "no outcomes yet" and row["score"] is None
    assert "prediction" in drift.numeric  # binary: the positive class's probability, a number


def test_a_batch_output_gives_the_tasks_prediction():
    out = pd.DataFrame({"prediction": [1, 0], "probability": [0.9, 0.2]})
    assert scored_predictions(out, "binary").tolist() == [0.9, 0.2]
    assert scored_predictions(out, "regression").tolist() == [1, 0]
