"""The whole DAG built for real on tiny data: MLflow, registry, reports and incremental builds.

The project copy is built once (conftest.built_project) and restored from a snapshot after each
test, so the tests do not depend on their order and no test rebuilds to clean up. Whether a
change makes a stage rerun is asked of Ploomber's render (conftest.would_run); one test proves
that answer equals what a real incremental build runs.
"""

import json
import re

import mlflow
import pytest
from ploomber.exceptions import DAGBuildError

from tests.conftest import build, pipeline_order, would_run

pytestmark = pytest.mark.dag
TASKS = pipeline_order()
# register and every stage downstream of it (written out: the test must not derive it from the DAG)
FROM_REGISTER = ("register", "optimize", "batch_predict", "monitor", "ab_analysis", "publish")
FROM_MONITOR = ("monitor", "ab_analysis", "publish")


def grid(params: dict) -> list[dict]:
    """A one-candidate model grid: a random forest with these parameters."""
    return [{"model_family": ["random_forest"], "model_params": [params]}]


def products(project):
    return project / "products"


def client_for(project):
    uri = f"sqlite:///{products(project) / 'mlflow.db'}"
    return mlflow.MlflowClient(uri, registry_uri=uri), uri


def test_build_tracks_evaluates_registers_and_reports(built_project):
    out = products(built_project)
    run_info = json.loads((out / "model" / "run.json").read_text())
    client, uri = client_for(built_project)
    run = client.get_run(run_info["run_id"])
    assert run.info.status == "FINISHED"
    assert run.data.params["model_family"] == "random_forest"
    assert run.data.params["model.n_estimators"] == "30"
    for name in (
        "valid_accuracy",
        "valid_roc_auc",
        "test_accuracy",
        "test_roc_auc",
        "test_log_loss",
    ):
        assert 0 <= run.data.metrics[name] <= 1 or name.endswith("log_loss")
    tags = run.data.tags
    assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?|unknown", tags["lineage.git_commit"])
    assert len(tags["lineage.data_fingerprint"]) == 16
    assert tags["gate.passed"] == "true"
    assert {i.dataset.name for i in run.inputs.dataset_inputs} == {
        "customer_churn-train",
        "customer_churn-valid",
    }
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert {
        "plots/feature_importance.png",
        "plots/roc.png",
        "plots/calibration.png",
        "plots/confusion_matrix.png",
    } <= artifacts
    reports = {a.path for a in client.list_artifacts(run.info.run_id, "reports")}
    assert {"reports/select.html", "reports/evaluate.html", "reports/register.html"} <= reports

    metrics = json.loads((out / "model" / "metrics.json").read_text())
    assert metrics["gate"] == {
        "metric": "accuracy",
        "value": metrics["metrics"]["accuracy"],
        "threshold": 0.75,
        "passed": True,
    }
    assert metrics["metrics"]["accuracy"] == pytest.approx(run.data.metrics["test_accuracy"])

    registry = json.loads((out / "model" / "registry.json").read_text())
    assert registry["promoted"] and registry["champion_after"] == registry["version"]
    mv = client.get_model_version_by_alias("customer_churn", "champion")
    assert str(mv.version) == registry["version"] and mv.run_id == run.info.run_id
    assert mv.tags["lineage.data_fingerprint"] == tags["lineage.data_fingerprint"]
    mlflow.set_registry_uri(uri)
    mlflow.set_tracking_uri(uri)
    test = __import__("pandas").read_parquet(out / "data" / "training" / "test.parquet")
    # the saved test table goes straight into the champion, which answers with probabilities
    proba = mlflow.pyfunc.load_model("models:/customer_churn@champion").predict(test.head(4))
    assert proba.shape == (4, 2) and abs(proba.sum(axis=1) - 1).max() < 1e-9

    # trained from the feature store, which is materialized for serving; lineage recorded
    definitions = json.loads((out / "feast" / "definitions.json").read_text())
    assert (
        tags["lineage.feature_service"]
        == definitions["feature_service"]
        == "customer_churn_features"
    )
    assert tags["lineage.feature_definitions"] == definitions["fingerprint"]
    assert mv.tags["lineage.feature_service"] == "customer_churn_features"
    assert mv.tags["lineage.feature_definitions"] == definitions["fingerprint"]
    assert (out / "feast" / "online_store.db").stat().st_size > 0
    from mlcycle.config import load_dataset_config
    from mlcycle.features.store import online_features, open_store

    config = load_dataset_config(built_project / "config" / "datasets" / "churn.yaml")
    store = open_store(out, built_project / "feature_repo" / "feature_store.yaml")
    row = online_features(store, config, test["customer_id"].iloc[0])
    expected = test[config.feature_names].head(1).reset_index(drop=True)
    __import__("pandas").testing.assert_frame_equal(row, expected)  # serving sees training's row

    # the registered version carries its ONNX export's parity verdict for the service
    onnx = json.loads((out / "model" / "onnx.json").read_text())["exports"][registry["version"]]
    assert onnx["version"] == registry["version"]
    verdict = client.get_model_version("customer_churn", registry["version"]).tags["onnx.parity"]
    assert verdict == ("passed" if onnx["served_with_onnx"] else "failed")
    assert onnx["parity_rows"] == len(test) and 0 <= onnx["parity_max_abs_diff"] < 1

    # the report hub and the model card: every stage built, the champion's card with its lineage
    hub = json.loads((out / "reports" / "hub.json").read_text())
    assert [s["name"] for s in hub["stages"]] == [t for t in TASKS if t != "publish"]
    assert {s["state"] for s in hub["stages"]} == {"built"}
    assert hub["champion"]["version"] == registry["version"]
    assert hub["champion"]["lineage"]["git_commit"] == tags["lineage.git_commit"]
    index = (out / "reports" / "index.html").read_text()
    assert "Every stage passed." in index and tags["lineage.data_fingerprint"] in index
    card = (out / "reports" / "model_card.html").read_text()
    assert f"customer_churn v{registry['version']}" in card
    assert "<b>gender</b>: accuracy varies by" in card  # per-group metrics of the champion
    assert {g["feature"] for g in metrics["groups"]} == {"gender", "age"}

    for task in TASKS:  # every stage: executed notebook and an HTML report with code hidden
        assert (out / "notebooks" / f"{task}.ipynb").is_file()
        if task == "publish":  # its report is the hub
            continue
        html = (out / "reports" / f"{task}.html").read_text()
        assert 'src="http' not in html  # no CDN scripts: opens offline, publishes as is
        assert "resolve_stage(" not in html  # inputs excluded
        assert "jp-OutputArea" in html
        # no warnings or logs leak into what stakeholders read
        assert 'data-mime-type="application/vnd.jupyter.stderr"' not in html, task
    assert "<img" in (out / "reports" / "evaluate.html").read_text()  # plots embedded


def test_mlflow_runs_and_versions_read_well(built_project):
    """A run says what it is, holds the model's effective hyperparameters and names its stage
    notebook; the registered model and its version are described in words."""
    out = products(built_project)
    run_info = json.loads((out / "model" / "run.json").read_text())
    client, _ = client_for(built_project)
    run = client.get_run(run_info["run_id"])
    assert run.info.run_name.startswith("random_forest n_estimators=30 · customer_churn · ")
    assert run.data.params["estimator.n_estimators"] == "30"  # overridden
    assert run.data.params["estimator.criterion"] == "gini"  # a default, logged all the same
    assert run.data.tags["mlflow.source.name"] == "notebooks/candidate.py"
    assert run.data.tags["mlcycle.stage"] == "candidate"
    assert "mlcycle.interactive" not in run.data.tags  # a build's run
    model = client.get_registered_model("customer_churn")
    assert model.description.startswith("Predicts `churned` (positive: 1) for each `customer_id`")
    assert "Intended use: Rank current customers" in model.description
    registry = json.loads((out / "model" / "registry.json").read_text())
    version = client.get_model_version("customer_churn", registry["version"])
    assert version.description.startswith("Promoted: the first model registered")
    assert run_info["run_id"] in version.description
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert "plots/cumulative_gain.png" in artifacts
    # the hub charts the versions and the monitoring runs; the card shows calibration and gain
    index = (out / "reports" / "index.html").read_text()
    assert index.count('class="chart"') == 2 and "test roc_auc for 1 model version: v1" in index
    card = (out / "reports" / "model_card.html").read_text()
    assert "Cumulative gain: the share of all positives" in card and "lift over random" in card
    # every page of the site is small enough to send, and readable once copied elsewhere
    for page in (out / "reports").glob("*.html"):
        assert page.stat().st_size < 1_000_000, page.name
        assert page.stat().st_mode & 0o044 == 0o044, (page.name, oct(page.stat().st_mode))


def test_second_build_executes_nothing(built_project):
    assert not any(build(built_project).values())


def test_editing_a_notebook_reruns_it_and_what_depends_on_it(built_project):
    """The one real incremental build: it runs exactly the stages the render predicted, which
    is what lets the other tests ask would_run() instead of building."""
    nb = built_project / "notebooks" / "monitor.py"
    nb.write_text(nb.read_text() + "\n# %%\nprint('an extra look at the window')\n")
    # monitor and what depends on it; its siblings (optimize, batch_predict) do not rerun
    expected = dict.fromkeys(TASKS, False) | dict.fromkeys(FROM_MONITOR, True)
    assert would_run(built_project) == expected
    assert build(built_project) == expected
    assert not any(would_run(built_project).values())


def test_a_lib_change_reruns_the_tasks_that_import_it(built_project, monkeypatch):
    """The digest of what a notebook imports is a task param: when it changes, Ploomber reruns
    the task. (tests/orchestration/test_digest.py proves real code edits change the digest.)"""
    import mlcycle.orchestration.dag as dag_module

    real = dag_module.inputs_digest

    def edited_registry_code(notebook, files=()):
        digest = real(notebook, files)
        return digest + "-edited" if notebook.name == "register.py" else digest

    monkeypatch.setattr(dag_module, "inputs_digest", edited_registry_code)
    assert would_run(built_project) == dict.fromkeys(TASKS, False) | dict.fromkeys(
        FROM_REGISTER, True
    )


def test_production_labels_join_the_training_split_only(built_project, tmp_path):
    """Labelled predictions in the service's log become training rows when asked; validation
    and the test set stay the table's own rows, and the run counts rows per source."""
    import pandas as pd

    from mlcycle.serving.prediction_log import Prediction, PredictionLog

    out = products(built_project)
    test_before = pd.read_parquet(out / "data" / "training" / "test.parquet")
    train_before = pd.read_parquet(out / "data" / "training" / "train.parquet")
    features = test_before.drop(columns=["customer_id", "snapshot_ts", "churned"]).head(40)
    log = PredictionLog(tmp_path / "predictions.db")
    log.record([
        Prediction(f"r{i}", f"u{i}", "champion", "customer_churn", "1",
                   {k: (None if pd.isna(v) else v) for k, v in row.items()}, 1, 0.9)
        for i, row in enumerate(features.to_dict("records"))
    ])  # fmt: skip
    for i in range(30):  # ten still wait for their outcome
        log.record_feedback(f"r{i}", i % 2)
    log.close()
    ran = build(built_project, until="select", production_labels="true",
                prediction_log=str(tmp_path / "predictions.db"))  # fmt: skip
    assert ran["candidate-0"] and ran["select"]
    record = json.loads((out / "model" / "run.json").read_text())
    assert record["sources"] == {"table": len(train_before), "production": 30}
    train = pd.read_parquet(out / "data" / "training" / "train.parquet")
    assert len(train) == len(train_before) + 30 and set(train.tail(30)["customer_id"]) == {
        f"u{i}" for i in range(30)
    }
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "data" / "training" / "test.parquet"), test_before
    )
    client, _ = client_for(built_project)
    tags = client.get_run(record["run_id"]).data.tags
    assert tags["lineage.rows.production"] == "30" and tags["lineage.rows.table"] == str(
        len(train_before)
    )


def test_a_worse_challenger_is_registered_but_not_promoted(built_project):
    client, _ = client_for(built_project)
    champion = str(client.get_model_version_by_alias("customer_churn", "champion").version)
    worse = grid({"n_estimators": 1, "max_depth": 1})
    build(built_project, until="register", model_grid=worse, gate_threshold=0.5)
    registry = json.loads((products(built_project) / "model" / "registry.json").read_text())
    assert not registry["promoted"]
    assert "does not beat champion" in registry["reason"]
    assert str(client.get_model_version_by_alias("customer_churn", "champion").version) == champion
    challenger = str(client.get_model_version_by_alias("customer_churn", "challenger").version)
    assert challenger == registry["version"] != champion


def test_a_failed_gate_stops_the_build_before_registering(built_project):
    out = products(built_project)
    registry_before = (out / "model" / "registry.json").read_text()
    with pytest.raises(DAGBuildError) as err:
        build(built_project, gate_threshold=0.99)
    message = str(err.value) + "".join(str(e) for e in _chain(err.value))
    assert re.search(
        r"Quality gate failed: accuracy = 0\.\d{4} on the test set is below the "
        r"threshold 0\.99",
        message,
    )
    metrics = json.loads((out / "model" / "metrics.json").read_text())
    assert metrics["gate"]["passed"] is False and metrics["gate"]["threshold"] == 0.99
    assert (out / "model" / "registry.json").read_text() == registry_before  # register never ran
    # the failure is readable in the report, and the hub says it first
    assert "QualityGateFailed" in (out / "reports" / "evaluate.html").read_text()
    index = (out / "reports" / "index.html").read_text()
    assert "Stage Evaluate failed:</b> QualityGateFailed: Quality gate failed" in index
    states = {
        s["name"]: s for s in json.loads((out / "reports" / "hub.json").read_text())["stages"]
    }
    assert states["evaluate"]["state"] == "failed"
    assert states["register"]["state"] == "out of date"
    assert states["register"]["why"] == "not run: stage 'evaluate' failed"
    assert states["select"]["state"] == "built"
    # the failed stage is not taken as up to date: the next build runs it again (built here up
    # to the stage itself, to see it pass; what follows it reruns as the render predicts)
    again = would_run(built_project)
    assert again["evaluate"] and again["register"] and not again["select"]
    ran = build(built_project, until="evaluate")
    assert ran["evaluate"] and not ran["select"]
    assert json.loads((out / "model" / "metrics.json").read_text())["gate"]["passed"] is True


def _chain(exc):
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__


def test_a_training_failure_marks_the_mlflow_run_failed(built_project):
    client, _ = client_for(built_project)
    with pytest.raises(DAGBuildError) as err:
        build(built_project, model_grid=grid({"n_estimators": -3}))
    assert "n_estimators" in "".join(str(e) for e in _chain(err.value))
    runs = client.search_runs(
        [client.get_experiment_by_name("customer_churn").experiment_id],
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    assert runs[0].info.status == "FAILED"
    assert runs[0].data.params["model.n_estimators"] == "-3"


def test_build_scores_the_scoring_set_with_the_champion(built_project):
    """The batch_predict stage: new customers (none trained on), every row scored by the
    champion, predictions equal to the champion's own predict_proba."""
    import pandas as pd

    out = products(built_project)
    scoring = pd.read_parquet(out / "data" / "scoring" / "scoring_set.parquet")
    predictions = pd.read_parquet(out / "predictions" / "predictions.parquet")
    summary = json.loads((out / "predictions" / "summary.json").read_text())
    train = pd.read_parquet(out / "data" / "training" / "train.parquet")
    assert len(scoring) == 400 and "churned" not in scoring.columns
    assert not set(scoring["customer_id"]) & set(train["customer_id"])
    assert predictions["customer_id"].tolist() == scoring["customer_id"].tolist()
    assert summary["rows_scored"] == 400 and summary["rows_rejected"] == 0
    client, uri = client_for(built_project)
    champion = client.get_model_version_by_alias("customer_churn", "champion")
    assert set(predictions["model_version"]) == {str(champion.version)}
    mlflow.set_registry_uri(uri)
    model = mlflow.sklearn.load_model(f"models:/customer_churn/{champion.version}")
    expected = model.predict_proba(scoring.drop(columns="customer_id"))[:, 1]
    assert predictions["probability"].to_numpy() == pytest.approx(expected)


def test_optimize_reports_size_latency_and_the_quantization_study(built_project):
    out = products(built_project)
    summary = json.loads((out / "model" / "onnx.json").read_text())
    runtimes = {r["runtime"]: r for r in summary["runtimes"]}
    assert set(runtimes) == {"scikit-learn", "ONNX Runtime"}
    assert all(r["single_row_ms"] > 0 and r["model_bytes"] > 0 for r in runtimes.values())
    variants = {r["variant"]: r for r in summary["quantization"]}
    assert variants["ONNX int8 (dynamic)"]["model_bytes"] < variants["ONNX float32"]["model_bytes"]
    client, _ = client_for(built_project)
    runs = client.search_runs(
        [e.experiment_id for e in client.search_experiments()],
        "attributes.run_name = 'mlp-int8-quantization'",
    )
    assert (
        runs
        and runs[0].data.metrics["int8_bytes"] == variants["ONNX int8 (dynamic)"]["model_bytes"]
    )
    html = (out / "reports" / "optimize.html").read_text()
    assert "does not quantize tree" in html and "ONNX Runtime" in html


def test_monitor_catches_a_drifted_window_and_decides_to_retrain(built_project):
    out = products(built_project)
    stable = json.loads((out / "monitoring" / "decision.json").read_text())
    assert stable["figures"]["dataset_drift"] is False and not stable["retrain"]
    ran = build(built_project, until="monitor", scoring_drift="[0.6, 0.1, 1.0]")
    assert ran["batch_predict"] and ran["monitor"] and not ran["select"]
    drifted = json.loads((out / "monitoring" / "decision.json").read_text())
    assert drifted["retrain"] and drifted["reasons"][0].startswith("retrain: dataset drift")
    assert (out / "reports" / "monitoring" / "drift.html").stat().st_size > 10_000
    client, _ = client_for(built_project)
    runs = client.search_runs(
        [client.get_experiment_by_name("customer_churn-monitoring").experiment_id],
        "tags.`decision.retrain` = 'true'",
    )
    assert runs and "dataset drift" in runs[0].data.tags["decision.reasons"]


def test_ab_analysis_reads_the_prediction_log_and_recommends(built_project, tmp_path):
    """A log with a planted improvement on the challenger arm, as the service writes it, beside
    rows the analysis must leave out: another experiment's, and requests without a user id."""
    import numpy as np

    from mlcycle.serving.prediction_log import Prediction, PredictionLog

    rng = np.random.default_rng(0)
    log = PredictionLog(tmp_path / "predictions.db")
    arms = rng.choice(["champion", "challenger"], 4000)
    split = "champion=50,challenger=50"
    records, outcomes = [], []
    for i, arm in enumerate(arms):
        prediction = int(rng.integers(0, 2))
        right = rng.random() < (0.92 if arm == "challenger" else 0.80)
        version = "2" if arm == "challenger" else "1"
        records.append(Prediction(f"r{i}", f"u{i}", arm, "customer_churn", version,
                                  {"age": 30}, prediction, 0.9 if prediction else 0.1,
                                  "ab-1", "randomised", split))  # fmt: skip
        outcomes.append(prediction if right else 1 - prediction)
    others = [Prediction(f"o{i}", None if i % 2 else f"u{i}", "champion", "customer_churn", "1",
                         {"age": 30}, 0, 0.1, "ab-1" if i % 2 else "ab-0",
                         "no user id" if i % 2 else "randomised", split)
              for i in range(600)]  # fmt: skip
    log.record(records + others)
    for i, outcome in enumerate(outcomes):
        log.record_feedback(f"r{i}", outcome)
    for i in range(600):
        log.record_feedback(f"o{i}", 1)  # all wrong: counted, they would sink the champion
    log.close()
    out = products(built_project)
    ran = build(built_project, until="ab_analysis", prediction_log=str(tmp_path / "predictions.db"),
                ab_arms=split, ab_min_effect=0.1)  # fmt: skip
    assert ran["ab_analysis"] and ran["monitor"]
    analysis = json.loads((out / "monitoring" / "ab_analysis.json").read_text())
    assert analysis["recommendation"] == "promote the challenger" and not analysis["srm"]
    assert {a["arm"]: a["labelled"] for a in analysis["arms"]} == {
        "champion": int((arms == "champion").sum()),
        "challenger": int((arms == "challenger").sum()),
    }
    assert analysis["experiment"] == "ab-1" and analysis["rows_in_log"] == 4600
    assert 0 < analysis["horizon"] <= 2000
    performance = json.loads((out / "monitoring" / "performance.json").read_text())
    assert {row["model_version"] for row in performance} == {"1", "2"}
    html = (out / "reports" / "ab_analysis.html").read_text()
    assert "promote the challenger" in html


def test_make_report_rerenders_reports_and_the_hub_without_rerunning_a_stage(
    built_project, monkeypatch, capsys
):
    from mlcycle.cli.report import main

    out = products(built_project)
    for name in ("evaluate.html", "index.html", "model_card.html"):
        (out / "reports" / name).unlink()
    monkeypatch.chdir(built_project)
    assert main([]) == 0
    printed = capsys.readouterr().out
    assert f"Re-rendered {len(TASKS) - 1} stage reports." in printed
    assert "<img" in (out / "reports" / "evaluate.html").read_text()
    assert (out / "reports" / "index.html").is_file() and (
        out / "reports" / "model_card.html"
    ).is_file()
    # the stages are still up to date (this also proves the snapshot restores after every
    # mutating test above: a real no-op build)
    assert not any(build(built_project).values())
    # a stage the DAG would rerun shows as out of date, with Ploomber's reason
    assert main(["--env--gate_threshold", "0.5"]) == 0
    states = {
        s["name"]: s for s in json.loads((out / "reports" / "hub.json").read_text())["stages"]
    }
    assert (
        states["evaluate"]["state"] == "out of date" and "Source code" in states["evaluate"]["why"]
    )
    assert states["select"]["state"] == "built"
