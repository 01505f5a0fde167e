"""The service's contract: its request and response models and every status it answers with.

FastAPI turns these into the OpenAPI document; `tests/serving/test_contract.py` holds the
service to it with schemathesis. A request model is made per dataset (its features) and per
service (the batch limit is in the schema as maxItems; a longer batch is a 413).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from mlcycle.config import DatasetConfig
from mlcycle.serving.request_schema import Identifier, features_model
from mlcycle.task import BINARY, INTERVAL_COVERAGE, MULTICLASS, REGRESSION


class Problem(BaseModel):
    """Every refusal but a 422: what went wrong, and what to do about it."""

    detail: str


class PredictionOut(BaseModel):
    """An answer in the model's task's terms; fields a task does not have are left out."""

    prediction: int | float | str = Field(
        description="0 or 1 (binary), the predicted class label (multiclass), a number (regression)"
    )
    probability: float | None = Field(
        None, description="of the positive class (binary) or of the predicted class (multiclass)"
    )
    probabilities: dict[str, float] | None = Field(
        None, description="every class's probability, by label (multiclass)"
    )
    interval: list[float] | None = Field(
        None,
        description=f"[low, high]: a {INTERVAL_COVERAGE:.0%} prediction interval (regression,"
        " when the version's evaluation measured it: split conformal on its test set)",
    )
    task: str = Field(BINARY, description="binary, multiclass or regression")
    model_name: str
    model_version: str
    arm: str
    request_id: str


class ItemError(BaseModel):
    """A batch item that could not be answered (the others are): its status and why."""

    status: int = Field(description="what a single /predict would have answered, e.g. 404")
    detail: str
    customer_id: str | None = None


class Feedback(BaseModel):
    """An outcome of a task the dataset config leaves to the data: any of the tasks' types,
    each checked against its prediction's task (a mismatch is a 422 naming it)."""

    model_config = ConfigDict(extra="forbid")
    EXPECTED: ClassVar[str] = "0 or 1, a class label or a number"
    TAKES_BOOL: ClassVar[bool] = True  # true/false as 1/0 (binary; or left to the data)
    request_id: Identifier
    outcome: StrictBool | StrictInt | StrictFloat | StrictStr = Field(
        ..., description="what happened: 0 or 1, a class label or a number, as predicted"
    )
    correction: bool = Field(
        False, description="replace an outcome already recorded (the old one is kept)"
    )

    @field_validator("outcome", mode="before")
    @classmethod
    def one_value(cls, value: Any) -> Any:
        """A list, an object, null, or true/false where no outcome is one, is one error naming
        what is expected (not one per type the field could take; a lax float would take true
        as 1.0)."""
        scalar = isinstance(value, int | float | str) and not isinstance(value, bool)
        if not (scalar or (isinstance(value, bool) and cls.TAKES_BOOL)):
            shown = json.dumps(value, default=str)
            raise ValueError(f"outcome must be {cls.EXPECTED}, got {shown}")
        return value


class BinaryFeedback(Feedback):
    EXPECTED: ClassVar[str] = "0 or 1"
    outcome: int = Field(..., ge=0, le=1)  # type: ignore[assignment]


class ClassFeedback(Feedback):
    EXPECTED: ClassVar[str] = "a class label"
    TAKES_BOOL: ClassVar[bool] = False
    outcome: StrictStr = Field(  # type: ignore[assignment]
        ..., min_length=1, description="the class label that happened (a whole number is its text)"
    )

    @field_validator("outcome", mode="before")
    @classmethod
    def whole_number_label(cls, value: Any) -> Any:
        """Classes that were whole numbers are labels "1", "2": 2 is taken as "2"."""
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class NumberFeedback(Feedback):
    EXPECTED: ClassVar[str] = "a finite number"
    TAKES_BOOL: ClassVar[bool] = False  # true is not an amount
    outcome: float = Field(..., allow_inf_nan=False, description="the number that happened")  # type: ignore[assignment]


# the feedback a dataset's service takes, by the task its config states (None: left to the data)
FEEDBACK: dict[str | None, type[Feedback]] = {
    BINARY: BinaryFeedback,
    MULTICLASS: ClassFeedback,
    REGRESSION: NumberFeedback,
    None: Feedback,
}


WINDOW = "over the recent window, by model version: labelled predictions and"


class FeedbackOut(BaseModel):
    request_id: str
    recorded: bool = Field(description="false when the same outcome was already recorded")
    accuracy: dict[str, dict[str, float]] = Field(description=f"classifiers {WINDOW} accuracy")
    error: dict[str, dict[str, float]] = Field(
        default_factory=dict, description=f"regressors {WINDOW} mean absolute error"
    )


class FeedbackBatchOut(BaseModel):
    recorded: int = Field(description="outcomes written or corrected (repeats change nothing)")
    accuracy: dict[str, dict[str, float]] = Field(description=f"classifiers {WINDOW} accuracy")
    error: dict[str, dict[str, float]] = Field(
        default_factory=dict, description=f"regressors {WINDOW} mean absolute error"
    )


class ReadyOut(BaseModel):
    ready: bool
    model_name: str
    versions: dict[str, str]
    runtimes: dict[str, str]
    split: str
    experiment: str
    refused: dict[str, str] = Field(description="versions refused as untrusted, by arm")


class ReloadOut(BaseModel):
    reloaded: bool
    versions: dict[str, str]


@dataclass(frozen=True)
class Models:
    """The request models of one service."""

    predict: type[BaseModel]
    batch: type[BaseModel]
    feedback: type[Feedback]
    feedback_batch: type[BaseModel]


def request_models(config: DatasetConfig, max_batch: int) -> Models:
    Features = features_model(config)

    class PredictRequest(BaseModel):
        # the one-of rule in the schema too, so clients and contract tests see it
        model_config = ConfigDict(
            extra="forbid",
            json_schema_extra={
                "oneOf": [{"required": ["features"]}, {"required": ["customer_id"]}]
            },
        )
        # absent, never null: typed without None (a default is not validated), so the
        # schema has no null and a 422's loc names the field itself, not a union branch
        features: Features = None  # type: ignore[valid-type, assignment]
        customer_id: Identifier = Field(  # type: ignore[assignment]
            None, description="read features from the online store"
        )
        user_id: Identifier | None = Field(None, description="decides the A/B arm; stable per user")

        @field_validator("features", "customer_id", mode="before")
        @classmethod
        def not_null(cls, value: Any) -> Any:
            if value is None:
                raise PydanticCustomError("null", "null: leave the field out instead")
            return value

        @model_validator(mode="after")
        def one_source(self) -> PredictRequest:
            if (self.features is None) == (self.customer_id is None):
                raise ValueError("give exactly one of 'features' or 'customer_id'")
            return self

    limit: Any = Field(..., json_schema_extra={"maxItems": max_batch})
    strict = ConfigDict(extra="forbid")
    batch = create_model("PredictBatch", __config__=strict, items=(list[PredictRequest], limit))
    feedback = FEEDBACK[config.target.stated_task]
    feedback_batch = create_model("FeedbackBatch", __config__=strict, items=(list[feedback], limit))
    return Models(PredictRequest, batch, feedback, feedback_batch)


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for refusals with a Problem body (422 is FastAPI's own)."""
    why = {
        400: "the body is not JSON",
        403: "not allowed from here, or without the token",
        404: "no such request id, or a customer id the online store does not know",
        409: "an outcome is already recorded for this request (send a correction)",
        413: "the body or the batch is over the limit",
        503: "no champion loaded yet, the online store or the prediction log unavailable",
    }
    return {c: {"model": Problem, "description": why[c]} for c in codes}
