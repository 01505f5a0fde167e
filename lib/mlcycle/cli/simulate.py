"""mlcycle simulate: weeks of the real loop on the generator's world, and their timeline.

Each week the generator's world advances (drifted from `drift_from_week`), the week's customers
are served by the prediction service (a process following the registry), last week's outcomes
come back through /feedback, and then exactly what `mlcycle weekly` runs: monitoring, a retrain
through the DAG when the policy fires, the rollout moved on live outcomes. Its settings are
env.simulate.yaml (its own products folder, registry and prediction log) unless --env-file
names another.
"""

from __future__ import annotations

import argparse

from mlcycle.cli.common import UserError, add_env_options, settings_of
from mlcycle.project import find_project

DEFAULT_ENV = "env.simulate.yaml"


def main(argv: list[str] | None = None) -> int:
    from mlcycle.environment import apply_quiet_defaults

    parser = argparse.ArgumentParser(prog="mlcycle simulate",
                                     description=__doc__.split("\n\n")[0])  # fmt: skip
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument(
        "--outcome-delay", type=int, default=1, help="weeks until an outcome comes back"
    )
    add_env_options(parser)
    args, rest = parser.parse_known_args(argv)
    if args.weeks < 1:
        raise UserError(f"--weeks {args.weeks}: simulate at least one week")
    if not args.env_file:
        args.env_file = str(find_project() / DEFAULT_ENV)
    apply_quiet_defaults()
    settings = settings_of(args, rest)
    return run(settings, args.env_file, rest, args.weeks, args.outcome_delay)


def run(settings, env_file: str, rest: list[str], weeks: int, outcome_delay: int) -> int:
    from mlcycle.config import load_dataset_config
    from mlcycle.monitoring.policy import RetrainPolicy
    from mlcycle.monitoring.rollout import Ramp
    from mlcycle.monitoring.timeline import render_timeline
    from mlcycle.orchestration.simulation import (
        SimulationFailed,
        simulate,
        timeline,
        timeline_page,
    )
    from mlcycle.settings import monitoring_experiment, parse_overrides
    from mlcycle.tracking import connect

    config = load_dataset_config(str(settings.dataset))
    if not config.source.is_generator:
        raise UserError("the simulation needs the built-in generator's dataset (churn.yaml)")
    try:
        simulate(settings, env_file, parse_overrides(rest), weeks, outcome_delay)
    except SimulationFailed as exc:
        print(f"mlcycle simulate: {exc}")
        return 1
    from mlcycle.orchestration.dag import make_dag
    from mlcycle.reporting.site import week_drift_page

    frame = timeline(connect(settings.tracking_uri), settings.model_name or config.model_name)
    ramp = " -> ".join(f"{x:g}%" for x in Ramp.parse(settings.ab_ramp).steps)
    policy = RetrainPolicy.from_dict(dict(settings.retrain_policy)).describe()
    page = render_timeline(
        frame, timeline_page(make_dag(None, env_file, parse_overrides(rest))),
        f"{config.model_name}: {weeks} weeks in production",
        f"The generator's world, {settings.weekly_customers:,} new customers a week, drifted from "
        f"week {settings.drift_from_week}; each week served by the prediction service, outcomes "
        f"{outcome_delay} week(s) later, then the weekly loop. Retraining policy: {policy}. A "
        f"challenger that beats the champion on the newest rows is rolled out {ramp} while it "
        "is not worse on live outcomes.",
        settings.drift_share_threshold,
        {w: week_drift_page(w) for w in frame.index},
    )  # fmt: skip
    for week, row in frame.iterrows():
        acc = "-" if row["accuracy"] != row["accuracy"] else f"{row['accuracy']:.3f}"
        print(f"week {week}: drift {row['drift_share']:.0%}"
              f"{' (drift)' if row['dataset_drift'] else ''}, accuracy {acc}, champion "
              f"v{row['champion_version']}, challenger {row['challenger_share']:g}%")  # fmt: skip
    print(f"timeline: {page}\nMLflow: experiment '{monitoring_experiment(config.model_name)}' in "
          f"{settings.tracking_uri}")  # fmt: skip
    return 0
