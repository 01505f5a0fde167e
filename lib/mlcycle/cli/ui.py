"""mlcycle ui: the MLflow UI on the build's tracking store, bound to 127.0.0.1."""

from __future__ import annotations

import argparse

from mlcycle.cli.common import add_env_options, exec_tool, require_free_port, settings_of


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlcycle ui", description=__doc__)
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=1,
                        help="UI server processes (one is plenty for one reader; mlflow's "
                        "default starts several, 3 GiB on a small machine)")  # fmt: skip
    add_env_options(parser)
    args, rest = parser.parse_known_args(argv)
    settings = settings_of(args, rest)
    require_free_port(settings.host, args.port, f"make ui PORT={args.port + 1}")
    settings.products.mkdir(parents=True, exist_ok=True)
    print(f"MLflow UI: http://{settings.host}:{args.port}  (Ctrl-C stops it)")
    exec_tool("mlflow", "ui", "--backend-store-uri", settings.tracking_uri,
              "--host", settings.host, "--port", str(args.port),
              "--workers", str(args.workers))  # fmt: skip
    return 0  # not reached: the UI replaces this process
