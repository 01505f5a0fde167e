"""mlcycle server: the team's MLflow tracking server on PostgreSQL."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from mlcycle.cli.common import add_env_options, require_free_port, settings_of
from mlcycle.team.database import DatabaseUnavailable, Postgres, ensure_database
from mlcycle.team.server import server_command, server_environment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mlcycle server",
        description="Start the shared MLflow tracking server on PostgreSQL (creating the "
        "database if needed). Connection: PGHOST, PGPORT, PGUSER, PGPASSWORD, MLCYCLE_DB.",
    )
    parser.add_argument("--host", help="address to bind (default: the setting 'host')")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument(
        "--artifacts-destination",
        help="where the server stores artifacts: a folder, or s3://bucket/prefix "
        "(default: <products>/mlflow-server/artifacts)",
    )
    parser.add_argument("--workers", type=int, default=2)
    add_env_options(parser)
    args, rest = parser.parse_known_args(argv)
    settings = settings_of(args, rest)
    args.host = args.host or settings.host
    args.artifacts_destination = args.artifacts_destination or str(settings.server_artifacts)
    require_free_port(args.host, args.port, f"make server PORT={args.port + 1}")
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
    # the server replaces this process (signals reach it); the password goes in its
    # environment, never on its command line
    os.execve(command[0], command, server_environment(pg, os.environ))
