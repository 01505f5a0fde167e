"""mlcycle ui: the MLflow UI on the build's tracking store, bound to 127.0.0.1."""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from mlcycle.cli.common import add_env_options, settings_of


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlcycle ui", description=__doc__)
    parser.add_argument("--port", type=int, default=5000)
    add_env_options(parser)
    args, rest = parser.parse_known_args(argv)
    settings = settings_of(args, rest)
    settings.products.mkdir(parents=True, exist_ok=True)
    command = [
        shutil.which("mlflow") or "mlflow",
        "ui",
        "--backend-store-uri",
        settings.tracking_uri,
        "--host",
        settings.host,
        "--port",
        str(args.port),
    ]
    sys.stdout.flush()
    os.execvp(command[0], command)
    return 0  # not reached: the UI replaces this process
