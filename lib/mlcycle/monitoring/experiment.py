"""Which A/B experiment is analysed: the registry's rollout, or the split pinned by settings.

The service serves the rollout recorded on the registered model (mlcycle.registry.rollout)
unless the setting `ab_arms` pins a split (under `ab_key`); the analysis reads the same
source, so it judges the experiment the service actually ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlcycle.task import BINARY

DEFAULT_BASELINE = 0.5  # the accuracy that needs the most data: used when none is known


@dataclass(frozen=True)
class Experiment:
    key: str  # '' when no experiment has run
    weights: dict[str, float]  # the arms' configured weights (the current step's)
    started: str | None  # when the rollout started (None: pinned by settings)
    baseline: float  # the champion's accuracy on its test split: the power calculation's start
    source: str  # where the experiment was read from, for the report
    task: str = BINARY  # the champion's (its registry tag): what the arms are compared on


def current_experiment(client: Any, model_name: str, pinned_arms: str, pinned_key: str
                       ) -> Experiment:  # fmt: skip
    """The experiment to analyse: the pinned arms if set, else the registry's latest rollout."""
    from mlflow.exceptions import MlflowException

    from mlcycle.registry.aliases import CHALLENGER, CHAMPION
    from mlcycle.registry.rollout import rollout_of
    from mlcycle.serving.ab import parse_arms

    try:
        registered = client.get_registered_model(model_name)
    except MlflowException:
        registered = None
    baseline, task = DEFAULT_BASELINE, BINARY
    champion = (registered.aliases or {}).get(CHAMPION) if registered else None
    if champion is not None:
        tags = client.get_model_version(model_name, str(champion)).tags
        baseline = float(tags["test_accuracy"]) if tags.get("test_accuracy") else DEFAULT_BASELINE
        task = tags.get("task", BINARY)
    if pinned_arms:
        weights = {a.name: a.weight for a in parse_arms(pinned_arms)}
        return Experiment(
            pinned_key, weights, None, baseline, f"the setting ab_arms ({pinned_arms})", task
        )
    rollout = rollout_of(registered) if registered else None
    if rollout is None:
        return Experiment("", {CHAMPION: 100.0, CHALLENGER: 0.0}, None, baseline, "no rollout yet",
                          task)  # fmt: skip
    share = rollout.share if rollout.active else 0.0
    weights = {CHAMPION: 100.0 - share, CHALLENGER: share}
    source = f"the rollout of version {rollout.version} ({rollout.status}, {rollout.share:g}%)"
    return Experiment(rollout.key, weights, rollout.started, baseline, source, task)
