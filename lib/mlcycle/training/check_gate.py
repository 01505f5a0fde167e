"""`make gate`: check the quality gate again from a build's metrics.json, for CI.

Kept apart from gate.py, which the evaluate stage imports: this module reaches for the DAG.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from mlcycle.training.gate import GateResult, evaluate_gate


def summary_markdown(metrics: dict[str, float], result: GateResult) -> str:
    """The gate and the test metrics as Markdown (a CI job summary)."""
    lines = [f"### {result.describe()}", "", "| metric | test |", "|---|---|"]
    lines += [f"| {k} | {v:.4f} |" for k, v in metrics.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Check the gate again from metrics.json, for CI: exit 1 below the bar.

    The build already stops at a failed gate; this step lets CI apply its own (stricter) bar
    and writes the verdict to the job summary ($GITHUB_STEP_SUMMARY) for reviewers.
    """
    parser = argparse.ArgumentParser(
        prog="python -m mlcycle.training.check_gate", description=main.__doc__
    )
    parser.add_argument("--metrics", help="metrics.json (default: the build's, from pipeline.yaml)")
    parser.add_argument("--metric", help="metric to check (default: the one the build used)")
    parser.add_argument("--threshold", type=float, help="bar (default: the build's)")
    parser.add_argument("--env-file", help="env YAML of the build (finds its products)")
    args, rest = parser.parse_known_args(argv)
    path = args.metrics
    if path is None:
        from mlcycle.orchestration.dag import make_dag, parse_overrides

        path = str(
            make_dag(None, args.env_file, parse_overrides(rest))["evaluate"].product["metrics"]
        )
    if not Path(path).is_file():
        print(f"no metrics to check: {path} does not exist (did the build run?)", file=sys.stderr)
        return 2
    saved = json.loads(Path(path).read_text())
    metric = args.metric or saved["gate"]["metric"]
    threshold = saved["gate"]["threshold"] if args.threshold is None else args.threshold
    try:
        result = evaluate_gate(saved["metrics"], metric, threshold)
    except KeyError as exc:
        print(f"{path}: {exc.args[0]}", file=sys.stderr)
        return 2
    print(result.describe())
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a") as out:
            out.write(summary_markdown(saved["metrics"], result))
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
