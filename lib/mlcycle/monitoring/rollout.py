"""Gradual rollout: the challenger's share of traffic climbs a ramp (10% -> 50% -> 100%) one
step at a time, and only while it is not worse than the champion.

The challenger arm is listed last, so with a fixed experiment key a user once routed to it
stays on it as its share grows (the hash buckets are cumulative): a ramp never flips people
back and forth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlcycle.task import LOWER_IS_BETTER, REGRESSION


@dataclass(frozen=True)
class Ramp:
    steps: tuple[float, ...] = (10.0, 50.0, 100.0)  # challenger share (%) per step

    @classmethod
    def parse(cls, spec: str | list | tuple) -> Ramp:
        """'10,50,100', or a list of numbers (YAML may already have split it)."""
        if not isinstance(spec, str):
            spec = ",".join(str(s) for s in spec)
        try:
            steps = tuple(float(s) for s in spec.split(",") if s.strip())
        except ValueError:
            raise ValueError(f"ramp {spec!r}: expected percentages like 10,50,100") from None
        if not steps or list(steps) != sorted(steps) or steps[0] <= 0 or steps[-1] != 100:
            raise ValueError(f"ramp {spec!r}: increasing percentages ending at 100")
        return cls(steps)

    def arms(self, step: int) -> str:
        """The traffic split at this step, in the service's arms syntax."""
        share = self.steps[step]
        return f"champion={100 - share:g},challenger={share:g}"


@dataclass(frozen=True)
class Move:
    step: int | None  # the next step; None when the rollout ended
    action: str  # "advance" | "hold" | "complete" | "roll back"
    reason: str


def next_move(
    ramp: Ramp,
    step: int,
    champion_accuracy: float | None,
    challenger_accuracy: float | None,
    labelled: int,
    min_labelled: int = 100,
    tolerance: float = 0.0,
    metric: str = "accuracy",
) -> Move:
    """Advance one step if the challenger is not worse (within `tolerance`) on enough labelled
    predictions; hold when there are too few; roll back when it is worse. The figures are the
    arms' `metric`: accuracy, or for a regressor the mean absolute error (lower is better)."""
    if challenger_accuracy is None or champion_accuracy is None or labelled < min_labelled:
        return Move(
            step, "hold", f"{labelled} labelled challenger predictions (need {min_labelled})"
        )
    gap = challenger_accuracy - champion_accuracy
    if metric in LOWER_IS_BETTER:
        gap = -gap  # a larger error is worse
    figures = f"challenger {challenger_accuracy:.4f} vs champion {champion_accuracy:.4f}"
    figures = figures if metric == "accuracy" else f"{metric}: {figures}"
    if gap < -tolerance:
        return Move(None, "roll back", f"challenger worse: {figures}")
    if step + 1 >= len(ramp.steps):
        return Move(None, "complete", f"challenger at 100% and not worse: {figures}")
    return Move(step + 1, "advance", f"not worse ({figures}): {ramp.steps[step + 1]:g}% next")


def live_performance(log: Any, experiment: str) -> tuple[str, dict[str, tuple[float | None, int]]]:
    """The metric (accuracy, or a regressor's mae) and {arm: (its value, labelled)} on the
    experiment's randomised, labelled predictions."""
    from mlcycle.monitoring.ab_analysis import row_scores, scope
    from mlcycle.monitoring.performance import task_of_log

    rows = scope(log, experiment)
    rows = rows[rows["outcome"].notna()]
    task = task_of_log(rows)
    out = {}
    for arm in ("champion", "challenger"):
        scores = row_scores(rows[rows["arm"] == arm], task)
        out[arm] = (float(scores.mean()) if len(scores) else None, len(scores))
    return ("mae" if task == REGRESSION else "accuracy"), out


def advance(client: Any, name: str, log_path: Any, ramp: Ramp, min_labelled: int,
            tolerance: float = 0.0) -> tuple[Any, Move]:  # fmt: skip
    """Judge a running rollout on its live outcomes and move it one step (the registry's
    state is what the service follows): advance, hold, complete or roll back."""
    from mlcycle.registry import rollout as state
    from mlcycle.serving.log_database import log_exists
    from mlcycle.serving.prediction_log import PredictionLog

    current = state.read_rollout(client, name)
    if current is None or current.status != state.RUNNING:
        status = "no rollout" if current is None else f"the rollout is {current.status}"
        raise state.RolloutError(f"{status}: nothing to advance (mlcycle rollout start)")
    found = log_exists(log_path)
    log = PredictionLog(log_path).frame(experiment=current.key, model_name=name) if found else None
    metric, figures = live_performance(log, current.key) if log is not None else ("accuracy", {})
    champion, _ = figures.get("champion", (None, 0))
    challenger, labelled = figures.get("challenger", (None, 0))
    decided = next_move(ramp, current.step, champion, challenger, labelled, min_labelled,
                        tolerance, metric)  # fmt: skip
    if decided.action == "complete":
        state.complete(client, name, current, decided.reason)
    elif decided.action == "roll back":
        state.roll_back(client, name, current, decided.reason)
    elif decided.action == "advance":
        state.move(client, name, current, step=decided.step,
                   share=float(ramp.steps[decided.step]), reason=decided.reason)  # fmt: skip
    else:
        state.move(client, name, current, reason=decided.reason)
    return state.read_rollout(client, name), decided
