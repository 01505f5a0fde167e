"""The prediction log: every prediction served, and the outcome when feedback arrives.

SQLite in WAL mode with a busy timeout, one short transaction per write: durable (committed
before the response is sent) and safe with many threads or worker processes writing at once.
Writes go through one long-lived connection per process: opening and closing one per request
would checkpoint the WAL each time (the last connection to close does), several fsyncs a
request. The A/B analysis and monitoring read it back as a DataFrame.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

SCHEMA = """
CREATE TABLE IF NOT EXISTS predictions (
    request_id    TEXT PRIMARY KEY,
    ts            TEXT NOT NULL,
    user_id       TEXT,
    arm           TEXT NOT NULL,
    model_name    TEXT NOT NULL,
    model_version TEXT NOT NULL,
    features      TEXT NOT NULL,
    prediction    INTEGER NOT NULL,
    probability   REAL NOT NULL,
    outcome       INTEGER,
    outcome_ts    TEXT
);
CREATE INDEX IF NOT EXISTS predictions_ts ON predictions (ts);
"""


class UnknownRequestError(KeyError):
    """Feedback for a request id the log has never seen."""


@dataclass(frozen=True)
class Prediction:
    request_id: str
    user_id: str | None
    arm: str
    model_name: str
    model_version: str
    features: dict[str, Any]
    prediction: int
    probability: float


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class PredictionLog:
    def __init__(self, path: str | Path, timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        self.timeout_s = timeout_s
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer: sqlite3.Connection | None = None
        self._write_lock = threading.Lock()
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            self.path, timeout=self.timeout_s, isolation_level=None, check_same_thread=False
        )
        db.execute("PRAGMA synchronous=FULL")  # committed means on disk
        return db

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = self._open()
        try:
            yield db
        finally:
            db.close()

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """The process's writer connection, one thread at a time, in a transaction."""
        with self._write_lock:
            if self._writer is None:
                self._writer = self._open()
            db = self._writer
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def close(self) -> None:
        with self._write_lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None

    def record(self, predictions: list[Prediction]) -> None:
        """Append predictions in one transaction (all or none)."""
        rows = [
            (
                p.request_id,
                _now(),
                p.user_id,
                p.arm,
                p.model_name,
                str(p.model_version),
                json.dumps(p.features, default=str),
                int(p.prediction),
                float(p.probability),
            )
            for p in predictions
        ]
        with self._writing() as db:
            db.executemany(
                "INSERT INTO predictions (request_id, ts, user_id, arm, model_name,"
                " model_version, features, prediction, probability)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def record_feedback(self, request_id: str, outcome: int) -> None:
        if outcome not in (0, 1):
            raise ValueError(f"outcome must be 0 or 1, got {outcome!r}")
        with self._writing() as db:
            cursor = db.execute(
                "UPDATE predictions SET outcome = ?, outcome_ts = ? WHERE request_id = ?",
                (int(outcome), _now(), request_id),
            )
        if cursor.rowcount == 0:
            raise UnknownRequestError(f"no prediction with request_id {request_id!r}")

    def frame(self, since: datetime | None = None) -> pd.DataFrame:
        """The log as a DataFrame (features parsed), newest last."""
        query = "SELECT * FROM predictions"
        args: tuple = ()
        if since is not None:
            query += " WHERE ts >= ?"
            args = (since.astimezone(UTC).isoformat(timespec="microseconds"),)
        with self._connect() as db:
            df = pd.read_sql_query(query + " ORDER BY ts", db, params=args)
        df["ts"] = pd.to_datetime(df["ts"], format="ISO8601")
        df["features"] = df["features"].map(json.loads)
        return df

    def accuracy_by_version(self, window: timedelta | None = None) -> dict[str, tuple[int, float]]:
        """{model version: (labelled predictions, accuracy)} over the recent window, counted
        in SQL so the cost does not grow with the log's history."""
        since = datetime.now(UTC) - window if window else datetime.min.replace(tzinfo=UTC)
        with self._connect() as db:
            rows = db.execute(
                "SELECT model_version, COUNT(*), AVG(prediction = outcome) FROM predictions"
                " WHERE outcome IS NOT NULL AND ts >= ? GROUP BY model_version",
                (since.isoformat(timespec="microseconds"),),
            ).fetchall()
        return {str(version): (int(n), float(acc)) for version, n, acc in rows}
