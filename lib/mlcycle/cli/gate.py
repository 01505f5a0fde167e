"""mlcycle gate: check the quality gate again from the build's metrics, for CI."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from mlcycle.cli.common import add_env_options, build_dag
from mlcycle.records import Evaluation, read_record
from mlcycle.training.gate import evaluate_gate, summary_markdown


def main(argv: list[str] | None = None) -> int:
    """Check the gate again from metrics.json, for CI: exit 1 below the bar.

    The build already stops at a failed gate; this step lets CI apply its own (stricter) bar
    and writes the verdict to the job summary ($GITHUB_STEP_SUMMARY) for reviewers.
    """
    parser = argparse.ArgumentParser(prog="mlcycle gate", description=main.__doc__)
    parser.add_argument("--metrics", help="metrics.json (default: the build's, from pipeline.yaml)")
    parser.add_argument("--metric", help="metric to check (default: the one the build used)")
    parser.add_argument("--threshold", type=float, help="bar (default: the build's)")
    add_env_options(parser)
    args, rest = parser.parse_known_args(argv)
    path = args.metrics
    if path is None:
        path = str(build_dag(args, rest)["evaluate"].product["metrics"])
    if not Path(path).is_file():
        print(f"no metrics to check: {path} does not exist (did the build run?)", file=sys.stderr)
        return 2
    saved = read_record(path, Evaluation)
    metric = args.metric or saved.gate.metric
    threshold = saved.gate.threshold if args.threshold is None else args.threshold
    try:
        result = evaluate_gate(saved.metrics, metric, threshold)
    except KeyError as exc:
        print(f"{path}: {exc.args[0]}", file=sys.stderr)
        return 2
    print(result.describe())
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a") as out:
            out.write(summary_markdown(saved.metrics, result))
    return 0 if result.passed else 1
