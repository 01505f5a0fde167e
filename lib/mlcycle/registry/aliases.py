"""The registry aliases and the one way to look one up.

Aliases, never MLflow's deprecated stages: `champion` is the version in production,
`challenger` the newest registered one (a promoted challenger's A/B arm), `staging` what CI
deployed. Light on purpose (no mlflow import at module level): the service imports it.
"""

from __future__ import annotations

from typing import Any

CHAMPION, CHALLENGER, STAGING = "champion", "challenger", "staging"
ALIASES = (CHAMPION, CHALLENGER, STAGING)
ENVIRONMENTS = {"staging": STAGING, "production": CHAMPION}  # deploy target -> its alias


def alias_version(client: Any, name: str, alias: str) -> str | None:
    """The version behind `alias` of model `name`, or None when the alias (or model) is unset."""
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def alias_versions(client: Any, name: str, aliases: tuple[str, ...]) -> dict[str, str | None]:
    return {alias: alias_version(client, name, alias) for alias in aliases}
