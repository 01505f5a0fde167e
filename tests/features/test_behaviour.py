import pandas as pd
import pytest

from mlcycle.features.behaviour import BEHAVIOUR_FEATURES, make_behaviour_features

SNAP = pd.Timestamp("2026-06-30")


def events(*rows):
    return pd.DataFrame(rows, columns=["cid", "event_timestamp", "event_type", "amount"])


def days_before(n):
    return SNAP - pd.Timedelta(days=n)


def test_aggregates_as_of_the_row_timestamp():
    ev = events(
        ("a", days_before(10), "purchase", 10.0),
        ("a", days_before(100), "purchase", 30.0),
        ("a", days_before(400), "purchase", 999.0),  # outside the 365-day window
        ("a", days_before(5), "support_contact", 0.0),
        ("a", days_before(95), "support_contact", 0.0),  # outside 90 days
        ("a", days_before(200), "plan_change", 0.0),
    )
    ent = pd.DataFrame({"cid": ["a", "b"], "ts": [SNAP, SNAP]})
    out = make_behaviour_features(ent, ev, "cid", "ts")
    assert list(out.columns) == list(BEHAVIOUR_FEATURES)
    a = out.iloc[0]
    assert a["total_purchases"] == 2
    assert a["avg_purchase_value"] == 20.0
    assert a["days_since_last_purchase"] == 10.0
    assert a["purchases_90d"] == 1
    assert a["support_contacts_90d"] == 1
    assert a["plan_changes_365d"] == 1
    # no events: the documented "none" values, never NaN
    b = out.iloc[1]
    assert b["total_purchases"] == 0 and b["avg_purchase_value"] == 0.0
    assert b["days_since_last_purchase"] == 366.0
    assert not out.isna().any().any()


def test_an_event_after_the_row_timestamp_never_reaches_it():
    """Point in time: the same customer at two as-of times sees only its past."""
    ev = events(
        ("a", days_before(20), "purchase", 10.0),
        ("a", days_before(5), "purchase", 500.0),  # after the earlier row's timestamp
    )
    ent = pd.DataFrame({"cid": ["a", "a"], "ts": [days_before(10), SNAP]})
    out = make_behaviour_features(ent, ev, "cid", "ts")
    early, late = out.iloc[0], out.iloc[1]
    assert early["total_purchases"] == 1 and early["avg_purchase_value"] == 10.0
    assert early["days_since_last_purchase"] == 10.0
    assert late["total_purchases"] == 2 and late["avg_purchase_value"] == 255.0


def test_result_is_aligned_with_the_entity_index():
    ev = events(("b", days_before(1), "purchase", 5.0))
    ent = pd.DataFrame({"cid": ["a", "b"], "ts": [SNAP, SNAP]}, index=[10, 3])
    out = make_behaviour_features(ent, ev, "cid", "ts")
    assert list(out.index) == [10, 3]
    assert out.loc[3, "total_purchases"] == 1 and out.loc[10, "total_purchases"] == 0


def test_missing_event_columns_are_named():
    with pytest.raises(KeyError, match="amount"):
        make_behaviour_features(
            pd.DataFrame({"cid": ["a"], "ts": [SNAP]}),
            pd.DataFrame({"cid": ["a"], "event_timestamp": [SNAP], "event_type": ["purchase"]}),
            "cid",
            "ts",
        )
