"""The dataset config's schema: what a YAML file may say, strictly.

Parsed with pydantic in strict mode, so a typo or a wrong type is an error that names the key,
the file and what was expected, instead of a silently dropped section or a bare TypeError:
unknown keys are refused (with the closest valid key), `values` must be a list, booleans must be
booleans, numbers must be numbers. `mlcycle.config` turns a parsed spec into the runtime objects;
the configuration reference in docs/ is generated from these classes.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mlcycle.task import DEFAULT_MIN_CLASS_ROWS, Task

DEFAULT_MAX_MISSING_SHARE = 0.95


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class NumericOptions(_Strict):
    """A numeric feature: its allowed range and whether it may be missing."""

    min: float | None = Field(None, description="smallest allowed value")
    max: float | None = Field(None, description="largest allowed value")
    nullable: bool = Field(True, description="may a value be missing")
    max_missing_share: float | None = Field(
        None, ge=0, le=1, description="largest share of missing values (default: the dataset's)"
    )


class CategoricalOptions(_Strict):
    """A categorical feature: its allowed values (any when omitted) and nullability."""

    values: list[str | int | float | bool] | None = Field(
        None, description="the allowed values (a list); omitted = any value"
    )
    nullable: bool = Field(True, description="may a value be missing")
    max_missing_share: float | None = Field(
        None, ge=0, le=1, description="largest share of missing values (default: the dataset's)"
    )


def _options_by_name(raw: Any) -> Any:
    """`numeric: [a, b]` is short for `numeric: {a: {}, b: {}}`; `a:` alone means no options."""
    if raw is None:
        return {}
    if isinstance(raw, list) and all(isinstance(v, str) for v in raw):
        return {name: {} for name in raw}
    if isinstance(raw, dict):
        return {k: ({} if v is None else v) for k, v in raw.items()}
    return raw


class FeaturesSpec(_Strict):
    numeric: dict[str, NumericOptions] = Field(
        default_factory=dict, description="numeric columns: name -> options (or a list of names)"
    )
    categorical: dict[str, CategoricalOptions] = Field(
        default_factory=dict,
        description="categorical columns: name -> options (or a list of names)",
    )

    @field_validator("numeric", "categorical", mode="before")
    @classmethod
    def _by_name(cls, v: Any) -> Any:
        return _options_by_name(v)


class SourceSpec(_Strict):
    generator: str | None = Field(None, description="the built-in generator's name")
    path: str | None = Field(None, description="a file (relative to the config) or fsspec URI")
    format: Literal["csv", "parquet"] | None = Field(
        None, description="csv or parquet; inferred from the extension when omitted"
    )
    read_options: dict[str, Any] = Field(
        default_factory=dict, description="passed to pandas.read_csv / read_parquet"
    )


class TargetSpec(_Strict):
    column: str = Field(description="the column to predict")
    task: Task | None = Field(
        None,
        description="what is predicted; omitted = inferred from the target's values when the "
        "data is validated, and stated (two values: binary; numbers with a fraction or many "
        "whole numbers: regression; a few text labels or whole numbers: multiclass)",
    )
    positive: str | int | float | bool | None = Field(
        None, description="binary only: the label that counts as 1 (required for text labels)"
    )
    min_class_rows: int = Field(
        DEFAULT_MIN_CLASS_ROWS,
        ge=1,
        description="classification: fewer rows of a class than this fails validation",
    )


class CardSpec(_Strict):
    """What the model card says that no metric can."""

    intended_use: str | None = Field(None, description="what the model is for")
    out_of_scope: str | None = Field(None, description="what it must not be used for")
    limitations: list[str] = Field(default_factory=list, description="known limitations")
    ethical_considerations: list[str] = Field(default_factory=list, description="risks to weigh")
    sensitive_features: list[str] = Field(
        default_factory=list, description="features evaluated group by group in the card"
    )

    @field_validator("limitations", "ethical_considerations", "sensitive_features", mode="before")
    @classmethod
    def _one_is_a_list(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else ([] if v is None else v)


class DatasetSpec(_Strict):
    """A dataset config file: the one place that names a table's columns."""

    name: str = Field(description="the dataset's name; also the registered model's name")
    source: SourceSpec = Field(description="where collect reads the data")
    id: str = Field(description="the entity id column")
    timestamp: str | None = Field(
        None, description="as-of time of each row; omitted = a static table (load time)"
    )
    target: TargetSpec = Field(description="the column to predict (or a mapping)")
    features: FeaturesSpec = Field(description="the model's input columns")
    event_features: list[str] = Field(
        default_factory=list, description="numeric features derived from the event log"
    )
    max_missing_share: float = Field(
        DEFAULT_MAX_MISSING_SHARE,
        ge=0,
        le=1,
        description="a feature missing in a larger share of rows fails validation",
    )
    card: CardSpec = Field(default_factory=CardSpec, description="the model card's own words")

    @field_validator("target", mode="before")
    @classmethod
    def _target_by_name(cls, v: Any) -> Any:
        return {"column": v} if isinstance(v, str) else v

    @field_validator("card", "features", mode="before")
    @classmethod
    def _blank_is_empty(cls, v: Any) -> Any:
        return {} if v is None else v


_EXPECTED = {
    "bool_type": "a boolean (true or false)",
    "float_type": "a number",
    "int_type": "a whole number",
    "string_type": "text",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def _unwrap(annotation: Any) -> Any:
    """The mapping-like type inside Optional[...] / dict[str, ...] on the way to a key."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        models = [a for a in typing.get_args(annotation) if isinstance(a, type)]
        models = [a for a in models if issubclass(a, BaseModel)]
        return models[0] if models else None
    return annotation


def _keys_at(loc: tuple) -> list[str]:
    """The valid keys of the mapping at `loc` (for 'did you mean')."""
    node: Any = DatasetSpec
    for part in loc:
        node = _unwrap(node)
        if isinstance(node, type) and issubclass(node, BaseModel):
            field = node.model_fields.get(str(part))
            node = field.annotation if field else None
        elif typing.get_origin(node) is dict:
            node = typing.get_args(node)[1]
        else:
            return []
    node = _unwrap(node)
    if typing.get_origin(node) is dict:
        return []
    return list(node.model_fields) if isinstance(node, type) and issubclass(node, BaseModel) else []


def _where(loc: tuple) -> str:
    return ".".join(str(p) for p in loc)


def describe(error: dict[str, Any]) -> str:
    """One pydantic error as one sentence a user can act on."""
    loc = tuple(p for p in error["loc"] if not str(p).startswith("function-"))
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        known = _keys_at(loc[:-1])
        near = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        hint = f"; did you mean '{near[0]}'?" if near else ""
        at = f" in '{_where(loc[:-1])}'" if loc[:-1] else ""
        return f"unknown key '{loc[-1]}'{at}{hint} (valid keys: {', '.join(known)})"
    if kind == "missing":
        return f"missing required field '{_where(loc)}'"
    if kind in _EXPECTED:
        expected = _EXPECTED[kind]
        if len(loc) == 3 and loc[0] == "features" and kind in ("model_type", "dict_type"):
            options = ", ".join(_keys_at(loc))
            expected = f"a mapping of options ({options}) or nothing"
        return f"'{_where(loc)}' must be {expected}, got {value!r}"
    if kind == "literal_error":
        return f"'{_where(loc)}' must be {error['ctx']['expected']}, got {value!r}"
    return f"'{_where(loc)}': {error['msg']} (got {value!r})"


def parse_spec(raw: Any) -> tuple[DatasetSpec | None, list[str]]:
    """The spec, or None and every problem as a sentence."""
    if not isinstance(raw, dict):
        return None, ["expected a YAML mapping at the top level"]
    try:
        return DatasetSpec.model_validate(raw), []
    except ValidationError as exc:
        return None, [describe(e) for e in exc.errors()]
