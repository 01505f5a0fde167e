"""The weekly loop, as a scheduler runs it: monitor the week, retrain on what is new, roll out.

1. The week starts where the last week ended (the newest weekly run's `week_end` in MLflow,
   or the champion's build's `as_of` if later) and ends seven days after (or at a given time).
   Its rows are the source's rows of that week: customers no build has seen. They are the
   monitoring window (unless a window file is given).
2. The DAG is built with that window and the last build's `as_of`: the training stages are up
   to date, so only the monitoring stages run.
3. When the retraining policy fires (or `retrain` forces it), the DAG is built again with
   `as_of` at the week's end, without `--force`: collect takes in the new rows and everything
   after it reruns; the register stage judges the new model against the champion on the
   newest rows. A winner does not replace the champion at once (`promotion: rollout`): its
   rollout starts (10% of traffic, then 50%, then all, `ab_ramp`), which the running service
   follows from the registry.
4. A rollout that was already running is judged on its live outcomes and moved one step.

Every week is an MLflow run in the '<model>-monitoring' experiment with what it did and why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from mlcycle.settings import monitoring_experiment

Build = Callable[[dict[str, str]], int]  # overrides -> exit status (0 = built)


@dataclass
class Week:
    as_of_before: str  # the as_of the last build saw
    week_start: str
    week_end: str
    window: str  # the monitoring window's file ('' = the scoring set)
    new_rows: int
    retrain: bool = False  # the policy said so
    retrained: bool = False  # a retraining build ran
    reasons: list[str] = field(default_factory=list)
    registration: str = ""  # what the retrain registered, in words
    rollout: str = ""  # what happened to the rollout, in words
    steps: list[str] = field(default_factory=list)  # what ran, for the log
    figures: dict[str, float] = field(default_factory=dict)  # drift, then the registry's state
    run_id: str = ""  # the week's MLflow run

    def say(self, line: str) -> None:
        self.steps.append(line)
        print(line, flush=True)


def builder(env_file: str | None, overrides: dict[str, Any]) -> Build:
    """A Build that runs the project's DAG with these settings and a week's overrides on top."""

    def build(values: dict[str, str]) -> int:
        from mlcycle.environment import skip_unused_optional_imports
        from mlcycle.orchestration.dag import build_and_report, make_dag

        skip_unused_optional_imports()
        return build_and_report(make_dag(None, env_file, {**overrides, **values}))

    return build


def week_end(as_of: str, days: int = 7) -> str:
    """The end of the week that starts at `as_of`, as a date-time text."""
    return str(pd.Timestamp(as_of) + pd.Timedelta(days=days))


def new_rows_window(settings: Any, since: str, until: str, path: Path) -> int:
    """Write the model table of the source's rows after `since` up to `until` to `path`
    (Parquet); returns how many there are (0: nothing written)."""
    from mlcycle.config import load_dataset_config
    from mlcycle.data.collect import collect
    from mlcycle.data.generator import Drift
    from mlcycle.features.table import build_model_table
    from mlcycle.io import write_parquet

    config = load_dataset_config(str(settings.dataset))
    if config.timestamp is None:
        return 0  # a static table has no "after": nothing new can arrive
    collected = collect(
        config,
        n_customers=settings.n_customers,
        snapshot_date=settings.snapshot_date,
        seed=settings.seed,
        drift=Drift(settings.drift_shift, settings.drift_new_category,
                    settings.drift_relationship),
        as_of=until,
        weekly_customers=settings.weekly_customers,
        drift_from_week=settings.drift_from_week,
    )  # fmt: skip
    times = pd.to_datetime(collected.entities[config.timestamp], errors="coerce")
    fresh = collected.entities[times > pd.Timestamp(since)]
    if fresh.empty:
        return 0
    table = build_model_table(fresh, collected.events, config)
    write_parquet(table, path)
    return len(table)


def run_week(
    settings: Any,
    build: Build,
    collection: Any,
    decision_of: Callable[[], Any],
    registration_of: Callable[[], Any],
    until: str | None = None,
    window: str = "",
    retrain: bool | None = None,
) -> Week:
    """One week of the loop (see the module's docstring). `build` runs the DAG with overrides;
    `decision_of` and `registration_of` read the build's monitoring decision and registration.
    `retrain`: None = as the policy says, True = retrain anyway, False = never."""
    from mlcycle.config import load_dataset_config
    from mlcycle.data.as_of import AsOfError, parse_as_of
    from mlcycle.monitoring import rollout as ramp_rule
    from mlcycle.registry import rollout as state
    from mlcycle.tracking import connect

    name = settings.model_name or load_dataset_config(str(settings.dataset)).model_name
    client = connect(settings.tracking_uri)
    start, last = collection.as_of, last_week_end(client, name, settings)
    if last and pd.Timestamp(last) > pd.Timestamp(start):
        start = last
    end = str(parse_as_of(until)) if until else week_end(start)
    if pd.Timestamp(end) <= pd.Timestamp(start):
        raise AsOfError(f"the week must end after {start} (where the last one ended), not at {end}")
    week = Week(collection.as_of, start, end, window, 0)
    if not window:
        path = Path(settings.products) / "monitoring" / "windows" / f"until-{_stamp(end)}.parquet"
        week.new_rows = new_rows_window(settings, start, end, path)
        week.window = str(path) if week.new_rows else ""
    if window:
        week.say(f"week {start} .. {end}: window {window}")
    else:
        shown = f"window {week.window}" if week.window else "window: the scoring set"
        week.say(f"week {start} .. {end}: {week.new_rows:,} new rows ({shown})")
    keep = {"as_of": collection.as_of_setting, "monitor_window": week.window}
    if build(keep):
        raise WeekFailed("the monitoring build failed", week)
    decision = decision_of()
    week.retrain, week.reasons = bool(decision.retrain), list(decision.reasons)
    for key in ("drift_share", "dataset_drift"):
        if decision.figures.get(key) is not None:
            week.figures[key] = float(decision.figures[key])
    week.say("monitoring: " + ("RETRAIN" if decision.retrain else "no retraining"))
    for reason in decision.reasons:
        week.say(f"  - {reason}")
    running = _rollout(client, name)
    wanted = decision.retrain if retrain is None else retrain
    if wanted and running is not None and running.active:
        week.registration = f"retraining waits: the rollout of version {running.version} runs"
    elif wanted and not week.new_rows and not window:
        week.registration = "nothing new to learn from: no rows after as_of"
    elif wanted:
        week.say(f"retraining on the data as of {end} ...")
        week.retrained = True
        if build({"as_of": end, "monitor_window": week.window}):
            raise WeekFailed("the retraining build failed", week)
        registration = registration_of()
        week.registration = describe_registration(registration)
        started = _rollout(client, name)
        if registration.rollout and started is not None and started.key == registration.rollout:
            _record_move(client, name, settings, "start", started)
    if week.registration:
        week.say(week.registration)
    if running is not None and running.status == state.RUNNING:
        ramp = ramp_rule.Ramp.parse(settings.ab_ramp)
        after, move = ramp_rule.advance(client, name, settings.prediction_log, ramp,
                                        settings.ab_min_labelled)  # fmt: skip
        week.rollout = f"rollout {move.action}: version {after.version} at {after.share:g}% " \
                       f"({move.reason})"  # fmt: skip
        _record_move(client, name, settings, move.action, after)
        week.say(week.rollout)
    after = _rollout(client, name)
    champion = _champion(client, name)
    week.figures["challenger_share"] = after.share if after is not None and after.active else 0.0
    if champion is not None:
        week.figures["champion_version"] = float(champion)
    week.run_id = _record_week(client, name, settings, week)
    return week


def last_week_end(client: Any, name: str, settings: Any) -> str | None:
    """Where the loop's clock stands: the newest weekly run's week end, if any."""
    experiment = client.get_experiment_by_name(monitoring_experiment(name))
    if experiment is None:
        return None
    runs = client.search_runs([experiment.experiment_id], "tags.kind = 'weekly'",
                              order_by=["tags.week_end DESC"], max_results=1)  # fmt: skip
    return runs[0].data.tags.get("week_end") if runs else None


class WeekFailed(RuntimeError):
    def __init__(self, message: str, week: Week) -> None:
        super().__init__(message)
        self.week = week


def _stamp(text: str) -> str:
    return pd.Timestamp(text).strftime("%Y%m%dT%H%M%S")


def _rollout(client: Any, name: str) -> Any:
    from mlcycle.registry.rollout import read_rollout

    try:
        return read_rollout(client, name)
    except Exception:  # noqa: BLE001 - no registered model yet
        return None


def _champion(client: Any, name: str) -> str | None:
    from mlcycle.registry.aliases import CHAMPION, alias_version

    return alias_version(client, name, CHAMPION)


def describe_registration(registration: Any) -> str:
    """What the register stage did, in words (it starts the rollout of a winner itself)."""
    if not registration.registered:  # the source holds what the champion learnt from
        return (f"nothing new registered: {registration.reason}. To learn from new rows, add "
                "them with their outcomes to the dataset's source and run again")  # fmt: skip
    if registration.promoted:
        return f"version {registration.version} is the champion: {registration.reason}"
    if registration.rollout:
        return f"version {registration.version} rolled out: {registration.reason}"
    return f"version {registration.version} stays challenger: {registration.reason}"


def _record_move(client: Any, name: str, settings: Any, action: str, rollout: Any) -> None:
    from mlcycle.monitoring.record import record_rollout

    record_rollout(client, monitoring_experiment(name), action, rollout, settings.products)


def _record_week(client: Any, name: str, settings: Any, week: Week) -> str:
    from mlcycle.tracking import ensure_experiment

    experiment_id = ensure_experiment(client, monitoring_experiment(name), settings.products)
    run = client.create_run(experiment_id, run_name=f"weekly until {week.week_end}")
    tags = {
        "kind": "weekly",
        "as_of_before": week.as_of_before,
        "week_start": week.week_start,
        "week_end": week.week_end,
        "window": week.window[:4000],
        "decision.retrain": str(week.retrain).lower(),
        "decision.reasons": "; ".join(week.reasons)[:4000],
        "registration": week.registration[:4000],
        "rollout": week.rollout[:4000],
    }
    for key, value in tags.items():
        client.set_tag(run.info.run_id, key, value)
    client.log_metric(run.info.run_id, "new_rows", week.new_rows)
    client.log_metric(run.info.run_id, "retrained", float(week.retrained))
    for key, value in week.figures.items():
        client.log_metric(run.info.run_id, key, value)
    client.log_text(run.info.run_id, "\n".join(week.steps), "weekly.txt")
    client.set_terminated(run.info.run_id)
    return run.info.run_id
