"""Behavioural features derived from the event log, as of each row's timestamp.

Point-in-time: an event counts for a row only if it happened at or before that row's
timestamp and within the lookback window, so no future information leaks into training.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LOOKBACK_DAYS = 365
EVENT_COLUMNS = ("event_timestamp", "event_type", "amount")

# name -> how it is computed; `make_behaviour_features` returns exactly these columns
BEHAVIOUR_FEATURES = {
    "total_purchases": "purchases within the lookback window",
    "avg_purchase_value": "mean purchase amount within the window (0 when none)",
    "days_since_last_purchase": "days since the last purchase (lookback + 1 when none)",
    "purchases_90d": "purchases within the last 90 days",
    "support_contacts_90d": "support contacts within the last 90 days",
    "plan_changes_365d": "plan changes within the window",
}


def make_behaviour_features(
    entities: pd.DataFrame,
    events: pd.DataFrame,
    id_column: str,
    timestamp_column: str,
    lookback_days: int = LOOKBACK_DAYS,
) -> pd.DataFrame:
    """Return one row per (id, timestamp) of `entities` with the BEHAVIOUR_FEATURES columns.

    The result is aligned with `entities` (same index order); rows with no events get the
    documented "none" values rather than NaN.
    """
    missing = [c for c in (id_column, *EVENT_COLUMNS) if c not in events.columns]
    if missing:
        raise KeyError(f"event log is missing columns {missing}")
    keys = entities[[id_column, timestamp_column]].drop_duplicates()
    joined = keys.merge(events, left_on=id_column, right_on=id_column, how="inner")
    age_days = (joined[timestamp_column] - joined["event_timestamp"]).dt.total_seconds() / 86400
    joined = joined.assign(_age=age_days)
    joined = joined[(joined["_age"] >= 0) & (joined["_age"] <= lookback_days)]

    group = [id_column, timestamp_column]
    purchases = joined[joined["event_type"] == "purchase"]
    agg = keys.set_index(group)
    g = purchases.groupby(group)
    agg["total_purchases"] = g.size()
    agg["avg_purchase_value"] = g["amount"].mean().round(2)
    agg["days_since_last_purchase"] = g["_age"].min().round(1)
    agg["purchases_90d"] = purchases[purchases["_age"] <= 90].groupby(group).size()
    support = joined[(joined["event_type"] == "support_contact") & (joined["_age"] <= 90)]
    agg["support_contacts_90d"] = support.groupby(group).size()
    agg["plan_changes_365d"] = joined[joined["event_type"] == "plan_change"].groupby(group).size()

    none_values = {
        "total_purchases": 0,
        "avg_purchase_value": 0.0,
        "days_since_last_purchase": float(lookback_days + 1),
        "purchases_90d": 0,
        "support_contacts_90d": 0,
        "plan_changes_365d": 0,
    }
    agg = agg.fillna(none_values)
    for col in ("total_purchases", "purchases_90d", "support_contacts_90d", "plan_changes_365d"):
        agg[col] = agg[col].astype(np.int64)
    out = entities[group].merge(agg.reset_index(), on=group, how="left")
    out.index = entities.index
    return out[list(BEHAVIOUR_FEATURES)]
