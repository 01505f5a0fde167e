"""mlcycle promote VERSION: put a version already on staging into production (the champion)."""

from __future__ import annotations

import argparse

from mlcycle.cli import deploy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mlcycle promote",
        description="Make VERSION (already on staging) the champion: mlcycle deploy production.",
    )
    parser.add_argument("version", help="the registered version reviewed on staging")
    parser.add_argument("--reason", default="", help="recorded on the version")
    args, rest = parser.parse_known_args(argv)
    return deploy.main(["production", "--version", args.version, "--reason", args.reason, *rest])
