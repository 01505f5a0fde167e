"""Time as a parameter of a build: what was known at `as_of`, within a training window.

A build sees the rows whose timestamp is at or before `as_of` (default: the data's newest
timestamp) and, with `train_window_days`, not older than that many days before it; events after
`as_of` are not seen either. So the same source built with a later `as_of` learns from what is
new, and a build can be replayed as it was on a given day. A static table (no timestamp column)
is as of its load time: nothing is held back.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


class AsOfError(ValueError):
    """`as_of` or the training window cannot be applied to this data."""


def parse_as_of(text: str | None) -> pd.Timestamp | None:
    """'' or None: not set (the data's newest timestamp); else a date or date-time."""
    if text is None or not str(text).strip():
        return None
    try:
        return pd.Timestamp(str(text).strip())
    except ValueError:
        raise AsOfError(
            f"as_of {text!r} is not a date or date-time (e.g. 2026-07-07 or 2026-07-07T12:00)"
        ) from None


def _comparable(stamp: pd.Timestamp, column: pd.Series) -> pd.Timestamp:
    """`stamp` in the column's time zone (a naive stamp is read as UTC for an aware column)."""
    tz = getattr(column.dt, "tz", None)
    if tz is not None and stamp.tzinfo is None:
        return stamp.tz_localize("UTC").tz_convert(tz)
    if tz is None and stamp.tzinfo is not None:
        return stamp.tz_convert("UTC").tz_localize(None)
    return stamp


@dataclass(frozen=True)
class TimeWindow:
    """What a build saw: its `as_of`, the window's start (None: all history) and the rows it
    held back, for the lineage and the report."""

    as_of: str
    window_start: str | None
    train_window_days: int | None
    rows_after_as_of: int
    rows_before_window: int
    events_after_as_of: int

    def describe(self) -> str:
        since = f"from {self.window_start} " if self.window_start else ""
        held = []
        if self.rows_after_as_of:
            held.append(f"{self.rows_after_as_of:,} rows after as_of not seen")
        if self.rows_before_window:
            held.append(f"{self.rows_before_window:,} rows before the window left out")
        return f"data {since}as of {self.as_of}" + (f" ({'; '.join(held)})" if held else "")


def select_known(
    entities: pd.DataFrame,
    events: pd.DataFrame,
    time_column: str,
    id_column: str,
    as_of: str | None = None,
    train_window_days: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, TimeWindow]:
    """The rows and events known at `as_of`, within the window. Rows whose time does not parse
    are kept: validation names them."""
    times = pd.to_datetime(entities[time_column], errors="coerce")
    known = times.notna().any()
    cutoff = parse_as_of(as_of)
    if cutoff is None:
        cutoff = times.max() if known else pd.Timestamp.now().floor("s")
    cutoff = _comparable(cutoff, times) if known else cutoff
    after = times > cutoff
    start = None
    before = pd.Series(False, index=entities.index)
    if train_window_days is not None:
        if train_window_days <= 0:
            raise AsOfError(f"train_window_days must be positive, got {train_window_days}")
        start = cutoff - pd.Timedelta(days=train_window_days)
        before = times <= start
    keep = ~(after | before)
    if not keep.any():
        span = f"{times.min()} .. {times.max()}" if times.notna().any() else "no valid times"
        raise AsOfError(
            f"no rows at or before as_of {cutoff}"
            + (f" within {train_window_days} days" if train_window_days else "")
            + f": the data's '{time_column}' spans {span}"
        )
    events_after = 0
    if len(events) and "event_timestamp" in events.columns:
        event_times = pd.to_datetime(events["event_timestamp"], errors="coerce")
        late = event_times > _comparable(cutoff, event_times)
        events_after = int(late.sum())
        kept_ids = set(entities.loc[keep, id_column])
        events = events[~late & events[id_column].isin(kept_ids)]
    window = TimeWindow(
        as_of=str(cutoff),
        window_start=None if start is None else str(start),
        train_window_days=train_window_days,
        rows_after_as_of=int(after.sum()),
        rows_before_window=int(before.sum()),
        events_after_as_of=events_after,
    )
    return entities[keep], events, window
