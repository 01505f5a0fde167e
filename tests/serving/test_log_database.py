"""The prediction log keeps the same promises on both of its databases: a SQLite file and a
real PostgreSQL (the private cluster of tests/conftest.py)."""

import dataclasses
import sqlite3
import uuid
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from mlcycle.serving.log_database import log_exists, redacted
from mlcycle.serving.prediction_log import (
    OutcomeConflictError,
    OutcomeTypeError,
    Prediction,
    PredictionLog,
    UnknownRequestError,
)
from mlcycle.task import BINARY, MULTICLASS, REGRESSION
from mlcycle.team.database import ensure_database
from tests.serving.test_prediction_log import pred

pytestmark = pytest.mark.service  # a PostgreSQL cluster


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request, tmp_path, monkeypatch, postgres):
    if request.param == "sqlite":
        return str(tmp_path / "log.db")
    pg = dataclasses.replace(postgres, database=f"log_{uuid.uuid4().hex[:8]}")
    ensure_database(pg)
    monkeypatch.setenv("PGPASSWORD", pg.password)  # libpq's: never in the URL
    return f"postgresql://{pg.user}@{pg.host}:{pg.port}/{pg.database}"


def test_the_log_keeps_its_promises(target):
    log = PredictionLog(target)
    assert log_exists(target)
    log.record([pred(1), pred(2, version="2", arm="challenger", prediction=0)])
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        log.record([pred(3), pred(1)])  # r1 again: the whole call is refused ...
    assert list(log.frame()["request_id"]) == ["r1", "r2"]  # ... r3 included
    assert log.record_feedback("r1", 1) == 1 and log.record_feedback("r1", 1) == 0
    with pytest.raises(OutcomeConflictError, match="already has outcome 1"):
        log.record_feedback("r1", 0)
    with pytest.raises(UnknownRequestError):
        log.record_feedback_many([("r2", 0), ("nope", 1)])
    assert log.row("r2")["outcome"] is None  # all or nothing
    assert log.record_feedback("r1", 0, correction=True) == 1
    assert [c["outcome"] for c in log.corrections("r1")] == [1]
    log.record_feedback("r2", 0)
    assert log.accuracy_by_version() == {"1": (1, 0.0), "2": (1, 1.0)}
    frame = log.frame(experiment="")
    assert frame.loc[0, "features"] == {"age": 31, "plan": "x"}
    assert str(frame["ts"].dt.tz) == "UTC" and frame["probability"].dtype == float
    log.close()


def test_concurrent_writers_lose_nothing(target):
    """Two logs (two worker processes would have one each) and eight threads at once."""
    logs = [PredictionLog(target), PredictionLog(target)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: logs[i % 2].record([pred(i)]), range(200)))
    frame = PredictionLog(target).frame()
    assert sorted(frame["request_id"]) == sorted(f"r{i}" for i in range(200))
    for log in logs:
        log.close()


def test_a_database_url_never_shows_a_password():
    assert redacted("postgresql://u:s3cret@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert redacted("/var/log.db") == "/var/log.db"


def by_task(i, task, prediction, probability=None, version="1"):
    return Prediction(f"{task[:3]}{i}", None, "champion", "m", version, {"x": i}, prediction,
                      probability, task=task)  # fmt: skip


def test_every_task_is_logged_and_labelled_in_its_own_type(target):
    log = PredictionLog(target)
    log.record([pred(1)])  # binary
    log.record([by_task(1, MULTICLASS, "gold", 0.6), by_task(2, MULTICLASS, "basic", 0.5)])
    log.record([by_task(1, REGRESSION, 120.5), by_task(2, REGRESSION, 80.0, version="2")])
    assert log.record_feedback_many([("mul1", "gold"), ("mul2", "gold"), ("r1", 1)]) == 3
    assert log.record_feedback("reg1", 100) == 1 and log.record_feedback("reg2", 90.0) == 1
    assert log.record_feedback("mul1", "gold") == 0  # the same outcome again
    with pytest.raises(OutcomeConflictError, match="already has outcome 100"):
        log.record_feedback("reg1", 101)
    assert log.record_feedback("reg1", 110, correction=True) == 1
    assert [(c["outcome_value"], c["replaced_by_value"]) for c in log.corrections("reg1")] == [
        (100.0, 110.0)
    ]
    for request_id, bad, why in [
        ("mul2", 1.5, "must be a class label"),
        ("reg2", "ten", "must be a finite number"),
        ("reg2", float("nan"), "must be a finite number"),
        ("reg1", True, "must be a finite number"),
    ]:
        with pytest.raises(OutcomeTypeError, match=f"{why}.*'{request_id}'"):
            log.record_feedback(request_id, bad, correction=True)
    # classifiers' accuracy (binary and multiclass rows alike), regressors' mean absolute error
    assert log.accuracy_by_version() == {"1": (3, pytest.approx(2 / 3))}
    assert log.error_by_version() == {"1": (1, 10.5), "2": (1, 10.0)}
    # a log shared by several registered models: each service counts its own
    assert log.accuracy_by_version(model_name="m") == {"1": (2, 0.5)}
    assert log.accuracy_by_version(model_name="churn") == {"1": (1, 1.0)}
    assert log.error_by_version(model_name="churn") == {}
    assert set(log.frame(model_name="m")["request_id"]) == {"mul1", "mul2", "reg1", "reg2"}
    frame = log.frame().set_index("request_id")  # prediction and outcome in the task's terms
    assert frame.loc["mul1", ["task", "prediction", "outcome"]].tolist() == [
        MULTICLASS,
        "gold",
        "gold",
    ]
    assert frame.loc["reg1", ["prediction", "outcome"]].tolist() == [120.5, 110.0]
    assert np.isnan(frame.loc["reg1", "probability"])
    log.close()


OLD_SCHEMA = """
CREATE TABLE predictions (request_id TEXT PRIMARY KEY, ts TEXT NOT NULL, user_id TEXT,
    arm TEXT NOT NULL, model_name TEXT NOT NULL, model_version TEXT NOT NULL,
    features TEXT NOT NULL, prediction INTEGER NOT NULL, probability REAL NOT NULL,
    outcome INTEGER, outcome_ts TEXT, experiment TEXT NOT NULL DEFAULT '',
    assignment TEXT NOT NULL DEFAULT '', split TEXT NOT NULL DEFAULT '');
CREATE INDEX predictions_ts ON predictions (ts);
CREATE TABLE outcome_corrections (request_id TEXT NOT NULL, outcome INTEGER NOT NULL,
    outcome_ts TEXT NOT NULL, replaced_by INTEGER NOT NULL, replaced_ts TEXT NOT NULL);
INSERT INTO predictions VALUES ('old', '2026-11-01T00:00:00+00:00', 'u', 'champion', 'm', '3',
    '{}', 1, 0.875, 0, '2026-11-02T00:00:00+00:00', 'exp', 'randomised', 'champion=100');
INSERT INTO outcome_corrections VALUES ('old', 1, '2026-11-01T12:00:00+00:00', 0,
    '2026-11-02T00:00:00+00:00')
"""


def test_a_log_of_binary_rows_is_migrated_on_open_and_keeps_them(target):
    """A log written before other tasks (NOT NULL prediction and probability) is migrated in
    place on open: its rows, outcomes and corrections kept, its indexes made again."""
    if target.startswith("postgresql"):
        import psycopg

        with psycopg.connect(target, autocommit=True) as db:
            for statement in filter(
                str.strip, OLD_SCHEMA.replace("REAL", "DOUBLE PRECISION").split(";")
            ):
                db.execute(statement)
    else:
        with sqlite3.connect(target) as db:
            db.executescript(OLD_SCHEMA)
    logs = [PredictionLog(target), PredictionLog(target)]  # the second finds it done
    log = logs[0]
    old = log.row("old")
    assert (old["prediction"], old["probability"], old["outcome"]) == (1, 0.875, 0)
    assert (old["task"], old["experiment"], old["split"]) == (BINARY, "exp", "champion=100")
    assert [(c["outcome"], c["replaced_by"]) for c in log.corrections("old")] == [(1, 0)]
    log.record([by_task(1, REGRESSION, 3.5)])  # no prediction, no probability: now allowed
    assert log.record_feedback("reg1", 4) == 1
    assert log.accuracy_by_version() == {"3": (1, 0.0)}
    assert log.error_by_version() == {"1": (1, 0.5)}
    if not target.startswith("postgresql"):
        with sqlite3.connect(target) as db:
            indexes = {
                r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='index'")
            }
        assert {"predictions_ts", "predictions_experiment"} <= indexes
    for each in logs:
        each.close()
