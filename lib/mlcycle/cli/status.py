"""mlcycle status: which stages a build would run, and why."""

from __future__ import annotations

import argparse

from mlcycle.cli.common import add_env_options, build_dag


def main(argv: list[str] | None = None) -> int:
    from mlcycle.environment import skip_unused_optional_imports
    from mlcycle.orchestration.dag import status_rows, status_text

    skip_unused_optional_imports()
    parser = argparse.ArgumentParser(prog="mlcycle status", description=__doc__)
    add_env_options(parser)
    args, rest = parser.parse_known_args(argv)
    dag = build_dag(args, rest)
    dag.render(show_progress=False)  # params and products as a build renders them; runs nothing
    print(status_text(status_rows(dag)))
    return 0
