"""The service's contract: its request and response models and every status it answers with.

FastAPI turns these into the OpenAPI document; `tests/serving/test_contract.py` holds the
service to it with schemathesis. A request model is made per dataset (its features) and per
service (the batch limit is in the schema as maxItems; a longer batch is a 413).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from mlcycle.config import DatasetConfig
from mlcycle.serving.request_schema import Identifier, features_model


class Problem(BaseModel):
    """Every refusal but a 422: what went wrong, and what to do about it."""

    detail: str


class PredictionOut(BaseModel):
    prediction: int
    probability: float
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
    model_config = ConfigDict(extra="forbid")
    request_id: Identifier
    outcome: int = Field(..., ge=0, le=1)
    correction: bool = Field(
        False, description="replace an outcome already recorded (the old one is kept)"
    )


class FeedbackOut(BaseModel):
    request_id: str
    recorded: bool = Field(description="false when the same outcome was already recorded")
    accuracy: dict[str, dict[str, float]]


class FeedbackBatchOut(BaseModel):
    recorded: int = Field(description="outcomes written or corrected (repeats change nothing)")
    accuracy: dict[str, dict[str, float]]


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
    feedback_batch = create_model("FeedbackBatch", __config__=strict, items=(list[Feedback], limit))
    return Models(PredictRequest, batch, feedback_batch)


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
