"""The PostgreSQL database behind the shared tracking server.

Connection settings come from libpq's own environment variables (PGHOST, PGPORT, PGUSER,
PGPASSWORD), plus MLCYCLE_DB for the database name, so the password lives in the environment
or in ~/.pgpass, never in the repository.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote


class DatabaseUnavailable(RuntimeError):
    """PostgreSQL cannot be reached or refused us; the message says where and what to check."""


@dataclass(frozen=True)
class Postgres:
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "mlflow"
    password: str | None = None
    database: str = "mlflow"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Postgres:
        env = os.environ if env is None else env
        return cls(
            host=env.get("PGHOST") or cls.host,
            port=int(env.get("PGPORT") or cls.port),
            user=env.get("PGUSER") or cls.user,
            password=env.get("PGPASSWORD") or None,
            database=env.get("MLCYCLE_DB") or cls.database,
        )

    def uri(self, database: str | None = None, password: bool = True) -> str:
        """The SQLAlchemy URI (psycopg 3), with the password when one is set and asked for."""
        auth = quote(self.user, safe="")
        if self.password and password:
            auth += ":" + quote(self.password, safe="")
        return f"postgresql+psycopg://{auth}@{self.host}:{self.port}/{database or self.database}"

    def secret_env(self) -> dict[str, str]:
        """The password as libpq reads it from the environment: how a child process gets it
        without a command line (any local user can read a process's argv, not its environ)."""
        return {"PGPASSWORD": self.password} if self.password else {}

    def redacted(self) -> str:
        """The URI for logs and messages: never the password."""
        return self.uri().replace(f":{quote(self.password, safe='')}@", ":***@") if (
            self.password
        ) else self.uri()  # fmt: skip

    def _connect(self, database: str):
        import psycopg

        try:
            return psycopg.connect(
                host=self.host,
                port=self.port,
                user=self.user,
                password=self.password,
                dbname=database,
                connect_timeout=5,
                autocommit=True,
            )
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable(
                f"cannot connect to PostgreSQL at {self.host}:{self.port} as {self.user!r} "
                f"(database {database!r}): {str(exc).strip()}. Check PGHOST, PGPORT, PGUSER and "
                "PGPASSWORD (or ~/.pgpass), and that the server is running."
            ) from exc


def ensure_database(pg: Postgres) -> bool:
    """Create the tracking database if it does not exist yet; True when it was created."""
    from psycopg import sql

    with pg._connect("postgres") as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (pg.database,))
        if found.fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(pg.database)))
        return True
