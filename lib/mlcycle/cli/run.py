"""mlcycle run: build the lifecycle DAG (pipeline.yaml), running only what changed."""

from __future__ import annotations

import argparse

from mlcycle.cli.common import add_env_options, build_dag


def main(argv: list[str] | None = None) -> int:
    from mlcycle.environment import skip_unused_optional_imports
    from mlcycle.orchestration.dag import build_and_report

    skip_unused_optional_imports()
    parser = argparse.ArgumentParser(
        prog="mlcycle run",
        description="Build the lifecycle DAG (pipeline.yaml) incrementally.",
        epilog="Override any setting: --env--KEY VALUE (e.g. --env--gate_threshold 0.9).",
    )
    add_env_options(parser)
    parser.add_argument("--force", action="store_true", help="rerun every task")
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="tasks built at once, in separate processes (e.g. the model grid; needs a tracking "
        "server, since the SQLite store takes one writer at a time)",
    )
    args, rest = parser.parse_known_args(argv)
    executor = None
    if args.jobs > 1:
        from ploomber.executors import Parallel

        executor = Parallel(processes=args.jobs)
    dag = build_dag(args, rest, executor=executor)
    return build_and_report(dag, force=args.force)
