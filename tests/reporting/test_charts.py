"""The hub's charts: a picture, with words for those who cannot see it, or nothing at all."""

from mlcycle.reporting.charts import drift_trend, metric_trend

HISTORY = [
    {"version": 1, "created": 0, "metrics": {"test_roc_auc": 0.91}},
    {"version": 2, "created": 0, "metrics": {}},  # a deleted run: no metrics, no point
    {"version": 3, "created": 0, "metrics": {"test_roc_auc": 0.93}},
]


def test_the_metric_trend_marks_the_champion_and_says_so():
    img = metric_trend(HISTORY, "roc_auc", "3")
    assert img.startswith('<img class="chart" src="data:image/png;base64,')
    assert 'alt="Line chart of test roc_auc for 2 model versions: v1 0.910, v3 0.930; the ' in img
    assert "the champion is v3; the best is v3." in img
    assert metric_trend([], "roc_auc", None) is None
    assert metric_trend(HISTORY[1:2], "roc_auc", None) is None


def test_the_drift_trend_counts_the_retrains():
    runs = [{"started": 1_700_000_000_000, "drift_share": 0.1, "retrain": False},
            {"started": 1_700_600_000_000, "drift_share": 0.6, "retrain": True}]  # fmt: skip
    img = drift_trend(runs)
    assert "at 2 monitoring runs" in img and "10%" in img and "60%" in img
    assert "1 decided to retrain" in img
    assert drift_trend([{"started": 1, "drift_share": None}]) is None
