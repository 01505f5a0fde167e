"""`make server`: the team's MLflow tracking server and registry.

PostgreSQL holds runs, metrics and the registry (many writers at once, unlike SQLite); the
server proxies the artifact store (`--artifacts-destination`: a local folder by default, or
s3://… with the `s3` extra), so clients need no credentials of their own for it. Bound to
127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from mlcycle.team.database import DatabaseUnavailable, Postgres, ensure_database

DEFAULT_ARTIFACTS = "products/mlflow-server/artifacts"


def server_command(
    pg: Postgres, host: str, port: int, artifacts: str, workers: int = 2
) -> list[str]:
    """The `mlflow server` command line (it holds the password: never print it as is)."""
    if "://" not in artifacts:
        artifacts = str(Path(artifacts).resolve())
    mlflow = shutil.which("mlflow", path=str(Path(sys.executable).parent)) or "mlflow"
    return [
        mlflow,
        "server",
        "--backend-store-uri",
        pg.uri(),
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mlcycle.team.server",
        description="Start the shared MLflow tracking server on PostgreSQL (creating the "
        "database if needed). Connection: PGHOST, PGPORT, PGUSER, PGPASSWORD, MLCYCLE_DB.",
    )
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument(
        "--artifacts-destination",
        default=os.environ.get("MLCYCLE_ARTIFACTS", DEFAULT_ARTIFACTS),
        help="where the server stores artifacts: a folder, or s3://bucket/prefix",
    )
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    pg = Postgres.from_env()
    try:
        created = ensure_database(pg)
    except DatabaseUnavailable as exc:
        print(exc, file=sys.stderr)
        return 2
    if "://" not in args.artifacts_destination:
        Path(args.artifacts_destination).mkdir(parents=True, exist_ok=True)
    command = server_command(pg, args.host, args.port, args.artifacts_destination, args.workers)
    print(
        f"{'created' if created else 'using'} database {pg.database!r}; backend {pg.redacted()}\n"
        f"artifacts: {args.artifacts_destination}\n"
        f"tracking server: http://{args.host}:{args.port}  "
        f"(export MLFLOW_TRACKING_URI=http://{args.host}:{args.port})",
        flush=True,
    )
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.execv(command[0], command)  # the server replaces this process: signals reach it


if __name__ == "__main__":
    sys.exit(main())
