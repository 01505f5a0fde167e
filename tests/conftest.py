"""Shared fixtures: tiny data, temporary MLflow stores and throwaway project copies.

Nothing here touches the user's products/ or tracking store: MLFLOW_TRACKING_URI is removed
for the session and every store lives in a pytest temporary directory.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from mlcycle.config import load_dataset_config
from mlcycle.data.generator import generate_customers
from mlcycle.environment import apply_quiet_defaults

PROJECT = Path(__file__).resolve().parents[1]
CHURN_CONFIG = PROJECT / "config" / "datasets" / "churn.yaml"
TRACKING_VARS = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


def pipeline_order() -> list[str]:
    """The stages in pipeline.yaml's order (a valid execution order)."""
    from mlcycle.orchestration.notebook import pipeline_tasks

    return list(pipeline_tasks(PROJECT))


def pytest_configure(config):
    for key in (*TRACKING_VARS, "MLCYCLE_PROJECT"):
        os.environ.pop(key, None)
    apply_quiet_defaults()


@pytest.fixture(autouse=True)
def _no_tracking_uri_leaks():
    """mlflow.set_tracking_uri() exports MLFLOW_TRACKING_URI; left behind, it would send the
    notebook kernels of every later build to this test's store."""
    yield
    for key in TRACKING_VARS:
        os.environ.pop(key, None)


@pytest.fixture(scope="session")
def churn_config():
    return load_dataset_config(CHURN_CONFIG)


@pytest.fixture(scope="session")
def tiny_data():
    return generate_customers(400, snapshot_date="2026-06-30", seed=7)


@pytest.fixture
def mlflow_store(tmp_path):
    """A fresh SQLite tracking store and registry, restored afterwards."""
    import mlflow

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    before = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    yield uri
    mlflow.set_tracking_uri(before)
    mlflow.set_registry_uri(before)


def copy_project(dest: Path) -> Path:
    """The project's sources in `dest`, with env.test.yaml folded into env.yaml, so builds and
    interactive runs there use tiny data and write under dest/products."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("pipeline.yaml", "notebooks", "config", "feature_repo"):
        src = PROJECT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("*.ipynb", ".*"))
        else:
            shutil.copy(src, dest / name)
    env = yaml.safe_load((PROJECT / "env.yaml").read_text())
    env.update(yaml.safe_load((PROJECT / "env.test.yaml").read_text()))
    env["products"] = "{{here}}/products"
    (dest / "env.yaml").write_text(yaml.safe_dump(env, sort_keys=False))
    return dest


def build(project: Path, force: bool = False, **overrides) -> dict[str, bool]:
    """Build the project in-process; returns {task: ran?}. Raises DAGBuildError on failure."""
    from ploomber.executors import Serial

    from mlcycle.orchestration.dag import make_dag

    dag = make_dag(
        project,
        overrides={k: str(v) for k, v in overrides.items()},
        executor=Serial(build_in_subprocess=False),
    )
    report = dag.build(force=force, show_progress=False).to_dict()
    return dict(zip(report["name"], report["Ran?"], strict=True))


@pytest.fixture(scope="session")
def built_project(tmp_path_factory):
    """A project copy built once on tiny data; tests that rebuild it restore what they change."""
    project = copy_project(tmp_path_factory.mktemp("built") / "project")
    ran = build(project)
    assert all(ran.values()), ran
    return project


@pytest.fixture(scope="module")
def registry(tmp_path_factory, churn_config, tiny_data):
    """customer_churn v1 (random forest, champion) and v2 (logistic, challenger) in a real
    registry; returns (folder, uri, feature rows). Tests that move aliases restore them."""
    import mlflow

    from mlcycle.features.table import build_model_table
    from mlcycle.training.train import features_and_target, fit, log_probability_model

    folder = tmp_path_factory.mktemp("serving")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    table = build_model_table(tiny_data.customers, tiny_data.events, churn_config)
    client = mlflow.MlflowClient(uri, registry_uri=uri)
    client.create_registered_model("customer_churn")
    for alias, family, params in (
        ("champion", "random_forest", {"n_estimators": 10}),
        ("challenger", "logistic_regression", {}),
    ):
        model = fit(table, churn_config, family, params)
        with mlflow.start_run() as run:
            info = log_probability_model(model, features_and_target(table, churn_config).X)
        version = client.create_model_version("customer_churn", info.model_uri, run.info.run_id)
        client.set_registered_model_alias("customer_churn", alias, version.version)
    rows = features_and_target(table, churn_config).X
    # code under test must find the registry from its own settings, not from this process
    mlflow.set_tracking_uri(f"sqlite:///{folder / 'elsewhere.db'}")
    mlflow.set_registry_uri(f"sqlite:///{folder / 'elsewhere.db'}")
    return folder, uri, rows
