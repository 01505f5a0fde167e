"""An example "user" table: what a team's own churn export might look like.

Other column names, string ids, string labels, no timestamp and no event log: the shape the
dataset config has to cope with. `mlcycle example-data [DIR]` writes it as CSV beside
config/datasets/example_user.yaml's expectations, for trying `make run DATASET=...`.
"""

from __future__ import annotations

import pandas as pd

from mlcycle.data.generator import generate_customers
from mlcycle.features.behaviour import make_behaviour_features


def user_table(n: int = 5000, seed: int = 11) -> pd.DataFrame:
    data = generate_customers(n, seed=seed)
    feats = make_behaviour_features(data.customers, data.events, "customer_id", "snapshot_ts")
    df = pd.concat([data.customers, feats], axis=1)
    return pd.DataFrame(
        {
            "account": "acct-" + df["customer_id"].str[1:],
            "years_old": df["age"],
            "yearly_income": df["income"],
            "months_active": df["tenure_months"],
            "bill": df["monthly_charges"],
            "recent_orders": df["purchases_90d"],
            "tickets": df["support_contacts_90d"],
            "contract_kind": df["contract"],
            "paid_with": df["payment_method"],
            "status": df["churned"].map({1: "left", 0: "stayed"}),
        }
    )
