"""Example "user" tables: what a team's own exports might look like, one per task.

Other column names, string ids, string labels, no timestamp and no event log: the shape the
dataset config has to cope with. `mlcycle example-data [DIR]` writes them as CSV where their
configs read them, for trying `make run DATASET=...`:

* `accounts.csv` (config/datasets/example_user.yaml): churned or not, a binary target;
* `spend.csv` (example_regression.yaml): what an account spends next quarter, a number;
* `next_plan.csv` (example_multiclass.yaml): the plan an account is on a quarter later, or
  `cancelled`: four classes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlcycle.data.generator import generate_customers
from mlcycle.features.behaviour import make_behaviour_features


def user_table(n: int = 5000, seed: int = 11) -> pd.DataFrame:
    """Whether an account left: `status` is `left` or `stayed` (binary)."""
    df = _accounts(n, seed)
    return pd.DataFrame(
        {
            **_described(df),
            "contract_kind": df["contract"],
            "paid_with": df["payment_method"],
            "status": df["churned"].map({1: "left", 0: "stayed"}),
        }
    )


def _accounts(n: int, seed: int) -> pd.DataFrame:
    """The generator's customers with their behaviour features."""
    data = generate_customers(n, seed=seed)
    feats = make_behaviour_features(data.customers, data.events, "customer_id", "snapshot_ts")
    return pd.concat([data.customers, feats], axis=1)


def _described(df: pd.DataFrame) -> dict[str, pd.Series]:
    """The columns every example table has, under the names a team's export might use."""
    return {
        "account": "acct-" + df["customer_id"].str[1:],
        "years_old": df["age"],
        "yearly_income": df["income"],
        "months_active": df["tenure_months"],
        "bill": df["monthly_charges"],
        "recent_orders": df["purchases_90d"],
        "tickets": df["support_contacts_90d"],
    }


def spend_table(n: int = 5000, seed: int = 12) -> pd.DataFrame:
    """Next quarter's spend per account: three months of its bill unless it leaves, plus its
    recent orders at its usual order value, with noise; rounded to cents, never negative."""
    df = _accounts(n, seed)
    rng = np.random.default_rng(seed)
    stays = 1 - 0.8 * df["churned"]
    orders = df["purchases_90d"] * df["avg_purchase_value"].fillna(0) * rng.uniform(0.7, 1.3, n)
    spend = 3 * df["monthly_charges"] * stays + orders + rng.normal(0, 15, n)
    return pd.DataFrame(
        {
            **_described(df),
            "order_value": df["avg_purchase_value"].round(2),
            "plan": df["plan_type"],
            "contract_kind": df["contract"],
            "next_quarter_spend": spend.clip(lower=0).round(2),
        }
    )


def next_plan_table(n: int = 5000, seed: int = 13) -> pd.DataFrame:
    """The plan an account is on a quarter later: `cancelled` if it left; otherwise its plan,
    one step up for a well-off, active account and one step down for a quiet one, with a
    little noise."""
    df = _accounts(n, seed)
    rng = np.random.default_rng(seed)
    order = ["basic", "standard", "premium"]
    step = np.where(
        (df["income"] > df["income"].quantile(0.6)) & (df["purchases_90d"] >= 3), 1, 0
    ) - np.where(df["purchases_90d"] == 0, 1, 0)
    step = np.where(rng.random(n) < 0.05, rng.integers(-1, 2, n), step)
    level = (df["plan_type"].map(order.index) + step).clip(0, 2)
    plan = np.asarray(order, dtype=object)[level]
    return pd.DataFrame(
        {
            **_described(df),
            "plan": df["plan_type"],
            "contract_kind": df["contract"],
            "next_plan": np.where(df["churned"] == 1, "cancelled", plan),
        }
    )
