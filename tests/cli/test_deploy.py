"""Deploying a version that is not there, or not reviewed on staging, is one line with the
next step, never a traceback."""

import mlflow
import pytest

from mlcycle.cli.main import main
from tests.conftest import PROJECT, fresh_sqlite_store

MODEL = "customer_churn"  # the name the built-in dataset config gives the model


@pytest.fixture
def registry(tmp_path, monkeypatch):
    """A registry with version 1, gated, and nothing on staging."""
    uri = fresh_sqlite_store(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.chdir(PROJECT)
    client = mlflow.MlflowClient(uri, registry_uri=uri)
    experiment = client.create_experiment("x", artifact_location=(tmp_path / "a").as_uri())
    run = client.create_run(experiment)
    client.set_tag(run.info.run_id, "gate.passed", "true")
    client.create_registered_model(MODEL)
    client.create_model_version(MODEL, (tmp_path / "a" / "m").as_uri(), run_id=run.info.run_id)
    yield client
    mlflow.set_tracking_uri(None)


def test_an_unregistered_version_is_named_with_the_versions_there_are(registry, capsys):
    assert main(["promote", "7"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert f"model '{MODEL}' has no version 7 (versions: 1)" in err


def test_promoting_before_staging_says_to_deploy_to_staging_first(registry, capsys):
    assert main(["promote", "1"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "is not on staging (staging is unset): put it on staging first" in err
    assert "make deploy-staging" in err
    assert main(["deploy", "staging", "--version", "1"]) == 0
    assert main(["promote", "1", "--reason", "reviewed"]) == 0
    assert str(registry.get_model_version_by_alias(MODEL, "champion").version) == "1"
