"""Monitoring decisions in MLflow: one run per monitoring pass, in its own experiment."""

from __future__ import annotations

import time
from pathlib import Path, PurePath
from typing import Any

from mlcycle.monitoring.policy import Decision


def champion_age_days(client: Any, name: str) -> float | None:
    """Days since the champion version was registered (None without a champion)."""
    from mlcycle.registry.aliases import CHAMPION, alias_version

    version = alias_version(client, name, CHAMPION)
    if version is None:
        return None
    created = client.get_model_version(name, version).creation_timestamp
    return (time.time() * 1000 - created) / 86_400_000


def champion_test_metric(client: Any, name: str, version: str | None, metric: str) -> float | None:
    """The champion's `metric` on the test set, as its evaluation logged it (test_<metric>);
    None without a champion or that figure."""
    if version is None:
        return None
    run_id = client.get_model_version(name, version).run_id
    return client.get_run(run_id).data.metrics.get(f"test_{metric}") if run_id else None


def record_decision(
    client: Any,
    experiment: str,
    window: str,
    drift: dict[str, Any],
    decision: Decision,
    champion: str | None,
    artifacts: dict[str, Any] | None = None,
    products: str | Path | None = None,
) -> str:
    """A run with the decision, its reasons and figures; returns the run id. A new experiment
    in a local store keeps its artifacts under `products` (never the working directory)."""
    from mlcycle.tracking import ensure_experiment

    experiment_id = ensure_experiment(client, experiment, products)
    # named by the window's file and the champion, not by a path of the machine that ran it
    served = f", champion v{champion}" if champion else ""
    name = f"monitor {PurePath(window).name or window}{served}"
    run = client.create_run(experiment_id, run_name=name[:250])
    run_id = run.info.run_id
    tags = {
        "kind": "monitoring",
        "window": window[:4000],
        "champion_version": champion or "",
        "decision.retrain": str(decision.retrain).lower(),
        "decision.reasons": "; ".join(decision.reasons)[:4000],
    }
    for key, value in tags.items():
        client.set_tag(run_id, key, value)
    for key, value in decision.figures.items():
        if isinstance(value, bool):
            value = float(value)
        if isinstance(value, int | float):
            client.log_metric(run_id, key, float(value))
    for name, content in (artifacts or {}).items():
        client.log_dict(run_id, content, name)
    client.log_dict(run_id, drift, "drift.json")
    client.set_terminated(run_id)
    return run_id


def record_rollout(client: Any, experiment: str, action: str, rollout: Any,
                   products: str | Path | None = None) -> str:  # fmt: skip
    """A run for one move of a rollout (start, advance, hold, complete, roll back): what was
    done to which version, its traffic share after the move, and why."""
    from mlcycle.tracking import ensure_experiment

    experiment_id = ensure_experiment(client, experiment, products)
    run = client.create_run(experiment_id, run_name=f"rollout {action} v{rollout.version}")
    run_id = run.info.run_id
    tags = {
        "kind": "rollout",
        "rollout.action": action,
        "rollout.version": rollout.version,
        "rollout.status": rollout.status,
        "rollout.key": rollout.key,
        "rollout.reason": rollout.reason[:4000],
    }
    for key, value in tags.items():
        client.set_tag(run_id, key, value)
    client.log_metric(run_id, "challenger_share", rollout.share)
    client.set_terminated(run_id)
    return run_id
