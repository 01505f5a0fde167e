"""A/B test analysis from the prediction log and its outcomes.

The primary metric is accuracy (a proportion: correct predictions among labelled ones), so
the arms are compared with a two-proportion z-test and a bootstrap confidence interval of the
difference; a chi-square test on how many requests each arm got catches a broken split
(sample ratio mismatch), which invalidates everything else.

Scope: only the current experiment's randomised traffic counts (`scope`): rows served under
another experiment key, without a user id (always the champion) or as a fallback would bias
the arms. Each row carries the split it was served under, so the expected shares follow a ramp.

Weekly looks at a running test are repeated significance tests, which inflate false positives.
So the test has a fixed horizon: the labelled predictions each arm needs are computed up front
(`fixed_horizon`, a power calculation with statsmodels) from the smallest difference worth
detecting, and no verdict is given before both arms reach it.
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


def scope(log: pd.DataFrame, experiment: str) -> pd.DataFrame:
    """The rows of one experiment that were randomised into their arm."""
    from mlcycle.serving.prediction_log import RANDOMISED

    if "experiment" not in log.columns or "assignment" not in log.columns:
        return log.iloc[:0]
    return log[(log["experiment"] == experiment) & (log["assignment"] == RANDOMISED)]


def fixed_horizon(
    baseline: float, min_effect: float, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Labelled predictions each arm needs to detect an accuracy difference of `min_effect`
    from `baseline` with this power (two-sided z-test of two proportions)."""
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    if not 0 < min_effect < 1:
        raise ValueError(f"the smallest effect must be within (0, 1), got {min_effect}")
    baseline = min(max(baseline, 0.01), 0.99)
    target = baseline - min_effect if baseline + min_effect >= 1 else baseline + min_effect
    effect = abs(proportion_effectsize(target, baseline))
    n = NormalIndPower().solve_power(effect_size=effect, alpha=alpha, power=power, ratio=1.0)
    return int(np.ceil(n))


def _expected_shares(log: pd.DataFrame, weights: dict[str, float]) -> np.ndarray:
    """Each arm's expected number of rows: from the split each row was served under (a ramp
    changes it), else from `weights`."""
    from mlcycle.serving.ab import parse_arms

    total = sum(weights.values())
    if "split" not in log.columns or not (log["split"].astype(str) != "").any():
        return np.array([weights[a] / total for a in weights]) * len(log)
    expected = np.zeros(len(weights))
    for spec, count in log["split"].astype(str).value_counts().items():
        arms = {a.name: a.weight for a in parse_arms(spec)} if spec else weights
        within = sum(arms.get(a, 0.0) for a in weights) or 1.0
        expected += np.array([arms.get(a, 0.0) / within for a in weights]) * count
    return expected


def analyse(
    log: pd.DataFrame,
    weights: dict[str, float],
    control: str = "champion",
    treatment: str = "challenger",
    alpha: float = 0.05,
    srm_alpha: float = 0.001,
    min_labelled: int = 200,
    seed: int = 0,
    horizon: int = 0,
) -> ABResult:
    """Compare `treatment` with `control` on the log's labelled predictions; no verdict before
    both arms have `max(min_labelled, horizon)` of them (the fixed horizon)."""
    missing = {"arm", "prediction", "outcome"} - set(log.columns)
    if missing:
        raise ValueError(f"the prediction log lacks column(s) {sorted(missing)}")
    total = sum(weights.values())
    log = log[log["arm"].isin(list(weights))]
    expected = _expected_shares(log, weights)
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
    if served.sum():
        table["expected_share"] = expected / expected.sum()
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
    elif min(len(a), len(b)) < max(min_labelled, horizon):
        rec = "keep collecting"
        need = max(min_labelled, horizon)
        why = f"too few labelled predictions ({len(a)} and {len(b)}; need {need} per arm"
        why += ", the fixed horizon)" if horizon > min_labelled else ")"
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
