"""mlcycle migrate: copy the local tracking store to the team's server."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from mlcycle.cli.common import add_env_options, settings_of
from mlcycle.settings import local_store_uri
from mlcycle.team.migrate import migrate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mlcycle migrate",
        description="Copy experiments, runs, logged models and registered models (with their "
        "aliases) from the embedded SQLite store to the team's tracking server.",
    )
    parser.add_argument("--from", dest="source", help="source store (default: the build's "
                        "SQLite store under products)")  # fmt: skip
    parser.add_argument("--to", dest="destination", default=os.environ.get("MLFLOW_TRACKING_URI"),
                        help="the server (default: $MLFLOW_TRACKING_URI)")  # fmt: skip
    add_env_options(parser)
    args, rest = parser.parse_known_args(argv)
    if not args.source:
        args.source = local_store_uri(settings_of(args, rest).products)
    if not args.destination:
        print(
            "no destination: pass --to http://host:port or set MLFLOW_TRACKING_URI", file=sys.stderr
        )
        return 2
    if args.source.startswith("sqlite:///") and not Path(args.source[10:]).is_file():
        print(f"no source store: {args.source[10:]} does not exist", file=sys.stderr)
        return 2
    done = migrate(args.source, args.destination)
    print(f"migrated {args.source} -> {args.destination}: {done.describe()}")
    for (name, alias), version in sorted(done.aliases.items()):
        print(f"  {name}@{alias} -> version {version}")
    return 0
