"""Gradual rollout: the challenger's share of traffic climbs a ramp (10% -> 50% -> 100%) one
step at a time, and only while it is not worse than the champion.

The challenger arm is listed last, so with a fixed experiment key a user once routed to it
stays on it as its share grows (the hash buckets are cumulative): a ramp never flips people
back and forth.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Ramp:
    steps: tuple[float, ...] = (10.0, 50.0, 100.0)  # challenger share (%) per step

    @classmethod
    def parse(cls, spec: str | list | tuple) -> Ramp:
        """'10,50,100', or a list of numbers (YAML may already have split it)."""
        if not isinstance(spec, str):
            spec = ",".join(str(s) for s in spec)
        try:
            steps = tuple(float(s) for s in spec.split(",") if s.strip())
        except ValueError:
            raise ValueError(f"ramp {spec!r}: expected percentages like 10,50,100") from None
        if not steps or list(steps) != sorted(steps) or steps[0] <= 0 or steps[-1] != 100:
            raise ValueError(f"ramp {spec!r}: increasing percentages ending at 100")
        return cls(steps)

    def arms(self, step: int) -> str:
        """The service's MLCYCLE_AB_ARMS for this step."""
        share = self.steps[step]
        return f"champion={100 - share:g},challenger={share:g}"


@dataclass(frozen=True)
class Move:
    step: int | None  # the next step; None when the rollout ended
    action: str  # "advance" | "hold" | "complete" | "roll back"
    reason: str


def next_move(
    ramp: Ramp,
    step: int,
    champion_accuracy: float | None,
    challenger_accuracy: float | None,
    labelled: int,
    min_labelled: int = 100,
    tolerance: float = 0.0,
) -> Move:
    """Advance one step if the challenger is not worse (within `tolerance`) on enough labelled
    predictions; hold when there are too few; roll back when it is worse."""
    if challenger_accuracy is None or champion_accuracy is None or labelled < min_labelled:
        return Move(
            step, "hold", f"{labelled} labelled challenger predictions (need {min_labelled})"
        )
    gap = challenger_accuracy - champion_accuracy
    figures = f"challenger {challenger_accuracy:.4f} vs champion {champion_accuracy:.4f}"
    if gap < -tolerance:
        return Move(None, "roll back", f"challenger worse: {figures}")
    if step + 1 >= len(ramp.steps):
        return Move(None, "complete", f"challenger at 100% and not worse: {figures}")
    return Move(step + 1, "advance", f"not worse ({figures}): {ramp.steps[step + 1]:g}% next")
