"""`make server`: the team's MLflow tracking server and registry.

PostgreSQL holds runs, metrics and the registry (many writers at once, unlike SQLite); the
server proxies the artifact store (`--artifacts-destination`: a local folder by default, or
s3://… with the `s3` extra), so clients need no credentials of their own for it. Bound to
127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

from pathlib import Path

from mlcycle.environment import tool
from mlcycle.team.database import Postgres


def server_command(
    pg: Postgres, host: str, port: int, artifacts: str, workers: int = 2
) -> list[str]:
    """The `mlflow server` command line, without the password: run it with `pg.secret_env()`
    in its environment (libpq reads PGPASSWORD), so `ps` never shows the secret."""
    if "://" not in artifacts:
        artifacts = str(Path(artifacts).resolve())
    mlflow = tool("mlflow")
    return [
        mlflow,
        "server",
        "--backend-store-uri",
        pg.uri(password=False),
        "--artifacts-destination",
        artifacts,
        "--serve-artifacts",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
