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
