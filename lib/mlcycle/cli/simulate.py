"""mlcycle simulate: the monitoring and retraining loop on generated weekly traffic."""

from __future__ import annotations

import argparse
from pathlib import Path

from mlcycle.cli.common import UserError, add_env_options, settings_of


def main(argv: list[str] | None = None) -> int:
    from mlcycle.config import load_dataset_config
    from mlcycle.environment import apply_quiet_defaults
    from mlcycle.monitoring.simulate import Loop, save_timeline, settings_from_env, timeline_frame
    from mlcycle.monitoring.timeline import render_timeline

    parser = argparse.ArgumentParser(
        prog="mlcycle simulate",
        description="Run the monitoring and retraining loop on generated weekly traffic, with "
        "drift from a chosen week, and render its timeline (make simulate WEEKS=8).",
    )
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--customers-per-week", type=int)
    parser.add_argument("--initial-customers", type=int)
    parser.add_argument("--drift-from-week", type=int, help="first drifted week; 0 = none")
    add_env_options(parser)
    parser.add_argument("--out", help="output folder (default: <products>/simulation)")
    args, rest = parser.parse_known_args(argv)

    apply_quiet_defaults()
    project = settings_of(args, rest)
    env = project.env_values()
    settings = settings_from_env(
        env, weeks=args.weeks, customers_per_week=args.customers_per_week,
        initial_customers=args.initial_customers, drift_from_week=args.drift_from_week,
    )  # fmt: skip
    out = Path(args.out or project.simulation)
    if (out / "mlflow.db").exists():  # a fresh loop each time: registry, log, reports
        import shutil

        shutil.rmtree(out)
    config = load_dataset_config(str(env["dataset"]))
    if not config.source.is_generator:
        raise UserError("the simulation needs the built-in generator's dataset (churn.yaml)")
    loop = Loop(settings, config, out)
    loop.start()
    for week in range(1, settings.weeks + 1):
        entry = loop.step(week)
        print(
            f"week {week}: drift {entry.drift_share:.0%}{' (drift)' if entry.dataset_drift else ''}"
            f", accuracy {'-' if entry.accuracy is None else f'{entry.accuracy:.3f}'}"
            f", champion v{entry.champion_version}, challenger {entry.challenger_share:g}%"
            + (f"; {entry.promotion}" if entry.promotion else "")
            + (f"; {entry.rollout}" if entry.rollout else ""),
            flush=True,
        )
    frame = timeline_frame(loop.timeline)
    save_timeline(loop.timeline, out / "timeline.json")
    page = render_timeline(
        frame, out / "timeline.html", f"{config.model_name}: {settings.weeks} weeks in production",
        f"Generated weekly traffic of {settings.customers_per_week:,} customers, drifted from "
        f"week {settings.drift_from_week}; outcomes arrive a week late. Retraining policy: "
        f"{settings.policy.describe()}. A promoted challenger's traffic share ramps "
        f"{' -> '.join(f'{x:g}%' for x in settings.ramp.steps)} while it is not worse.",
        settings.drift_share,
        {w: f"drift/week-{w:02d}.html" for w in frame.index},
    )  # fmt: skip
    print(f"timeline: {page}\nMLflow: experiment '{config.model_name}-simulation' in {loop.uri}")
    return 0
