"""The retraining trigger: a policy from config decides, and always says why."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class RetrainPolicy:
    on_dataset_drift: bool = True  # retrain when the drift report finds dataset drift
    metric: str = "accuracy"  # the primary metric watched on labelled production traffic
    min_metric: float | None = None  # retrain when it falls below this
    max_age_days: float | None = None  # retrain when the champion is older than this
    min_labelled: int = 100  # fewer labelled predictions than this: the metric is not trusted

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> RetrainPolicy:
        raw = dict(raw or {})
        unknown = set(raw) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(
                f"unknown retrain policy key(s) {sorted(unknown)}; "
                f"known: {sorted(cls.__dataclass_fields__)}"
            )
        return cls(**raw)

    def describe(self) -> str:
        """The triggers in words, for reports."""
        triggers = ["dataset drift"] if self.on_dataset_drift else []
        if self.min_metric is not None:
            triggers.append(
                f"{self.metric} below {self.min_metric:g} "
                f"(on at least {self.min_labelled} labelled predictions)"
            )
        if self.max_age_days is not None:
            triggers.append(f"a champion older than {self.max_age_days:g} days")
        return "retrain on " + (", or ".join(triggers) if triggers else "nothing (all off)")


@dataclass(frozen=True)
class Decision:
    retrain: bool
    reasons: list[str] = field(default_factory=list)  # why (or why not), for people
    figures: dict[str, Any] = field(default_factory=dict)  # what it was decided on

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def decide(
    policy: RetrainPolicy,
    dataset_drift: bool | None = None,
    drift_share: float | None = None,
    metric_value: float | None = None,
    labelled: int = 0,
    model_age_days: float | None = None,
) -> Decision:
    """Retrain if any trigger fires; every trigger checked leaves a reason either way."""
    fired, notes = [], []
    if policy.on_dataset_drift and dataset_drift is not None:
        share = f" ({drift_share:.0%} of columns drifted)" if drift_share is not None else ""
        (fired if dataset_drift else notes).append(
            f"dataset drift{share}" if dataset_drift else f"no dataset drift{share}"
        )
    if policy.min_metric is not None:
        if metric_value is None or labelled < policy.min_labelled:
            notes.append(
                f"{policy.metric} not judged: {labelled} labelled predictions "
                f"(need {policy.min_labelled})"
            )
        elif metric_value < policy.min_metric:
            fired.append(f"{policy.metric} {metric_value:.4f} below {policy.min_metric}")
        else:
            notes.append(f"{policy.metric} {metric_value:.4f} at or above {policy.min_metric}")
    if policy.max_age_days is not None and model_age_days is not None:
        if model_age_days > policy.max_age_days:
            fired.append(f"champion {model_age_days:.0f} days old (max {policy.max_age_days:g})")
        else:
            notes.append(f"champion {model_age_days:.0f} days old (max {policy.max_age_days:g})")
    figures = {
        "dataset_drift": dataset_drift,
        "drift_share": drift_share,
        policy.metric: metric_value,
        "labelled": labelled,
        "model_age_days": model_age_days,
    }
    if fired:
        return Decision(True, [f"retrain: {r}" for r in fired] + notes, figures)
    return Decision(False, ["no trigger fired"] + notes, figures)
