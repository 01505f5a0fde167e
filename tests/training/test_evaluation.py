"""The test-set evaluation by task: metrics, plots, tables and groups."""

from dataclasses import replace

import numpy as np
import pytest

from mlcycle.config import CardText
from mlcycle.training.evaluation import evaluate_on_test
from mlcycle.training.train import classes_of, features_and_target, fit, model_output


@pytest.fixture(scope="module")
def fitted(task_tables):
    out = {}
    for task, (config, table) in task_tables.items():
        model = fit(table.iloc[:300], config, "random_forest", {"n_estimators": 20}, task)
        xy = features_and_target(table.iloc[300:], config, task)
        out[task] = (config, model, xy)
    return out


def test_a_regressor_is_judged_by_its_errors_with_its_plots(fitted):
    config, model, xy = fitted["regression"]
    config = replace(config, card=CardText(sensitive_features=("plan",)))
    result = evaluate_on_test("regression", model_output(model, xy.X, "regression"), xy.y,
                              xy.X, config)  # fmt: skip
    assert set(result.metrics) == {"mae", "rmse", "r2", "mape"} or set(result.metrics) == {
        "mae", "rmse", "r2"
    }  # fmt: skip
    errors = model.predict(xy.X) - xy.y.to_numpy()
    assert result.metrics["mae"] == pytest.approx(np.abs(errors).mean())
    assert result.metrics["rmse"] == pytest.approx(np.sqrt((errors**2).mean()))
    assert set(result.figures) == {"predicted_vs_actual", "residuals"}
    assert [r["quantile"] for r in result.tables["residuals"]] == [0.05, 0.25, 0.5, 0.75, 0.95]
    assert result.tables["residuals"][2]["residual"] == pytest.approx(np.median(errors))
    plans = {g["group"]: g for g in result.groups}
    assert set(plans) == set(xy.X["plan"]) and all("mae" in g for g in plans.values())
    assert sum(g["rows"] for g in plans.values()) == len(xy.X)
    assert result.confusion == {}


def test_classes_are_judged_with_a_labelled_confusion_matrix_and_per_class_figures(fitted):
    config, model, xy = fitted["multiclass"]
    classes = classes_of(model)
    result = evaluate_on_test("multiclass", model_output(model, xy.X, "multiclass"), xy.y,
                              xy.X, config, classes)  # fmt: skip
    assert set(result.metrics) >= {"accuracy", "f1_macro", "log_loss"}
    predicted = model.predict(xy.X)
    assert result.metrics["accuracy"] == pytest.approx((predicted == xy.y.to_numpy()).mean())
    labels, matrix = result.confusion["labels"], np.array(result.confusion["matrix"])
    assert labels == sorted(set(classes) | set(xy.y)) and matrix.sum() == len(xy.y)
    assert np.trace(matrix) == (predicted == xy.y.to_numpy()).sum()
    rows = {r["class"]: r for r in result.tables["per_class"]}
    assert sum(r["rows"] for r in rows.values()) == len(xy.y)
    assert set(result.figures) == {"confusion_matrix"}


def test_a_class_the_model_never_learnt_counts_as_wrong_not_as_an_error(fitted):
    config, model, xy = fitted["multiclass"]
    y = xy.y.copy()
    y.iloc[:5] = "upgraded"  # new in the data: the model has no probability for it
    result = evaluate_on_test("multiclass", model_output(model, xy.X, "multiclass"), y, xy.X,
                              config)  # fmt: skip
    assert "upgraded" in result.confusion["labels"]
    row = result.confusion["labels"].index("upgraded")
    assert sum(result.confusion["matrix"][row]) == 5
    assert result.confusion["matrix"][row][row] == 0


def test_a_regressors_interval_is_split_conformal_and_covers_what_it_says(fitted):
    from mlcycle.training.evaluation import interval_halfwidth

    errors = np.arange(1.0, 101.0)  # |errors| 1..100: rank ceil(101 * 0.9) = 91
    assert interval_halfwidth(np.zeros(100), errors) == 91.0
    assert interval_halfwidth(np.zeros(5), np.arange(1.0, 6.0)) == 5.0  # too few: the largest
    # the promise is over test sets: on average 451/501 of new rows fall within (normal errors,
    # sd 10, so a width w covers 2 Phi(w / 10) - 1 of them exactly)
    from scipy.stats import norm

    rng = np.random.default_rng(0)
    widths = [interval_halfwidth(rng.normal(0, 10, 500), np.zeros(500)) for _ in range(400)]
    covered = 2 * norm.cdf(np.array(widths) / 10) - 1
    assert covered.mean() == pytest.approx(451 / 501, abs=0.004)
    config, model, xy = fitted["regression"]
    result = evaluate_on_test("regression", model_output(model, xy.X, "regression"), xy.y,
                              xy.X, config)  # fmt: skip
    assert result.interval == interval_halfwidth(xy.y.to_numpy(), model.predict(xy.X))
    classes = fitted["multiclass"]
    output = model_output(classes[1], classes[2].X, "multiclass")
    assert evaluate_on_test("multiclass", output, classes[2].y, classes[2].X, classes[0],
                            classes_of(classes[1])).interval is None  # fmt: skip
