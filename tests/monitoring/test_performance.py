import pandas as pd
import pytest

from mlcycle.monitoring.performance import classification_report, latest, weekly_performance


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


def test_the_classification_report_is_written_with_or_without_labels(tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    p = rng.random(400)
    rows = pd.DataFrame({"outcome": (rng.random(400) < p).astype(int),
                         "prediction": (p >= 0.5).astype(int), "probability": p})  # fmt: skip
    assert classification_report(rows.iloc[:200], rows.iloc[200:], tmp_path / "r.html")
    assert (tmp_path / "r.html").stat().st_size > 10_000
    assert not classification_report(rows.iloc[:0], None, tmp_path / "empty.html")
    assert "No labelled predictions yet" in (tmp_path / "empty.html").read_text()
    one_class = rows[rows["outcome"] == 1].head(5)
    assert not classification_report(one_class, None, tmp_path / "one.html")
    assert "Only one outcome class among 5" in (tmp_path / "one.html").read_text()


def test_the_champions_newest_week_and_the_one_before(tmp_path):
    from mlcycle.monitoring.performance import last_two_weeks, read_log

    current, previous = last_two_weeks(log(), "1")
    assert len(current) == 1 and len(previous) == 3  # week of 06-08, and of 06-01
    assert last_two_weeks(log(), "9")[0].empty
    assert read_log(str(tmp_path / "none.db")).empty  # nothing served yet: an empty log
    assert weekly_performance(read_log(None)).empty
