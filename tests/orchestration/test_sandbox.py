"""A stage run by hand reads the build's inputs and writes to the sandbox: its products, and
copies of the stores it changes, so the build's own files and runs never move."""

import hashlib
import json
import os
import sqlite3

import mlflow
import pytest

from mlcycle.orchestration.notebook import resolve_stage
from mlcycle.orchestration.sandbox import INTERACTIVE_TAG
from mlcycle.settings import local_store_uri
from mlcycle.tracking import configure_tracking, connect
from tests.conftest import PROJECT

PROCESS_ENV = (
    "MLFLOW_RUN_CONTEXT",
    "MLCYCLE_SANDBOX_STORE_FROM",
    "MLCYCLE_SANDBOX_STORE_TO",
    "MLCYCLE_SANDBOX_DIR",
)


@pytest.fixture
def build(tmp_path, monkeypatch):
    """A products folder as a build leaves it: a tracking store with a run, a Feast store."""
    for key in PROCESS_ENV:  # set, then removed: recorded, so what the test sets is undone
        monkeypatch.setenv(key, "")
        monkeypatch.delenv(key)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    products = tmp_path / "products"
    monkeypatch.setenv("MLCYCLE_PRODUCTS", str(products))
    monkeypatch.chdir(PROJECT / "notebooks")
    experiment = configure_tracking(products, "churn")
    with mlflow.start_run(experiment_id=experiment) as run:
        mlflow.log_metric("auc", 0.9)
    (products / "feast").mkdir()
    with sqlite3.connect(products / "feast" / "online_store.db") as db:
        db.execute("CREATE TABLE t (x)")
    yield products, run.info.run_id
    mlflow.set_tracking_uri(None)


def digest(folder):
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "sandbox" not in p.parts and not p.name.endswith(("-wal", "-shm"))
    }


def test_a_stage_run_by_hand_writes_to_the_sandbox_and_leaves_the_build_alone(build, capsys):
    products, build_run = build
    before = digest(products)
    ns = {"upstream": ["select"], "product": None, "products": None}
    resolve_stage("monitor", ns)
    sandbox = products / "sandbox"
    assert ns["product"]["decision"] == str(sandbox / "monitoring" / "decision.json")
    assert ns["upstream"]["select"]["run"] == str(products / "model" / "run.json")  # the build's
    assert ns["products"] == str(sandbox)
    assert (sandbox / "monitoring").is_dir()  # the products' folders exist, as in a build
    assert os.environ["MLCYCLE_SANDBOX_DIR"] == str(sandbox)
    out = capsys.readouterr().out
    assert "Writes go to the sandbox" in out
    assert "Sandbox: copied the build's mlflow, feast into it" in out
    tags = json.loads(os.environ["MLFLOW_RUN_CONTEXT"])
    assert tags[INTERACTIVE_TAG] == "true" and tags["mlflow.source.name"] == "notebooks/monitor.py"

    # the build's store, as a record names it, is the sandbox's copy in this process
    client = connect(local_store_uri(products))
    assert client.tracking_uri == local_store_uri(sandbox)
    copied = client.get_run(build_run)
    assert copied.data.metrics == {"auc": 0.9}  # the build's run, copied
    assert copied.info.artifact_uri.startswith(sandbox.as_uri())  # with its files
    with mlflow.start_run(experiment_id=client.get_experiment_by_name("churn").experiment_id):
        mlflow.log_metric("auc", 0.5)
        new = mlflow.active_run()
    made = client.get_run(new.info.run_id)
    assert made.data.tags[INTERACTIVE_TAG] == "true"
    assert made.info.artifact_uri.startswith(sandbox.as_uri())  # its files in the sandbox too
    client.set_tag(build_run, "touched", "yes")  # even a reopened run is the copy's
    with mlflow.start_run(run_id=build_run):
        mlflow.log_text("x", "onnx/model.txt")  # its files too: written to the sandbox
    assert (sandbox / "feast" / "online_store.db").is_file()
    assert digest(products) == before
    build_client = mlflow.MlflowClient(local_store_uri(products))
    assert "touched" not in build_client.get_run(build_run).data.tags
    assert len(build_client.search_runs([made.info.experiment_id])) == 1


def test_sandbox_false_writes_to_the_build_on_purpose(build, monkeypatch):
    products, _ = build
    monkeypatch.setenv("MLCYCLE_SANDBOX", "false")
    ns = {"upstream": ["select"], "product": None, "products": None}
    resolve_stage("monitor", ns)
    assert ns["product"]["decision"] == str(products / "monitoring" / "decision.json")
    assert connect(local_store_uri(products)).tracking_uri == local_store_uri(products)


def test_on_a_tracking_server_a_stage_run_by_hand_never_changes_the_registry(monkeypatch):
    from mlcycle.optimize.onnx_artifact import record_export
    from mlcycle.registry.register import register_and_promote
    from mlcycle.settings import SandboxRefused

    for key in PROCESS_ENV:
        monkeypatch.setenv(key, "")
        monkeypatch.delenv(key)
    monkeypatch.setenv("MLCYCLE_SANDBOX_DIR", "/somewhere/sandbox")  # no local store copied
    with pytest.raises(SandboxRefused, match="registering churn would change the team's"):
        register_and_promote(None, "runs:/x/model", "churn", "x", None, None, None, "auc", True)
    with pytest.raises(SandboxRefused, match="set sandbox: false"):
        record_export(None, "churn", "3", "x", None)
