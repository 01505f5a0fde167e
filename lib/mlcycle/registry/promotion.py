"""The promotion rule: when a challenger may replace the champion.

Pure so it is tested on its own: the registry stage only feeds it numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlcycle.task import LOWER_IS_BETTER
from mlcycle.training.metrics import is_better


@dataclass(frozen=True)
class PromotionDecision:
    promote: bool
    reason: str


def decide_promotion(
    metric: str,
    challenger: float,
    champion: float | None,
    gate_passed: bool,
    min_improvement: float = 0.0,
) -> PromotionDecision:
    """Promote only a gate-passing challenger that beats the champion on the same data.

    `champion` is None when there is no champion yet (the first model becomes champion).
    `min_improvement` is the margin the challenger must win by, in the metric's units.
    """
    if not gate_passed:
        return PromotionDecision(False, "the challenger did not pass the quality gate")
    if champion is None:
        return PromotionDecision(True, "the first model registered becomes the champion")
    # the bar the challenger must clear, moved by the margin in the metric's good direction
    bar = champion - min_improvement if metric in LOWER_IS_BETTER else champion + min_improvement
    by = f" by more than {min_improvement}" if min_improvement else ""
    if is_better(metric, challenger, bar):
        return PromotionDecision(
            True, f"challenger {metric} {challenger:.4f} beats champion {champion:.4f}{by}"
        )
    return PromotionDecision(
        False,
        f"challenger {metric} {challenger:.4f} does not beat champion {champion:.4f}{by} "
        "on the same test data",
    )
