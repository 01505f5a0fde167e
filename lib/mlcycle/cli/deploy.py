"""mlcycle deploy staging|production: move an environment's alias to a registered version."""

from __future__ import annotations

import argparse
import os
import sys

from mlcycle.cli.common import add_env_options, build_dag
from mlcycle.registry.deploy import ENVIRONMENTS, DeployRefused, deploy


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

    from mlcycle.config import load_dataset_config
    from mlcycle.records import Registration, TrainingRun, read_record
    from mlcycle.tracking import connect

    if args.environment == "production" and not args.version:
        print(
            "production needs an explicit --version (the one reviewed on staging)", file=sys.stderr
        )
        return 2
    dag = build_dag(args, rest)
    name = load_dataset_config(dag["register"].params["dataset"]).model_name
    run_file = str(dag["select"].product["run"])
    registry_file = str(dag["register"].product["registry"])
    version = args.version
    if version is None:
        if not os.path.isfile(registry_file):
            print(
                f"no build to deploy: {registry_file} is missing (make run first)", file=sys.stderr
            )
            return 2
        version = read_record(registry_file, Registration).version
    # the shared registry when MLFLOW_TRACKING_URI names it, else the store the build used
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if not uri and os.path.isfile(run_file):
        uri = read_record(run_file, TrainingRun).tracking_uri
    if not uri:
        print("no registry: set MLFLOW_TRACKING_URI or run the build first", file=sys.stderr)
        return 2
    client = connect(uri)
    try:
        done = deploy(client, name, str(version), args.environment, args.reason)
    except DeployRefused as exc:
        print(f"deploy refused: {exc}", file=sys.stderr)
        return 1
    print(f"deployed: {done.describe()}")
    return 0
