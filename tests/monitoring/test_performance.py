import pandas as pd
import pytest

from mlcycle.monitoring.performance import latest, performance_report, weekly_performance


def log():
    ts = pd.to_datetime(
        ["2026-06-01T10:00Z", "2026-06-02T10:00Z", "2026-06-03T10:00Z",  # one week (Mon-Sun)
         "2026-06-09T10:00Z", "2026-06-10T10:00Z", "2026-06-11T10:00Z"]  # the next
    )  # fmt: skip
    return pd.DataFrame(
        {
            "ts": ts,
            "model_version": ["1", "1", "1", "1", "2", "2"],
            "prediction": [1, 0, 1, 0, 1, 0],
            "probability": [0.9, 0.2, 0.6, 0.4, 0.8, 0.1],
            "outcome": [1, 0, 0, 1, 1, None],
        }
    )


def test_accuracy_and_auc_per_week_and_version():
    perf = weekly_performance(log())
    assert perf[["week", "model_version", "labelled"]].values.tolist() == [
        ["2026-06-01", "1", 3], ["2026-06-08", "1", 1], ["2026-06-08", "2", 1],
    ]  # fmt: skip
    assert perf.loc[0, "accuracy"] == pytest.approx(2 / 3)
    assert perf.loc[0, "roc_auc"] == pytest.approx(1.0)  # the one churner ranks above both others
    assert pd.isna(perf.loc[1, "roc_auc"])  # one class: AUC undefined, not a crash


def test_latest_is_the_newest_labelled_week_of_that_version():
    perf = weekly_performance(log())
    assert latest(perf, "1") == (0.0, 1)
    assert latest(perf, "3") == (None, 0)


def test_an_empty_or_broken_log():
    empty = log().assign(outcome=None)
    assert weekly_performance(empty).empty
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['probability'\]"):
        weekly_performance(log().drop(columns="probability"))


def test_the_performance_report_is_written_with_or_without_labels(tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    p = rng.random(400)
    rows = pd.DataFrame({"outcome": (rng.random(400) < p).astype(int),
                         "prediction": (p >= 0.5).astype(int), "probability": p})  # fmt: skip
    assert performance_report(rows.iloc[:200], rows.iloc[200:], tmp_path / "r.html")
    assert (tmp_path / "r.html").stat().st_size > 10_000
    assert not performance_report(rows.iloc[:0], None, tmp_path / "empty.html")
    assert "No labelled predictions yet" in (tmp_path / "empty.html").read_text()
    one_class = rows[rows["outcome"] == 1].head(5)
    assert not performance_report(one_class, None, tmp_path / "one.html")
    assert "Only one outcome class among 5" in (tmp_path / "one.html").read_text()


def test_the_champions_newest_week_and_the_one_before(tmp_path):
    from mlcycle.monitoring.performance import last_two_weeks, read_log

    current, previous = last_two_weeks(log(), "1")
    assert len(current) == 1 and len(previous) == 3  # week of 06-08, and of 06-01
    assert last_two_weeks(log(), "9")[0].empty
    assert read_log(str(tmp_path / "none.db")).empty  # nothing served yet: an empty log
    assert weekly_performance(read_log(None)).empty


def task_log(task):
    """Two weeks of a regressor's or a multiclass model's labelled predictions."""
    ts = pd.to_datetime(["2026-06-01T10:00Z", "2026-06-02T10:00Z", "2026-06-03T10:00Z",
                         "2026-06-09T10:00Z"])  # fmt: skip
    if task == "regression":
        prediction, outcome, probability = [10.0, 20.0, 30.0, 5.0], [12.0, 16.0, 30.0, 8.0], None
    else:
        prediction, outcome = ["gold", "basic", "gold", "plus"], ["gold", "gold", "gold", "plus"]
        probability = [0.7, 0.5, 0.6, 0.9]
    return pd.DataFrame({"ts": ts, "model_version": "1", "task": task, "prediction": prediction,
                         "probability": probability, "outcome": outcome})  # fmt: skip


def test_each_tasks_own_metrics_per_week():
    regression = weekly_performance(task_log("regression"))
    assert regression.loc[0, ["task", "labelled"]].tolist() == ["regression", 3]
    assert regression.loc[0, "mae"] == pytest.approx(2.0)  # |−2| + |4| + 0, over 3
    assert regression.loc[0, "rmse"] == pytest.approx((20 / 3) ** 0.5)
    assert latest(regression, "1", "mae") == (3.0, 1)
    assert latest(regression, "1", "accuracy") == (None, 0)  # not a regressor's metric
    classes = weekly_performance(task_log("multiclass"))
    assert classes.loc[0, "accuracy"] == pytest.approx(2 / 3)
    assert classes.loc[1, ["accuracy", "f1_macro"]].tolist() == [1.0, 1.0]


def test_per_class_accuracy_is_each_classs_share_predicted_right():
    from mlcycle.monitoring.performance import class_accuracy

    table = class_accuracy(task_log("multiclass")).set_index("class")
    assert table.loc["gold"].tolist() == [3, pytest.approx(2 / 3)]
    assert table.loc["plus"].tolist() == [1, 1.0]


@pytest.mark.parametrize("task", ["regression", "multiclass"])
def test_the_performance_report_of_each_task(tmp_path, task):
    import numpy as np

    rng = np.random.default_rng(0)
    if task == "regression":
        truth = rng.normal(100, 20, 300)
        rows = pd.DataFrame({"outcome": truth, "prediction": truth + rng.normal(0, 5, 300)})
    else:
        truth = rng.choice(["a", "b", "c"], 300)
        guess = np.where(rng.random(300) < 0.7, truth, rng.choice(["a", "b", "c"], 300))
        rows = pd.DataFrame({"outcome": truth, "prediction": guess})
    assert performance_report(rows.iloc[:150], rows.iloc[150:], tmp_path / "r.html", task)
    page = (tmp_path / "r.html").read_text()
    assert len(page) > 10_000
    assert ("Regression performance" if task == "regression" else "Classification") in page
    assert not performance_report(rows.iloc[:1], None, tmp_path / "one.html", task)
    assert "Only one outcome" in (tmp_path / "one.html").read_text()
