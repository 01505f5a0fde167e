"""The quality gate: a model below the bar stops the build before it can be registered."""

from __future__ import annotations

from dataclasses import dataclass

from mlcycle.task import LOWER_IS_BETTER


class QualityGateFailed(RuntimeError):
    """The model missed the quality bar; the message says metric, value and threshold."""


@dataclass(frozen=True)
class GateResult:
    metric: str
    value: float
    threshold: float
    passed: bool

    def describe(self) -> str:
        relation = "at most" if self.metric in LOWER_IS_BETTER else "at least"
        verdict = "passed" if self.passed else "FAILED"
        return (
            f"Quality gate {verdict}: {self.metric} = {self.value:.4f} "
            f"(required: {relation} {self.threshold})"
        )


def evaluate_gate(metrics: dict[str, float], metric: str, threshold: float) -> GateResult:
    if metric not in metrics:
        raise KeyError(f"gate metric {metric!r} is not among the metrics {sorted(metrics)}")
    value = float(metrics[metric])
    # NaN fails either way: comparisons with NaN are False
    passed = value <= threshold if metric in LOWER_IS_BETTER else value >= threshold
    return GateResult(metric, value, float(threshold), passed)


def enforce_gate(result: GateResult, where: str = "test set") -> None:
    if not result.passed:
        relation = "above" if result.metric in LOWER_IS_BETTER else "below"
        raise QualityGateFailed(
            f"Quality gate failed: {result.metric} = {result.value:.4f} on the {where} is "
            f"{relation} the threshold {result.threshold}. The model was not registered."
        )


def summary_markdown(metrics: dict[str, float], result: GateResult) -> str:
    """The gate and the test metrics as Markdown (a CI job summary)."""
    lines = [f"### {result.describe()}", "", "| metric | test |", "|---|---|"]
    lines += [f"| {k} | {v:.4f} |" for k, v in metrics.items()]
    return "\n".join(lines) + "\n"
