"""The prediction log: every prediction served, and the outcome when feedback arrives.

Durable: a prediction is committed before its response is sent. A SQLite file by default (WAL
mode with a busy timeout: safe with many threads or worker processes on one host), or
PostgreSQL for several hosts (`prediction_log: postgresql://…`; see log_database). Writes go
through one long-lived connection per process: opening and closing one per request would, in
SQLite, checkpoint the WAL each time (the last connection to close does), several fsyncs a
request.

Predictions are group-committed: requests that arrive while a commit is on disk queue up, and
the next writer commits all of them in one transaction, one fsync. Every caller still returns
only once its own rows are committed. The A/B analysis and monitoring read the log back as a
DataFrame.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from mlcycle.serving.log_database import open_database
from mlcycle.settings import DURABLE_LOG_SYNC
from mlcycle.task import BINARY, MULTICLASS, REGRESSION, Task

SCHEMA = """
CREATE TABLE IF NOT EXISTS predictions (
    request_id      TEXT PRIMARY KEY,
    ts              TEXT NOT NULL,
    user_id         TEXT,
    arm             TEXT NOT NULL,
    model_name      TEXT NOT NULL,
    model_version   TEXT NOT NULL,
    features        TEXT NOT NULL,
    prediction      INTEGER,
    probability     REAL,
    outcome         INTEGER,
    outcome_ts      TEXT,
    experiment      TEXT NOT NULL DEFAULT '',
    assignment      TEXT NOT NULL DEFAULT '',
    split           TEXT NOT NULL DEFAULT '',
    task            TEXT NOT NULL DEFAULT 'binary',
    predicted_label TEXT,
    predicted_value REAL,
    outcome_label   TEXT,
    outcome_value   REAL
);
CREATE TABLE IF NOT EXISTS outcome_corrections (
    request_id        TEXT NOT NULL,
    outcome           INTEGER,
    outcome_ts        TEXT NOT NULL,
    replaced_by       INTEGER,
    replaced_ts       TEXT NOT NULL,
    outcome_label     TEXT,
    outcome_value     REAL,
    replaced_by_label TEXT,
    replaced_by_value REAL
);
"""
# indexes, made after any migration (rebuilding a SQLite table drops its indexes)
INDEXES = """
CREATE INDEX IF NOT EXISTS predictions_ts ON predictions (ts);
CREATE INDEX IF NOT EXISTS predictions_experiment ON predictions (experiment);
"""
# A log written by an earlier version is migrated on open, in one transaction: columns added
# since its schema, and NOT NULLs dropped where another task leaves a column empty.
ADDED_COLUMNS = {
    "predictions": {
        "experiment": "TEXT NOT NULL DEFAULT ''",  # the A/B experiment key the row was served under
        "assignment": "TEXT NOT NULL DEFAULT ''",  # why this arm: see ASSIGNMENTS
        "split": "TEXT NOT NULL DEFAULT ''",  # the split then, e.g. champion=90,challenger=10
        "task": "TEXT NOT NULL DEFAULT 'binary'",  # every row before it was binary
        "predicted_label": "TEXT",
        "predicted_value": "REAL",
        "outcome_label": "TEXT",
        "outcome_value": "REAL",
    },
    "outcome_corrections": {
        "outcome_label": "TEXT",
        "outcome_value": "REAL",
        "replaced_by_label": "TEXT",
        "replaced_by_value": "REAL",
    },
}
RELAXED = {
    "predictions": {"prediction", "probability"},  # a regression row has neither
    "outcome_corrections": {"outcome", "replaced_by"},
}
# Where each task's prediction and outcome are stored: typed columns (PostgreSQL enforces the
# types). `frame` reads them back as `prediction` and `outcome` whatever the task.
PREDICTED = {BINARY: "prediction", MULTICLASS: "predicted_label", REGRESSION: "predicted_value"}
OUTCOME = {BINARY: "outcome", MULTICLASS: "outcome_label", REGRESSION: "outcome_value"}
# why a request got its arm: only 'randomised' rows belong in an A/B comparison
RANDOMISED, NO_USER_ID, FALLBACK, NO_EXPERIMENT = (
    "randomised", "no user id", "fallback", "no experiment",
)  # fmt: skip


class UnknownRequestError(KeyError):
    """Feedback for a request id the log has never seen."""


class OutcomeTypeError(ValueError):
    """An outcome that is not one of its prediction's task: 0/1, a class label or a number."""


class OutcomeConflictError(ValueError):
    """A second, different outcome for a request without the correction flag: outcomes are
    written once, and a correction is explicit (the replaced outcome is kept)."""


@dataclass(frozen=True)
class Prediction:
    """One answer as logged. `prediction`: 0/1 (binary), a class label (multiclass) or a
    number (regression); `probability`: of the positive class, of the predicted class, or
    None for a number."""

    request_id: str
    user_id: str | None
    arm: str
    model_name: str
    model_version: str
    features: dict[str, Any]
    prediction: int | str | float
    probability: float | None
    experiment: str = ""
    assignment: str = ""
    split: str = ""
    task: Task = BINARY


def checked_outcome(task: str, outcome: Any, request_id: str = "") -> int | str | float:
    """An outcome as its prediction's task stores it, or an OutcomeTypeError naming why."""
    which = f" (request_id {request_id!r})" if request_id else ""
    number = isinstance(outcome, int | float) and not isinstance(outcome, bool)
    if task == REGRESSION:
        if number and math.isfinite(outcome):
            return float(outcome)
        raise OutcomeTypeError(f"outcome must be a finite number, got {outcome!r}{which}")
    if task == MULTICLASS:
        if isinstance(outcome, str) and outcome:  # as given: the service's schema says so too
            return outcome
        if number and float(outcome).is_integer():  # classes that were whole numbers
            return str(int(outcome))
        raise OutcomeTypeError(f"outcome must be a class label, got {outcome!r}{which}")
    if not (number or isinstance(outcome, bool)) or outcome not in (0, 1):
        raise OutcomeTypeError(f"outcome must be 0 or 1, got {outcome!r}{which}")
    return int(outcome)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass
class _Ticket:
    """One caller's rows waiting for a group commit, and how that commit ended."""

    rows: list[tuple]
    done: bool = False
    error: BaseException | None = None


class PredictionLog:
    def __init__(
        self, target: str | Path, timeout_s: float = 30.0, sync: str = DURABLE_LOG_SYNC
    ) -> None:
        """`sync`: a SQLite log's commit, "full" (on disk before it returns) or "normal" (in
        the WAL, safe from a crash of this process, not of the machine). PostgreSQL: its own."""
        self.db = open_database(target, timeout_s, sync)
        self.timeout_s = timeout_s
        self._writer: Any = None
        self._write_lock = threading.Lock()
        self._queue = threading.Condition()  # guards _pending and _committing
        self._pending: list[_Ticket] = []
        self._committing = False
        self.commits = 0  # prediction transactions committed (group commits, for tests)
        with self._connect() as db:
            self.db.setup(db, SCHEMA)
            with self.db.migrating(db):
                for table, added in ADDED_COLUMNS.items():
                    have = self.db.columns(db, table)
                    for column, kind in added.items():
                        if column not in have:
                            db.execute(
                                self.db.sql(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
                            )
                    self.db.relax_not_null(db, table, RELAXED[table])
                for statement in filter(str.strip, INDEXES.split(";")):
                    db.execute(statement)

    def __repr__(self) -> str:
        return f"PredictionLog({self.db.describe()})"

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        db = self.db.connect()
        try:
            yield db
        finally:
            db.close()

    def _execute(self, db: Any, statement: str, args: tuple = ()) -> Any:
        return db.execute(self.db.sql(statement), args)

    def _query(self, statement: str, args: tuple = ()) -> tuple[list[str], list[tuple]]:
        """(column names, rows) of a read on a connection of its own."""
        with self._connect() as db:
            cursor = self._execute(db, statement, args)
            rows = cursor.fetchall()
            return [d[0] for d in cursor.description], rows

    @contextmanager
    def _writing(self) -> Iterator[Any]:
        """The process's writer connection, one thread at a time, in a transaction. A
        connection that broke (a database restart) is replaced at the next write."""
        with self._write_lock, self.db.writing():
            if self._writer is None:
                self._writer = self.db.connect()
            db = self._writer
            try:
                db.execute(self.db.begin)
                yield db
                db.execute("COMMIT")
            except BaseException:
                try:
                    db.execute("ROLLBACK")
                except Exception:  # noqa: BLE001 - the connection is gone: start afresh
                    with contextlib.suppress(Exception):
                        db.close()
                    self._writer = None
                raise

    def close(self) -> None:
        with self._write_lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None

    def record(self, predictions: list[Prediction]) -> None:
        """Append predictions; returns once they are committed (all of a call or none)."""
        (error,) = self.record_each([predictions])
        if error is not None:
            raise error

    def record_each(self, calls: list[list[Prediction]]) -> list[BaseException | None]:
        """Several callers' predictions at once (what the event loop's writer collected),
        each committed or refused on its own as separate `record` calls would be: per call,
        None or the error that refused it. Returns once all are settled.

        Leader and followers: a caller that finds no commit under way becomes the writer for
        everything queued so far; the others wait for the commit that carries their rows.
        """
        tickets = [_Ticket(self._rows(predictions)) for predictions in calls]
        waiting = [t for t in tickets if t.rows]
        with self._queue:
            self._pending.extend(waiting)
            while not all(t.done for t in waiting):
                if self._committing:
                    self._queue.wait()
                    continue
                self._committing = True
                batch, self._pending = self._pending, []
                self._queue.release()
                try:
                    self._commit(batch)
                finally:
                    self._queue.acquire()
                    self._committing = False
                    for t in batch:
                        t.done = True
                    self._queue.notify_all()
        return [t.error for t in tickets]

    def _commit(self, batch: list[_Ticket]) -> None:
        """One transaction for the whole batch; if it fails, each caller's rows alone, so one
        caller's bad rows (a duplicate request id) fail that caller only."""
        try:
            self._insert([row for t in batch for row in t.rows])
            return
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error = exc
                return
        for t in batch:
            try:
                self._insert(t.rows)
            except Exception as exc:
                t.error = exc

    def _insert(self, rows: list[tuple]) -> None:
        with self._writing() as db:
            db.cursor().executemany(
                self.db.sql(
                    "INSERT INTO predictions (request_id, ts, user_id, arm, model_name,"
                    " model_version, features, prediction, probability, experiment, assignment,"
                    " split, task, predicted_label, predicted_value)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                rows,
            )
        self.commits += 1

    @staticmethod
    def _rows(predictions: list[Prediction]) -> list[tuple]:
        return [
            (
                p.request_id,
                _now(),
                p.user_id,
                p.arm,
                p.model_name,
                str(p.model_version),
                json.dumps(p.features, default=str),
                int(p.prediction) if p.task == BINARY else None,
                None if p.probability is None else float(p.probability),
                p.experiment,
                p.assignment,
                p.split,
                p.task,
                str(p.prediction) if p.task == MULTICLASS else None,
                float(p.prediction) if p.task == REGRESSION else None,
            )
            for p in predictions
        ]

    def record_feedback(self, request_id: str, outcome: Any, correction: bool = False) -> int:
        return self.record_feedback_many([(request_id, outcome, correction)])

    def record_feedback_many(self, outcomes: list[tuple[str, Any] | tuple[str, Any, bool]]) -> int:
        """Outcomes of earlier predictions, each (request id, outcome[, correction]), in one
        transaction: all are recorded, or none. An outcome is of its prediction's task (0/1,
        a class label, a number: an OutcomeTypeError otherwise) and written once: the same
        outcome again changes nothing, a different one is an OutcomeConflictError unless it is
        a correction, which keeps the outcome it replaces in `outcome_corrections`. An unknown
        request id names itself. Returns how many outcomes were written or corrected."""
        now, written = _now(), 0
        with self._writing() as db:  # raising inside the transaction rolls it back
            for request_id, outcome, *flag in outcomes:
                found = self._execute(
                    db,
                    "SELECT task, outcome, outcome_label, outcome_value, outcome_ts"
                    " FROM predictions WHERE request_id = ?",
                    (request_id,),
                ).fetchone()
                if found is None:
                    raise UnknownRequestError(f"no prediction with request_id {request_id!r}")
                task, *stored, before_ts = found
                column = OUTCOME.get(task, "outcome")
                before = dict(zip(OUTCOME.values(), stored, strict=True))[column]
                value = checked_outcome(task, outcome, request_id)
                if before == value:
                    continue
                if before is not None:
                    if not (flag and flag[0]):
                        raise OutcomeConflictError(
                            f"request_id {request_id!r} already has outcome {before} (recorded "
                            f'{before_ts}); to replace it, send it with "correction": true'
                        )
                    replaced_by = column.replace("outcome", "replaced_by")
                    self._execute(
                        db,
                        f"INSERT INTO outcome_corrections (request_id, {column}, outcome_ts,"
                        f" {replaced_by}, replaced_ts) VALUES (?, ?, ?, ?, ?)",
                        (request_id, before, before_ts, value, now),
                    )
                self._execute(
                    db,
                    f"UPDATE predictions SET {column} = ?, outcome_ts = ? WHERE request_id = ?",
                    (value, now, request_id),
                )
                written += 1
        return written

    def corrections(self, request_id: str) -> list[dict[str, Any]]:
        """The outcomes a request had before its corrections, oldest first."""
        names, rows = self._query(
            "SELECT * FROM outcome_corrections WHERE request_id = ? ORDER BY replaced_ts",
            (request_id,),
        )
        return [dict(zip(names, r, strict=True)) for r in rows]

    def frame(
        self,
        since: datetime | None = None,
        experiment: str | None = None,
        model_name: str | None = None,
    ) -> pd.DataFrame:
        """The log as a DataFrame (features parsed), newest last; only the rows served since
        `since`, under the A/B experiment `experiment` and by the registered model
        `model_name`, when given (a project's log can hold several models')."""
        where, args = [], []
        if model_name is not None:
            where.append("model_name = ?")
            args.append(model_name)
        if since is not None:
            where.append("ts >= ?")
            args.append(since.astimezone(UTC).isoformat(timespec="microseconds"))
        if experiment is not None:
            where.append("experiment = ?")
            args.append(experiment)
        query = "SELECT * FROM predictions" + (" WHERE " + " AND ".join(where) if where else "")
        names, rows = self._query(query + " ORDER BY ts", tuple(args))
        df = pd.DataFrame.from_records(rows, columns=names, coerce_float=True)
        df["ts"] = pd.to_datetime(df["ts"], format="ISO8601")
        df["features"] = df["features"].map(json.loads)
        return _by_task(df)

    def row(self, request_id: str) -> dict[str, Any] | None:
        """One prediction as stored (features as JSON text), or None."""
        names, rows = self._query("SELECT * FROM predictions WHERE request_id = ?", (request_id,))
        return dict(zip(names, rows[0], strict=True)) if rows else None

    def accuracy_by_version(
        self, window: timedelta | None = None, model_name: str | None = None
    ) -> dict[str, tuple[int, float]]:
        """{model version: (labelled predictions, accuracy)} of the classifiers (binary and
        multiclass) over the recent window, of one registered model when named (a log can
        hold several), counted in SQL so the cost does not grow with the log's history."""
        return self._by_version(
            "AVG(CASE WHEN prediction = outcome OR predicted_label = outcome_label"
            " THEN 1.0 ELSE 0.0 END)",
            f"task <> '{REGRESSION}'",
            window,
            model_name,
        )

    def error_by_version(
        self, window: timedelta | None = None, model_name: str | None = None
    ) -> dict[str, tuple[int, float]]:
        """{model version: (labelled predictions, mean absolute error)} of the regressors."""
        return self._by_version(
            "AVG(ABS(predicted_value - outcome_value))", f"task = '{REGRESSION}'", window,
            model_name,
        )  # fmt: skip

    def _by_version(
        self, figure: str, rows: str, window: timedelta | None, model_name: str | None
    ) -> dict[str, tuple[int, float]]:
        since = datetime.now(UTC) - window if window else datetime.min.replace(tzinfo=UTC)
        args: tuple = (since.isoformat(timespec="microseconds"),)
        if model_name is not None:
            rows, args = f"{rows} AND model_name = ?", (*args, model_name)
        _, found = self._query(
            f"SELECT model_version, COUNT(*), {figure} FROM predictions"
            f" WHERE outcome_ts IS NOT NULL AND ts >= ? AND {rows} GROUP BY model_version",
            args,
        )
        return {str(version): (int(n), float(value)) for version, n, value in found}


def _by_task(df: pd.DataFrame) -> pd.DataFrame:
    """The log as its readers take it: `prediction` and `outcome` hold each row's task's
    values (0/1, a label, a number), whichever column stores them."""
    if "task" not in df.columns:
        return df
    stored = [
        c for c in (*PREDICTED.values(), *OUTCOME.values()) if c not in ("prediction", "outcome")
    ]
    tasks = set(df["task"])
    if tasks <= {BINARY}:
        return df.drop(columns=stored)
    for task in tasks - {BINARY}:
        if len(tasks) == 1:  # one task: the column keeps its type
            df["prediction"], df["outcome"] = df[PREDICTED[task]], df[OUTCOME[task]]
            continue
        rows = df["task"] == task
        for column, source in (("prediction", PREDICTED[task]), ("outcome", OUTCOME[task])):
            df[column] = df[column].astype(object)
            df.loc[rows, column] = df.loc[rows, source]
    return df.drop(columns=stored)
