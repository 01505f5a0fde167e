"""A registered regressor's prediction interval: the half-width `evaluate` logged on the
version's run (split conformal on the test set, mlcycle.task.INTERVAL_COVERAGE)."""

from __future__ import annotations

from typing import Any

from mlcycle.task import INTERVAL_METRIC


def interval_halfwidth(client: Any, name: str, version: str) -> float | None:
    """The half-width, or None when the version's run has none (not evaluated, or a model
    registered some other way)."""
    run_id = client.get_model_version(name, str(version)).run_id
    if not run_id:
        return None
    value = client.get_run(run_id).data.metrics.get(INTERVAL_METRIC)
    return None if value is None else float(value)
