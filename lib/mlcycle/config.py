"""The dataset config: the one place that names columns.

Everything downstream (validation, features, the model pipeline, serving) reads column names,
types and allowed ranges from here, so pointing the config at another table just works.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

LOAD_TIME_COLUMN = "loaded_at"  # the timestamp a static table gets when the config names none
# The largest magnitude a numeric feature may have when scored: scikit-learn's trees and ONNX
# Runtime compute in float32 (max 3.4028235e38), so a larger finite number cannot be scored
# (scikit-learn raises on it). Requests and batch rows refuse it by name.
SCORABLE_MAX = 3.4028234663852886e38


class ConfigError(ValueError):
    """The dataset config itself is wrong (names the file and the field)."""


@dataclass(frozen=True)
class NumericFeature:
    name: str
    min: float | None = None
    max: float | None = None
    nullable: bool = True


@dataclass(frozen=True)
class CategoricalFeature:
    name: str
    values: tuple[str, ...] | None = None  # allowed values; None = any
    nullable: bool = True


@dataclass(frozen=True)
class Target:
    column: str
    positive: Any = None  # label of the positive class; required for string labels


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


CARD_FIELDS = tuple(CardText.__dataclass_fields__)


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


def _features(raw: Any, kind: str, path: Path) -> dict[str, dict]:
    if raw is None:
        return {}
    if isinstance(raw, list):  # a plain list of names is allowed
        return {str(name): {} for name in raw}
    if not isinstance(raw, dict):
        raise _fail(path, f"'features.{kind}' must be a mapping of column name to options")
    return {str(k): (v or {}) for k, v in raw.items()}


def parse_dataset_config(raw: dict[str, Any], path: Path | str = "<dict>") -> DatasetConfig:
    """Build a DatasetConfig from parsed YAML, failing with the field that is wrong."""
    path = Path(path)
    if not isinstance(raw, dict):
        raise _fail(path, "expected a YAML mapping at the top level")
    for key in ("name", "source", "id", "target", "features"):
        if key not in raw:
            raise _fail(path, f"missing required field '{key}'")

    src = raw["source"]
    if not isinstance(src, dict) or not ({"generator", "path"} & src.keys()):
        raise _fail(path, "'source' needs either 'generator: <name>' or 'path: <file or URI>'")
    source_path = src.get("path")
    if source_path and "://" not in str(source_path) and not Path(source_path).is_absolute():
        source_path = str((path.parent / source_path).resolve())  # relative to the config file
    fmt = src.get("format")
    if fmt is not None and fmt not in ("csv", "parquet"):
        raise _fail(path, f"'source.format' must be csv or parquet, got {fmt!r}")
    source = Source(
        generator=src.get("generator"),
        path=source_path,
        format=fmt,
        read_options=dict(src.get("read_options") or {}),
    )

    target_raw = raw["target"]
    if isinstance(target_raw, str):
        target_raw = {"column": target_raw}
    if "column" not in target_raw:
        raise _fail(path, "'target.column' is required")
    target = Target(column=str(target_raw["column"]), positive=target_raw.get("positive"))

    feats = raw["features"] or {}
    numeric = []
    for name, opts in _features(feats.get("numeric"), "numeric", path).items():
        lo, hi = opts.get("min"), opts.get("max")
        if lo is not None and hi is not None and lo > hi:
            raise _fail(path, f"feature '{name}': min {lo} is greater than max {hi}")
        numeric.append(NumericFeature(name, lo, hi, bool(opts.get("nullable", True))))
    categorical = []
    for name, opts in _features(feats.get("categorical"), "categorical", path).items():
        values = opts.get("values")
        categorical.append(
            CategoricalFeature(
                name,
                tuple(str(v) for v in values) if values is not None else None,
                bool(opts.get("nullable", True)),
            )
        )
    if not numeric and not categorical:
        raise _fail(path, "'features' lists no numeric or categorical feature")

    cfg = DatasetConfig(
        card=_card(raw.get("card"), path),
        name=str(raw["name"]),
        source=source,
        id=str(raw["id"]),
        target=target,
        numeric=tuple(numeric),
        categorical=tuple(categorical),
        timestamp=raw.get("timestamp"),
        event_features=tuple(raw.get("event_features") or ()),
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


def _card(raw: Any, path: Path) -> CardText:
    if raw is None:
        return CardText()
    if not isinstance(raw, dict):
        raise _fail(path, "'card' must be a mapping (intended_use, limitations, ...)")
    unknown = sorted(set(raw) - set(CARD_FIELDS))
    if unknown:
        raise _fail(path, f"unknown card field(s) {unknown}; known: {list(CARD_FIELDS)}")

    def text(key: str) -> str | None:
        value = raw.get(key)
        return None if value is None else " ".join(str(value).split())

    def items(key: str) -> tuple[str, ...]:
        value = raw.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise _fail(path, f"'card.{key}' must be a list of sentences or names")
        return tuple(" ".join(str(v).split()) for v in value)

    return CardText(
        intended_use=text("intended_use"),
        out_of_scope=text("out_of_scope"),
        limitations=items("limitations"),
        ethical_considerations=items("ethical_considerations"),
        sensitive_features=items("sensitive_features"),
    )


def load_dataset_config(path: str | Path) -> DatasetConfig:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"dataset config not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise _fail(path, f"not valid YAML: {exc}") from exc
    return parse_dataset_config(raw, path)
