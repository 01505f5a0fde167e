"""The prediction service: FastAPI on the registry's champion, with A/B routing and metrics.

Start it with `make serve` (uvicorn, 127.0.0.1). Its settings are keys of the settings layer
(env.yaml; MLCYCLE_AB_ARMS and the like override them): see Settings.of.
"""

import asyncio
import contextlib
import gc
import hmac
import ipaddress
import json
import logging
import os
import threading
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

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
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from mlcycle.config import DatasetConfig, load_dataset_config
from mlcycle.registry.aliases import CHALLENGER, CHAMPION
from mlcycle.registry.rollout import Rollout, rollout_of
from mlcycle.registry.trusted import UntrustedModelError
from mlcycle.serving.ab import Arm, assign_arm, parse_arms
from mlcycle.serving.contract import (
    Feedback,
    FeedbackBatchOut,
    FeedbackOut,
    ItemError,
    PredictionOut,
    ReadyOut,
    ReloadOut,
    problems,
    request_models,
)
from mlcycle.serving.log_writer import LogWriter
from mlcycle.serving.models import ServedModel, load_alias
from mlcycle.serving.prediction_log import (
    FALLBACK,
    NO_EXPERIMENT,
    NO_USER_ID,
    RANDOMISED,
    OutcomeConflictError,
    OutcomeTypeError,
    Prediction,
    PredictionLog,
    UnknownRequestError,
)
from mlcycle.serving.request_schema import frame_to_records, to_records
from mlcycle.settings import DURABLE_LOG_SYNC

log = logging.getLogger("mlcycle.serving")


@dataclass(frozen=True)
class Settings:
    """The service's slice of the settings layer, made by `Settings.of`: no defaults here
    (env.yaml has them; a test or the simulation replaces what it needs)."""

    dataset: str
    tracking_uri: str
    prediction_log: str
    products: str
    arms: str  # '' = the registry's rollout; else pinned, e.g. "champion=90,challenger=10"
    experiment_key: str  # the experiment of pinned arms (a rollout names its own)
    max_batch: int
    max_body_bytes: int
    reload_seconds: float  # 0 turns polling off
    accuracy_window_hours: float
    host: str = "127.0.0.1"  # where it is bound: anything but loopback needs a reload token
    model_name: str | None = None  # None: the dataset's name
    reload_token: str | None = None
    feature_store: str | None = None  # feature_store.yaml, for requests by customer id
    log_sync: str = DURABLE_LOG_SYNC  # a SQLite log's commit (settings: log_sync)

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
            log_sync=s.log_sync,
            max_batch=s.max_batch,
            max_body_bytes=s.max_body_bytes,
            reload_seconds=s.reload_seconds,
            reload_token=s.reload_token,
            accuracy_window_hours=s.accuracy_window_hours,
            feature_store=str(s.feature_store),
            products=str(s.products),
            host=s.host,
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
            "A classifier's accuracy over the recent window, from feedback",
            ["model_version"],
            registry=r,
            multiprocess_mode="mostrecent",  # every worker computes it from the shared log
        )
        self.error = Gauge(
            "prediction_mean_absolute_error",
            "A regressor's mean absolute error over the recent window, from feedback",
            ["model_version"],
            registry=r,
            multiprocess_mode="mostrecent",
        )
        self.validation_errors = Counter(
            "validation_errors", "Requests refused as invalid", registry=r
        )
        self.unseen = Counter(
            "unseen_categories", "Categorical values the model never saw", ["feature"], registry=r
        )
        self.registry_errors = Counter(
            "registry_errors",
            "Reloads that kept the loaded models: registry unreachable, alias missing, load failed",
            ["kind"],
            registry=r,
        )


@dataclass(frozen=True)
class Split:
    """How traffic is split now: the arms, the experiment they belong to, the spec logged."""

    arms: tuple[Arm, ...]
    experiment: str  # '' when everyone gets the champion (no experiment)
    spec: str
    versions: dict[str, str]  # a rollout's challenger version (not whatever the alias says)

    @classmethod
    def of(cls, settings: Settings, rollout: Rollout | None) -> "Split":
        if settings.arms:  # pinned by the settings: an explicit override
            return cls(parse_arms(settings.arms), settings.experiment_key, settings.arms, {})
        if rollout is not None and rollout.active and rollout.share > 0:
            spec = rollout.arms()
            return cls(parse_arms(spec), rollout.key, spec, {CHALLENGER: rollout.version})
        return cls(parse_arms(f"{CHAMPION}=100"), "", f"{CHAMPION}=100", {})


class Service:
    """The mutable state behind the app: swapped atomically on reload."""

    def __init__(self, settings: Settings, config: DatasetConfig) -> None:
        from mlcycle.tracking import connect

        self.client = connect(settings.tracking_uri)  # the service owns its process
        self.settings = settings
        self.config = config
        self.name = settings.model_name or config.model_name
        self.split = Split.of(settings, None)
        self.log = PredictionLog(settings.prediction_log, sync=settings.log_sync)
        self.writer = LogWriter(self.log)  # for requests answered on the event loop
        self.metrics = Metrics()
        self.models: dict[str, ServedModel] = {}
        self._loaded: dict[str, tuple[str, str]] = {}  # alias -> (version, ONNX verdict)
        self._lock = threading.Lock()
        self._store: Any = None
        self.refused: dict[str, tuple[str, str]] = {}  # alias -> (version, why) not loaded

    def load(self) -> bool:
        """Follow the registry: the rollout's split, and for every arm its version and ONNX
        verdict (a version tagged by `optimize` after it was loaded moves to ONNX Runtime).
        True when anything changed. A registry that cannot be reached, an alias briefly
        missing or a version that fails to load keeps what is loaded (counted)."""
        from mlcycle.optimize.onnx_artifact import TAG_PARITY

        errors = self.metrics.registry_errors
        try:
            registered = self.client.get_registered_model(self.name)
        except Exception as exc:  # noqa: BLE001 - unreachable, or not registered yet
            missing = getattr(exc, "error_code", "") == "RESOURCE_DOES_NOT_EXIST"
            errors.labels(kind="model not registered" if missing else "registry unreachable").inc()
            return False
        split = Split.of(self.settings, rollout_of(registered))
        aliases = {a: str(v) for a, v in (registered.aliases or {}).items()}
        loaded, state = {}, {}
        for alias in (a.name for a in split.arms):
            version = split.versions.get(alias) or aliases.get(alias)
            if version is None:
                if alias in self.models:  # briefly missing: keep serving it
                    errors.labels(kind="alias missing").inc()
                    loaded[alias], state[alias] = self.models[alias], self._loaded[alias]
                continue
            refused_before = self.refused.get(alias, ("", ""))[0] == version
            try:
                verdict = self.client.get_model_version(self.name, version).tags.get(TAG_PARITY)
                key = (version, str(verdict))
                model = self.models.get(alias)
                if model is None or self._loaded.get(alias) != key:
                    if refused_before:  # refused once: not loaded again
                        raise UntrustedModelError(self.refused[alias][1])
                    model = load_alias(self.client, self.name, alias, self.config, version)
            except Exception as exc:  # noqa: BLE001 - a failed load must not unload what serves
                if not isinstance(exc, UntrustedModelError):
                    errors.labels(kind="load failed").inc()
                elif not refused_before:  # counted once a version
                    errors.labels(kind="untrusted model").inc()
                    self.refused[alias] = (version, str(exc))
                    log.error("refused to load %s: %s", alias, exc)
                if alias in self.models:
                    loaded[alias], state[alias] = self.models[alias], self._loaded[alias]
                continue
            self.refused.pop(alias, None)
            loaded[alias], state[alias] = model, key
        if state == self._loaded and split == self.split:
            return False
        replaced = bool(self.models)
        with self._lock:  # in-flight requests keep the dict and split they already hold
            self.models, self._loaded, self.split = loaded, state, split
        _freeze_heap(unfreeze=replaced)
        return True

    def online_rows(self, customer_ids: list[str]) -> dict[str, dict[str, Any]]:
        """{customer id: feature row} for the ids the online store knows, in one read. A
        store that cannot be opened or read is a 503 (the service has no features to use)."""
        from mlcycle.features.store import online_rows, open_store

        try:
            if self._store is None:
                if not self.settings.feature_store:
                    raise RuntimeError("no feature store is configured (setting feature_store)")
                self._store = open_store(self.settings.products, self.settings.feature_store)
            frame = online_rows(self._store, self.config, customer_ids)
        except Exception as exc:  # noqa: BLE001 - the store's trouble, not the request's
            log.exception("online store read failed")
            raise HTTPException(
                503,
                f"the online store cannot be read ({type(exc).__name__}): requests by "
                "customer_id are unavailable; send features instead",
            ) from None
        records = frame_to_records(frame, self.config)
        return dict(zip(frame.index, records, strict=True))


def _freeze_heap(unfreeze: bool) -> None:
    """Move what is loaded now out of the garbage collector's way: a 100-tree forest is ~390k
    tracked objects, and a full collection over them (~0.2 s) shows up as a p99 spike. On a
    reload, the models it replaced are unfrozen and collected first; a first load has nothing
    of its own frozen yet, so it collects only what is not frozen (in a process that already
    froze its imports, e.g. a test session, that is far less than the whole heap)."""
    if unfreeze:
        gc.unfreeze()
    gc.collect()
    gc.freeze()


class UnsafeSettings(ValueError):
    """Settings the service refuses to start with."""


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or 'localhost': reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def create_app(settings: Settings) -> FastAPI:
    if not is_loopback(settings.host) and not settings.reload_token:
        raise UnsafeSettings(
            f"the service would listen on {settings.host}, beyond this machine, with /reload "
            "open: set MLCYCLE_RELOAD_TOKEN in its environment (or bind host: 127.0.0.1)"
        )
    config = load_dataset_config(settings.dataset)
    api = request_models(config, settings.max_batch)
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
        service.writer.close()  # what is queued is committed first
        service.log.close()  # the long-lived writer connection: its WAL is checkpointed

    app = FastAPI(
        title=f"{service.name} predictions",
        description=f"Predictions of {config.target.column} from the registry's champion.",
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
        detail = [
            {"loc": [_shown(p) for p in e["loc"]], "msg": _shown(e["msg"]), "type": e["type"]}
            for e in exc.errors()
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    def request_records(items: list[Any]) -> tuple[list[dict[str, Any] | None], list[str]]:
        """Every item's feature row in request order, and per item '' or why it has none.
        All customer ids of a request are read from the online store at once."""
        ids = [item.customer_id for item in items if item.customer_id is not None]
        found = service.online_rows(ids) if ids else {}
        records: list[dict[str, Any] | None] = []
        errors: list[str] = []
        for item in items:
            if item.customer_id is None:
                records.extend(to_records([item.features], config))
                errors.append("")
            elif item.customer_id in found:
                records.append(found[item.customer_id])
                errors.append("")
            else:
                from mlcycle.features.store import unknown_entity

                records.append(None)
                errors.append(unknown_entity(config, item.customer_id))
        return records, errors

    def arm_of(item: Any, models: dict[str, ServedModel], split: Split) -> tuple[str, str]:
        """The arm a request goes to, and why (only 'randomised' rows are an A/B sample)."""
        if len(split.arms) == 1:
            return CHAMPION, NO_EXPERIMENT
        if item.user_id is None:
            return CHAMPION, NO_USER_ID
        arm = assign_arm(item.user_id, split.arms, split.experiment)
        if arm not in models:  # an arm whose model is not loaded
            return CHAMPION, FALLBACK
        return arm, RANDOMISED

    def answered(items: list[Any]) -> tuple[list[PredictionOut | ItemError], list[Prediction]]:
        """Answers in request order, not yet committed: a prediction, or an ItemError for an
        item that has no features (a customer id the online store does not know), and the
        log's rows for the predictions."""
        # this request keeps these models and this split even if a reload swaps them
        models, split = service.models, service.split
        if CHAMPION not in models:
            raise HTTPException(503, f"no champion of '{service.name}' is loaded yet")
        rows, errors = request_records(items)
        ok = [i for i, e in enumerate(errors) if not e]
        if len(ok) == len(items):
            return predict_rows(items, rows, models, split)
        known = [items[i] for i in ok]  # some customer ids are unknown: the others are answered
        out, records = predict_rows(known, [rows[i] for i in ok], models, split) if ok else ([], [])
        answers = iter(out)
        return [
            ItemError(status=404, detail=e, customer_id=item.customer_id) if e else next(answers)
            for item, e in zip(items, errors, strict=True)
        ], records

    def unrecorded(records: list[Prediction], exc: Exception) -> HTTPException:
        """The answer when the log refused rows: nothing is served that is not logged."""
        log.exception("the prediction log refused %d row(s)", len(records))
        return HTTPException(
            503,
            f"the predictions could not be recorded ({type(exc).__name__}); "
            "nothing was served: retry later",
        )

    def counted(out: list[PredictionOut | ItemError], started: float) -> None:
        """Counted once committed, so the counter never runs ahead of the log."""
        for pred in out:
            if isinstance(pred, PredictionOut):
                service.metrics.predictions.labels(
                    model_version=pred.model_version, arm=pred.arm
                ).inc()
        service.metrics.latency.observe(time.perf_counter() - started)

    def predict_many(items: list[Any]) -> list[PredictionOut | ItemError]:
        """Answered and committed, in a worker thread (batches, customer ids, scikit-learn)."""
        started = time.perf_counter()
        out, records = answered(items)
        try:
            service.log.record(records)
        except Exception as exc:  # noqa: BLE001 - nothing is served that is not logged
            raise unrecorded(records, exc) from None
        counted(out, started)
        return out

    def predict_rows(
        items: list[Any], rows: list[Any], models: dict[str, ServedModel], split: Split
    ) -> tuple[list[PredictionOut], list[Prediction]]:
        routed = [arm_of(item, models, split) for item in items]
        arms = [arm for arm, _ in routed]
        answers: list[dict[str, Any]] = [{}] * len(items)
        for arm in set(arms):
            picked = [i for i, a in enumerate(arms) if a == arm]
            part = rows if len(picked) == len(rows) else [rows[i] for i in picked]
            for feature, count in models[arm].unseen(part).items():
                service.metrics.unseen.labels(feature=feature).inc(count)
            for i, answer in zip(picked, models[arm].answer(part), strict=True):
                answers[i] = answer
        out, records = [], []
        experiment = split.experiment if len(split.arms) > 1 else ""
        for item, (arm, why), answer, features in zip(items, routed, answers, rows, strict=True):
            model = models[arm]
            pred = PredictionOut(
                **answer,
                task=model.task,
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
                    experiment,
                    why,
                    split.spec,
                    model.task,
                )
            )
        return out, records

    @app.post(
        "/predict",
        response_model=PredictionOut,
        response_model_exclude_none=True,  # a field the task does not have is left out
        responses=problems(400, 404, 413, 503),
    )
    async def predict(request: api.predict) -> PredictionOut:  # type: ignore[valid-type]
        """One prediction. Features scored by ONNX Runtime are answered on the event loop
        (a row is ~0.2 ms of work: less than handing it to a thread, which under the GIL
        costs more than the work), and only the durable commit waits, in the log's writer
        thread. A customer id (an online-store read) or a scikit-learn model goes to a
        thread whole."""
        if request.customer_id is None and all(
            m.onnx_session is not None for m in service.models.values()
        ):
            started = time.perf_counter()
            out, records = answered([request])
            try:
                await service.writer.record(records)
            except Exception as exc:  # noqa: BLE001 - nothing is served that is not logged
                raise unrecorded(records, exc) from None
            counted(out, started)
            answer = out[0]
        else:
            answer = (await run_in_threadpool(predict_many, [request]))[0]
        if isinstance(answer, ItemError):
            raise HTTPException(answer.status, answer.detail)
        return answer

    @app.post(
        "/predict/batch",
        response_model=list[PredictionOut | ItemError],
        response_model_exclude_none=True,
        responses=problems(400, 413, 503),
    )
    def predict_batch(batch: api.batch) -> list[PredictionOut | ItemError]:  # type: ignore[valid-type]
        """One answer per item, in order: a prediction, or an item error (an unknown customer
        id is a 404 for that item only)."""
        if len(batch.items) > settings.max_batch:
            service.metrics.validation_errors.inc()
            raise HTTPException(
                413, f"batch of {len(batch.items)} items is over the limit of {settings.max_batch}"
            )
        return predict_many(batch.items) if batch.items else []

    def record_outcomes(items: list[Feedback]) -> tuple[int, dict[str, Any]]:
        """Outcomes written, and the recent window's performance by version: accuracy of
        the classifiers, mean absolute error of the regressors (also the gauges)."""
        try:
            written = service.log.record_feedback_many(
                [(i.request_id, i.outcome, i.correction) for i in items]
            )
        except UnknownRequestError as exc:
            raise HTTPException(404, str(exc.args[0])) from None
        except OutcomeConflictError as exc:
            raise HTTPException(409, str(exc)) from None
        except OutcomeTypeError as exc:  # a 422 like any invalid field (and counted so)
            where = ("body", "outcome") if len(items) == 1 else ("body", "items", "outcome")
            raise RequestValidationError(
                [{"loc": where, "msg": str(exc), "type": "value_error"}]
            ) from None
        window = timedelta(hours=settings.accuracy_window_hours)
        accuracy = service.log.accuracy_by_version(window, service.name)
        error = service.log.error_by_version(window, service.name)
        for version, (_, value) in accuracy.items():
            service.metrics.accuracy.labels(model_version=version).set(value)
        for version, (_, value) in error.items():
            service.metrics.error.labels(model_version=version).set(value)
        return written, {
            "accuracy": {v: {"labelled": n, "accuracy": a} for v, (n, a) in accuracy.items()},
            "error": {v: {"labelled": n, "mean_absolute_error": e} for v, (n, e) in error.items()},
        }

    @app.post("/feedback", response_model=FeedbackOut, responses=problems(400, 404, 409, 413, 503))
    def feedback(body: api.feedback) -> dict[str, Any]:  # type: ignore[valid-type]
        """An outcome of the prediction's task (0/1, a class label, a number), written once:
        the same outcome again is a no-op (`recorded: false`), a different one a 409 unless
        `correction` is true."""
        written, performance = record_outcomes([body])
        return {"request_id": body.request_id, "recorded": bool(written), **performance}

    @app.post(
        "/feedback/batch",
        response_model=FeedbackBatchOut,
        responses=problems(400, 404, 409, 413, 503),
    )
    def feedback_batch(body: api.feedback_batch) -> dict[str, Any]:  # type: ignore[valid-type]
        """Outcomes as they arrive from a warehouse: all recorded in one transaction, or none
        (a 404, 409 or 422 naming the first unknown, conflicting or mistyped request id)."""
        if len(body.items) > settings.max_batch:
            service.metrics.validation_errors.inc()
            raise HTTPException(
                413, f"batch of {len(body.items)} items is over the limit of {settings.max_batch}"
            )
        written, performance = record_outcomes(body.items)
        return {"recorded": written, **performance}

    @app.get(
        "/metrics",
        response_class=Response,
        responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text"}},
    )
    def metrics() -> Response:
        return Response(generate_latest(metrics_registry()), media_type=CONTENT_TYPE_LATEST)

    def metrics_registry() -> CollectorRegistry:
        """This process's metrics, or with several workers (PROMETHEUS_MULTIPROC_DIR, set by
        `mlcycle serve` before prometheus_client was imported) all of theirs, summed. Decided
        by where the values live, not by the variable: Feast sets it when it is imported."""
        from prometheus_client import values

        if values.ValueClass is values.MutexValue:  # in this process's memory
            return service.metrics.registry
        from prometheus_client import multiprocess

        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)
        return merged

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/ready", response_model=ReadyOut, responses={503: {"model": ReadyOut}})
    def ready() -> JSONResponse:
        models = {a: m.version for a, m in service.models.items()}
        ok = CHAMPION in models
        runtimes = {a: m.runtime for a, m in service.models.items()}
        split = service.split
        return JSONResponse(
            {
                "ready": ok,
                "model_name": service.name,
                "versions": models,
                "runtimes": runtimes,
                "split": split.spec,
                "experiment": split.experiment,
                "refused": {a: why for a, (_, why) in service.refused.items()},
            },
            status_code=200 if ok else 503,
        )

    @app.post("/reload", response_model=ReloadOut, responses=problems(403))
    def reload(request: Request) -> dict[str, Any]:
        """Follow the registry now. With a reload token set, only with that token (from
        anywhere, loopback included: a same-host proxy makes every caller look local);
        without one, only on a loopback-bound service from a loopback peer. Forwarded
        headers are never read (`mlcycle serve` turns uvicorn's proxy headers off)."""
        if settings.reload_token:
            token = request.headers.get("x-reload-token", "")
            allowed = hmac.compare_digest(token.encode(), settings.reload_token.encode())
        else:
            peer = request.client.host if request.client else ""
            allowed = is_loopback(settings.host) and is_loopback(peer)
        if not allowed:
            raise HTTPException(
                403,
                "reload needs the X-Reload-Token header"
                if settings.reload_token
                else "reload is allowed only from this machine",
            )
        changed = service.load()
        return {"reloaded": changed, "versions": {a: m.version for a, m in service.models.items()}}

    return app


def _shown(value: Any) -> Any:
    """A value fit for a JSON answer: a lone surrogate (a client's invalid text, echoed in a
    422's loc) is shown escaped instead of failing the response's UTF-8 encoding."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


SETTINGS_ENV = "MLCYCLE_SERVICE_SETTINGS"  # the settings of `mlcycle serve`, for its workers


def from_environment() -> FastAPI:
    """The app of one worker of `mlcycle serve --workers N` (uvicorn imports this factory in
    each worker process): the settings the command resolved, passed in the environment, so
    a secret (the reload token) is never on a command line."""
    return create_app(Settings(**json.loads(os.environ[SETTINGS_ENV])))


async def _poll(service: Service, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        # load() counts and survives registry trouble; this is the last line of defence
        with contextlib.suppress(Exception):
            await asyncio.to_thread(service.load)
