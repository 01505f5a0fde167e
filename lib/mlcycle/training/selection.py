"""Model selection over the grid: every candidate is scored on the same validation split, and
the best by one metric goes on to evaluation, the gate and the registry."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from mlcycle.task import LOWER_IS_BETTER


class SelectionError(ValueError):
    """No candidate can be chosen; the message says which candidate lacks what."""


def rank_candidates(
    candidates: Mapping[str, Mapping[str, Any]], metric: str
) -> list[tuple[str, dict]]:
    """(task name, run info) best first by the validation `metric`; ties keep grid order.

    A candidate whose metric is NaN (e.g. one class in the split) ranks last, never first.
    """
    if not candidates:
        raise SelectionError("the model grid trained no candidate")
    scored = []
    for order, (name, run) in enumerate(candidates.items()):
        metrics = run.get("valid_metrics") or {}
        if metric not in metrics:
            raise SelectionError(
                f"candidate {name!r} has no validation {metric!r} (it has {sorted(metrics)}); "
                "set selection_metric to one of those"
            )
        value = float(metrics[metric])
        key = value if metric in LOWER_IS_BETTER else -value
        scored.append((math.isnan(value), key if not math.isnan(value) else 0.0, order, name))
    scored.sort()
    return [(name, dict(candidates[name])) for *_, name in scored]


def tag_ranks(client, ranked: list[tuple[str, dict]], metric: str) -> None:
    """Tag each candidate's MLflow run with its rank, so the grid reads in the UI as well."""
    for rank, (name, run) in enumerate(ranked, 1):
        for key, value in {
            "selection.metric": metric,
            "selection.rank": str(rank),
            "selection.chosen": str(rank == 1).lower(),
            "selection.task": name,
        }.items():
            client.set_tag(run["run_id"], key, value)
