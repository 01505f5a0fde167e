"""The retraining trigger: a policy from config decides, and always says why.

The metric watched on labelled production traffic is the task's (`metric: auto`): accuracy
for a classifier, the mean absolute error for a regressor. A metric where higher is better has
a floor (`min_metric`); an error has a ceiling, in the target's units (`max_metric`) or as a
multiple of the champion's own error on the test set (`max_error_ratio`), which holds whatever
the target's scale.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from mlcycle.task import AUTO, BINARY, LOWER_IS_BETTER, REGRESSION, metric_name

# what can be watched in production, per kind of model (from the prediction log's outcomes)
WATCHABLE = {"classifier": ("accuracy", "roc_auc", "f1_macro"), "regressor": ("mae", "rmse")}


@dataclass(frozen=True)
class RetrainPolicy:
    on_dataset_drift: bool = True  # retrain when the drift report finds dataset drift
    metric: str = AUTO  # watched on labelled production traffic; auto: accuracy, or mae
    min_metric: float | None = None  # retrain when a higher-is-better metric falls below this
    max_metric: float | None = None  # retrain when an error rises above this (target's units)
    max_error_ratio: float | None = None  # ... or above this many times its error on the test set
    max_age_days: float | None = None  # retrain when the champion is older than this
    min_labelled: int = 100  # fewer labelled predictions than this: the metric is not trusted

    def watched(self, task: str = BINARY) -> str:
        """The metric watched for a model of `task`; a named one must be measurable for it."""
        kind = "regressor" if task == REGRESSION else "classifier"
        if self.metric in (None, "", AUTO):
            return "mae" if kind == "regressor" else "accuracy"
        if self.metric not in WATCHABLE[kind]:
            raise ValueError(
                f"retrain_policy.metric {self.metric!r} is not measured for a {task} model; "
                f"choose one of {', '.join(WATCHABLE[kind])}, or {AUTO}"
            )
        return self.metric

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

    def limit(self, metric: str, test_value: float | None = None) -> tuple[float | None, str]:
        """The threshold of `metric` and how it reads ("below 0.8", "above 1.5x the test
        set's 86.0"); None when the policy sets none for this kind of metric."""
        if metric not in LOWER_IS_BETTER:
            return (
                (None, "")
                if self.min_metric is None
                else (self.min_metric, f"below {self.min_metric:g}")
            )
        if self.max_metric is not None:
            return self.max_metric, f"above {self.max_metric:g}"
        if self.max_error_ratio is not None and test_value is not None:
            ratio = self.max_error_ratio
            return ratio * test_value, f"above {ratio:g}x its test set's {test_value:.4g}"
        return None, ""

    def describe(self, task: str = BINARY) -> str:
        """The triggers in words, for reports."""
        triggers = ["dataset drift"] if self.on_dataset_drift else []
        metric = self.watched(task)
        if metric in LOWER_IS_BETTER:
            limit = (
                f"above {self.max_metric:g}" if self.max_metric is not None
                else f"above {self.max_error_ratio:g}x the champion's test {metric_name(metric)}"
                if self.max_error_ratio is not None else None
            )  # fmt: skip
        else:
            limit = None if self.min_metric is None else f"below {self.min_metric:g}"
        if limit:
            triggers.append(
                f"{metric_name(metric)} {limit} "
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
    task: str = BINARY,
    test_value: float | None = None,
) -> Decision:
    """Retrain if any trigger fires; every trigger checked leaves a reason either way.
    `metric_value` is the task's watched metric in production; `test_value` the champion's
    own on the test set (an error's ceiling may be a multiple of it)."""
    fired, notes = [], []
    if policy.on_dataset_drift and dataset_drift is not None:
        share = f" ({drift_share:.0%} of columns drifted)" if drift_share is not None else ""
        (fired if dataset_drift else notes).append(
            f"dataset drift{share}" if dataset_drift else f"no dataset drift{share}"
        )
    metric = policy.watched(task)
    limit, reads = policy.limit(metric, test_value)
    lower = metric in LOWER_IS_BETTER
    if limit is None and lower and policy.max_error_ratio is not None:
        notes.append(f"{metric} not judged: the champion's test {metric} is unknown")
    elif limit is not None:
        if metric_value is None or labelled < policy.min_labelled:
            notes.append(
                f"{metric} not judged: {labelled} labelled predictions (need {policy.min_labelled})"
            )
        elif metric_value > limit if lower else metric_value < limit:
            fired.append(f"{metric} {metric_value:.4f} {reads}")
        else:
            notes.append(f"{metric} {metric_value:.4f} not {reads}" if lower else
                         f"{metric} {metric_value:.4f} at or above {limit}")  # fmt: skip
    if policy.max_age_days is not None and model_age_days is not None:
        if model_age_days > policy.max_age_days:
            fired.append(f"champion {model_age_days:.0f} days old (max {policy.max_age_days:g})")
        else:
            notes.append(f"champion {model_age_days:.0f} days old (max {policy.max_age_days:g})")
    figures = {
        "dataset_drift": dataset_drift,
        "drift_share": drift_share,
        metric: metric_value,
        "labelled": labelled,
        "model_age_days": model_age_days,
    }
    if fired:
        return Decision(True, [f"retrain: {r}" for r in fired] + notes, figures)
    return Decision(False, ["no trigger fired"] + notes, figures)
