"""mlcycle report: re-render every stage's report and the hub; nothing is retrained."""

from __future__ import annotations

import argparse
import sys

from mlcycle.cli.common import add_env_options, build_dag
from mlcycle.orchestration.reports import publish_dag, rerender_reports
from mlcycle.reporting.publish import PUBLISH_STAGE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mlcycle report",
        description="Re-render every stage's report and the report hub; nothing is retrained.",
        epilog="Override any env key: --env--KEY VALUE (the same as make run).",
    )
    add_env_options(parser)
    args, rest = parser.parse_known_args(argv)
    dag = build_dag(args, rest)
    status = dag.status().to_dict()
    outdated = {
        name: f"out of date: {why}"
        for name, why in zip(status["name"], status["Outdated?"], strict=True)
        if why is not False and name != PUBLISH_STAGE
    }
    reports = rerender_reports(dag)
    result = publish_dag(dag, outdated)
    if result is None:
        print(f"pipeline.yaml has no '{PUBLISH_STAGE}' stage", file=sys.stderr)
        return 1
    print(f"Re-rendered {len(reports)} stage reports.")
    for stage in result["stages"]:
        print(f"  {stage['name']:<14} {stage['state']:<12} {stage['error'] or stage['why'] or ''}")
    print(f"Report hub: {result['hub']}\nModel card: {result['model_card']}")
    return 0
