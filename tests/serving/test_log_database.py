"""The prediction log keeps the same promises on both of its databases: a SQLite file and a
real PostgreSQL (the private cluster of tests/conftest.py)."""

import dataclasses
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from mlcycle.serving.log_database import log_exists, redacted
from mlcycle.serving.prediction_log import (
    OutcomeConflictError,
    PredictionLog,
    UnknownRequestError,
)
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
