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


def test_callers_that_arrive_during_a_commit_share_the_next_one(tmp_path):
    """Group commit: while the first write is on disk, five callers queue; the next writer
    commits their rows in one transaction, and each returns only once its rows are in."""
    import threading
    import time

    log = PredictionLog(tmp_path / "log.db")
    real_insert, on_disk = log._insert, threading.Event()

    def slow_first_insert(rows):
        if log.commits == 0:
            on_disk.wait(10)  # the first commit is "on disk" until released
        real_insert(rows)

    log._insert = slow_first_insert
    seen_after_return = {}

    def call(i):
        log.record([pred(i)])
        with sqlite3.connect(tmp_path / "log.db") as db:  # another connection sees it committed
            seen_after_return[i] = db.execute(
                "SELECT count(*) FROM predictions WHERE request_id = ?", (f"r{i}",)
            ).fetchone()[0]

    first = threading.Thread(target=call, args=(0,))
    first.start()
    while not log._committing:
        time.sleep(0.001)
    others = [threading.Thread(target=call, args=(i,)) for i in range(1, 6)]
    for t in others:
        t.start()
    while len(log._pending) < 5:
        time.sleep(0.001)
    on_disk.set()
    for t in [first, *others]:
        t.join(10)
    assert log.commits == 2  # one for the first caller, one for the five that queued
    assert seen_after_return == dict.fromkeys(range(6), 1)
    assert sorted(log.frame()["request_id"]) == [f"r{i}" for i in range(6)]


def test_a_bad_caller_in_a_group_fails_alone(tmp_path):
    """A duplicate request id fails its own caller; the rows of the others batched with it
    are still committed."""
    log = PredictionLog(tmp_path / "log.db")
    log.record([pred(1)])
    tickets = [[pred(2)], [pred(1)], [pred(3)]]  # the middle one repeats r1
    from mlcycle.serving.prediction_log import _Ticket

    batch = [_Ticket(log._rows(t)) for t in tickets]
    log._commit(batch)
    assert [t.error is None for t in batch] == [True, False, True]
    assert isinstance(batch[1].error, sqlite3.IntegrityError)
    assert sorted(log.frame()["request_id"]) == ["r1", "r2", "r3"]


def test_many_threads_lose_nothing(tmp_path):
    log = PredictionLog(tmp_path / "log.db")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: log.record([pred(i), pred(i + 1000)]), range(200)))
    assert len(log.frame()) == 400 and log.commits <= 200


def test_a_log_written_before_the_experiment_columns_gains_them(tmp_path):
    path = tmp_path / "old.db"
    old_schema = """CREATE TABLE predictions (request_id TEXT PRIMARY KEY,
        ts TEXT NOT NULL, user_id TEXT, arm TEXT NOT NULL, model_name TEXT NOT NULL,
        model_version TEXT NOT NULL, features TEXT NOT NULL, prediction INTEGER NOT NULL,
        probability REAL NOT NULL, outcome INTEGER, outcome_ts TEXT)"""
    with sqlite3.connect(path) as db:
        db.execute(old_schema)
        db.execute("INSERT INTO predictions VALUES ('r0', '2026-07-01T00:00:00+00:00', 'u0',"
                   " 'champion', 'm', '1', '{}', 1, 0.9, NULL, NULL)")  # fmt: skip
    log = PredictionLog(path)
    log.record([Prediction("r1", "u1", "challenger", "m", "2", {}, 0, 0.2, "exp", "randomised",
                           "champion=50,challenger=50")])  # fmt: skip
    frame = log.frame().set_index("request_id")
    assert frame.loc["r0", "experiment"] == "" and frame.loc["r0", "assignment"] == ""
    assert frame.loc["r1", ["experiment", "assignment"]].tolist() == ["exp", "randomised"]
    assert log.frame(experiment="exp").index.size == 1


@pytest.mark.parametrize(("sync", "pragma"), [("full", 2), ("normal", 1)])
def test_log_sync_sets_how_a_commit_reaches_the_disk_and_a_killed_writer_loses_nothing(
    tmp_path, sync, pragma
):
    """Either way, a prediction recorded before the process is killed (SIGKILL: no cleanup,
    no close) is in the log; `full` also fsyncs each commit (a power cut loses nothing)."""
    import subprocess
    import sys

    path = tmp_path / "log.db"
    log = PredictionLog(path, sync=sync)
    log.record([pred(0)])
    with log._writing() as db:  # the writer connection the service commits on
        assert db.execute("PRAGMA synchronous").fetchone()[0] == pragma
    log.close()
    script = (
        "import os, signal\n"
        "from mlcycle.serving.prediction_log import PredictionLog\n"
        "from tests.serving.test_prediction_log import pred\n"
        f"log = PredictionLog({str(path)!r}, sync={sync!r})\n"
        "log.record([pred(1), pred(2)])\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    from tests.conftest import PROJECT

    killed = subprocess.run([sys.executable, "-c", script], cwd=PROJECT, capture_output=True)
    assert killed.returncode == -9, killed.stderr.decode()
    assert sorted(PredictionLog(path).frame()["request_id"]) == ["r0", "r1", "r2"]


def test_an_unknown_log_sync_is_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match="log_sync must be one of full, normal, not 'off'"):
        PredictionLog(tmp_path / "log.db", sync="off")
