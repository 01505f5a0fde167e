"""The command a scheduler runs every week (cron, a CI schedule, an Airflow task):

    make weekly WINDOW=s3://bucket/this-week.parquet

1. builds the DAG with this week's window: only the `monitor` stage reruns (the rest is up to
   date), comparing the window with the training data and reading the service's outcomes;
2. if the retraining policy says so, rebuilds the training DAG on the newest data (the
   dataset's source as it is now): a new challenger, compared with the champion on the same
   held-out data by the register stage and promoted only if better.
Exit status 0 when all went well (retrained or not), 1 when a build failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from mlcycle.io import read_json
    from mlcycle.orchestration import dag
    from mlcycle.orchestration.project import find_project

    parser = argparse.ArgumentParser(prog="python -m mlcycle.monitoring.weekly",
                                     description=__doc__.split("\n\n")[0])  # fmt: skip
    parser.add_argument("--window", default="", help="this week's rows (default: scoring set)")
    parser.add_argument("--env-file", help="env YAML on top of env.yaml")
    parser.add_argument("--no-retrain", action="store_true", help="monitor and decide only")
    args, rest = parser.parse_known_args(argv)
    common = (["--env-file", args.env_file] if args.env_file else []) + rest
    code = dag.main(["build", "--env--monitor_window", args.window, *common])
    if code:
        return code
    env = dag.load_env(find_project(), args.env_file, dag.parse_overrides(rest))
    decision = read_json(Path(str(env["products"])) / "monitoring" / "decision.json")
    print("\nMonitoring decision:", "RETRAIN" if decision["retrain"] else "no retraining")
    for reason in decision["reasons"]:
        print(f"  - {reason}")
    if not decision["retrain"] or args.no_retrain:
        return 0
    print("\nRetraining: rebuilding the training DAG on the newest data ...", flush=True)
    return dag.main(["build", "--force", "--env--monitor_window", args.window, *common])


if __name__ == "__main__":
    sys.exit(main())
