"""The lifecycle on a user's own table, described only by a dataset config."""

import html
import json
from pathlib import Path

import mlflow
import pandas as pd
import pytest
import yaml
from ploomber.exceptions import DAGBuildError

from mlcycle.batch.figures import SHOWN as BATCH_SHOWN
from mlcycle.data.example import user_table
from mlcycle.training.evaluation import SHOWN as EVALUATION_SHOWN
from tests.conftest import build, copy_project, would_run

pytestmark = pytest.mark.dag


def write_user_project(tmp_path, table: pd.DataFrame, fmt="csv"):
    project = copy_project(tmp_path / "project")
    data = tmp_path / "user" / f"accounts.{fmt}"
    data.parent.mkdir()
    table.to_csv(data, index=False) if fmt == "csv" else table.to_parquet(data, index=False)
    config = {
        "name": "accounts",
        "source": {"path": data.name},
        "id": "account",
        "target": {"column": "status", "positive": "left"},
        "features": {
            "numeric": {
                "years_old": {"min": 18, "max": 100},
                "yearly_income": {"min": 0},
                "months_active": {"min": 0},
                "bill": {"min": 0},
                "recent_orders": {"min": 0},
                "tickets": {"min": 0},
            },
            "categorical": {"contract_kind": {}, "paid_with": {}},
        },
    }
    path = data.parent / "accounts.yaml"
    path.write_text(yaml.safe_dump(config))
    return project, path


def test_a_user_csv_with_string_labels_and_ids_runs_end_to_end(tmp_path):
    project, config = write_user_project(tmp_path, user_table(1200))
    ran = build(project, dataset=config)
    assert all(ran.values()), ran
    out = project / "products"
    registry = json.loads((out / "model" / "registry.json").read_text())
    assert registry["model_name"] == "accounts" and registry["promoted"]
    uri = f"sqlite:///{out / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    assert mlflow.get_experiment_by_name("accounts") is not None  # experiment named for the data
    test = pd.read_parquet(out / "data" / "training" / "test.parquet")
    assert test["account"].str.startswith("acct-").all()
    assert set(test["status"]) == {0, 1}  # 'left' -> 1
    proba = mlflow.pyfunc.load_model("models:/accounts@champion").predict(test.head(3))
    assert proba.shape == (3, 2)
    summary = json.loads((out / "data" / "validated" / "validation.json").read_text())
    assert "'status': 'left' -> 1, other label -> 0" in " ".join(summary["fixes"])
    evaluate_page = html.unescape((out / "reports" / "evaluate.html").read_text())
    assert EVALUATION_SHOWN["binary"] in evaluate_page  # the binary words, and only those
    assert EVALUATION_SHOWN["regression"] not in evaluate_page

    # editing the dataset config in place reruns the pipeline from the start
    cfg = yaml.safe_load(config.read_text())
    cfg["features"]["numeric"]["bill"]["max"] = 10_000
    config.write_text(yaml.safe_dump(cfg))
    assert all(would_run(project, dataset=config).values())


def test_bad_data_stops_the_build_at_validation_with_a_clear_message(tmp_path):
    table = user_table(400)
    table.loc[3, "years_old"] = 7
    table.loc[5, "bill"] = "lots"
    table["years_old"] = table["years_old"].astype(object)
    table.loc[8, "years_old"] = "  "  # fixable by policy: becomes missing
    table["tickets"] = None  # blank in every row: nothing to learn from, stops the build
    project, config = write_user_project(tmp_path, table)
    with pytest.raises(DAGBuildError) as err:
        build(project, dataset=config)
    text = "".join(str(e) for e in _chain(err.value))
    assert "Data validation failed for dataset 'accounts'" in text
    assert "column 'years_old': 1 value(s) outside the allowed range [18, 100]" in text
    assert "row 3 (account='acct-0000004'): '7'" in text  # the raw value, as in the file
    assert (
        "column 'bill': values that are not numbers; e.g. row 5 (account='acct-0000006'): 'lots'"
        in text
    )
    assert "column 'tickets': 400 of 400 values are missing (100%)" in text
    out = project / "products"
    summary = json.loads((out / "data" / "validated" / "validation.json").read_text())
    assert not summary["passed"] and len(summary["problems"]) == 3
    assert "'years_old': 1 blank text value(s) treated as missing" in summary["fixes"]
    assert not (out / "data" / "validated" / "entities.parquet").exists()  # nothing passed on
    assert not (out / "data" / "features").exists()  # nothing downstream ran
    assert "DataValidationError" in (out / "reports" / "validate.html").read_text()


def _chain(exc):
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__


@pytest.mark.parametrize(
    ("config_name", "table"),
    [("example_regression", "spend_table"), ("example_multiclass", "next_plan_table")],
)
def test_a_regression_or_multiclass_table_runs_the_whole_lifecycle_by_its_task(
    tmp_path, config_name, table
):
    """The example configs' tables, 1,200 rows: the task inferred or stated at validation
    flows through training, the gate and its metric, the registry, ONNX, batch scoring and
    the reports; then the service answers and takes feedback in the task's terms, and the
    monitor judges a drifted window (features, prediction, target) and the outcomes."""
    from mlcycle.data import example

    project = copy_project(tmp_path / "project")
    config = project / "config" / "datasets" / f"{config_name}.yaml"
    spec = yaml.safe_load(config.read_text())
    data = tmp_path / "user" / "table.csv"
    data.parent.mkdir()
    getattr(example, table)(1200).to_csv(data, index=False)
    spec["source"]["path"] = str(data)
    config.write_text(yaml.safe_dump(spec))
    task = spec["target"]["task"]

    ran = build(project, dataset=config, gate_threshold=0.5)
    assert all(ran.values()), ran
    out = project / "products"
    validation = json.loads((out / "data" / "validated" / "validation.json").read_text())
    assert validation["task"] == task and validation["task_stated"]
    metrics = json.loads((out / "model" / "metrics.json").read_text())
    assert metrics["task"] == task
    gate = {"regression": "r2", "multiclass": "f1_macro"}[task]
    assert metrics["gate"]["metric"] == gate and metrics["gate"]["passed"]
    registry = json.loads((out / "model" / "registry.json").read_text())
    promotion = {"regression": "rmse", "multiclass": "f1_macro"}[task]
    assert registry["promoted"] and registry["metric"] == promotion
    uri = f"sqlite:///{out / 'mlflow.db'}"
    client = mlflow.MlflowClient(uri, registry_uri=uri)
    version = client.get_model_version(spec["name"], registry["version"])
    assert version.tags["task"] == task
    onnx = json.loads((out / "model" / "onnx.json").read_text())["exports"][registry["version"]]
    assert onnx["parity_task"] == task
    predictions = pd.read_parquet(out / "predictions" / "predictions.parquet")
    if task == "regression":
        assert predictions["prediction"].dtype == float and "probability" not in predictions
        width = predictions["interval_high"] - predictions["prediction"]  # the test set's
        assert width.gt(0).all() and width.to_numpy() == pytest.approx(width.iloc[0])
    else:
        assert set(predictions["prediction"]) <= set(metrics["confusion"]["labels"])
        assert "probability_cancelled" in predictions
    card = (out / "reports" / "model_card.html").read_text()
    assert {"regression": "<h2>Errors</h2>", "multiclass": "<h2>Errors by class</h2>"}[task] in card
    assert "positive rate" not in (out / "reports" / "validate.html").read_text()
    # each report says what it shows for this task only (training/evaluation.py, batch/figures.py)
    evaluate_page = html.unescape((out / "reports" / "evaluate.html").read_text())
    batch_page = html.unescape((out / "reports" / "batch_predict.html").read_text())
    assert EVALUATION_SHOWN[task] in evaluate_page and BATCH_SHOWN[task] in batch_page
    for other in {"binary", "multiclass", "regression"} - {task}:
        assert EVALUATION_SHOWN[other] not in evaluate_page
        assert BATCH_SHOWN[other] not in batch_page
    assert "ROC" not in evaluate_page and "most likely positive" not in batch_page

    # the service, on the build's registry: answers in the task's terms, takes its outcomes
    window = drifted_window(table, config_name, spec)
    log_path = tmp_path / "served.db"
    answered = serve_and_label(out, uri, config, spec["name"], window, log_path, task)
    assert answered["task"] == task and answered["model_version"] == registry["version"]
    if task == "regression":  # ± the half-width its evaluation measured, as batch writes
        low, high = answered["interval"]
        assert high - answered["prediction"] == pytest.approx(width.iloc[0])

    # a week later: the monitor on the drifted, labelled window and the service's outcomes
    ran = build(project, dataset=config, gate_threshold=0.5, monitor_window=str(window),
                prediction_log=str(log_path), retrain_policy__min_labelled=20)  # fmt: skip
    assert ran["monitor"] and not ran["select"], ran
    outputs = {
        r["output"]: r for r in json.loads((out / "monitoring" / "output_drift.json").read_text())
    }
    assert outputs["prediction"]["drifted"] and outputs["target"]["drifted"], outputs
    assert outputs["target"]["current"] == "the window's target"
    monitoring = client.get_experiment_by_name(f"{spec['name']}-monitoring").experiment_id
    (newest,) = client.search_runs([monitoring], order_by=["start_time DESC"], max_results=1)
    logged = client.download_artifacts(newest.info.run_id, "output_drift.json", str(tmp_path))
    assert json.loads(Path(logged).read_text())["outputs"][0]["drifted"]  # in MLflow too
    performance = json.loads((out / "monitoring" / "performance.json").read_text())
    (week,) = performance
    assert week["task"] == task and week["labelled"] == 60
    watched = {"regression": "mae", "multiclass": "accuracy"}[task]
    decision = json.loads((out / "monitoring" / "decision.json").read_text())
    assert decision["figures"][watched] == pytest.approx(week[watched])
    assert decision["figures"]["labelled"] == 60
    report = (out / "reports" / "monitoring" / "performance.html").read_text()
    assert {"regression": "Regression performance", "multiclass": "Classification"}[task] in report
    ab = json.loads((out / "monitoring" / "ab_analysis.json").read_text())
    assert ab["metric"] == watched


def drifted_window(table: str, config_name: str, spec: dict) -> "Path":
    """Next week's rows of another sample, shifted: only the top 40% of targets (regression)
    or one class three times as common (multiclass), with the target (a labelled window)."""
    from mlcycle.data import example

    rows = getattr(example, table)(1500, seed=99)
    target = spec["target"]["column"]
    if config_name == "example_regression":
        rows = rows[rows[target] > rows[target].quantile(0.6)]
    else:
        rare = rows[target].value_counts().index[-1]
        rows = pd.concat([rows, rows[rows[target] == rare], rows[rows[target] == rare]])
    path = Path(spec["source"]["path"]).with_name("window.csv")
    rows.sample(frac=1.0, random_state=0).to_csv(path, index=False)
    return path


def serve_and_label(out, uri, config, name, window, log_path, task) -> dict:
    """60 of the window's rows through /predict/batch, their outcomes through /feedback; the
    first answer."""
    import math

    from fastapi.testclient import TestClient

    from mlcycle.config import load_dataset_config
    from mlcycle.serving.app import create_app
    from tests.serving.test_app import LOCAL, settings

    spec = load_dataset_config(config)
    rows = pd.read_csv(window).head(60)
    features = [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()}
        for r in rows[spec.feature_names].to_dict("records")
    ]
    options = settings((out, uri, None), dataset=str(config), model_name=name,
                       prediction_log=str(log_path))  # fmt: skip
    with TestClient(create_app(options), client=LOCAL) as c:
        items = [{"features": f, "user_id": f"u{i}"} for i, f in enumerate(features)]
        answers = c.post("/predict/batch", json={"items": items})
        assert answers.status_code == 200, answers.text
        truth = rows[spec.target.column]
        outcomes = truth.astype(float) if task == "regression" else truth.astype(str)
        feedback = [{"request_id": a["request_id"], "outcome": o}
                    for a, o in zip(answers.json(), outcomes, strict=True)]  # fmt: skip
        done = c.post("/feedback/batch", json={"items": feedback})
        assert done.status_code == 200 and done.json()["recorded"] == 60, done.text
    return answers.json()[0]
