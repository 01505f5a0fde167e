"""The command a scheduler runs every week (cron, a CI schedule, an Airflow task):

    mlcycle weekly --window s3://bucket/this-week.parquet    (or: make weekly WINDOW=...)

1. builds the DAG with this week's window: only the `monitor` stage reruns (the rest is up to
   date), comparing the window with the training data and reading the service's outcomes;
2. if the retraining policy says so, rebuilds the training DAG on the newest data (the
   dataset's source as it is now): a new challenger, compared with the champion on the same
   held-out data by the register stage and promoted only if better.
Exit status 0 when all went well (retrained or not), 1 when a build failed.
"""

from __future__ import annotations

import argparse

from mlcycle.cli import run
from mlcycle.cli.common import add_env_options, build_dag


def main(argv: list[str] | None = None) -> int:
    from mlcycle.records import MonitoringDecision, read_record

    parser = argparse.ArgumentParser(prog="mlcycle weekly",
                                     description=__doc__.split("\n\n")[0])  # fmt: skip
    parser.add_argument("--window", default="", help="this week's rows (default: scoring set)")
    add_env_options(parser)
    parser.add_argument("--no-retrain", action="store_true", help="monitor and decide only")
    args, rest = parser.parse_known_args(argv)
    common = (["--env-file", args.env_file] if args.env_file else []) + rest
    code = run.main(["--env--monitor_window", args.window, *common])
    if code:
        return code
    dag = build_dag(args, ["--env--monitor_window", args.window, *rest])
    decision = read_record(str(dag["monitor"].product["decision"]), MonitoringDecision)
    print("\nMonitoring decision:", "RETRAIN" if decision.retrain else "no retraining")
    for reason in decision.reasons:
        print(f"  - {reason}")
    if not decision.retrain or args.no_retrain:
        return 0
    print("\nRetraining: rebuilding the training DAG on the newest data ...", flush=True)
    return run.main(["--force", "--env--monitor_window", args.window, *common])
