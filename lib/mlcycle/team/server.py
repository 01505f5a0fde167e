"""`make server`: the team's MLflow tracking server and registry.

PostgreSQL holds runs, metrics and the registry (many writers at once, unlike SQLite); the
server proxies the artifact store (`--artifacts-destination`: a local folder by default, or
s3://… with the `s3` extra), so clients need no credentials of their own for it. Bound to
127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mlcycle.environment import tool
from mlcycle.team.database import Postgres

# MLflow 3 starts a job runner beside the server (huey consumers, for its GenAI jobs: prompt
# optimisation, scorers, trace rollups). The lifecycle submits no job, and the runner's three
# processes take memory and CPU the server's workers need. A user's own setting wins.
SERVER_DEFAULTS = {
    "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    "MLFLOW_DISABLE_TELEMETRY": "true",
}


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


def server_environment(pg: Postgres, environ: Mapping[str, str]) -> dict[str, str]:
    """The server's environment: `environ`, the defaults above where it sets nothing, and the
    password where libpq reads it (never the command line)."""
    return {**SERVER_DEFAULTS, **environ, **pg.secret_env()}
