"""A/B test analysis from the prediction log and its outcomes.

The primary metric is accuracy (a proportion: correct predictions among labelled ones), so
the arms are compared with a two-proportion z-test and a bootstrap confidence interval of the
difference; a chi-square test on how many requests each arm got catches a broken split
(sample ratio mismatch), which invalidates everything else.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class ABResult:
    arms: pd.DataFrame  # per arm: served, labelled, correct, accuracy, expected share
    srm_p_value: float
    srm: bool  # sample ratio mismatch: the split is not what was configured
    difference: float  # challenger accuracy - champion accuracy
    z: float
    p_value: float
    ci_low: float
    ci_high: float
    alpha: float
    recommendation: str  # "promote the challenger" | "keep the champion" | "keep collecting" | ...
    why: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: NaN (no data yet) becomes None."""
        out = asdict(self)
        out["arms"] = self.arms.reset_index().astype(object).to_dict("records")

        def clean(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()}
            if isinstance(value, list):
                return [clean(v) for v in value]
            if isinstance(value, float | np.floating) and np.isnan(value):
                return None
            return value.item() if isinstance(value, np.generic) else value

        return clean(out)


def two_proportion_z(s1: int, n1: int, s2: int, n2: int) -> tuple[float, float]:
    """z and two-sided p for H0: p1 == p2 (pooled standard error)."""
    if min(n1, n2) == 0:
        return 0.0, 1.0
    pooled = (s1 + s2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 0.0, 1.0
    z = (s2 / n2 - s1 / n1) / se
    return float(z), float(2 * stats.norm.sf(abs(z)))


def bootstrap_ci(
    a: np.ndarray, b: np.ndarray, alpha: float, n_boot: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Percentile interval of mean(b) - mean(a), resampling each arm."""
    if len(a) == 0 or len(b) == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    diffs = rng.choice(b, (n_boot, len(b))).mean(axis=1) - rng.choice(a, (n_boot, len(a))).mean(
        axis=1
    )
    low, high = np.quantile(diffs, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def analyse(
    log: pd.DataFrame,
    weights: dict[str, float],
    control: str = "champion",
    treatment: str = "challenger",
    alpha: float = 0.05,
    srm_alpha: float = 0.001,
    min_labelled: int = 200,
    seed: int = 0,
) -> ABResult:
    """Compare `treatment` with `control` on the log's labelled predictions."""
    missing = {"arm", "prediction", "outcome"} - set(log.columns)
    if missing:
        raise ValueError(f"the prediction log lacks column(s) {sorted(missing)}")
    total = sum(weights.values())
    arms = []
    correct_by_arm = {}
    for arm in weights:
        rows = log[log["arm"] == arm]
        labelled = rows[rows["outcome"].notna()]
        correct = (labelled["prediction"] == labelled["outcome"]).to_numpy(dtype=float)
        correct_by_arm[arm] = correct
        arms.append(
            {
                "arm": arm,
                "served": len(rows),
                "expected_share": weights[arm] / total,
                "labelled": len(labelled),
                "correct": int(correct.sum()),
                "accuracy": float(correct.mean()) if len(correct) else float("nan"),
            }
        )
    table = pd.DataFrame(arms).set_index("arm")
    served = table["served"].to_numpy()
    expected = table["expected_share"].to_numpy() * served.sum()
    srm_p = float(stats.chisquare(served, expected).pvalue) if served.sum() else 1.0
    srm = srm_p < srm_alpha
    a, b = correct_by_arm[control], correct_by_arm[treatment]
    z, p = two_proportion_z(int(a.sum()), len(a), int(b.sum()), len(b))
    low, high = bootstrap_ci(a, b, alpha, seed=seed)
    diff = float(b.mean() - a.mean()) if len(a) and len(b) else float("nan")
    if srm:
        rec = "investigate the split"
        why = (
            f"sample ratio mismatch (chi-square p = {srm_p:.2g} < {srm_alpha}): the arms did "
            "not get the configured shares, so their comparison cannot be trusted"
        )
    elif min(len(a), len(b)) < min_labelled:
        rec = "keep collecting"
        why = f"too few labelled predictions ({len(a)} and {len(b)}; need {min_labelled} per arm)"
    elif p < alpha and diff > 0:
        rec = "promote the challenger"
        why = (
            f"the challenger is more accurate by {diff:+.2%} (p = {p:.2g} < {alpha}; "
            f"{1 - alpha:.0%} interval {low:+.2%} to {high:+.2%})"
        )
    elif p < alpha:
        rec = "keep the champion"
        why = f"the challenger is less accurate by {diff:+.2%} (p = {p:.2g} < {alpha})"
    else:
        rec = "keep collecting"
        why = (
            f"no significant difference yet ({diff:+.2%}, p = {p:.2g} >= {alpha}; "
            f"{1 - alpha:.0%} interval {low:+.2%} to {high:+.2%})"
        )
    return ABResult(table, srm_p, srm, diff, z, p, low, high, alpha, rec, why)
