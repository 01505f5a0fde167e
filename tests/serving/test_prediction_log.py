import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from mlcycle.serving.prediction_log import Prediction, PredictionLog, UnknownRequestError


def pred(i, version="1", prediction=1, arm="champion"):
    return Prediction(
        f"r{i}", f"u{i}", arm, "churn", version, {"age": 30 + i, "plan": "x"}, prediction, 0.7
    )


def test_records_round_trip(tmp_path):
    log = PredictionLog(tmp_path / "log.db")
    log.record([pred(1), pred(2, version="2", arm="challenger")])
    df = log.frame()
    assert list(df["request_id"]) == ["r1", "r2"]
    assert df.loc[0, "features"] == {"age": 31, "plan": "x"}
    assert df["outcome"].isna().all()
    assert set(df.columns) >= {"ts", "user_id", "arm", "model_version", "prediction", "probability"}


def test_feedback_and_accuracy_per_version(tmp_path):
    log = PredictionLog(tmp_path / "log.db")
    log.record([pred(i, version="1", prediction=1) for i in range(4)])
    log.record([pred(i, version="2", prediction=0) for i in range(4, 6)])
    for i, outcome in [(0, 1), (1, 1), (2, 0), (4, 0)]:
        log.record_feedback(f"r{i}", outcome)
    assert log.accuracy_by_version() == {"1": (3, pytest.approx(2 / 3)), "2": (1, 1.0)}
    assert log.accuracy_by_version(window=timedelta(hours=1))["1"][0] == 3
    with sqlite3.connect(tmp_path / "log.db") as db:  # r0 was predicted long ago
        db.execute("UPDATE predictions SET ts = '2000-01-01T00:00:00+00:00' WHERE request_id='r0'")
    assert log.accuracy_by_version(window=timedelta(days=7)) == {
        "1": (2, pytest.approx(1 / 2)),
        "2": (1, 1.0),
    }
    with pytest.raises(UnknownRequestError, match="no prediction with request_id 'nope'"):
        log.record_feedback("nope", 1)
    with pytest.raises(ValueError, match="outcome must be 0 or 1"):
        log.record_feedback("r0", 2)


def test_a_batch_is_all_or_nothing(tmp_path):
    log = PredictionLog(tmp_path / "log.db")
    log.record([pred(1)])
    with pytest.raises(sqlite3.IntegrityError):
        log.record([pred(2), pred(1)])  # r1 again: the whole batch is refused
    assert list(log.frame()["request_id"]) == ["r1"]


def test_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "log.db"
    PredictionLog(path)

    def write(i):
        PredictionLog(path).record([pred(i)])  # each worker with its own handle

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, range(400)))
    df = PredictionLog(path).frame()
    assert len(df) == 400 and df["request_id"].is_unique
