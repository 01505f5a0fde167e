"""Team mode for real: `mlflow server` on PostgreSQL with proxied artifacts, and the lifecycle
pointed at it with nothing but MLFLOW_TRACKING_URI. Tracking, the promotion rule, batch
scoring and the service behave as with the embedded store."""

import json
from dataclasses import replace

import mlflow
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from mlflow import MlflowClient

from mlcycle.batch.score import load_registered, score_file
from mlcycle.config import load_dataset_config
from mlcycle.registry.register import register_and_promote
from mlcycle.serving.app import Settings, create_app
from mlcycle.settings import load_settings
from mlcycle.team.database import Postgres
from mlcycle.tracking import connect
from mlcycle.training.metrics import classification_metrics
from mlcycle.training.train import features_and_target, fit, log_probability_model
from tests.conftest import copy_project

pytestmark = [pytest.mark.dag, pytest.mark.service]
NAME = "customer_churn"
GRID = [
    {"model_family": ["random_forest"],
     "model_params": [{"n_estimators": 5, "max_depth": 2}, {"n_estimators": 40}]},
    {"model_family": ["logistic_regression"], "model_params": [{}]},
    {"model_family": ["hist_gradient_boosting"], "model_params": [{"max_iter": 30}]},
]  # fmt: skip


def test_the_lifecycle_runs_unchanged_against_the_tracking_server(
    tracking_server, tmp_path, monkeypatch
):
    """The first build trains a grid of four candidates in parallel processes, all writing to
    the server at once; then the usual checks of tracking, registry, batch and service."""
    from ploomber.executors import Parallel

    from mlcycle.orchestration.dag import make_dag

    project = copy_project(tmp_path / "project")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_server)
    dag = make_dag(project, overrides={"model_grid": str(GRID)}, executor=Parallel(processes=4))
    candidates = [name for name in dag if name.startswith("candidate-")]
    assert candidates == ["candidate-0", "candidate-1", "candidate-2", "candidate-3"]
    report = dag.build(show_progress=False).to_dict()
    assert all(report["Ran?"]), report  # no task failed: no lost write, no locked database
    out = project / "products"
    assert not (out / "mlflow.db").exists()  # nothing went to the embedded store

    client = MlflowClient(tracking_server, registry_uri=tracking_server)
    runs = {}
    for name in candidates:
        info = json.loads((out / "model" / "candidates" / f"run-{name[-1]}.json").read_text())
        run = client.get_run(info["run_id"])
        assert run.info.status == "FINISHED" and "valid_roc_auc" in run.data.metrics
        runs[name] = run
    families = sorted(r.data.params["model_family"] for r in runs.values())
    assert families == ["hist_gradient_boosting", "logistic_regression", "random_forest",
                        "random_forest"]  # fmt: skip
    best = max(runs, key=lambda n: runs[n].data.metrics["valid_roc_auc"])
    assert sorted(int(r.data.tags["selection.rank"]) for r in runs.values()) == [1, 2, 3, 4]
    assert runs[best].data.tags["selection.chosen"] == "true"
    chosen = json.loads((out / "model" / "run.json").read_text())
    assert chosen["selected_from"] == best and chosen["run_id"] == runs[best].info.run_id
    assert [c["task"] for c in chosen["candidates"]][0] == best
    run_info = json.loads((out / "model" / "run.json").read_text())
    assert run_info["tracking_uri"] == tracking_server
    run = client.get_run(run_info["run_id"])
    assert run.info.status == "FINISHED" and run.data.tags["gate.passed"] == "true"
    assert {"valid_roc_auc", "test_accuracy", "test_roc_auc"} <= set(run.data.metrics)
    assert run.info.artifact_uri.startswith("mlflow-artifacts:")  # proxied by the server
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert "plots/roc.png" in artifacts
    registry = json.loads((out / "model" / "registry.json").read_text())
    assert registry["promoted"] and registry["version"] == "1"
    champion = client.get_model_version_by_alias(NAME, "champion")
    assert champion.version == "1" and champion.run_id == runs[best].info.run_id  # the best
    hub = json.loads((out / "reports" / "hub.json").read_text())
    assert hub["champion"]["version"] == "1" and hub["aliases"]["champion"] == "1"
    assert {s["name"] for s in hub["stages"]} >= set(candidates)

    # the promotion rule, through the server: a worse challenger is registered, not promoted
    config = load_dataset_config(project / "config" / "datasets" / "churn.yaml")
    test = out / "data" / "training" / "test.parquet"
    xy = features_and_target(pd.read_parquet(test), config)
    connect(tracking_server)
    weak = fit(pd.read_parquet(out / "data" / "training" / "train.parquet"), config,
               "random_forest", {"n_estimators": 1, "max_depth": 1})  # fmt: skip
    with mlflow.start_run(experiment_id=run.info.experiment_id) as weak_run:
        info = log_probability_model(weak, xy.X)
    result = register_and_promote(
        client, info.model_uri, NAME, weak_run.info.run_id, xy.X, xy.y,
        metric_fn=lambda y, p: classification_metrics(y, p)["roc_auc"], metric="roc_auc",
        gate_passed=True,
    )  # fmt: skip
    assert result.version == "2" and not result.promoted
    assert client.get_model_version_by_alias(NAME, "champion").version == "1"
    assert client.get_model_version_by_alias(NAME, "challenger").version == "2"

    # batch scoring from the server's registry equals the champion's own probabilities
    model = load_registered(tracking_server, NAME, "champion", n_jobs=1)
    summary = score_file(str(test), str(tmp_path / "scored.parquet"), model, config)
    assert summary.rows_scored == len(pd.read_parquet(test)) and summary.rows_rejected == 0
    scored = pd.read_parquet(tmp_path / "scored.parquet")
    assert set(scored["model_version"]) == {"1"}
    mlflow.set_registry_uri(tracking_server)
    mlflow.set_tracking_uri(tracking_server)
    expected = mlflow.pyfunc.load_model(f"models:/{NAME}@champion").predict(pd.read_parquet(test))[
        :, 1
    ]
    assert abs(scored["probability"].to_numpy() - expected).max() < 1e-9

    # the service loads the champion from the server and answers
    settings = replace(
        Settings.of(load_settings(project, environ={})),
        tracking_uri=tracking_server,
        reload_seconds=0,
        prediction_log=str(tmp_path / "predictions.db"),
        feature_store=None,
        products=str(out),
        arms="champion=100",
    )
    row = pd.read_parquet(test)[config.feature_names].iloc[0].to_dict()
    with TestClient(create_app(settings)) as service:
        answer = service.post("/predict", json={"features": row})
        assert answer.status_code == 200, answer.text
        assert answer.json()["model_version"] == "1"


def test_connection_settings_come_from_the_environment_and_stay_out_of_logs():
    pg = Postgres.from_env({"PGHOST": "db.internal", "PGPORT": "6543", "PGUSER": "ml",
                            "PGPASSWORD": "s3cr:t@", "MLCYCLE_DB": "tracking"})  # fmt: skip
    assert pg.uri() == "postgresql+psycopg://ml:s3cr%3At%40@db.internal:6543/tracking"
    assert "s3cr" not in pg.redacted() and pg.redacted().startswith("postgresql+psycopg://ml:***@")
    assert Postgres.from_env({}).uri() == "postgresql+psycopg://mlflow@127.0.0.1:5432/mlflow"


def test_the_server_runs_without_mlflows_job_runner_unless_asked():
    from mlcycle.team.server import server_environment

    pg = Postgres("127.0.0.1", 5432, "ml", "s3cret", "mlflow")
    env = server_environment(pg, {"PATH": "/bin"})
    assert env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false" and env["PATH"] == "/bin"
    assert env["PGPASSWORD"] == "s3cret" and env["MLFLOW_DISABLE_TELEMETRY"] == "true"
    asked = server_environment(pg, {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "true"})
    assert asked["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "true"  # the user's setting wins


def test_an_unreachable_database_is_a_clear_error(postgres):
    from mlcycle.team.database import DatabaseUnavailable, ensure_database

    wrong = Postgres(postgres.host, postgres.port, postgres.user, "not-the-password", "x")
    with pytest.raises(DatabaseUnavailable, match=r"cannot connect to PostgreSQL at 127\.0\.0\.1"):
        ensure_database(wrong)


def test_the_password_is_on_no_command_line(postgres, tmp_path):
    """`mlcycle server` as a user starts it (PG* in its environment): the server and its workers
    reach the database, and no process on the machine shows the password in its argv."""
    import sys
    import uuid
    from pathlib import Path

    from mlcycle.serving.launch import free_port, running
    from tests.conftest import PROJECT

    port = free_port()
    env = {"PGHOST": postgres.host, "PGPORT": str(postgres.port), "PGUSER": postgres.user,
           "PGPASSWORD": postgres.password, "MLCYCLE_DB": f"mlflow_{uuid.uuid4().hex[:8]}",
           "PYTHONPATH": str(PROJECT / "lib")}  # fmt: skip
    command = [sys.executable, "-m", "mlcycle.cli.main", "server", "--port", str(port),
               "--artifacts-destination", str(tmp_path / "artifacts")]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with running(command, f"{url}/health", tmp_path / "server.log", env=env, timeout=180) as proc:
        MlflowClient(url).create_experiment("reached-the-database")
        shown, session = [], []
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                argv = cmdline.read_bytes()
                stat = (cmdline.parent / "stat").read_text()
            except OSError:  # the process ended meanwhile
                continue
            if postgres.password.encode() in argv:
                shown.append(argv.replace(b"\0", b" ").decode(errors="replace"))
            if int(stat.rsplit(")", 1)[1].split()[3]) == proc.pid:  # the server's session
                session.append(argv.replace(b"\0", b" ").decode(errors="replace"))
        assert not shown, shown
        # the server and its workers, without MLflow's job runner (no job to run)
        assert session and not [p for p in session if "huey" in p], session
    assert postgres.password not in (tmp_path / "server.log").read_text()
