import pytest

from mlcycle.monitoring.policy import RetrainPolicy, decide


def test_drift_triggers_and_says_so():
    d = decide(RetrainPolicy(), dataset_drift=True, drift_share=0.6)
    assert d.retrain and d.reasons[0] == "retrain: dataset drift (60% of columns drifted)"


def test_nothing_fires_and_every_check_is_explained():
    policy = RetrainPolicy(min_metric=0.8, max_age_days=30)
    d = decide(policy, dataset_drift=False, drift_share=0.1, metric_value=0.85, labelled=500,
               model_age_days=7)  # fmt: skip
    assert not d.retrain
    assert d.reasons == [
        "no trigger fired",
        "no dataset drift (10% of columns drifted)",
        "accuracy 0.8500 at or above 0.8",
        "champion 7 days old (max 30)",
    ]


@pytest.mark.parametrize(
    "kwargs, fires",
    [
        ({"metric_value": 0.7, "labelled": 500}, "retrain: accuracy 0.7000 below 0.8"),
        ({"metric_value": 0.7, "labelled": 5}, None),  # too few labels to judge
        ({"model_age_days": 90}, "retrain: champion 90 days old (max 30)"),
    ],
)
def test_metric_and_age_triggers(kwargs, fires):
    d = decide(RetrainPolicy(min_metric=0.8, max_age_days=30), **kwargs)
    assert d.retrain == (fires is not None)
    if fires:
        assert d.reasons[0] == fires
    else:
        assert any("not judged: 5 labelled predictions (need 100)" in r for r in d.reasons)


def test_drift_can_be_switched_off_and_unknown_keys_are_named():
    assert not decide(RetrainPolicy(on_dataset_drift=False), dataset_drift=True).retrain
    with pytest.raises(ValueError, match=r"unknown retrain policy key\(s\) \['min_acc'\]"):
        RetrainPolicy.from_dict({"min_acc": 0.8})
    assert RetrainPolicy.from_dict({"min_metric": 0.8}).min_metric == 0.8


def test_a_regressors_error_is_watched_against_a_ceiling_by_default_relative_to_its_test_error():
    policy = RetrainPolicy(min_metric=0.8, max_error_ratio=1.5)  # env.yaml's shape
    assert policy.watched("regression") == "mae" and policy.watched("multiclass") == "accuracy"
    worse = decide(policy, metric_value=160.0, labelled=500, task="regression", test_value=100.0)
    assert worse.retrain and worse.figures["mae"] == 160.0
    assert "retrain: mae 160.0000 above 1.5x its test set's 100" in worse.reasons
    fine = decide(policy, metric_value=140.0, labelled=500, task="regression", test_value=100.0)
    assert not fine.retrain and "mae 140.0000 not above 1.5x its test set's 100" in fine.reasons
    # lower is better: a small error never fires, however far below the floor of accuracy
    assert not decide(policy, metric_value=0.1, labelled=500, task="regression",
                      test_value=100.0).retrain  # fmt: skip
    unknown = decide(policy, metric_value=500.0, labelled=500, task="regression")
    assert (
        not unknown.retrain
        and "mae not judged: the champion's test mae is unknown" in unknown.reasons
    )
    fixed = RetrainPolicy(max_metric=120.0)
    assert decide(fixed, metric_value=121.0, labelled=500, task="regression").retrain
    assert "MAE above 120" in fixed.describe("regression")
    assert "MAE above 1.5x the champion's test MAE" in policy.describe("regression")
    assert "accuracy below 0.8" in policy.describe("multiclass")


def test_a_metric_a_task_cannot_measure_is_refused_by_name():
    with pytest.raises(
        ValueError, match="retrain_policy.metric 'accuracy' is not measured for a regression"
    ):
        RetrainPolicy(metric="accuracy").watched("regression")
    assert RetrainPolicy(metric="rmse").watched("regression") == "rmse"
