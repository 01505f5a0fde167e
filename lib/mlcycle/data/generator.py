"""A seeded, realistic customer base with an event history and a hidden churn ground truth.

Churn is driven by a latent risk that the model never sees directly: it shows through the
profile (contract, tenure, price) and through behaviour (fewer purchases lately, more support
contacts). Labels are drawn from that risk with noise, so the problem is learnable but not
trivially separable. Drift knobs shift distributions, add a category and change a relationship,
so monitoring has real drift to find.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

PLANS = ("basic", "standard", "premium")
PLAN_PRICE = {"basic": 19.0, "standard": 39.0, "premium": 69.0}
CONTRACTS = ("monthly", "annual", "two_year")
PAYMENTS = ("card", "bank_transfer", "paypal", "invoice")
NEW_PAYMENT = "crypto_wallet"  # the category drift introduces
REGIONS = ("north", "south", "east", "west")
EVENT_TYPES = ("purchase", "support_contact", "plan_change")
HISTORY_DAYS = 365


@dataclass(frozen=True)
class Drift:
    """How far a generated population departs from the reference one.

    shift: 0..1, moves distributions (younger, lower income, more monthly contracts, pricier).
    new_category: share of customers paying with a payment method unseen in training.
    relationship: 0..1, how strongly price sensitivity replaces tenure as the churn driver.
    """

    shift: float = 0.0
    new_category: float = 0.0
    relationship: float = 0.0

    def __post_init__(self) -> None:
        for name in ("shift", "new_category", "relationship"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"drift.{name} must be within [0, 1], got {value}")


@dataclass(frozen=True)
class GeneratedData:
    customers: pd.DataFrame  # one row per customer: id, snapshot time, profile, label
    events: pd.DataFrame  # customer_id, event_timestamp, event_type, amount


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def generate_customers(
    n_customers: int,
    snapshot_date: str = "2026-06-30",
    seed: int = 42,
    drift: Drift | None = None,
    id_prefix: str = "C",
) -> GeneratedData:
    """Generate `n_customers` as of `snapshot_date`, their last year of events and churn labels.

    The label says whether the customer churns within 90 days after the snapshot.
    """
    if n_customers < 1:
        raise ValueError(f"n_customers must be at least 1, got {n_customers}")
    drift = drift or Drift()
    rng = np.random.default_rng(seed)
    n = n_customers
    snapshot = pd.Timestamp(snapshot_date)

    # --- profile -------------------------------------------------------------------------
    age = np.clip(rng.normal(44 - 8 * drift.shift, 13, n), 18, 90).round()
    income = np.exp(rng.normal(np.log(52_000) + 0.004 * (age - 44) - 0.3 * drift.shift, 0.45, n))
    income = income.round(-2)
    gender = rng.choice(["female", "male", "other"], n, p=[0.49, 0.49, 0.02])
    plan_logits = np.stack(
        [np.zeros(n), 0.00002 * (income - 52_000) + 0.2, 0.00004 * (income - 52_000) - 0.9]
    )
    plan_p = np.exp(plan_logits) / np.exp(plan_logits).sum(axis=0)
    plan_idx = (rng.random(n)[None, :] > np.cumsum(plan_p, axis=0)).sum(axis=0)
    plan_type = np.asarray(PLANS)[np.minimum(plan_idx, 2)]
    contract_p = np.array([0.5 + 0.25 * drift.shift, 0.32 - 0.15 * drift.shift, 0.0])
    contract_p[2] = 1 - contract_p[:2].sum()
    contract = rng.choice(CONTRACTS, n, p=contract_p)
    payment = rng.choice(PAYMENTS, n, p=[0.45, 0.25, 0.2, 0.1]).astype(object)
    if drift.new_category > 0:
        payment[rng.random(n) < drift.new_category] = NEW_PAYMENT
    region = rng.choice(REGIONS, n, p=[0.3, 0.25, 0.25, 0.2])
    tenure_months = np.minimum(rng.gamma(1.6, 16, n), 120).round().astype(int)
    price = np.vectorize(PLAN_PRICE.get)(plan_type) * (1 + 0.15 * drift.shift)
    monthly_charges = (price * rng.uniform(0.9, 1.25, n)).round(2)

    # --- hidden churn risk -----------------------------------------------------------------
    w_rel = drift.relationship
    risk = (
        -0.55
        + 1.5 * (contract == "monthly")
        - 1.1 * (contract == "two_year")
        - (1 - w_rel) * 0.045 * tenure_months
        + (0.5 + 3.0 * w_rel) * (monthly_charges - 40) / 25
        - 0.35 * (income - 52_000) / 20_000
        - 0.015 * (age - 44)
        + 0.4 * (payment == "invoice")
        + 0.6 * (payment == NEW_PAYMENT)
        + rng.normal(0, 0.4, n)  # unobserved taste
    )

    # --- behaviour: the risk shows through events --------------------------------------------
    engagement = rng.gamma(3.0, 1.0, n) * (1.0 + 0.3 * (plan_type == "premium"))
    base_rate = 0.5 * engagement / 30.0  # purchases per day
    recent_factor = np.exp(-0.9 * np.maximum(risk, -0.5))  # risky customers fade out lately
    support_rate = 0.35 * np.exp(0.6 * risk) / 30.0
    start_day = np.maximum(-HISTORY_DAYS, -tenure_months * 30)  # no events before signup

    frames = []
    ids = np.array([f"{id_prefix}{i:07d}" for i in range(1, n + 1)])
    old_lo = start_day.astype(float)  # older history: signup (or a year ago) .. 90 days ago
    old_span = np.clip(-90.0 - old_lo, 0, None)
    recent_lo = np.maximum(old_lo, -90.0)  # the last 90 days before the snapshot
    recent_span = -recent_lo
    for kind, rate_old, rate_recent in (
        ("purchase", base_rate, base_rate * recent_factor),
        ("support_contact", support_rate * 0.7, support_rate * 1.5),
    ):
        for lo, span, rate in ((old_lo, old_span, rate_old), (recent_lo, recent_span, rate_recent)):
            owner = np.repeat(np.arange(n), rng.poisson(rate * span))
            offset = lo[owner] + rng.random(owner.size) * span[owner]
            amount = (
                rng.lognormal(np.log(25 + 0.3 * monthly_charges[owner]), 0.5)
                if kind == "purchase"
                else np.zeros(owner.size)
            )
            frames.append(
                pd.DataFrame(
                    {
                        "customer_id": ids[owner],
                        "event_timestamp": snapshot + pd.to_timedelta(offset, unit="D"),
                        "event_type": kind,
                        "amount": np.round(amount, 2),
                    }
                )
            )
    n_changes = rng.poisson(0.3 + 0.25 * np.maximum(risk, 0))
    owner = np.repeat(np.arange(n), n_changes)
    span = -start_day[owner].astype(float)
    frames.append(
        pd.DataFrame(
            {
                "customer_id": ids[owner],
                "event_timestamp": snapshot
                - pd.to_timedelta(rng.random(owner.size) * span, unit="D"),
                "event_type": "plan_change",
                "amount": 0.0,
            }
        )
    )
    events = (
        pd.concat(frames, ignore_index=True)
        .sort_values(["customer_id", "event_timestamp"], kind="stable")
        .reset_index(drop=True)
    )
    # the generator makes event times strictly before the snapshot; round for readability
    events["event_timestamp"] = events["event_timestamp"].dt.floor("s")

    churned = (rng.random(n) < _sigmoid(3.0 * risk)).astype(int)
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "snapshot_ts": snapshot,
            "age": age.astype(int),
            "income": income,
            "gender": gender,
            "region": region,
            "plan_type": plan_type,
            "contract": contract,
            "payment_method": payment.astype(str),
            "tenure_months": tenure_months,
            "monthly_charges": monthly_charges,
            "churned": churned,
        }
    )
    return GeneratedData(customers=customers, events=events)


def generate_world(
    n_customers: int,
    snapshot_date: str = "2026-06-30",
    seed: int = 42,
    drift: Drift | None = None,
    weekly_customers: int = 0,
    drift_from_week: int = 0,
    until: str | pd.Timestamp | None = None,
) -> GeneratedData:
    """The generator's world as known at `until`: the first `n_customers` as of
    `snapshot_date`, then `weekly_customers` new ones every week after it (week k's snapshot is
    `snapshot_date` + k weeks), up to and including `until`.

    The world is the same whatever `until` is (week k always has seed `seed + k`), so a later
    `until` only adds rows: that is what makes a weekly build learn from what is new.
    `drift` applies to the weeks from `drift_from_week` on (0: to everyone, the first snapshot
    included).
    """
    snapshot = pd.Timestamp(snapshot_date)
    weeks = 0
    if until is not None and weekly_customers > 0:
        weeks = max(0, (pd.Timestamp(until) - snapshot).days // 7)
    parts = []
    for week in range(weeks + 1):
        drifted = drift if week >= drift_from_week else None
        if week == 0:
            parts.append(generate_customers(n_customers, snapshot_date, seed, drifted))
            continue
        at = (snapshot + pd.Timedelta(weeks=week)).date().isoformat()
        prefix = f"W{week:03d}-"
        parts.append(generate_customers(weekly_customers, at, seed + week, drifted, prefix))
    if len(parts) == 1:
        return parts[0]
    return GeneratedData(
        customers=pd.concat([p.customers for p in parts], ignore_index=True),
        events=pd.concat([p.events for p in parts], ignore_index=True),
    )
