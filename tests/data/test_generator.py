import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from mlcycle.data.generator import NEW_PAYMENT, Drift, generate_customers
from mlcycle.features.behaviour import make_behaviour_features


def test_same_seed_same_data_other_seed_other_data():
    a = generate_customers(200, seed=1)
    b = generate_customers(200, seed=1)
    c = generate_customers(200, seed=2)
    pd.testing.assert_frame_equal(a.customers, b.customers)
    pd.testing.assert_frame_equal(a.events, b.events)
    assert not a.customers["income"].equals(c.customers["income"])


def test_events_lie_in_the_year_before_the_snapshot():
    data = generate_customers(500, snapshot_date="2026-03-31", seed=3)
    ts = data.events["event_timestamp"]
    snapshot = pd.Timestamp("2026-03-31")
    assert (ts <= snapshot).all()
    assert (ts >= snapshot - pd.Timedelta(days=366)).all()
    assert set(data.events["event_type"]) == {"purchase", "support_contact", "plan_change"}
    assert set(data.events["customer_id"]) <= set(data.customers["customer_id"])


def test_labels_are_noisy_but_learnable():
    data = generate_customers(3000, seed=4)
    rate = data.customers["churned"].mean()
    assert 0.15 < rate < 0.35
    # not trivially separable: even the ground-truth drivers leave errors
    X, y = _design(data)
    model = LogisticRegression(max_iter=2000).fit(X[:2000], y[:2000])
    auc = roc_auc_score(y[2000:], model.predict_proba(X[2000:])[:, 1])
    assert 0.8 < auc < 0.99


def _design(data):
    feats = make_behaviour_features(data.customers, data.events, "customer_id", "snapshot_ts")
    frame = pd.concat([data.customers, feats], axis=1)
    X = pd.get_dummies(frame.drop(columns=["customer_id", "snapshot_ts", "churned"]), dtype=float)
    X = (X - X.mean()) / X.std().replace(0, 1)
    return X, frame["churned"].to_numpy()


def test_drift_knobs_shift_distributions_add_a_category_and_change_the_relationship():
    ref = generate_customers(3000, seed=5)
    shifted = generate_customers(3000, seed=6, drift=Drift(shift=1.0))
    assert shifted.customers["income"].median() < 0.85 * ref.customers["income"].median()
    assert shifted.customers["age"].mean() < ref.customers["age"].mean() - 4

    new_cat = generate_customers(3000, seed=6, drift=Drift(new_category=0.2))
    share = (new_cat.customers["payment_method"] == NEW_PAYMENT).mean()
    assert 0.15 < share < 0.25
    assert NEW_PAYMENT not in set(ref.customers["payment_method"])

    # a model fit on the reference loses ranking power when the relationship changes
    X_ref, y_ref = _design(ref)
    model = LogisticRegression(max_iter=2000).fit(X_ref, y_ref)
    fresh = generate_customers(3000, seed=7)
    changed = generate_customers(3000, seed=7, drift=Drift(relationship=1.0))

    def auc(data):
        X, y = _design(data)
        return roc_auc_score(
            y, model.predict_proba(X.reindex(columns=X_ref.columns, fill_value=0))[:, 1]
        )

    assert auc(changed) < auc(fresh) - 0.05


def test_drift_out_of_range_is_refused():
    with pytest.raises(ValueError, match=r"drift.shift must be within \[0, 1\]"):
        Drift(shift=1.5)
    with pytest.raises(ValueError, match="n_customers"):
        generate_customers(0)


def test_ids_are_unique_strings():
    ids = generate_customers(300, seed=8).customers["customer_id"]
    assert ids.is_unique and ids.map(type).eq(str).all()
    assert np.all(ids.str.startswith("C"))


def test_the_world_only_grows_with_time():
    from mlcycle.data.generator import Drift, generate_world

    first = generate_world(200, "2026-06-30", seed=3, weekly_customers=50, until="2026-06-30")
    later = generate_world(200, "2026-06-30", seed=3, weekly_customers=50, until="2026-07-15")
    assert len(first.customers) == 200
    assert len(later.customers) == 300  # two whole weeks of 50 new customers
    # what was known before is still there, unchanged
    pd.testing.assert_frame_equal(later.customers.head(200), first.customers)
    assert sorted(later.customers["snapshot_ts"].unique().astype(str))[-1].startswith("2026-07-14")
    # drift from week 2: the first week's customers are drawn as before
    drifted = generate_world(
        200, "2026-06-30", seed=3, drift=Drift(1.0, 0.5, 1.0), weekly_customers=50,
        drift_from_week=2, until="2026-07-15",
    )  # fmt: skip
    pd.testing.assert_frame_equal(drifted.customers.head(250), later.customers.head(250))
    assert (drifted.customers["payment_method"].tail(50) == "crypto_wallet").any()
