"""Request validation generated from the dataset config.

One pydantic model per dataset: every feature a field with its type and the config's range and
allowed values in the schema, unknown fields refused, every feature required (as every column
is in a file; `null` is a missing value where the config allows one). Each value is
judged by `mlcycle.column_rules`, the rules batch scoring and training validation apply.
FastAPI turns it into the OpenAPI schema (every feature named and typed) and into 422
responses whose `loc` names the field.
"""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
)
from pydantic_core import PydanticCustomError

from mlcycle.column_rules import (
    MAX_TEXT_LENGTH,
    NOT_A_NUMBER,
    NOT_TEXT,
    ValueRefused,
    is_text,
    parse_value,
)
from mlcycle.config import SCORABLE_MAX, CategoricalFeature, DatasetConfig, NumericFeature

NOT_A_TEXT_NUMBER = f"{NOT_A_NUMBER} (text): send a JSON number, or null for a missing value"
# request, customer and user ids: long enough for any key, short enough to log
MAX_ID_LENGTH = 128


def _text(value: str) -> str:
    if not is_text(value):
        raise PydanticCustomError("invalid_unicode", NOT_TEXT)
    return value


Identifier = Annotated[str, StringConstraints(max_length=MAX_ID_LENGTH), AfterValidator(_text)]


def _rule(feat: NumericFeature | CategoricalFeature) -> BeforeValidator:
    """The column rule as a pydantic validator: the 422's `msg` is the rule's problem. JSON
    has numbers and null: a number sent as text is refused here, where a file's text is
    parsed (a boolean is not a number at any door)."""
    numeric = isinstance(feat, NumericFeature)

    def check(value: Any) -> Any:
        if numeric and isinstance(value, str):
            raise PydanticCustomError("value_refused", f"{NOT_A_TEXT_NUMBER}")
        try:
            return parse_value(feat, value)
        except ValueRefused as exc:
            raise PydanticCustomError("value_refused", str(exc)) from None

    return BeforeValidator(check)


def features_model(config: DatasetConfig) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for feat in config.numeric:
        bounds = {  # the config's range, within what a model can score: for the schema
            "ge": max(feat.min, -SCORABLE_MAX) if feat.min is not None else -SCORABLE_MAX,
            "le": min(feat.max, SCORABLE_MAX) if feat.max is not None else SCORABLE_MAX,
        }
        annotation = float | None if feat.nullable else float
        fields[feat.name] = (
            Annotated[annotation, _rule(feat)],
            Field(..., **bounds),  # present in every request, as a column in every file
        )
    for feat in config.categorical:
        annotation = str | None if feat.nullable else str
        extra = (
            {"json_schema_extra": {"enum": list(feat.values)}}
            if feat.values
            else {"max_length": MAX_TEXT_LENGTH}
        )
        fields[feat.name] = (
            Annotated[annotation, _rule(feat)],
            Field(..., **extra),
        )
    return create_model(
        f"{config.name.title().replace('_', '')}Features",
        __config__=ConfigDict(extra="forbid", strict=False),
        **fields,
    )


def to_records(rows: list[BaseModel], config: DatasetConfig) -> list[dict[str, Any]]:
    """Validated requests as plain rows in config order: what the model, the unseen-category
    count and the prediction log all read (None for a missing value)."""
    names = config.feature_names
    return [{n: r.__dict__[n] for n in names} for r in rows]


def frame_to_records(frame: pd.DataFrame, config: DatasetConfig) -> list[dict[str, Any]]:
    """Rows read elsewhere (the online store) in the same shape as `to_records`."""
    frame = frame[config.feature_names].astype(object)
    return frame.where(frame.notna(), None).to_dict("records")


def to_frame(records: list[dict[str, Any]], config: DatasetConfig) -> pd.DataFrame:
    """Rows as scikit-learn's input frame: config order, model dtypes."""
    frame = pd.DataFrame(records, columns=config.feature_names)
    frame = frame.astype({n: float for n in config.numeric_names})
    for name in config.categorical_names:
        frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    return frame
