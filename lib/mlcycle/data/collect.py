"""Collect: bring the raw data in, from the built-in generator or a user's file.

The output is always the same pair of tables: the entity table (one row per id and snapshot,
with the target) and an event log (empty for static tables). No cleaning happens here; that is
validation's job, so what was collected is exactly what the source held.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

import pandas as pd

from mlcycle.column_rules import MISSING_TEXT
from mlcycle.config import LOAD_TIME_COLUMN, DatasetConfig
from mlcycle.data.as_of import TimeWindow, select_known
from mlcycle.data.generator import Drift, generate_world

EMPTY_EVENTS_COLUMNS = ("event_timestamp", "event_type", "amount")
GENERATORS = ("customer_churn",)


class SourceError(RuntimeError):
    """The source named in the dataset config cannot be read."""


@dataclass(frozen=True)
class Collected:
    entities: pd.DataFrame
    events: pd.DataFrame
    source: str  # human-readable description of where the data came from
    window: TimeWindow  # what was known at as_of, within the training window
    notes: tuple[str, ...] = ()  # what collect did that a reader should know (e.g. sampling)


def _format(path: str, declared: str | None) -> str:
    if declared:
        return declared
    suffixes = PurePosixPath(path.split("?")[0]).suffixes
    if ".parquet" in suffixes or ".pq" in suffixes:
        return "parquet"
    if ".csv" in suffixes or ".tsv" in suffixes:
        return "csv"
    raise SourceError(f"cannot tell the format of {path!r}: set 'source.format' to csv or parquet")


def read_table(path: str, fmt: str | None = None, read_options: dict | None = None) -> pd.DataFrame:
    """Read a CSV or Parquet file from a local path or any fsspec URI (s3://, gs://, ...)."""
    fmt = _format(path, fmt)
    options = dict(read_options or {})
    try:
        if fmt == "parquet":
            return pd.read_parquet(path, **options)
        # read everything as text-or-number as pandas sees it; validation decides what is wrong.
        # "No value" is the column rules' list, the same at every door.
        if "na_values" not in options and "keep_default_na" not in options:
            options.update(keep_default_na=False, na_values=list(MISSING_TEXT))
        return pd.read_csv(path, **options)
    except FileNotFoundError as exc:
        raise SourceError(f"data file not found: {path}") from exc
    except ImportError as exc:  # e.g. s3fs missing for s3:// URIs
        raise SourceError(f"cannot read {path}: {exc} (install the matching fsspec extra)") from exc


def collect(
    config: DatasetConfig,
    n_customers: int = 20_000,
    snapshot_date: str = "2026-06-30",
    seed: int = 42,
    drift: Drift | None = None,
    max_rows: int | None = None,
    as_of: str | None = None,
    train_window_days: int | None = None,
    weekly_customers: int = 0,
    drift_from_week: int = 0,
) -> Collected:
    """Collect what the dataset named by `config` held at `as_of` (default: its newest
    timestamp), within the training window; generator knobs apply to the built-in source."""
    from mlcycle.data.as_of import parse_as_of

    notes: list[str] = []
    if config.source.is_generator:
        if config.source.generator not in GENERATORS:
            raise SourceError(
                f"unknown generator {config.source.generator!r}; available: {list(GENERATORS)}"
            )
        until = parse_as_of(as_of)
        data = generate_world(
            n_customers, snapshot_date, seed, drift, weekly_customers, drift_from_week, until
        )
        entities, events = data.customers, data.events
        weekly = (
            f", {weekly_customers} new a week, drift from week {drift_from_week}"
            if weekly_customers
            else ""
        )
        source = (
            f"built-in generator '{config.source.generator}' "
            f"(n={n_customers}, snapshot={snapshot_date}{weekly}, seed={seed}, "
            f"drift={drift or Drift()})"
        )
    else:
        entities = read_table(config.source.path, config.source.format, config.source.read_options)
        events = pd.DataFrame(
            {config.id: pd.Series(dtype=object)}
            | {c: pd.Series(dtype=object) for c in EMPTY_EVENTS_COLUMNS}
        )
        source = str(config.source.path)
    if config.timestamp is None:
        loaded_at = pd.Timestamp.now().floor("s")
        entities = entities.assign(**{LOAD_TIME_COLUMN: loaded_at})
        notes.append(f"no timestamp column configured: rows are as of the load time {loaded_at}")
        if as_of or train_window_days:
            notes.append("as_of and train_window_days do not apply to a static table")
        window = TimeWindow(str(loaded_at), None, None, 0, 0, 0)
    else:
        entities, events, window = select_known(
            entities, events, config.timestamp, config.id, as_of, train_window_days
        )
        notes.append(window.describe())
    if max_rows is not None and len(entities) > max_rows:
        entities = entities.sample(n=max_rows, random_state=seed).sort_index()
        notes.append(f"sampled {max_rows} of the source's rows (max_rows, seed {seed})")
        if len(events):
            events = events[events[config.id].isin(entities[config.id])]
    return Collected(
        entities.reset_index(drop=True), events.reset_index(drop=True), source, window,
        tuple(notes),
    )  # fmt: skip
