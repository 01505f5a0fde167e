"""The `mlcycle` command: one entry point for everything a user runs.

`mlcycle COMMAND --help` for each command's options. A user's mistake (a misspelled setting, a
broken dataset config, a missing file) prints one line that says what to do, never a traceback;
tracebacks are for bugs, and for `mlcycle --debug COMMAND` (or MLCYCLE_DEBUG=1).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys

DEBUG_ENV = "MLCYCLE_DEBUG"

# command -> (module under mlcycle.cli, one line for --help); aliases keep old names working
COMMANDS = {
    "run": ("run", "build the lifecycle, running only what changed (--force: everything)"),
    "status": ("status", "which stages a build would run, and why"),
    "report": ("report", "re-render every stage's report and the report hub"),
    "gate": ("gate", "check the quality gate again from the build's metrics (CI)"),
    "deploy": ("deploy", "move the staging or production alias to a version"),
    "promote": ("promote", "make a version already on staging the champion"),
    "serve": ("serve", "the prediction service (FastAPI) on the champion"),
    "batch": ("batch", "score a Parquet or CSV file with a registered model"),
    "weekly": ("weekly", "monitor this week's data and retrain if the policy says so"),
    "rollout": ("rollout", "start, advance, hold or roll back a challenger's rollout"),
    "trace": ("trace", "one prediction traced back to its model, run, data and experiment"),
    "simulate": ("simulate", "the monitoring and retraining loop on generated weeks"),
    "server": ("server", "the team's MLflow tracking server on PostgreSQL"),
    "migrate": ("migrate", "copy the local tracking store to the team's server"),
    "lab": ("lab", "JupyterLab on the notebooks"),
    "ui": ("ui", "the MLflow UI on the build's tracking store"),
    "example-data": ("example_data", "write the example user tables, one per task"),
}
ALIASES = {"build": "run"}


def _user_errors() -> tuple[type[BaseException], ...]:
    """Mistakes a user can fix from the message alone: shown as one line, exit status 2."""
    from mlcycle.cli.common import UserError
    from mlcycle.config import ConfigError
    from mlcycle.project import ProjectNotFound
    from mlcycle.records import RecordError
    from mlcycle.settings import SettingsError

    errors = (UserError, ConfigError, SettingsError, RecordError, ProjectNotFound)
    return (*errors, FileNotFoundError)


def main(argv: list[str] | None = None) -> int:
    """Run a command; without `argv`, as the program (the `mlcycle` script) with sys.argv.

    The program exits next, and Python's last garbage collection at exit would walk every
    object the command left alive (0.6 s of a 4 s no-op `mlcycle run`): they are frozen out of
    its way first. Called with `argv` (from code, tests), the caller's heap is left alone."""
    code = _main(list(sys.argv[1:] if argv is None else argv))
    if argv is None:
        gc.freeze()
    return code


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="mlcycle",
        description="A Jupyter-first ML lifecycle: notebooks in a Ploomber DAG, tracked in MLflow.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="commands:\n"
        + "\n".join(f"  {name:<13} {text}" for name, (_, text) in COMMANDS.items())
        + "\n\n`mlcycle COMMAND --help` for a command's options.",
    )
    parser.add_argument("command", metavar="COMMAND", help="one of the commands below")
    parser.add_argument("--debug", action="store_true",
                        help=f"show the traceback of any error (also: {DEBUG_ENV}=1)")  # fmt: skip
    debug = os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes", "on")
    if argv and argv[0] == "--debug":
        debug, argv = True, argv[1:]
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return 0 if argv else 2
    name = ALIASES.get(argv[0], argv[0])
    if name not in COMMANDS:
        import difflib

        near = difflib.get_close_matches(name, list(COMMANDS), n=1)
        hint = f"; did you mean '{near[0]}'?" if near else ""
        print(f"mlcycle: unknown command '{argv[0]}'{hint} (mlcycle --help)", file=sys.stderr)
        return 2
    command = importlib.import_module(f"mlcycle.cli.{COMMANDS[name][0]}")
    try:
        return int(command.main(argv[1:]) or 0)
    except _user_errors() as exc:
        if debug:
            raise
        print(f"mlcycle {name}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"mlcycle {name}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
