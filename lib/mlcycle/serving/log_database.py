"""Where the prediction log lives: a SQLite file (one host) or PostgreSQL (several workers or
replicas), behind the same few operations, so the log's logic is written once.

The target is a path, or a URL `postgresql://user@host:port/database` (the password from
libpq's PGPASSWORD or ~/.pgpass, never in the URL of a command line or a log line). Every
statement is written with `?` placeholders and the column type REAL; PostgreSQL gets `%s`
and DOUBLE PRECISION.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mlcycle.settings import DURABLE_LOG_SYNC, LOG_SYNC_MODES

URL_SCHEMES = ("postgresql://", "postgres://")


def is_database_url(target: str | Path) -> bool:
    return str(target).startswith(URL_SCHEMES)


def log_exists(target: str | Path | None) -> bool:
    """A log to read: a database URL (its tables are made on open), or an existing file."""
    return bool(target) and (is_database_url(target) or Path(target).is_file())


def redacted(target: str | Path) -> str:
    """The target for messages: a URL's password replaced."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", str(target))


class SQLiteDatabase:
    """A file in WAL mode with a busy timeout: safe with several threads and processes.

    Writers of several processes (service workers) queue on a file lock beside the database
    before they begin: the kernel wakes the next one as soon as the lock is free, where
    SQLite's own busy handler would sleep and retry (up to 100 ms a time: p99 spikes)."""

    begin = "BEGIN IMMEDIATE"  # take the write lock at once: no upgrade deadlocks

    def __init__(self, path: str | Path, timeout_s: float, sync: str = DURABLE_LOG_SYNC) -> None:
        if sync not in LOG_SYNC_MODES:
            raise ValueError(f"log_sync must be one of {', '.join(LOG_SYNC_MODES)}, not {sync!r}")
        self.path = Path(path)
        self.timeout_s = timeout_s
        self.sync = sync
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_file: Any = None

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the cross-process write lock (the caller serialises its own threads)."""
        import fcntl

        if self._lock_file is None:
            self._lock_file = open(self.path.with_name(self.path.name + ".lock"), "a")  # noqa: SIM115
        fcntl.flock(self._lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)

    def connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            self.path, timeout=self.timeout_s, isolation_level=None, check_same_thread=False
        )
        # full: a commit is on disk (an fsync of the WAL each); normal: in the WAL, written to
        # the OS at commit and synced at checkpoints (SQLite's own trade-off, in WAL mode)
        db.execute(f"PRAGMA synchronous={self.sync.upper()}")
        return db

    def sql(self, statement: str) -> str:
        return statement

    def setup(self, db: Any, schema: str) -> None:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(schema)

    def columns(self, db: Any, table: str) -> set[str]:
        return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}

    @contextmanager
    def migrating(self, db: Any) -> Iterator[None]:
        """One transaction that holds the write lock from its start: of several processes
        opening the log at once, one migrates and the others find it done."""
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def relax_not_null(self, db: Any, table: str, columns: set[str]) -> bool:
        """Allow NULL in `columns`; True when the table changed. SQLite cannot drop a NOT NULL
        in place: the table is rebuilt with the same columns, rows and defaults (the caller
        recreates its indexes), inside the caller's transaction."""
        info = db.execute(f"PRAGMA table_info({table})").fetchall()  # cid name type notnull dflt pk
        if not any(name in columns and notnull for _, name, _, notnull, _, _ in info):
            return False
        definitions = []
        for _, name, kind, notnull, default, pk in info:
            parts = [name, kind, "PRIMARY KEY" if pk else ""]
            parts.append("NOT NULL" if notnull and name not in columns else "")
            parts.append(f"DEFAULT {default}" if default is not None else "")
            definitions.append(" ".join(p for p in parts if p))
        names = ", ".join(row[1] for row in info)
        db.execute(f"CREATE TABLE {table}__relaxed ({', '.join(definitions)})")
        db.execute(f"INSERT INTO {table}__relaxed ({names}) SELECT {names} FROM {table}")
        db.execute(f"DROP TABLE {table}")
        db.execute(f"ALTER TABLE {table}__relaxed RENAME TO {table}")
        return True

    def describe(self) -> str:
        return str(self.path)


class PostgresDatabase:
    """PostgreSQL through psycopg 3, in autocommit mode with explicit transactions: a commit
    returns once the server has it on disk (synchronous_commit, the default)."""

    begin = "BEGIN"

    def __init__(self, url: str, timeout_s: float) -> None:
        self.url = url
        self.timeout_s = timeout_s

    @contextmanager
    def writing(self) -> Iterator[None]:
        yield  # the server orders concurrent transactions itself

    def connect(self) -> Any:
        import psycopg

        return psycopg.connect(
            self.url, autocommit=True, connect_timeout=max(1, int(self.timeout_s))
        )

    def sql(self, statement: str) -> str:
        return statement.replace("?", "%s").replace(" REAL", " DOUBLE PRECISION")

    def setup(self, db: Any, schema: str) -> None:
        with db.transaction():  # workers start together: one of them creates the tables
            db.execute("SELECT pg_advisory_xact_lock(727274)")
            for statement in filter(str.strip, schema.split(";")):
                db.execute(self.sql(statement))

    def columns(self, db: Any, table: str) -> set[str]:
        found = db.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s", (table,)
        )
        return {row[0] for row in found}

    @contextmanager
    def migrating(self, db: Any) -> Iterator[None]:
        """One transaction, under the same advisory lock as the tables' creation."""
        with db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(727274)")
            yield

    def relax_not_null(self, db: Any, table: str, columns: set[str]) -> bool:
        """Allow NULL in `columns` (in place); True when the table changed."""
        found = db.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s"
            " AND is_nullable = 'NO'",
            (table,),
        )
        strict = {row[0] for row in found} & columns
        for column in sorted(strict):
            db.execute(f"ALTER TABLE {table} ALTER COLUMN {column} DROP NOT NULL")
        return bool(strict)

    def describe(self) -> str:
        return redacted(self.url)


def open_database(
    target: str | Path, timeout_s: float, sync: str = DURABLE_LOG_SYNC
) -> SQLiteDatabase | PostgresDatabase:
    if is_database_url(target):
        return PostgresDatabase(str(target), timeout_s)
    return SQLiteDatabase(target, timeout_s, sync)
