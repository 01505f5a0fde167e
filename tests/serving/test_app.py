"""The service for real: FastAPI's TestClient, a real registry in a temporary store."""

import json
import threading
import time
from dataclasses import replace

import mlflow
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from mlcycle.serving.app import Settings, create_app
from mlcycle.settings import load_settings
from tests.conftest import CHURN_CONFIG, PROJECT

DEFAULTS = Settings.of(load_settings(PROJECT, environ={}))  # env.yaml's
LOCAL = ("127.0.0.1", 50000)  # a peer on this machine (TestClient's default is 'testclient')


def settings(registry, **change):
    folder, uri, _ = registry
    base = dict(
        dataset=str(CHURN_CONFIG),
        tracking_uri=uri,
        reload_seconds=0,
        prediction_log=str(folder / f"log-{len(change)}-{sorted(change)}.db"),
        feature_store=None,
        products=str(folder),
        arms="champion=100",  # no A/B test unless a test asks for one
    )
    return replace(DEFAULTS, **{**base, **change})


def payload(registry, i=0, **change):
    row = registry[2].iloc[i].to_dict()
    return {
        k: (None if isinstance(v, float) and v != v else v) for k, v in {**row, **change}.items()
    }


@pytest.fixture
def client(registry):
    with TestClient(create_app(settings(registry)), client=LOCAL) as c:
        yield c


def test_health_ready_and_openapi_from_the_config(client, churn_config):
    assert client.get("/health").json() == {"status": "alive"}
    ready = client.get("/ready").json()
    assert ready["ready"] and ready["versions"] == {"champion": "1"}
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    features = next(v for k, v in schema.items() if k.endswith("Features"))
    assert set(features["properties"]) == set(churn_config.feature_names)
    assert features["properties"]["age"]["anyOf"][0]["maximum"] == 100


def test_predict_returns_probability_version_arm_and_request_id(client, registry):
    body = client.post("/predict", json={"features": payload(registry), "user_id": "u1"})
    assert body.status_code == 200, body.text
    out = body.json()
    assert 0 <= out["probability"] <= 1 and out["prediction"] == int(out["probability"] >= 0.5)
    assert out["model_name"] == "customer_churn" and out["model_version"] == "1"
    assert out["arm"] == "champion" and len(out["request_id"]) == 32
    batch = client.post(
        "/predict/batch", json={"items": [{"features": payload(registry, i)} for i in range(5)]}
    )
    assert batch.status_code == 200 and len(batch.json()) == 5
    assert len({p["request_id"] for p in batch.json()}) == 5


@pytest.mark.parametrize(
    "change, field",
    [
        ({"age": 5}, "age"),
        ({"income": "rich"}, "income"),
        ({"shoe": 1}, "shoe"),
        ({"tenure_months": True}, "tenure_months"),  # was contract=7: a category may be a number
    ],
)
def test_bad_requests_get_422_naming_the_field(client, registry, change, field):
    r = client.post("/predict", json={"features": payload(registry, **change)})
    assert r.status_code == 422
    assert any(field in d["loc"] for d in r.json()["detail"]), r.json()


def test_nan_missing_and_both_sources_are_refused(client, registry):
    raw = '{"features": {"age": NaN}}'  # NaN is a missing value; the other fields are absent
    r = client.post("/predict", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422
    bad = payload(registry)
    del bad["income"]  # every feature is required, as every column of a file is ...
    r = client.post("/predict", json={"features": bad})
    assert r.status_code == 422 and ["body", "features", "income"] in [d["loc"] for d in r.json()[
        "detail"]]  # fmt: skip
    bad["income"] = None  # ... and null is a missing value: imputed, served
    assert client.post("/predict", json={"features": bad}).status_code == 200
    raw = json.dumps({"features": payload(registry)}).replace('"age": ', '"age": NaN, "x": ')
    r = client.post("/predict", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422 and "x" in r.text  # NaN read as missing; the extra field refused
    r = client.post("/predict", json={"features": payload(registry), "customer_id": "C1"})
    assert r.status_code == 422 and "exactly one of" in r.text
    assert client.post("/predict", json={}).status_code == 422


def test_oversized_body_and_batch(registry):
    with TestClient(
        create_app(settings(registry, max_body_bytes=2000, max_batch=3)), client=LOCAL
    ) as c:
        big = {"items": [{"features": payload(registry, i)} for i in range(20)]}
        assert c.post("/predict/batch", json=big).status_code == 413
        four = {"items": [{"features": payload(registry, i)} for i in range(4)]}
        r = c.post("/predict/batch", json=four)
        assert r.status_code in (413,) and ("limit" in r.text)


def test_a_chunked_body_is_limited_as_it_streams(registry):
    """No Content-Length (Transfer-Encoding: chunked): the bytes are counted as they come."""
    import json

    with TestClient(create_app(settings(registry, max_body_bytes=2000)), client=LOCAL) as c:
        body = json.dumps({"features": payload(registry), "user_id": "u" * 5000}).encode()
        r = c.post("/predict", content=iter([body[:1000], body[1000:]]),
                   headers={"content-type": "application/json"})  # fmt: skip
        assert r.status_code == 413 and "over the limit of 2000 bytes" in r.text
        assert metric(c, "validation_errors_total") == 1
        small = json.dumps({"features": payload(registry)}).encode()
        r = c.post("/predict", content=iter([small[:10], small[10:]]),
                   headers={"content-type": "application/json"})  # fmt: skip
        assert r.status_code == 200


def test_loaded_models_are_frozen_out_of_the_collector(client):
    """gc.freeze() after a load: the models' objects are not rescanned by every full
    collection (the p99 spikes of a loaded forest)."""
    import gc

    assert gc.get_freeze_count() > 10_000


def test_unseen_category_is_served_and_counted(client, registry):
    r = client.post("/predict", json={"features": payload(registry, payment_method="barter")})
    assert r.status_code == 200
    assert metric(client, "unseen_categories_total", feature="payment_method") >= 1


def test_ab_routing_is_stable_and_split(registry):
    with TestClient(
        create_app(settings(registry, arms="champion=50,challenger=50")), client=LOCAL
    ) as c:
        arms = {}
        for u in range(60):
            out = c.post(
                "/predict", json={"features": payload(registry), "user_id": f"u{u}"}
            ).json()
            arms[f"u{u}"] = (out["arm"], out["model_version"])
        assert {a for a, _ in arms.values()} == {"champion", "challenger"}
        assert all(v == ("champion", "1") or v == ("challenger", "2") for v in arms.values())
        again = c.post("/predict", json={"features": payload(registry), "user_id": "u7"}).json()
        assert (again["arm"], again["model_version"]) == arms["u7"]


def test_feedback_updates_the_accuracy_gauge_and_unknown_ids_404(client, registry):
    out = client.post("/predict", json={"features": payload(registry)}).json()
    r = client.post(
        "/feedback", json={"request_id": out["request_id"], "outcome": out["prediction"]}
    )
    assert r.status_code == 200 and r.json()["accuracy"]["1"]["accuracy"] == 1.0
    assert metric(client, "prediction_accuracy", model_version="1") == 1.0
    assert client.post("/feedback", json={"request_id": "nope", "outcome": 1}).status_code == 404
    assert (
        client.post("/feedback", json={"request_id": out["request_id"], "outcome": 3}).status_code
        == 422
    )


def test_feedback_in_a_batch_is_all_or_nothing(client, registry):
    from mlcycle.serving.prediction_log import PredictionLog

    outs = [
        client.post("/predict", json={"features": payload(registry, i)}).json() for i in range(3)
    ]
    items = [{"request_id": o["request_id"], "outcome": 1} for o in outs]
    bad = client.post("/feedback/batch", json={"items": [*items, {"request_id": "nope",
                                                                 "outcome": 0}]})  # fmt: skip
    assert bad.status_code == 404 and "'nope'" in bad.json()["detail"]
    log = PredictionLog(client.app.state.service.settings.prediction_log).frame()
    assert log.set_index("request_id").loc[[o["request_id"] for o in outs], "outcome"].isna().all()
    r = client.post("/feedback/batch", json={"items": items})
    assert r.status_code == 200 and r.json()["recorded"] == 3
    log = PredictionLog(client.app.state.service.settings.prediction_log).frame()
    assert (log.set_index("request_id").loc[[o["request_id"] for o in outs], "outcome"] == 1).all()
    assert (
        metric(client, "prediction_accuracy", model_version="1")
        == r.json()["accuracy"]["1"]["accuracy"]
    )


def test_metrics_parse_as_prometheus_text(client, registry):
    client.post("/predict", json={"features": payload(registry)})
    client.post("/predict", json={"features": payload(registry, age=1)})
    assert metric(client, "predictions_total", model_version="1", arm="champion") >= 1
    assert metric(client, "prediction_latency_seconds_count") >= 1
    assert metric(client, "validation_errors_total") >= 1


def test_reload_follows_the_champion_alias(registry):
    _, uri, _ = registry
    registry_client = mlflow.MlflowClient(uri, registry_uri=uri)
    with TestClient(create_app(settings(registry)), client=LOCAL) as c:
        assert (
            c.post("/predict", json={"features": payload(registry)}).json()["model_version"] == "1"
        )
        registry_client.set_registered_model_alias("customer_churn", "champion", "2")
        try:
            r = c.post("/reload")
            assert r.status_code == 200 and r.json()["versions"]["champion"] == "2"
            assert (
                c.post("/predict", json={"features": payload(registry)}).json()["model_version"]
                == "2"
            )
        finally:
            registry_client.set_registered_model_alias("customer_churn", "champion", "1")


def test_polling_follows_the_alias_without_failing_requests_in_flight(registry):
    """Requests keep flowing while the poller swaps the model: none fails, and both versions
    answer, the new one only after the alias moved."""
    _, uri, _ = registry
    registry_client = mlflow.MlflowClient(uri, registry_uri=uri)
    answers: list[tuple[int, str | None]] = []
    stop = threading.Event()
    with TestClient(create_app(settings(registry, reload_seconds=0.2)), client=LOCAL) as c:

        def hammer():
            while not stop.is_set():
                r = c.post("/predict", json={"features": payload(registry)})
                answers.append((r.status_code, r.json().get("model_version")))

        worker = threading.Thread(target=hammer)
        worker.start()
        try:
            time.sleep(0.5)
            registry_client.set_registered_model_alias("customer_churn", "champion", "2")
            deadline = time.monotonic() + 15
            while c.get("/ready").json()["versions"]["champion"] != "2":
                assert time.monotonic() < deadline, "the poller never picked up the new champion"
                time.sleep(0.1)
            time.sleep(0.3)
        finally:
            stop.set()
            worker.join()
            registry_client.set_registered_model_alias("customer_churn", "champion", "1")
    assert {status for status, _ in answers} == {200}
    versions = [v for _, v in answers]
    assert versions[0] == "1" and versions[-1] == "2"
    assert versions == sorted(versions), "a request was answered by the old model after the swap"


def test_prediction_log_receives_every_prediction(registry):
    s = settings(registry, experiment_key="log-test")
    with TestClient(create_app(s), client=LOCAL) as c:
        ids = [
            c.post("/predict", json={"features": payload(registry, i), "user_id": f"u{i}"}).json()[
                "request_id"
            ]
            for i in range(3)
        ]
    from pathlib import Path

    from mlcycle.serving.prediction_log import PredictionLog

    # shutdown closed the writer: SQLite folded the WAL into the database file
    wal = Path(f"{s.prediction_log}-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    df = PredictionLog(s.prediction_log).frame()
    assert list(df["request_id"]) == ids and list(df["user_id"]) == ["u0", "u1", "u2"]
    assert df.loc[0, "features"]["age"] == payload(registry, 0)["age"]


def metric(client, name, **labels):
    text = client.get("/metrics").text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    raise AssertionError(f"{name}{labels} not in /metrics")


def test_a_version_that_passed_onnx_parity_is_served_by_onnxruntime(registry, churn_config):
    from mlcycle.optimize.onnx_artifact import record_export
    from mlcycle.optimize.onnx_export import export

    folder, uri, rows = registry
    client = mlflow.MlflowClient(uri, registry_uri=uri)
    with TestClient(
        create_app(settings(registry)), client=LOCAL
    ) as c:  # no export yet: scikit-learn
        assert c.get("/ready").json()["runtimes"] == {"champion": "scikit-learn"}
        sklearn_p = c.post("/predict", json={"features": payload(registry)}).json()["probability"]
        assert c.app.state.service.writer._thread is None  # answered whole in a worker thread
    mlflow.set_registry_uri(uri)
    mv = client.get_model_version("customer_churn", "1")
    pipeline = mlflow.sklearn.load_model("models:/customer_churn/1")
    # a 10-tree forest moves by 0.1 when float32 flips one tree's leaf: allow that here
    result = export(pipeline, rows, churn_config, max_allowed_diff=0.15)
    assert result.usable, result.reason
    record_export(client, "customer_churn", "1", mv.run_id, result)
    try:
        with TestClient(create_app(settings(registry)), client=LOCAL) as c:
            assert c.get("/ready").json()["runtimes"] == {"champion": "onnxruntime"}
            answer = c.post("/predict", json={"features": payload(registry)}).json()
            onnx_p = answer["probability"]
            # answered on the event loop, committed by the log's writer before the answer
            service = c.app.state.service
            assert service.writer._thread is not None
            assert service.log.row(answer["request_id"]) is not None
            before = metric(c, "predictions_total", arm="champion")

            def failing(calls):
                raise OSError("disk full")

            service.log.record_each = failing
            r = c.post("/predict", json={"features": payload(registry)})
            assert r.status_code == 503 and "could not be recorded (OSError)" in r.json()["detail"]
            assert metric(c, "predictions_total", arm="champion") == before
        assert onnx_p == pytest.approx(sklearn_p, abs=0.05)
    finally:
        client.set_model_version_tag("customer_churn", "1", "onnx.parity", "failed")
    with TestClient(
        create_app(settings(registry)), client=LOCAL
    ) as c:  # parity not passed: scikit-learn
        assert c.get("/ready").json()["runtimes"] == {"champion": "scikit-learn"}


def test_invalid_unicode_anywhere_is_a_422_naming_the_field(client, registry):
    """A lone surrogate ("\\ud800", valid JSON, not valid text) was a 500 in the ONNX input,
    the log, the online store and the A/B hash: now a 422 that names the field."""
    cases = [
        ({"features": payload(registry, contract="\ud800")}, "/predict", "contract"),
        ({"features": payload(registry), "user_id": "u\ud800"}, "/predict", "user_id"),
        ({"customer_id": "C\udfff"}, "/predict", "customer_id"),
        ({"items": [{"features": payload(registry), "user_id": "\ud800"}]}, "/predict/batch",
         "user_id"),
        ({"request_id": "\ud800", "outcome": 1}, "/feedback", "request_id"),
    ]  # fmt: skip
    for body, path, field in cases:
        raw = json.dumps(body)  # escapes the surrogate as \ud800, as a client would send it
        r = client.post(path, content=raw, headers={"content-type": "application/json"})
        assert r.status_code == 422, (path, field, r.status_code, r.text)
        assert any(field in d["loc"] for d in r.json()["detail"]), r.json()
    raw = json.dumps({"features": {**payload(registry), "\ud800": 1}})
    r = client.post("/predict", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422 and ["body", "features"] in [d["loc"] for d in r.json()["detail"]]


def test_ids_and_categories_have_a_length_limit(client, registry):
    long = "u" * 10_000  # under the body limit: the schema's maxLength refuses it
    r = client.post("/predict", json={"features": payload(registry), "user_id": long})
    assert r.status_code == 422 and ["body", "user_id"] in [d["loc"] for d in r.json()["detail"]]
    r = client.post("/predict", json={"customer_id": long})
    assert r.status_code == 422
    r = client.post("/feedback", json={"request_id": long, "outcome": 1})
    assert r.status_code == 422
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert schema["PredictRequest"]["properties"]["user_id"]["anyOf"][0]["maxLength"] > 0


def test_numbers_are_json_numbers_and_every_feature_is_required(client, registry):
    for value in (True, "12", "12.5"):
        r = client.post("/predict", json={"features": payload(registry, age=value)})
        assert r.status_code == 422, value
        assert ["body", "features", "age"] in [d["loc"] for d in r.json()["detail"]]
    r = client.post("/predict", json={"features": {}})
    assert r.status_code == 422
    missing = {d["loc"][-1] for d in r.json()["detail"] if d["type"] == "missing"}
    assert missing == set(registry[2].columns), r.json()


def test_predictions_are_counted_only_once_they_are_logged(registry):
    with TestClient(create_app(settings(registry)), client=LOCAL) as c:
        c.post("/predict", json={"features": payload(registry)})
        service = c.app.state.service
        before = metric(c, "predictions_total", arm="champion")
        writer = service.log.record

        def failing(rows):
            raise OSError("disk full")

        service.log.record = failing
        r = c.post("/predict", json={"features": payload(registry)})
        assert r.status_code == 503 and "could not be recorded" in r.json()["detail"]
        assert metric(c, "predictions_total", arm="champion") == before
        service.log.record = writer
        assert c.post("/predict", json={"features": payload(registry)}).status_code == 200
        assert metric(c, "predictions_total", arm="champion") == before + 1


def test_reload_trusts_a_token_or_a_loopback_service_never_a_name_or_a_header(registry):
    local = settings(registry)
    with TestClient(create_app(local), client=("testclient", 1)) as c:  # not an address
        assert c.post("/reload").status_code == 403
    with TestClient(create_app(local), client=("10.0.0.7", 1)) as c:
        r = c.post("/reload", headers={"x-forwarded-for": "127.0.0.1"})
        assert r.status_code == 403 and "only from this machine" in r.json()["detail"]
    with TestClient(create_app(local), client=("127.0.0.1", 1)) as c:
        assert c.post("/reload").status_code == 200
    with TestClient(create_app(local), client=("::1", 1)) as c:
        assert c.post("/reload").status_code == 200

    guarded = settings(registry, host="0.0.0.0", reload_token="s3cret-token")
    with TestClient(create_app(guarded), client=("127.0.0.1", 1)) as c:
        assert c.post("/reload").status_code == 403  # a same-host proxy's callers look local
        assert c.post("/reload", headers={"x-reload-token": "s3cret-tokem"}).status_code == 403
        assert c.post("/reload", headers={"x-reload-token": "s3cret-token"}).status_code == 200


def test_a_service_beyond_loopback_needs_a_reload_token(registry):
    from mlcycle.serving.app import UnsafeSettings

    with pytest.raises(UnsafeSettings, match="MLCYCLE_RELOAD_TOKEN"):
        create_app(settings(registry, host="0.0.0.0"))


def test_an_outcome_is_written_once_and_corrections_keep_history(client, registry):
    from mlcycle.serving.prediction_log import PredictionLog

    rid = client.post("/predict", json={"features": payload(registry)}).json()["request_id"]
    first = client.post("/feedback", json={"request_id": rid, "outcome": 1})
    assert first.status_code == 200 and first.json()["recorded"] is True
    again = client.post("/feedback", json={"request_id": rid, "outcome": 1})
    assert again.status_code == 200 and again.json()["recorded"] is False  # idempotent
    other = client.post("/feedback", json={"request_id": rid, "outcome": 0})
    assert other.status_code == 409 and "already has outcome 1" in other.json()["detail"]
    batch = client.post("/feedback/batch", json={"items": [{"request_id": rid, "outcome": 0}]})
    assert batch.status_code == 409
    log = PredictionLog(client.app.state.service.settings.prediction_log)
    assert log.row(rid)["outcome"] == 1 and log.corrections(rid) == []
    fixed = client.post("/feedback", json={"request_id": rid, "outcome": 0, "correction": True})
    assert fixed.status_code == 200 and fixed.json()["recorded"] is True
    assert log.row(rid)["outcome"] == 0
    [history] = log.corrections(rid)
    assert history["outcome"] == 1 and history["replaced_by"] == 0
