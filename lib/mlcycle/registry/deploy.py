"""Deploy by moving registry aliases: `staging` for what CI built and tested, `champion` for
production, the latter only for a version already on staging (a reviewed, manual step).

Every move is tagged on the version (who, when, from which commit, the previous holder), so the
registry itself is the deployment log. `mlcycle deploy --help`.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from datetime import UTC, datetime

from mlflow import MlflowClient

from mlcycle.registry.aliases import ENVIRONMENTS, STAGING, alias_version


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


def registered_version(client: MlflowClient, name: str, version: str):
    """The registered version, or a refusal that names the versions there are."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version(name, version)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
    try:
        versions = sorted(int(v.version) for v in client.search_model_versions(f"name = '{name}'"))
    except MlflowException:
        versions = []
    there = f"versions: {', '.join(map(str, versions))}" if versions else "none is registered yet"
    raise DeployRefused(f"model '{name}' has no version {version} ({there})")


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
    mv = registered_version(client, name, str(version))
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
            f"{'v' + staged if staged else 'unset'}): put it on staging first "
            "(make deploy-staging, or mlcycle deploy staging --version N), review it, then promote"
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
