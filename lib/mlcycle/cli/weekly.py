"""The command a scheduler runs every week (cron, a CI schedule, an Airflow task):

    mlcycle weekly                     (or: make weekly)

1. The week runs from where the last one ended to seven days later (`--until` to say when).
   Its new rows, which no build has seen, are the monitoring window (`--window FILE` to give
   this week's production rows instead); only the monitoring stages rerun.
2. If the retraining policy says so (`--retrain` to retrain anyway, `--no-retrain` never), the
   DAG is built again with `as_of` at the week's end: it learns from the new rows, and a model
   that beats the champion on the newest rows starts a rollout the service follows.
3. A rollout already running is judged on its live outcomes and moved one step.
Each week is an MLflow run with what it did and why. Exit status 0 when all went well (retrained
or not), 1 when a build failed.
"""

from __future__ import annotations

import argparse

from mlcycle.cli.common import UserError, add_env_options, build_dag, ramp_of, settings_of


def main(argv: list[str] | None = None) -> int:
    from mlcycle.data.as_of import AsOfError
    from mlcycle.orchestration.weekly import WeekFailed, builder, run_week
    from mlcycle.records import Collection, MonitoringDecision, Registration, read_record
    from mlcycle.settings import parse_overrides

    parser = argparse.ArgumentParser(
        prog="mlcycle weekly",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--window", default="", help="this week's rows (default: the new rows)")
    parser.add_argument("--until", help="the week's end (default: seven days after the last)")
    retrain = parser.add_mutually_exclusive_group()
    retrain.add_argument("--retrain", action="store_true", help="retrain whatever the policy")
    retrain.add_argument("--no-retrain", action="store_true", help="monitor and decide only")
    add_env_options(parser)
    args, rest = parser.parse_known_args(argv)
    settings = settings_of(args, rest)
    ramp_of(settings)  # checked before any build, not when a rollout needs it
    build = builder(args.env_file, parse_overrides(rest))
    dag = build_dag(args, rest)
    summary = dag["collect"].product["summary"]
    if not summary.exists():
        raise UserError(f"no build to start the week from ({summary}): run `make run` first")
    collection = read_record(str(summary), Collection)

    def latest(task: str, key: str, kind):
        return read_record(str(dag[task].product[key]), kind)

    try:
        run_week(
            settings,
            build,
            collection,
            decision_of=lambda: latest("monitor", "decision", MonitoringDecision),
            registration_of=lambda: latest("register", "registry", Registration),
            until=args.until,
            window=args.window,
            retrain=True if args.retrain else False if args.no_retrain else None,
        )
    except WeekFailed as exc:
        print(f"mlcycle weekly: {exc}")
        return 1
    except AsOfError as exc:
        raise UserError(str(exc)) from None
    return 0
