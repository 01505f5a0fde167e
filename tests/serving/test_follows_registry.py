"""The running service follows the registry: the rollout's split, ONNX verdicts, and outages.

A real registry in a temporary store (conftest.registry: v1 champion, v2 challenger), the app
through FastAPI's TestClient; every change is made in the registry, never in the service.
"""

import mlflow
import pytest
from fastapi.testclient import TestClient

from mlcycle.registry import rollout as state
from mlcycle.serving.app import create_app
from mlcycle.serving.prediction_log import PredictionLog
from tests.serving.test_app import LOCAL, metric, payload, settings

NAME = "customer_churn"


@pytest.fixture
def registry_client(registry):
    _, uri, _ = registry
    client = mlflow.MlflowClient(uri, registry_uri=uri)
    yield client
    for key in client.get_registered_model(NAME).tags:  # no rollout left for other tests
        if key.startswith(state.PREFIX):
            client.delete_registered_model_tag(NAME, key)
    client.set_registered_model_alias(NAME, "champion", "1")
    client.set_registered_model_alias(NAME, "challenger", "2")


def test_the_service_follows_a_rollout_started_in_the_registry(registry, registry_client):
    s = settings(registry, arms="")  # '' = follow the registry
    with TestClient(create_app(s), client=LOCAL) as c:
        assert c.get("/ready").json()["split"] == "champion=100"
        before = c.post("/predict", json={"features": payload(registry), "user_id": "u0"}).json()
        assert before["arm"] == "champion"

        started = state.start_rollout(registry_client, NAME, 50)
        assert c.post("/reload").json()["reloaded"]  # what the poller does every reload_seconds
        ready = c.get("/ready").json()
        assert ready["split"] == "champion=50,challenger=50"
        assert ready["experiment"] == started.key and ready["versions"]["challenger"] == "2"
        arms = {
            c.post("/predict", json={"features": payload(registry), "user_id": f"u{i}"}).json()[
                "arm"
            ]
            for i in range(40)
        }
        assert arms == {"champion", "challenger"}
        anonymous = c.post("/predict", json={"features": payload(registry)}).json()
        assert anonymous["arm"] == "champion"

        state.roll_back(registry_client, NAME, state.read_rollout(registry_client, NAME), "test")
        c.post("/reload")
        assert c.get("/ready").json()["split"] == "champion=100"
        after = c.post("/predict", json={"features": payload(registry), "user_id": "u1"}).json()
        assert after["arm"] == "champion"

    log = PredictionLog(s.prediction_log).frame()
    by_id = log.set_index("request_id")
    assert by_id.loc[before["request_id"], ["experiment", "assignment"]].tolist() == [
        "", "no experiment"
    ]  # fmt: skip
    during = log[log["experiment"] == started.key]
    assert len(during) == 41
    assert set(during["split"]) == {"champion=50,challenger=50"}
    assert (during["assignment"] == "randomised").sum() == 40
    assert by_id.loc[anonymous["request_id"], "assignment"] == "no user id"
    assert by_id.loc[after["request_id"], "experiment"] == ""


def test_a_pinned_split_overrides_the_registry(registry, registry_client):
    state.start_rollout(registry_client, NAME, 50)
    with TestClient(create_app(settings(registry, arms="champion=100")), client=LOCAL) as c:
        ready = c.get("/ready").json()
        assert ready["split"] == "champion=100" and "challenger" not in ready["versions"]


def test_a_registry_outage_or_a_missing_alias_keeps_the_champion_serving(
    registry, registry_client, monkeypatch
):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    app = create_app(settings(registry))
    with TestClient(app, client=LOCAL) as c:
        service = app.state.service
        registry_client.delete_registered_model_alias(NAME, "champion")
        assert not c.post("/reload").json()["reloaded"]
        assert c.post("/predict", json={"features": payload(registry)}).status_code == 200
        assert metric(c, "registry_errors_total", kind="alias missing") == 1

        real = service.client
        nowhere = "http://127.0.0.1:9"  # nothing listens on the discard port
        service.client = mlflow.MlflowClient(nowhere, registry_uri=nowhere)
        try:
            assert not c.post("/reload").json()["reloaded"]
        finally:
            service.client = real
        r = c.post("/predict", json={"features": payload(registry)})
        assert r.status_code == 200 and r.json()["model_version"] == "1"
        assert metric(c, "registry_errors_total", kind="registry unreachable") == 1
        assert c.get("/ready").json()["ready"]


def test_a_loaded_version_moves_to_onnx_runtime_when_optimize_tags_it(
    registry, registry_client, churn_config
):
    from mlcycle.optimize.onnx_artifact import TAG_PARITY, record_export
    from mlcycle.optimize.onnx_export import export

    _, uri, rows = registry
    with TestClient(create_app(settings(registry)), client=LOCAL) as c:
        assert c.get("/ready").json()["runtimes"] == {"champion": "scikit-learn"}
        mlflow.set_registry_uri(uri)
        pipeline = mlflow.sklearn.load_model(f"models:/{NAME}/1")
        result = export(pipeline, rows, churn_config, max_allowed_diff=0.15)
        assert result.usable, result.reason
        run_id = registry_client.get_model_version(NAME, "1").run_id
        try:
            record_export(registry_client, NAME, "1", run_id, result)  # what optimize does
            assert c.post("/reload").json()["reloaded"]  # same version, new verdict
            ready = c.get("/ready").json()
            assert ready["versions"] == {"champion": "1"}
            assert ready["runtimes"] == {"champion": "onnxruntime"}
        finally:
            registry_client.set_model_version_tag(NAME, "1", TAG_PARITY, "failed")
        c.post("/reload")
        assert c.get("/ready").json()["runtimes"] == {"champion": "scikit-learn"}


def test_a_pickled_version_is_refused_and_the_service_keeps_serving(registry, tmp_path):
    """The champion alias moved to a version stored as pickle: it never loads (its payload
    never runs), the refusal is counted once and named in /ready, the old version serves."""
    from tests.registry.test_trusted import registry_with_a_pickle

    _, uri, _ = registry
    marker = registry_with_a_pickle(uri, tmp_path, "untrusted_churn")
    client = mlflow.MlflowClient(uri, registry_uri=uri)
    with TestClient(
        create_app(settings(registry, model_name="untrusted_churn")), client=LOCAL
    ) as c:
        assert c.get("/ready").json()["versions"] == {"champion": "1"}
        client.set_registered_model_alias("untrusted_churn", "champion", "2")
        c.post("/reload")
        c.post("/reload")  # the poller again: refused once, not loaded again
        ready = c.get("/ready").json()
        assert ready["versions"] == {"champion": "1"}
        assert "version 2 of 'untrusted_churn' is stored as pickle" in ready["refused"]["champion"]
        assert metric(c, "registry_errors_total", kind="untrusted model") == 1
        r = c.post("/predict", json={"features": payload(registry)})
        assert r.status_code == 200 and r.json()["model_version"] == "1"
    assert not marker.exists()
