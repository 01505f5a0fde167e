"""The rollout of a challenger, as state on the registered model: the service follows it.

A rollout is a handful of tags on the registered model (`rollout.*`): which version is being
rolled out, its share of traffic, the experiment key that assigns users to arms, when it
started and the last move's reason. `mlcycle rollout` writes them; every service polling the
registry reads them at its next reload, so a ramp (10% -> 50% -> 100%) moves a live service
without a restart, and a roll back takes effect the same way. Completing a rollout moves the
`champion` alias. The ramp's rule (`next_move`) is mlcycle.monitoring.rollout.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from mlcycle.registry.aliases import CHALLENGER, CHAMPION

PREFIX = "rollout."
RUNNING, HELD, ROLLED_BACK, COMPLETE = "running", "held", "rolled back", "complete"
STATUSES = (RUNNING, HELD, ROLLED_BACK, COMPLETE)


class RolloutError(ValueError):
    """A rollout cannot be started or moved (the message says why and what to do)."""


@dataclass(frozen=True)
class Rollout:
    status: str
    version: str  # the challenger version being rolled out
    share: float  # its share of traffic, in percent
    step: int  # index into the ramp
    key: str  # the A/B experiment key: assigns users to arms, scopes the analysis
    started: str  # ISO time (UTC) the experiment started
    reason: str = ""  # why the last move was made

    @property
    def active(self) -> bool:
        """Running or held: the challenger gets its share of traffic."""
        return self.status in (RUNNING, HELD)

    def arms(self) -> str:
        """The traffic split, in the service's arms syntax."""
        if not self.active or self.share <= 0:
            return f"{CHAMPION}=100"
        return f"{CHAMPION}={100 - self.share:g},{CHALLENGER}={self.share:g}"

    def tags(self) -> dict[str, str]:
        return {
            f"{PREFIX}status": self.status,
            f"{PREFIX}version": self.version,
            f"{PREFIX}share": f"{self.share:g}",
            f"{PREFIX}step": str(self.step),
            f"{PREFIX}key": self.key,
            f"{PREFIX}started": self.started,
            f"{PREFIX}reason": self.reason[:4000],
        }

    @classmethod
    def from_tags(cls, tags: dict[str, str]) -> Rollout | None:
        if tags.get(f"{PREFIX}status") not in STATUSES:
            return None
        try:
            return cls(
                status=tags[f"{PREFIX}status"],
                version=tags[f"{PREFIX}version"],
                share=float(tags[f"{PREFIX}share"]),
                step=int(tags[f"{PREFIX}step"]),
                key=tags[f"{PREFIX}key"],
                started=tags[f"{PREFIX}started"],
                reason=tags.get(f"{PREFIX}reason", ""),
            )
        except (KeyError, ValueError):
            return None  # half-written by hand: treated as no rollout (champion only)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def rollout_of(registered_model: Any) -> Rollout | None:
    """The rollout recorded on a registered model (MLflow's RegisteredModel), if any."""
    return Rollout.from_tags(dict(registered_model.tags or {}))


def read_rollout(client: Any, name: str) -> Rollout | None:
    return rollout_of(client.get_registered_model(name))


def write_rollout(client: Any, name: str, rollout: Rollout) -> Rollout:
    for key, value in rollout.tags().items():
        client.set_registered_model_tag(name, key, value)
    return rollout


def start_rollout(client: Any, name: str, first_share: float, reason: str = "") -> Rollout:
    """Start rolling the `challenger` out at `first_share` percent, under a new experiment key."""
    from mlcycle.registry.aliases import alias_versions

    versions = alias_versions(client, name, (CHAMPION, CHALLENGER))
    challenger, champion = versions[CHALLENGER], versions[CHAMPION]
    if challenger is None:
        raise RolloutError(f"'{name}' has no challenger to roll out: register one first")
    if challenger == champion:
        raise RolloutError(f"version {challenger} of '{name}' is already the champion")
    current = read_rollout(client, name)
    if current is not None and current.active:
        raise RolloutError(
            f"the rollout of version {current.version} is {current.status} at {current.share:g}%:"
            " complete or roll it back first (mlcycle rollout complete | rollback)"
        )
    started = now_iso()
    stamp = started.replace("-", "").replace(":", "").removesuffix("+0000")
    rollout = Rollout(RUNNING, challenger, float(first_share), 0, f"{name}-v{challenger}-{stamp}",
                      started, reason or f"started at {first_share:g}%")  # fmt: skip
    return write_rollout(client, name, rollout)


def move(client: Any, name: str, rollout: Rollout, **changes: Any) -> Rollout:
    """Write the rollout with `changes` (status, share, step, reason)."""
    return write_rollout(client, name, replace(rollout, **changes))


def complete(client: Any, name: str, rollout: Rollout, reason: str) -> Rollout:
    """The challenger becomes the champion; all traffic goes to it."""
    client.set_registered_model_alias(name, CHAMPION, rollout.version)
    return move(client, name, rollout, status=COMPLETE, share=100.0, reason=reason)


def roll_back(client: Any, name: str, rollout: Rollout, reason: str) -> Rollout:
    """All traffic back to the champion; the challenger keeps its alias for inspection."""
    return move(client, name, rollout, status=ROLLED_BACK, share=0.0, reason=reason)
