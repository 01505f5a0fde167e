"""The embedded SQLite store copied to a real tracking server on PostgreSQL: everything
arrives, the champion answers the same, and a second migration adds nothing."""

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient

from mlcycle.cli.migrate import main
from mlcycle.team.migrate import ORIGIN, migrate
from mlcycle.tracking import connect

pytestmark = pytest.mark.service

NAME = "customer_churn"


def artifact_paths(client, run_id, path=""):
    out = []
    for item in client.list_artifacts(run_id, path):
        out += artifact_paths(client, run_id, item.path) if item.is_dir else [item.path]
    return sorted(out)


def test_migration_copies_runs_models_versions_and_aliases(registry, tracking_server):
    _, source, rows = registry
    src = MlflowClient(source, registry_uri=source)
    champion_run = src.get_model_version(NAME, "1").run_id
    for step, value in enumerate([0.5, 0.4, 0.3]):  # a metric with a history
        src.log_metric(champion_run, "loss", value, step=step)
    src.log_param(champion_run, "n_estimators", "10")
    src.set_tag(champion_run, "owner", "data-science")
    src.log_text(champion_run, "notes", "reports/notes.txt")

    done = migrate(source, tracking_server)
    dst = MlflowClient(tracking_server, registry_uri=tracking_server)
    source_runs = {r.info.run_id: r for e in src.search_experiments()
                   for r in src.search_runs([e.experiment_id])}  # fmt: skip
    assert set(done.runs) == set(source_runs) and len(done.runs) >= 2
    for old_id, new_id in done.runs.items():
        old, new = source_runs[old_id], dst.get_run(new_id)
        assert new.data.params == old.data.params
        assert new.data.metrics == old.data.metrics
        assert {k: v for k, v in new.data.tags.items() if k != ORIGIN} == old.data.tags
        assert new.data.tags[ORIGIN] == old_id
        assert (new.info.status, new.info.start_time) == (old.info.status, old.info.start_time)
        assert artifact_paths(dst, new_id) == artifact_paths(src, old_id)
    history = dst.get_metric_history(done.runs[champion_run], "loss")
    assert [(m.step, m.value) for m in history] == [(0, 0.5), (1, 0.4), (2, 0.3)]

    # the registry: every version, its tags, and the aliases on the mapped versions
    assert {(n, a) for n, a in done.aliases} == {(NAME, "champion"), (NAME, "challenger")}
    champion = dst.get_model_version_by_alias(NAME, "champion")
    assert champion.version == done.versions[(NAME, "1")]
    assert champion.run_id == done.runs[champion_run]
    assert dst.get_model_version_by_alias(NAME, "challenger").version == done.versions[(NAME, "2")]
    # the champion on the server answers exactly as the one in the SQLite store
    connect(source)
    before = mlflow.pyfunc.load_model(f"models:/{NAME}@champion").predict(rows.head(20))
    connect(tracking_server)
    after = mlflow.pyfunc.load_model(f"models:/{NAME}@champion").predict(rows.head(20))
    np.testing.assert_array_equal(after, before)

    # again: nothing is duplicated
    again = migrate(source, tracking_server)
    assert again.runs == done.runs and again.versions == done.versions
    assert again.skipped >= len(done.runs) + len(done.versions)
    assert len(dst.search_model_versions(f"name = '{NAME}'")) == 2
    experiment_ids = [e.experiment_id for e in dst.search_experiments()]
    assert len(dst.search_runs(experiment_ids)) == len(done.runs)


def test_the_command_says_what_is_missing(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert main(["--from", f"sqlite:///{tmp_path}/mlflow.db"]) == 2
    assert "no destination" in capsys.readouterr().err
    assert main(["--from", f"sqlite:///{tmp_path}/nope.db", "--to", "http://127.0.0.1:9"]) == 2
    assert "nope.db does not exist" in capsys.readouterr().err
