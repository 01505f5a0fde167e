import numpy as np
import pandas as pd
import pytest

from mlcycle.monitoring.ab_analysis import analyse, two_proportion_z


def synthetic_log(n, weights, accuracy, seed, labelled_share=1.0):
    """A prediction log: arms drawn with `weights`, each prediction right with its arm's
    accuracy; outcomes for `labelled_share` of rows."""
    rng = np.random.default_rng(seed)
    arms = rng.choice(list(weights), n, p=np.array(list(weights.values())) / sum(weights.values()))
    prediction = rng.integers(0, 2, n)
    right = rng.random(n) < np.array([accuracy[a] for a in arms])
    outcome = np.where(right, prediction, 1 - prediction).astype(float)
    outcome[rng.random(n) >= labelled_share] = np.nan
    return pd.DataFrame({"arm": arms, "prediction": prediction, "outcome": outcome})


WEIGHTS = {"champion": 50, "challenger": 50}


def test_a_planted_improvement_is_found():
    log = synthetic_log(6000, WEIGHTS, {"champion": 0.80, "challenger": 0.85}, seed=1)
    result = analyse(log, WEIGHTS)
    assert result.recommendation == "promote the challenger" and result.p_value < 0.05
    assert result.ci_low < 0.05 < result.ci_high and result.ci_low > 0
    assert not result.srm


def test_a_planted_regression_keeps_the_champion():
    log = synthetic_log(6000, WEIGHTS, {"champion": 0.85, "challenger": 0.80}, seed=2)
    assert analyse(log, WEIGHTS).recommendation == "keep the champion"


def test_no_effect_is_found_at_the_configured_rate():
    """With equal arms, the z-test rejects in about alpha of repeated experiments."""
    rejections = 0
    for seed in range(400):
        log = synthetic_log(2000, WEIGHTS, {"champion": 0.8, "challenger": 0.8}, seed=seed)
        a = log[log["arm"] == "champion"]
        b = log[log["arm"] == "challenger"]
        _, p = two_proportion_z(
            int((a.prediction == a.outcome).sum()), len(a),
            int((b.prediction == b.outcome).sum()), len(b),
        )  # fmt: skip
        rejections += p < 0.05
    assert 0.02 < rejections / 400 < 0.09
    no_effect = synthetic_log(3000, WEIGHTS, {"champion": 0.8, "challenger": 0.8}, seed=11)
    result = analyse(no_effect, WEIGHTS)
    assert result.recommendation == "keep collecting" and result.p_value >= 0.05


def test_sample_ratio_mismatch_is_flagged_before_anything_else():
    skewed = synthetic_log(5000, {"champion": 60, "challenger": 40},
                           {"champion": 0.8, "challenger": 0.9}, seed=3)  # fmt: skip
    result = analyse(skewed, {"champion": 90, "challenger": 10})
    assert result.srm and result.srm_p_value < 0.001
    assert result.recommendation == "investigate the split"
    fine = synthetic_log(5000, {"champion": 90, "challenger": 10},
                         {"champion": 0.8, "challenger": 0.8}, seed=4)  # fmt: skip
    assert not analyse(fine, {"champion": 90, "challenger": 10}).srm


def test_too_few_labels_means_keep_collecting():
    log = synthetic_log(3000, WEIGHTS, {"champion": 0.7, "challenger": 0.9}, seed=5,
                        labelled_share=0.05)  # fmt: skip
    result = analyse(log, WEIGHTS, min_labelled=200)
    assert result.recommendation == "keep collecting" and "too few labelled" in result.why
    assert result.arms.loc["champion", "labelled"] < 200


def test_a_log_without_outcomes_is_named():
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['outcome'\]"):
        analyse(pd.DataFrame({"arm": [], "prediction": []}), WEIGHTS)


def test_an_empty_log_recommends_collecting_and_serialises_as_json():
    import json

    empty = pd.DataFrame(columns=["arm", "prediction", "outcome"])
    result = analyse(empty, WEIGHTS)
    assert result.recommendation == "keep collecting"
    text = json.dumps(result.to_dict(), allow_nan=False)  # no NaN in the JSON
    assert json.loads(text)["difference"] is None


def test_only_the_experiments_randomised_rows_count():
    from mlcycle.monitoring.ab_analysis import scope

    log = synthetic_log(3000, WEIGHTS, {"champion": 0.8, "challenger": 0.9}, seed=6)
    log["experiment"] = np.where(np.arange(3000) < 2000, "exp-2", "exp-1")
    log["assignment"] = np.where(np.arange(3000) % 10 == 0, "no user id", "randomised")
    rows = scope(log, "exp-2")
    assert len(rows) == 1800  # 2000 of exp-2, less every tenth without a user id
    assert set(rows["experiment"]) == {"exp-2"} and set(rows["assignment"]) == {"randomised"}
    assert scope(log.drop(columns="experiment"), "exp-2").empty


def test_expected_shares_follow_the_split_each_row_was_served_under():
    """A ramp: 1000 rows at 10 %, then 1000 at 50 %. Checked against the final 50/50 split
    the arms would look mismatched; against their own splits they are not."""
    first = synthetic_log(1000, {"champion": 90, "challenger": 10},
                          {"champion": 0.8, "challenger": 0.8}, seed=7)  # fmt: skip
    second = synthetic_log(1000, WEIGHTS, {"champion": 0.8, "challenger": 0.8}, seed=8)
    ramp = pd.concat([first.assign(split="champion=90,challenger=10"),
                      second.assign(split="champion=50,challenger=50")])  # fmt: skip
    assert not analyse(ramp, WEIGHTS).srm
    assert analyse(ramp.drop(columns="split"), WEIGHTS).srm


def test_fixed_horizon_from_a_power_calculation():
    from mlcycle.monitoring.ab_analysis import fixed_horizon

    # a textbook figure: 0.80 -> 0.85 at alpha 0.05, power 0.8 needs ~900 per arm
    assert 850 < fixed_horizon(0.80, 0.05) < 950
    assert fixed_horizon(0.80, 0.02) > 4 * fixed_horizon(0.80, 0.05)  # ~1/effect^2
    assert fixed_horizon(0.99, 0.05) > 0  # near 1: measured downwards
    log = synthetic_log(6000, WEIGHTS, {"champion": 0.80, "challenger": 0.85}, seed=1)
    early = analyse(log, WEIGHTS, horizon=fixed_horizon(0.80, 0.01))
    assert early.recommendation == "keep collecting" and "fixed horizon" in early.why


def regression_log(n, spread, seed):
    """A regressor's log: each arm's residuals normal with its own spread."""
    rng = np.random.default_rng(seed)
    arms = rng.choice(list(spread), n)
    outcome = rng.normal(100, 30, n)
    prediction = outcome + rng.normal(0, 1, n) * np.array([spread[a] for a in arms])
    return pd.DataFrame({"arm": arms, "prediction": prediction, "outcome": outcome,
                         "task": "regression"})  # fmt: skip


def test_a_regressor_is_judged_on_its_absolute_errors_with_welchs_t():
    from scipy import stats

    better = analyse(regression_log(4000, {"champion": 10, "challenger": 8}, 3), WEIGHTS)
    assert better.metric == "mae" and better.test == "Welch's t"
    assert better.recommendation == "promote the challenger" and better.difference < 0
    assert "mean absolute error is lower by" in better.why
    assert "accuracy" not in better.arms.columns and better.arms["mae"].notna().all()
    log = regression_log(4000, {"champion": 10, "challenger": 8}, 3)
    errors = {arm: (part["prediction"] - part["outcome"]).abs() for arm, part in log.groupby("arm")}
    t = stats.ttest_ind(errors["challenger"], errors["champion"], equal_var=False)
    assert better.p_value == pytest.approx(t.pvalue) and better.z == pytest.approx(t.statistic)
    assert better.ci_low < better.difference < better.ci_high < 0
    worse = analyse(regression_log(4000, {"champion": 8, "challenger": 10}, 4), WEIGHTS)
    assert worse.recommendation == "keep the champion" and "higher by" in worse.why
    same = analyse(regression_log(4000, {"champion": 9, "challenger": 9}, 5), WEIGHTS)
    assert same.recommendation == "keep collecting"


def test_a_multiclass_model_is_judged_by_chi_square_on_right_and_wrong_per_arm():
    rng = np.random.default_rng(6)
    n = 6000
    arms = rng.choice(["champion", "challenger"], n)
    outcome = rng.choice(["basic", "plus", "gold"], n)
    right = rng.random(n) < np.where(arms == "challenger", 0.75, 0.70)
    prediction = np.where(right, outcome, np.where(outcome == "gold", "basic", "gold"))
    log = pd.DataFrame({"arm": arms, "prediction": prediction, "outcome": outcome,
                        "task": "multiclass"})  # fmt: skip
    result = analyse(log, WEIGHTS)
    assert result.test == "chi-square" and result.metric == "accuracy"
    assert result.recommendation == "promote the challenger"
    a, b = (right[arms == arm] for arm in ("champion", "challenger"))
    _, z_p = two_proportion_z(int(a.sum()), len(a), int(b.sum()), len(b))
    assert result.p_value == pytest.approx(z_p)  # two arms: the same test as the z-test
    assert result.z == pytest.approx(two_proportion_z(int(a.sum()), len(a), int(b.sum()),
                                                      len(b))[0] ** 2)  # fmt: skip


def test_a_regressors_horizon_gives_the_power_it_promises():
    """At the horizon for a 10% lower mean absolute error, Welch's test finds it about 80%
    of the time (simulated with normal residuals)."""
    from scipy import stats

    from mlcycle.monitoring.ab_analysis import fixed_horizon

    n = fixed_horizon(0.0, 0.10, 0.05, 0.8, task="regression")
    assert fixed_horizon(0.0, 0.05, 0.05, 0.8, task="regression") > 3 * n
    rng = np.random.default_rng(7)
    found = 0
    for _ in range(300):
        a = np.abs(rng.normal(0, 10, n))
        b = np.abs(rng.normal(0, 9, n))  # a 10% smaller spread: a 10% smaller mean |error|
        found += stats.ttest_ind(b, a, equal_var=False).pvalue < 0.05
    assert 0.72 <= found / 300 <= 0.88
