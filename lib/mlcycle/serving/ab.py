"""A/B assignment: the same user always lands in the same arm, across restarts and workers.

A keyed hash (HMAC-SHA256 under the experiment key) of the user id, mapped onto the arms'
cumulative weights. Never Python's hash(): it is salted per process. Changing the experiment
key reshuffles everyone, which is how a new experiment starts.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass


@dataclass(frozen=True)
class Arm:
    name: str
    weight: float


def parse_arms(spec: str) -> tuple[Arm, ...]:
    """'champion=90,challenger=10' -> arms; weights are relative and need not sum to 100."""
    arms = []
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        name, sep, weight = part.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"arm {part!r}: expected NAME=WEIGHT, e.g. champion=90")
        try:
            value = float(weight)
        except ValueError:
            raise ValueError(f"arm {name.strip()!r}: weight {weight!r} is not a number") from None
        if value < 0:
            raise ValueError(f"arm {name.strip()!r}: weight {value} is negative")
        arms.append(Arm(name.strip(), value))
    names = [a.name for a in arms]
    if len(set(names)) != len(names):
        raise ValueError(f"arms named twice in {spec!r}")
    if not arms or sum(a.weight for a in arms) <= 0:
        raise ValueError(f"no arm with a positive weight in {spec!r}")
    return tuple(arms)


def bucket(user_id: str, experiment_key: str) -> float:
    """A uniform number in [0, 1) that depends only on the user and the experiment key."""
    digest = hmac.new(experiment_key.encode(), str(user_id).encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign_arm(user_id: str, arms: tuple[Arm, ...], experiment_key: str) -> str:
    total = sum(a.weight for a in arms)
    point = bucket(user_id, experiment_key) * total
    cumulative = 0.0
    for arm in arms:
        cumulative += arm.weight
        if point < cumulative:
            return arm.name
    return next(a.name for a in reversed(arms) if a.weight > 0)  # float rounding at the top
