"""mlcycle rollout: move the challenger's rollout, the state a running service follows.

    mlcycle rollout status      what is rolled out, at what share, and why
    mlcycle rollout start       the challenger gets the ramp's first share (ab_ramp: 10%)
    mlcycle rollout advance     judge it on live outcomes: next share, hold, complete or roll back
    mlcycle rollout hold        stop the ramp where it is (advance waits for resume)
    mlcycle rollout resume      let advance move it again
    mlcycle rollout rollback    all traffic back to the champion
    mlcycle rollout complete    the challenger becomes the champion now

The state lives on the registered model (tags), so every service polling the registry picks a
move up at its next reload (`reload_seconds`), without a restart. Each move is an MLflow run
in the '<model>-monitoring' experiment.
"""

from __future__ import annotations

import argparse

from mlcycle.cli.common import UserError, add_env_options, ramp_of, settings_of

ACTIONS = ("status", "start", "advance", "hold", "resume", "rollback", "complete")


def describe(rollout) -> str:
    if rollout is None:
        return "no rollout: every request goes to the champion"
    return (
        f"version {rollout.version}: {rollout.status} at {rollout.share:g}% "
        f"(experiment {rollout.key}, started {rollout.started}); {rollout.reason}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mlcycle rollout",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", choices=ACTIONS)
    parser.add_argument("--reason", default="", help="why (kept on the registry and the run)")
    add_env_options(parser)
    args, rest = parser.parse_known_args(argv)
    return run(args.action, settings_of(args, rest), args.reason)


def run(action: str, settings, reason: str = "") -> int:
    """One rollout action with these settings; prints what it did."""
    from mlcycle.config import load_dataset_config
    from mlcycle.monitoring import rollout as ramp_rule
    from mlcycle.monitoring.record import record_rollout
    from mlcycle.registry import rollout as state
    from mlcycle.tracking import connect

    name = settings.model_name or load_dataset_config(str(settings.dataset)).model_name
    client = connect(settings.tracking_uri)
    ramp = ramp_of(settings)
    try:
        client.get_registered_model(name)
    except Exception:  # noqa: BLE001 - the store answers, the model is not there
        raise UserError(f"no registered model '{name}' in {settings.tracking_uri}: "
                        "build one first (make run)") from None  # fmt: skip
    current = state.read_rollout(client, name)
    if action == "status":
        print(describe(current))
        return 0
    try:
        if action == "start":
            after = state.start_rollout(client, name, ramp.steps[0], reason)
        elif action == "advance":
            after, move = ramp_rule.advance(client, name, settings.prediction_log, ramp,
                                            settings.ab_min_labelled)  # fmt: skip
            action = move.action
        else:
            if current is None or not current.active:
                raise state.RolloutError(f"{describe(current)}: nothing to {action}")
            why = reason or f"{action} by hand"
            if action == "hold":
                after = state.move(client, name, current, status=state.HELD, reason=why)
            elif action == "resume":
                after = state.move(client, name, current, status=state.RUNNING, reason=why)
            elif action == "rollback":
                after = state.roll_back(client, name, current, why)
            else:
                after = state.complete(client, name, current, why)
    except state.RolloutError as exc:
        raise UserError(str(exc)) from None
    record_rollout(client, f"{name}-monitoring", action, after, settings.products)
    print(f"rollout {action}: {describe(after)}")
    return 0
