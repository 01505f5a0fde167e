"""Deploy by moving registry aliases: `staging` for what CI built and tested, `champion` for
production, the latter only for a version already on staging (a reviewed, manual step).

Every move is tagged on the version (who, when, from which commit, the previous holder), so the
registry itself is the deployment log. `python -m mlcycle.registry.deploy --help`.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime

from mlflow import MlflowClient

from mlcycle.registry.register import CHAMPION, STAGING, alias_version

ENVIRONMENTS = {"staging": STAGING, "production": CHAMPION}


class DeployRefused(RuntimeError):
    """The move breaks a deployment rule; the message says which."""


@dataclass(frozen=True)
class Deployment:
    model_name: str
    version: str
    alias: str
    previous: str | None

    def describe(self) -> str:
        before = f"(was v{self.previous})" if self.previous else "(was unset)"
        return f"{self.model_name}@{self.alias} -> v{self.version} {before}"


def _actor() -> str:
    return os.environ.get("GITHUB_ACTOR") or getpass.getuser()


def deploy(
    client: MlflowClient, name: str, version: str, environment: str, reason: str = ""
) -> Deployment:
    """Point `environment`'s alias at `version`, after checking the rules:

    - the version passed the quality gate (the `gate.passed` tag of its training run);
    - production takes only the version that is on staging now.
    """
    if environment not in ENVIRONMENTS:
        raise DeployRefused(f"unknown environment {environment!r}; one of {list(ENVIRONMENTS)}")
    alias = ENVIRONMENTS[environment]
    mv = client.get_model_version(name, str(version))
    gate = client.get_run(mv.run_id).data.tags.get("gate.passed") if mv.run_id else None
    if gate != "true":
        raise DeployRefused(
            f"{name} v{version} did not pass the quality gate (its run's gate.passed tag is "
            f"{gate!r}): it cannot go to {environment}"
        )
    staged = alias_version(client, name, STAGING)
    if environment == "production" and staged != str(version):
        raise DeployRefused(
            f"{name} v{version} is not on staging (staging is "
            f"{'v' + staged if staged else 'unset'}): deploy it to staging and review it first"
        )
    previous = alias_version(client, name, alias)
    client.set_registered_model_alias(name, alias, str(version))
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    for key, value in {
        f"deploy.{environment}.at": stamp,
        f"deploy.{environment}.by": _actor(),
        f"deploy.{environment}.commit": os.environ.get("GITHUB_SHA", ""),
        f"deploy.{environment}.previous": previous or "",
        f"deploy.{environment}.reason": reason,
    }.items():
        client.set_model_version_tag(name, str(version), key, value)
    return Deployment(name, str(version), alias, previous)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mlcycle.registry.deploy",
        description="Move the staging or production (champion) alias to a registered version.",
        epilog="Without --version, staging takes the version the newest build registered.",
    )
    parser.add_argument("environment", choices=sorted(ENVIRONMENTS))
    parser.add_argument("--version", help="registered version (default: the newest build's)")
    parser.add_argument("--reason", default="", help="recorded on the version")
    parser.add_argument("--env-file", help="env YAML of the build (finds its products)")
    args, rest = parser.parse_known_args(argv)

    from mlcycle.config import load_dataset_config
    from mlcycle.io import read_json
    from mlcycle.orchestration.dag import make_dag, parse_overrides
    from mlcycle.tracking import connect

    if args.environment == "production" and not args.version:
        print(
            "production needs an explicit --version (the one reviewed on staging)", file=sys.stderr
        )
        return 2
    dag = make_dag(None, args.env_file, parse_overrides(rest))
    name = load_dataset_config(dag["register"].params["dataset"]).model_name
    run_file = str(dag["train"].product["run"])
    registry_file = str(dag["register"].product["registry"])
    version = args.version
    if version is None:
        if not os.path.isfile(registry_file):
            print(
                f"no build to deploy: {registry_file} is missing (make run first)", file=sys.stderr
            )
            return 2
        version = read_json(registry_file)["version"]
    # the shared registry when MLFLOW_TRACKING_URI names it, else the store the build used
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if not uri and os.path.isfile(run_file):
        uri = read_json(run_file)["tracking_uri"]
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


if __name__ == "__main__":
    sys.exit(main())
