"""The dataset config: the one place that names columns.

Everything downstream (validation, features, the model pipeline, serving) reads column names,
types and allowed ranges from here, so pointing the config at another table just works.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mlcycle.dataset_spec import DEFAULT_MAX_MISSING_SHARE, parse_spec
from mlcycle.task import BINARY, DEFAULT_MIN_CLASS_ROWS, Task

LOAD_TIME_COLUMN = "loaded_at"  # the timestamp a static table gets when the config names none
# The largest magnitude a numeric feature may have when scored. scikit-learn's trees and ONNX
# Runtime compute in float32 (max 3.4e38), and a value is scaled before that: 2.4e38 scaled by
# a standard deviation below 1 overflows float32 and scikit-learn raises (found by the API
# contract test). 1e15 leaves that room for any spread, and is beyond any count, amount or
# duration a table holds. Training, batch rows and requests refuse larger values by name.
SCORABLE_MAX = 1e15


class ConfigError(ValueError):
    """The dataset config itself is wrong (names the file and the field)."""


@dataclass(frozen=True)
class NumericFeature:
    name: str
    min: float | None = None
    max: float | None = None
    nullable: bool = True
    max_missing_share: float = DEFAULT_MAX_MISSING_SHARE  # more missing than this fails validation


@dataclass(frozen=True)
class CategoricalFeature:
    name: str
    values: tuple[str, ...] | None = None  # allowed values; None = any
    nullable: bool = True
    max_missing_share: float = DEFAULT_MAX_MISSING_SHARE


@dataclass(frozen=True)
class Target:
    column: str
    positive: Any = None  # binary: label of the positive class; required for string labels
    task: Task | None = None  # None: inferred from the values when the data is validated
    min_class_rows: int = DEFAULT_MIN_CLASS_ROWS  # classification: fewer fails validation

    @property
    def stated_task(self) -> Task | None:
        """The task the config says: `task`, or binary when it names a positive label; None
        when it is left to the data (inferred at validation)."""
        return self.task or (BINARY if self.positive is not None else None)

    @property
    def labels(self) -> tuple[str, str]:
        """(negative, positive) as a reader names them: a text label is its own name
        ("left" / "not left"), a 0/1 target is named by its column ("churned" / "not churned")."""
        positive = self.positive if isinstance(self.positive, str) else self.column
        return f"not {positive}", positive


@dataclass(frozen=True)
class Source:
    """Where `collect` reads the data: the built-in generator or a file / fsspec URI."""

    generator: str | None = None
    path: str | None = None
    format: str | None = None  # csv | parquet; inferred from the extension when None
    read_options: dict[str, Any] = field(default_factory=dict)

    @property
    def is_generator(self) -> bool:
        return self.generator is not None


@dataclass(frozen=True)
class CardText:
    """What the model card says that no metric can: written by the people who own the model."""

    intended_use: str | None = None
    out_of_scope: str | None = None
    limitations: tuple[str, ...] = ()
    ethical_considerations: tuple[str, ...] = ()
    sensitive_features: tuple[str, ...] = ()  # evaluated group by group in the model card


@dataclass(frozen=True)
class DatasetConfig:
    name: str
    source: Source
    id: str
    target: Target
    numeric: tuple[NumericFeature, ...]
    categorical: tuple[CategoricalFeature, ...]
    timestamp: str | None = None
    event_features: tuple[str, ...] = ()  # numeric features derived from the event log
    path: Path | None = None  # the YAML file this came from
    card: CardText = CardText()

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.numeric] + [f.name for f in self.categorical]

    @property
    def numeric_names(self) -> list[str]:
        return [f.name for f in self.numeric]

    @property
    def categorical_names(self) -> list[str]:
        return [f.name for f in self.categorical]

    @property
    def table_features(self) -> list[str]:
        """Features expected in the entity table itself (not derived from events)."""
        return [n for n in self.feature_names if n not in self.event_features]

    @property
    def timestamp_column(self) -> str:
        """The as-of time of each row: the configured column, else the load time."""
        return self.timestamp or LOAD_TIME_COLUMN

    @property
    def model_name(self) -> str:
        return self.name

    def numeric_feature(self, name: str) -> NumericFeature:
        return next(f for f in self.numeric if f.name == name)


def _fail(path: Path | str, message: str) -> ConfigError:
    return ConfigError(f"dataset config {path}: {message}")


def parse_dataset_config(raw: Any, path: Path | str = "<dict>") -> DatasetConfig:
    """Build a DatasetConfig from parsed YAML; every problem is a ConfigError naming the file
    and the key (the schema is `mlcycle.dataset_spec`)."""
    path = Path(path)
    spec, problems = parse_spec(raw)
    if spec is None:
        raise _fail(path, "; ".join(problems))
    if spec.target.positive is not None and spec.target.task not in (None, BINARY):
        raise _fail(
            path,
            f"'target.positive' names the label that counts as 1 in a binary target; a "
            f"{spec.target.task} target has none: remove it, or set 'target.task: binary'",
        )
    src = spec.source
    if not (src.generator or src.path):
        raise _fail(path, "'source' needs either 'generator: <name>' or 'path: <file or URI>'")
    source_path = src.path
    if source_path and "://" not in source_path and not Path(source_path).is_absolute():
        source_path = str((path.parent / source_path).resolve())  # relative to the config file
    source = Source(src.generator, source_path, src.format, dict(src.read_options))

    numeric = []
    for name, opts in spec.features.numeric.items():
        if opts.min is not None and opts.max is not None and opts.min > opts.max:
            wrong = f"min {opts.min:g} is greater than max {opts.max:g}"
            raise _fail(path, f"feature '{name}': {wrong}")
        share = _share(opts.max_missing_share, spec.max_missing_share)
        numeric.append(NumericFeature(name, opts.min, opts.max, opts.nullable, share))
    categorical = []
    for name, opts in spec.features.categorical.items():
        values = None if opts.values is None else tuple(str(v) for v in opts.values)
        share = _share(opts.max_missing_share, spec.max_missing_share)
        categorical.append(CategoricalFeature(name, values, opts.nullable, share))
    if not numeric and not categorical:
        raise _fail(path, "'features' lists no numeric or categorical feature")

    card = spec.card
    cfg = DatasetConfig(
        card=CardText(
            intended_use=_one_line(card.intended_use),
            out_of_scope=_one_line(card.out_of_scope),
            limitations=tuple(map(_one_line, card.limitations)),
            ethical_considerations=tuple(map(_one_line, card.ethical_considerations)),
            sensitive_features=tuple(card.sensitive_features),
        ),
        name=spec.name,
        source=source,
        id=spec.id,
        target=Target(
            spec.target.column, spec.target.positive, spec.target.task, spec.target.min_class_rows
        ),
        numeric=tuple(numeric),
        categorical=tuple(categorical),
        timestamp=spec.timestamp,
        event_features=tuple(spec.event_features),
        path=path,
    )
    names = cfg.feature_names
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise _fail(path, f"features listed twice: {dupes}")
    reserved = {cfg.id, cfg.target.column, cfg.timestamp} - {None}
    clash = sorted(reserved & set(names))
    if clash:
        raise _fail(path, f"{clash} cannot be both a feature and the id/target/timestamp")
    unknown_events = sorted(set(cfg.event_features) - set(cfg.numeric_names))
    if unknown_events:
        raise _fail(path, f"event_features {unknown_events} must also be numeric features")
    unknown_sensitive = sorted(set(cfg.card.sensitive_features) - set(names))
    if unknown_sensitive:
        raise _fail(path, f"card.sensitive_features {unknown_sensitive} are not features")
    return cfg


def _share(own: float | None, default: float) -> float:
    return default if own is None else own


def _one_line(text: str | None) -> str | None:
    return None if text is None else " ".join(text.split())


def load_dataset_config(path: str | Path) -> DatasetConfig:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"dataset config not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise _fail(path, f"not valid YAML: {exc}") from exc
    return parse_dataset_config(raw, path)
