import math

import numpy as np
import pytest

from mlcycle.training.metrics import (
    calibration_figure,
    classification_metrics,
    confusion,
    confusion_figure,
    is_better,
    roc_figure,
)

Y = np.array([0, 0, 1, 1, 1, 0])
P = np.array([0.1, 0.6, 0.8, 0.4, 0.9, 0.2])


def test_metrics_from_probabilities():
    m = classification_metrics(Y, P)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["roc_auc"] == pytest.approx(8 / 9)
    assert m["log_loss"] > 0
    assert confusion(Y, P) == {"tn": 2, "fp": 1, "fn": 1, "tp": 2}


def test_perfect_and_single_class():
    assert classification_metrics(Y, Y.astype(float))["accuracy"] == 1.0
    assert math.isnan(classification_metrics(np.ones(3), np.full(3, 0.9))["roc_auc"])


def test_direction_of_better():
    assert is_better("roc_auc", 0.9, 0.8)
    assert is_better("log_loss", 0.2, 0.3)
    assert not is_better("log_loss", 0.3, 0.2)


def test_figures_are_drawn():
    for fig in (
        roc_figure(Y, P),
        calibration_figure(Y, P, bins=2),
        confusion_figure(confusion(Y, P)),
    ):
        ax = fig.axes[0]
        assert ax.get_title()
        assert ax.lines or ax.images


def test_group_metrics_find_a_planted_gap_between_groups():
    import pandas as pd

    from mlcycle.training.metrics import MISSING_GROUP, group_metrics, largest_gaps

    rng = np.random.default_rng(0)
    n = 2000
    frame = pd.DataFrame(
        {"gender": rng.choice(["F", "M"], n), "age": rng.integers(18, 90, n).astype(float)}
    )
    frame.loc[:9, "gender"] = None
    y = rng.integers(0, 2, n)
    # right for everyone except one man in four: a gap of about 0.25 on gender only
    wrong = (frame["gender"] == "M").to_numpy() & (rng.random(n) < 0.25)
    proba = np.where(wrong, 1 - y, y).astype(float)
    groups = group_metrics(frame, y, proba, ["gender", "age"], bins=3)
    by = {(g["feature"], g["group"]): g for g in groups}
    assert by[("gender", "F")]["accuracy"] == 1.0
    assert by[("gender", "M")]["accuracy"] == pytest.approx(0.75, abs=0.04)
    assert by[("gender", MISSING_GROUP)]["rows"] == 10
    assert sum(g["rows"] for g in groups if g["feature"] == "gender") == n  # nobody dropped
    ages = [g for g in groups if g["feature"] == "age"]
    assert len(ages) == 3 and sum(g["rows"] for g in ages) == n
    assert ages[0]["group"].startswith("18 to ")
    gaps = largest_gaps(groups)
    assert gaps["gender"] > 0.2 and gaps["age"] < 0.1
    with pytest.raises(KeyError, match=r"sensitive feature\(s\) \['race'\]"):
        group_metrics(frame, y, proba, ["race"])


def test_ranking_reports_precision_gain_and_lift_at_the_top():
    from mlcycle.training.metrics import gain_figure, ranking

    y = [1, 1, 0, 1, 0, 0, 0, 0, 0, 0]  # 3 positives in 10
    proba = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0]
    rows = {r["top_share"]: r for r in ranking(y, proba, shares=(0.2, 0.5))}
    assert rows[0.2] == {"top_share": 0.2, "rows": 2, "precision": 1.0, "gain": 2 / 3,
                         "lift": 1.0 / 0.3}  # fmt: skip
    assert rows[0.5]["gain"] == 1.0 and rows[0.5]["precision"] == 0.6
    assert gain_figure(y, proba, "churned").axes[0].get_ylabel() == "share of all churned found"


def test_regression_metrics_are_errors_in_the_target_units_and_r2():
    from mlcycle.training.metrics import regression_metrics

    m = regression_metrics([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 4.0, 4.0])
    assert m["mae"] == pytest.approx(0.25) and m["rmse"] == pytest.approx(0.5)
    assert m["r2"] == pytest.approx(1 - 1 / 5)  # SSE 1 over the total sum of squares 5
    assert m["mape"] == pytest.approx((1 / 3) / 4)
    assert "mape" not in regression_metrics([0.0, 2.0], [1.0, 2.0])  # undefined at zero


def test_multiclass_metrics_take_labelled_probabilities_and_unknown_labels():
    import pandas as pd

    from mlcycle.training.metrics import multiclass_metrics

    proba = pd.DataFrame({"a": [0.8, 0.1, 0.1], "b": [0.1, 0.8, 0.1], "c": [0.1, 0.1, 0.8]})
    right = multiclass_metrics(["a", "b", "c"], proba)
    assert right["accuracy"] == 1.0 and right["f1_macro"] == 1.0
    assert right["log_loss"] == pytest.approx(-np.log(0.8))
    # the same as an array in a given class order
    assert multiclass_metrics(["a", "b", "c"], proba.to_numpy(), ("a", "b", "c")) == right
    # a label the model never learnt: probability 0 for it, so always wrong
    new = multiclass_metrics(["a", "b", "d"], proba)
    assert new["accuracy"] == pytest.approx(2 / 3) and new["log_loss"] > right["log_loss"]
