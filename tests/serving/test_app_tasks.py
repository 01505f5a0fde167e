"""The service answers every task in its own terms: a regressor's number, a multiclass model's
label with every class's probability; feedback of the task's type, and its performance gauge."""

import math

import mlflow
import pytest
from fastapi.testclient import TestClient

from mlcycle.serving.app import create_app
from mlcycle.serving.prediction_log import PredictionLog
from mlcycle.task import INTERVAL_METRIC, MULTICLASS, REGRESSION
from tests.conftest import fresh_sqlite_store, register_task_model
from tests.serving.test_app import LOCAL, metric, settings


@pytest.fixture(scope="module", params=[REGRESSION, MULTICLASS])
def served(request, tmp_path_factory, task_tables):
    """(task, its dataset config, the registered model, request rows, a registry tuple)."""
    task = request.param
    folder = tmp_path_factory.mktemp(f"serving-{task}")
    uri = fresh_sqlite_store(folder)
    version = register_task_model(uri, task_tables, f"{task}_model", task)
    model = mlflow.sklearn.load_model(f"models:/{task}_model/{version}")
    if task == REGRESSION:  # as the evaluate stage logs it
        client = mlflow.MlflowClient(uri)
        run_id = client.get_model_version(f"{task}_model", version).run_id
        client.log_metric(run_id, INTERVAL_METRIC, 25.0)
    config, table = task_tables[task]
    rows = [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
        for r in table[config.feature_names].iloc[200:210].to_dict("records")
    ]
    return task, config, model, rows, (folder, uri, None)


def test_a_prediction_is_the_tasks_own_and_is_logged(served):
    task, config, model, rows, registry = served
    options = settings(registry, dataset=str(config.path), model_name=f"{task}_model")
    with TestClient(create_app(options), client=LOCAL) as c:
        r = c.post("/predict", json={"features": rows[0], "user_id": "u1"})
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["task"] == task and out["model_name"] == f"{task}_model"
        frame = config_frame(config, rows[:1])
        if task == REGRESSION:
            assert "probability" not in out and "probabilities" not in out
            assert out["prediction"] == pytest.approx(float(model.predict(frame)[0]))
            assert out["interval"] == pytest.approx(
                [out["prediction"] - 25, out["prediction"] + 25]
            )
        else:
            assert "interval" not in out
            proba = dict(zip(map(str, model.classes_), model.predict_proba(frame)[0], strict=True))
            assert out["probabilities"] == pytest.approx(proba)
            assert out["prediction"] == max(proba, key=proba.get)
            assert out["probability"] == pytest.approx(proba[out["prediction"]])
        batch = c.post("/predict/batch", json={"items": [{"features": f} for f in rows[1:4]]})
        assert batch.status_code == 200 and [b["task"] for b in batch.json()] == [task] * 3
        stored = PredictionLog(options.prediction_log).frame().set_index("request_id")
        assert len(stored) == 4 and set(stored["task"]) == {task}
        assert stored.loc[out["request_id"], "prediction"] == out["prediction"]


def test_feedback_of_the_tasks_type_feeds_its_performance_and_a_mismatch_is_a_422(served):
    task, config, _, rows, registry = served
    options = settings(registry, dataset=str(config.path), model_name=f"{task}_model")
    with TestClient(create_app(options), client=LOCAL) as c:
        answers = [c.post("/predict", json={"features": f}).json() for f in rows[:2]]
        if task == REGRESSION:
            outcomes = [answers[0]["prediction"] + 10, answers[1]["prediction"] - 30]
            wrong = "a lot"
        else:
            other = next(
                label for label in answers[1]["probabilities"] if label != answers[1]["prediction"]
            )
            outcomes = [answers[0]["prediction"], other]  # one right, one wrong
            wrong = 1.5
        r = c.post(
            "/feedback", json={"request_id": answers[0]["request_id"], "outcome": outcomes[0]}
        )
        assert r.status_code == 200 and r.json()["recorded"], r.text
        bad = c.post("/feedback", json={"request_id": answers[1]["request_id"], "outcome": wrong})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "outcome"
        batch = {"items": [{"request_id": answers[1]["request_id"], "outcome": outcomes[1]}]}
        body = c.post("/feedback/batch", json=batch).json()
        version = answers[0]["model_version"]
        if task == REGRESSION:
            assert body["accuracy"] == {}
            assert body["error"][version] == {
                "labelled": 2,
                "mean_absolute_error": pytest.approx(20),
            }
            gauge = metric(c, "prediction_mean_absolute_error", model_version=version)
            assert gauge == pytest.approx(20)
        else:
            assert body["error"] == {}
            assert body["accuracy"][version] == {"labelled": 2, "accuracy": 0.5}
            assert metric(c, "prediction_accuracy", model_version=version) == 0.5


def config_frame(config, records):
    from mlcycle.serving.request_schema import to_frame

    return to_frame(records, config)
