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


def require_free_port(host: str, port: int, how: str) -> None:
    """A port something else listens on is a user's mistake: one line with the way out
    (`how`, e.g. "make serve PORT=8001"), before any slow start-up."""
    import errno
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # as the servers bind: a port a stopped server left in TIME_WAIT is free to them
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UserError(
                    f"port {port} on {host} is already in use (another service?): choose "
                    f"another, e.g. {how}, or stop what listens there"
                ) from None
            raise UserError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def add_env_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env-file", help="env YAML on top of env.yaml (default: $ENV_FILE, if set)"
    )


def check_inputs(settings: Any) -> None:
    """What a build needs from the user, checked before Ploomber loads or a kernel starts: the
    dataset config parses, and a local data file it names exists."""
    from pathlib import Path

    from mlcycle.config import load_dataset_config

    config = load_dataset_config(settings.dataset)  # ConfigError names the key and the file
    path = config.source.path
    if path and "://" not in str(path) and not Path(path).exists():
        raise UserError(
            f"the data file {path} named by source.path in {settings.dataset} does not exist: "
            "fix the path (relative to the config file), or run make example-data for the example"
        )


def build_dag(args: argparse.Namespace, rest: list[str], executor: Any = None):
    """The build's DAG with the command's env file and --env--KEY overrides, after the
    settings and the dataset config are checked (a mistake is one line, in a second)."""
    from mlcycle.settings import parse_overrides

    overrides = parse_overrides(rest)
    check_inputs(settings_of(args, rest))
    from mlcycle.orchestration.dag import make_dag

    return make_dag(None, args.env_file, overrides, executor=executor)


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
