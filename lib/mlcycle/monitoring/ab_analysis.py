"""A/B test analysis from the prediction log and its outcomes.

The primary metric follows the task. A classifier's is accuracy (a proportion: correct
predictions among labelled ones): the arms are compared with a two-proportion z-test (binary)
or a chi-square test on correct/incorrect per arm (multiclass; with two arms the same p-value).
A regressor's is the mean absolute error (lower is better): Welch's t-test on the arms'
absolute errors, which does not assume they spread alike. Either way a bootstrap confidence
interval of the difference goes with it, and a chi-square test on how many requests each arm
got catches a broken split (sample ratio mismatch), which invalidates everything else.

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

from mlcycle.task import BINARY, MULTICLASS, REGRESSION, Task

# sd / mean of |e| for normal residuals e: turns a relative change of the mean absolute error
# into a standardised effect for the power calculation
ABS_ERROR_SPREAD = float(np.sqrt(np.pi / 2 - 1))


@dataclass(frozen=True)
class ABResult:
    arms: pd.DataFrame  # per arm: served, labelled, expected share; correct, accuracy or mae
    srm_p_value: float
    srm: bool  # sample ratio mismatch: the split is not what was configured
    difference: float  # challenger - champion, in the metric (accuracy, or mae)
    z: float  # the test's statistic (z, chi-square or Welch's t)
    p_value: float
    ci_low: float
    ci_high: float
    alpha: float
    recommendation: str  # "promote the challenger" | "keep the champion" | "keep collecting" | ...
    why: str
    metric: str = "accuracy"  # accuracy (a classifier) or mae (a regressor)
    test: str = "two-proportion z"

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
    baseline: float, min_effect: float, alpha: float = 0.05, power: float = 0.8,
    task: Task = BINARY,
) -> int:  # fmt: skip
    """Labelled predictions each arm needs to detect, with this power, an accuracy difference
    of `min_effect` from `baseline` (a classifier: two-sided test of two proportions), or a
    relative change of `min_effect` in the mean absolute error (a regressor: Welch's t-test,
    the errors' spread taken as normal residuals give it)."""
    from statsmodels.stats.power import NormalIndPower, TTestIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    if not 0 < min_effect < 1:
        raise ValueError(f"the smallest effect must be within (0, 1), got {min_effect}")
    if task == REGRESSION:
        effect = min_effect / ABS_ERROR_SPREAD
        n = TTestIndPower().solve_power(effect_size=effect, alpha=alpha, power=power, ratio=1.0)
        return int(np.ceil(n))
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
    task: Task | None = None,
) -> ABResult:
    """Compare `treatment` with `control` on the log's labelled predictions; no verdict before
    both arms have `max(min_labelled, horizon)` of them (the fixed horizon). `task`: the
    rows' own (their `task` column; binary for a log from before it) unless given."""
    missing = {"arm", "prediction", "outcome"} - set(log.columns)
    if missing:
        raise ValueError(f"the prediction log lacks column(s) {sorted(missing)}")
    if task is None:
        from mlcycle.monitoring.performance import task_of_log

        task = task_of_log(log)
    metric = "mae" if task == REGRESSION else "accuracy"
    total = sum(weights.values())
    log = log[log["arm"].isin(list(weights))]
    expected = _expected_shares(log, weights)
    arms = []
    scores_by_arm = {}
    for arm in weights:
        rows = log[log["arm"] == arm]
        labelled = rows[rows["outcome"].notna()]
        scores = row_scores(labelled, task)
        scores_by_arm[arm] = scores
        arms.append(
            {
                "arm": arm,
                "served": len(rows),
                "expected_share": weights[arm] / total,
                "labelled": len(labelled),
                **({} if task == REGRESSION else {"correct": int(scores.sum())}),
                metric: float(scores.mean()) if len(scores) else float("nan"),
            }
        )
    table = pd.DataFrame(arms).set_index("arm")
    served = table["served"].to_numpy()
    if served.sum():
        table["expected_share"] = expected / expected.sum()
    srm_p = float(stats.chisquare(served, expected).pvalue) if served.sum() else 1.0
    srm = srm_p < srm_alpha
    a, b = scores_by_arm[control], scores_by_arm[treatment]
    test, (z, p) = compare(a, b, task)
    low, high = bootstrap_ci(a, b, alpha, seed=seed)
    diff = float(b.mean() - a.mean()) if len(a) and len(b) else float("nan")
    need = max(min_labelled, horizon)
    if srm:
        rec = "investigate the split"
        why = (
            f"sample ratio mismatch (chi-square p = {srm_p:.2g} < {srm_alpha}): the arms did "
            "not get the configured shares, so their comparison cannot be trusted"
        )
    elif min(len(a), len(b)) < need:
        rec = "keep collecting"
        why = f"too few labelled predictions ({len(a)} and {len(b)}; need {need} per arm"
        why += ", the fixed horizon)" if horizon > min_labelled else ")"
    else:
        rec, why = _recommendation(metric, diff, p, alpha, low, high)
    return ABResult(table, srm_p, srm, diff, z, p, low, high, alpha, rec, why, metric, test)


def _recommendation(
    metric: str, diff: float, p: float, alpha: float, low: float, high: float
) -> tuple[str, str]:
    """The verdict once both arms reached the horizon, in the metric's words: accuracy in
    percentage points (higher is better), the mean absolute error in the target's units."""
    if metric == "mae":
        shown, better = (lambda d: f"{d:+.4g}"), diff < 0  # noqa: E731
    else:
        shown, better = (lambda d: f"{d:+.2%}"), diff > 0  # noqa: E731
    interval = f"{1 - alpha:.0%} interval {shown(low)} to {shown(high)}"
    if p >= alpha:
        return (
            "keep collecting",
            f"no significant difference yet ({shown(diff)}, p = {p:.2g} >= {alpha}; {interval})",
        )
    if better:
        if metric == "mae":
            why = f"the challenger's mean absolute error is lower by {abs(diff):.4g}"
        else:
            why = f"the challenger is more accurate by {shown(diff)}"
        return "promote the challenger", f"{why} (p = {p:.2g} < {alpha}; {interval})"
    if metric == "mae":
        why = f"the challenger's mean absolute error is higher by {abs(diff):.4g}"
    else:
        why = f"the challenger is less accurate by {shown(diff)}"
    return "keep the champion", f"{why} (p = {p:.2g} < {alpha})"


def row_scores(labelled: pd.DataFrame, task: Task) -> np.ndarray:
    """Per labelled prediction, what the arms are compared on: 1 or 0 for right or wrong (a
    classifier), or the absolute error (a regressor)."""
    if task == REGRESSION:
        error = labelled["prediction"].astype(float) - labelled["outcome"].astype(float)
        return error.abs().to_numpy(dtype=float)
    return (labelled["prediction"] == labelled["outcome"]).to_numpy(dtype=float)


def compare(a: np.ndarray, b: np.ndarray, task: Task) -> tuple[str, tuple[float, float]]:
    """The task's test of the two arms' scores: (its name, (statistic, two-sided p))."""
    if task == REGRESSION:
        if min(len(a), len(b)) < 2:
            return "Welch's t", (0.0, 1.0)
        t = stats.ttest_ind(b, a, equal_var=False)
        return "Welch's t", (float(t.statistic), float(t.pvalue))
    if task == MULTICLASS:
        table = [[a.sum(), len(a) - a.sum()], [b.sum(), len(b) - b.sum()]]
        if min(len(a), len(b)) == 0 or 0 in np.sum(table, axis=0):
            return "chi-square", (0.0, 1.0)
        chi2, p, *_ = stats.chi2_contingency(table, correction=False)
        return "chi-square", (float(chi2), float(p))
    return "two-proportion z", two_proportion_z(int(a.sum()), len(a), int(b.sum()), len(b))
