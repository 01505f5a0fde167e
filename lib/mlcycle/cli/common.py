"""What every command shares: the env options, the build's DAG, and one-line user errors."""

from __future__ import annotations

import argparse
from typing import Any


class UserError(RuntimeError):
    """A mistake the user can fix from the message alone (shown as one line, no traceback)."""


def exec_tool(name: str, *args: str) -> None:
    """Replace this process with a tool of the project's environment (signals reach it)."""
    import os
    import sys

    from mlcycle.environment import tool

    command = [tool(name), *args]
    sys.stdout.flush()
    os.execvp(command[0], command)  # a path runs as is; a bare name is looked up on PATH


def add_env_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env-file", help="env YAML on top of env.yaml (default: $ENV_FILE, if set)"
    )


def build_dag(args: argparse.Namespace, rest: list[str], executor: Any = None):
    """The build's DAG with the command's env file and --env--KEY overrides."""
    from mlcycle.orchestration.dag import make_dag
    from mlcycle.settings import parse_overrides

    return make_dag(None, args.env_file, parse_overrides(rest), executor=executor)


def settings_of(args: argparse.Namespace, rest: list[str] | None = None):
    """The settings a command runs with (env.yaml, env file, MLCYCLE_*, overrides)."""
    from mlcycle.settings import load_settings, parse_overrides

    return load_settings(None, args.env_file, parse_overrides(rest or []))


def ramp_of(settings: Any):
    """The rollout's ramp from the settings; a broken `ab_ramp` is a user's mistake (one line)."""
    from mlcycle.monitoring.rollout import Ramp

    try:
        return Ramp.parse(settings.ab_ramp)
    except ValueError as exc:
        raise UserError(f"the setting ab_ramp: {exc}") from None
