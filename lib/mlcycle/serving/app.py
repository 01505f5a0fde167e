"""The prediction service: FastAPI on the registry's champion, with A/B routing and metrics.

Start it with `make serve` (uvicorn, 127.0.0.1). Its settings are keys of the settings layer
(env.yaml; MLCYCLE_AB_ARMS and the like override them): see Settings.of.
"""

import asyncio
import contextlib
import gc
import threading
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from pydantic import BaseModel, Field, create_model, model_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from mlcycle.config import DatasetConfig, load_dataset_config
from mlcycle.registry.aliases import CHAMPION, alias_versions
from mlcycle.serving.ab import assign_arm, parse_arms
from mlcycle.serving.models import ServedModel, load_alias
from mlcycle.serving.prediction_log import Prediction, PredictionLog, UnknownRequestError
from mlcycle.serving.request_schema import features_model, frame_to_records, to_records

LOCALHOST = {"127.0.0.1", "::1", "localhost", "testclient"}


@dataclass(frozen=True)
class Settings:
    """The service's slice of the settings layer, made by `Settings.of`: no defaults here
    (env.yaml has them; a test or the simulation replaces what it needs)."""

    dataset: str
    tracking_uri: str
    prediction_log: str
    products: str
    arms: str  # e.g. "champion=90,challenger=10"; an arm whose alias is unset: the champion
    experiment_key: str
    max_batch: int
    max_body_bytes: int
    reload_seconds: float  # 0 turns polling off
    accuracy_window_hours: float
    model_name: str | None = None  # None: the dataset's name
    reload_token: str | None = None
    feature_store: str | None = None  # feature_store.yaml, for requests by customer id

    @classmethod
    def of(cls, s: Any) -> "Settings":
        """The service's slice of the settings layer's object (mlcycle.settings.Settings)."""
        return cls(
            dataset=str(s.dataset),
            tracking_uri=s.tracking_uri,
            model_name=s.model_name or None,
            arms=s.ab_arms,
            experiment_key=s.ab_key,
            prediction_log=str(s.prediction_log),
            max_batch=s.max_batch,
            max_body_bytes=s.max_body_bytes,
            reload_seconds=s.reload_seconds,
            reload_token=s.reload_token,
            accuracy_window_hours=s.accuracy_window_hours,
            feature_store=str(s.feature_store),
            products=str(s.products),
        )


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.predictions = Counter(
            "predictions", "Predictions served", ["model_version", "arm"], registry=r
        )
        self.latency = Histogram(
            "prediction_latency_seconds",
            "Time to answer a prediction request",
            registry=r,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        self.accuracy = Gauge(
            "prediction_accuracy",
            "Accuracy over the recent window, from feedback",
            ["model_version"],
            registry=r,
        )
        self.validation_errors = Counter(
            "validation_errors", "Requests refused as invalid", registry=r
        )
        self.unseen = Counter(
            "unseen_categories", "Categorical values the model never saw", ["feature"], registry=r
        )


def _request_models(config: DatasetConfig) -> tuple[type[BaseModel], type[BaseModel]]:
    Features = features_model(config)

    class PredictRequest(BaseModel):
        features: Features | None = None  # type: ignore[valid-type]
        customer_id: str | None = Field(None, description="read features from the online store")
        user_id: str | None = Field(None, description="decides the A/B arm; stable per user")

        @model_validator(mode="after")
        def one_source(self) -> "PredictRequest":
            if (self.features is None) == (self.customer_id is None):
                raise ValueError("give exactly one of 'features' or 'customer_id'")
            return self

    Batch = create_model("PredictBatch", items=(list[PredictRequest], ...))
    return PredictRequest, Batch


class PredictionOut(BaseModel):
    prediction: int
    probability: float
    model_name: str
    model_version: str
    arm: str
    request_id: str


class Feedback(BaseModel):
    request_id: str
    outcome: int = Field(..., ge=0, le=1)


class Service:
    """The mutable state behind the app: swapped atomically on reload."""

    def __init__(self, settings: Settings, config: DatasetConfig) -> None:
        from mlcycle.tracking import connect

        self.client = connect(settings.tracking_uri)  # the service owns its process
        self.settings = settings
        self.config = config
        self.name = settings.model_name or config.model_name
        self.arms = parse_arms(settings.arms)
        self.log = PredictionLog(settings.prediction_log)
        self.metrics = Metrics()
        self.models: dict[str, ServedModel] = {}
        self._lock = threading.Lock()
        self._store: Any = None

    def load(self) -> bool:
        """(Re)load every alias an arm names; True when anything changed."""
        wanted = tuple(a.name for a in self.arms)
        versions = alias_versions(self.client, self.name, wanted)
        current = {alias: m.version for alias, m in self.models.items()}
        if versions == current and self.models:
            return False
        loaded = {}
        for alias, version in versions.items():
            if version is None:
                continue
            same = self.models.get(alias)
            loaded[alias] = (
                same
                if same and same.version == version
                else load_alias(self.client, self.name, alias, self.config)
            )
        with self._lock:
            self.models = loaded  # in-flight requests keep the dict they already hold
        _freeze_heap()
        return True

    def online_row(self, customer_id: str):
        from mlcycle.features.store import online_features, open_store

        if self._store is None:
            if not self.settings.feature_store:
                raise HTTPException(422, "requests by customer_id need a feature store")
            self._store = open_store(self.settings.products, self.settings.feature_store)
        return online_features(self._store, self.config, customer_id)


def _freeze_heap() -> None:
    """Move what is loaded now out of the garbage collector's way: a 100-tree forest is ~390k
    tracked objects, and a full collection over them (~0.2 s) shows up as a p99 spike. The
    models replaced by a reload are unfrozen and collected first."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def create_app(settings: Settings) -> FastAPI:
    config = load_dataset_config(settings.dataset)
    PredictRequest, Batch = _request_models(config)
    service = Service(settings, config)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await asyncio.to_thread(service.load)
        poller = None
        if settings.reload_seconds > 0:
            poller = asyncio.create_task(_poll(service, settings.reload_seconds))
        yield
        if poller:
            poller.cancel()
        service.log.close()  # the long-lived writer connection: its WAL is checkpointed

    app = FastAPI(
        title=f"{service.name} predictions",
        description=f"Probability of {config.target.column} from the registry's champion.",
        lifespan=lifespan,
        # Starlette's pure ASGI limit: counts the bytes as they arrive, chunked bodies too
        max_body_size=settings.max_body_bytes,
    )
    app.state.service = service

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 413 and exc.detail == "Content Too Large":  # max_body_size's own
            service.metrics.validation_errors.inc()
            detail = f"the request body is over the limit of {settings.max_body_bytes} bytes"
            return JSONResponse({"detail": detail}, status_code=413)
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        service.metrics.validation_errors.inc()
        detail = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return JSONResponse({"detail": detail}, status_code=422)

    def request_records(items: list[Any]) -> list[dict[str, Any]]:
        """Every item's feature row, in request order; customer ids are looked up in the
        online store one at a time, rows given as features need no lookup."""
        records = []
        for item in items:
            if item.customer_id is None:
                records.extend(to_records([item.features], config))
                continue
            from mlcycle.features.store import UnknownEntityError

            try:
                row = service.online_row(item.customer_id)
            except UnknownEntityError as exc:
                raise HTTPException(404, str(exc.args[0])) from None
            records.extend(frame_to_records(row, config))
        return records

    def arm_of(item: Any, models: dict[str, ServedModel]) -> str:
        if item.user_id is None or len(service.arms) == 1:
            return CHAMPION
        arm = assign_arm(item.user_id, service.arms, settings.experiment_key)
        return arm if arm in models else CHAMPION  # an arm whose alias is unset

    def predict_many(items: list[Any]) -> list[PredictionOut]:
        started = time.perf_counter()
        models = service.models  # this request keeps these models even if a reload swaps them
        if CHAMPION not in models:
            raise HTTPException(503, f"no champion of '{service.name}' is loaded yet")
        rows = request_records(items)
        arms = [arm_of(item, models) for item in items]
        proba = np.empty(len(items))
        for arm in set(arms):
            picked = [i for i, a in enumerate(arms) if a == arm]
            part = rows if len(picked) == len(rows) else [rows[i] for i in picked]
            for feature, count in models[arm].unseen(part).items():
                service.metrics.unseen.labels(feature=feature).inc(count)
            proba[picked] = models[arm].positive_proba(part)
        out, records = [], []
        for item, arm, p, features in zip(items, arms, proba, rows, strict=True):
            model = models[arm]
            pred = PredictionOut(
                prediction=int(p >= 0.5),
                probability=float(p),
                model_name=model.name,
                model_version=model.version,
                arm=arm,
                request_id=uuid.uuid4().hex,
            )
            out.append(pred)
            records.append(
                Prediction(
                    pred.request_id,
                    item.user_id,
                    arm,
                    model.name,
                    model.version,
                    features,
                    pred.prediction,
                    pred.probability,
                )
            )
            service.metrics.predictions.labels(model_version=model.version, arm=arm).inc()
        service.log.record(records)
        service.metrics.latency.observe(time.perf_counter() - started)
        return out

    @app.post("/predict", response_model=PredictionOut)
    def predict(request: PredictRequest) -> PredictionOut:  # type: ignore[valid-type]
        return predict_many([request])[0]

    @app.post("/predict/batch", response_model=list[PredictionOut])
    def predict_batch(batch: Batch) -> list[PredictionOut]:  # type: ignore[valid-type]
        if len(batch.items) > settings.max_batch:
            service.metrics.validation_errors.inc()
            raise HTTPException(
                413, f"batch of {len(batch.items)} items is over the limit of {settings.max_batch}"
            )
        return predict_many(batch.items) if batch.items else []

    @app.post("/feedback")
    def feedback(body: Feedback) -> dict[str, Any]:
        try:
            service.log.record_feedback(body.request_id, body.outcome)
        except UnknownRequestError as exc:
            raise HTTPException(404, str(exc.args[0])) from None
        window = timedelta(hours=settings.accuracy_window_hours)
        accuracy = service.log.accuracy_by_version(window)
        for version, (_, value) in accuracy.items():
            service.metrics.accuracy.labels(model_version=version).set(value)
        return {
            "request_id": body.request_id,
            "recorded": True,
            "accuracy": {v: {"labelled": n, "accuracy": a} for v, (n, a) in accuracy.items()},
        }

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/ready")
    def ready() -> JSONResponse:
        models = {a: m.version for a, m in service.models.items()}
        ok = CHAMPION in models
        runtimes = {a: m.runtime for a, m in service.models.items()}
        return JSONResponse(
            {"ready": ok, "model_name": service.name, "versions": models, "runtimes": runtimes},
            status_code=200 if ok else 503,
        )

    @app.post("/reload")
    def reload(request: Request) -> dict[str, Any]:
        token = request.headers.get("x-reload-token")
        host = request.client.host if request.client else ""
        allowed = host in LOCALHOST or (settings.reload_token and token == settings.reload_token)
        if not allowed:
            raise HTTPException(403, "reload is allowed from localhost or with X-Reload-Token")
        changed = service.load()
        return {"reloaded": changed, "versions": {a: m.version for a, m in service.models.items()}}

    return app


async def _poll(service: Service, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        # a registry hiccup must not kill the service; the next poll retries
        with contextlib.suppress(Exception):
            await asyncio.to_thread(service.load)
