"""mlcycle deploy staging|production: move an environment's alias to a registered version."""

from __future__ import annotations

import argparse
import os
import sys

from mlcycle.cli.common import UserError, add_env_options, build_dag
from mlcycle.registry.aliases import ENVIRONMENTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mlcycle deploy",
        description="Move the staging or production (champion) alias to a registered version.",
        epilog="Without --version, staging takes the version the newest build registered.",
    )
    parser.add_argument("environment", choices=sorted(ENVIRONMENTS))
    parser.add_argument("--version", help="registered version (default: the newest build's)")
    parser.add_argument("--reason", default="", help="recorded on the version")
    add_env_options(parser)
    args, rest = parser.parse_known_args(argv)

    if args.environment == "production" and not args.version:
        raise UserError("production needs an explicit version: make promote VERSION=N (the "
                        "version reviewed on staging)")  # fmt: skip
    if args.version is not None and not args.version.isdigit():
        raise UserError(f"version {args.version!r} is not a version number: give the registered "
                        "version as a whole number, e.g. make promote VERSION=3")  # fmt: skip
    from mlcycle.config import load_dataset_config
    from mlcycle.records import Registration, TrainingRun, read_record
    from mlcycle.registry.deploy import DeployRefused, deploy
    from mlcycle.tracking import connect

    dag = build_dag(args, rest)
    name = load_dataset_config(dag["register"].params["dataset"]).model_name
    run_file = str(dag["select"].product["run"])
    registry_file = str(dag["register"].product["registry"])
    version = args.version
    if version is None:
        if not os.path.isfile(registry_file):
            raise UserError(f"no build to deploy: {registry_file} is missing (make run first)")
        version = read_record(registry_file, Registration).version
    # the shared registry when MLFLOW_TRACKING_URI names it, else the store the build used
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if not uri and os.path.isfile(run_file):
        uri = read_record(run_file, TrainingRun).tracking_uri
    if not uri:
        raise UserError("no registry yet: run the build first (make run), or set "
                        "MLFLOW_TRACKING_URI to the team's server")  # fmt: skip
    client = connect(uri)
    try:
        done = deploy(client, name, str(version), args.environment, args.reason)
    except DeployRefused as exc:
        print(f"mlcycle deploy: refused: {exc}", file=sys.stderr)
        return 1
    print(f"deployed: {done.describe()}")
    return 0
